"""The ``messages`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import messages

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Messages"]


class Messages(Resource):
    """Messages of conversations: ``list`` (history), ``suggested``."""

    list = page_endpoint(messages.list_messages)
    suggested = endpoint(messages.suggested_questions)
