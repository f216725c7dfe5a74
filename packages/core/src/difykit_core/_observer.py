"""The observer protocol: what a client tells exporters and loggers about each call.

Clients call observers on the caller's path, so an observer must be quick and must not raise
(hand the work to a queue, as the Respan exporter does). Times come from the transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ._http import HttpRequest
from .errors import DifyError

__all__ = ["CallInfo", "Observer"]


@dataclass(frozen=True, slots=True)
class CallInfo:
    """One call to Dify, as observers see it."""

    operation: str
    """The endpoint's name, e.g. ``"chat.stream"`` or ``"datasets.retrieve"``."""
    request: HttpRequest
    user: str | None
    started_at: float
    """Unix time when the call started (the transport's clock)."""
    streaming: bool = False


@runtime_checkable
class Observer(Protocol):
    """Receives the life of every call a client makes.

    ``elapsed`` is seconds since ``call.started_at`` on a monotonic clock. For a stream,
    ``on_event`` comes for each typed event (pings excluded) and ``on_end`` gets the terminal
    event, or ``None`` when the caller closed the stream early.
    """

    def on_start(self, call: CallInfo) -> None:
        """The call is about to be sent."""

    def on_event(self, call: CallInfo, event: object, elapsed: float) -> None:
        """A stream event arrived."""

    def on_end(self, call: CallInfo, result: object, elapsed: float) -> None:
        """The call succeeded with ``result``."""

    def on_error(self, call: CallInfo, error: DifyError, elapsed: float) -> None:
        """The call failed with ``error``."""
