"""Runs in the emulator's state: starting one, recording its events, finishing or stopping it.

A :class:`Generation` ties the planned events of one request (:mod:`._engine`) to the state
they change: the task (stop), the conversation and message (chat modes), the workflow run
(workflow and chatflow) and Human Input forms. It also renders the blocking answers and the
stored run as Dify shows them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, TypeGuard, cast

from difykit_testing._engine import plan_events, resumption_events, stop_terminal
from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import now
from difykit_testing._json import is_object
from difykit_testing._payloads import (
    CHAT_MODES,
    Pause,
    Progress,
    Split,
    Turn,
    system_inputs,
    usage_for,
)
from difykit_testing._state import (
    AppState,
    Conversation,
    HumanInputFormState,
    StoredMessage,
    Task,
    Variable,
    WorkflowRunState,
)

__all__ = [
    "Generation",
    "blocking_json",
    "is_terminal",
    "resume_after_form",
    "run_detail_json",
    "run_finished_event",
    "start_generation",
]

_NAME_LIMIT = 75
_RUN_FAILED = "Run failed: "
_TERMINAL = frozenset({"workflow_finished", "workflow_paused", "message_end", "error"})

ReplyValue = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _echo(app: AppState, mode: str, query: str, inputs: Mapping[str, Any]) -> ReplyValue:
    if mode == "workflow":
        names = app.outputs or list(inputs)
        return {name: inputs.get(name) for name in names}
    if mode == "completion" and not query:
        return "Echo: " + " ".join(str(v) for v in inputs.values() if v is not None)
    return f"Echo: {query}"


def _is_events(value: object) -> TypeGuard[Sequence[Mapping[str, Any]]]:
    """Whether a reply is a script: a sequence of objects that each name their ``event``."""
    if not isinstance(value, Sequence):
        return False
    items = cast("Sequence[object]", value)  # isinstance cannot name the item type
    return all(is_object(e) and "event" in e for e in items)


def _reply(
    app: AppState, mode: str, query: str, inputs: dict[str, Any], conversation: Conversation | None
) -> ReplyValue:
    """What the app answers this turn (see :data:`difykit_testing.Reply`)."""
    reply: Any = app.reply
    if callable(reply):
        subject: Any = query if mode in CHAT_MODES or (mode == "completion" and query) else inputs
        reply = reply(subject, conversation)
    if reply is None:
        return _echo(app, mode, query, inputs)
    if isinstance(reply, str):
        if mode == "workflow":
            return {app.outputs[0] if app.outputs else "text": reply}
        return reply
    if is_object(reply):
        return dict(reply) if mode == "workflow" else json.dumps(reply, ensure_ascii=False)
    if _is_events(reply):
        return [dict(e) for e in reply]
    return str(reply)


def _annotation_reply(app: AppState, query: str) -> ReplyValue | None:
    """With annotation reply on, a chatbot or agent answers the closest annotation whose
    similarity reaches ``score_threshold`` instead of its model (no tokens used)."""
    settings = app.annotation_reply
    if not settings or not query or app.mode not in ("chat", "agent-chat"):
        return None
    threshold = float(settings.get("score_threshold") or 0.0)
    asked = query.casefold().strip()
    scored = [
        (SequenceMatcher(None, asked, a.question.casefold().strip()).ratio(), a)
        for a in app.annotations.values()
    ]
    score, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    if best is None or score < max(threshold, 0.5):
        return None
    best.hit_count += 1
    usage = usage_for("", "") | {"prompt_tokens": 0, "total_tokens": 0, "latency": 0.0}
    usage |= {"prompt_price": "0.0", "total_price": "0.0"}
    reply = {"id": best.id, "account": {"id": app.id, "name": "difykit emulator"}}
    return [
        {"event": "message", "answer": best.answer},
        {"event": "message_end", "metadata": {"annotation_reply": reply, "usage": usage}},
    ]


def _conversation_name(query: str, auto_generate: bool) -> str:
    if not auto_generate:
        return "New conversation"
    return query if len(query) <= _NAME_LIMIT else query[:_NAME_LIMIT] + "..."


@dataclass
class Generation:
    """One generation request in flight: its events and the state they update."""

    app: AppState
    turn: Turn
    events: list[dict[str, Any]]
    result: Progress
    pause: Pause | None
    task: Task
    split: Split
    message: StoredMessage | None = None
    conversation: Conversation | None = None
    run: WorkflowRunState | None = None
    done: bool = False
    sent: Progress = field(default_factory=Progress)
    """What the events sent so far amount to (a stop ends with exactly this)."""
    position: int = 0
    """How many of :attr:`events` were sent."""

    def stop_requested(self) -> bool:
        """Whether the task was stopped while events are still to be sent."""
        return self.task.stopped and not self.done and self.position < len(self.events)

    def next_event(self) -> dict[str, Any] | None:
        """The next planned event (recorded as sent), or ``None`` after the last one."""
        if self.done or self.position >= len(self.events):
            return None
        event = self.events[self.position]
        self.position += 1
        self.record(event)
        return event

    def record(self, event: dict[str, Any]) -> None:
        """One event is being sent: keep it on the run (resumption) and in :attr:`sent`."""
        self.sent.feed(event)
        run = self.run
        if run is None:
            return
        run.events.append(event)
        run.delivered = len(run.events)
        if event["event"] == "human_input_required" and self.pause is not None:
            _store_form(self.app, run, self.pause)
        if event["event"] == "workflow_paused":
            run.status = "paused"

    def finish(self) -> None:
        """The last event was sent (or the client left: the run completes on its own)."""
        if self.done:
            return
        if self.stop_requested():
            self.stop()
            return
        while self.next_event() is not None:
            pass
        self._apply(self.result)

    def stop(self) -> dict[str, Any]:
        """The task was stopped: the event that ends the stream, with the state updated."""
        by_owner = self.task.stopped_by in (None, self.turn.user)
        terminal, status, error = stop_terminal(self.turn, self.sent, by_owner=by_owner, now=now())
        self.record(terminal)
        self.done = True
        self.task.finished = True
        if self.message is not None:
            self.message.answer = self.sent.answer
            if status == "failed":
                self.message.status, self.message.error = "error", _RUN_FAILED + str(error)
            self._touch_conversation()
        if self.run is not None:
            self.run.status, self.run.error, self.run.outputs = status, error, {}
            self._close_run(self.sent, finished=True)
        return terminal

    def _apply(self, result: Progress) -> None:
        self.done = True
        self.task.finished = True
        message = self.message
        if message is not None:
            message.answer = result.answer
            message.agent_thoughts = [_thought(t) for t in result.agent_thoughts.values()]
            error = result.error
            if result.error_event is not None or result.status == "failed":
                message.status, message.error = "error", _RUN_FAILED + str(error or "")
            self._touch_conversation()
        run = self.run
        if run is not None:
            run.status, run.error = result.status, result.error
            finished = result.finished
            outputs = finished["data"].get("outputs") if finished else None
            run.outputs = dict(outputs) if is_object(outputs) else {}
            self._close_run(result, finished=result.paused is None)

    def _close_run(self, result: Progress, *, finished: bool) -> None:
        run = self.run
        assert run is not None
        run.total_steps = result.steps
        run.total_tokens = result.total_tokens
        run.exceptions_count = result.exceptions
        run.elapsed_time = result.elapsed_time if finished else 0.0
        run.finished_at = now() if finished else None

    def _touch_conversation(self) -> None:
        conversation = self.conversation
        if conversation is None:
            return
        conversation.updated_at = now()
        if self.turn.mode == "advanced-chat":
            variable = conversation.variables.get("last_query")
            if variable is None:
                variable = Variable("last_query", "string", "", description="last user query")
                conversation.variables["last_query"] = variable
            variable.value, variable.updated_at = self.turn.query, now()


def _thought(event: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "position", "thought", "tool", "tool_labels", "tool_input", "observation")
    thought = {k: event.get(k) for k in keys}
    thought["files"] = list(event.get("message_files") or [])
    thought["created_at"] = event.get("created_at")
    return thought


def _store_form(app: AppState, run: WorkflowRunState, pause: Pause) -> None:
    data = pause.data
    app.forms[str(data["form_token"])] = HumanInputFormState(
        run_id=run.id,
        node_id=str(data["node_id"]),
        node_title=str(data["node_title"]),
        form_content=str(data["form_content"]),
        inputs=list(data["inputs"]),
        actions=list(data["actions"]),
        expiration_time=int(data["expiration_time"]),
        resolved_default_values=dict(data["resolved_default_values"]),
        display_in_ui=bool(data["display_in_ui"]),
        token=str(data["form_token"]),
        id=str(data["form_id"]),
        remaining=pause.remaining,
    )


def start_generation(
    app: AppState,
    *,
    user: str,
    query: str,
    inputs: dict[str, Any],
    files: list[dict[str, Any]],
    conversation: Conversation | None,
    auto_generate_name: bool,
    split: Split,
) -> Generation:
    """Create the task, conversation, message and run of a request, and plan its events."""
    mode = app.mode
    end_user = app.end_user(user)
    created_at = now()
    turn = Turn(
        mode=mode,
        app_id=app.id,
        workflow_id=app.workflow_id,
        user=user,
        end_user_id=end_user.id,
        query=query,
        inputs=inputs,
        files=files,
        created_at=created_at,
    )
    message: StoredMessage | None = None
    if mode in CHAT_MODES and conversation is None:
        conversation = Conversation(
            app_id=app.id,
            user=user,
            name=_conversation_name(query, auto_generate_name),
            inputs=dict(inputs),
            introduction=app.opening_statement,
        )
        app.conversations[conversation.id] = conversation
    reply = _annotation_reply(app, query) or _reply(app, mode, query, inputs, conversation)
    if mode != "workflow":
        message = StoredMessage(
            conversation_id=conversation.id if conversation else None,
            query=query,
            answer="",
            inputs=dict(inputs),
            user=user,
            files=files,
            created_at=created_at,
        )
        app.messages[message.id] = message
        if conversation is not None:
            turn.conversation_id = conversation.id
            turn.dialogue_count = len(conversation.messages) + 1
            conversation.messages.append(message)
        turn.message_id = message.id
    run: WorkflowRunState | None = None
    if turn.graph:
        run = WorkflowRunState(
            app_id=app.id,
            workflow_id=app.workflow_id,
            user=user,
            inputs={},
            mode=mode,
            created_by=end_user.id,
            created_at=created_at,
            conversation_id=turn.conversation_id,
            message_id=turn.message_id,
        )
        turn.workflow_run_id = run.id
        run.inputs = system_inputs(turn)
        run.inputs["sys.timestamp"] = created_at
        run.task_id = turn.task_id
        app.runs[run.id] = run
    task = Task(app_id=app.id, user=user, id=turn.task_id)
    app.tasks[task.id] = task
    events, result, pause = plan_events(turn, reply, split=split, now=created_at)
    return Generation(app, turn, events, result, pause, task, split, message, conversation, run)


# --- answers ------------------------------------------------------------------------------------


def blocking_json(generation: Generation) -> dict[str, Any]:
    """The blocking answer (§3.6; recordings 05 and 78), or the HTTP error an ``error`` event
    becomes."""
    result, turn = generation.result, generation.turn
    if result.error_event is not None:
        error = result.error_event
        raise DifyHTTPError(
            int(error.get("status") or 500),
            str(error.get("code") or "internal_server_error"),
            str(error.get("message") or ""),
        )
    if turn.mode == "workflow":
        run = generation.run
        assert run is not None
        source = result.finished or result.paused or {"data": {}}
        data = source["data"]
        return {
            "task_id": turn.task_id,
            "workflow_run_id": run.id,
            "data": {
                "id": run.id,
                "workflow_id": run.workflow_id,
                "status": run.status,
                "outputs": run.outputs,
                "error": run.error,
                "elapsed_time": data.get("elapsed_time", run.elapsed_time),
                "total_tokens": run.total_tokens,
                "total_steps": run.total_steps,
                "created_at": run.created_at,
                "finished_at": run.finished_at,
            },
        }
    if turn.mode == "advanced-chat" and result.status == "failed":
        raise DifyHTTPError(400, "invalid_param", str(result.error or "Workflow run failed"))
    end = result.message_end or {}
    answer: dict[str, Any] = {
        "event": "workflow_paused" if result.paused else "message",
        "task_id": turn.task_id,
        "id": turn.message_id,
        "message_id": turn.message_id,
        "conversation_id": turn.conversation_id,
        "mode": turn.mode,
        "answer": result.answer,
        "metadata": end.get("metadata") or {},
        "created_at": turn.created_at,
    }
    if turn.mode == "completion":
        del answer["conversation_id"]
    if result.paused is not None:
        answer["workflow_run_id"] = turn.workflow_run_id
        answer["data"] = result.paused["data"]
    return answer


def run_detail_json(run: WorkflowRunState) -> dict[str, Any]:
    """``GET /workflows/run/{id}`` (recordings 81, 181, 212: ``inputs`` is a JSON string)."""
    return {
        "id": run.id,
        "workflow_id": run.workflow_id,
        "status": run.status,
        "inputs": json.dumps(run.inputs),
        "outputs": run.outputs,
        "error": run.error,
        "total_steps": run.total_steps,
        "total_tokens": run.total_tokens,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "elapsed_time": run.elapsed_time,
    }


def run_finished_event(run: WorkflowRunState, app: AppState) -> dict[str, Any]:
    """The one event the resume route sends for a run that already ended (recording 229)."""
    user = app.end_users.get(run.user)
    return {
        "event": "workflow_finished",
        "task_id": run.id,
        "workflow_run_id": run.id,
        "data": {
            "id": run.id,
            "workflow_id": run.workflow_id,
            "status": run.status,
            "outputs": run.outputs,
            "error": run.error,
            "elapsed_time": run.elapsed_time,
            "total_tokens": run.total_tokens,
            "total_steps": run.total_steps,
            "created_by": {"id": user.id if user else run.created_by, "user": run.user},
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "exceptions_count": run.exceptions_count,
            "files": [],
        },
    }


def resume_after_form(
    app: AppState,
    form: HumanInputFormState,
    *,
    action: Mapping[str, Any],
    values: dict[str, Any],
    split: Callable[[str], list[str]],
) -> None:
    """The form was answered: the paused run goes on at once (its events wait for a reader)."""
    run = app.runs[form.run_id]
    form.submitted = True
    message = app.messages.get(run.message_id or "")
    conversation = app.conversations.get(run.conversation_id or "")
    turn = Turn(
        mode=run.mode,
        app_id=app.id,
        workflow_id=run.workflow_id,
        user=run.user,
        end_user_id=run.created_by,
        query=message.query if message else "",
        inputs={k: v for k, v in run.inputs.items() if not k.startswith("sys.")},
        files=list(run.inputs.get("sys.files") or []),
        conversation_id=run.conversation_id,
        message_id=run.message_id,
        workflow_run_id=run.id,
        dialogue_count=len(conversation.messages) if conversation else 1,
        created_at=run.created_at,
    )
    base = Progress(
        base_steps=run.total_steps,
        base_tokens=run.total_tokens,
        base_answer=message.answer if message else "",
    )
    pause = Pause(
        data={
            "node_id": form.node_id,
            "node_title": form.node_title,
            "form_content": form.form_content,
        },
        remaining=form.remaining,
    )
    events, result, next_pause = resumption_events(
        turn, pause, action=action, values=values, base=base, split=split, now=now()
    )
    task = Task(app_id=app.id, user=run.user, id=turn.task_id)
    app.tasks[task.id] = task
    run.task_id = task.id
    generation = Generation(
        app, turn, events, result, next_pause, task, split, message, conversation, run
    )
    delivered = run.delivered
    generation.finish()
    run.delivered = delivered  # nobody has seen the resumed events yet


def is_terminal(event: Mapping[str, Any], *, continue_on_pause: bool = False) -> bool:
    """Whether a resume stream ends after ``event``."""
    name = event.get("event")
    if name == "workflow_paused":
        return not continue_on_pause
    return name in _TERMINAL and name != "message_end"
