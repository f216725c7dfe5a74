"""Fixtures: a served Dify emulator and a fake Respan ingest API, both on loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from difykit_exporter_respan import RespanObserver
from difykit_testing import DifyEmulator
from fake_respan import FakeRespan, serve_fake_respan


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def respan() -> Iterator[FakeRespan]:
    """A fake Respan ingest API on a loopback port."""
    with serve_fake_respan() as server:
        yield server


@pytest.fixture
def emulator() -> Iterator[DifyEmulator]:
    """A fresh Dify emulator."""
    with DifyEmulator() as emu:
        yield emu


@pytest.fixture
def dify_url(emulator: DifyEmulator) -> Iterator[str]:
    """The emulator served on a loopback port (its ``/v1`` base URL)."""
    with emulator.serve() as base_url:
        yield base_url


@pytest.fixture
def observer(respan: FakeRespan) -> Iterator[RespanObserver]:
    """An observer sending to the fake Respan, quickly (short interval, short backoff)."""
    obs = RespanObserver(
        "rk-test", endpoint=respan.url, flush_interval=0.02, backoff_base=0.01, backoff_cap=0.2
    )
    yield obs
    obs.shutdown()
