"""What the caller's path hands to the worker: one small record per call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from difykit_core.transport import CallEnd, CallInfo

__all__ = ["CallRecord", "Outcome", "TimedEvent"]

Outcome = Literal["end", "error", "cancel"]

TimedEvent = tuple[object, float]
"""A subscribed stream event and the seconds since the call started when it arrived."""


@dataclass(slots=True)
class CallRecord:
    """One finished call, as the observer saw it (built in O(1) on the caller's path)."""

    call: CallInfo
    outcome: Outcome
    end: CallEnd
    error: Exception | None = None
    """``on_error``'s error."""
    reason: str | None = None
    """``on_cancel``'s reason (``"closed"``, ``"dropped"``, ``"CancelledError"``…)."""
    events: list[TimedEvent] | None = None
    """The subscribed events (graph nodes, agent thoughts), in arrival order."""
