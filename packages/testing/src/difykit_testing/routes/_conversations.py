"""Conversations: list, rename, delete, and conversation variables (chat modes only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import now
from difykit_testing._json import is_array
from difykit_testing._requests import app_for, json_body, require_chat_app
from difykit_testing._state import AppState, Conversation, Variable
from difykit_testing.routes._common import (
    UUIDStrOrEmpty,
    conversation_for,
    json_user,
    paginate_after,
    query_model,
    query_user,
)

__all__ = [
    "conversation_json",
    "delete_conversation",
    "infer_value_type",
    "render_value",
    "routes",
    "value_matches",
    "variable_json",
]

_NAME_LIMIT = 75


class ConversationListQuery(BaseModel):
    last_id: UUIDStrOrEmpty | None = None
    limit: int = Field(default=20, ge=1, le=100)
    sort_by: Literal["created_at", "-created_at", "updated_at", "-updated_at"] = "-updated_at"


class ConversationRenamePayload(BaseModel):
    name: str | None = None
    auto_generate: bool = False

    @model_validator(mode="after")
    def validate_name_requirement(self) -> ConversationRenamePayload:
        if not self.auto_generate and (self.name is None or not self.name.strip()):
            raise ValueError("name is required when auto_generate is false")
        return self


class ConversationVariablesQuery(BaseModel):
    last_id: UUIDStrOrEmpty | None = None
    limit: int = Field(default=20, ge=1, le=100)
    variable_name: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("variable_name", mode="before")
    @classmethod
    def validate_variable_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not (
            value.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise ValueError(
                "Variable name can only contain letters, numbers, hyphens (-), underscores (_), "
                "and periods (.)"
            )
        return value


class ConversationVariableUpdatePayload(BaseModel):
    value: Any


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    """A conversation as Dify lists it (``SimpleConversation``)."""
    return {
        "id": conversation.id,
        "name": conversation.name,
        "inputs": conversation.inputs,
        "status": conversation.status,
        "introduction": conversation.introduction,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


def render_value(value: Any) -> Any:
    """A variable's value as Dify 1.13 sends it: Python's ``str()`` (``"{'a': 1}"``, ``"10"``)."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


def variable_json(variable: Variable) -> dict[str, Any]:
    """A conversation variable as Dify lists it (its value rendered as a string)."""
    return {
        "id": variable.id,
        "name": variable.name,
        "value_type": variable.value_type,
        "value": render_value(variable.value),
        "description": variable.description,
        "created_at": variable.created_at,
        "updated_at": variable.updated_at,
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "none"
    return "array[any]"


def infer_value_type(value: Any) -> str:
    """Dify's ``SegmentType.infer_segment_type`` name for a JSON value (for error messages)."""
    if not is_array(value):
        return _scalar_type(value)
    kinds = {_scalar_type(item) for item in value}
    if kinds and kinds <= {"integer", "float"}:
        return "array[number]"
    if len(kinds) == 1 and (kind := next(iter(kinds))) in ("string", "object", "boolean"):
        return f"array[{kind}]"
    return "array[any]"


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "secret": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array[string]": lambda v: is_array(v) and all(isinstance(i, str) for i in v),
    "array[number]": lambda v: is_array(v) and all(_is_number(i) for i in v),
    "array[object]": lambda v: is_array(v) and all(isinstance(i, dict) for i in v),
    "array[boolean]": lambda v: is_array(v) and all(isinstance(i, bool) for i in v),
    "array[any]": lambda v: is_array(v),
}


def value_matches(value_type: str, value: Any) -> bool:
    """Whether ``value`` fits a variable of ``value_type`` (unknown types accept anything)."""
    check = _CHECKS.get(value_type)
    return True if check is None else bool(check(value))


def delete_conversation(app: AppState, conversation: Conversation) -> None:
    """Forget a conversation with its messages and their feedback."""
    app.conversations.pop(conversation.id, None)
    message_ids = {message.id for message in conversation.messages}
    for message_id in message_ids:
        app.messages.pop(message_id, None)
    app.feedbacks[:] = [f for f in app.feedbacks if f.message_id not in message_ids]


async def list_conversations(request: Request) -> JSONResponse:
    """``GET /conversations``: the user's conversations, cursor ``last_id``."""
    app = app_for(request)
    user = query_user(request, app)
    require_chat_app(app)
    query = query_model(request, ConversationListQuery)
    field = query.sort_by.lstrip("-")
    mine = [c for c in app.conversations.values() if c.user == user]
    ordered = [
        c
        for _, c in sorted(
            enumerate(mine),
            key=lambda pair: (getattr(pair[1], field), pair[0]),
            reverse=query.sort_by.startswith("-"),
        )
    ]
    page, has_more = paginate_after(
        ordered,
        [c.id for c in ordered],
        query.last_id or None,
        query.limit,
        "Last Conversation Not Exists.",
    )
    return JSONResponse(
        {
            "limit": query.limit,
            "has_more": has_more,
            "data": [conversation_json(c) for c in page],
        }
    )


def _auto_name(conversation: Conversation) -> str:
    """The name Dify falls back to without an LLM: the first query (75 characters at most)."""
    if not conversation.messages:
        return conversation.name
    first = min(enumerate(conversation.messages), key=lambda p: (p[1].created_at, p[0]))[1]
    name = first.query.strip()
    return name if len(name) <= _NAME_LIMIT else name[:_NAME_LIMIT] + "..."


async def rename_conversation(request: Request) -> JSONResponse:
    """``POST /conversations/{conversation_id}/name``: a new name, or one from the first query."""
    app = app_for(request)
    user = await json_user(request, app)
    require_chat_app(app)
    payload = await json_body(request, ConversationRenamePayload)
    conversation = conversation_for(app, str(request.path_params["conversation_id"]), user)
    if payload.auto_generate:
        conversation.name = _auto_name(conversation)
    else:
        conversation.name = payload.name or ""
        conversation.updated_at = now()
    return JSONResponse(conversation_json(conversation))


async def delete_conversation_route(request: Request) -> Response:
    """``DELETE /conversations/{conversation_id}``: 204 with an empty body."""
    app = app_for(request)
    user = await json_user(request, app)
    require_chat_app(app)
    conversation = conversation_for(app, str(request.path_params["conversation_id"]), user)
    delete_conversation(app, conversation)
    return Response(status_code=204, media_type="application/json")


def _ordered_variables(conversation: Conversation) -> list[Variable]:
    variables = list(conversation.variables.values())
    return [v for _, v in sorted(enumerate(variables), key=lambda p: (p[1].created_at, p[0]))]


async def list_variables(request: Request) -> JSONResponse:
    """``GET /conversations/{conversation_id}/variables``: cursor ``last_id``, ``variable_name``."""
    app = app_for(request)
    user = query_user(request, app)
    require_chat_app(app)
    query = query_model(request, ConversationVariablesQuery)
    conversation = conversation_for(app, str(request.path_params["conversation_id"]), user)
    variables = _ordered_variables(conversation)
    if query.variable_name is not None:
        variables = [v for v in variables if v.name == query.variable_name]
    page, has_more = paginate_after(
        variables,
        [v.id for v in variables],
        query.last_id or None,
        query.limit,
        "Conversation Variable Not Exists.",
    )
    return JSONResponse(
        {"limit": query.limit, "has_more": has_more, "data": [variable_json(v) for v in page]}
    )


async def update_variable(request: Request) -> JSONResponse:
    """``PUT /conversations/{conversation_id}/variables/{variable_id}``: a type-checked value."""
    app = app_for(request)
    user = await json_user(request, app)
    require_chat_app(app)
    payload = await json_body(request, ConversationVariableUpdatePayload)
    conversation = conversation_for(app, str(request.path_params["conversation_id"]), user)
    variable_id = str(request.path_params["variable_id"])
    variable = next((v for v in conversation.variables.values() if v.id == variable_id), None)
    if variable is None:
        raise DifyHTTPError(404, "not_found", "Conversation Variable Not Exists.")
    if not value_matches(variable.value_type, payload.value):
        raise DifyHTTPError(
            400,
            "bad_request",
            f"Type mismatch: variable '{variable.name}' expects {variable.value_type}, "
            f"but got {infer_value_type(payload.value)} type",
        )
    variable.value = payload.value
    variable.updated_at = now()
    return JSONResponse(variable_json(variable))


def routes() -> list[BaseRoute]:
    """The conversation routes (ids are UUIDs: anything else is an unknown URL, as in Flask)."""
    base = "/conversations/{conversation_id:uuid}"
    return [
        Route("/conversations", list_conversations, methods=["GET"]),
        Route(base, delete_conversation_route, methods=["DELETE"]),
        Route(f"{base}/name", rename_conversation, methods=["POST"]),
        Route(f"{base}/variables", list_variables, methods=["GET"]),
        Route(f"{base}/variables/{{variable_id:uuid}}", update_variable, methods=["PUT"]),
    ]
