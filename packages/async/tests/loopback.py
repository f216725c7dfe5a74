"""A scripted HTTP server on 127.0.0.1 (random port) for tests that need real sockets.

Each request is answered by the next script step; the server counts the requests it got, so a
test can prove a POST was sent once. Imported by test modules (``pythonpath = ["tests"]``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Step = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Seen:
    """One request as it arrived: request line target, headers in order, and body."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Loopback:
    """The running server: its base URL and what it received."""

    base_url: str
    steps: list[Step]
    received: list[tuple[str, str]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)


def hang(seconds: float) -> Step:
    """Read the request, then answer nothing for ``seconds`` (a lost answer)."""

    def step(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return step


def json_answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Step:
    """Answer with a JSON body."""

    def step(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return step


def event_stream(body: bytes, piece: int = 9) -> Step:
    """Answer 200 text/event-stream with ``body``, sent chunked in ``piece``-byte chunks."""

    def step(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(body), piece):
            chunk = body[start : start + piece]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")

    return step


def stalled_stream(first: bytes = b"event: ping\n\n", silence: float = 5.0) -> Step:
    """Answer 200 text/event-stream, send ``first``, then stay silent (Dify recordings 54/90)."""

    def step(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(first), first))
        handler.wfile.flush()
        time.sleep(silence)

    return step


@contextmanager
def serve(*steps: Step) -> Generator[Loopback, None, None]:
    """Serve the steps in order (the last one repeats) on a random loopback port."""
    state = Loopback(base_url="", steps=list(steps))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            index = min(len(state.received), len(state.steps) - 1)
            state.received.append((self.command, self.path))
            state.seen.append(Seen(self.command, self.path, list(self.headers.items()), body))
            state.steps[index](self)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
