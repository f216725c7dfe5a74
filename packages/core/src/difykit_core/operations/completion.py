"""Builders for completion apps (text generators): send, stream, stop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from difykit_core._call import Call, StreamCall
from difykit_core._json import JsonObject
from difykit_core.models._base import RequestModel
from difykit_core.models.messages import CompletionMessage

from ._build import FileInput, Inputs, build_body, model_parser, path, require, serialize_inputs
from ._generate import completion_protocol, generation_call, generation_stream, stop_call

if TYPE_CHECKING:
    from difykit_core.models.events import CompletionEvent

__all__ = ["CompletionRequest", "send_message", "stop_message", "stream_message"]


class CompletionRequest(RequestModel):
    """Body of ``POST /completion-messages`` (the builder adds ``response_mode`` and ``files``)."""

    user: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)  # JSON-checked by serialize_inputs
    query: str | None = None


def _body(operation: str, user: str, inputs: Inputs | None, query: str | None) -> JsonObject:
    fields = {"user": user, "inputs": serialize_inputs(inputs), "query": query}
    body = build_body(
        CompletionRequest, operation, {k: v for k, v in fields.items() if v is not None}
    )
    return body.model_dump(mode="json", exclude_none=True)


_parse_completion = model_parser(CompletionMessage)


def send_message(
    *,
    user: str,
    inputs: Inputs | None = None,
    query: str | None = None,
    files: Sequence[FileInput] | None = None,
) -> Call[CompletionMessage]:
    """Generate a text and wait for all of it (``POST /completion-messages``, blocking).

    Args:
        user: Your id for the end user; files and stops are scoped to it.
        inputs: Values for the app's input variables (``{}`` is sent when left out).
        query: The user's text, for apps whose prompt uses it.
        files: Uploaded files, remote URLs or local paths (uploaded for you).
    """
    body = _body("completion.send", user, inputs, query)
    return generation_call(
        "completion.send", "/completion-messages", body, files, user, _parse_completion
    )


def stream_message(
    *,
    user: str,
    inputs: Inputs | None = None,
    query: str | None = None,
    files: Sequence[FileInput] | None = None,
) -> StreamCall[CompletionEvent, CompletionMessage]:
    """Generate a text and stream it as typed events (``POST /completion-messages``).

    Args:
        user: Your id for the end user; files and stops are scoped to it.
        inputs: Values for the app's input variables (``{}`` is sent when left out).
        query: The user's text, for apps whose prompt uses it.
        files: Uploaded files, remote URLs or local paths (uploaded for you).
    """
    body = _body("completion.stream", user, inputs, query)
    return generation_stream(
        "completion.stream", "/completion-messages", body, files, user, completion_protocol()
    )


def stop_message(task_id: str, *, user: str) -> Call[None]:
    """Stop a streaming completion (``POST /completion-messages/{task_id}/stop``).

    Dify answers success even for unknown or finished tasks.

    Args:
        task_id: The stream's ``task_id``.
        user: The end user who started it.
    """
    require("completion.stop", task_id=task_id)
    return stop_call(
        "completion.stop", path("/completion-messages/{task_id}/stop", task_id=task_id), user
    )
