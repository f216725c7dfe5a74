"""The ``end_users`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import end_users

from difykit_async._binding import Resource, endpoint

__all__ = ["EndUsers"]


class EndUsers(Resource):
    """End users: ``get``."""

    get = endpoint(end_users.get_end_user)
