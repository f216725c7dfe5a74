"""Conversations, their messages and their variables."""

from __future__ import annotations

from .._json import JsonValue
from ._base import DifyModel

__all__ = ["Conversation"]


class Conversation(DifyModel):
    """A conversation of one end user with a chat app."""

    id: str
    name: str | None = None
    inputs: dict[str, JsonValue] | None = None
    status: str | None = None
    introduction: str | None = None
    created_at: int | None = None
    updated_at: int | None = None
