"""A minimal, fast HTTP/1.1 loopback server for the benchmarks (stdlib asyncio only).

Run as ``python _server.py STREAM_DELAY_S``: it binds 127.0.0.1 on a free port, prints the port
on stdout, and serves until stdin closes. Every request gets the same answer, so the server
costs the same for both sides of a comparison:

- a body containing ``"response_mode":"streaming"``: a chunked ``text/event-stream`` whose first
  chunk (a ping and the first data frame) is written at once and the rest after the delay;
- anything else: the recorded blocking chat answer (recording 05), keep-alive.

A query naming ``REALISTIC`` gets the realistic bodies of issue 8 instead (``_realistic.py``):
the ~2.4 KB answer, or the whole 10,000-event chatflow stream at once; one naming ``LONG``
gets a 100,000-event one built the same way for the memory benchmark.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCKING_RECORDING = (
    ROOT / "packages/async/tests/data/recordings/05-chat-messages-blocking-new-conversation.json"
)
STREAM_RECORDING = ROOT / "packages/core/tests/data/06-chat-messages-streaming-continue.sse"
REALISTIC = "bench-realistic"
LONG = "bench-long"
LONG_EVENTS = 100_000
STREAMING = re.compile(rb'"response_mode":\s*"streaming"')
SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
)


def blocking_body() -> bytes:
    """The recorded blocking answer, compact as Dify sends it."""
    recording = json.loads(BLOCKING_RECORDING.read_text("utf-8"))
    return json.dumps(recording["response_body"], separators=(",", ":")).encode()


def stream_parts() -> tuple[bytes, bytes]:
    """The recorded stream split after its first data frame: (sent at once, sent later)."""
    raw = STREAM_RECORDING.read_bytes()
    first_data = raw.index(b"data:")
    cut = raw.index(b"\n\n", first_data) + 2
    return raw[:cut], raw[cut:]


def _json_response(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n"
        b"content-length: %d\r\nconnection: keep-alive\r\n\r\n%s" % (len(body), body)
    )


def _chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    """The whole body as chunked transfer coding, then the last chunk."""
    parts = [_chunk(body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def _chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


class _Bodies(dict[str, bytes]):
    """The realistic answers, each built on its first request (the long stream takes ~1 s)."""

    def __missing__(self, key: str) -> bytes:
        from _realistic import blocking_answer, stream

        marker, _, kind = key.rpartition("-")
        if kind == "blocking":
            value = _json_response(blocking_answer())
        else:
            body, _ = stream(LONG_EVENTS) if marker == LONG else stream()
            value = SSE_HEAD + _chunked(body)
        self[key] = value
        return value


class _Http(asyncio.Protocol):
    def __init__(
        self, blocking: bytes, first: bytes, rest: bytes, delay: float, bodies: _Bodies
    ) -> None:
        self._blocking = blocking
        self._bodies = bodies
        self._first = first
        self._rest = rest
        self._delay = delay
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self._buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(self._buffer) < total:
                return
            body = self._buffer[end + 4 : total]
            self._buffer = self._buffer[total:]
            self._respond(body)

    def _respond(self, body: bytes) -> None:
        transport = self._transport
        assert transport is not None
        streaming = STREAMING.search(body) is not None
        for marker in (REALISTIC, LONG):
            if marker.encode() in body:
                key = f"{marker}-{'stream' if streaming else 'blocking'}"
                transport.write(self._bodies[key])
                return
        if streaming:
            transport.write(SSE_HEAD + _chunk(self._first))
            asyncio.get_running_loop().call_later(self._delay, self._finish_stream, transport)
        else:
            transport.write(self._blocking)

    def _finish_stream(self, transport: asyncio.Transport) -> None:
        if not transport.is_closing():
            transport.write(_chunk(self._rest) + b"0\r\n\r\n")


async def _serve(delay: float) -> None:
    blocking = _json_response(blocking_body())
    bodies = _Bodies()
    first, rest = stream_parts()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Http(blocking, first, rest, delay, bodies), "127.0.0.1", 0, backlog=1024
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Serve until the parent closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(_serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.25))
