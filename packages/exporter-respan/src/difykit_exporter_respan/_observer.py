"""``RespanObserver``: the difykit observer that logs every call to Respan.

Its hooks run on the caller's path and do O(1) work: a stream's subscribed events (node,
loop, iteration and agent-thought events; never ``message`` chunks) are appended to a per-call
list, and the end of the call hands one :class:`~._record.CallRecord` to the background
pipeline. Everything else (mapping, redaction, JSON, HTTP) happens in the worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

from difykit_core.transport import CallEnd, CallInfo, Observer

from ._context import CONTEXT_KEY
from ._record import CallRecord, TimedEvent
from ._settings import ExporterSettings

if TYPE_CHECKING:
    from ._exporter import SpanExporter
    from ._pipeline import Pipeline
    from ._stats import ExporterStats

__all__ = ["EVENT_KINDS", "RespanObserver"]

logger = logging.getLogger("difykit.respan")

EVENT_KINDS: frozenset[str] = frozenset(
    {
        "workflow_started",
        "node_started",
        "node_finished",
        "node_retry",
        "iteration_started",
        "iteration_completed",
        "loop_started",
        "loop_completed",
        "agent_thought",
    }
)
"""The stream events the observer subscribes to: what builds child spans, nothing per token."""


class RespanObserver(Observer):
    """Logs every Dify call of the clients it is attached to to Respan, off the caller's path.

    Attach it with ``Dify(..., observers=[observer])`` (or :func:`create_client`). Each call
    becomes one root log (plus child spans for workflow nodes and agent thoughts), built and
    sent in batches by one background thread. Without an API key it is a no-op (one warning).

    Example::

        observer = RespanObserver(api_key="rk-…")
        dify = Dify(api_key="app-…", observers=[observer])
        dify.chat.send(query="Hi", user="u1")
        observer.flush()

    Args:
        api_key: The Respan API key; default ``RESPAN_API_KEY``.
        endpoint: The ingest URL; default ``RESPAN_ENDPOINT``, else ``RESPAN_BASE_URL`` +
            ``/v1/traces/ingest``, else Respan's.
        include_content: Send inputs and outputs (``False``: ids, usage, cost, timing only).
        redact: Replace the values of credential-like keys (``api_key``, ``token``…) by
            ``"[REDACTED]"`` in what is sent.
        sample_rate: Fraction of traces kept (0 to 1, decided per trace id); default
            ``RESPAN_SAMPLE_RATE`` or 1. Failed calls are always kept.
        before_send: Called in the worker with each span dict; return it (changed or not),
            or ``None`` to drop it. Its exceptions are logged and the span is sent unchanged.
        max_content_chars: Cap on each content field (longer text is cut with a marker).
        max_queue_size: Calls waiting for the worker; beyond it calls are dropped and counted.
        max_batch_size: Spans per request (at most 500).
        max_batch_bytes: Encoded bytes per request.
        flush_interval: Seconds between sends when batches are not full.
        max_attempts: Attempts per batch (network errors, 408, 429, 5xx are retried).
        backoff_base: Upper bound of the first retry's delay (full jitter, doubling).
        backoff_cap: Longest delay between attempts, ``Retry-After`` included.
        batch_deadline: Seconds after which a batch's retries stop.
        breaker_threshold: Failed batches in a row that pause sending.
        breaker_cooldown: Seconds sending stays paused (batches meanwhile are dropped, counted).
        request_timeout: Seconds per ingest request.
        exit_timeout: Seconds the exit hook waits to send what is queued.
        exporter: Where spans go instead of Respan's ingest API (e.g.
            :class:`~difykit_exporter_respan.testing.InMemoryExporter`).

    Raises:
        ValueError: An option is out of range (the message names it).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        endpoint: str | None = None,
        include_content: bool = True,
        redact: bool = True,
        sample_rate: float | None = None,
        before_send: Callable[[dict[str, object]], dict[str, object] | None] | None = None,
        max_content_chars: int = 32_000,
        max_queue_size: int = 2048,
        max_batch_size: int = 100,
        max_batch_bytes: int = 4_000_000,
        flush_interval: float = 2.0,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        batch_deadline: float = 60.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 30.0,
        request_timeout: float = 10.0,
        exit_timeout: float = 5.0,
        exporter: SpanExporter | None = None,
    ) -> None:
        self.settings: ExporterSettings = ExporterSettings.resolve(
            api_key=api_key,
            endpoint=endpoint,
            include_content=include_content,
            redact=redact,
            sample_rate=sample_rate,
            before_send=before_send,
            max_content_chars=max_content_chars,
            max_queue_size=max_queue_size,
            max_batch_size=max_batch_size,
            max_batch_bytes=max_batch_bytes,
            flush_interval=flush_interval,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            batch_deadline=batch_deadline,
            breaker_threshold=breaker_threshold,
            breaker_cooldown=breaker_cooldown,
            request_timeout=request_timeout,
            exit_timeout=exit_timeout,
            custom_exporter=exporter is not None,
        )
        """The options in use, resolved once from the arguments and ``RESPAN_*`` variables."""
        self.event_kinds: frozenset[str] = EVENT_KINDS
        """The stream events this observer receives (read once by each client)."""
        self._open: dict[int, list[TimedEvent]] = {}
        self._pipeline: Pipeline | None = None
        if self.settings.enabled:
            from ._pipeline import Pipeline

            self._pipeline = Pipeline(self.settings, exporter)

    @property
    def enabled(self) -> bool:
        """Whether calls are logged (``False`` without an API key or with ``RESPAN_DISABLED``)."""
        return self._pipeline is not None

    # --- hooks (the caller's path) -------------------------------------------------------------

    def on_event(self, call: CallInfo, event: object, elapsed: float) -> None:
        """Keep a subscribed event for the call's child spans."""
        events = self._open.get(id(call))
        if events is None:
            events = self._open[id(call)] = []
        events.append((event, elapsed))

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        """Hand the finished call to the worker."""
        self._submit(CallRecord(call, "end", end, None, None, self._open.pop(id(call), None)))

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        """Hand the failed call to the worker."""
        self._submit(CallRecord(call, "error", end, error, None, self._open.pop(id(call), None)))

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        """Hand the cancelled call to the worker."""
        self._submit(CallRecord(call, "cancel", end, None, reason, self._open.pop(id(call), None)))

    def _submit(self, record: CallRecord) -> None:
        pipeline = self._pipeline
        if pipeline is None:
            return
        params = record.call.context.get(CONTEXT_KEY)
        if (
            isinstance(params, Mapping)
            and cast("Mapping[object, object]", params).get("disable_log") is True
        ):
            return
        pipeline.submit(record)

    # --- lifecycle -----------------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Send everything handed over so far; ``True`` if done within ``timeout`` seconds."""
        return True if self._pipeline is None else self._pipeline.flush(timeout)

    async def aflush(self, timeout: float = 5.0) -> bool:
        """:meth:`flush` in a thread, so the event loop keeps running."""
        if self._pipeline is None:
            return True
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self._pipeline.flush, timeout)

    def force_flush(self, timeout: float = 5.0) -> bool:
        """Alias of :meth:`flush` (the exporter shape of OpenTelemetry)."""
        return self.flush(timeout)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush, then stop the worker; later calls are not logged. ``True`` if all was sent."""
        return True if self._pipeline is None else self._pipeline.shutdown(timeout)

    async def ashutdown(self, timeout: float = 5.0) -> bool:
        """:meth:`shutdown` in a thread, so the event loop keeps running."""
        if self._pipeline is None:
            return True
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self._pipeline.shutdown, timeout)

    def stats(self) -> ExporterStats:
        """Counters of what was handed over, sent, retried and dropped."""
        from ._stats import ExporterStats

        return ExporterStats() if self._pipeline is None else self._pipeline.stats()

    def __enter__(self) -> RespanObserver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"RespanObserver({state}, endpoint={self.settings.endpoint!r})"
