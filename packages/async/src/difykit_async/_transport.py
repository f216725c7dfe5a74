"""Sends core exchanges over httpx: the I/O half of a call (the core decides everything else)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from functools import cache
from typing import IO, TYPE_CHECKING, Protocol, TypeVar

import httpx
from difykit_core.transport import (
    ClientConfig,
    Exchange,
    HttpRequest,
    HttpResponse,
    Raise,
    Result,
    RetryAfter,
    TransportFailure,
)

from ._backend import DEFAULT_LIMITS, Pool, close_response, gather_in_order, sleep
from ._wire import Wire

if TYPE_CHECKING:
    from difykit_core import UploadedFile
    from difykit_core.transport import Call

__all__ = ["Transport", "transport_failure", "user_agent"]

T = TypeVar("T")

_httpx_log = logging.getLogger("httpx")
"""httpx's logger: a call that skips ``AsyncClient.send`` still logs its request line there."""


@cache
def user_agent() -> str:
    """``difykit-async/<version>``, for the User-Agent header."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"difykit-async/{version('difykit-async')}"
    except PackageNotFoundError:  # pragma: no cover (running from a source tree)
        return "difykit-async"


def transport_failure(exc: httpx.TransportError, pool: Pool) -> TransportFailure:
    """What the core needs to know of an httpx failure: sent or not, timeout or not, and words."""
    sent = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    timeout = isinstance(exc, httpx.TimeoutException)
    message = str(exc)
    if isinstance(exc, httpx.PoolTimeout):
        limit = f"all {DEFAULT_LIMITS.max_connections} " if pool.owned else "all "
        message = (
            f"no free connection in the pool: {limit}connections are busy (long streams hold "
            "one each); make fewer calls at once, or pass http_client= with higher "
            "httpx.Limits(max_connections=…)"
        )
    return TransportFailure(sent, timeout, type(exc).__name__, message)


class _Attempt(Protocol[T]):
    """What the send loop needs of an exchange (blocking or streaming)."""

    @property
    def request(self) -> HttpRequest: ...
    def needs_body(self, status_code: int, headers: Mapping[str, str]) -> bool: ...
    def receive(self, response: HttpResponse) -> Result[T] | Raise | RetryAfter: ...
    def fail(self, failure: TransportFailure) -> Raise | RetryAfter: ...


class Transport:
    """The HTTP half of a client: one httpx pool and the client's config."""

    def __init__(self, *, config: ClientConfig, pool: Pool, user_agent: str) -> None:
        self.config = config
        self.pool = pool
        self._headers = {"Authorization": f"Bearer {config.api_key}", "User-Agent": user_agent}
        self._wire: Wire | None = None
        """How requests are built for the pool's transport (made on the first such call)."""
        timeouts = config.timeouts
        self._timeout = httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        )
        self._stream_timeout = httpx.Timeout(
            connect=timeouts.connect,
            read=config.stream_idle_timeout,
            write=timeouts.write,
            pool=timeouts.pool,
        )
        self._extensions = {"timeout": self._timeout.as_dict()}
        self._stream_extensions = {"timeout": self._stream_timeout.as_dict()}

    async def execute(self, call: Call[T]) -> T:
        """Send a call (uploading its local files first) and return its result."""
        exchange = Exchange(call, self.config)
        exchange.start()
        try:
            if exchange.uploads:
                exchange.uploaded(await self.upload_all(exchange.uploads))
            _, result = await self.attempt(exchange, stream=False)
        except BaseException as exc:
            exchange.abandon(exc)  # a cancel, or an unexpected error, still ends the call
            raise
        return result

    async def upload_all(self, uploads: Sequence[Call[UploadedFile]]) -> list[UploadedFile]:
        """Upload a call's local files (concurrently in async), keeping their order."""
        return await gather_in_order(self.execute, uploads)

    async def attempt(self, exchange: _Attempt[T], *, stream: bool) -> tuple[httpx.Response, T]:
        """Send until the exchange accepts an answer (sleeping for its retries); raise its error.

        For a stream, the response returned is open and unread.
        """
        request = exchange.request
        starts = _file_positions(request) if request.files else None
        while True:
            try:
                response = await self._send(exchange.request, starts, stream=stream)
            except httpx.TransportError as exc:
                decision = exchange.fail(transport_failure(exc, self.pool))
                if isinstance(decision, Raise):
                    raise decision.error from exc
            else:
                if not stream:
                    content = response.content
                elif exchange.needs_body(response.status_code, response.headers):
                    try:  # an error answer (or not a stream at all): its body says why
                        content = await response.aread()
                    finally:
                        await close_response(response)
                else:
                    content = b""
                answer = exchange.receive(
                    HttpResponse(response.status_code, response.headers, content)
                )
                if isinstance(answer, Result):
                    return response, answer.value
                if isinstance(answer, Raise):
                    raise answer.error
                decision = answer
            await sleep(decision.seconds)

    async def _send(
        self, request: HttpRequest, starts: dict[int, int] | None, *, stream: bool
    ) -> httpx.Response:
        http, direct = self.pool.current()
        opened: list[IO[bytes]] = []
        try:
            files = _multipart(request, opened, starts) if request.files else None
            timeout = self._stream_timeout if stream else self._timeout
            if direct is None:
                built = http.build_request(
                    request.method,
                    self.config.base_url + request.path,
                    params=request.query or None,
                    json=request.json,
                    data=dict(request.form) if request.form else None,
                    files=files,
                    headers={**self._headers, **request.headers}
                    if request.headers
                    else self._headers,
                    timeout=timeout,
                )
                return await http.send(built, stream=stream)
            if self._wire is None:
                headers = httpx.Headers(http.headers)
                headers.update(self._headers)
                self._wire = Wire(self.config.base_url, headers)
            built = self._wire.build(
                request, files, self._stream_extensions if stream else self._extensions
            )
            response = await direct.handle_async_request(built)
            response.request = built
            if _httpx_log.isEnabledFor(logging.INFO):  # the line AsyncClient.send would log
                _httpx_log.info(
                    'HTTP Request: %s %s "%s %d %s"',
                    built.method,
                    built.url,
                    response.http_version,
                    response.status_code,
                    response.reason_phrase,
                )
            if not stream:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            return response
        finally:
            for file in opened:
                file.close()


def _multipart(
    request: HttpRequest, opened: list[IO[bytes]], starts: dict[int, int] | None
) -> list[tuple[str, tuple[str, bytes | IO[bytes], str]]]:
    """httpx's ``files=`` for a request's parts, opening local paths (``opened``, closed later)
    and rewinding open files to where they started (a retry sends them again)."""
    multipart: list[tuple[str, tuple[str, bytes | IO[bytes], str]]] = []
    for name, part in request.files:
        content: bytes | IO[bytes]
        if isinstance(part.content, os.PathLike):
            content = open(os.fspath(part.content), "rb")  # noqa: SIM115 (closed by _send)
            opened.append(content)
        else:
            content = part.content
            if starts and id(content) in starts and not isinstance(content, bytes):
                content.seek(starts[id(content)])
        multipart.append((name, (part.filename, content, part.content_type)))
    return multipart


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
