"""Builders for feedback: rate a message, and list the app's feedback."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from difykit_core._call import Call
from difykit_core._http import HttpResponse
from difykit_core.models._base import RequestModel
from difykit_core.models.feedback import Feedback
from difykit_core.models.pages import Page

from ._build import build_body, call, empty_parser, path, query, require

__all__ = ["FeedbackRequest", "create_feedback", "list_feedbacks"]

Rating = Literal["like", "dislike"]

_DEFAULT_LIMIT = 20


class FeedbackRequest(RequestModel):
    """Body of ``POST /messages/{message_id}/feedbacks`` (``rating`` null revokes)."""

    rating: Rating | None
    user: str = Field(min_length=1)
    content: str | None = None


def create_feedback(
    message_id: str, *, rating: Rating | None, user: str, content: str | None = None
) -> Call[None]:
    """Rate a message, or revoke its rating (``POST /messages/{message_id}/feedbacks``).

    Args:
        message_id: The message's id.
        rating: ``"like"``, ``"dislike"``, or ``None`` to revoke the rating.
        user: The end user who rates.
        content: A comment.
    """
    require("feedbacks.create", message_id=message_id)
    fields = {"rating": rating, "user": user, "content": content}
    body = build_body(FeedbackRequest, "feedbacks.create", fields)
    json = body.model_dump(mode="json", exclude_none=True)
    json["rating"] = body.rating  # always sent: null revokes
    return call(
        "feedbacks.create",
        "POST",
        path("/messages/{message_id}/feedbacks", message_id=message_id),
        empty_parser,
        json=json,
        user=user,
    )


def list_feedbacks(*, page: int | None = None, limit: int | None = None) -> Call[Page[Feedback]]:
    """List the app's feedback, newest first (``GET /app/feedbacks``).

    Dify sends no paging information here: the page's ``has_more`` is true when the page
    came back full, and iterating the page walks the following pages.

    Args:
        page: The page number, from 1.
        limit: Page size, 1 to 101 (Dify's default: 20).
    """
    number, size = page or 1, limit or _DEFAULT_LIMIT
    validate = Page[Feedback].model_validate_json

    def parse(response: HttpResponse) -> Page[Feedback]:
        result = validate(response.content)
        return result.model_copy(
            update={"page": number, "limit": size, "has_more": len(result.data) >= size}
        )

    def next_page(result: Page[Feedback]) -> Call[Page[Feedback]] | None:
        return list_feedbacks(page=number + 1, limit=limit) if result.has_more else None

    return call(
        "feedbacks.list",
        "GET",
        "/app/feedbacks",
        parse,
        params=query(page=page, limit=limit),
        next_page=next_page,
    )
