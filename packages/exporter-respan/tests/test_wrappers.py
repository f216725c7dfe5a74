"""The earlier exporter's surface: users of ``respan-exporter-dify`` change only an import.

``dify-client-python`` clients and request models go in; calls go through difykit against a
served emulator; what Respan receives is checked on the fake ingest API.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, cast

import pytest
from dify_client import AsyncClient, Client, models  # type: ignore[import-untyped]  # no py.typed
from difykit import Dify, DifyKnowledge
from difykit_async import AsyncDify
from difykit_core.transport import ClientConfig
from difykit_exporter_respan import (
    RespanAsyncDifyClient,
    RespanDifyClient,
    RespanObserver,
    RespanParams,
    create_async_client,
    create_client,
)
from difykit_testing import DifyEmulator
from fake_respan import FakeRespan

with warnings.catch_warnings():  # respan-sdk 2.9 trips a pydantic deprecation on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from respan_sdk.respan_types import RespanLogParams  # type: ignore[import-untyped]
    from respan_sdk.respan_types import (  # pyright: ignore[reportMissingTypeStubs]
        RespanParams as SdkRespanParams,  # pyright: ignore[reportDeprecated]  # the earlier API
    )

DIFY_KEY = "your-dify-api-key"

EARLIER_USAGE = """
from dify_client import Client
from respan_exporter_dify.exporter import create_client

dify_client = Client(api_key="your-dify-api-key")

respan_client = create_client(
    client=dify_client,
    api_key="your-respan-api-key"
)
"""
"""The earlier exporter's documented usage (its README's shape)."""


@pytest.fixture
def chat_app(emulator: DifyEmulator) -> str:
    return emulator.add_app(mode="chat", api_key=DIFY_KEY).api_key


@pytest.fixture(autouse=True)
def _respan_env(respan: FakeRespan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESPAN_ENDPOINT", respan.url)


def _meta(span: dict[str, object]) -> dict[str, object]:
    meta = span["metadata"]
    assert isinstance(meta, dict)
    return cast("dict[str, object]", meta)  # a JSON object: its keys are strings


def _config(client: Dify | AsyncDify) -> ClientConfig:
    """The client's resolved configuration (white-box: its transport is private)."""
    return client._transport.config  # pyright: ignore[reportPrivateUsage]


def _http(client: Dify | AsyncDify) -> object:
    """The httpx client under the client's pool (white-box: its transport is private)."""
    return client._transport.pool.http  # pyright: ignore[reportPrivateUsage]


def test_the_earlier_usage_runs_with_only_the_import_changed(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """The earlier README's code, with its import line pointed here, gives a client that
    logs every call to Respan."""
    code = EARLIER_USAGE.replace(
        "from respan_exporter_dify.exporter import create_client",
        "from difykit_exporter_respan import create_client",
    )
    namespace: dict[str, Any] = {}
    exec(compile(code, "earlier_readme.py", "exec"), namespace)
    client = namespace["respan_client"]
    assert isinstance(client, RespanDifyClient)
    assert client.base_url == "https://api.dify.ai/v1"  # dify-client-python's default
    assert client.api_key == DIFY_KEY
    local = client.with_options(base_url=dify_url)  # the same client, pointed at the emulator
    reply = local.chat_messages(
        models.ChatRequest(query="Hi", user="u1", response_mode=models.ResponseMode.BLOCKING)
    )
    assert reply.answer == "Echo: Hi"  # type: ignore[union-attr]
    assert local.respan is client.respan
    assert client.respan.shutdown(5)
    client.close()
    [root] = respan.accepted
    assert root["span_name"] == "dify.chat.send"
    assert root["output"] == {"role": "assistant", "content": "Echo: Hi"}
    [request] = respan.requests
    assert request.headers["authorization"] == "Bearer your-respan-api-key"


def test_dify_client_python_models_blocking_and_streaming(
    emulator: DifyEmulator, chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """Requests of dify-client-python run blocking or streaming by ``response_mode``; a
    stream is iterated as before and logged once, when it ends."""
    completion = emulator.add_app(mode="completion", inputs=["topic"])
    workflow = emulator.add_app(mode="workflow", inputs=["topic"])
    client: RespanDifyClient = create_client(
        client=Client(api_key=chat_app, api_base=dify_url), api_key="rk"
    )
    chunks = [
        getattr(chunk, "answer", "")
        for chunk in client.chat_messages(
            req=models.ChatRequest(query="one two", user="u2", response_mode="streaming")
        )
    ]
    assert "".join(chunks) == "Echo: one two"
    text = client.with_options(api_key=completion.api_key).completion_messages(
        models.CompletionRequest(inputs={"topic": "tea"}, response_mode="blocking", user="u2")
    )
    run = client.with_options(api_key=workflow.api_key).run_workflows(
        models.WorkflowsRunRequest(inputs={"topic": "tea"}, response_mode="blocking", user="u2")
    )
    assert text.answer == "Echo: tea"  # type: ignore[union-attr]
    assert run.outputs == {"topic": "tea"}  # type: ignore[union-attr]
    assert client.respan.shutdown(5)
    client.close()
    names = [s["span_name"] for s in respan.accepted if s["span_parent_id"] is None]
    assert names == ["dify.chat.stream", "dify.completion.send", "dify.workflows.run"]


def test_respan_params_of_every_form_forward_only_the_whitelist(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """respan-sdk's ``RespanParams``/``RespanLogParams``, a dict and difykit's dataclass all
    work; the SDK's defaults (``field_name``, ``delimiter``…) never reach Respan."""
    client = RespanDifyClient(dify_api_key=chat_app, dify_api_base=dify_url, api_key="rk")
    request = {"query": "Hi", "user": "u3", "response_mode": "blocking"}
    with pytest.warns(DeprecationWarning, match="RespanLogParams"):
        legacy = SdkRespanParams(session_identifier="s-legacy", customer_identifier="c-legacy")
    client.chat_messages(request, respan_params=legacy)
    client.chat_messages(
        request,
        respan_params=RespanLogParams(
            trace_unique_id="trace-log", metadata={"plan": "pro"}, custom_identifier="ci"
        ),
    )
    client.chat_messages(request, respan_params={"group_identifier": "g", "model": "gpt-x"})
    client.chat_messages(request, respan_params=RespanParams(properties={"n": 1}))
    assert client.respan.shutdown(5)
    client.close()
    a, b, c, d = respan.accepted
    assert (a["session_identifier"], a["customer_identifier"]) == ("s-legacy", "c-legacy")
    assert b["trace_unique_id"] == "trace-log"
    assert (_meta(b)["plan"], b["custom_identifier"]) == ("pro", "ci")
    assert c["group_identifier"] == "g"
    assert "model" not in c  # not whitelisted
    assert d["properties"] == {"n": 1}
    for span in (a, b, c, d):
        for leaked in ("field_name", "delimiter", "disable_log", "request_breakdown"):
            assert leaked not in span


def test_disable_log_in_respan_params_skips_the_call(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """``respan_params={"disable_log": True}`` sends nothing for that call only."""
    client = RespanDifyClient(dify_api_key=chat_app, base_url=dify_url, api_key="rk")
    request = {"query": "Hi", "user": "u4", "response_mode": "blocking"}
    client.chat_messages(request, respan_params={"disable_log": True})
    client.chat_messages(request)
    assert client.respan.shutdown(5)
    client.close()
    assert len(respan.accepted) == 1


def test_wrapped_difykit_client_keeps_its_surface_options_and_observers(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """A difykit ``Dify`` keeps its options, pool and observers; the result is still a
    ``Dify`` with every resource, and siblings share the Respan observer."""
    other = RespanObserver(exporter=_Memory())
    original = Dify(api_key=chat_app, base_url=dify_url, max_retries=1, observers=[other])
    client = create_client(client=original, api_key="rk")
    assert isinstance(client, Dify)
    assert client.observers == (other, client.respan)
    assert original.observers == (other,)
    assert _config(client).retry.max_retries == 1
    client.chat.send(query="typed", user="u5")
    conversations = client.conversations.list(user="u5")
    assert len(conversations.data) == 1
    sibling = client.with_options(timeout=30)
    assert type(sibling) is RespanDifyClient
    assert sibling.respan is client.respan
    assert client.respan.shutdown(5)
    assert [s["span_name"] for s in respan.accepted] == [
        "dify.chat.send",
        "dify.conversations.list",
    ]
    other.shutdown()
    original.close()


def test_siblings_share_the_pool_and_keep_the_respan_observer(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """``with_options`` gives a ``RespanDifyClient`` on the same pool with the changed
    options; its Respan observer stays attached even when ``observers`` replaces the list."""
    other = RespanObserver(exporter=_Memory())
    client = RespanDifyClient(
        dify_api_key=chat_app, base_url=dify_url, api_key="rk", max_retry_after=5.0
    )
    sibling = client.with_options(max_retries=0)
    replaced = client.with_options(observers=[other])
    assert (type(sibling), type(replaced)) == (RespanDifyClient, RespanDifyClient)
    assert sibling.respan is replaced.respan is client.respan
    assert sibling.observers == (client.respan,)
    assert replaced.observers == (other, client.respan)
    assert _http(sibling) is _http(client)
    assert _http(replaced) is _http(client)
    assert _config(sibling).retry.max_retries == 0
    assert _config(sibling).retry.max_retry_after == 5.0
    with pytest.raises(TypeError):
        client.with_options(timeoutt=3)  # type: ignore[call-arg]  # options are typed, not **Any
    replaced.chat.send(query="Hi", user="u7")
    assert client.respan.shutdown(5)
    other.shutdown()
    client.close()
    assert [s["span_name"] for s in respan.accepted] == ["dify.chat.send"]


def test_knowledge_clients_get_the_observer_too(
    emulator: DifyEmulator, dify_url: str, respan: FakeRespan
) -> None:
    """``create_client`` on a ``DifyKnowledge`` returns a sibling that logs its calls."""
    original = DifyKnowledge(api_key=emulator.dataset_key, base_url=dify_url)
    kb = create_client(client=original, api_key="rk")
    kb.datasets.create(name="Docs")
    original.close()  # the sibling shares (and does not own) the original's pool
    [observer] = kb.observers
    assert isinstance(observer, RespanObserver)
    assert observer.shutdown(5)
    assert [s["span_name"] for s in respan.accepted] == ["dify.datasets.create"]


def test_async_wrappers_with_dify_client_python(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """``create_async_client`` takes an ``AsyncClient``; ``achat_messages`` and friends work
    blocking and streaming."""

    async def main() -> RespanAsyncDifyClient:
        client: RespanAsyncDifyClient = create_async_client(
            client=AsyncClient(api_key=chat_app, api_base=dify_url), api_key="rk"
        )
        reply = await client.achat_messages(
            models.ChatRequest(query="Hi", user="u6", response_mode="blocking")
        )
        assert reply.answer == "Echo: Hi"  # type: ignore[union-attr]
        stream = await client.achat_messages(
            {"query": "Hi there", "user": "u6", "response_mode": "streaming"},
            respan_params={"session_identifier": "s-async"},
        )
        answer = [getattr(e, "answer", "") async for e in stream]  # type: ignore[union-attr]
        assert "".join(answer) == "Echo: Hi there"
        assert await client.respan.aflush(5)
        await client.aclose()
        return client

    client = asyncio.run(main())
    blocking, streamed = respan.accepted
    assert blocking["span_name"] == "dify.chat.send"
    assert (streamed["span_name"], streamed["session_identifier"]) == (
        "dify.chat.stream",
        "s-async",
    )
    assert client.respan.shutdown(5)


def test_async_siblings_share_the_pool_and_the_respan_observer(
    chat_app: str, dify_url: str, respan: FakeRespan
) -> None:
    """The async twin: a wrapped ``AsyncDify`` keeps its options and observers, and its
    siblings are ``RespanAsyncDifyClient``s on the same pool, logging to the same observer."""

    async def main() -> None:
        other = RespanObserver(exporter=_Memory())
        original = AsyncDify(api_key=chat_app, base_url=dify_url, max_retries=1, observers=[other])
        client = create_async_client(client=original, api_key="rk")
        assert client.observers == (other, client.respan)
        assert _config(client).retry.max_retries == 1
        sibling = client.with_options(timeout=30)
        assert type(sibling) is RespanAsyncDifyClient
        assert sibling.respan is client.respan
        assert sibling.observers == (other, client.respan)
        assert _http(sibling) is _http(original)
        reply = await sibling.chat.send(query="Hi", user="u8")
        assert reply.answer == "Echo: Hi"
        assert await client.respan.aflush(5)
        other.shutdown()
        await original.aclose()

    asyncio.run(main())
    assert [s["span_name"] for s in respan.accepted] == ["dify.chat.send"]


def test_bad_inputs_are_type_errors(chat_app: str, dify_url: str) -> None:
    """An unknown client or request shape, or a field the call does not take, is a TypeError."""
    with pytest.raises(TypeError, match="client must be"):
        create_client(client=object(), api_key="rk")
    client = RespanDifyClient(dify_api_key=chat_app, base_url=dify_url, api_key="rk")
    with pytest.raises(TypeError, match="req must be"):
        client.chat_messages("Hi")
    with pytest.raises(TypeError, match="unexpected field 'query'"):
        client.run_workflows({"query": "Hi", "user": "u", "response_mode": "blocking"})
    with pytest.raises(TypeError, match="respan_params must be"):
        client.chat_messages({"query": "Hi", "user": "u"}, respan_params=42)
    client.respan.shutdown()
    client.close()


class _Memory:
    def export(self, batch: object) -> Any:
        from difykit_exporter_respan import ExportResult

        return ExportResult.success()

    def force_flush(self, timeout: float = 5.0) -> bool:
        return True

    def shutdown(self) -> None:
        return None
