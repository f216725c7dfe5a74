"""What chat, completion and workflow runs share: bodies with files, and stream protocols."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from pydantic import Field

from difykit_core._call import Call, StreamCall
from difykit_core._http import HttpRequest, HttpResponse
from difykit_core._json import JsonObject, JsonValue
from difykit_core.models._base import RequestModel

from ._build import FileInput, build_body, call, empty_parser, resolve_files
from .files import upload_file

if TYPE_CHECKING:  # the event models load with the first stream, not with the first call
    from difykit_core._stream import StreamProtocol
    from difykit_core.models.events import BaseEvent, ChatEvent, CompletionEvent, WorkflowEvent
    from difykit_core.models.files import UploadedFile
    from difykit_core.models.messages import ChatMessage, CompletionMessage
    from difykit_core.models.workflow import WorkflowRun

__all__ = [
    "chat_protocol",
    "completion_protocol",
    "generation_call",
    "generation_stream",
    "stop_call",
    "workflow_protocol",
]

T = TypeVar("T")
E = TypeVar("E", bound="BaseEvent")
R = TypeVar("R")


@cache
def chat_protocol() -> StreamProtocol[ChatEvent, ChatMessage]:
    """How chat, agent and chatflow streams are read."""
    from difykit_core._collect import ChatCollector
    from difykit_core._stream import StreamProtocol
    from difykit_core.models.events import ChatEvent

    return StreamProtocol("chat", ChatEvent, ChatCollector)


@cache
def completion_protocol() -> StreamProtocol[CompletionEvent, CompletionMessage]:
    """How completion streams are read."""
    from difykit_core._collect import CompletionCollector
    from difykit_core._stream import StreamProtocol
    from difykit_core.models.events import CompletionEvent

    return StreamProtocol("completion", CompletionEvent, CompletionCollector)


def workflow_protocol(*, stop_on_pause: bool = True) -> StreamProtocol[WorkflowEvent, WorkflowRun]:
    """How workflow streams are read (``stop_on_pause=False`` reads past ``workflow_paused``)."""
    return _workflow_protocol(stop_on_pause)


@cache
def _workflow_protocol(stop_on_pause: bool) -> StreamProtocol[WorkflowEvent, WorkflowRun]:
    from difykit_core._collect import WorkflowCollector
    from difykit_core._stream import StreamProtocol
    from difykit_core.models.events import WorkflowEvent

    return StreamProtocol("workflow", WorkflowEvent, WorkflowCollector, stop_on_pause=stop_on_pause)


def _with_files(
    url: str, body: JsonObject, files: Sequence[FileInput] | None, user: str
) -> tuple[
    HttpRequest,
    tuple[Call[UploadedFile], ...],
    Callable[[Sequence[UploadedFile]], HttpRequest] | None,
]:
    objects, local = resolve_files(files)
    if files is not None:
        body["files"] = list(objects)
    request = HttpRequest(method="POST", path=url, json=body)
    if not local:
        return request, (), None
    uploads = tuple(upload_file(p, user=user) for _, p in local)

    def complete(uploaded: Sequence[UploadedFile]) -> HttpRequest:
        filled: list[JsonValue] = list(objects)
        for (index, _), file in zip(local, uploaded, strict=True):
            filled[index] = file.to_input()
        return replace(request, json={**body, "files": filled})

    return request, uploads, complete


def generation_call(
    operation: str,
    url: str,
    body: JsonObject,
    files: Sequence[FileInput] | None,
    user: str,
    parser: Callable[[HttpResponse], T],
) -> Call[T]:
    """A blocking generation call (never replayed after it may have reached Dify)."""
    request, uploads, complete = _with_files(
        url, {**body, "response_mode": "blocking"}, files, user
    )
    return Call(
        operation=operation,
        request=request,
        parser=parser,
        user=user,
        replayable=False,
        uploads=uploads,
        complete=complete,
    )


def generation_stream(
    operation: str,
    url: str,
    body: JsonObject,
    files: Sequence[FileInput] | None,
    user: str,
    protocol: StreamProtocol[E, R],
) -> StreamCall[E, R]:
    """A streaming generation call (never replayed after it may have reached Dify)."""
    request, uploads, complete = _with_files(
        url, {**body, "response_mode": "streaming"}, files, user
    )
    return StreamCall(
        operation=operation,
        request=request,
        protocol=protocol,
        user=user,
        replayable=False,
        uploads=uploads,
        complete=complete,
    )


class _StopRequest(RequestModel):
    user: str = Field(min_length=1)


def stop_call(operation: str, url: str, user: str) -> Call[None]:
    """A stop request (``{"user": …}``); Dify answers success even for finished tasks."""
    body = build_body(_StopRequest, operation, {"user": user})
    return call(
        operation,
        "POST",
        url,
        empty_parser,
        json=body.model_dump(mode="json"),
        user=user,
        replayable=True,
    )
