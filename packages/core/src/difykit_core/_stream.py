"""Reading a Dify event stream without I/O: SSE frames → typed events, ids, terminal rules.

Terminal events (dify-api-notes §3.3): ``error`` always; for chat and completion streams
``message_end``, unless a ``workflow_started`` showed a chatflow graph, which ends at
``workflow_finished`` or ``workflow_paused`` (``message_end`` comes *before* it there); for
workflow streams ``workflow_finished`` and ``workflow_paused``; for a knowledge pipeline's
datasource node ``datasource_completed`` (its ``datasource_error`` is raised like ``error``).
Nothing after the terminal event is read: Dify's relay may otherwise keep the connection open
for minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, Literal, Protocol, TypeAlias, TypeVar, cast, get_args

from pydantic import TypeAdapter, ValidationError

from ._sse import SSEDecoder
from .errors import DifyStreamError, ResponseValidationError, StreamInterruptedError
from .models.events import BaseEvent, ErrorEvent, UnknownEvent

__all__ = ["Collector", "EventReader", "StreamFamily", "StreamIds", "StreamProtocol"]

E = TypeVar("E", bound=BaseEvent)
E_contra = TypeVar("E_contra", bound=BaseEvent, contravariant=True)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

StreamFamily: TypeAlias = Literal["chat", "completion", "workflow", "datasource"]

_GRAPH_END = frozenset({"workflow_finished", "workflow_paused"})
_GRAPH_END_NO_PAUSE = frozenset({"workflow_finished"})
_MESSAGE_END = frozenset({"message_end"})
_DATASOURCE_END = frozenset({"datasource_completed"})
_ERRORS = frozenset({"error", "datasource_error"})


class StreamIds(Protocol):
    """The ids a stream has shown so far (an :class:`EventReader` tracks them)."""

    @property
    def task_id(self) -> str | None:
        """The latest ``task_id``."""

    @property
    def conversation_id(self) -> str | None:
        """The first ``conversation_id``."""

    @property
    def message_id(self) -> str | None:
        """The first ``message_id``."""

    @property
    def workflow_run_id(self) -> str | None:
        """The first ``workflow_run_id``."""


class Collector(Protocol[E_contra, R_co]):
    """Aggregates the events of one stream into the blocking call's result type."""

    def add(self, event: E_contra) -> None:
        """Take one event into account."""

    def result(self, ids: StreamIds) -> R_co:
        """The aggregated result; ``ids`` is the stream's reader, which tracked the ids."""
        ...


@dataclass(frozen=True, slots=True)
class StreamProtocol(Generic[E, R]):
    """How one kind of stream is read and collected.

    Validators are built when first needed: a frame whose ``event`` names a model of the
    union is validated straight into that model (built on the first such frame); the whole
    union (every event model of the family) is built only for a frame that names none.
    """

    family: StreamFamily
    events: Any
    """The tagged union of the family's events (e.g. ``ChatEvent``)."""
    collector: Callable[[], Collector[E, R]]
    stop_on_pause: bool = True
    """Whether ``workflow_paused`` ends the stream (not when resuming with continue_on_pause)."""
    _by_name: dict[bytes, Callable[[bytes], Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def adapter(self) -> TypeAdapter[E]:
        """The union's adapter (built on first use, then kept)."""
        return cast("TypeAdapter[E]", _adapter(self.events))

    def reader(self) -> EventReader[E]:
        """A fresh reader for one stream."""
        return EventReader(self)

    def validate_any(self, data: bytes) -> Any:
        """Validate a frame through the whole union (its ``event`` picks the model)."""
        return _adapter(self.events).validator.validate_json(data)

    def validator(self, name: bytes) -> Callable[[bytes], Any]:
        """The JSON validator for frames whose ``event`` is ``name`` (built once, then cached).

        A name the union does not know gets the union's validator (``UnknownEvent``).
        """
        found = self._by_name.get(name)
        if found is None:
            model = _tagged_models(self.events).get(name.decode("utf-8", "replace"))
            if model is None:
                found = self.validate_any
            else:
                found = TypeAdapter(model).validator.validate_json
            self._by_name[name] = found
        return found


@cache
def _adapter(union: Any) -> TypeAdapter[Any]:
    return TypeAdapter(union)


@cache
def _tagged_models(union: Any) -> dict[str, type[BaseEvent]]:
    """``{"message": MessageEvent, …}`` from ``Annotated[Union[Annotated[M, Tag(n)], …], …]``."""
    models: dict[str, type[BaseEvent]] = {}
    for member in get_args(get_args(union)[0]):
        model, *metadata = get_args(member)
        for item in metadata:
            tag = getattr(item, "tag", None)
            if isinstance(tag, str) and tag != "unknown":
                models[tag] = model
    return models


class EventReader(Generic[E]):
    """Feed it the body's byte chunks; it returns typed events and knows when the stream ended.

    ``ping`` frames are dropped. An ``error`` event is not returned: it ends the stream and
    :meth:`finish` raises it as :class:`~difykit_core.errors.DifyStreamError`.
    """

    __slots__ = (
        "_by_name",
        "_decoder",
        "_error",
        "_protocol",
        "_terminal",
        "_validate",
        "conversation_id",
        "done",
        "message_id",
        "task_id",
        "workflow_run_id",
    )

    def __init__(self, protocol: StreamProtocol[E, Any]) -> None:
        self._protocol = protocol
        self._decoder = SSEDecoder()
        self._validate: Callable[[bytes], Any] = protocol.validate_any
        self._by_name: dict[bytes, Callable[[bytes], Any]] = {}
        """This stream's validators by event name (taken from the protocol's cache once)."""
        self._terminal = self._terminals(graph=protocol.family == "workflow")
        """The event names that end this stream (chat streams switch at ``workflow_started``)."""
        self._error: DifyStreamError | None = None
        self.done: bool = False
        """True once the terminal event (or an error) arrived."""
        self.task_id: str | None = None
        self.conversation_id: str | None = None
        self.message_id: str | None = None
        self.workflow_run_id: str | None = None

    def feed(self, chunk: bytes) -> list[E]:
        """Decode a chunk; return the events it completed, up to the terminal one."""
        if self.done:
            return []
        events: list[E] = []
        for data, kind, _, _ in self._decoder.frames(chunk):
            event = self._parse(data, kind)
            self._track(event)
            name = event.event
            if name in _ERRORS:
                self._error = self._stream_error(event)
                self.done = True
                break
            events.append(event)
            if name == "workflow_started":
                self._terminal = self._terminals(graph=True)
            elif name in self._terminal:
                self.done = True
                break
        return events

    def finish(self) -> None:
        """The body ended (or the caller stopped reading): raise what went wrong, if anything.

        Raises:
            DifyStreamError: The stream carried an ``error`` event.
            StreamInterruptedError: The body ended before a terminal event.
        """
        if self._error is not None:
            raise self._error
        if not self.done:
            raise StreamInterruptedError(
                "the stream ended before its terminal event"
                + (f" (task_id={self.task_id})" if self.task_id else "")
            )

    def _stream_error(self, event: BaseEvent) -> DifyStreamError:
        if isinstance(event, ErrorEvent):
            message, code, status = event.message, event.code, event.status
        else:  # ``datasource_error`` carries only ``error``
            error = getattr(event, "error", None)
            message, code, status = (error if isinstance(error, str) else ""), None, None
        return DifyStreamError(
            message or "Dify reported an error in the stream",
            code=code,
            status=status,
            task_id=self.task_id,
        )

    def _terminals(self, *, graph: bool) -> frozenset[str]:
        if self._protocol.family == "datasource":
            return _DATASOURCE_END
        if graph:
            return _GRAPH_END if self._protocol.stop_on_pause else _GRAPH_END_NO_PAUSE
        return _MESSAGE_END

    def _validator(self, name: bytes) -> Callable[[bytes], Any]:
        found = self._by_name[name] = self._protocol.validator(name)
        return found

    def _parse(self, data: bytes, kind: str | None) -> E:
        validate = self._validate
        # Dify's frames start with their event name: validate straight into that model.
        if data.startswith(b'{"event":"'):
            name = data[10 : data.find(b'"', 10)]
            validate = self._by_name.get(name) or self._validator(name)
        elif data.startswith(b'{"event": "'):
            name = data[11 : data.find(b'"', 11)]
            validate = self._by_name.get(name) or self._validator(name)
        try:
            return cast(E, validate(data))
        except ValidationError as exc:
            # A known event whose fields changed shape must not break the stream: keep it raw.
            try:
                raw = json.loads(data)
            except ValueError:
                raise ResponseValidationError(
                    f"a stream frame is not JSON: {data[:200]!r}"
                ) from exc
            if not isinstance(raw, dict):
                raise ResponseValidationError(
                    f"a stream frame is not a JSON object: {data[:200]!r}"
                ) from exc
            envelope = cast("dict[str, object]", raw)  # a JSON object: its keys are strings
            envelope.setdefault("event", kind or "")
            try:
                return cast(E, UnknownEvent.model_validate(envelope))
            except ValidationError as envelope_exc:
                # Even the envelope (event, ids, created_at) has the wrong shape.
                raise ResponseValidationError(
                    f"a stream frame does not match Dify's event envelope: {envelope_exc}"
                ) from exc

    def _track(self, event: BaseEvent) -> None:
        if event.task_id is not None:
            self.task_id = event.task_id
        if event.conversation_id is not None and self.conversation_id is None:
            self.conversation_id = event.conversation_id
        if event.message_id is not None and self.message_id is None:
            self.message_id = event.message_id
        if event.workflow_run_id is not None and self.workflow_run_id is None:
            self.workflow_run_id = event.workflow_run_id
