"""End to end, sync: difykit calls against a served emulator arrive at a fake Respan ingest API.

Each test makes real calls over loopback and asserts the JSON the fake received, field by field.
The async twin is ``test_observer_async.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import cast

import pytest
from difykit import Dify, DifyKnowledge
from difykit_core import BadRequestError, CallInfo, DifyStreamError
from difykit_core.transport import key_fingerprint
from difykit_exporter_respan import RespanObserver, respan_context
from difykit_exporter_respan._nodes import span_id
from difykit_testing import DifyEmulator
from fake_respan import FakeRespan
from scenarios import AGENT_THOUGHTS, LOOP_CHATFLOW, MID_STREAM_ERROR, workflow_app


@pytest.fixture
def make(dify_url: str, observer: RespanObserver) -> Iterator[Callable[[str], Dify]]:
    clients: list[Dify] = []

    def build(api_key: str) -> Dify:
        client = Dify(api_key=api_key, base_url=dify_url, max_retries=0, observers=[observer])
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def _sent(observer: RespanObserver, respan: FakeRespan) -> list[dict[str, object]]:
    assert observer.flush(5.0)
    return respan.accepted


def _seconds(iso: object) -> float:
    assert isinstance(iso, str)
    return datetime.fromisoformat(iso).timestamp()


def _meta(span: dict[str, object]) -> dict[str, object]:
    meta = span["metadata"]
    assert isinstance(meta, dict)
    return cast("dict[str, object]", meta)  # a JSON object: its keys are strings


def test_blocking_chat_is_one_log_with_usage_cost_ids_and_headers(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """A blocking chat call becomes one root log: input, output, usage, cost, ids, timing."""
    app = emulator.add_app(mode="chat")
    dify = make(app.api_key)
    msg = dify.chat.send(query="Hello there", user="user-1")
    [root] = _sent(observer, respan)
    usage = msg.metadata.usage
    assert usage is not None and usage.total_price is not None
    assert len(str(root["trace_unique_id"])) == 32
    assert root["span_unique_id"] == root["trace_unique_id"]
    assert root["span_parent_id"] is None
    assert root["span_name"] == "dify.chat.send"
    assert root["span_workflow_name"] == "dify.chat.send"
    assert root["log_type"] == "chat"
    assert root["log_method"] == "tracing_integration"
    assert root["stream"] is False
    assert root["status"] == "success"
    assert root["status_code"] == 200
    assert root["input"] == [{"role": "user", "content": "Hello there"}]
    assert root["output"] == {"role": "assistant", "content": "Echo: Hello there"}
    assert root["prompt_tokens"] == usage.prompt_tokens
    assert root["completion_tokens"] == usage.completion_tokens
    assert root["usage"] == {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    assert root["cost"] == float(usage.total_price)
    assert root["customer_identifier"] == "user-1"
    assert root["session_identifier"] == msg.conversation_id
    assert "time_to_first_token" not in root
    assert "error_message" not in root
    latency = root["latency"]
    assert isinstance(latency, float) and 0 < latency < 5
    assert _seconds(root["timestamp"]) - _seconds(root["start_time"]) == pytest.approx(
        latency, abs=1e-5
    )
    meta = _meta(root)
    assert meta["dify.operation"] == "chat.send"
    assert meta["dify.message_id"] == msg.message_id
    assert meta["dify.task_id"] == msg.task_id
    assert meta["dify.conversation_id"] == msg.conversation_id
    assert meta["dify.app_mode"] == "chat"
    assert meta["dify.attempts"] == "1"
    assert meta["dify.total_price"] == str(usage.total_price)
    assert meta["dify.currency"] == "USD"
    assert meta["dify.latency_server"] == str(usage.latency)
    assert meta["dify.app_key"] == key_fingerprint(app.api_key)
    assert app.api_key not in str(root)
    [request] = respan.requests
    assert request.path == "/api/v1/traces/ingest"
    assert request.headers["authorization"] == "Bearer rk-test"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-respan-dogfood"] == "1"
    assert request.headers["user-agent"].startswith("difykit-exporter-respan/")


def test_streaming_chat_is_one_log_with_time_to_first_token(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """A stream of many ``message`` events is one log (not one per event), with TTFT, tokens/s."""
    app = emulator.add_app(mode="chat", reply="one two three four five six seven eight")
    dify = make(app.api_key)
    with dify.chat.stream(query="count", user="user-2") as stream:
        events = list(stream)
    message = stream.collect()
    [root] = _sent(observer, respan)
    assert len(events) == 9  # eight deltas and message_end
    usage = message.metadata.usage
    assert usage is not None
    assert root["span_name"] == "dify.chat.stream"
    assert root["stream"] is True
    assert root["status"] == "success"
    assert root["output"] == {"role": "assistant", "content": message.answer}
    assert root["completion_tokens"] == usage.completion_tokens
    ttft, latency = root["time_to_first_token"], root["latency"]
    assert isinstance(ttft, float) and isinstance(latency, float)
    assert 0 < ttft <= latency
    assert root["tokens_per_second"] == pytest.approx(
        usage.completion_tokens / (latency - ttft), rel=0.01
    )
    meta = _meta(root)
    assert meta["dify.events"] == "9"
    assert meta["dify.message_id"] == message.message_id
    first_event = meta["dify.time_to_first_event"]
    assert isinstance(first_event, str)
    assert float(first_event) == pytest.approx(ttft, abs=1e-5)


def test_streaming_chatflow_nodes_become_a_span_tree_with_loop_nesting(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """Chatflow node events become child spans; nodes inside a loop hang under the loop span."""
    app = emulator.add_app(mode="advanced-chat", reply=LOOP_CHATFLOW)
    dify = make(app.api_key)
    stream = dify.chat.stream(query="count", user="user-3")
    node_ids: dict[str | None, list[str | None]] = {}
    for event in stream:
        if event.event == "node_finished":
            node_ids.setdefault(event.data.node_id, []).append(event.data.id)  # type: ignore[union-attr]
    message = stream.collect()
    spans = _sent(observer, respan)
    root, children = spans[0], spans[1:]
    trace = str(root["trace_unique_id"])
    by_name: dict[str, list[dict[str, object]]] = {}
    for child in children:
        by_name.setdefault(str(child["span_name"]), []).append(child)
    assert sorted(by_name) == ["Answer LLM", "Increment", "Loop", "Start"]
    assert all(c["trace_unique_id"] == trace for c in children)
    assert all(c["span_workflow_name"] == "dify.chat.stream" for c in children)
    [loop] = by_name["Loop"]
    [llm] = by_name["Answer LLM"]
    [start] = by_name["Start"]
    rounds = by_name["Increment"]
    assert loop["span_parent_id"] == root["span_unique_id"]
    assert loop["log_type"] == "workflow"
    assert _meta(loop)["dify.span_kind"] == "loop"
    assert [r["span_parent_id"] for r in rounds] == [loop["span_unique_id"]] * 2
    assert [_meta(r)["dify.loop_index"] for r in rounds] == ["0", "1"]
    assert [r["span_unique_id"] for r in rounds] == [
        span_id(trace, f"node:{execution}") for execution in node_ids["inc"]
    ]
    assert start["span_parent_id"] == root["span_unique_id"]
    assert start["log_type"] == "task"
    assert llm["span_parent_id"] == root["span_unique_id"]
    assert llm["log_type"] == "chat"
    assert llm["model"] == "gpt-4o-mini"
    assert llm["provider_id"] == "openai"
    assert llm["usage"] == {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24}
    assert llm["cost"] == 0.000034
    assert llm["input"] == [{"role": "user", "text": "count"}]
    assert llm["output"] == {
        "text": "Counted to two.",
        "usage": {
            "prompt_tokens": 20,
            "completion_tokens": 4,
            "total_tokens": 24,
            "total_price": "0.000034",
            "currency": "USD",
            "latency": 0.5,
            "time_to_first_token": 0.25,
        },
    }
    assert all(c["status"] == "success" for c in children)
    assert root["model"] == "gpt-4o-mini"
    assert root["output"] == {"role": "assistant", "content": "Counted to two."}
    assert root["session_identifier"] == message.conversation_id
    meta = _meta(root)
    assert meta["dify.nodes"] == "5"
    assert meta["dify.workflow_run_id"] == message.workflow_run_id
    assert meta["dify.workflow_status"] == "succeeded"
    ttft = root["time_to_first_token"]
    assert isinstance(ttft, float)
    first_token_at = _seconds(root["start_time"]) + ttft
    assert _seconds(llm["start_time"]) - 1e-5 <= first_token_at <= _seconds(llm["timestamp"]) + 1e-5


@pytest.mark.parametrize("streaming", [False, True])
def test_succeeded_workflow_run_logs_inputs_outputs_and_tokens(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
    streaming: bool,
) -> None:
    """A workflow run is a ``workflow`` log with its inputs, outputs, tokens and run ids."""
    app = workflow_app(emulator)
    dify = make(app.api_key)
    if streaming:
        run = dify.workflows.stream(inputs={"topic": "tea"}, user="user-4").collect()
    else:
        run = dify.workflows.run(inputs={"topic": "tea"}, user="user-4")
    spans = _sent(observer, respan)
    root = spans[0]
    assert root["span_name"] == ("dify.workflows.stream" if streaming else "dify.workflows.run")
    assert root["log_type"] == "workflow"
    assert root["status"] == "success"
    assert root["input"] == {"topic": "tea"}
    assert root["output"] == run.outputs
    if streaming:  # the LLM nodes' usage adds the prompt/completion split
        llm = spans[2]
        assert llm["span_name"] == "LLM"
        assert root["usage"] == {**llm["usage"], "total_tokens": run.data.total_tokens}  # type: ignore[dict-item]
        assert root["prompt_tokens"] == llm["prompt_tokens"]
    else:
        assert root["usage"] == {"total_tokens": run.data.total_tokens}
    assert root["customer_identifier"] == "user-4"
    assert "session_identifier" not in root
    meta = _meta(root)
    assert meta["dify.workflow_run_id"] == run.workflow_run_id
    assert meta["dify.workflow_id"] == run.data.workflow_id
    assert meta["dify.workflow_status"] == "succeeded"
    assert meta["dify.app_mode"] == "workflow"
    if streaming:
        assert [c["span_name"] for c in spans[1:]] == ["Start", "LLM", "End"]
        assert root["cost"] == spans[2]["cost"]
    else:
        assert len(spans) == 1


@pytest.mark.parametrize("status", ["failed", "stopped"])
@pytest.mark.parametrize("streaming", [False, True])
def test_failed_or_stopped_workflow_run_is_an_error_log(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
    status: str,
    streaming: bool,
) -> None:
    """A failed or stopped run (HTTP 200) is logged as an error with the run's error."""
    app = workflow_app(emulator, status)
    dify = make(app.api_key)
    if streaming:
        run = dify.workflows.stream(inputs={"topic": "tea"}, user="user-5").collect()
    else:
        run = dify.workflows.run(inputs={"topic": "tea"}, user="user-5")
    assert run.status == status
    spans = _sent(observer, respan)
    root = spans[0]
    assert root["status"] == "error"
    assert root["status_code"] == 200
    assert root["error_code"] == f"workflow_{status}"
    assert root["error_message"] == run.data.error
    assert _meta(root)["dify.workflow_status"] == status
    if streaming:
        code = next(c for c in spans[1:] if c["span_name"] == "Code")
        assert code["status"] == "error"
        assert code["error_message"] == run.data.error
        assert code["log_type"] == "tool"


def test_agent_thoughts_become_tool_spans(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """Each agent thought (updated in place by Dify) becomes one tool span under the root."""
    app = emulator.add_app(mode="agent-chat", reply=AGENT_THOUGHTS)
    dify = make(app.api_key)
    message = dify.chat.stream(query="what is dify?", user="user-6").collect()
    root, tool = _sent(observer, respan)
    assert root["output"] == {"role": "assistant", "content": "Dify is a platform."}
    assert _meta(root)["dify.agent_thoughts"] == "1"
    assert _meta(root)["dify.app_mode"] == message.mode == "agent-chat"
    assert tool["span_parent_id"] == root["span_unique_id"]
    assert tool["span_unique_id"] == span_id(str(root["trace_unique_id"]), "thought:th-1")
    assert tool["log_type"] == "tool"
    assert tool["span_name"] == "web_search"
    assert tool["span_tools"] == ["web_search"]
    assert tool["input"] == '{"q": "dify"}'
    assert tool["output"] == "Dify is an LLM app platform"
    assert tool["properties"] == {"thought": "I should search"}
    assert _meta(tool) == {
        "dify.thought_id": "th-1",
        "dify.thought_position": "1",
        "dify.tool": "web_search",
    }


def test_knowledge_operations_are_logged_as_tasks(
    emulator: DifyEmulator, dify_url: str, observer: RespanObserver, respan: FakeRespan
) -> None:
    """Knowledge-key calls are logged too: one ``task`` log each, with request and result."""
    with DifyKnowledge(api_key=emulator.dataset_key, base_url=dify_url, observers=[observer]) as kb:
        dataset = kb.datasets.create(name="Handbook")
        kb.datasets.get(dataset.id)
    create, get = _sent(observer, respan)
    assert create["span_name"] == "dify.datasets.create"
    assert create["log_type"] == "task"
    assert create["status"] == "success"
    assert isinstance(create["input"], dict) and create["input"]["name"] == "Handbook"
    assert isinstance(create["output"], dict) and create["output"]["id"] == dataset.id
    assert "customer_identifier" not in create
    assert get["span_name"] == "dify.datasets.get"
    assert get["status_code"] == 200
    assert isinstance(get["output"], dict) and get["output"]["name"] == "Handbook"


def test_http_error_is_an_error_log_with_dify_code(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """An error answer is logged with its status, Dify's ``code`` and message."""
    app = emulator.add_app(mode="chat")
    dify = make(app.api_key)
    emulator.faults.fail_next(status=400, code="invalid_param", message="query is too long")
    with pytest.raises(BadRequestError):
        dify.chat.send(query="Hello", user="user-7")
    [root] = _sent(observer, respan)
    assert root["status"] == "error"
    assert root["status_code"] == 400
    assert root["error_code"] == "invalid_param"
    assert root["error_message"] == "query is too long"
    assert root["input"] == [{"role": "user", "content": "Hello"}]
    assert "output" not in root
    meta = _meta(root)
    assert meta["dify.error_type"] == "BadRequestError"
    assert meta["dify.error_code"] == "invalid_param"


def test_error_event_mid_stream_is_an_error_log_with_the_partial_answer(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """An ``error`` event ends the stream as an error log carrying its code and partial output."""
    app = emulator.add_app(mode="chat", reply=MID_STREAM_ERROR)
    dify = make(app.api_key)
    with pytest.raises(DifyStreamError), dify.chat.stream(query="Hi", user="user-8") as stream:
        for _ in stream:
            pass
    [root] = _sent(observer, respan)
    assert root["status"] == "error"
    assert root["status_code"] == 400
    assert root["error_code"] == "provider_quota_exceeded"
    assert root["error_message"] == "Your quota is used up."
    assert root["output"] == {"role": "assistant", "content": "Partial "}
    assert _meta(root)["dify.task_id"] == stream.task_id


def test_stream_closed_early_is_marked_cancelled(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """Leaving a stream before its end logs it as cancelled (``closed``) with what it had."""
    app = emulator.add_app(mode="chat", reply="first second third")
    dify = make(app.api_key)
    with dify.chat.stream(query="Hi", user="user-9") as stream:
        for event in stream:
            first = event
            break
    [root] = _sent(observer, respan)
    assert root["status"] == "error"
    assert root["status_code"] == 499
    assert root["error_message"] == "cancelled by the caller (closed)"
    assert root["output"] == {"role": "assistant", "content": first.answer}  # type: ignore[union-attr]
    meta = _meta(root)
    assert meta["dify.cancelled"] == "true"
    assert meta["dify.cancel_reason"] == "closed"


def test_disable_log_skips_only_that_call(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """``disable_log=True`` sends nothing for the calls of its block; later calls are logged."""
    app = emulator.add_app(mode="chat")
    dify = make(app.api_key)
    with respan_context(disable_log=True):
        dify.chat.send(query="secret", user="user-10")
        dify.chat.stream(query="secret", user="user-10").collect()
    dify.chat.send(query="public", user="user-10")
    [root] = _sent(observer, respan)
    assert root["input"] == [{"role": "user", "content": "public"}]
    assert observer.stats().calls_enqueued == 1


def test_context_is_captured_when_the_call_is_made_and_kept_in_other_threads(
    emulator: DifyEmulator,
    make: Callable[[str], Dify],
    observer: RespanObserver,
    respan: FakeRespan,
) -> None:
    """A stream made in a ``respan_context`` block and read in another thread keeps the block's
    parameters; threads running side by side each keep their own."""
    app = emulator.add_app(mode="chat")
    dify = make(app.api_key)
    with respan_context(
        trace_unique_id="trace-outer",
        session_identifier="session-a",
        customer_identifier="customer-a",
        metadata={"tenant": "acme"},
    ):
        stream = dify.chat.stream(query="made here", user="user-11")
    reader = threading.Thread(target=stream.collect)
    reader.start()
    reader.join()

    def worker(index: int) -> None:
        with respan_context(session_identifier=f"thread-{index}"):
            dify.chat.send(query=f"from {index}", user="user-11")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = _sent(observer, respan)
    streamed = next(s for s in spans if s["span_name"] == "dify.chat.stream")
    assert streamed["trace_unique_id"] == "trace-outer"
    assert streamed["span_unique_id"] == span_id(
        "trace-outer", f"call:{_meta(streamed)['dify.message_id']}"
    )
    assert streamed["session_identifier"] == "session-a"
    assert streamed["customer_identifier"] == "customer-a"
    assert _meta(streamed)["tenant"] == "acme"
    sessions = {
        str(s["input"][0]["content"]): s["session_identifier"]  # type: ignore[index]
        for s in spans
        if s["span_name"] == "dify.chat.send"
    }
    assert sessions == {f"from {i}": f"thread-{i}" for i in range(4)}


def test_message_events_never_reach_the_exporter(
    emulator: DifyEmulator, dify_url: str, respan: FakeRespan
) -> None:
    """A long answer's ``message`` events are not handed to the exporter at all: it
    subscribes to node, loop, iteration and agent events only."""
    handed: list[str] = []

    class Counting(RespanObserver):
        def on_event(self, call: CallInfo, event: object, elapsed: float) -> None:
            handed.append(getattr(event, "event", "?"))
            super().on_event(call, event, elapsed)

    observer = Counting("rk-test", endpoint=respan.url)
    app = emulator.add_app(mode="advanced-chat", reply=" ".join(["word"] * 200))
    with Dify(api_key=app.api_key, base_url=dify_url, observers=[observer]) as dify:
        events = [e.event for e in dify.chat.stream(query="talk", user="user-12")]
    assert events.count("message") == 200
    assert handed == [e for e in events if e in observer.event_kinds]
    assert "message" not in handed
    assert observer.shutdown(5)
