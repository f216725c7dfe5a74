"""``AsyncStream``: an async context manager and iterator of typed events over one response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

import httpx
from difykit_core.errors import DifyError, StreamInterruptedError
from difykit_core.transport import StreamExchange

from ._backend import close_in_background, close_response
from ._transport import Transport, transport_failure

if TYPE_CHECKING:
    from difykit_core.models.events import BaseEvent
    from difykit_core.transport import StreamCall

__all__ = ["AsyncStream"]

E = TypeVar("E", bound="BaseEvent")
R = TypeVar("R")


class AsyncStream(Generic[E, R]):
    """The events of one streaming call, typed and in order.

    The request is sent when the stream is entered (``async with``), first iterated, or
    collected. Iteration ends after the terminal event; an ``error`` event raises
    :class:`~difykit_core.errors.DifyStreamError`, a body that ends early or stays silent longer
    than the idle timeout raises :class:`~difykit_core.errors.StreamInterruptedError`.
    ``task_id``, ``conversation_id``, ``message_id`` and ``workflow_run_id`` are set once seen.
    Closing it early (or leaving the ``async with`` block) releases the connection and tells
    observers the call was cancelled.
    """

    def __init__(self, transport: Transport, call: StreamCall[E, R]) -> None:
        self._transport = transport
        self._exchange = StreamExchange(call, transport.config)
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._pending: list[E] = []
        self._next = 0
        self._error: DifyError | None = None
        self._opened = False
        self._closed = False

    # --- ids seen so far ---------------------------------------------------------------------

    @property
    def task_id(self) -> str | None:
        """The task id (what ``stop`` takes), once seen."""
        return self._exchange.reader.task_id

    @property
    def conversation_id(self) -> str | None:
        """The conversation id (chat apps), once seen."""
        return self._exchange.reader.conversation_id

    @property
    def message_id(self) -> str | None:
        """The message id (chat and completion apps), once seen."""
        return self._exchange.reader.message_id

    @property
    def workflow_run_id(self) -> str | None:
        """The workflow run id (workflows and chatflows), once seen."""
        return self._exchange.reader.workflow_run_id

    # --- protocol ----------------------------------------------------------------------------

    async def __aenter__(self) -> AsyncStream[E, R]:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._exchange.cancel(exc_type.__name__)  # no-op when the call already ended
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[E]:
        return self

    async def __anext__(self) -> E:
        pending = self._pending
        if self._next < len(pending):
            event = pending[self._next]
            self._next += 1
            return event
        if self._closed:
            if self._error is not None:
                raise self._error
            if not self._opened:
                raise StreamInterruptedError("the stream was closed before it was read")
            raise StopAsyncIteration
        chunks = self._chunks if self._chunks is not None else await self._open()
        exchange = self._exchange
        events: list[E] = []
        error: DifyError | None = None
        try:
            while not events:
                if exchange.buffered:  # the rest of a large chunk, a slice at a time
                    events = exchange.feed(b"")
                else:
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
                    events = exchange.feed(chunk)
                if exchange.done:
                    break
            if exchange.done or not events:  # the terminal event came, or the body ended
                error = await self._finish()
        except httpx.TransportError as exc:
            self._error = exchange.interrupted(transport_failure(exc, self._transport.pool))
            await self._release()
            raise self._error from exc
        except BaseException as exc:
            exchange.abandon(exc)  # a cancel (or a bug) ends the call once
            await self._release()
            raise
        if events:
            self._pending, self._next = events, 1
            return events[0]
        if error is not None:
            raise error
        raise StopAsyncIteration

    async def collect(self) -> R:
        """Read the rest of the stream and return the blocking call's result for all of it.

        The result covers every event, including those already iterated; it is aggregated
        once (observers get the same object).

        Raises:
            StreamInterruptedError: The stream was closed before its terminal event.
        """
        async for _ in self:
            pass
        if not self._exchange.done:
            raise StreamInterruptedError(
                "the stream was closed before its end, so it cannot be collected"
            )
        return self._exchange.result()

    async def aclose(self) -> None:
        """Close the connection; a stream closed before its end ends as cancelled ("closed")."""
        self._exchange.cancel("closed")  # no-op when the call already ended
        await self._release()

    def __del__(self) -> None:
        # A stream dropped unclosed: end the call and release its connection.
        if self._closed:
            return
        self._closed = True
        self._exchange.cancel("dropped")
        if self._response is not None:
            close_in_background(self._response)

    # --- internals ---------------------------------------------------------------------------

    async def _open(self) -> AsyncIterator[bytes]:
        if self._chunks is not None:
            return self._chunks
        if self._closed:
            raise StreamInterruptedError("the stream was closed before it was read")
        transport, exchange = self._transport, self._exchange
        exchange.start()
        try:
            if exchange.uploads:
                exchange.uploaded(await transport.upload_all(exchange.uploads))
            response, _ = await transport.attempt(exchange, stream=True)
        except BaseException as exc:
            exchange.abandon(exc)
            self._closed = True
            self._error = exc if isinstance(exc, DifyError) else None
            raise
        self._opened = True
        self._response = response
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        raw = encoding == "identity" and not response.is_stream_consumed
        # An uncompressed body (Dify's streams) is read raw: no decoder layer per chunk.
        self._chunks = response.aiter_raw() if raw else response.aiter_bytes()
        return self._chunks

    async def _finish(self) -> DifyError | None:
        self._error = error = self._exchange.finish()
        await self._release()
        return error

    async def _release(self) -> None:
        self._closed = True
        self._chunks = None
        response, self._response = self._response, None
        if response is not None:
            await close_response(response)
