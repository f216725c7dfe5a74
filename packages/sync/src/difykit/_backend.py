"""The sync pieces of the client, behind a small seam (the async twin has its own).

``scripts/unasync.py`` writes the rest of ``difykit`` from ``difykit_async``; this module is
written by hand in both: sleeping, uploading a call's files (one after the other here), closing
a response, and the connection pool.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import httpx

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


def sleep(seconds: float) -> None:
    """Wait before a retry or a poll."""
    time.sleep(seconds)


def gather_in_order(execute: Callable[[Call[T]], T], calls: Sequence[Call[T]]) -> list[T]:
    """Execute ``calls`` one after the other; their results in order."""
    return [execute(call) for call in calls]


def close_response(response: httpx.Response) -> None:
    """Release a response's connection."""
    response.close()


def close_in_background(response: httpx.Response) -> None:
    """Release the connection of a stream dropped unclosed (from ``__del__``)."""
    response.close()


def _owned() -> tuple[httpx.Client, httpx.HTTPTransport | None]:
    """A new pool, and its transport when calls may go to it directly.

    A pool difykit creates has no hooks, auth, cookies or redirects to apply, so its calls skip
    ``Client.send`` and go to the transport (about a third of httpx's time per call). When the
    environment names a proxy, httpx routes through it: the client is used as is.
    """
    if set(urllib.request.getproxies()) - {"no"}:  # NO_PROXY alone names no proxy
        return httpx.Client(limits=DEFAULT_LIMITS), None
    transport = httpx.HTTPTransport(limits=DEFAULT_LIMITS)
    return httpx.Client(transport=transport), transport


class Pool:
    """The client's ``httpx.Client``."""

    __slots__ = ("_direct", "http", "owned")

    http: httpx.Client
    _direct: httpx.HTTPTransport | None

    def __init__(self, http: httpx.Client | None) -> None:
        self.owned: bool = http is None  # a pool passed in (or a sibling's) is not ours to close
        self.http, self._direct = _owned() if http is None else (http, None)

    def sibling(self) -> Pool:
        """A pool that uses this one without owning it."""
        pool = Pool(self.http)
        pool._direct = self._direct
        return pool

    def current(self) -> tuple[httpx.Client, httpx.HTTPTransport | None]:
        """The pool, and its transport if calls may skip the client.

        Raises:
            RuntimeError: The pool was closed (as httpx says for a closed client).
        """
        if self._direct is not None and self.http.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        return self.http, self._direct

    def close(self) -> None:
        """Close the pool if this client created it."""
        if self.owned:
            self.http.close()
