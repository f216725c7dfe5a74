"""What an emulated run streams: the event sequence of each app mode, with no I/O or state.

:func:`plan_events` turns an app's reply (an answer, a workflow's outputs, or a scripted list
of events) into the full list of events a run streams, terminal event last;
:func:`resumption_events` continues a run after its Human Input form was answered; and
:func:`stop_terminal` ends a stream that was stopped halfway with what it had sent so far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from difykit_testing._ids import new_id, new_key
from difykit_testing._payloads import (
    ABORTED,
    LOOP_EVENTS,
    NODE_EVENTS,
    STOPPED_BY_USER,
    Pause,
    Progress,
    Split,
    Turn,
    as_text,
    envelope,
    loop_event_data,
    node_finished_data,
    node_started_data,
    prompt_text,
    system_inputs,
    usage_for,
    workflow_finished_data,
)

__all__ = ["plan_events", "render_form", "resumption_events", "stop_terminal"]

# --- plans --------------------------------------------------------------------------------------


class _Plan:
    """Collects a run's events (enveloped) and keeps its :class:`Progress` up to date."""

    def __init__(self, turn: Turn, split: Split, progress: Progress, now: int) -> None:
        self.turn = turn
        self.split = split
        self.progress = progress
        self.now = now
        self.events: list[dict[str, Any]] = []
        self.started: dict[str, dict[str, Any]] = {}
        self.retries: dict[str, int] = {}
        self.loops: dict[str, dict[str, Any]] = {}
        self.pause: Pause | None = None

    def add(self, event: Mapping[str, Any]) -> None:
        full = envelope(self.turn, event)
        self.events.append(full)
        self.progress.feed(full)

    def node(self, node_id: str, node_type: str, title: str) -> dict[str, Any]:
        started = node_started_data(node_id, node_type, title, self.now)
        self.add({"event": "node_started", "data": started})
        return started

    def finish_node(self, started: Mapping[str, Any], **finished: Any) -> None:
        self.add({"event": "node_finished", "data": node_finished_data(started, **finished)})

    def workflow_started(self, *, reason: str = "initial") -> None:
        turn = self.turn
        data = {
            "id": turn.workflow_run_id,
            "workflow_id": turn.workflow_id,
            "inputs": system_inputs(turn),
            "created_at": self.now if reason == "resumption" else turn.created_at,
            "reason": reason,
        }
        self.add({"event": "workflow_started", "data": data})

    def start_node(self) -> None:
        """The Start node every graph begins with."""
        started = self.node("start", "start", "Start")
        inputs = system_inputs(self.turn, start_node=True)
        self.finish_node(started, inputs=inputs, outputs=inputs)

    def message_deltas(self, text: str, selector: list[str] | None) -> None:
        name = "agent_message" if self.turn.mode == "agent-chat" else "message"
        for piece in self.split(text):
            event: dict[str, Any] = {"event": name, "id": self.turn.message_id, "answer": piece}
            if name == "message":
                event["from_variable_selector"] = selector
            self.add(event)

    def llm_node(self, answer: str, selector_text: bool) -> None:
        """An LLM node that generates ``answer`` (chatflow: streamed as ``message``)."""
        usage = usage_for(prompt_text(self.turn), answer)
        started = self.node("llm", "llm", "LLM")
        if selector_text:
            self.message_deltas(answer, ["llm", "text"])
        metadata = {
            "total_tokens": usage["total_tokens"],
            "total_price": usage["total_price"],
            "currency": "USD",
        }
        self.finish_node(
            started,
            inputs={},
            process_data={"model_mode": "chat", "model_provider": "emulator", "model_name": "echo"},
            outputs={"text": answer, "usage": usage, "finish_reason": "stop"},
            elapsed_time=usage["latency"],
            execution_metadata=metadata,
        )

    def message_end(self, given: Mapping[str, Any] | None = None) -> None:
        metadata: dict[str, Any] = {
            "annotation_reply": None,
            "retriever_resources": [],
            "usage": usage_for(prompt_text(self.turn), self.progress.answer),
        }
        if given and isinstance(given.get("metadata"), Mapping):
            metadata |= given["metadata"]
        event = {"event": "message_end", "id": self.turn.message_id, "metadata": metadata}
        self.add(
            {**event, "files": [], **{k: v for k, v in (given or {}).items() if k not in event}}
        )

    def workflow_finished(self, outputs: Any, given: Mapping[str, Any] | None = None) -> None:
        """The run's end; a chatflow that succeeded sends ``message_end`` just before it."""
        progress = self.progress
        given_data: Mapping[str, Any] = {}
        if given and isinstance(given.get("data"), Mapping):
            given_data = given["data"]
        status = str(given_data.get("status") or progress.status)
        succeeded = status in ("succeeded", "partial-succeeded")
        if self.turn.mode == "advanced-chat" and succeeded and progress.message_end is None:
            self.message_end()
        data = workflow_finished_data(
            self.turn,
            progress,
            status=status,
            outputs=outputs if succeeded else {},
            error=None if succeeded else progress.error,
            now=self.now,
        )
        self.add({"event": "workflow_finished", "data": data | dict(given_data)})

    # --- scripts ---------------------------------------------------------------------------

    def script(self, script: Sequence[Mapping[str, Any]], *, default_outputs: Any) -> None:
        """Stream a scripted reply, adding the frame and terminal events it leaves out."""
        turn = self.turn
        names = [str(e.get("event")) for e in script]
        if turn.graph and "workflow_started" not in names and not self.events:
            self.workflow_started()
            self.start_node()
        for index, raw in enumerate(script):
            name = str(raw.get("event"))
            if name == "human_input_required" and turn.graph:
                self._human_input(raw, [dict(e) for e in script[index + 1 :]])
                return
            if name == "workflow_finished" and turn.graph:
                self.workflow_finished(self._outputs(default_outputs), raw)
                return
            if name == "message_end" and turn.mode != "workflow":
                self.message_end(raw)
                if turn.mode != "advanced-chat":
                    return
                continue
            self.add(self._fill(raw))
            if name == "error":
                return
        self.close(default_outputs)

    def close(self, default_outputs: Any) -> None:
        """The terminal events of the mode, after the content."""
        if self.turn.graph:
            self.workflow_finished(self._outputs(default_outputs))
        elif self.progress.message_end is None:
            self.message_end()

    def _outputs(self, default_outputs: Any) -> Any:
        if self.turn.mode == "advanced-chat":
            return {"answer": self.progress.answer, "files": []}
        if self.progress.text:
            return {"text": self.progress.text}
        return {} if default_outputs is None else default_outputs

    def _fill(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults for the payload of a scripted event."""
        name = str(raw["event"])
        event: dict[str, Any] = {k: v for k, v in raw.items() if k != "if_action"}
        turn = self.turn
        if name in ("message", "agent_message"):
            event = {"event": name, "id": turn.message_id, "answer": "", **event}
            if name == "message":
                event.setdefault("from_variable_selector", None)
        elif name == "agent_thought":
            position = len(self.progress.agent_thoughts) + 1
            event = {
                "event": name,
                "id": new_id(),
                "position": position,
                "thought": "",
                "observation": "",
                "tool": "",
                "tool_labels": {},
                "tool_input": "",
                "message_files": [],
                **event,
            }
        elif name in NODE_EVENTS:
            event["data"] = self._node_data(name, raw.get("data") or {})
        elif name in LOOP_EVENTS:
            event["data"] = self._loop_data(name, raw.get("data") or {})
        elif name == "text_chunk":
            given: Mapping[str, Any] = raw.get("data") or {}
            event["data"] = {"text": "", "from_variable_selector": None, **given}
        elif name == "workflow_started":
            started = {
                "id": turn.workflow_run_id,
                "workflow_id": turn.workflow_id,
                "inputs": system_inputs(turn),
                "created_at": turn.created_at,
                "reason": "initial",
            }
            event["data"] = {**started, **(raw.get("data") or {})}
        elif name == "error":
            event = {
                "event": "error",
                "status": 500,
                "code": "internal_server_error",
                "message": "Internal Server Error, please contact support.",
                **event,
            }
        return event

    def _node_data(self, name: str, given: Mapping[str, Any]) -> dict[str, Any]:
        node_id = str(given.get("node_id") or "node")
        node_type = str(given.get("node_type") or "code")
        title = str(given.get("title") or node_id.replace("_", " ").title())
        if name == "node_started":
            started = node_started_data(node_id, node_type, title, self.now)
            started |= given
            self.started[node_id] = started
            return started
        started = self.started.get(node_id) or node_started_data(
            node_id, node_type, title, self.now
        )
        io: dict[str, Any] = {}
        if started["node_type"] == "start":  # Dify's Start node passes the run's inputs on
            io["inputs"] = io["outputs"] = system_inputs(self.turn, start_node=True)
        base = node_finished_data(
            {**started, **{k: v for k, v in given.items() if k in ("node_type", "title")}},
            status="retry" if name == "node_retry" else "succeeded",
            **io,
        )
        if name == "node_retry":
            self.retries[node_id] = base["retry_index"] = self.retries.get(node_id, 0) + 1
        return base | dict(given)

    def _loop_data(self, name: str, given: Mapping[str, Any]) -> dict[str, Any]:
        """Payload defaults of ``loop_started``/``loop_next``/``loop_completed`` (recording 182)."""
        node_id = str(given.get("node_id") or "loop")
        loop = self.loops.setdefault(node_id, {"rounds": 0, "length": 0, "inputs": {}})
        if name == "loop_started":  # loop_length is the configured loop_count
            metadata: Mapping[str, Any] = given.get("metadata") or {}
            loop["inputs"] = dict(given.get("inputs") or {})
            loop["length"] = int(
                metadata.get("loop_length") or loop["inputs"].get("loop_count") or 0
            )
        loop["rounds"] += 1 if name == "loop_next" else 0
        rounds = loop["rounds"] + 1
        title = str(given.get("title") or node_id.replace("_", " ").title())
        head = {"id": node_id, "node_id": node_id, "node_type": "loop", "title": title}
        data = loop_event_data(name, head, loop, rounds=rounds, given=given, now=self.now)
        merged = ("outputs",) if name == "loop_completed" else ()  # loop variables + loop_round
        return data | {k: v for k, v in given.items() if k not in merged}

    def _human_input(self, raw: Mapping[str, Any], remaining: list[dict[str, Any]]) -> None:
        given: Mapping[str, Any] = raw.get("data") or {}
        node_id = str(given.get("node_id") or "human_input")
        title = str(given.get("node_title") or "Human Input")
        last = self.events[-1] if self.events else {}
        if not (last.get("event") == "node_started" and last["data"].get("node_id") == node_id):
            self.node(node_id, "human-input", title)
        inputs: Sequence[Any] = given.get("inputs") or []
        data = {
            "form_id": new_id(),
            "node_id": node_id,
            "node_title": title,
            "form_content": str(given.get("form_content") or "Please review."),
            "inputs": [_form_input(i) for i in inputs],
            "actions": [_form_action(a) for a in given.get("actions") or _DEFAULT_ACTIONS],
            "display_in_ui": bool(given.get("display_in_ui", True)),
            "form_token": str(given.get("form_token") or new_key("")[:22]),
            "resolved_default_values": dict(given.get("resolved_default_values") or {}),
            "expiration_time": int(given.get("expiration_time") or self.now + 3600),
        }
        self.pause = Pause(data=data, remaining=remaining)
        self.add({"event": "human_input_required", "data": data})
        reason = {"TYPE": "human_input_required", **data}
        del reason["expiration_time"]
        paused: dict[str, Any] = {
            "workflow_run_id": self.turn.workflow_run_id,
            "paused_nodes": [node_id],
            "outputs": {},
            "reasons": [reason],
            "status": "paused",
            "created_at": self.turn.created_at,
            "elapsed_time": self.progress.elapsed_time,
            "total_tokens": self.progress.total_tokens,
            "total_steps": self.progress.steps,
        }
        self.add({"event": "workflow_paused", "data": paused})


_DEFAULT_ACTIONS: list[dict[str, Any]] = [
    {"id": "approve", "title": "Approve", "button_style": "primary"},
    {"id": "reject", "title": "Reject", "button_style": "default"},
]


def _form_input(item: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"output_variable_name": item} if isinstance(item, str) else dict(item)
    field = {
        "type": spec.pop("type", "paragraph"),
        "output_variable_name": spec.pop("output_variable_name", "input"),
        "default": spec.pop("default", {"type": "constant", "selector": [], "value": ""}),
    }
    return field | spec


def _form_action(item: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"id": item} if isinstance(item, str) else dict(item)
    action_id = str(spec.pop("id", "submit"))
    action = {
        "id": action_id,
        "title": spec.pop("title", action_id.replace("_", " ").title()),
        "button_style": spec.pop("button_style", "default"),
    }
    return action | spec


def plan_events(
    turn: Turn,
    reply: str | Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    split: Split,
    now: int,
) -> tuple[list[dict[str, Any]], Progress, Pause | None]:
    """The events a run streams for ``reply``: an answer, a workflow's outputs, or a script.

    Returns the events (envelope included, terminal event last), their :class:`Progress`,
    and the Human Input pause the run stopped at, if any.
    """
    plan = _Plan(turn, split, Progress(), now)
    if not isinstance(reply, (str, Mapping)):
        plan.script(reply, default_outputs=None)
        return plan.events, plan.progress, plan.pause
    mode = turn.mode
    if mode == "workflow":
        outputs = dict(reply) if isinstance(reply, Mapping) else {"text": reply}
        _workflow(plan, outputs)
    elif mode == "advanced-chat":
        plan.workflow_started()
        plan.start_node()
        plan.llm_node(str(reply), selector_text=True)
        answer = plan.node("answer", "answer", "Answer")
        plan.finish_node(answer, outputs={"answer": str(reply), "files": []})
        plan.close(None)
    elif mode == "agent-chat":
        thought_id = new_id()
        thought: dict[str, Any] = {
            "event": "agent_thought",
            "id": thought_id,
            "position": 1,
            "thought": "",
            "observation": "",
            "tool": "",
            "tool_labels": {},
            "tool_input": "",
            "message_files": [],
        }
        plan.add(thought)
        plan.message_deltas(str(reply), None)
        plan.add({**thought, "thought": str(reply)})
        plan.close(None)
    else:
        plan.message_deltas(str(reply), None)
        plan.close(None)
    return plan.events, plan.progress, plan.pause


def _workflow(plan: _Plan, outputs: dict[str, Any]) -> None:
    plan.workflow_started()
    plan.start_node()
    text = "\n".join(as_text(v) for v in outputs.values())
    plan.llm_node(text, selector_text=False)
    end = plan.node("end", "end", "End")
    for index, (key, value) in enumerate(outputs.items()):
        if index:
            plan.add(
                {
                    "event": "text_chunk",
                    "data": {"text": "\n", "from_variable_selector": ["end", "answer"]},
                }
            )
        for piece in plan.split(as_text(value)):
            plan.add(
                {
                    "event": "text_chunk",
                    "data": {"text": piece, "from_variable_selector": ["end", key]},
                }
            )
    plan.finish_node(end, inputs=outputs, outputs=outputs)
    plan.workflow_finished(outputs)


def resumption_events(
    turn: Turn,
    pause: Pause,
    *,
    action: Mapping[str, Any],
    values: Mapping[str, Any],
    base: Progress,
    split: Split,
    now: int,
) -> tuple[list[dict[str, Any]], Progress, Pause | None]:
    """The events of a run resumed after its form was answered (reason ``resumption``)."""
    progress = Progress(
        base_steps=base.steps, base_tokens=base.total_tokens, base_answer=base.answer
    )
    plan = _Plan(turn, split, progress, now)
    plan.workflow_started(reason="resumption")
    data = pause.data
    started = plan.node(str(data["node_id"]), "human-input", str(data["node_title"]))
    rendered = render_form(str(data["form_content"]), values)
    plan.add(
        {
            "event": "human_input_form_filled",
            "data": {
                "node_id": data["node_id"],
                "node_title": data["node_title"],
                "rendered_content": rendered,
                "action_id": action["id"],
                "action_text": action.get("title"),
            },
        }
    )
    node_outputs = {**values, "__action_id": action["id"], "__rendered_content": rendered}
    plan.finish_node(started, outputs=node_outputs)
    default_outputs = {**values, "action": action["id"]}
    remaining = [
        {k: v for k, v in event.items() if k != "if_action"}
        for event in pause.remaining
        if event.get("if_action") in (None, action["id"])
    ]
    if remaining:
        plan.script(remaining, default_outputs=default_outputs)
    elif turn.mode == "workflow":
        end = plan.node("end", "end", "End")
        for piece in split(as_text(action["id"])):
            plan.add(
                {
                    "event": "text_chunk",
                    "data": {"text": piece, "from_variable_selector": ["end", "action"]},
                }
            )
        plan.finish_node(end, inputs=default_outputs, outputs=default_outputs)
        plan.workflow_finished(default_outputs)
    else:
        plan.close(None)
    return plan.events, plan.progress, plan.pause


def render_form(content: str, values: Mapping[str, Any]) -> str:
    """The form's markdown with ``{{#$output.<name>#}}`` replaced by the submitted values."""
    for name, value in values.items():
        content = content.replace("{{#$output." + name + "#}}", as_text(value))
    return content


def stop_terminal(
    turn: Turn, progress: Progress, *, by_owner: bool, now: int
) -> tuple[dict[str, Any], str, str | None]:
    """The event that ends a stopped stream, and the run's stored status and error.

    Chat and completion end with ``message_end`` carrying the partial answer. A chatflow ends
    with ``workflow_finished`` ``stopped`` ("Stopped by user."), or ``failed`` ("Aborted: User
    requested stop") when another user stopped it; a workflow's stream says ``failed`` with
    that error while the stored run says ``stopped`` (recordings 179-188).
    """
    if not turn.graph:
        plan = _Plan(turn, lambda text: [text], progress, now)
        plan.message_end()
        return plan.events[-1], "stopped", None
    if turn.mode == "advanced-chat" and by_owner:
        status, error, stored = "stopped", STOPPED_BY_USER, "stopped"
    elif turn.mode == "advanced-chat":
        status, error, stored = "failed", ABORTED, "failed"
    else:
        status, error, stored = "failed", ABORTED, "stopped"
    data = workflow_finished_data(turn, progress, status=status, outputs={}, error=error, now=now)
    return envelope(turn, {"event": "workflow_finished", "data": data}), stored, error
