"""The background pipeline: a bounded queue, one worker thread, batches, retries, a breaker.

The caller's path only calls :meth:`Pipeline.submit` (a lock, an append, a counter). The
worker wakes every ``flush_interval`` (sooner when a batch is full or a flush is asked for),
builds the spans of the queued calls, encodes them, and posts them in batches bounded by count
and bytes. Network errors, 408, 429 and 5xx are retried with exponential backoff and full jitter
(honouring ``Retry-After`` and the body's ``retry_after``) within a per-batch deadline; other
4xx are not (413 splits the batch once). After ``breaker_threshold`` batches failed in a row the
breaker opens: for ``breaker_cooldown`` seconds batches are dropped unsent (and counted), so an
outage costs neither memory nor the caller anything. The worker survives ``fork()`` (the child
starts afresh) and the process exit flushes what is queued.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic_core import to_json

from ._exporter import ExportResult, HttpIngestExporter, SpanExporter
from ._stats import ExporterStats

if TYPE_CHECKING:
    from ._record import CallRecord
    from ._settings import ExporterSettings

__all__ = ["Pipeline", "backoff_delay", "keep_trace"]

logger = logging.getLogger("difykit.respan")


def backoff_delay(
    attempt: int, *, base: float, cap: float, retry_after: float | None, jitter: float
) -> float:
    """Seconds before retry number ``attempt`` (0-based): the server's wish, else full jitter.

    Args:
        attempt: Retries already made for this batch.
        base: The first retry's upper bound.
        cap: No delay exceeds it.
        retry_after: What the server asked for, if anything.
        jitter: A random number in [0, 1).
    """
    if retry_after is not None:
        return min(cap, retry_after)
    return jitter * min(cap, base * 2.0**attempt)


def keep_trace(trace_id: str, rate: float) -> bool:
    """Head sampling by trace id: the same trace is always kept or dropped together."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    digits = "".join(c for c in trace_id[:32].lower() if c in "0123456789abcdef")[:16]
    if len(digits) < 16:
        import hashlib

        digits = hashlib.sha256(trace_id.encode()).hexdigest()[:16]
    return int(digits, 16) / 2**64 < rate


@dataclass(slots=True)
class _Counters:
    calls_enqueued: int = 0
    calls_dropped_queue_full: int = 0
    calls_sampled_out: int = 0
    calls_failed_to_build: int = 0
    spans_sent: int = 0
    spans_failed: int = 0
    spans_dropped_breaker: int = 0
    spans_dropped_by_hook: int = 0
    batches_sent: int = 0
    retries: int = 0


class Pipeline:
    """Queue, worker and delivery of one observer (see the module docstring)."""

    def __init__(
        self,
        settings: ExporterSettings,
        exporter: SpanExporter | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Make the pipeline; the worker starts with the first call handed over."""
        self.settings = settings
        if exporter is None:
            from . import __version__

            if settings.api_key is None:
                raise ValueError("a Respan API key is needed to send to Respan's ingest API")
            exporter = HttpIngestExporter(
                settings.api_key,
                settings.endpoint,
                timeout=settings.request_timeout,
                user_agent=f"difykit-exporter-respan/{__version__}",
            )
        self.exporter = exporter
        self._clock = clock
        self._closed = False
        self._reset()
        me: weakref.ReferenceType[Pipeline] = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _call(me, Pipeline._reset))
        atexit.register(_call, me, Pipeline._at_exit)

    def _reset(self) -> None:
        """A fresh queue, locks and (lazily) worker: at creation and in a forked child."""
        self._counters = _Counters()
        self._queue: deque[CallRecord] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._settled = threading.Condition(threading.Lock())
        self._accepted = 0
        self._done = 0
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._breaker_until = 0.0

    # --- the caller's path ---------------------------------------------------------------------

    def submit(self, record: CallRecord) -> None:
        """Queue one finished call (drop and count it when the queue is full); never blocks."""
        with self._lock:
            if self._closed:
                return
            if len(self._queue) >= self.settings.max_queue_size:
                self._counters.calls_dropped_queue_full += 1
                return
            self._queue.append(record)
            self._accepted += 1
            self._counters.calls_enqueued += 1
            if self._thread is None:
                self._start()
            full = len(self._queue) >= self.settings.max_batch_size
        if full:
            self._wake.set()

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name="difykit-respan-exporter", daemon=True)
        self._thread = thread
        thread.start()

    # --- control -------------------------------------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every call queued before now is sent or dropped; ``False`` on timeout."""
        with self._lock:
            target = self._accepted
            running = self._thread is not None
        if not running:
            return self._done >= target
        self._wake.set()
        with self._settled:
            return self._settled.wait_for(lambda: self._done >= target, timeout)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Flush within ``timeout``, then stop the worker and close the exporter."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            thread = self._thread
        done = True
        if thread is not None:
            deadline = self._clock() + timeout
            done = self.flush(timeout)
            self._abort.set()  # a worker still retrying gives up now
            self._wake.set()
            thread.join(max(0.05, deadline - self._clock()))
        try:
            self.exporter.shutdown()
        except Exception:  # the exporter never raises into the host app
            logger.exception("exporter shutdown failed")
        return done

    def _at_exit(self) -> None:
        if not self._closed:
            self.shutdown(self.settings.exit_timeout)

    def stats(self) -> ExporterStats:
        """A snapshot of the counters."""
        c = self._counters
        return ExporterStats(
            calls_enqueued=c.calls_enqueued,
            calls_dropped_queue_full=c.calls_dropped_queue_full,
            calls_sampled_out=c.calls_sampled_out,
            calls_failed_to_build=c.calls_failed_to_build,
            spans_sent=c.spans_sent,
            spans_failed=c.spans_failed,
            spans_dropped_breaker=c.spans_dropped_breaker,
            spans_dropped_by_hook=c.spans_dropped_by_hook,
            batches_sent=c.batches_sent,
            retries=c.retries,
            queue_size=len(self._queue),
            breaker_open=self._clock() < self._breaker_until,
        )

    # --- the worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self.settings.flush_interval)
            self._wake.clear()
            try:
                self._drain()
            except Exception:  # the worker must survive anything; a bug is logged, not raised
                logger.exception("the Respan exporter's worker failed; it carries on")
            if self._closed and not self._queue:
                return

    def _drain(self) -> None:
        while self._queue:
            records: list[CallRecord] = []
            while self._queue and len(records) < 1000:
                records.append(self._queue.popleft())
            encoded = self._encode(records)
            for batch in self._batches(encoded):
                self._deliver(batch)
            self._settle(len(records))

    def _settle(self, count: int) -> None:
        with self._settled:
            self._done += count
            self._settled.notify_all()

    def _encode(self, records: list[CallRecord]) -> list[bytes]:
        from ._spans import build_spans

        settings = self.settings
        out: list[bytes] = []
        for record in records:
            try:
                spans = build_spans(record, settings)
            except Exception:  # one odd call must not stop the others
                self._counters.calls_failed_to_build += 1
                logger.exception(
                    "could not build the Respan log of a %s call", record.call.operation
                )
                continue
            if not spans or not self._sampled(spans[0], record):
                self._counters.calls_sampled_out += 1
                continue
            for span in spans:
                hooked = self._before_send(span)
                if hooked is None:
                    self._counters.spans_dropped_by_hook += 1
                    continue
                # Compact UTF-8 JSON, in Rust; NaN and infinity (which JSON lacks) as null.
                out.append(to_json(hooked, fallback=str, inf_nan_mode="null"))
        return out

    def _sampled(self, root: dict[str, object], record: CallRecord) -> bool:
        forced = root.pop("_sample", None)
        if isinstance(forced, bool):
            return forced
        if record.outcome != "end" or root.get("status") == "error":
            return True  # failed calls are always kept
        return keep_trace(str(root.get("trace_unique_id", "")), self.settings.sample_rate)

    def _before_send(self, span: dict[str, object]) -> dict[str, object] | None:
        hook = self.settings.before_send
        if hook is None:
            return span
        try:
            return hook(span)
        except Exception:  # a user hook must not lose the span or stop the worker
            logger.exception("before_send raised; the span is sent unchanged")
            return span

    def _batches(self, spans: list[bytes]) -> list[list[bytes]]:
        settings = self.settings
        batches: list[list[bytes]] = []
        current: list[bytes] = []
        size = 2
        for span in spans:
            if current and (
                len(current) >= settings.max_batch_size
                or size + len(span) + 1 > settings.max_batch_bytes
            ):
                batches.append(current)
                current, size = [], 2
            current.append(span)
            size += len(span) + 1
        if current:
            batches.append(current)
        return batches

    def _deliver(self, batch: Sequence[bytes], *, split: bool = True) -> None:
        settings = self.settings
        counters = self._counters
        if self._clock() < self._breaker_until:
            counters.spans_dropped_breaker += len(batch)
            return
        deadline = self._clock() + settings.batch_deadline
        attempt = 0
        while True:
            result = self._export(batch)
            if result.ok:
                counters.spans_sent += len(batch)
                counters.batches_sent += 1
                self._failures = 0
                return
            if result.too_large and split and len(batch) > 1:
                half = len(batch) // 2
                self._deliver(batch[:half], split=False)
                self._deliver(batch[half:], split=False)
                return
            attempt += 1
            delay = backoff_delay(
                attempt - 1,
                base=settings.backoff_base,
                cap=settings.backoff_cap,
                retry_after=result.retry_after,
                jitter=random.random(),
            )
            if (
                not result.retryable
                or attempt >= settings.max_attempts
                or self._abort.is_set()
                or self._clock() + delay > deadline
            ):
                break
            counters.retries += 1
            logger.debug("Respan ingest failed (%s); retry in %.2f s", result.detail, delay)
            if self._abort.wait(delay):
                break
        counters.spans_failed += len(batch)
        if result.retryable:
            self._failures += 1
            if self._failures >= settings.breaker_threshold:
                self._breaker_until = self._clock() + settings.breaker_cooldown
                logger.warning(
                    "Respan ingest failed %d times in a row (%s): pausing sends for %.0f s",
                    self._failures,
                    result.detail or result.status_code,
                    settings.breaker_cooldown,
                )
                # Half-open: after the cooldown, one more failed batch opens it again.
                self._failures = settings.breaker_threshold - 1

    def _export(self, batch: Sequence[bytes]) -> ExportResult:
        try:
            return self.exporter.export(batch)
        except Exception as exc:  # a custom exporter that raises is a failed export
            logger.exception("the span exporter raised")
            return ExportResult(ok=False, retryable=False, detail=repr(exc))


def _call(ref: weakref.ReferenceType[Pipeline], method: Callable[[Pipeline], None]) -> None:
    pipeline = ref()
    if pipeline is not None:
        try:
            method(pipeline)
        except Exception:  # at fork or exit: never raise into the host app
            logger.exception("Respan exporter: %s failed", method.__name__)
