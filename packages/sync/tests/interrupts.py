"""How a caller interrupts a call, per twin (hand-written: the sync twin's is Ctrl-C)."""

from __future__ import annotations

INTERRUPT: type[BaseException] = KeyboardInterrupt
"""What stops a sync call from outside: Ctrl-C."""
REASON = "KeyboardInterrupt"


def checkpoint() -> None:
    """Nothing runs in the background in sync code."""
