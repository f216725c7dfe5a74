"""The sync pieces of the client, behind a small seam (the async twin has its own).

``scripts/unasync.py`` writes the rest of ``difykit`` from ``difykit_async``; this module is
written by hand in both: sleeping, uploading a call's files (one after the other here), closing
a response, and the connection pool.
"""

from __future__ import annotations

import time
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


class Pool:
    """The client's ``httpx.Client``."""

    __slots__ = ("http", "owned")

    def __init__(self, http: httpx.Client | None) -> None:
        self.owned = http is None  # a pool passed in (or a sibling's) is not ours to close
        self.http = http if http is not None else httpx.Client(limits=DEFAULT_LIMITS)

    def sibling(self) -> Pool:
        """A pool that uses this one without owning it."""
        return Pool(self.http)

    def current(self) -> httpx.Client:
        """The pool."""
        return self.http

    def close(self) -> None:
        """Close the pool if this client created it."""
        if self.owned:
            self.http.close()
