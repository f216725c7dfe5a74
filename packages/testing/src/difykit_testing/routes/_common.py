"""Helpers shared by the app-key routes: query models, the ``user``, conversation lookups."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, RootModel, ValidationError
from starlette.requests import Request

from difykit_testing._errors import DifyHTTPError
from difykit_testing._json import is_object
from difykit_testing._requests import json_body, require_user
from difykit_testing._state import AppState, Conversation

__all__ = [
    "DEFAULT_USER",
    "UUIDStrOrEmpty",
    "conversation_for",
    "json_user",
    "paginate_after",
    "query_model",
    "query_user",
]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

DEFAULT_USER = "DEFAULT-USER"
"""The shared end user Dify uses when an optional ``user`` is left out."""


def _normalize_uuid(value: str) -> str:
    if not value:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a valid UUID") from None


UUIDStrOrEmpty = Annotated[str, AfterValidator(_normalize_uuid)]
"""A UUID string or ``""``, validated as Dify's ``libs.helper.UUIDStrOrEmpty``."""


class _AnyJson(RootModel[Any]):
    """Any JSON document (to read ``user`` before the payload is validated, as Dify does)."""


def query_model(request: Request, model: type[M]) -> M:
    """The query string validated by ``model`` (named like Dify's query class)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise DifyHTTPError(400, "invalid_param", str(exc)) from None


def query_user(request: Request, app: AppState, *, required: bool = False) -> str:
    """The ``user`` of the query string (its end user is created on first sight)."""
    raw = request.query_params.get("user")
    user = require_user(raw) if required else (raw or DEFAULT_USER)
    app.end_user(user)
    return user


async def json_user(request: Request, app: AppState, *, required: bool = False) -> str:
    """The ``user`` of the JSON body, read before the payload is validated (as Dify does)."""
    data = (await json_body(request, _AnyJson)).root
    raw = data.get("user") if is_object(data) else None
    text = raw if isinstance(raw, str) else None
    user = require_user(text) if required else (text or DEFAULT_USER)
    app.end_user(user)
    return user


def conversation_for(app: AppState, conversation_id: str, user: str) -> Conversation:
    """The user's conversation, or 404 ``not_found`` "Conversation Not Exists."."""
    conversation = app.conversations.get(conversation_id)
    if conversation is None or conversation.user != user:
        raise DifyHTTPError(404, "not_found", "Conversation Not Exists.")
    return conversation


def paginate_after(
    items: list[T], ids: list[str], last_id: str | None, limit: int, missing: str
) -> tuple[list[T], bool]:
    """A cursor page: the ``limit`` items after ``last_id`` and whether more follow.

    ``ids`` are the items' ids in the same order; an unknown ``last_id`` answers 404
    ``not_found`` with the ``missing`` message.
    """
    if last_id:
        if last_id not in ids:
            raise DifyHTTPError(404, "not_found", missing)
        items = items[ids.index(last_id) + 1 :]
    return items[:limit], len(items) > limit
