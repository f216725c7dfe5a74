"""Builders for the messages of conversations: history, and suggested next questions."""

from __future__ import annotations

from pydantic import Field

from difykit_core._call import Call
from difykit_core._http import HttpResponse
from difykit_core.models._base import DifyModel
from difykit_core.models.conversations import Message
from difykit_core.models.pages import Page

from ._build import call, cursor_next, model_parser, path, query, require

__all__ = ["list_messages", "suggested_questions"]

_parse_messages = model_parser(Page[Message])


class _Suggested(DifyModel):
    data: list[str] = Field(default_factory=list)


_validate_suggested = _Suggested.model_validate_json


def list_messages(
    *,
    conversation_id: str,
    user: str | None = None,
    first_id: str | None = None,
    limit: int | None = None,
) -> Call[Page[Message]]:
    """List a conversation's messages (``GET /messages``).

    A page is in chronological order and the first page holds the newest messages;
    iterating the page walks back to older pages.

    Args:
        conversation_id: The conversation.
        user: The end user (Dify's shared default user when left out).
        first_id: Return the messages before this one (cursor).
        limit: Page size, 1 to 100 (Dify's default: 20).
    """
    require("messages.list", conversation_id=conversation_id)

    def fetch(cursor: str) -> Call[Page[Message]]:
        return list_messages(
            conversation_id=conversation_id, user=user, first_id=cursor, limit=limit
        )

    return call(
        "messages.list",
        "GET",
        "/messages",
        _parse_messages,
        params=query(conversation_id=conversation_id, user=user, first_id=first_id, limit=limit),
        user=user,
        next_page=cursor_next(fetch, backwards=True),
    )


def _parse_suggested(response: HttpResponse) -> list[str]:
    return _validate_suggested(response.content).data


def suggested_questions(message_id: str, *, user: str) -> Call[list[str]]:
    """Questions the user might ask next (``GET /messages/{message_id}/suggested``).

    The app needs "suggested questions after answer" on, else Dify answers 400.

    Args:
        message_id: The message just answered.
        user: The end user.
    """
    require("messages.suggested", message_id=message_id, user=user)
    return call(
        "messages.suggested",
        "GET",
        path("/messages/{message_id}/suggested", message_id=message_id),
        _parse_suggested,
        params=query(user=user),
        user=user,
    )
