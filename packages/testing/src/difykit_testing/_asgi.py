"""httpx transports that call the emulator in-process and truly stream its answers.

httpx's own ``ASGITransport`` waits for the whole body, so a paced or stalled stream would
arrive at once or never. Here each body chunk reaches the client as the app sends it: the
async transport runs the app as a task on the caller's loop; the sync transport runs it on a
private event loop in a background thread. Both honour httpx's read timeout (from the request's
``timeout`` extension) while waiting for the answer or its next chunk, as a socket would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp, Message

__all__ = ["AsyncEmulatorTransport", "EmulatorTransport", "LoopThread"]

T = TypeVar("T")


class _Exchange:
    """One request/response with the ASGI app, driven from the event loop that runs it."""

    def __init__(self, app: ASGIApp, request: httpx.Request, body: bytes) -> None:
        self._app = app
        self._request = request
        self._body = body
        self._messages: asyncio.Queue[Message | None] = asyncio.Queue()
        self._disconnected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        timeout: dict[str, float | None] = request.extensions.get("timeout") or {}
        self._read_timeout = timeout.get("read")

    async def _next_message(self) -> Message | None:
        try:
            return await asyncio.wait_for(self._messages.get(), self._read_timeout)
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout(
                f"no data from the emulator for {self._read_timeout} s", request=self._request
            ) from None

    def _scope(self) -> dict[str, Any]:
        url = self._request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": self._request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in self._request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        }

    async def start(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Run the app until it starts the response; return status and headers."""
        sent_body = False

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": self._body, "more_body": False}
            await self._disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            await self._messages.put(message)

        async def run() -> None:
            try:
                await self._app(self._scope(), receive, send)
            finally:
                await self._messages.put(None)

        self._task = asyncio.get_running_loop().create_task(run())
        while True:
            message = await self._next_message()
            if message is None:
                await self._task  # re-raise the app's exception, if any
                raise RuntimeError("the emulator app ended without a response")
            if message["type"] == "http.response.start":
                return message["status"], list(message.get("headers", []))

    async def next_chunk(self) -> bytes | None:
        """The next body chunk, or ``None`` at the end of the body."""
        while True:
            message = await self._next_message()
            if message is None:
                return None
            if message["type"] == "http.response.body":
                chunk: bytes = message.get("body", b"")
                if not message.get("more_body", False):
                    self._messages.put_nowait(None)
                if chunk:
                    return chunk

    async def close(self) -> None:
        """The client went away: tell the app, and stop it."""
        self._disconnected.set()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self._exchange.next_chunk()) is not None:
            yield chunk

    async def aclose(self) -> None:
        await self._exchange.close()


class AsyncEmulatorTransport(httpx.AsyncBaseTransport):
    """Async httpx transport into the emulator (asyncio), streaming chunk by chunk."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request to the app."""
        exchange = _Exchange(self._app, request, await request.aread())
        status, headers = await exchange.start()
        return httpx.Response(status, headers=headers, stream=_AsyncBody(exchange))


class LoopThread:
    """A private event loop in a daemon thread, shared by the emulator's sync transports."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, loop: LoopThread, exchange: _Exchange) -> None:
        self._loop = loop
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self._loop.run(self._exchange.next_chunk())) is not None:
            yield chunk

    def close(self) -> None:
        self._loop.run(self._exchange.close())


class EmulatorTransport(httpx.BaseTransport):
    """Sync httpx transport into the emulator, streaming chunk by chunk."""

    def __init__(self, app: ASGIApp, loop: LoopThread) -> None:
        self._app = app
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request to the app."""
        body = request.read()

        async def start() -> tuple[_Exchange, int, list[tuple[bytes, bytes]]]:
            exchange = _Exchange(self._app, request, body)
            status, headers = await exchange.start()
            return exchange, status, headers

        exchange, status, headers = self._loop.run(start())
        return httpx.Response(status, headers=headers, stream=_SyncBody(self._loop, exchange))
