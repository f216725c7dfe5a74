"""Conversation stores: history key → Dify ``conversation_id``, with a time to live.

:class:`ConversationStore` is the interface (four coroutines), so a Redis store can follow;
:class:`MemoryStore` (LRU + TTL, the default) and :class:`SQLiteStore` (survives a restart on
one machine) implement it. Keys are SHA-256 digests (:func:`difykit_proxy._translate.history_key`):
no key, user or message text is stored.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import anyio.to_thread

__all__ = ["ConversationStore", "MemoryStore", "SQLiteStore"]


class ConversationStore(Protocol):
    """Where the proxy remembers which Dify conversation a history belongs to."""

    async def take(self, key: str) -> str | None:
        """Remove and return the conversation id of ``key`` (``None``: unknown or expired).

        Taking (not reading) means two requests continuing the same history never both
        append to one Dify conversation, and an edited turn never reuses it.
        """
        ...

    async def put(self, key: str, conversation_id: str) -> None:
        """Remember ``conversation_id`` for ``key`` (replacing any earlier one)."""
        ...

    async def aclose(self) -> None:
        """Release the store's resources."""
        ...


class MemoryStore:
    """An in-process store: least recently used entries go first past ``max_entries``."""

    def __init__(
        self, *, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Create an empty store.

        Args:
            ttl: Seconds an entry stays reachable.
            max_entries: Entries kept at most.
            clock: Seconds, monotonic.
        """
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def take(self, key: str) -> str | None:
        """See :meth:`ConversationStore.take`."""
        entry = self._entries.pop(key, None)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    async def put(self, key: str, conversation_id: str) -> None:
        """See :meth:`ConversationStore.put`."""
        self._entries[key] = (conversation_id, self._clock() + self._ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def aclose(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class SQLiteStore:
    """A store in one SQLite file (WAL), read and written in a worker thread."""

    def __init__(
        self, path: str | Path, *, ttl: float, clock: Callable[[], float] = time.time
    ) -> None:
        """Open (or create) the file.

        Args:
            path: The database file.
            ttl: Seconds an entry stays reachable.
            clock: Wall-clock seconds (entries outlive the process).
        """
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS conversations ("
            "key TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, expires REAL NOT NULL)"
        )
        self._db.execute("DELETE FROM conversations WHERE expires <= ?", (self._clock(),))

    def _take(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT conversation_id, expires FROM conversations WHERE key = ?", (key,)
            ).fetchone()
            if row is not None:
                self._db.execute("DELETE FROM conversations WHERE key = ?", (key,))
        if row is None or float(row[1]) <= self._clock():
            return None
        return str(row[0])

    def _put(self, key: str, conversation_id: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?)",
                (key, conversation_id, self._clock() + self._ttl),
            )

    async def take(self, key: str) -> str | None:
        """See :meth:`ConversationStore.take`."""
        return await anyio.to_thread.run_sync(self._take, key)

    async def put(self, key: str, conversation_id: str) -> None:
        """See :meth:`ConversationStore.put`."""
        await anyio.to_thread.run_sync(self._put, key, conversation_id)

    async def aclose(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
