"""The async-only pieces of the client, behind a small seam (the sync twin has its own).

``scripts/unasync.py`` writes the rest of ``difykit`` from ``difykit_async``; this module is
written by hand in both: sleeping, uploading a call's files (concurrently here), closing a
response when the caller is being cancelled or has dropped the stream, and keeping an owned
connection pool usable across event loops.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import anyio
import httpx
from difykit_core.errors import APIConnectionError

if TYPE_CHECKING:
    from difykit_core.transport import Call

__all__ = [
    "DEFAULT_LIMITS",
    "Pool",
    "close_in_background",
    "close_response",
    "gather_in_order",
    "sleep",
]

T = TypeVar("T")

DEFAULT_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
"""The pool a client creates: a server may hold hundreds of streams at once (one connection
each), so the limit is high; 100 idle connections are kept for reuse."""

_closing: set[asyncio.Task[None]] = set()


async def sleep(seconds: float) -> None:
    """Wait before a retry or a poll."""
    await anyio.sleep(seconds)


async def gather_in_order(
    execute: Callable[[Call[T]], Awaitable[T]], calls: Sequence[Call[T]]
) -> list[T]:
    """Execute ``calls`` concurrently; their results in order (a failure cancels the rest)."""
    results: dict[int, T] = {}

    async def run(index: int, call: Call[T]) -> None:
        results[index] = await execute(call)

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    if len(results) < len(calls):  # a child was cancelled on its own: so is the whole call
        raise anyio.get_cancelled_exc_class()("an upload was cancelled")
    return [results[index] for index in range(len(calls))]


async def close_response(response: httpx.Response) -> None:
    """Release a response's connection, even while the caller's task is being cancelled."""
    with anyio.CancelScope(shield=True):
        await response.aclose()


def close_in_background(response: httpx.Response) -> None:
    """Release the connection of a stream dropped unclosed (from ``__del__``), if a loop runs."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop here: the pool reclaims it when the loop's pool closes
        return
    task = loop.create_task(response.aclose())
    _closing.add(task)
    task.add_done_callback(_closed)


def _closed(task: asyncio.Task[None]) -> None:
    _closing.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a failed close of a dropped stream is not worth a log


def _owned() -> tuple[httpx.AsyncClient, httpx.AsyncHTTPTransport | None]:
    """A new pool, and its transport when calls may go to it directly.

    A pool difykit creates has no hooks, auth, cookies or redirects to apply, so its calls skip
    ``AsyncClient.send`` and go to the transport (about a third of httpx's time per call). When
    the environment names a proxy, httpx routes through it: the client is used as is.
    """
    if set(urllib.request.getproxies()) - {"no"}:  # NO_PROXY alone names no proxy
        return httpx.AsyncClient(limits=DEFAULT_LIMITS), None
    transport = httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS)
    return httpx.AsyncClient(transport=transport), transport


class Pool:
    """The client's ``httpx.AsyncClient``, renewed for a new event loop when owned.

    An httpx pool is bound to the loop it first ran in. When that loop has closed (a second
    ``asyncio.run()``), an owned pool is replaced by a fresh one; a pool the caller passed in
    cannot be, so that is a clear error rather than "Event loop is closed" from deep inside
    httpx. A sibling (``with_options``) uses its parent's pool, renewals included.
    """

    __slots__ = ("_direct", "_http", "_loop", "_parent", "owned")

    def __init__(self, http: httpx.AsyncClient | None) -> None:
        self.owned: bool = http is None
        self._http, self._direct = _owned() if http is None else (http, None)
        self._parent: Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` in use now."""
        return self._parent.http if self._parent is not None else self._http

    def sibling(self) -> Pool:
        """A pool that uses this one, renewals included, without owning it."""
        pool = Pool(self.http)
        pool.owned = False
        pool._parent = self._parent or self
        return pool

    def current(self) -> tuple[httpx.AsyncClient, httpx.AsyncHTTPTransport | None]:
        """The pool for the running event loop, and its transport if calls may skip the client.

        Raises:
            APIConnectionError: The pool passed in belongs to an event loop that has closed.
            RuntimeError: The pool was closed (as httpx says for a closed client).
        """
        if self._parent is not None:
            return self._parent.current()
        if self._direct is not None and self._http.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): nothing to check
            return self._http, self._direct
        if self._loop is None or self._loop is loop:
            self._loop = loop
            return self._http, self._direct
        if not self._loop.is_closed():
            self._loop = loop  # several live loops (threads): httpx decides
            return self._http, self._direct
        if not self.owned:
            raise APIConnectionError(
                "the http_client passed to this client was used in an event loop that has "
                "closed; create the httpx.AsyncClient inside the loop that uses it"
            )
        self._http, self._direct = _owned()
        self._loop = loop
        return self._http, self._direct

    async def aclose(self) -> None:
        """Close the pool if this client created it."""
        if self.owned:
            await self._http.aclose()
