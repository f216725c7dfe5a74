"""Builders for conversations: list, rename, delete, and conversation variables."""

from __future__ import annotations

from typing import Literal

from difykit_core._call import Call
from difykit_core._json import JsonValue
from difykit_core.errors import InvalidRequestError
from difykit_core.models._base import RequestModel
from difykit_core.models.conversations import Conversation, ConversationVariable
from difykit_core.models.pages import Page

from ._build import build_body, call, cursor_next, empty_parser, model_parser, path, query, require

__all__ = [
    "RenameRequest",
    "VariableUpdate",
    "delete_conversation",
    "list_conversations",
    "list_variables",
    "rename_conversation",
    "update_variable",
]

SortBy = Literal["created_at", "-created_at", "updated_at", "-updated_at"]

_parse_conversations = model_parser(Page[Conversation])
_parse_conversation = model_parser(Conversation)
_parse_variables = model_parser(Page[ConversationVariable])
_parse_variable = model_parser(ConversationVariable)


class RenameRequest(RequestModel):
    """Body of ``POST /conversations/{conversation_id}/name``."""

    name: str | None = None
    auto_generate: bool | None = None
    user: str | None = None


class VariableUpdate(RequestModel):
    """Body of ``PUT /conversations/{conversation_id}/variables/{variable_id}``."""

    value: JsonValue
    user: str | None = None


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
        limit: Page size, 1 to 100 (Dify's default: 20).
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


def rename_conversation(
    conversation_id: str,
    *,
    name: str | None = None,
    auto_generate: bool | None = None,
    user: str | None = None,
) -> Call[Conversation]:
    """Rename a conversation, or let Dify title it (``POST /conversations/{id}/name``).

    Args:
        conversation_id: The conversation.
        name: The new name (needed unless ``auto_generate``).
        auto_generate: Let Dify generate the name from the conversation.
        user: The end user (Dify's shared default user when left out).

    Raises:
        InvalidRequestError: Neither a ``name`` nor ``auto_generate=True`` was given.
    """
    require("conversations.rename", conversation_id=conversation_id)
    if not auto_generate and not (isinstance(name, str) and name.strip()):
        raise InvalidRequestError(
            "conversations.rename: give a non-empty `name`, or `auto_generate=True`"
        )
    fields = {"name": name, "auto_generate": auto_generate, "user": user}
    body = build_body(
        RenameRequest, "conversations.rename", {k: v for k, v in fields.items() if v is not None}
    )
    return call(
        "conversations.rename",
        "POST",
        path("/conversations/{conversation_id}/name", conversation_id=conversation_id),
        _parse_conversation,
        json=body.model_dump(mode="json", exclude_none=True),
        user=user,
    )


def delete_conversation(conversation_id: str, *, user: str | None = None) -> Call[None]:
    """Delete a conversation (``DELETE /conversations/{conversation_id}``).

    Args:
        conversation_id: The conversation.
        user: The end user (Dify's shared default user when left out).
    """
    require("conversations.delete", conversation_id=conversation_id)
    return call(
        "conversations.delete",
        "DELETE",
        path("/conversations/{conversation_id}", conversation_id=conversation_id),
        empty_parser,
        # Dify reads ``user`` from a JSON body, and older versions fail without one.
        json={"user": user} if user is not None else {},
        user=user,
    )


def list_variables(
    conversation_id: str,
    *,
    user: str | None = None,
    last_id: str | None = None,
    limit: int | None = None,
    variable_name: str | None = None,
) -> Call[Page[ConversationVariable]]:
    """List a chatflow conversation's variables (``GET /conversations/{id}/variables``).

    Iterating the returned page walks the following pages.

    Args:
        conversation_id: The conversation.
        user: The end user (Dify's shared default user when left out).
        last_id: Start after this variable (cursor).
        limit: Page size, 1 to 100 (Dify's default: 20).
        variable_name: Only the variable of this name (Dify 1.13 fails with 500 on it).
    """
    require("conversations.variables", conversation_id=conversation_id)

    def fetch(cursor: str) -> Call[Page[ConversationVariable]]:
        return list_variables(
            conversation_id, user=user, last_id=cursor, limit=limit, variable_name=variable_name
        )

    return call(
        "conversations.variables",
        "GET",
        path("/conversations/{conversation_id}/variables", conversation_id=conversation_id),
        _parse_variables,
        params=query(user=user, last_id=last_id, limit=limit, variable_name=variable_name),
        user=user,
        next_page=cursor_next(fetch),
    )


def update_variable(
    conversation_id: str, variable_id: str, *, value: JsonValue, user: str | None = None
) -> Call[ConversationVariable]:
    """Set a conversation variable (``PUT /conversations/{id}/variables/{variable_id}``).

    The value must match the variable's type, else Dify answers 400 ``bad_request``
    ("Type mismatch…").

    Args:
        conversation_id: The conversation.
        variable_id: The variable's id.
        value: The new value (any JSON).
        user: The end user (Dify's shared default user when left out).
    """
    require(
        "conversations.update_variable", conversation_id=conversation_id, variable_id=variable_id
    )
    fields: dict[str, JsonValue] = {"value": value}
    if user is not None:
        fields["user"] = user
    body = build_body(VariableUpdate, "conversations.update_variable", fields)
    return call(
        "conversations.update_variable",
        "PUT",
        path(
            "/conversations/{conversation_id}/variables/{variable_id}",
            conversation_id=conversation_id,
            variable_id=variable_id,
        ),
        _parse_variable,
        json=body.model_dump(mode="json", exclude_unset=True),
        user=user,
        replayable=True,
    )
