"""The asyncio client's own life: event loops, closing, streams, pages and observers."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from difykit_async import AsyncDify, CallInfo, DifyError, DifyStreamError, StreamInterruptedError

WORKFLOW_STREAM = b"event: ping\n\n" + b"".join(
    b"data: " + json.dumps(event).encode() + b"\n\n"
    for event in [
        {
            "event": "workflow_started",
            "task_id": "t1",
            "workflow_run_id": "r1",
            "data": {"id": "r1"},
        },
        {"event": "text_chunk", "task_id": "t1", "workflow_run_id": "r1", "data": {"text": "hé"}},
        {
            "event": "workflow_finished",
            "task_id": "t1",
            "workflow_run_id": "r1",
            "data": {"id": "r1", "status": "succeeded", "outputs": {"result": "hé"}},
        },
    ]
)


class Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes, size: int = 5) -> None:
        self.chunks = [body[i : i + size] for i in range(0, len(body), size)]
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def mock_client(body: bytes, streams: list[Chunks] | None = None, **options: Any) -> AsyncDify:
    def handler(request: httpx.Request) -> httpx.Response:
        stream = Chunks(body)
        if streams is not None:
            streams.append(stream)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    return AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        **options,
    )


@contextmanager
def sse_server(body: bytes) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering every request with ``body`` as a chunked stream."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 9):
                piece = body[i : i + 9]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_clients_work_in_successive_event_loops() -> None:
    """Each asyncio.run() gets a working client over real loopback HTTP (peers break here)."""

    async def run(base_url: str) -> str:
        async with AsyncDify(api_key="app-test", base_url=base_url) as dify:
            run = await dify.workflows.stream(inputs={}, user="u").collect()
            return str(run.outputs["result"])

    with sse_server(WORKFLOW_STREAM) as base_url:
        assert asyncio.run(run(base_url)) == "hé"
        assert asyncio.run(run(base_url)) == "hé"


@pytest.mark.anyio
async def test_aclose_leaves_an_injected_http_client_open() -> None:
    """A shared httpx.AsyncClient belongs to its creator: closing the Dify client keeps it open."""
    shared = httpx.AsyncClient()
    async with AsyncDify(api_key="app-test", http_client=shared):
        pass
    assert not shared.is_closed
    owned = AsyncDify(api_key="app-test")
    await owned.aclose()
    assert owned._transport.http.is_closed
    await shared.aclose()


@pytest.mark.anyio
async def test_breaking_out_of_a_stream_closes_it() -> None:
    """Leaving ``async with`` early closes the response."""
    streams: list[Chunks] = []
    dify = mock_client(WORKFLOW_STREAM, streams)
    async with dify.workflows.stream(inputs={}, user="u") as stream:
        async for _ in stream:
            break
    assert streams[0].closed


@pytest.mark.anyio
async def test_an_error_event_raises_dify_stream_error() -> None:
    """An error event ends the async stream with DifyStreamError carrying Dify's code."""
    dify = mock_client(sse({"event": "error", "status": 500, "message": "worker died"}))
    with pytest.raises(DifyStreamError) as info:
        await dify.chat.stream(query="q", user="u").collect()
    assert info.value.code is None and info.value.status == 500


@pytest.mark.anyio
async def test_a_truncated_stream_is_interrupted() -> None:
    """A body that ends before workflow_finished raises StreamInterruptedError."""
    dify = mock_client(
        WORKFLOW_STREAM[: WORKFLOW_STREAM.index(b'data: {"event": "workflow_finished"')]
    )
    with pytest.raises(StreamInterruptedError):
        await dify.workflows.stream(inputs={}, user="u").collect()


@pytest.mark.anyio
async def test_observers_hear_the_whole_async_call() -> None:
    """Observers get start, each event and end, with the operation's name."""
    log: list[str] = []

    class Observer:
        def on_start(self, call: CallInfo) -> None:
            log.append(f"start {call.operation} {call.streaming}")

        def on_event(self, call: CallInfo, event: object, elapsed: float) -> None:
            log.append(f"event {getattr(event, 'event', '?')}")

        def on_end(self, call: CallInfo, result: object, elapsed: float) -> None:
            log.append(f"end {type(result).__name__}")

        def on_error(self, call: CallInfo, error: DifyError, elapsed: float) -> None:
            log.append(f"error {error}")

    dify = mock_client(WORKFLOW_STREAM, observers=[Observer()])
    await dify.workflows.stream(inputs={}, user="u").collect()
    assert log == [
        "start workflows.stream True",
        "event workflow_started",
        "event text_chunk",
        "event workflow_finished",
        "end WorkflowFinishedEvent",
    ]


@pytest.mark.anyio
async def test_async_pages_walk_lazily() -> None:
    """``async for`` over a page fetches the following pages only when needed."""
    pages = [
        {"limit": 1, "has_more": True, "data": [{"id": "a"}]},
        {"limit": 1, "has_more": False, "data": [{"id": "b"}]},
    ]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[len(seen) - 1])

    dify = AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    page = await dify.conversations.list(user="u", limit=1)
    assert len(seen) == 1
    assert [c.id async for c in page] == ["a", "b"]
    assert seen[1].url.params["last_id"] == "a"


def test_one_client_survives_a_second_event_loop() -> None:
    """The same AsyncDify works in two successive asyncio.run() calls over real HTTP."""
    with sse_server(WORKFLOW_STREAM) as base_url:
        dify = AsyncDify(api_key="app-test", base_url=base_url)

        async def run() -> str:
            result = await dify.workflows.stream(inputs={}, user="u").collect()
            return str(result.outputs["result"])

        assert asyncio.run(run()) == "hé"
        assert asyncio.run(run()) == "hé"
        asyncio.run(dify.aclose())


def test_an_injected_pool_from_a_closed_loop_is_a_clear_error() -> None:
    """A caller's httpx.AsyncClient used after its loop closed raises APIConnectionError."""
    from difykit_async import APIConnectionError

    with sse_server(WORKFLOW_STREAM) as base_url:
        dify = AsyncDify(api_key="app-test", base_url=base_url, http_client=httpx.AsyncClient())

        async def run() -> None:
            await dify.workflows.stream(inputs={}, user="u").collect()

        asyncio.run(run())
        with pytest.raises(APIConnectionError, match="event loop"):
            asyncio.run(run())
