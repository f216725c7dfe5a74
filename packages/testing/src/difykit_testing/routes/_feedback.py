"""Feedback: rate a message (``POST /messages/{id}/feedbacks``) and ``GET /app/feedbacks``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._requests import app_for, json_body
from difykit_testing._state import AppState, StoredFeedback, iso_now
from difykit_testing.routes._common import json_user, query_model
from difykit_testing.routes._messages import message_for

__all__ = ["feedback_json", "routes"]


class MessageFeedbackPayload(BaseModel):
    rating: Literal["like", "dislike"] | None = None
    content: str | None = None


class FeedbackListQuery(BaseModel):
    page: int = Field(default=1, ge=1)
    limit: int = Field(default=20, ge=1, le=101)


def feedback_json(app: AppState, feedback: StoredFeedback) -> dict[str, Any]:
    """A feedback as ``GET /app/feedbacks`` lists it (ISO timestamps, recording 24)."""
    return {
        "id": feedback.id,
        "app_id": app.id,
        "conversation_id": feedback.conversation_id,
        "message_id": feedback.message_id,
        "rating": feedback.rating,
        "content": feedback.content,
        "from_source": "user",
        "from_end_user_id": feedback.from_end_user_id,
        "from_account_id": None,
        "created_at": feedback.created_at,
        "updated_at": feedback.updated_at,
    }


async def create_feedback(request: Request) -> JSONResponse:
    """``POST /messages/{message_id}/feedbacks``: like, dislike, or revoke with ``null``."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    payload = await json_body(request, MessageFeedbackPayload)
    message = message_for(app, str(request.path_params["message_id"]), user)
    end_user_id = app.end_user(user).id
    existing = next((f for f in app.feedbacks if f.message_id == message.id), None)
    if payload.rating is None:
        if existing is None:
            raise DifyHTTPError(
                400, "invalid_param", "rating cannot be None when feedback not exists"
            )
        app.feedbacks.remove(existing)
    elif existing is not None:
        existing.rating = payload.rating
        existing.content = payload.content
        existing.updated_at = iso_now()
    else:
        app.feedbacks.append(
            StoredFeedback(
                message_id=message.id,
                conversation_id=message.conversation_id,
                rating=payload.rating,
                content=payload.content,
                from_end_user_id=end_user_id,
            )
        )
    message.rating = payload.rating
    message.feedback_content = payload.content if payload.rating else None
    return JSONResponse({"result": "success"})


async def list_feedbacks(request: Request) -> JSONResponse:
    """``GET /app/feedbacks``: newest first, ``{data}`` only (no paging information)."""
    app = app_for(request)
    query = query_model(request, FeedbackListQuery)
    newest_first = list(reversed(app.feedbacks))
    start = (query.page - 1) * query.limit
    page = newest_first[start : start + query.limit]
    return JSONResponse({"data": [feedback_json(app, f) for f in page]})


def routes() -> list[BaseRoute]:
    """The feedback routes."""
    return [
        Route("/messages/{message_id:uuid}/feedbacks", create_feedback, methods=["POST"]),
        Route("/app/feedbacks", list_feedbacks, methods=["GET"]),
    ]
