"""The OpenAI Chat Completions request, as the proxy reads it (lenient: every client shape).

Only what the proxy acts on is typed; every other field is kept (``extra="allow"``) so the
parameter policy can name what it ignored. Content parts, tool calls and the ``dify``
extension object (``extra_body={"dify": {...}}``) are typed.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = [
    "AudioData",
    "AudioPart",
    "ChatCompletionRequest",
    "ChatMessage",
    "ContentPart",
    "DifyExtension",
    "FileData",
    "FilePart",
    "ImagePart",
    "ImageURL",
    "StreamOptions",
    "TextPart",
    "ToolCall",
    "ToolCallFunction",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class TextPart(_Lenient):
    """A ``{"type": "text", "text": …}`` content part."""

    type: Literal["text"]
    text: str


class ImageURL(_Lenient):
    """The ``image_url`` object of an image part: an ``http(s)`` URL or a ``data:`` URL."""

    url: str
    detail: str | None = None


class ImagePart(_Lenient):
    """A ``{"type": "image_url", "image_url": {"url": …}}`` content part."""

    type: Literal["image_url"]
    image_url: ImageURL


class FileData(_Lenient):
    """The ``file`` object of a file part: base64 data (a data URL or bare), and a name."""

    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(_Lenient):
    """A ``{"type": "file", "file": {"file_data": …, "filename": …}}`` content part."""

    type: Literal["file"]
    file: FileData


class AudioData(_Lenient):
    """The ``input_audio`` object: base64 audio and its format (``wav``, ``mp3``)."""

    data: str
    format: str = "wav"


class AudioPart(_Lenient):
    """A ``{"type": "input_audio", "input_audio": {"data": …, "format": …}}`` content part."""

    type: Literal["input_audio"]
    input_audio: AudioData


class OtherPart(_Lenient):
    """Any other content part (``input_audio``, ``file``, ``refusal``…): kept, reported."""

    type: str


ContentPart: TypeAlias = TextPart | ImagePart | FilePart | AudioPart | OtherPart


class ToolCallFunction(_Lenient):
    """The function of a tool call: its name and JSON arguments (a string)."""

    name: str = ""
    arguments: str = ""


class ToolCall(_Lenient):
    """A tool call of an earlier assistant turn."""

    id: str = ""
    type: str = "function"
    function: ToolCallFunction = ToolCallFunction()


class ChatMessage(_Lenient):
    """One message of ``messages`` (every role, ``content`` a string, parts, or null)."""

    role: str
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class StreamOptions(_Lenient):
    """``stream_options``."""

    include_usage: bool | None = None


class DifyExtension(BaseModel):
    """Dify-specific fields a client may send as ``extra_body={"dify": {...}}``.

    Dify ignores ``inputs`` once a conversation exists (its first turn fixes them).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    conversation_id: str | None = None
    """Continue this Dify conversation (overrides the history lookup)."""
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    """Values for the app's input variables."""
    user: str | None = None
    """The Dify ``user`` (default: ``user``, then ``safety_identifier``, then per proxy key)."""


class ChatCompletionRequest(_Lenient):
    """The body of ``POST /v1/chat/completions``."""

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = None
    user: str | None = None
    safety_identifier: str | None = None
    tools: list[dict[str, JsonValue]] | None = None
    tool_choice: str | dict[str, JsonValue] | None = None
    response_format: dict[str, JsonValue] | None = None
    logprobs: bool | None = None
    modalities: list[str] | None = None
    audio: dict[str, JsonValue] | None = None
    dify: DifyExtension | None = None
