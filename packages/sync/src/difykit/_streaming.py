"""``Stream``: a context manager and iterator of typed events over one streaming response."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

import httpx
from difykit_core import CallInfo, HttpResponse
from difykit_core.errors import DifyError, StreamInterruptedError

from ._transport import Transport

if TYPE_CHECKING:
    from difykit_core import StreamCall
    from difykit_core._stream import EventReader
    from difykit_core.models.events import BaseEvent

__all__ = ["Stream"]

E = TypeVar("E", bound="BaseEvent")
R = TypeVar("R")


class Stream(Generic[E, R]):
    """The events of one streaming call, typed and in order.

    The request is sent when the stream is entered (``with``), first iterated, or collected.
    Iteration ends after the terminal event; an ``error`` event raises
    :class:`~difykit_core.errors.DifyStreamError`, a body that ends early or stays silent longer
    than the idle timeout raises :class:`~difykit_core.errors.StreamInterruptedError`.
    ``task_id``, ``conversation_id``, ``message_id`` and ``workflow_run_id`` are set once seen.
    """

    def __init__(self, transport: Transport, call: StreamCall[E, R]) -> None:
        self._transport = transport
        self._call = call
        self._reader: EventReader[E] = call.protocol.reader()
        self._response: httpx.Response | None = None
        self._events: Iterator[E] | None = None
        self._info: CallInfo | None = None
        self._started = 0.0
        self._closed = False

    # --- ids seen so far ---------------------------------------------------------------------

    @property
    def task_id(self) -> str | None:
        """The task id (what ``stop`` takes), once seen."""
        return self._reader.task_id

    @property
    def conversation_id(self) -> str | None:
        """The conversation id (chat apps), once seen."""
        return self._reader.conversation_id

    @property
    def message_id(self) -> str | None:
        """The message id (chat and completion apps), once seen."""
        return self._reader.message_id

    @property
    def workflow_run_id(self) -> str | None:
        """The workflow run id (workflows and chatflows), once seen."""
        return self._reader.workflow_run_id

    # --- protocol ----------------------------------------------------------------------------

    def __enter__(self) -> Stream[E, R]:
        self._open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[E]:
        return self

    def __next__(self) -> E:
        if self._events is None:
            self._events = self._iterate()
        return next(self._events)

    def collect(self) -> R:
        """Read the rest of the stream and aggregate it into the blocking call's result."""
        collector = self._call.protocol.collector()
        for event in self:
            collector.add(event)
        return collector.result(self._reader)

    def close(self) -> None:
        """Close the connection (a stream left before its end tells observers it ended)."""
        if self._closed:
            return
        self._closed = True
        if self._response is not None:
            self._response.close()
        if self._info is not None and not self._reader.done:
            for observer in self._transport.observers:
                observer.on_end(self._info, None, time.monotonic() - self._started)

    # --- internals ---------------------------------------------------------------------------

    def _open(self) -> tuple[httpx.Response, CallInfo]:
        if self._response is not None and self._info is not None:
            return self._response, self._info
        if self._closed:
            raise StreamInterruptedError("the stream was closed before it was read")
        transport, call = self._transport, self._call
        if call.uploads:
            call = self._call = call.with_uploads([transport.execute(u) for u in call.uploads])
        info, self._started = transport.start(
            call.operation, call.request, call.user, streaming=True
        )
        self._info = info
        try:
            response = transport.send(call.request, replayable=call.replayable, stream=True)
            if response.status_code >= 300:
                response.read()
                response.close()
                call.raise_for_status(
                    HttpResponse(response.status_code, response.headers, response.content),
                    api_key=transport.api_key,
                )
        except DifyError as error:
            self._fail(error)
            raise
        self._response = response
        return response, info

    def _iterate(self) -> Iterator[E]:
        response, info = self._open()
        reader, observers = self._reader, self._transport.observers
        last: E | None = None
        try:
            for chunk in response.iter_bytes():
                for event in reader.feed(chunk):
                    last = event
                    for observer in observers:
                        observer.on_event(info, event, time.monotonic() - self._started)
                    yield event
                if reader.done:
                    break
            reader.finish()
        except httpx.ReadTimeout as exc:
            error: DifyError = StreamInterruptedError(
                f"no data for {self._transport.stream_idle_timeout:g} s"
                + (f" (task_id={reader.task_id})" if reader.task_id else "")
            )
            self._fail(error)
            raise error from exc
        except httpx.TransportError as exc:
            error = StreamInterruptedError(f"the connection broke mid-stream: {exc}")
            self._fail(error)
            raise error from exc
        except DifyError as exc:
            self._fail(exc)
            raise
        finally:
            self._closed = True
            response.close()
        for observer in observers:
            observer.on_end(info, last, time.monotonic() - self._started)

    def _fail(self, error: DifyError) -> None:
        self._closed = True
        if self._info is not None:
            self._transport.notify_error(self._info, self._started, error)
