"""A completion used out of order says so (a RuntimeError naming the missing step)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from difykit_proxy import MemoryStore, load_settings
from difykit_proxy._completion import Completion, Services
from difykit_proxy._openai import ChatCompletionRequest
from difykit_proxy._registry import AppRegistry
from difykit_testing import DifyEmulator

KEY = "sk-test-one"


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    """Services in front of an in-process emulator with one chat app, named ``chat``."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat")
    settings = load_settings(
        None,
        env_file=None,
        proxy_keys=[KEY],
        apps={"chat": app.api_key},
        dify_base_url="http://dify.test/v1",
    )
    async with httpx.AsyncClient(transport=emulator.async_transport()) as http:
        registry = AppRegistry(settings, http)
        yield Services(settings, registry, MemoryStore(ttl=60, max_entries=10))


def _completion(services: Services) -> Completion:
    request = ChatCompletionRequest.model_validate(
        {"model": "chat", "messages": [{"role": "user", "content": "Hello Dify"}]}
    )
    return Completion(services, request, tenant="tenant")


@pytest.mark.anyio
async def test_a_completion_not_open_refuses_to_relay(services: Services) -> None:
    """Before open(), the translator, collect() and chunks() raise a RuntimeError saying so."""
    completion = _completion(services)
    with pytest.raises(RuntimeError, match="not open"):
        _ = completion.translator
    with pytest.raises(RuntimeError, match="not open"):
        await completion.collect()
    with pytest.raises(RuntimeError, match="not open"):
        async for _ in completion.chunks():
            pass


@pytest.mark.anyio
async def test_a_closed_completion_refuses_to_read_upstream(services: Services) -> None:
    """After aclose(), collecting needs the closed upstream stream: a RuntimeError says so."""
    completion = _completion(services)
    await completion.open()
    await completion.aclose()
    with pytest.raises(RuntimeError, match="upstream stream is not open"):
        await completion.collect()


@pytest.mark.anyio
async def test_an_open_completion_collects_the_answer(services: Services) -> None:
    """open() then collect(): the answer is one chat.completion with the app's reply."""
    completion = _completion(services)
    await completion.open()
    result = await completion.collect()
    assert isinstance(result, dict)
    assert result["object"] == "chat.completion"
    assert completion.translator.completion_id == result["id"]
