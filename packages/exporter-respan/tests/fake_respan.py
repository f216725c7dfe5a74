"""A fake Respan ingest API on a real loopback port (a threaded ``http.server``).

It records every request (headers and the decoded JSON array) and answers 200, or what the
test scripted with :meth:`FakeRespan.answer_next`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request the fake received."""

    path: str
    headers: dict[str, str]
    spans: list[dict[str, object]]
    at: float
    status: int


@dataclass
class _Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"message": "ok"}'


class FakeRespan:
    """The server's state: scripted answers and what arrived."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Received] = []
        self._answers: deque[_Answer] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def answer_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        body: object = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and headers, JSON body)."""
        text = json.dumps(body if body is not None else {"detail": f"status {status}"})
        for _ in range(times):
            self._answers.append(_Answer(status, dict(headers or {}), text))

    @property
    def accepted(self) -> list[dict[str, object]]:
        """Spans of the requests answered 2xx, in arrival order."""
        with self._lock:
            return [s for r in self.requests if 200 <= r.status < 300 for s in r.spans]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, object]]:
        """Wait until ``count`` spans were accepted; return them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                spans = [s for r in self.requests if 200 <= r.status < 300 for s in r.spans]
                left = deadline - time.monotonic()
                if len(spans) >= count or left <= 0:
                    return spans
                self._arrived.wait(left)

    def take(self, path: str, headers: dict[str, str], body: bytes) -> _Answer:
        """Record one request and pick its answer (the handler calls this)."""
        with self._arrived:
            answer = self._answers.popleft() if self._answers else _Answer(200)
            spans: list[dict[str, object]] = (
                json.loads(body, parse_constant=_strict) if body else []
            )
            self.requests.append(Received(path, headers, spans, time.monotonic(), answer.status))
            self._arrived.notify_all()
            return answer


def _strict(constant: str) -> object:
    """Refuse ``NaN`` and ``Infinity``: they are not JSON, and Respan's ingest would reject them."""
    raise ValueError(f"not JSON: {constant}")


def _handler(state: FakeRespan) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            answer = state.take(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # the base's name
            return

    return Handler


@contextmanager
def serve_fake_respan() -> Generator[FakeRespan, None, None]:
    """Serve a :class:`FakeRespan` on 127.0.0.1 (random port); ``.url`` is its ingest URL."""
    state = FakeRespan()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/traces/ingest"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
