"""End to end, async: AsyncDify calls against a served emulator arrive at a fake Respan API.

The twin of ``test_observer.py`` for ``difykit_async`` clients, plus what only async code
does: a task cancelled mid-stream, and context kept per task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import cast

import pytest
from difykit_async import AsyncDify, AsyncDifyKnowledge
from difykit_core import BadRequestError, DifyStreamError
from difykit_exporter_respan import RespanObserver, respan_context
from difykit_exporter_respan._nodes import span_id
from difykit_testing import DifyEmulator
from fake_respan import FakeRespan
from scenarios import AGENT_THOUGHTS, LOOP_CHATFLOW, MID_STREAM_ERROR, workflow_app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def make(
    dify_url: str, observer: RespanObserver
) -> AsyncIterator[Callable[[str], AsyncDify]]:
    clients: list[AsyncDify] = []

    def build(api_key: str) -> AsyncDify:
        client = AsyncDify(api_key=api_key, base_url=dify_url, max_retries=0, observers=[observer])
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


async def _sent(observer: RespanObserver, respan: FakeRespan) -> list[dict[str, object]]:
    assert await observer.aflush(5.0)
    return respan.accepted


def _meta(span: dict[str, object]) -> dict[str, object]:
    meta = span["metadata"]
    assert isinstance(meta, dict)
    return cast("dict[str, object]", meta)  # a JSON object: its keys are strings


async def test_blocking_chat_is_one_log(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """An async blocking chat call becomes one root log with usage, cost and ids."""
    app = emulator.add_app(mode="chat")
    msg = await make(app.api_key).chat.send(query="Hello", user="user-1")
    [root] = await _sent(observer, respan)
    usage = msg.metadata.usage
    assert usage is not None and usage.total_price is not None
    assert root["span_name"] == "dify.chat.send"
    assert root["status"] == "success"
    assert root["input"] == [{"role": "user", "content": "Hello"}]
    assert root["output"] == {"role": "assistant", "content": "Echo: Hello"}
    assert root["cost"] == float(usage.total_price)
    assert root["usage"] == {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    assert root["customer_identifier"] == "user-1"
    assert root["session_identifier"] == msg.conversation_id
    assert _meta(root)["dify.message_id"] == msg.message_id


async def test_streaming_chat_is_one_log_with_time_to_first_token(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """An async stream is one log with its aggregated answer and time to first token."""
    app = emulator.add_app(mode="chat", reply="a b c d e")
    async with make(app.api_key).chat.stream(query="Hi", user="user-2") as stream:
        events = [event async for event in stream]
    message = await stream.collect()
    [root] = await _sent(observer, respan)
    assert root["stream"] is True
    assert root["output"] == {"role": "assistant", "content": message.answer}
    ttft, latency = root["time_to_first_token"], root["latency"]
    assert isinstance(ttft, float) and isinstance(latency, float) and 0 < ttft <= latency
    assert _meta(root)["dify.events"] == str(len(events))


async def test_streaming_chatflow_nodes_become_a_span_tree(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """Async chatflow node events become the same span tree, loop nesting included."""
    app = emulator.add_app(mode="advanced-chat", reply=LOOP_CHATFLOW)
    await make(app.api_key).chat.stream(query="count", user="user-3").collect()
    root, *children = await _sent(observer, respan)
    loop = next(c for c in children if c["span_name"] == "Loop")
    rounds = [c for c in children if c["span_name"] == "Increment"]
    llm = next(c for c in children if c["span_name"] == "Answer LLM")
    assert loop["span_parent_id"] == root["span_unique_id"]
    assert [r["span_parent_id"] for r in rounds] == [loop["span_unique_id"]] * 2
    assert llm["model"] == root["model"] == "gpt-4o-mini"
    assert llm["cost"] == 0.000034


@pytest.mark.parametrize("status", ["succeeded", "failed", "stopped"])
async def test_workflow_runs_are_logged_with_their_status(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
    status: str,
) -> None:
    """Async workflow runs: succeeded is a success; failed and stopped are errors."""
    app = workflow_app(emulator, status)
    run = await make(app.api_key).workflows.run(inputs={"topic": "tea"}, user="user-4")
    [root] = await _sent(observer, respan)
    assert root["log_type"] == "workflow"
    assert root["input"] == {"topic": "tea"}
    assert _meta(root)["dify.workflow_run_id"] == run.workflow_run_id
    if status == "succeeded":
        assert root["status"] == "success"
        assert root["output"] == run.outputs
    else:
        assert root["status"] == "error"
        assert root["error_code"] == f"workflow_{status}"
        assert root["error_message"] == run.data.error


async def test_agent_thoughts_become_tool_spans(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """Async agent thoughts become tool spans under the root."""
    app = emulator.add_app(mode="agent-chat", reply=AGENT_THOUGHTS)
    await make(app.api_key).chat.stream(query="what is dify?", user="user-5").collect()
    root, tool = await _sent(observer, respan)
    assert tool["span_parent_id"] == root["span_unique_id"]
    assert tool["span_name"] == "web_search"
    assert tool["output"] == "Dify is an LLM app platform"


async def test_knowledge_operation_is_logged(
    emulator: DifyEmulator, dify_url: str, observer: RespanObserver, respan: FakeRespan
) -> None:
    """An async knowledge call is one ``task`` log."""
    async with AsyncDifyKnowledge(
        api_key=emulator.dataset_key, base_url=dify_url, observers=[observer]
    ) as kb:
        dataset = await kb.datasets.create(name="Handbook")
    [root] = await _sent(observer, respan)
    assert root["span_name"] == "dify.datasets.create"
    assert root["log_type"] == "task"
    assert isinstance(root["output"], dict) and root["output"]["id"] == dataset.id


async def test_http_error_and_error_event_are_error_logs(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """An async error answer and an ``error`` event are both error logs with Dify's code."""
    app = emulator.add_app(mode="chat", reply=MID_STREAM_ERROR)
    dify = make(app.api_key)
    emulator.faults.fail_next(status=400, code="invalid_param", message="bad")
    with pytest.raises(BadRequestError):
        await dify.chat.send(query="Hi", user="user-6")
    with pytest.raises(DifyStreamError):
        await dify.chat.stream(query="Hi", user="user-6").collect()
    answer, event = await _sent(observer, respan)
    assert (answer["status"], answer["status_code"], answer["error_code"]) == (
        "error",
        400,
        "invalid_param",
    )
    assert (event["status"], event["error_code"]) == ("error", "provider_quota_exceeded")


async def test_stream_closed_early_and_task_cancelled_are_marked_cancelled(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """An async stream left early is ``closed``; a task cancelled mid-stream is
    ``CancelledError``; both are cancelled logs with the partial answer."""
    app = emulator.add_app(mode="chat", reply="one two three four five six")
    dify = make(app.api_key)
    async with dify.chat.stream(query="Hi", user="user-7") as stream:
        async for _ in stream:
            break
    emulator.faults.pace(delay=0.05)
    first = asyncio.Event()

    async def consume() -> None:
        async with dify.chat.stream(query="Hi", user="user-7") as stream:
            async for _ in stream:
                first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    closed, cancelled = await _sent(observer, respan)
    assert _meta(closed)["dify.cancel_reason"] == "closed"
    assert _meta(cancelled)["dify.cancel_reason"] == "CancelledError"
    for span in (closed, cancelled):
        assert span["status"] == "error"
        assert span["status_code"] == 499
        assert _meta(span)["dify.cancelled"] == "true"
        output = span["output"]
        assert isinstance(output, dict)
        assert str(cast("dict[str, object]", output)["content"]).startswith("one ")


async def test_disable_log_and_context_per_task(
    emulator: DifyEmulator,
    make: Callable[[str], AsyncDify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """``disable_log`` skips a call; concurrent tasks each keep their own ``respan_context``,
    and a stream made in a block keeps it when read by another task."""
    app = emulator.add_app(mode="chat")
    dify = make(app.api_key)
    async with respan_context(disable_log=True):
        await dify.chat.send(query="skip me", user="user-8")

    async def ask(index: int) -> None:
        async with respan_context(session_identifier=f"task-{index}", metadata={"i": index}):
            await asyncio.sleep(0.01 * (3 - index))
            await dify.chat.send(query=f"q{index}", user="user-8")

    await asyncio.gather(*(ask(i) for i in range(3)))
    with respan_context(trace_unique_id="trace-t"):
        stream = dify.chat.stream(query="streamed", user="user-8")
    await asyncio.create_task(stream.collect())
    spans = await _sent(observer, respan)
    sends = {
        str(s["input"][0]["content"]): (s["session_identifier"], _meta(s)["i"])  # type: ignore[index]
        for s in spans
        if s["span_name"] == "dify.chat.send"
    }
    assert sends == {f"q{i}": (f"task-{i}", str(i)) for i in range(3)}
    streamed = next(s for s in spans if s["span_name"] == "dify.chat.stream")
    assert streamed["trace_unique_id"] == "trace-t"
    assert streamed["span_unique_id"] == span_id(
        "trace-t", f"call:{_meta(streamed)['dify.message_id']}"
    )
