"""The pytest plugin (entry point ``pytest11``): a ``dify_emulator`` fixture per test.

::

    def test_my_bot(dify_emulator):
        app = dify_emulator.add_app(mode="chat", reply="Hi!")
        dify = Dify(api_key=app.api_key, base_url="http://dify.test/v1",
                    http_client=httpx.Client(transport=dify_emulator.transport()))
        assert dify.chat.send(query="Hello", user="u1").answer == "Hi!"
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._emulator import DifyEmulator

__all__ = ["dify_emulator", "dify_emulator_url"]


@pytest.fixture
def dify_emulator() -> Iterator[DifyEmulator]:
    """A fresh in-memory Dify for one test (apps via ``add_app``, ``dataset_key`` for knowledge)."""
    with DifyEmulator() as emulator:
        yield emulator


@pytest.fixture
def dify_emulator_url(dify_emulator: DifyEmulator) -> Iterator[str]:
    """The test's emulator served on a random loopback port: its base URL, ending in ``/v1``."""
    with dify_emulator.serve() as base_url:
        yield base_url
