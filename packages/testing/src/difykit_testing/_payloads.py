"""The pieces of Dify's stream events: envelopes, payload shapes, usage, and reading them back.

A :class:`Turn` holds what a request fixed (ids, user, query, inputs); :func:`envelope` adds
the envelope fields of its app family (§3.4 of the API notes); :class:`Progress` reads a run's
events back into its result (answer, text, steps, tokens, status). Field sets and their order
follow real Dify 1.13 recordings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from difykit_testing._ids import new_id
from difykit_testing._json import is_object

__all__ = [
    "ABORTED",
    "CHAT_MODES",
    "GRAPH_EVENTS",
    "LOOP_EVENTS",
    "NODE_EVENTS",
    "STOPPED_BY_USER",
    "Pause",
    "Progress",
    "Split",
    "Turn",
    "as_text",
    "envelope",
    "estimate_tokens",
    "loop_event_data",
    "node_finished_data",
    "node_started_data",
    "prompt_text",
    "system_inputs",
    "usage_for",
    "workflow_finished_data",
]

CHAT_MODES = frozenset({"chat", "agent-chat", "advanced-chat"})
GRAPH_EVENTS = frozenset(
    {
        "workflow_started",
        "workflow_finished",
        "workflow_paused",
        "node_started",
        "node_finished",
        "node_retry",
        "iteration_started",
        "iteration_next",
        "iteration_completed",
        "loop_started",
        "loop_next",
        "loop_completed",
        "text_chunk",
        "text_replace",
        "reasoning_chunk",
        "human_input_required",
        "human_input_form_filled",
        "human_input_form_timeout",
    }
)
NODE_EVENTS = frozenset({"node_started", "node_finished", "node_retry"})
LOOP_EVENTS = frozenset({"loop_started", "loop_next", "loop_completed"})
_PROMPT_UNIT_PRICE = Decimal("0.15")
_COMPLETION_UNIT_PRICE = Decimal("0.6")
_PRICE_UNIT = Decimal("0.000001")
_SYSTEM_PROMPT_TOKENS = 12
STOPPED_BY_USER = "Stopped by user."
ABORTED = "Aborted: User requested stop"

Split = Callable[[str], list[str]]


@dataclass
class Turn:
    """What one generation request fixed: its mode, ids, user, query and inputs."""

    mode: str
    app_id: str
    workflow_id: str
    user: str
    end_user_id: str
    query: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    conversation_id: str | None = None
    message_id: str | None = None
    workflow_run_id: str | None = None
    dialogue_count: int = 1
    task_id: str = field(default_factory=new_id)
    created_at: int = 0

    @property
    def graph(self) -> bool:
        """Whether the run is a workflow graph (workflow, advanced-chat)."""
        return self.mode in ("workflow", "advanced-chat")


@dataclass
class Pause:
    """A Human Input form the run stopped at, and what follows it in the script."""

    data: dict[str, Any]
    """``data`` of the ``human_input_required`` event."""
    remaining: list[dict[str, Any]]


# --- numbers ------------------------------------------------------------------------------------


def estimate_tokens(text: str) -> int:
    """About one token per word, as a rough tokenizer would count."""
    return len(text.split())


def _price(tokens: int, unit_price: Decimal) -> str:
    value = (Decimal(tokens) * unit_price * _PRICE_UNIT).quantize(
        Decimal("0.0000001"), rounding=ROUND_HALF_UP
    )
    return format(value.normalize(), "f") if value else "0.0"


def usage_for(prompt: str, answer: str) -> dict[str, Any]:
    """``metadata.usage`` of a generation (decimal-string prices, as Dify sends them)."""
    prompt_tokens = _SYSTEM_PROMPT_TOKENS + estimate_tokens(prompt)
    completion_tokens = estimate_tokens(answer)
    prompt_price = Decimal(_price(prompt_tokens, _PROMPT_UNIT_PRICE))
    completion_price = Decimal(_price(completion_tokens, _COMPLETION_UNIT_PRICE))
    latency = round(0.35 + 0.015 * completion_tokens, 3)
    return {
        "prompt_tokens": prompt_tokens,
        "prompt_unit_price": str(_PROMPT_UNIT_PRICE),
        "prompt_price_unit": str(_PRICE_UNIT),
        "prompt_price": _price(prompt_tokens, _PROMPT_UNIT_PRICE),
        "completion_tokens": completion_tokens,
        "completion_unit_price": str(_COMPLETION_UNIT_PRICE),
        "completion_price_unit": str(_PRICE_UNIT),
        "completion_price": _price(completion_tokens, _COMPLETION_UNIT_PRICE),
        "total_tokens": prompt_tokens + completion_tokens,
        "total_price": format((prompt_price + completion_price).normalize(), "f")
        if prompt_price + completion_price
        else "0.0",
        "currency": "USD",
        "latency": latency,
        "time_to_first_token": 0.241,
        "time_to_generate": round(latency - 0.241, 3),
    }


def prompt_text(turn: Turn) -> str:
    """What the emulated model was prompted with (inputs and query)."""
    values = " ".join(str(v) for v in turn.inputs.values() if isinstance(v, (str, int, float)))
    return f"{values} {turn.query}"


# --- envelopes and payloads ---------------------------------------------------------------------


def envelope(turn: Turn, event: Mapping[str, Any]) -> dict[str, Any]:
    """``event`` with the envelope fields of its app family filled in (§3.4), in Dify's order."""
    name = str(event["event"])
    head: dict[str, Any] = {"event": name}
    if turn.mode in CHAT_MODES:
        head |= {
            "conversation_id": turn.conversation_id,
            "message_id": turn.message_id,
            "created_at": turn.created_at,
            "task_id": turn.task_id,
        }
        if name in GRAPH_EVENTS:
            head["workflow_run_id"] = turn.workflow_run_id
    elif turn.mode == "completion":
        head |= {
            "message_id": turn.message_id,
            "created_at": turn.created_at,
            "task_id": turn.task_id,
        }
    else:
        head |= {"workflow_run_id": turn.workflow_run_id, "task_id": turn.task_id}
    if name == "error":
        del head["task_id"]
    for key, value in event.items():
        if key != "event":
            head[key] = value
    return head


def system_inputs(turn: Turn, *, start_node: bool = False) -> dict[str, Any]:
    """The run's inputs with Dify's ``sys.*`` variables (``workflow_started.data.inputs``).

    The Start node also sees ``sys.conversation_id`` (chatflow) or ``sys.timestamp``.
    """
    inputs: dict[str, Any] = {**turn.inputs, "sys.files": list(turn.files)}
    inputs["sys.user_id"] = turn.user
    inputs["sys.app_id"] = turn.app_id
    inputs["sys.workflow_id"] = turn.workflow_id
    inputs["sys.workflow_run_id"] = turn.workflow_run_id
    if turn.mode == "advanced-chat":
        inputs["sys.query"] = turn.query
        if start_node:
            inputs["sys.conversation_id"] = turn.conversation_id
        inputs["sys.dialogue_count"] = turn.dialogue_count
    elif start_node:
        inputs["sys.timestamp"] = turn.created_at
    return inputs


def node_started_data(
    node_id: str, node_type: str, title: str, created_at: int, *, execution_id: str | None = None
) -> dict[str, Any]:
    """``data`` of ``node_started``."""
    return {
        "id": execution_id or new_id(),
        "node_id": node_id,
        "node_type": node_type,
        "title": title,
        "index": 1,
        "predecessor_node_id": None,
        "inputs": None,
        "inputs_truncated": False,
        "created_at": created_at,
        "extras": {},
        "iteration_id": None,
        "loop_id": None,
        "agent_strategy": None,
    }


def node_finished_data(
    started: Mapping[str, Any],
    *,
    inputs: Any = None,
    outputs: Any = None,
    process_data: Any = None,
    status: str = "succeeded",
    error: str | None = None,
    elapsed_time: float = 0.000153,
    execution_metadata: Any = None,
) -> dict[str, Any]:
    """``data`` of ``node_finished`` for the node execution that ``started`` began."""
    return {
        "id": started["id"],
        "node_id": started["node_id"],
        "node_type": started["node_type"],
        "title": started["title"],
        "index": started.get("index", 1),
        "predecessor_node_id": started.get("predecessor_node_id"),
        "inputs": {} if inputs is None else inputs,
        "inputs_truncated": False,
        "process_data": {} if process_data is None else process_data,
        "process_data_truncated": False,
        "outputs": {} if outputs is None else outputs,
        "outputs_truncated": False,
        "status": status,
        "error": error,
        "elapsed_time": elapsed_time,
        "execution_metadata": execution_metadata,
        "created_at": started["created_at"],
        "finished_at": started["created_at"],
        "files": [],
        "iteration_id": started.get("iteration_id"),
        "loop_id": started.get("loop_id"),
    }


def loop_event_data(
    name: str,
    head: Mapping[str, Any],
    loop: Mapping[str, Any],
    *,
    rounds: int,
    given: Mapping[str, Any],
    now: int,
) -> dict[str, Any]:
    """``data`` of a Loop node's ``loop_started``, ``loop_next`` or ``loop_completed``.

    ``loop`` holds what ``loop_started`` said (``length``: the configured ``loop_count``,
    ``inputs``: ``loop_count`` and the loop variables); ``rounds`` is the rounds run so far.
    """
    if name == "loop_started":
        return {
            **head,
            "created_at": now,
            "extras": {},
            "metadata": {"loop_length": loop["length"]},
            "inputs": dict(loop["inputs"]),
            "inputs_truncated": False,
        }
    if name == "loop_next":
        return {
            **head,
            "index": rounds - 1,
            "created_at": now,
            "pre_loop_output": {},
            "extras": {},
        }
    given_outputs = given.get("outputs")
    outputs: Mapping[str, Any] = given_outputs if is_object(given_outputs) else {}
    variables = {k: v for k, v in loop["inputs"].items() if k != "loop_count"}
    last = {k: outputs.get(k, v) for k, v in variables.items()}
    metadata = {
        "total_tokens": 0,
        "total_price": "0.0",
        "currency": "USD",
        "completed_reason": "loop_break",
        "loop_duration_map": {str(i): 0.1 for i in range(rounds)},
        "loop_variable_map": {str(i): dict(last) for i in range(rounds)},
    }
    return {
        **head,
        "outputs": {**last, "loop_round": rounds},
        "outputs_truncated": False,
        "created_at": now,
        "extras": {},
        "inputs": dict(loop["inputs"]),
        "inputs_truncated": False,
        "status": "succeeded",
        "error": None,
        "elapsed_time": round(0.1 * rounds, 6),
        "total_tokens": 0,
        "execution_metadata": metadata,
        "finished_at": now,
        "steps": loop["length"] or rounds,
    }


def workflow_finished_data(
    turn: Turn, progress: Progress, *, status: str, outputs: Any, error: str | None, now: int
) -> dict[str, Any]:
    """``data`` of ``workflow_finished``."""
    return {
        "id": turn.workflow_run_id,
        "workflow_id": turn.workflow_id,
        "status": status,
        "outputs": outputs,
        "error": error,
        "elapsed_time": progress.elapsed_time,
        "total_tokens": progress.total_tokens,
        "total_steps": progress.steps,
        "created_by": {"id": turn.end_user_id, "user": turn.user},
        "created_at": turn.created_at,
        "finished_at": now,
        "exceptions_count": progress.exceptions,
        "files": [],
    }


# --- reading events back ------------------------------------------------------------------------


@dataclass
class Progress:
    """What a run's events amount to so far: answer, text, steps, tokens, failures."""

    base_steps: int = 0
    base_tokens: int = 0
    base_answer: str = ""
    """The answer streamed before a Human Input pause (resumed runs)."""
    answer_parts: list[str] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)
    steps: int = 0
    exceptions: int = 0
    node_tokens: int = 0
    node_time: float = 0.0
    failed: str | None = None
    partial: bool = False
    error_event: dict[str, Any] | None = None
    message_end: dict[str, Any] | None = None
    finished: dict[str, Any] | None = None
    paused: dict[str, Any] | None = None
    agent_thoughts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.steps = self.base_steps

    def feed(self, event: Mapping[str, Any]) -> None:
        """Take one (enveloped) event into account."""
        name = event.get("event")
        given = event.get("data")
        data: Mapping[str, Any] = given if is_object(given) else {}
        if name in ("message", "agent_message"):
            self.answer_parts.append(str(event.get("answer") or ""))
        elif name == "message_replace":
            self.answer_parts = [str(event.get("answer") or "")]
        elif name == "text_chunk":
            self.text_parts.append(str(data.get("text") or ""))
        elif name == "text_replace":
            self.text_parts = [str(data.get("text") or "")]
        elif name == "agent_thought":
            self.agent_thoughts[str(event.get("id"))] = dict(event)
        elif name in ("node_started", "loop_started") and not (
            data.get("iteration_id") or data.get("loop_id")
        ):
            self.steps += 1
        elif name == "node_retry":
            self.exceptions += 1
        elif name == "node_finished":
            self._node_finished(data)
        elif name == "message_end":
            self.message_end = dict(event)
        elif name == "workflow_finished":
            self.finished = dict(event)
        elif name == "workflow_paused":
            self.paused = dict(event)
        elif name == "error":
            self.error_event = dict(event)

    def _node_finished(self, data: Mapping[str, Any]) -> None:
        status = data.get("status")
        if status == "failed":
            self.exceptions += 1
            self.failed = str(data.get("error") or "Node failed")
        elif status == "exception":
            self.exceptions += 1
            self.partial = True
        metadata = data.get("execution_metadata")
        if is_object(metadata) and isinstance(metadata.get("total_tokens"), int):
            self.node_tokens += metadata["total_tokens"]
        elapsed = data.get("elapsed_time")
        if isinstance(elapsed, (int, float)):
            self.node_time += elapsed

    @property
    def answer(self) -> str:
        """The answer streamed so far."""
        return self.base_answer + "".join(self.answer_parts)

    @property
    def text(self) -> str:
        """The workflow text streamed so far (``text_chunk``)."""
        return "".join(self.text_parts)

    @property
    def total_tokens(self) -> int:
        """Tokens the run's nodes reported, or an estimate from its text."""
        tokens = self.node_tokens or estimate_tokens("".join(self.answer_parts) or self.text)
        return self.base_tokens + tokens

    @property
    def elapsed_time(self) -> float:
        """A plausible run time: the nodes' times plus a little per step."""
        return round(0.012 + 0.002 * self.steps + self.node_time, 6)

    @property
    def status(self) -> str:
        """The run's status as its events tell it."""
        if self.finished is not None:
            return str(self.finished["data"].get("status") or "succeeded")
        if self.paused is not None:
            return "paused"
        if self.failed is not None or self.error_event is not None:
            return "failed"
        return "partial-succeeded" if self.partial else "succeeded"

    @property
    def error(self) -> str | None:
        """The run's error, if any."""
        if self.finished is not None:
            error = self.finished["data"].get("error")
            return None if error is None else str(error)
        if self.error_event is not None:
            return str(self.error_event.get("message") or "")
        return self.failed


def as_text(value: Any) -> str:
    """A value as a workflow streams it in ``text_chunk`` (JSON for objects and lists)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
