"""The observer protocol (v2): what a client tells exporters and loggers about each call.

Every call a client makes is told to its observers as ``on_start``, then (streams only) the
``on_event`` of the event kinds an observer subscribed to, then **exactly one** end:

* ``on_end(call, end)``: it succeeded; ``end.result`` is the result (for a stream, the
  collected result, aggregated once and shared with ``Stream.collect()``);
* ``on_error(call, error, end)``: it failed (an error answer, a transport failure, an ``error``
  event, a stream cut short); ``error`` is usually a :class:`~difykit_core.errors.DifyError`;
* ``on_cancel(call, reason, end)``: the caller stopped it before it ended: ``"closed"`` (a
  stream closed early), ``"dropped"`` (a stream garbage-collected unclosed), or the name of what
  interrupted it (``"CancelledError"``, ``"KeyboardInterrupt"``, ``"GeneratorExit"``…).

Observers run on the caller's path: keep them quick (hand work to a queue, as the Respan
exporter does). One that raises is logged once by the ``difykit`` logger and otherwise ignored:
it never breaks or changes the user's call. Subclass :class:`Observer` to inherit no-op hooks
and override only what you need; set ``event_kinds`` to receive only some events, e.g.
``frozenset({"node_finished", "workflow_finished"})``, so ``message`` chunks cost you nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ._http import HttpRequest

if TYPE_CHECKING:
    from .models.events import StreamEvent
    from .models.knowledge.pipeline import DatasourceEvent

__all__ = ["AppIdentity", "CallEnd", "CallInfo", "Observer"]


@dataclass(frozen=True, slots=True)
class AppIdentity:
    """Which Dify app (or knowledge base) a client speaks to, without its secret."""

    base_url: str
    """The Service API URL, e.g. ``"https://api.dify.ai/v1"``."""
    key_fingerprint: str
    """The key's prefix and the first hex digits of its SHA-256, e.g. ``"app-…3f9a1c2e"``:
    stable per key, useless to an attacker."""


def _no_context() -> dict[str, object]:
    return {}


@dataclass(frozen=True, slots=True)
class CallInfo:
    """One call to Dify, as observers see it."""

    operation: str
    """The endpoint's name, e.g. ``"chat.stream"`` or ``"datasets.retrieve"``."""
    request: HttpRequest
    """The request as built (local files not yet replaced by their uploads)."""
    user: str | None
    started_at: float
    """Unix time when the call started (the transport's clock)."""
    streaming: bool = False
    app: AppIdentity | None = None
    """The client's app identity."""
    context: Mapping[str, object] = field(default_factory=_no_context)
    """The per-call context captured when the call was made (see :func:`call_context`)."""


@dataclass(frozen=True, slots=True)
class CallEnd:
    """How a call ended: what ``on_end``, ``on_error`` and ``on_cancel`` receive."""

    elapsed: float
    """Seconds from the start to the end (monotonic clock)."""
    attempts: int
    """HTTP attempts made (1 unless retried; 0 when it ended before sending)."""
    status_code: int | None = None
    """The last HTTP status Dify answered with, if it answered."""
    result: object = None
    """``on_end``: the result (a stream's collected result). Otherwise, for a stream, what
    its events had collected so far when it could be aggregated, else ``None``."""
    time_to_first_event: float | None = None
    """Streams: seconds from the start to the first event (pings excluded)."""
    events: int = 0
    """Streams: events read (pings excluded)."""
    time_to_first_token: float | None = None
    """Streams: seconds from the start to the first answer text (``message``,
    ``agent_message`` or ``text_chunk``), tracked by the core so observers need no per-event
    subscription for it."""


@runtime_checkable
class Observer(Protocol):
    """Receives the life of every call a client makes (subclass it for no-op defaults).

    ``elapsed`` in ``on_event`` is seconds since the start on a monotonic clock. An observer
    may have an ``event_kinds`` attribute: the ``event`` names ``on_event`` receives (a
    collection of strings; ``None`` or no attribute for all, empty for none). It is read once,
    when the client is built.
    """

    def on_start(self, call: CallInfo) -> None:
        """The call is about to be sent."""
        return

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None:
        """A stream event of a subscribed kind arrived."""
        return

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        """The call succeeded with ``end.result``."""
        return

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        """The call failed with ``error``."""
        return

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        """The caller stopped the call before it ended (``reason`` says how)."""
        return
