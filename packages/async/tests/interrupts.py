"""How a caller interrupts a call, per twin (hand-written: the async twin's is a cancel)."""

from __future__ import annotations

import asyncio

import anyio

INTERRUPT: type[BaseException] = asyncio.CancelledError
"""What stops an async call from outside: its task is cancelled."""
REASON = "CancelledError"


async def checkpoint() -> None:
    """Let the event loop run what was scheduled (a background close)."""
    await anyio.sleep(0)
