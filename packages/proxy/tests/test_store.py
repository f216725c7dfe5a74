"""Conversation stores: take/put, TTL, LRU bound, SQLite persistence."""

from __future__ import annotations

from pathlib import Path

import pytest
from difykit_proxy import MemoryStore, SQLiteStore


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_memory_store_take_removes_and_ttl_expires() -> None:
    """take() returns and forgets an entry; an entry past its TTL is gone."""
    clock = Clock()
    store = MemoryStore(ttl=10, max_entries=10, clock=clock)
    await store.put("a", "conv-a")
    assert await store.take("a") == "conv-a"
    assert await store.take("a") is None
    await store.put("b", "conv-b")
    clock.now += 11
    assert await store.take("b") is None


@pytest.mark.anyio
async def test_memory_store_drops_least_recently_used() -> None:
    """Past max_entries, the oldest entry goes first."""
    store = MemoryStore(ttl=10, max_entries=2)
    for key in ["a", "b", "c"]:
        await store.put(key, f"conv-{key}")
    assert len(store) == 2
    assert await store.take("a") is None and await store.take("c") == "conv-c"


@pytest.mark.anyio
async def test_sqlite_store_survives_reopening_and_expires(tmp_path: Path) -> None:
    """An entry written by one store is read by the next one on the same file, until its TTL."""
    clock = Clock()
    path = tmp_path / "store.sqlite3"
    first = SQLiteStore(path, ttl=10, clock=clock)
    await first.put("a", "conv-a")
    await first.put("b", "conv-b")
    await first.aclose()
    second = SQLiteStore(path, ttl=10, clock=clock)
    assert await second.take("a") == "conv-a"
    assert await second.take("a") is None
    clock.now += 11
    assert await second.take("b") is None
    await second.aclose()
