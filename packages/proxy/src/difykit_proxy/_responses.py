"""The Responses API (``POST /v1/responses``) as a second face of the same completion.

Pure: :func:`to_chat_request` turns a Responses request into the chat request the proxy
already serves; :class:`ResponsesEmitter` turns that completion's chat chunks into a
``response`` object or ``response.*`` stream events. ``previous_response_id`` is Dify's
``conversation_id``: the web layer stores one under :func:`response_key` after each answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ._errors import ProxyError
from ._openai import ChatCompletionRequest, DifyExtension
from ._translate import Json, StreamTranslator

__all__ = [
    "TOOL_FIELDS",
    "ResponsesEmitter",
    "ResponsesRequest",
    "response_key",
    "to_chat_request",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class InputPart(_Lenient):
    """A content part of an input message (``input_text``, ``input_image``, ``input_file``…)."""

    type: str
    text: str | None = None
    image_url: str | None = None
    file_data: str | None = None
    filename: str | None = None


class InputItem(_Lenient):
    """An item of ``input``: a message (other item types are refused)."""

    type: str = "message"
    role: str | None = None
    content: str | list[InputPart] | None = None


class ResponsesRequest(_Lenient):
    """The body of ``POST /v1/responses`` (what the proxy acts on)."""

    model: str = Field(min_length=1)
    input: str | list[InputItem]
    instructions: str | None = None
    previous_response_id: str | None = None
    stream: bool | None = False
    store: bool | None = True
    user: str | None = None
    safety_identifier: str | None = None
    dify: DifyExtension | None = None


_MAPPED = frozenset(
    {"model", "input", "instructions", "previous_response_id", "stream", "store", "dify"}
)
TOOL_FIELDS = frozenset({"tools", "tool_choice", "parallel_tool_calls"})
"""Responses-shaped tool fields: not emulated here (ignored and reported)."""


def _part(part: InputPart) -> Json:
    if part.type in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part.text or ""}
    if part.type == "input_image" and part.image_url:
        return {"type": "image_url", "image_url": {"url": part.image_url}}
    if part.type == "input_file" and part.file_data:
        return {"type": "file", "file": {"file_data": part.file_data, "filename": part.filename}}
    raise ProxyError(
        400, f"Unsupported input content {part.type!r}.", code="unsupported_input", param="input"
    )


def to_chat_request(
    request: ResponsesRequest, *, conversation_id: str | None
) -> ChatCompletionRequest:
    """The chat completion request that serves ``request`` (instructions as a system message).

    Raises:
        ProxyError: 400 for input items other than messages (tool outputs, reasoning…).
    """
    messages: list[JsonValue] = []
    if request.instructions:
        messages.append({"role": "system", "content": request.instructions})
    if isinstance(request.input, str):
        messages.append({"role": "user", "content": request.input})
    else:
        for item in request.input:
            if item.type != "message" or not item.role:
                raise ProxyError(
                    400,
                    f"Input items of type {item.type!r} are not supported by Dify apps.",
                    code="unsupported_input",
                    param="input",
                )
            content = item.content
            parts: JsonValue = (
                content
                if isinstance(content, str) or content is None
                else [_part(p) for p in content]
            )
            messages.append({"role": item.role, "content": parts})
    extension = request.dify or DifyExtension()
    if conversation_id is not None:
        extension = extension.model_copy(update={"conversation_id": conversation_id})
    extra = {
        k: v
        for k, v in (request.model_extra or {}).items()
        if k not in _MAPPED and k not in TOOL_FIELDS
    }
    body: Json = {
        "model": request.model,
        "messages": messages,
        "stream": bool(request.stream),
        "user": request.user,
        "safety_identifier": request.safety_identifier,
        "dify": extension.model_dump(exclude_none=True),
        **extra,
    }
    return ChatCompletionRequest.model_validate(body)


def response_key(tenant: str, response_id: str) -> str:
    """The conversation-store key of a response id (per tenant: ids are never shared)."""
    return hashlib.sha256(f"response\0{tenant}\0{response_id}".encode()).hexdigest()


Status: TypeAlias = Literal["in_progress", "completed", "failed"]


@dataclass
class ResponsesEmitter:
    """One completion's chat chunks → a ``response`` object, or ``response.*`` events."""

    response_id: str
    translator: StreamTranslator
    request: ResponsesRequest
    sequence: int = 0

    @property
    def message_id(self) -> str:
        """The id of the output message item."""
        return "msg_" + self.response_id.removeprefix("resp_")

    def _usage(self) -> Json:
        usage = self.translator.usage or {}
        prompt = int(str(usage.get("prompt_tokens") or 0))
        completion = int(str(usage.get("completion_tokens") or 0))
        return {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        }

    def _message(self, status: Status) -> Json:
        text = self.translator.content if status != "in_progress" else ""
        content: list[JsonValue] = (
            [{"type": "output_text", "text": text, "annotations": []}]
            if status != "in_progress"
            else []
        )
        return {
            "type": "message",
            "id": self.message_id,
            "status": status,
            "role": "assistant",
            "content": content,
        }

    def response(self, status: Status = "completed", error: ProxyError | None = None) -> Json:
        """The ``response`` object (``output`` filled once the answer is complete)."""
        output: list[JsonValue] = []
        if status == "completed":
            reasoning = self.translator.reasoning
            if reasoning and self.translator.thoughts == "reasoning":
                summary: list[JsonValue] = [{"type": "summary_text", "text": reasoning}]
                output.append(
                    {"type": "reasoning", "id": "rs_" + self.message_id[4:], "summary": summary}
                )
            output.append(self._message("completed"))
        failure: JsonValue = None
        if error is not None:  # Responses' error codes are a closed set: Dify's goes in the text
            code = "rate_limit_exceeded" if error.status == 429 else "server_error"
            failure = {"code": code, "message": f"{error.message} [{error.code}]"}
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": self.translator.created,
            "status": status,
            "model": self.translator.model,
            "output": output,
            "instructions": self.request.instructions,
            "previous_response_id": self.request.previous_response_id,
            "usage": self._usage() if status == "completed" else None,
            "error": failure,
            "incomplete_details": None,
            "parallel_tool_calls": False,
            "tool_choice": "auto",
            "tools": [],
            "metadata": {},
            "store": self.request.store is not False,
            "text": {"format": {"type": "text"}},
        }

    def _event(self, kind: str, **fields: JsonValue) -> tuple[str, Json]:
        event: Json = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return kind, event

    def opening(self) -> list[tuple[str, Json]]:
        """``response.created``, the message item and its text part, before any text."""
        where: Json = {"item_id": self.message_id, "output_index": 0, "content_index": 0}
        return [
            self._event("response.created", response=self.response("in_progress")),
            self._event(
                "response.output_item.added", output_index=0, item=self._message("in_progress")
            ),
            self._event(
                "response.content_part.added",
                **where,
                part={"type": "output_text", "text": "", "annotations": []},
            ),
        ]

    def feed(self, chunks: Sequence[Json]) -> list[tuple[str, Json]]:
        """``response.output_text.delta`` events for the content of chat chunks."""
        events: list[tuple[str, Json]] = []
        for chunk in chunks:
            choices = chunk.get("choices")
            if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
                continue
            delta = choices[0].get("delta")
            text = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(text, str) and text:
                events.append(
                    self._event(
                        "response.output_text.delta",
                        item_id=self.message_id,
                        output_index=0,
                        content_index=0,
                        delta=text,
                    )
                )
        return events

    def closing(self) -> list[tuple[str, Json]]:
        """The done events of the text, part and item, then ``response.completed``."""
        text = self.translator.content
        where: Json = {"item_id": self.message_id, "output_index": 0, "content_index": 0}
        part: Json = {"type": "output_text", "text": text, "annotations": []}
        return [
            self._event("response.output_text.done", **where, text=text),
            self._event("response.content_part.done", **where, part=part),
            self._event(
                "response.output_item.done", output_index=0, item=self._message("completed")
            ),
            self._event("response.completed", response=self.response("completed")),
        ]

    def failure(self, error: ProxyError) -> list[tuple[str, Json]]:
        """An ``error`` event and ``response.failed``, for a failure after the stream started."""
        return [
            self._event("error", code=error.code, message=error.message, param=error.param),
            self._event("response.failed", response=self.response("failed", error)),
        ]
