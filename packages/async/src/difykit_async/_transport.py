"""Executes core calls over httpx: retries, timeouts, observers, uploads (the async twin)."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Sequence
from functools import cache
from typing import IO, TYPE_CHECKING, Any, TypeVar

import anyio
import httpx
from difykit_core import CallInfo, HttpRequest, HttpResponse, RetryPolicy
from difykit_core._config import Timeouts
from difykit_core._retry import Failure, next_delay
from difykit_core.errors import (
    APIConnectionError,
    APITimeoutError,
    DifyError,
    RateLimitError,
    error_from_response,
)

if TYPE_CHECKING:
    from difykit_core import Call, Observer, UploadedFile

__all__ = ["Transport", "user_agent"]

T = TypeVar("T")


@cache
def user_agent() -> str:
    """``difykit-async/<version>``, for the User-Agent header."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"difykit-async/{version('difykit-async')}"
    except PackageNotFoundError:  # pragma: no cover (running from a source tree)
        return "difykit-async"


async def _sleep(seconds: float) -> None:
    """Wait before a retry (a seam for tests)."""
    await anyio.sleep(seconds)


def _httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
    return httpx.Timeout(
        connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
    )


def _failure(exc: httpx.TransportError) -> tuple[Failure, DifyError]:
    """Whether the request may have reached Dify, and the error to raise."""
    sent = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    kind: Failure = "read" if sent else "connect"
    if isinstance(exc, httpx.TimeoutException):
        return kind, APITimeoutError(f"request timed out ({type(exc).__name__}): {exc}")
    return kind, APIConnectionError(f"connection failed ({type(exc).__name__}): {exc}")


class Transport:
    """The HTTP half of a client: one httpx pool, the key, retries and observers."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        owns_http: bool = False,
        base_url: str,
        api_key: str,
        timeouts: Timeouts,
        stream_idle_timeout: float,
        retry: RetryPolicy,
        observers: Sequence[Observer],
        user_agent: str,
    ) -> None:
        self.http = http
        self.owns_http = owns_http
        self._loop: asyncio.AbstractEventLoop | None = None
        self.base_url = base_url
        self.api_key = api_key
        self.timeouts = timeouts
        self.stream_idle_timeout = stream_idle_timeout
        self.retry = retry
        self.observers = tuple(observers)
        self._headers = {"Authorization": f"Bearer {api_key}", "User-Agent": user_agent}
        self._timeout = _httpx_timeout(timeouts)
        self._stream_timeout = httpx.Timeout(
            connect=timeouts.connect,
            read=stream_idle_timeout,
            write=timeouts.write,
            pool=timeouts.pool,
        )

    # --- calls -------------------------------------------------------------------------------

    async def execute(self, call: Call[T]) -> T:
        """Send a call (uploading its local files first) and return its parsed result."""
        if call.uploads:
            call = call.with_uploads(await self.upload_all(call.uploads))
        if not self.observers:  # the fast path: no bookkeeping nobody reads
            return await self._send_and_parse(call)
        info, started = self.start(call.operation, call.request, call.user, streaming=False)
        try:
            result = await self._send_and_parse(call)
        except DifyError as error:
            self.notify_error(info, started, error)
            raise
        for observer in self.observers:
            observer.on_end(info, result, time.monotonic() - started)
        return result

    async def upload_all(self, uploads: Sequence[Call[UploadedFile]]) -> list[UploadedFile]:
        """Upload a call's local files concurrently, keeping their order."""
        results: dict[int, UploadedFile] = {}

        async def upload(index: int, call: Call[UploadedFile]) -> None:
            results[index] = await self.execute(call)

        async with anyio.create_task_group() as group:
            for index, call in enumerate(uploads):
                group.start_soon(upload, index, call)
        return [results[index] for index in range(len(uploads))]

    async def _send_and_parse(self, call: Call[T]) -> T:
        response = await self.send(call.request, replayable=call.replayable, stream=False)
        return call.parse(
            HttpResponse(response.status_code, response.headers, response.content),
            api_key=self.api_key,
        )

    def start(
        self, operation: str, request: HttpRequest, user: str | None, *, streaming: bool
    ) -> tuple[CallInfo, float]:
        """Tell observers a call starts; return its info and monotonic start time."""
        info = CallInfo(operation, request, user, time.time(), streaming)
        for observer in self.observers:
            observer.on_start(info)
        return info, time.monotonic()

    def notify_error(self, info: CallInfo, started: float, error: DifyError) -> None:
        """Tell observers a call failed."""
        for observer in self.observers:
            observer.on_error(info, error, time.monotonic() - started)

    # --- HTTP --------------------------------------------------------------------------------

    async def send(self, request: HttpRequest, *, replayable: bool, stream: bool) -> httpx.Response:
        """Send with retries; return the final response (an error status is left to the caller).

        Raises:
            APIConnectionError: No answer, after the retries the rules allow.
        """
        http = self._http_for_this_loop()
        attempt = 0
        starts = _file_positions(request) if request.files else {}
        while True:
            opened: list[IO[bytes]] = []
            try:
                built = self._build(request, opened, starts, stream=stream)
                try:
                    response = await http.send(built, stream=stream)
                except httpx.TransportError as exc:
                    failure, error = _failure(exc)
                    delay = next_delay(
                        self.retry,
                        attempt,
                        replayable=replayable,
                        failure=failure,
                        now=time.time(),
                        jitter=random.random(),
                    )
                    if delay is None:
                        raise error from exc
                else:
                    if response.status_code < 400:
                        return response
                    if stream:
                        await response.aread()
                    mapped = error_from_response(
                        response.status_code, response.headers, response.content
                    )
                    delay = next_delay(
                        self.retry,
                        attempt,
                        replayable=replayable,
                        status=response.status_code,
                        headers=response.headers,
                        rate_limited=isinstance(mapped, RateLimitError),
                        now=time.time(),
                        jitter=random.random(),
                    )
                    if delay is None:
                        return response
                    await response.aclose()
            finally:
                for file in opened:
                    file.close()
            await _sleep(delay)
            attempt += 1

    def _http_for_this_loop(self) -> httpx.AsyncClient:
        """The pool for the running event loop.

        An httpx pool is bound to the loop it first ran in. When that loop has closed (a second
        ``asyncio.run()``), an owned pool is replaced by a fresh one; a pool the caller passed
        in cannot be, so that is a clear error rather than "Event loop is closed" from deep
        inside httpx.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): nothing to check
            return self.http
        if self._loop is None or self._loop is loop:
            self._loop = loop
            return self.http
        if not self._loop.is_closed():
            self._loop = loop  # several live loops (threads): httpx decides
            return self.http
        if not self.owns_http:
            raise APIConnectionError(
                "the http_client passed to this client was used in an event loop that has "
                "closed; create the httpx.AsyncClient inside the loop that uses it"
            )
        self.http = httpx.AsyncClient()
        self._loop = loop
        return self.http

    def _build(
        self, request: HttpRequest, opened: list[IO[bytes]], starts: dict[int, int], *, stream: bool
    ) -> httpx.Request:
        multipart: list[tuple[str, tuple[str, Any, str]]] | None = None
        if request.files:
            multipart = []
            for name, part in request.files:
                content: Any = part.content
                if isinstance(content, os.PathLike):
                    content = open(os.fspath(content), "rb")  # noqa: SIM115 (closed by send)
                    opened.append(content)
                elif id(content) in starts:
                    content.seek(starts[id(content)])
                multipart.append((name, (part.filename, content, part.content_type)))
        return self.http.build_request(
            request.method,
            self.base_url + request.path,
            params=request.query or None,
            json=request.json,
            data=dict(request.form) if request.form else None,
            files=multipart,
            headers={**self._headers, **request.headers} if request.headers else self._headers,
            timeout=self._stream_timeout if stream else self._timeout,
        )


def _file_positions(request: HttpRequest) -> dict[int, int]:
    """Where each open, seekable file of a multipart request starts, to re-send it on retry."""
    starts: dict[int, int] = {}
    for _, part in request.files:
        content = part.content
        if not isinstance(content, (bytes, os.PathLike)):
            try:
                if content.seekable():
                    starts[id(content)] = content.tell()
            except (OSError, ValueError):
                pass
    return starts
