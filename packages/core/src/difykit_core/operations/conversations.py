"""Builders for conversations: list, rename, delete, and conversation variables."""

from __future__ import annotations

from typing import Literal

from .._call import Call
from ..models.conversations import Conversation
from ..models.pages import Page
from ._build import call, cursor_next, model_parser, query

__all__ = ["list_conversations"]

SortBy = Literal["created_at", "-created_at", "updated_at", "-updated_at"]

_parse_conversations = model_parser(Page[Conversation])


def list_conversations(
    *,
    user: str | None = None,
    last_id: str | None = None,
    limit: int | None = None,
    sort_by: SortBy | None = None,
) -> Call[Page[Conversation]]:
    """List the end user's conversations, newest first (``GET /conversations``).

    Iterating the returned page walks the following pages.

    Args:
        user: The end user (Dify's shared default user when left out).
        last_id: Start after this conversation (cursor).
        limit: Page size, 1–100 (Dify's default: 20).
        sort_by: ``created_at``, ``-created_at``, ``updated_at`` or ``-updated_at`` (default).
    """

    def fetch(cursor: str) -> Call[Page[Conversation]]:
        return list_conversations(user=user, last_id=cursor, limit=limit, sort_by=sort_by)

    return call(
        "conversations.list",
        "GET",
        "/conversations",
        _parse_conversations,
        params=query(user=user, last_id=last_id, limit=limit, sort_by=sort_by),
        user=user,
        next_page=cursor_next(fetch),
    )
