"""A finished call → its Respan spans: the root log (respan-notes §6.4) and its children.

Runs in the worker. The root span carries the call's input and output, status and Dify's error
``code``, customer and session, Dify's ids in ``metadata``, usage, cost (Dify's ``total_price``
when in USD), latency, time to first token and tokens per second.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, cast

from difykit_core.errors import APIStatusError, DifyStreamError
from difykit_core.models.common import MessageMetadata
from difykit_core.models.events import WorkflowStartedEvent
from difykit_core.models.messages import ChatMessage, CompletionMessage
from difykit_core.models.workflow import WorkflowRun

from ._content import clean
from ._context import CONTEXT_KEY
from ._nodes import GraphSummary, build_children, span_id, usd

if TYPE_CHECKING:
    from ._record import CallRecord
    from ._settings import ExporterSettings

__all__ = ["build_spans"]

_PASSED = (
    "trace_name",
    "custom_identifier",
    "group_identifier",
    "trace_group_identifier",
    "customer_params",
    "prompt_unit_price",
    "completion_unit_price",
    "environment",
)
_WORKFLOW_FAILED = frozenset({"failed", "stopped", "exception"})


def _version() -> str:
    from . import __version__

    return __version__


def build_spans(record: CallRecord, settings: ExporterSettings) -> list[dict[str, object]]:
    """The spans of one call, root first (``_sample`` on the root: a forced sampling decision)."""
    call, end = record.call, record.end
    raw_params = call.context.get(CONTEXT_KEY)
    # set by respan_context: a params_dict, keyed by field names
    params: Mapping[str, object] = (
        cast("Mapping[str, object]", raw_params) if isinstance(raw_params, Mapping) else {}
    )
    result = end.result
    operation = call.operation
    family = operation.split(".", 1)[0]
    body = call.request.json if isinstance(call.request.json, Mapping) else {}
    ids = _ids(result, record)

    given_trace = params.get("trace_unique_id")
    trace_id = str(given_trace) if given_trace else uuid.uuid4().hex
    if params.get("span_unique_id"):
        root_id = str(params["span_unique_id"])
    elif given_trace:
        call_key = (
            ids.get("message_id")
            or ids.get("workflow_run_id")
            or _started_run_id(record)
            or ids.get("task_id")
        )
        root_id = span_id(trace_id, f"call:{call_key or uuid.uuid4().hex}")
    else:
        root_id = trace_id  # a call that is its own trace: root span id = trace id (Respan's way)

    started_at = call.started_at

    def iso(elapsed: float) -> str:
        return datetime.fromtimestamp(started_at + elapsed, timezone.utc).isoformat()

    def content(value: object) -> object:
        if not settings.include_content or value is None:
            return None
        return clean(value, settings.max_content_chars, secrets=settings.redact)

    span_name = str(params.get("span_name") or f"dify.{operation}")
    workflow_name = str(params.get("span_workflow_name") or params.get("trace_name") or span_name)
    children: list[dict[str, object]] = []
    graph = GraphSummary()
    if record.events:
        children, graph = build_children(
            record.events,
            trace_id=trace_id,
            root_id=root_id,
            workflow_name=workflow_name,
            end_elapsed=end.elapsed,
            iso=iso,
            content=content,
        )
    root: dict[str, object] = {
        "trace_unique_id": trace_id,
        "span_unique_id": root_id,
        "span_parent_id": params.get("span_parent_id"),
        "span_name": span_name[:255],
        "span_workflow_name": workflow_name,
        "log_type": _log_type(family, result),
        "log_method": "tracing_integration",
        "start_time": iso(0.0),
        "timestamp": iso(end.elapsed),
        "latency": round(end.elapsed, 6),
        "stream": call.streaming,
    }
    for key in _PASSED:
        if params.get(key) is not None:
            root[key] = params[key]
    metadata: dict[str, object] = {
        "dify.operation": operation,
        "dify.attempts": end.attempts,
        "difykit.version": _version(),
        **{f"dify.{k}": v for k, v in ids.items()},
    }
    if call.app is not None:
        metadata["dify.base_url"] = call.app.base_url
        metadata["dify.app_key"] = call.app.key_fingerprint
    if call.streaming:
        metadata["dify.events"] = end.events

    _status(root, metadata, record, result)
    _io(root, family, body, result, content, call.request.query)
    _usage(root, metadata, result, graph)
    _timing(root, metadata, record, graph)
    if graph.workflow_id:
        metadata.setdefault("dify.workflow_id", graph.workflow_id)
    if graph.workflow_run_id:
        metadata.setdefault("dify.workflow_run_id", graph.workflow_run_id)
    if graph.nodes:
        metadata["dify.nodes"] = graph.nodes
    if graph.thoughts:
        metadata["dify.agent_thoughts"] = graph.thoughts

    customer = params.get("customer_identifier") or call.user
    if customer:
        root["customer_identifier"] = str(customer)[:254]
    session = params.get("session_identifier") or ids.get("conversation_id")
    if session:
        root["session_identifier"] = str(session)
    user_metadata = params.get("metadata")
    if isinstance(user_metadata, Mapping):
        # str keys per RespanParams; the line below makes any other key a str too
        metadata.update(cast("Mapping[str, object]", user_metadata))
    root["metadata"] = {str(k): str(v) for k, v in metadata.items() if v is not None}
    properties = params.get("properties")
    if isinstance(properties, Mapping):
        existing = root.get("properties")
        merged: dict[object, object] = (
            {**cast("Mapping[object, object]", existing)} if isinstance(existing, Mapping) else {}
        )
        added = clean(cast("Mapping[object, object]", properties), sys.maxsize, secrets=False)
        merged.update(cast("Mapping[object, object]", added))  # a mapping gives a dict
        root["properties"] = merged
    if isinstance(params.get("sample"), bool):
        root["_sample"] = params["sample"]
    return [root, *children]


def _started_run_id(record: CallRecord) -> str | None:
    """The run id of a graph stream's ``workflow_started`` (its first event), if kept."""
    for event, _ in record.events or ():
        if isinstance(event, WorkflowStartedEvent):
            return event.data.id or event.workflow_run_id
    return None


def _log_type(family: str, result: object) -> str:
    if family == "chat":
        return "chat"
    if family == "completion":
        return "text"
    if family == "workflows" and (result is None or isinstance(result, WorkflowRun)):
        return "workflow"
    return "task"


def _ids(result: object, record: CallRecord) -> dict[str, str]:
    found: dict[str, object] = {}
    if isinstance(result, (ChatMessage, CompletionMessage)):
        found["task_id"] = result.task_id
        found["message_id"] = result.message_id or result.id
        found["app_mode"] = result.mode
        if isinstance(result, ChatMessage):
            found["conversation_id"] = result.conversation_id
            found["workflow_run_id"] = result.workflow_run_id
    elif isinstance(result, WorkflowRun):
        found["task_id"] = result.task_id
        found["workflow_run_id"] = result.workflow_run_id
        found["workflow_id"] = result.data.workflow_id
        found["app_mode"] = "workflow"
    if isinstance(record.error, DifyStreamError):
        found.setdefault("task_id", record.error.task_id)
    body = record.call.request.json
    if isinstance(body, Mapping) and body.get("conversation_id"):
        found.setdefault("conversation_id", body["conversation_id"])
    return {k: str(v) for k, v in found.items() if v}


def _status(
    root: dict[str, object], metadata: dict[str, object], record: CallRecord, result: object
) -> None:
    end = record.end
    status_code = end.status_code
    if record.outcome == "cancel":
        root["status"] = "error"
        root["status_code"] = 499
        root["error_message"] = f"cancelled by the caller ({record.reason})"
        metadata["dify.cancelled"] = "true"
        metadata["dify.cancel_reason"] = record.reason
        return
    if record.outcome == "error":
        error = record.error
        root["status"] = "error"
        code: object = None
        if isinstance(error, APIStatusError):
            status_code, code = error.status_code, error.code
            root["error_message"] = error.message or str(error)
        elif isinstance(error, DifyStreamError):
            code = error.code
            status_code = error.status or status_code or 500
            root["error_message"] = error.message or str(error)
        else:
            root["error_message"] = str(error) or type(error).__name__
            if status_code is None or 200 <= status_code < 300:
                status_code = 500
        metadata["dify.error_type"] = type(error).__name__
        if code:
            root["error_code"] = code
            metadata["dify.error_code"] = code
        root["status_code"] = status_code or 500
        return
    root["status"] = "success"
    root["status_code"] = status_code or 200
    run_status = None
    run_error = None
    if isinstance(result, WorkflowRun):
        run_status, run_error = result.data.status, result.data.error
    elif isinstance(result, ChatMessage) and result.data:
        raw = result.data.get("status")
        run_status = raw if isinstance(raw, str) else None
        err = result.data.get("error")
        run_error = err if isinstance(err, str) else None
    if run_status:
        metadata["dify.workflow_status"] = run_status
    if run_status in _WORKFLOW_FAILED:
        root["status"] = "error"
        root["error_message"] = run_error or f"workflow run {run_status}"
        root["error_code"] = f"workflow_{run_status}"
    elif run_status == "partial-succeeded":
        root["warnings"] = run_error or "workflow run partially succeeded"


def _io(
    root: dict[str, object],
    family: str,
    body: Mapping[str, object],
    result: object,
    prepare: Callable[[object], object],
    query: tuple[tuple[str, str], ...],
) -> None:
    inputs = body.get("inputs")
    if family == "chat":
        given = prepare([{"role": "user", "content": body.get("query", "")}])
        extras = prepare({k: body[k] for k in ("inputs", "files") if body.get(k)} or None)
        if extras is not None:
            root["properties"] = extras
    elif family == "completion":
        given = prepare({"query": body["query"], **(inputs or {})} if body.get("query") else inputs)  # type: ignore[dict-item]
    elif family == "workflows" and inputs is not None:
        given = prepare(inputs)
    elif body:
        given = prepare(dict(body))
    elif query:
        given = prepare(dict(query))
    else:
        given = None
    if given is not None:
        root["input"] = given
    output: object = None
    if isinstance(result, ChatMessage) and family == "chat":
        output = prepare({"role": "assistant", "content": result.answer})
    elif isinstance(result, CompletionMessage):
        output = prepare(result.answer)
    elif isinstance(result, WorkflowRun):
        output = prepare(result.data.outputs)
    elif result is not None:
        output = prepare(result)
    if output is not None:
        root["output"] = output


def _usage(
    root: dict[str, object], metadata: dict[str, object], result: object, graph: GraphSummary
) -> None:
    meta = result.metadata if isinstance(result, CompletionMessage) else None
    usage = meta.usage if isinstance(meta, MessageMetadata) else None
    if meta is not None and meta.retriever_resources:
        metadata["dify.retriever_resources_count"] = len(meta.retriever_resources)
    if usage is not None:
        root["prompt_tokens"] = usage.prompt_tokens
        root["completion_tokens"] = usage.completion_tokens
        root["usage"] = {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        }
        cost = usd(usage.total_price, usage.currency)
        if cost is not None:
            root["cost"] = cost
        if usage.total_price is not None:
            metadata["dify.total_price"] = usage.total_price
            metadata["dify.currency"] = usage.currency
        metadata["dify.latency_server"] = usage.latency
        metadata["dify.time_to_first_token_server"] = usage.time_to_first_token
    elif isinstance(result, WorkflowRun) and result.data.total_tokens is not None:
        total = result.data.total_tokens
        root["usage"] = {"total_tokens": total}
        root["total_request_tokens"] = total
        if graph.prompt_tokens or graph.completion_tokens:  # a stream: its LLM nodes' sums
            root["prompt_tokens"] = graph.prompt_tokens
            root["completion_tokens"] = graph.completion_tokens
            root["usage"] = {
                "prompt_tokens": graph.prompt_tokens,
                "completion_tokens": graph.completion_tokens,
                "total_tokens": total,
            }
    if "cost" not in root and graph.llm_cost is not None:
        root["cost"] = graph.llm_cost
    if graph.model:
        root["model"] = graph.model
    if graph.provider:
        root["provider_id"] = graph.provider


def _timing(
    root: dict[str, object], metadata: dict[str, object], record: CallRecord, graph: GraphSummary
) -> None:
    end = record.end
    if not record.call.streaming:
        return
    ttft = end.time_to_first_token  # the first answer text, timed by difykit
    if ttft is None and graph.first_llm_start is not None and graph.llm_server_ttft is not None:
        # No text streamed (a graph with no answer node): estimate from the first LLM node,
        # whose own TTFT Dify counts from its start; no token comes after the node ends.
        ttft = graph.first_llm_start + graph.llm_server_ttft
        if graph.first_llm_end is not None:
            ttft = min(ttft, graph.first_llm_end)
    if end.time_to_first_event is not None:
        metadata["dify.time_to_first_event"] = round(end.time_to_first_event, 6)
    if ttft is None:
        return
    root["time_to_first_token"] = round(ttft, 6)
    completion = root.get("completion_tokens")
    generating = end.elapsed - ttft
    if isinstance(completion, int) and completion > 0 and generating > 0:
        root["tokens_per_second"] = round(completion / generating, 3)
