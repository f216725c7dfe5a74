"""OpenAI ⇄ Dify translation, as pure functions: no I/O, no clock, no randomness.

* Requests: :func:`check_parameters` applies the parameter policy; :func:`split_turn` cuts
  ``messages`` into the history already sent and the new turn, and renders the Dify ``query``.
* Responses: :class:`StreamTranslator` turns Dify's typed stream events into OpenAI
  ``chat.completion.chunk`` objects (or one ``chat.completion``), in order, one call per event.
* Errors: :class:`ProxyError` is an OpenAI-shaped error; :func:`error_from_dify` maps every
  difykit error to one, carrying Dify's ``code`` (defined in :mod:`._errors`, re-exported).

The web layer (:mod:`difykit_proxy._app`) only wires these to HTTP.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from difykit_core.errors import DifyStreamError
from difykit_core.models.events import BaseEvent
from difykit_core.types import (
    AgentMessageEvent,
    AgentThoughtEvent,
    MessageEndEvent,
    MessageEvent,
    MessageFileEvent,
    MessageReplaceEvent,
    NodeStartedEvent,
    TextChunkEvent,
    WorkflowFinishedEvent,
)
from pydantic import JsonValue

from ._errors import ProxyError, error_body, error_from_dify
from ._openai import AudioPart, ChatCompletionRequest, ChatMessage, FilePart, ImagePart, TextPart

__all__ = [
    "Attachment",
    "Message",
    "ProxyError",
    "StreamTranslator",
    "ThoughtsMode",
    "ToolCallOut",
    "Turn",
    "check_parameters",
    "error_body",
    "error_from_dify",
    "history_key",
    "split_turn",
]

ThoughtsMode = Literal["reasoning", "inline", "off"]
Json = dict[str, JsonValue]

# --- parameter policy -----------------------------------------------------------------------------

_HONOURED = frozenset(
    {"model", "messages", "stream", "stream_options", "user", "safety_identifier", "dify"}
)
"""Fields the proxy acts on (the rest is checked below, or ignored and reported)."""


def check_parameters(
    request: ChatCompletionRequest, *, strict: bool, emulate_tools: bool
) -> list[str]:
    """Apply the parameter policy; return the names of the parameters that were ignored.

    Always refused (they would silently produce wrong output): ``n`` > 1, audio output, and
    ``tool_choice`` ``required`` or a named function while tool emulation is off. With
    ``strict``, every ignored parameter is refused instead (400 ``unsupported_parameter``).

    Raises:
        ProxyError: 400 with ``param`` naming the parameter.
    """
    if request.n is not None and request.n > 1:
        raise ProxyError(
            400, "Dify answers once per request: n must be 1.", code="unsupported_value", param="n"
        )
    if request.audio is not None or "audio" in (request.modalities or []):
        param = "audio" if request.audio is not None else "modalities"
        raise ProxyError(
            400, "Audio output is not supported.", code="unsupported_value", param=param
        )
    choice = request.tool_choice
    forced = isinstance(choice, dict) or choice == "required"
    if not emulate_tools:
        if forced and request.tools:
            raise ProxyError(
                400,
                "tool_choice 'required' or a named function needs tool emulation, which is off "
                "on this proxy (Dify apps have no client-side tools).",
                code="unsupported_value",
                param="tool_choice",
            )
        function_call = (request.model_extra or {}).get("function_call")
        if isinstance(function_call, dict):
            raise ProxyError(
                400,
                "A named function_call needs tool emulation, which is off on this proxy.",
                code="unsupported_value",
                param="function_call",
            )
    ignored: list[str] = []
    values = request.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in values.items():
        if name in _HONOURED or (name == "n" and value == 1):
            continue
        if emulate_tools and name in ("tools", "tool_choice", "parallel_tool_calls"):
            continue
        if name == "logprobs" and value is False:
            continue
        if name == "response_format" and value == {"type": "text"}:
            continue
        if name == "tool_choice" and value in ("auto", "none") and not strict:
            continue
        ignored.append(name)
    if strict and ignored:
        raise ProxyError(
            400,
            f"Unsupported parameter {ignored[0]!r}: a Dify app fixes it at design time "
            "(this proxy runs in strict mode).",
            code="unsupported_parameter",
            param=ignored[0],
        )
    return sorted(ignored)


# --- messages → query -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A file of a message: an ``http(s)`` image URL, or a ``data:`` URL (with a file name)."""

    url: str
    filename: str | None = None


@dataclass(frozen=True)
class Message:
    """A message reduced to what identifies it (role, text, files, tool calls)."""

    role: str
    text: str
    files: tuple[Attachment, ...] = ()
    tool_calls: tuple[tuple[str, str], ...] = ()
    tool_call_id: str | None = None

    def key(self) -> list[JsonValue]:
        """A JSON-able identity (data URLs by digest, so keys stay small)."""
        files: list[JsonValue] = [[_image_key(f.url), f.filename] for f in self.files]
        calls: list[JsonValue] = [[name, args] for name, args in self.tool_calls]
        return [self.role, self.text, files, calls, self.tool_call_id]


def _image_key(url: str) -> str:
    if url.startswith("data:"):
        return "sha256:" + hashlib.sha256(url.encode()).hexdigest()
    return url


def _normal_arguments(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return arguments.strip()


def normalize(message: ChatMessage) -> Message:
    """The identity of one OpenAI message (``developer`` is ``system``; whitespace trimmed)."""
    role = "system" if message.role == "developer" else message.role
    texts: list[str] = []
    files: list[Attachment] = []
    content = message.content
    if isinstance(content, str):
        texts.append(content)
    elif content is not None:
        for part in content:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ImagePart):
                files.append(Attachment(part.image_url.url))
            elif isinstance(part, FilePart):
                files.append(_file_part(part))
            elif isinstance(part, AudioPart):
                audio = part.input_audio
                mime = f"audio/{'mpeg' if audio.format == 'mp3' else audio.format}"
                files.append(
                    Attachment(f"data:{mime};base64,{audio.data}", f"audio.{audio.format}")
                )
    calls = tuple(
        (call.function.name, _normal_arguments(call.function.arguments))
        for call in message.tool_calls or ()
    )
    return Message(role, "\n".join(texts).strip(), tuple(files), calls, message.tool_call_id)


def _file_part(part: FilePart) -> Attachment:
    data, name = part.file.file_data, part.file.filename
    if not data:
        raise ProxyError(
            400,
            "A file part needs file_data (base64): OpenAI file ids do not exist on Dify.",
            code="unsupported_file",
            param="messages",
        )
    if not data.startswith("data:"):
        mime = (mimetypes.guess_type(name)[0] if name else None) or "application/octet-stream"
        data = f"data:{mime};base64,{data}"
    return Attachment(data, name)


def assistant_reply(content: str, tool_calls: Sequence[ToolCallOut] = ()) -> Message:
    """The identity of the assistant message the proxy answered (as the client resends it)."""
    calls = tuple((c.name, _normal_arguments(c.arguments)) for c in tool_calls)
    return Message("assistant", content.strip(), (), calls, None)


def history_key(*, tenant: str, app: str, user: str, messages: Sequence[Message]) -> str:
    """The conversation-store key of a history: a SHA-256 over tenant, app, user and messages."""
    payload = [tenant, app, user, [m.key() for m in messages]]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


_LABELS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool result"}


def _render(message: Message) -> str:
    text = message.text
    if message.tool_calls:
        calls = "; ".join(f"{name}({args})" for name, args in message.tool_calls)
        text = f"{text}\n[called {calls}]".strip()
    if message.role == "tool":
        label = f"Tool result ({message.tool_call_id})" if message.tool_call_id else "Tool result"
        return f"{label}: {text}"
    return f"{_LABELS.get(message.role, message.role.title())}: {text}"


@dataclass(frozen=True)
class Turn:
    """``messages`` cut at the last assistant message: what Dify has seen, and what is new."""

    prior: tuple[Message, ...]
    """Everything up to the last assistant message (the history a stored conversation holds)."""
    new: tuple[Message, ...]
    """The messages after it: the turn to send."""

    @property
    def files(self) -> tuple[Attachment, ...]:
        """The files of the new turn's messages."""
        return tuple(f for m in self.new for f in m.files)

    def query(self, *, continuing: bool, history: Literal["flatten", "last"]) -> str:
        """The Dify ``query``: the new turn, with the history flattened in when it must be.

        Continuing a Dify conversation sends only the new turn. A new conversation with
        earlier messages sends them all as a transcript (``flatten``) or only the new turn
        (``last``). A lone user message is sent as it is.
        """
        turn = [m for m in self.new if not (continuing and m.role == "system")]
        if continuing or history == "last":
            turn = [m for m in turn if m.role != "system"] or turn
            if all(m.role == "user" for m in turn):
                return "\n\n".join(m.text for m in turn if m.text)
            return "\n\n".join(_render(m) for m in turn)
        everything = [*self.prior, *turn]
        if len(everything) == 1 and everything[0].role == "user":
            return everything[0].text
        return "\n\n".join(_render(m) for m in everything)


def split_turn(messages: Sequence[ChatMessage]) -> Turn:
    """Cut ``messages`` after the last assistant message.

    Raises:
        ProxyError: 400 when nothing new follows the last assistant message, or the new
            turn has no text and no image.
    """
    normal = [normalize(m) for m in messages]
    last = max((i for i, m in enumerate(normal) if m.role == "assistant"), default=-1)
    prior, new = tuple(normal[: last + 1]), tuple(normal[last + 1 :])
    if not any(m.role in ("user", "tool", "function") for m in new):
        raise ProxyError(
            400,
            "The last message must be a user message (or a tool result) after any assistant one.",
            code="invalid_messages",
            param="messages",
        )
    if not any(m.text or m.files for m in new if m.role != "system"):
        raise ProxyError(
            400, "The new user message is empty.", code="empty_message", param="messages"
        )
    return Turn(prior, new)


# --- events → chunks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCallOut:
    """A tool call the proxy answers (tool emulation)."""

    id: str
    name: str
    arguments: str


@dataclass
class _Thought:
    rendered: str = ""


@dataclass
class StreamTranslator:
    """Dify stream events → OpenAI chunks, in order, for one completion.

    Content comes from ``message``/``agent_message`` deltas, ``text_chunk`` (workflows), or
    a workflow's output at ``workflow_finished`` when no text was streamed. ``message_end``
    ends the content (a chatflow's later ``workflow_finished`` adds nothing).
    ``message_replace`` (moderation) replaces the content and finishes with
    ``content_filter``. Agent thoughts and node titles go to ``reasoning_content``, inline
    ``<think>`` text, or nowhere. ``finish_reason`` is never ``length``: Dify gives no such
    signal.
    """

    completion_id: str
    created: int
    model: str
    thoughts: ThoughtsMode = "reasoning"
    include_usage: bool = False
    show_nodes: bool = False
    workflow_output: str | None = None
    files_base: str = ""
    tool_parser: Callable[[str], list[ToolCallOut] | None] | None = None
    content: str = ""
    reasoning: str = ""
    usage: Json | None = None
    finish_reason: str = "stop"
    ended: bool = False
    tool_calls: list[ToolCallOut] = field(default_factory=list)
    _thoughts: dict[str, _Thought] = field(default_factory=dict)
    _in_think: bool = False

    # --- chunks ----------------------------------------------------------------------------

    def chunk(self, delta: Json, finish_reason: str | None = None) -> Json:
        """One ``chat.completion.chunk`` with this completion's id, time and model."""
        body: Json = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if self.include_usage:
            body["usage"] = None
        return body

    def opening(self) -> Json:
        """The first chunk: the assistant role with empty content."""
        return self.chunk({"role": "assistant", "content": ""})

    def feed(self, event: BaseEvent) -> list[Json]:
        """The chunks one Dify event produces (often none)."""
        if self.ended:
            return []
        if isinstance(event, (MessageEvent, AgentMessageEvent)):
            return self._content(event.answer)
        if isinstance(event, TextChunkEvent):
            return [] if self.workflow_output else self._content(event.data.text)
        if isinstance(event, AgentThoughtEvent):
            return self._thought(event)
        if isinstance(event, MessageFileEvent):
            return self._content(self._file_markdown(event))
        if isinstance(event, MessageReplaceEvent):
            streamed = bool(self.content)
            self.content, self.finish_reason = "", "content_filter"
            chunks = self._content(event.answer)
            if streamed and chunks:  # what was streamed stays on screen: set the new text apart
                chunks[0] = self.chunk({"content": "\n\n" + event.answer})
            return chunks
        if isinstance(event, NodeStartedEvent):
            title = event.data.title or event.data.node_type or "node"
            return self._reasoning(f"▸ {title}\n") if self.show_nodes else []
        if isinstance(event, MessageEndEvent):
            usage = event.metadata.usage
            if usage is not None:
                self.usage = _usage(
                    usage.prompt_tokens, usage.completion_tokens, usage.total_tokens
                )
            self.ended = True
            return []
        if isinstance(event, WorkflowFinishedEvent):
            return self._workflow_finished(event)
        return []

    def closing(self) -> list[Json]:
        """The last chunks: held content or tool calls, the finish reason, then usage if asked."""
        chunks: list[Json] = []
        if self._in_think:
            chunks += self._emit_content("\n</think>\n\n")
            self._in_think = False
        if self.tool_parser is not None:
            held, self.content = self.content.lstrip("\n"), ""
            calls = self.tool_parser(held)
            if calls:
                self.tool_calls, self.finish_reason = list(calls), "tool_calls"
                deltas: list[JsonValue] = [
                    {
                        "index": i,
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                    }
                    for i, c in enumerate(calls)
                ]
                chunks.append(self.chunk({"tool_calls": deltas}))
            elif held:
                self.content = held
                chunks.append(self.chunk({"content": held}))
        chunks.append(self.chunk({}, self.finish_reason))
        if self.include_usage:
            chunks.append(
                {
                    "id": self.completion_id,
                    "object": "chat.completion.chunk",
                    "created": self.created,
                    "model": self.model,
                    "choices": [],
                    "usage": self.usage or _usage(0, 0, 0),
                }
            )
        return chunks

    def completion(self) -> Json:
        """The whole answer as one ``chat.completion`` (after :meth:`closing`)."""
        message: Json = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        elif message["content"] is None:
            message["content"] = ""
        if self.reasoning and self.thoughts == "reasoning":
            message["reasoning_content"] = self.reasoning
        return {
            "id": self.completion_id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": self.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": self.usage or _usage(0, 0, 0),
        }

    def error_chunk(self, error: ProxyError) -> Json:
        """A mid-stream failure, as the openai SDK reads it (``APIError``)."""
        return error_body(error)

    # --- internals -------------------------------------------------------------------------

    def _emit_content(self, text: str) -> list[Json]:
        self.content += text
        if self.tool_parser is not None:
            return []
        return [self.chunk({"content": text})]

    def _content(self, text: str) -> list[Json]:
        if not text:
            return []
        prefix = ""
        if self._in_think:
            prefix, self._in_think = "\n</think>\n\n", False
        return self._emit_content(prefix + text)

    def _reasoning(self, text: str) -> list[Json]:
        if not text or self.thoughts == "off":
            return []
        self.reasoning += text
        if self.thoughts == "reasoning":
            return [self.chunk({"reasoning_content": text})]
        if self.tool_parser is not None:
            return []
        prefix = ""
        if not self._in_think:
            prefix, self._in_think = "<think>\n", True
        piece = prefix + text
        self.content += piece
        return [self.chunk({"content": piece})]

    def _thought(self, event: AgentThoughtEvent) -> list[Json]:
        key = event.id or str(event.position)
        state = self._thoughts.setdefault(key, _Thought())
        parts: list[str] = []
        thought = (event.thought or "").strip()
        if thought and thought not in self.content:
            parts.append(thought)
        parts += _tool_lines(event.tool or "", event.tool_input or "", event.observation or "")
        rendered = "\n".join(parts)
        if not rendered or rendered == state.rendered:
            return []
        if rendered.startswith(state.rendered):
            new = rendered[len(state.rendered) :]
        else:
            new = "\n" + rendered
        if not state.rendered and self.reasoning and not self.reasoning.endswith("\n"):
            new = "\n" + new
        state.rendered = rendered
        return self._reasoning(new)

    def _file_markdown(self, event: MessageFileEvent) -> str:
        url = event.url or ""
        if url.startswith("/"):
            url = self.files_base.rstrip("/") + url
        if not url:
            return ""
        bang = "!" if event.type == "image" else ""
        return f"\n\n{bang}[{event.type or 'file'}]({url})\n\n"

    def _workflow_finished(self, event: WorkflowFinishedEvent) -> list[Json]:
        self.ended = True
        data = event.data
        if data.status not in ("succeeded", "partial-succeeded"):
            raise DifyStreamError(
                data.error or f"the workflow run ended {data.status}",
                code=f"workflow_{data.status}",
                status=500,
            )
        if data.total_tokens is not None and self.usage is None:
            self.usage = _usage(0, data.total_tokens, data.total_tokens)
        if self.content and not self.workflow_output:
            return []
        outputs = data.outputs or {}
        if self.workflow_output:
            value = outputs.get(self.workflow_output)
        elif len(outputs) == 1:
            value = next(iter(outputs.values()))
        else:
            value = outputs or None
        if value is None:
            return []
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return self._content(text)


def _by_tool(text: str) -> dict[str, JsonValue] | None:
    """Dify's per-tool JSON (``{"<tool>": …}``) of ``tool_input`` or ``observation``."""
    try:
        value: JsonValue = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _show(value: JsonValue) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _tool_lines(tool: str, tool_input: str, observation: str) -> list[str]:
    """``🔧 tool(input)`` and ``→ result`` lines; several tools come ``;``-separated, with
    their inputs and observations as JSON objects keyed by tool name."""
    tools = [t for t in tool.split(";") if t]
    inputs, outputs = _by_tool(tool_input), _by_tool(observation)
    lines: list[str] = []
    for name in tools:
        given = _show(inputs[name]) if inputs and name in inputs else tool_input
        lines.append(f"🔧 {name}({given})")
    if outputs and tools and all(name in outputs for name in tools):
        lines += [f"→ {name}: {_show(outputs[name])}" for name in tools]
    elif observation:
        lines.append(f"→ {observation}")
    return lines


def _usage(prompt: int, completion: int, total: int) -> Json:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
