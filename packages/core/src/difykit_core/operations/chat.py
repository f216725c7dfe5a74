"""Builders for chat apps (chatbot, agent, chatflow): send, stream, stop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from difykit_core._call import Call, StreamCall
from difykit_core._json import JsonObject
from difykit_core.models._base import RequestModel
from difykit_core.models.messages import ChatMessage

from ._build import (
    FileInput,
    Inputs,
    build_body,
    model_parser,
    path,
    require,
    serialize_inputs,
)
from ._generate import chat_protocol, generation_call, generation_stream, stop_call

if TYPE_CHECKING:
    from difykit_core.models.events import ChatEvent

__all__ = ["ChatRequest", "send_message", "stop_message", "stream_message"]


class ChatRequest(RequestModel):
    """Body of ``POST /chat-messages`` (the builder adds ``response_mode`` and ``files``)."""

    query: str = Field(min_length=1)
    user: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)  # JSON-checked by serialize_inputs
    conversation_id: str | None = None
    auto_generate_name: bool | None = None
    workflow_id: str | None = None


def _body(
    operation: str,
    query: str,
    user: str,
    inputs: Inputs | None,
    conversation_id: str | None,
    auto_generate_name: bool | None,
    workflow_id: str | None,
) -> JsonObject:
    fields = {
        "query": query,
        "user": user,
        "inputs": serialize_inputs(inputs),
        "conversation_id": conversation_id,
        "auto_generate_name": auto_generate_name,
        "workflow_id": workflow_id,
    }
    body = build_body(ChatRequest, operation, {k: v for k, v in fields.items() if v is not None})
    if not body.query.strip():
        from difykit_core.errors import InvalidRequestError

        raise InvalidRequestError(f"{operation}: `query` must not be blank")
    return body.model_dump(mode="json", exclude_none=True)


_parse_chat = model_parser(ChatMessage)


def send_message(
    *,
    query: str,
    user: str,
    inputs: Inputs | None = None,
    conversation_id: str | None = None,
    files: Sequence[FileInput] | None = None,
    auto_generate_name: bool | None = None,
    workflow_id: str | None = None,
) -> Call[ChatMessage]:
    """Send a chat message and wait for the whole answer (``POST /chat-messages``, blocking).

    Agent apps only stream: use ``stream`` for them.

    Args:
        query: The user's message.
        user: Your id for the end user; conversations, files and stops are scoped to it.
        inputs: Values for the app's input variables.
        conversation_id: Continue this conversation; leave out to start a new one.
        files: Uploaded files, remote URLs or local paths (uploaded for you).
        auto_generate_name: Let Dify title a new conversation (default true).
        workflow_id: Chatflow only: run this published version.
    """
    body = _body("chat.send", query, user, inputs, conversation_id, auto_generate_name, workflow_id)
    return generation_call("chat.send", "/chat-messages", body, files, user, _parse_chat)


def stream_message(
    *,
    query: str,
    user: str,
    inputs: Inputs | None = None,
    conversation_id: str | None = None,
    files: Sequence[FileInput] | None = None,
    auto_generate_name: bool | None = None,
    workflow_id: str | None = None,
) -> StreamCall[ChatEvent, ChatMessage]:
    """Send a chat message and stream the answer as typed events (``POST /chat-messages``).

    Args:
        query: The user's message.
        user: Your id for the end user; conversations, files and stops are scoped to it.
        inputs: Values for the app's input variables.
        conversation_id: Continue this conversation; leave out to start a new one.
        files: Uploaded files, remote URLs or local paths (uploaded for you).
        auto_generate_name: Let Dify title a new conversation (default true).
        workflow_id: Chatflow only: run this published version.
    """
    body = _body(
        "chat.stream", query, user, inputs, conversation_id, auto_generate_name, workflow_id
    )
    return generation_stream("chat.stream", "/chat-messages", body, files, user, chat_protocol())


def stop_message(task_id: str, *, user: str) -> Call[None]:
    """Stop a streaming chat answer (``POST /chat-messages/{task_id}/stop``).

    Dify answers success even for unknown or finished tasks.

    Args:
        task_id: The stream's ``task_id``.
        user: The end user who started it.
    """
    require("chat.stop", task_id=task_id)
    return stop_call("chat.stop", path("/chat-messages/{task_id}/stop", task_id=task_id), user)
