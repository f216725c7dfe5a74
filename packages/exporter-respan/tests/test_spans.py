"""Span building in the worker: node retries, iteration nesting, unfinished nodes, ids, prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from difykit_core.models.common import MessageMetadata, Usage
from difykit_core.models.events import (
    IterationCompletedEvent,
    IterationStartedEvent,
    LoopCompletedEvent,
    LoopStartedEvent,
    NodeFinishedEvent,
    NodeRetryEvent,
    NodeStartedEvent,
    WorkflowStartedEvent,
)
from difykit_core.models.messages import ChatMessage, CompletionMessage
from difykit_core.transport import CallEnd, CallInfo, HttpRequest
from difykit_exporter_respan._record import CallRecord, TimedEvent
from difykit_exporter_respan._settings import ExporterSettings
from difykit_exporter_respan._spans import build_spans
from records import APP

SETTINGS = ExporterSettings(api_key="rk", endpoint="http://respan.test", enabled=True)


def _node(kind: type[Any], **data: object) -> Any:
    return kind.model_validate({"data": data})


def _stream_record(
    events: list[TimedEvent], *, outcome: str = "end", trace: str = "t-1"
) -> CallRecord:
    request = HttpRequest("POST", "/workflows/run", json={"inputs": {"x": 1}, "user": "u"})
    call = CallInfo(
        "workflows.stream",
        request,
        "u",
        1_800_000_000.0,
        True,
        APP,
        {"respan": {"trace_unique_id": trace}},
    )
    end = CallEnd(
        elapsed=2.0,
        attempts=1,
        status_code=200,
        result=None,
        time_to_first_event=0.1,
        events=len(events),
    )
    return CallRecord(call, outcome, end, None, "closed" if outcome == "cancel" else None, events)  # type: ignore[arg-type]


def test_retries_are_kept_on_their_node_span() -> None:
    """A retried node is one span; its retries are listed on it (index, error, time)."""
    events: list[TimedEvent] = [
        (
            _node(
                NodeStartedEvent, id="e1", node_id="http", node_type="http-request", title="Fetch"
            ),
            0.1,
        ),
        (
            _node(
                NodeRetryEvent,
                id="e1",
                node_id="http",
                node_type="http-request",
                retry_index=1,
                error="timeout",
            ),
            0.5,
        ),
        (
            _node(
                NodeFinishedEvent,
                id="e1",
                node_id="http",
                node_type="http-request",
                title="Fetch",
                status="succeeded",
                elapsed_time=0.9,
            ),
            1.0,
        ),
    ]
    _, fetch = build_spans(_stream_record(events), SETTINGS)
    assert fetch["span_name"] == "Fetch"
    assert fetch["log_type"] == "tool"
    assert fetch["latency"] == 0.9
    assert fetch["properties"] == {"retries": [{"retry_index": 1, "error": "timeout", "at": 0.5}]}
    assert fetch["metadata"]["dify.retries"] == "1"  # type: ignore[index]
    assert fetch["metadata"]["dify.retry_errors"] == "timeout"  # type: ignore[index]


def test_iteration_and_a_loop_inside_it_nest() -> None:
    """Nodes of an iteration hang under the iteration span; a loop inside it too, and the
    loop's nodes under the loop."""
    events: list[TimedEvent] = [
        (
            _node(
                IterationStartedEvent,
                id="it-exec",
                node_id="it",
                node_type="iteration",
                title="Each",
            ),
            0.1,
        ),
        (
            _node(NodeStartedEvent, id="n1", node_id="code", node_type="code", iteration_id="it"),
            0.2,
        ),
        (
            _node(
                NodeFinishedEvent,
                id="n1",
                node_id="code",
                node_type="code",
                title="Code",
                iteration_id="it",
                status="succeeded",
            ),
            0.3,
        ),
        (
            _node(
                LoopStartedEvent,
                id="loop-exec",
                node_id="lp",
                node_type="loop",
                title="Again",
                iteration_id="it",
            ),
            0.4,
        ),
        (_node(NodeStartedEvent, id="n2", node_id="llm", node_type="llm", loop_id="lp"), 0.5),
        (
            _node(
                NodeFinishedEvent,
                id="n2",
                node_id="llm",
                node_type="llm",
                title="Think",
                loop_id="lp",
                status="succeeded",
            ),
            0.6,
        ),
        (
            _node(
                LoopCompletedEvent,
                id="loop-exec",
                node_id="lp",
                node_type="loop",
                title="Again",
                iteration_id="it",
                status="succeeded",
            ),
            0.7,
        ),
        (
            _node(
                IterationCompletedEvent,
                id="it-exec",
                node_id="it",
                node_type="iteration",
                title="Each",
                status="succeeded",
            ),
            0.8,
        ),
    ]
    root, *children = build_spans(_stream_record(events), SETTINGS)
    spans = {c["span_name"]: c for c in children}
    assert spans["Each"]["span_parent_id"] == root["span_unique_id"]
    assert spans["Code"]["span_parent_id"] == spans["Each"]["span_unique_id"]
    assert spans["Again"]["span_parent_id"] == spans["Each"]["span_unique_id"]
    assert spans["Think"]["span_parent_id"] == spans["Again"]["span_unique_id"]
    assert spans["Each"]["log_type"] == spans["Again"]["log_type"] == "workflow"


def test_nodes_open_when_the_call_ends_are_unfinished_errors() -> None:
    """A stream cancelled mid-node logs the node as an error that ended with the call."""
    events: list[TimedEvent] = [
        (_node(NodeStartedEvent, id="n1", node_id="llm", node_type="llm", title="Slow"), 0.5),
    ]
    root, slow = build_spans(_stream_record(events, outcome="cancel"), SETTINGS)
    assert root["status"] == "error"
    assert slow["status"] == "error"
    assert slow["error_message"] == "the call ended before this node finished"
    assert slow["timestamp"] == "2027-01-15T08:00:02+00:00"
    assert slow["start_time"] == "2027-01-15T08:00:00.500000+00:00"


def test_span_ids_are_the_same_when_built_twice() -> None:
    """Re-sending a call gives the same span ids: they derive from the trace and Dify's ids."""
    started = WorkflowStartedEvent.model_validate({"data": {"id": "run-1", "workflow_id": "w"}})
    events: list[TimedEvent] = [
        (started, 0.05),
        (_node(NodeStartedEvent, id="n1", node_id="code", node_type="code"), 0.1),
        (
            _node(NodeFinishedEvent, id="n1", node_id="code", node_type="code", status="succeeded"),
            0.2,
        ),
    ]
    first = build_spans(_stream_record(events), SETTINGS)
    second = build_spans(_stream_record(events), SETTINGS)
    assert [s["span_unique_id"] for s in first] == [s["span_unique_id"] for s in second]
    assert first[0]["span_unique_id"] != first[1]["span_unique_id"]


def _message_record(
    result: object, operation: str = "chat.send", json: dict[str, Any] | None = None
) -> CallRecord:
    request = HttpRequest("POST", "/chat-messages", json=json or {"query": "q", "user": "u"})
    call = CallInfo(operation, request, "u", 1_800_000_000.0, False, APP, {})
    return CallRecord(call, "end", CallEnd(elapsed=1.0, attempts=1, status_code=200, result=result))


def test_prices_in_other_currencies_stay_in_metadata() -> None:
    """``cost`` is set only from USD prices; others are kept in metadata for Respan to see."""
    usage = Usage(
        prompt_tokens=1,
        completion_tokens=2,
        total_tokens=3,
        total_price=Decimal("0.5"),
        currency="RMB",
    )
    result = ChatMessage(message_id="m-1", answer="a", metadata=MessageMetadata(usage=usage))
    [root] = build_spans(_message_record(result), SETTINGS)
    assert "cost" not in root
    assert root["metadata"]["dify.total_price"] == "0.5"  # type: ignore[index]
    assert root["metadata"]["dify.currency"] == "RMB"  # type: ignore[index]


def test_completion_input_is_its_inputs_with_the_query() -> None:
    """A completion log is ``text`` with its inputs (and legacy query) as input."""
    result = CompletionMessage(message_id="m-2", answer="Bonjour", mode="completion")
    record = _message_record(
        result, "completion.send", {"inputs": {"lang": "fr"}, "query": "Hello", "user": "u"}
    )
    [root] = build_spans(record, SETTINGS)
    assert root["log_type"] == "text"
    assert root["input"] == {"query": "Hello", "lang": "fr"}
    assert root["output"] == "Bonjour"


def test_clean_makes_json_data_redacts_and_caps_in_one_walk() -> None:
    """Models dumped, decimals and objects as strings, tuples as lists, keys as strings,
    credential values (non-empty ones) redacted at any depth, long strings cut."""
    from decimal import Decimal

    from difykit_core.models.common import Usage
    from difykit_exporter_respan._content import REDACTED, clean

    cut = "x" * 20 + "…[truncated 30 chars]"
    value: dict[object, object] = {
        "query": "x" * 50,
        "api_key": "sk-secret",
        "token": "",
        "prompt_tokens": 7,
        "price": Decimal("0.0012"),
        "pair": ("a", {"Authorization": "Bearer x"}),
        "usage": Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3),
        "password": {"inner": "kept?"},
        "cookie": [],
        1: object,
    }
    assert clean(value, 20) == {
        "query": cut,
        "api_key": REDACTED,
        "token": "",
        "prompt_tokens": 7,
        "price": "0.0012",
        "pair": ["a", {"Authorization": REDACTED}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        "password": REDACTED,
        "cookie": [],
        "1": "<class 'object'>",
    }
    kept = clean(value, 20, secrets=False)
    assert isinstance(kept, dict)
    assert kept["api_key"] == "sk-secret"
    assert kept["password"] == {"inner": "kept?"}
    assert (clean(None, 5), clean(2.5, 5), clean(True, 5)) == (None, 2.5, True)
