"""Server-Sent Events as Dify frames them: ``event: ping`` with no data, ``data: {json}``."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
from starlette.responses import StreamingResponse

from ._faults import Faults

__all__ = ["PING", "event_stream", "frame"]

PING = b"event: ping\n\n"


def frame(event: Mapping[str, Any]) -> bytes:
    """One ``data:`` frame with compact JSON, as Dify writes it."""
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def event_stream(
    events: AsyncIterator[Mapping[str, Any]], *, faults: Faults, initial_ping: bool
) -> StreamingResponse:
    """A ``text/event-stream`` response of ``events``, with the stream faults applied.

    Chatflow and workflow streams start with a ping (``initial_ping``); a stall sends that
    ping and then nothing; a cut ends the body after N events, before the terminal one.
    """
    cut_after, stall = faults.take_stream_faults()

    async def body() -> AsyncIterator[bytes]:
        if stall is not None:
            yield PING
            await anyio.sleep(stall if math.isfinite(stall) else 10**9)
            return
        if initial_ping:
            yield PING
        sent = 0
        try:
            async for event in events:
                if cut_after is not None and sent >= cut_after:
                    return
                if sent and faults.token_delay:
                    await anyio.sleep(faults.token_delay)
                yield frame(event)
                sent += 1
        finally:
            # A client that leaves closes the events now, not when they are garbage-collected,
            # so the run finishes at once (as Dify's worker does without its listener).
            close = getattr(events, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()

    return StreamingResponse(
        body(),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
