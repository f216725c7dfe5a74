"""The life of one call, without I/O: what to send, what an answer means, when it ended.

A transport makes one exchange per call and drives it::

    exchange = Exchange(call, config)
    exchange.start()                              # observers: on_start
    try:
        while True:
            try:
                response = send(exchange.request)     # the transport's I/O
            except TransportError as exc:
                decision = exchange.fail(TransportFailure(sent, timeout, kind, message))
            else:
                decision = exchange.receive(response)
            if isinstance(decision, Result): return decision.value
            if isinstance(decision, Raise): raise decision.error
            sleep(decision.seconds)                   # RetryAfter
    except BaseException as exc:
        exchange.abandon(exc)                     # a cancel (or a bug) still ends the call
        raise

The exchange maps each error answer once, applies the retry rules (:mod:`._retry`), and tells
the observers exactly once how the call ended. A :class:`StreamExchange` also decodes the body:
the transport feeds it byte chunks and gets typed events back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ._context import current_call_context
from ._observer import CallEnd, CallInfo
from ._retry import next_delay, parse_retry_after
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DifyError,
    RateLimitError,
    ResponseValidationError,
    StreamInterruptedError,
)

if TYPE_CHECKING:
    from ._call import Call, Operation, StreamCall
    from ._config import ClientConfig
    from ._http import HttpRequest, HttpResponse
    from ._stream import Collector, EventReader
    from .models.events import BaseEvent
    from .models.files import UploadedFile

__all__ = [
    "Exchange",
    "Raise",
    "Result",
    "RetryAfter",
    "StreamExchange",
    "TransportFailure",
]

T = TypeVar("T")
E = TypeVar("E", bound="BaseEvent")
R = TypeVar("R")
C = TypeVar("C", bound="Operation")


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """A request that got no answer, as the transport saw it."""

    sent: bool
    """Whether the request may have reached Dify (``False`` for a failure to connect)."""
    timeout: bool
    """Whether it was a timeout (connect, read, write or pool)."""
    kind: str
    """The transport's name for it, e.g. ``"ReadTimeout"``."""
    message: str
    """What the transport said."""


@dataclass(slots=True)
class Result(Generic[T]):
    """Decision: the call succeeded with ``value`` (treat decisions as immutable: they are not
    frozen only because frozen dataclasses cost a microsecond per call on the hot path)."""

    value: T


@dataclass(slots=True)
class Raise:
    """Decision: the call failed; raise ``error``."""

    error: DifyError


@dataclass(slots=True)
class RetryAfter:
    """Decision: sleep ``seconds``, then send :attr:`Exchange.request` again."""

    seconds: float


_OPEN: Result[None] = Result(None)
_TOKEN_EVENTS = frozenset({"message", "agent_message", "text_chunk"})
"""Events that carry answer text: the first one is the call's first token."""
_SLICE = 4096
"""Bytes of a large chunk decoded at a time, so its first event is not held back."""


class _Life(Generic[C]):
    """Start, attempts and the one end of a call; shared by both exchanges."""

    _streaming = False

    __slots__ = (
        "_config",
        "_context",
        "_info",
        "_started",
        "attempts",
        "call",
        "ended",
        "status_code",
    )

    call: C
    """The call being made (its local files replaced by their uploads once uploaded)."""

    @property
    def request(self) -> HttpRequest:
        """What to send (again, after a :class:`RetryAfter`)."""
        return self.call.request

    @property
    def uploads(self) -> Sequence[Call[UploadedFile]]:
        """Local files to upload before sending; give the results to :meth:`uploaded`."""
        return self.call.uploads

    def uploaded(self, files: Sequence[UploadedFile]) -> None:
        """Replace the call's local files by their uploads."""
        self.call = self.call.with_uploads(files)

    def start(self) -> None:
        """The call starts: observers get ``on_start`` (call before uploading or sending)."""
        call = self.call
        self._start(call.operation, call.request, call.user, self._streaming)

    def fail(self, failure: TransportFailure) -> Raise | RetryAfter:
        """The request got no answer (before a stream opened): the error, or a retry."""
        self.attempts += 1
        return self._retry_or_raise(
            _transport_error(failure, self._config.base_url, self.call.request.path),
            replayable=self.call.replayable,
            failure=failure,
        )

    def __init__(self, config: ClientConfig) -> None:
        self._config = config
        self._context = current_call_context()
        self._info: CallInfo | None = None
        self._started = 0.0
        self.attempts: int = 0
        """HTTP attempts so far."""
        self.status_code: int | None = None
        """The last status Dify answered with."""
        self.ended = False
        """True once the call ended (observers were told, or there are none)."""

    def _start(self, operation: str, request: HttpRequest, user: str | None, stream: bool) -> None:
        config = self._config
        if not config.observers.observers or self._info is not None:
            return
        self._started = config.clock()
        self._info = CallInfo(
            operation,
            request,
            user,
            config.wall_clock(),
            stream,
            config.app,
            self._context,
        )
        config.observers.start(self._info)

    def _retry_or_raise(
        self,
        error: DifyError,
        *,
        replayable: bool,
        response: HttpResponse | None = None,
        failure: TransportFailure | None = None,
    ) -> Raise | RetryAfter:
        config = self._config
        delay = next_delay(
            config.retry,
            self.attempts - 1,
            replayable=replayable,
            status=response.status_code if response is not None else None,
            headers=response.headers if response is not None else None,
            failure=None if failure is None else "read" if failure.sent else "connect",
            rate_limited=isinstance(error, RateLimitError),
            now=config.wall_clock(),
            jitter=config.jitter(),
        )
        if delay is None:
            if isinstance(error, APIStatusError) and response is not None:
                asked = parse_retry_after(response.headers, now=config.wall_clock())
                if asked is not None:
                    error.retry_after = asked
                    if asked > config.retry.max_retry_after:
                        _say_not_waited(error, asked, config.retry.max_retry_after)
            self._fail(error)
            return Raise(error)
        return RetryAfter(delay)

    def _end(self, result: object = None) -> CallEnd:
        return CallEnd(
            self._config.clock() - self._started, self.attempts, self.status_code, result
        )

    def _partial(self) -> object:
        return None

    def _succeed(self, result: object) -> None:
        self.ended = True
        if self._info is not None:
            self._config.observers.end(self._info, self._end(result))

    def _fail(self, error: Exception) -> None:
        if self.ended:
            return
        self.ended = True
        if self._info is not None:
            self._config.observers.error(self._info, error, self._end(self._partial()))

    def cancel(self, reason: str) -> None:
        """The caller stopped the call (``reason``: ``"closed"``, ``"dropped"``, an exception's
        name): tell observers, unless it already ended or never started."""
        if self.ended:
            return
        self.ended = True
        if self._info is not None:
            self._config.observers.cancel(self._info, reason, self._end(self._partial()))

    def abandon(self, exc: BaseException) -> None:
        """``exc`` escaped from the transport while the call ran: end the call with it.

        A :class:`BaseException` that is not an ``Exception`` (``CancelledError``,
        ``KeyboardInterrupt``, ``GeneratorExit``…) is a cancel; an unexpected ``Exception``
        (a local file that cannot be opened, a bug) is an error. Nothing happens when the call
        already ended (the exchange's own errors end it before they are raised).
        """
        if isinstance(exc, Exception):
            self._fail(exc)
        else:
            self.cancel(type(exc).__name__)


def _is_event_stream(headers: Mapping[str, str]) -> bool:
    """An event stream, or a body without a content type (read as one, leniently)."""
    kind = headers.get("content-type")
    return kind is None or kind.lstrip().lower().startswith("text/event-stream")


def _transport_error(failure: TransportFailure, base_url: str, path: str) -> DifyError:
    where = f"{failure.kind}, {base_url}{path}"
    if failure.timeout:
        return APITimeoutError(f"request timed out ({where}): {failure.message}")
    return APIConnectionError(f"connection failed ({where}): {failure.message}")


def _say_not_waited(error: APIStatusError, retry_after: float, cap: float) -> None:
    """Say in the error's message that the client would not wait ``retry_after`` seconds."""
    DifyError.__init__(
        error,
        f"{error.args[0]} (Dify asks to retry after {retry_after:g} s, more than "
        f"max_retry_after={cap:g} s, so the client did not wait)",
    )


class Exchange(_Life["Call[T]"], Generic[T]):
    """The life of one blocking call: decide result, error or retry; tell observers once."""

    __slots__ = ()

    def __init__(self, call: Call[T], config: ClientConfig) -> None:
        """Make the exchange for ``call``, capturing the per-call context now."""
        super().__init__(config)
        if call.legacy is not None and call.operation in config.legacy_operations:
            call = call.legacy  # this server is known to serve only the legacy route
        self.call = call

    def needs_body(self, status_code: int, headers: Mapping[str, str]) -> bool:
        """Whether :meth:`receive` needs the whole body: always, for a blocking call."""
        return True

    def receive(self, response: HttpResponse) -> Result[T] | Raise | RetryAfter:
        """Dify answered: the result, the mapped error, or a retry the rules allow."""
        self.attempts += 1
        self.status_code = response.status_code
        if response.status_code == 405 and self.call.legacy is not None:
            # An older Dify (1.13) does not serve this route: use its legacy one, now and later.
            self._config.legacy_operations.add(self.call.operation)
            self.call = self.call.legacy
            return RetryAfter(0.0)
        try:
            config = self._config
            result = self.call.parse(response, api_key=config.api_key, base_url=config.base_url)
        except APIStatusError as error:
            return self._retry_or_raise(error, replayable=self.call.replayable, response=response)
        except DifyError as error:  # the answer does not match the expected shape
            self._fail(error)
            return Raise(error)
        self.ended = True
        if self._info is not None:
            self._config.observers.end(self._info, self._end(result))
        return Result(result)


class StreamExchange(_Life["StreamCall[E, R]"], Generic[E, R]):
    """The life of one streaming call: open (with retries), decode, collect, end once.

    After :meth:`receive` returns a :class:`Result` the stream is open: feed the body's chunks to
    :meth:`feed`; when :attr:`done` or the body ends, call :meth:`finish`. A transport failure
    while reading goes to :meth:`interrupted`.
    """

    __slots__ = (
        "_collector",
        "_count",
        "_first",
        "_first_token",
        "_has_result",
        "_rest",
        "_result",
        "_wants_events",
        "reader",
    )

    _streaming = True

    def __init__(self, call: StreamCall[E, R], config: ClientConfig) -> None:
        """Make the exchange for ``call``, capturing the per-call context now."""
        super().__init__(config)
        self.call = call
        protocol = call.protocol
        self.reader: EventReader[E] = protocol.reader()
        """Tracks the stream's ids and terminal rules."""
        self._collector: Collector[E, R] = protocol.collector()
        self._first: float | None = None
        self._first_token: float | None = None
        self._count = 0
        self._result: R | None = None
        self._has_result = False
        self._rest: memoryview | None = None
        self._wants_events = config.observers.wants_events

    @property
    def done(self) -> bool:
        """Whether the terminal event (or an ``error`` event) was read: stop reading."""
        return self.reader.done

    def needs_body(self, status_code: int, headers: Mapping[str, str]) -> bool:
        """Whether to read the whole body before :meth:`receive`: for an error answer, or a 2xx
        that is not an event stream (an HTML page, a JSON body), so the error can quote it."""
        return not 200 <= status_code < 300 or not _is_event_stream(headers)

    def receive(self, response: HttpResponse) -> Result[None] | Raise | RetryAfter:
        """Dify answered (with the body :meth:`needs_body` asked for): a :class:`Result` opens
        the stream."""
        self.attempts += 1
        status = self.status_code = response.status_code
        if 200 <= status < 300:
            if _is_event_stream(response.headers):
                return _OPEN
            error = self._not_a_stream(response)
            self._fail(error)
            return Raise(error)
        try:
            self.call.raise_for_status(response, api_key=self._config.api_key)
        except APIStatusError as error:
            return self._retry_or_raise(error, replayable=self.call.replayable, response=response)
        raise AssertionError("a non-2xx status always maps to an error")  # pragma: no cover

    @property
    def buffered(self) -> bool:
        """Whether part of a fed chunk is still undecoded: call ``feed(b"")`` before reading."""
        return self._rest is not None

    def feed(self, chunk: bytes) -> list[E]:
        """Decode a chunk of the body; return the events it completed (up to the terminal one).

        A large chunk is decoded a slice at a time, so its first event comes back as soon as
        its frame is decoded: while :attr:`buffered`, ``feed(b"")`` decodes the next slice.
        """
        rest = self._rest
        if rest is not None:
            self._rest = rest[_SLICE:] if len(rest) > _SLICE else None
            chunk = bytes(rest[:_SLICE])
        elif len(chunk) > _SLICE:
            self._rest = memoryview(chunk)[_SLICE:]
            chunk = chunk[:_SLICE]
        events = self.reader.feed(chunk)
        if events:
            add = self._collector.add
            for event in events:
                add(event)
            self._count += len(events)
            if self._info is not None:
                if self._first is None:
                    self._first = self._config.clock() - self._started
                if self._first_token is None:
                    for event in events:
                        if event.event in _TOKEN_EVENTS:
                            self._first_token = self._config.clock() - self._started
                            break
            if self._wants_events and self._info is not None:
                self._dispatch(self._info, events)
        return events

    def finish(self) -> DifyError | None:
        """The terminal event came or the body ended: end the call; the error to raise, if any."""
        if self.ended:
            return None
        try:
            self.reader.finish()
        except DifyError as error:
            self._fail(error)
            return error
        self._succeed(self.result() if self._info is not None else None)
        return None

    def interrupted(self, failure: TransportFailure) -> DifyError:
        """The connection failed mid-stream: end the call; the error to raise."""
        if failure.timeout:
            error = StreamInterruptedError(
                f"no data for {self._config.stream_idle_timeout:g} s"
                + (f" (task_id={self.reader.task_id})" if self.reader.task_id else "")
            )
        else:
            error = StreamInterruptedError(f"the connection broke mid-stream: {failure.message}")
        self._fail(error)
        return error

    def result(self) -> R:
        """The collected result of the events read (aggregated once, then shared).

        Raises:
            StreamInterruptedError: A workflow stream without its ``workflow_finished``.
        """
        if not self._has_result:
            self._result = self._collector.result(self.reader)
            self._has_result = True
        return self._result  # type: ignore[return-value]  # set above

    def _end(self, result: object = None) -> CallEnd:
        return CallEnd(
            self._config.clock() - self._started,
            self.attempts,
            self.status_code,
            result,
            self._first,
            self._count,
            self._first_token,
        )

    def _not_a_stream(self, response: HttpResponse) -> DifyError:
        request = self.call.request
        kind = response.headers.get("content-type", "no content type")
        return ResponseValidationError(
            f"{self.call.operation}: {request.method} {self._config.base_url}{request.path} "
            f"answered HTTP {response.status_code} {kind} instead of an event stream (is base_url "
            f"a Dify Service API?): {response.content[:200]!r}"
        )

    def _partial(self) -> object:
        if not self._count:
            return None
        try:
            return self._collector.result(self.reader)
        except (DifyError, ValueError):  # nothing that aggregates yet
            return None

    def _dispatch(self, info: CallInfo, events: list[E]) -> None:
        observers = self._config.observers
        clock, started = self._config.clock, self._started
        for event in events:
            to = observers.subscribers(event.event)
            if to:
                observers.event(info, event, clock() - started, to)
