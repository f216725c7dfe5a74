"""Fault injection: latency, token pacing, failing requests, cut and stalled streams."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

__all__ = ["Faults", "InjectedFailure"]


@dataclass(frozen=True)
class InjectedFailure:
    """One request the emulator will fail."""

    status: int
    code: str
    message: str
    retry_after: str | None = None


@dataclass
class Faults:
    """What the emulator does wrong on purpose. Change it at any time, even mid-test.

    Attributes:
        latency: Seconds added before every answer.
        chunks: How many pieces a streamed answer is cut into (``None``: about one per word).
        token_delay: Seconds between streamed events (token pacing).
    """

    latency: float = 0.0
    chunks: int | None = None
    token_delay: float = 0.0
    _failures: deque[InjectedFailure] = field(default_factory=deque, repr=False)
    _cut_after: int | None = field(default=None, repr=False)
    _stall: float | None = field(default=None, repr=False)
    _slow_next: float = field(default=0.0, repr=False)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        code: str = "service_unavailable",
        message: str = "Injected failure",
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (and ``Retry-After``, if given)."""
        header = None if retry_after is None else str(retry_after)
        for _ in range(count):
            self._failures.append(InjectedFailure(status, code, message, header))

    def cut_stream_after(self, events: int) -> None:
        """End the next stream's body after ``events`` events, before its terminal event."""
        self._cut_after = events

    def stall_next_stream(self, seconds: float = math.inf) -> None:
        """The next stream answers 200, sends one ping and then nothing for ``seconds``.

        Real Dify does this when a streamed run fails in its worker (recordings 54 and 90).
        """
        self._stall = seconds

    def slow_next(self, seconds: float) -> None:
        """Delay only the next answer by ``seconds``."""
        self._slow_next = seconds

    def pace(self, *, chunks: int | None = None, delay: float = 0.0) -> None:
        """Stream answers in ``chunks`` pieces with ``delay`` seconds between events."""
        self.chunks = chunks
        self.token_delay = delay

    def reset(self) -> None:
        """Back to a well-behaved Dify."""
        self.latency = 0.0
        self.chunks = None
        self.token_delay = 0.0
        self._failures.clear()
        self._cut_after = None
        self._stall = None
        self._slow_next = 0.0

    # --- used by the emulator ------------------------------------------------------------------

    def take_failure(self) -> InjectedFailure | None:
        """The failure for this request, if one is queued."""
        return self._failures.popleft() if self._failures else None

    def take_delay(self) -> float:
        """Seconds to wait before answering this request."""
        delay, self._slow_next = self.latency + self._slow_next, 0.0
        return delay

    def take_stream_faults(self) -> tuple[int | None, float | None]:
        """(cut after N events, stall seconds) for the stream starting now."""
        cut, stall = self._cut_after, self._stall
        self._cut_after = self._stall = None
        return cut, stall

    def split(self, text: str) -> list[str]:
        """Cut an answer into the pieces a stream sends."""
        if not text:
            return [""]
        if self.chunks is None:
            words = text.split(" ")
            return [w + " " for w in words[:-1]] + [words[-1]] if len(words) > 1 else [text]
        size = max(1, math.ceil(len(text) / self.chunks))
        return [text[i : i + size] for i in range(0, len(text), size)]
