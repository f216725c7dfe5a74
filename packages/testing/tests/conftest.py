"""Shared fixtures (the ``dify_emulator`` fixture comes from the package's own pytest plugin)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
