"""``ExporterStats``: what the exporter did, for dashboards and tests."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ExporterStats"]


@dataclass(frozen=True, slots=True)
class ExporterStats:
    """A snapshot of the exporter's counters (calls are Dify calls; spans are Respan logs)."""

    calls_enqueued: int = 0
    """Calls handed to the worker."""
    calls_dropped_queue_full: int = 0
    """Calls dropped because the queue was full (the caller was never blocked)."""
    calls_sampled_out: int = 0
    """Calls left out by sampling (``sample_rate`` or ``sample=False``)."""
    calls_failed_to_build: int = 0
    """Calls whose spans could not be built (logged; a bug to report)."""
    spans_sent: int = 0
    """Spans Respan accepted."""
    spans_failed: int = 0
    """Spans dropped after a permanent error or the last retry."""
    spans_dropped_breaker: int = 0
    """Spans dropped unsent while the circuit breaker was open (Respan unreachable)."""
    spans_dropped_by_hook: int = 0
    """Spans ``before_send`` returned ``None`` for."""
    batches_sent: int = 0
    retries: int = 0
    queue_size: int = 0
    """Calls waiting for the worker now."""
    breaker_open: bool = False
    """Whether sends are paused now after repeated failures."""
