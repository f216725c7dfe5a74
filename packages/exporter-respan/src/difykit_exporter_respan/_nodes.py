"""Child spans: workflow and chatflow nodes (with iteration and loop nesting), agent thoughts.

Built in the worker from the events the observer kept. Span ids are derived from the trace id
and Dify's own ids (the node execution id, the thought id), so sending the same call twice
gives the same spans.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from difykit_core.models.events import (
    AgentThoughtEvent,
    IterationCompletedEvent,
    IterationStartedEvent,
    LoopCompletedEvent,
    LoopStartedEvent,
    NodeFinishedEvent,
    NodeRetryEvent,
    NodeStartedEvent,
    WorkflowStartedEvent,
)
from difykit_core.models.workflow import NodeExecution

from ._record import TimedEvent

__all__ = ["GraphSummary", "build_children", "span_id"]

_NAMESPACE = uuid.UUID("6f1d2c9e-4b7a-4d3e-9a51-2c8e0f7b3d14")

_CHAT_NODES = frozenset({"llm", "question-classifier", "parameter-extractor"})
_TOOL_NODES = frozenset({"tool", "http-request", "code"})
_FAILED = frozenset({"failed", "exception", "stopped"})

Iso = Callable[[float], str]
"""Seconds since the call started → ISO-8601 UTC time."""


def span_id(trace_id: str, key: str) -> str:
    """A 16-hex span id, the same for the same trace and Dify id."""
    return uuid.uuid5(_NAMESPACE, f"{trace_id}:{key}").hex[:16]


def log_type_of(node_type: str | None) -> str:
    """Respan's ``log_type`` for a Dify node type."""
    if node_type in _CHAT_NODES:
        return "chat"
    if node_type == "agent":
        return "agent"
    if node_type in _TOOL_NODES:
        return "tool"
    return "task"


@dataclass(slots=True)
class GraphSummary:
    """What the root span learns from the child events."""

    workflow_id: str | None = None
    workflow_run_id: str | None = None
    model: str | None = None
    provider: str | None = None
    llm_cost: float | None = None
    """Sum of the USD prices of LLM nodes (``None`` when none was priced in USD)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Token sums over the LLM nodes that reported usage."""
    first_llm_start: float | None = None
    first_llm_end: float | None = None
    llm_server_ttft: float | None = None
    nodes: int = 0
    thoughts: int = 0
    failed_node: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Open:
    started: float
    data: NodeExecution
    retries: list[dict[str, object]] = field(default_factory=list)


def build_children(
    events: list[TimedEvent],
    *,
    trace_id: str,
    root_id: str,
    workflow_name: str,
    end_elapsed: float,
    iso: Iso,
    content: Callable[[object], object],
) -> tuple[list[dict[str, object]], GraphSummary]:
    """The child spans of one call, and what they tell the root span.

    Args:
        events: The kept events with their arrival times (seconds since the call started).
        trace_id: The call's trace.
        root_id: The root span's id (parent of top-level nodes).
        workflow_name: ``span_workflow_name`` of every child.
        end_elapsed: When the call ended; nodes still open then end here, unfinished.
        iso: Converts seconds since the call started to an ISO time.
        content: Prepares input/output for sending (``None`` when content is off).
    """
    summary = GraphSummary()
    spans: list[dict[str, object]] = []
    open_nodes: dict[str, _Open] = {}
    containers: dict[str, str] = {}  # container node_id -> span id
    open_containers: dict[str, _Open] = {}
    thoughts: dict[str, tuple[float, float, AgentThoughtEvent]] = {}

    def parent_of(data: NodeExecution) -> str:
        for owner in (data.loop_id, data.iteration_id):
            if owner and owner in containers:
                return containers[owner]
        return root_id

    def node_span(
        kind: str,
        start: float,
        data: NodeExecution,
        finished: float | None,
        retries: list[dict[str, object]] | None = None,
    ) -> None:
        key = data.id or f"{data.node_id}:{data.index}:{data.retry_index or 0}"
        own = span_id(trace_id, f"{kind}:{key}")
        stop = end_elapsed if finished is None else finished
        status = data.status or ("running" if finished is None else "succeeded")
        failed = finished is None or status in _FAILED
        span: dict[str, object] = {
            "trace_unique_id": trace_id,
            "span_unique_id": own,
            "span_parent_id": parent_of(data),
            "span_name": data.title or data.node_type or data.node_id or "node",
            "span_workflow_name": workflow_name,
            "log_type": "workflow"
            if kind in ("loop", "iteration")
            else log_type_of(data.node_type),
            "log_method": "tracing_integration",
            "start_time": iso(start),
            "timestamp": iso(stop),
            "latency": data.elapsed_time if data.elapsed_time is not None else stop - start,
            "status": "error" if failed else "success",
            "metadata": _node_metadata(data, kind, status, retries or []),
        }
        if retries:
            span["properties"] = {"retries": retries}
        if failed:
            span["error_message"] = data.error or (
                "the call ended before this node finished" if finished is None else status
            )
        summary.nodes += 1
        if failed and summary.failed_node is None:
            summary.failed_node = data.title or data.node_id
        if kind == "node" and data.node_type in _CHAT_NODES:
            _llm_fields(span, data, summary, start, stop)
        inputs: object = data.inputs
        if kind == "node" and data.node_type == "llm" and data.process_data:
            inputs = data.process_data.get("prompts") or inputs
        prepared_in, prepared_out = content(inputs), content(data.outputs)
        if prepared_in is not None:
            span["input"] = prepared_in
        if prepared_out is not None:
            span["output"] = prepared_out
        spans.append(span)

    for event, elapsed in events:
        if isinstance(event, WorkflowStartedEvent):
            summary.workflow_id = event.data.workflow_id or summary.workflow_id
            summary.workflow_run_id = event.data.id or event.workflow_run_id
        elif isinstance(event, NodeStartedEvent):
            data = event.data
            open_nodes[data.id or f"{data.node_id}:{data.index}"] = _Open(elapsed, data)
        elif isinstance(event, NodeRetryEvent):
            data = event.data
            opened = open_nodes.get(data.id or f"{data.node_id}:{data.index}")
            if opened is not None:
                opened.retries.append(
                    {"retry_index": data.retry_index, "error": data.error, "at": round(elapsed, 6)}
                )
        elif isinstance(event, NodeFinishedEvent):
            data = event.data
            opened = open_nodes.pop(data.id or f"{data.node_id}:{data.index}", None)
            start = opened.started if opened is not None else elapsed
            retries = opened.retries if opened is not None else []
            node_span("node", start, data, elapsed, retries)
        elif isinstance(event, (IterationStartedEvent, LoopStartedEvent)):
            data = event.data
            kind = "loop" if isinstance(event, LoopStartedEvent) else "iteration"
            key = data.node_id or data.id or kind
            containers[key] = span_id(trace_id, f"{kind}:{data.id or key}")
            open_containers[key] = _Open(elapsed, data)
        elif isinstance(event, (IterationCompletedEvent, LoopCompletedEvent)):
            data = event.data
            kind = "loop" if isinstance(event, LoopCompletedEvent) else "iteration"
            key = data.node_id or data.id or kind
            opened = open_containers.pop(key, None)
            node_span(kind, opened.started if opened else elapsed, data, elapsed)
        elif isinstance(event, AgentThoughtEvent):
            thought_key = event.id or f"position:{event.position}"
            first = thoughts.get(thought_key)
            thoughts[thought_key] = (first[0] if first else elapsed, elapsed, event)
    for key, opened in open_containers.items():
        kind = "loop" if opened.data.node_type == "loop" else "iteration"
        node_span(kind, opened.started, opened.data, None)
        del key
    for opened in open_nodes.values():
        node_span("node", opened.started, opened.data, None)
    for key, (start, last, thought) in thoughts.items():
        spans.append(
            _thought_span(thought, key, start, last, trace_id, root_id, workflow_name, iso, content)
        )
        summary.thoughts += 1
    return spans, summary


def _node_metadata(
    data: NodeExecution, kind: str, status: str, retries: list[dict[str, object]]
) -> dict[str, str]:
    meta: dict[str, object] = {
        "dify.node_id": data.node_id,
        "dify.node_type": data.node_type,
        "dify.node_execution_id": data.id,
        "dify.node_status": status,
        "dify.node_index": data.index,
        "dify.span_kind": kind,
    }
    execution = data.execution_metadata or {}
    for name in ("loop_index", "iteration_index", "parallel_id"):
        value = execution.get(name)
        if value is not None:
            meta[f"dify.{name}"] = value
    if retries:  # a retried node: its retries are events of its span
        meta["dify.retries"] = len(retries)
        meta["dify.retry_errors"] = "; ".join(str(r.get("error")) for r in retries)
    return {k: str(v) for k, v in meta.items() if v is not None}


def _llm_fields(
    span: dict[str, object], data: NodeExecution, summary: GraphSummary, start: float, stop: float
) -> None:
    process = data.process_data or {}
    model, provider = process.get("model_name"), process.get("model_provider")
    if isinstance(model, str):
        span["model"] = model
        summary.model = summary.model or model
    if isinstance(provider, str):
        span["provider_id"] = provider
        summary.provider = summary.provider or provider
    outputs = data.outputs or {}
    raw_usage = outputs.get("usage")
    usage: Mapping[str, object] = raw_usage if isinstance(raw_usage, Mapping) else {}
    execution = data.execution_metadata or {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    total = usage.get("total_tokens", execution.get("total_tokens"))
    if isinstance(prompt, int) and isinstance(completion, int):
        span["prompt_tokens"], span["completion_tokens"] = prompt, completion
        summary.prompt_tokens += prompt
        summary.completion_tokens += completion
        span["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": total if isinstance(total, int) else prompt + completion,
        }
    price = usage.get("total_price", execution.get("total_price"))
    currency = usage.get("currency", execution.get("currency"))
    cost = usd(price, currency)
    if cost is not None:
        span["cost"] = cost
        summary.llm_cost = (summary.llm_cost or 0.0) + cost
    if summary.first_llm_start is None:
        summary.first_llm_start, summary.first_llm_end = start, stop
        ttft = usage.get("time_to_first_token")
        if isinstance(ttft, (int, float)) and not isinstance(ttft, bool):
            summary.llm_server_ttft = float(ttft)
            span["time_to_first_token"] = float(ttft)


def usd(price: object, currency: object) -> float | None:
    """``price`` as a float when it is in US dollars, else ``None``."""
    if currency != "USD" or price is None or isinstance(price, bool):
        return None
    try:
        return float(str(price))
    except ValueError:
        return None


def _thought_span(
    thought: AgentThoughtEvent,
    key: str,
    start: float,
    last: float,
    trace_id: str,
    root_id: str,
    workflow_name: str,
    iso: Iso,
    content: Callable[[object], object],
) -> dict[str, object]:
    span: dict[str, object] = {
        "trace_unique_id": trace_id,
        "span_unique_id": span_id(trace_id, f"thought:{key}"),
        "span_parent_id": root_id,
        "span_name": thought.tool or "agent.thought",
        "span_workflow_name": workflow_name,
        "log_type": "tool",
        "log_method": "tracing_integration",
        "start_time": iso(start),
        "timestamp": iso(last),
        "latency": max(0.0, last - start),
        "status": "success",
        "metadata": {
            k: str(v)
            for k, v in {
                "dify.thought_id": thought.id,
                "dify.thought_position": thought.position,
                "dify.tool": thought.tool or None,
            }.items()
            if v is not None
        },
    }
    if thought.tool:
        span["span_tools"] = [t for t in thought.tool.split(";") if t]
    prepared_in = content(thought.tool_input or None)
    prepared_out = content(thought.observation or None)
    if prepared_in is not None:
        span["input"] = prepared_in
    if prepared_out is not None:
        span["output"] = prepared_out
    reasoning = content(thought.thought or None)
    if reasoning is not None:
        span["properties"] = {"thought": reasoning}
    return span
