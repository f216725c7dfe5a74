"""Builders for end users: look one up by the id Dify gave it."""

from __future__ import annotations

from difykit_core._call import Call
from difykit_core.models.end_users import EndUser

from ._build import call, model_parser, path, require

__all__ = ["get_end_user"]

_parse_end_user = model_parser(EndUser)


def get_end_user(end_user_id: str) -> Call[EndUser]:
    """Get an end user by Dify's id for it (``GET /end-users/{end_user_id}``).

    Responses give end users as this id (``created_by``, ``from_end_user_id``); the result's
    ``session_id`` is the ``user`` string your app sent.

    Args:
        end_user_id: Dify's id of the end user.
    """
    require("end_users.get", end_user_id=end_user_id)
    return call(
        "end_users.get",
        "GET",
        path("/end-users/{end_user_id}", end_user_id=end_user_id),
        _parse_end_user,
    )
