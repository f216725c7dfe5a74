"""Feedback on messages: the likes and dislikes of end users and admins."""

from __future__ import annotations

from datetime import datetime

from ._base import DifyModel

__all__ = ["Feedback", "MessageFeedback"]


class Feedback(DifyModel):
    """One feedback of ``GET /app/feedbacks`` (newest first)."""

    id: str
    app_id: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    rating: str | None = None
    """``like`` or ``dislike``."""
    content: str | None = None
    from_source: str | None = None
    """``user`` (an end user, through the API or WebApp) or ``admin`` (the console)."""
    from_end_user_id: str | None = None
    from_account_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class MessageFeedback(DifyModel):
    """The feedback attached to a message in the conversation history."""

    rating: str | None = None
    """``like`` or ``dislike``."""
