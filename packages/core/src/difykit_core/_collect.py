"""Collectors: turn a chat, completion or workflow stream into the blocking call's result.

Ids (``task_id``, ``conversation_id``…) come from the stream's reader, which already tracks
them. ``answer`` is the concatenated ``message``/``agent_message`` deltas, with ``message_replace``
applied; metadata (usage, citations) and files come from ``message_end``; a workflow's result
is the data of ``workflow_finished`` (or ``workflow_paused``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._json import JsonValue
from .errors import StreamInterruptedError
from .models.common import MessageMetadata
from .models.events import (
    AgentMessageEvent,
    AgentThoughtEvent,
    BaseEvent,
    MessageEndEvent,
    MessageEvent,
    MessageReplaceEvent,
    WorkflowFinishedEvent,
    WorkflowPausedEvent,
    WorkflowStartedEvent,
)
from .models.messages import ChatMessage, CompletionMessage
from .models.workflow import WorkflowRun, WorkflowRunData

if TYPE_CHECKING:
    from ._stream import StreamIds

__all__ = ["ChatCollector", "CompletionCollector", "WorkflowCollector"]


class _MessageCollector:
    __slots__ = (
        "_agent",
        "_created_at",
        "_end",
        "_graph",
        "_parts",
        "_run",
    )

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._agent = False
        self._graph = False
        self._end: MessageEndEvent | None = None
        self._run: WorkflowFinishedEvent | WorkflowPausedEvent | None = None
        self._created_at: int | None = None

    def add(self, event: BaseEvent) -> None:
        """Take one event into account."""
        if self._created_at is None:
            self._created_at = event.created_at
        if isinstance(event, AgentMessageEvent):
            self._agent = True
            self._parts.append(event.answer)
        elif isinstance(event, MessageEvent):
            if self._agent:  # New Agent closes with the full answer in one ``message``
                self._parts = [event.answer]
            else:
                self._parts.append(event.answer)
        elif isinstance(event, MessageReplaceEvent):
            self._parts = [event.answer]
        elif isinstance(event, MessageEndEvent):
            self._end = event
        elif isinstance(event, AgentThoughtEvent):
            self._agent = True
        elif isinstance(event, WorkflowStartedEvent):
            self._graph = True
        elif isinstance(event, (WorkflowFinishedEvent, WorkflowPausedEvent)):
            self._run = event

    def _fields(self, ids: StreamIds) -> dict[str, object]:
        end = self._end
        message_id = ids.message_id or (end.id if end else None)
        return {
            "task_id": ids.task_id,
            "id": message_id,
            "message_id": message_id,
            "answer": "".join(self._parts),
            "metadata": end.metadata if end else MessageMetadata(),
            "created_at": self._created_at,
            "files": end.files if end else None,
        }


class CompletionCollector(_MessageCollector):
    """Collects a completion stream into a :class:`CompletionMessage`."""

    __slots__ = ()

    def result(self, ids: StreamIds) -> CompletionMessage:
        """The aggregated message."""
        return CompletionMessage.model_validate(
            {"event": "message", "mode": "completion", **self._fields(ids)}
        )


class ChatCollector(_MessageCollector):
    """Collects a chat, agent or chatflow stream into a :class:`ChatMessage`.

    ``mode`` is inferred: ``advanced-chat`` when workflow events came, ``agent-chat`` when agent
    events came, else ``chat``.
    """

    __slots__ = ()

    def result(self, ids: StreamIds) -> ChatMessage:
        """The aggregated message."""
        mode = "advanced-chat" if self._graph else "agent-chat" if self._agent else "chat"
        paused = isinstance(self._run, WorkflowPausedEvent)
        data: dict[str, JsonValue] | None = (
            self._run.data.model_dump(mode="json", exclude_unset=True)
            if self._run is not None
            else None
        )
        return ChatMessage.model_validate(
            {
                "event": "workflow_paused" if paused else "message",
                "mode": mode,
                "conversation_id": ids.conversation_id,
                "workflow_run_id": ids.workflow_run_id,
                "data": data,
                **self._fields(ids),
            }
        )


class WorkflowCollector:
    """Collects a workflow stream into a :class:`WorkflowRun`."""

    __slots__ = ("_run",)

    def __init__(self) -> None:
        self._run: WorkflowFinishedEvent | WorkflowPausedEvent | None = None

    def add(self, event: BaseEvent) -> None:
        """Take one event into account."""
        if isinstance(event, (WorkflowFinishedEvent, WorkflowPausedEvent)):
            self._run = event

    def result(self, ids: StreamIds) -> WorkflowRun:
        """The finished (or paused) run."""
        if self._run is None:
            raise StreamInterruptedError("the workflow stream ended without workflow_finished")
        data: WorkflowRunData = self._run.data
        run_id = self._run.workflow_run_id or data.id or data.workflow_run_id or ""
        return WorkflowRun(task_id=ids.task_id, workflow_run_id=run_id, data=data)
