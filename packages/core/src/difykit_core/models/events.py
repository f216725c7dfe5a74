"""Typed stream events: one model per Dify event, unions discriminated on ``event``.

Each union falls back to :class:`UnknownEvent` for an event this version does not know, so a
new Dify event never breaks a stream. Every model keeps unknown fields (``model_extra``).
``ping`` frames carry no data and never reach the caller.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias, Union, cast

from pydantic import Discriminator, Field, Tag

from difykit_core._json import JsonValue

from ._base import DifyModel
from .common import MessageMetadata
from .workflow import HumanInputAction, NodeExecution, WorkflowRunData

__all__ = [
    "AgentLogEvent",
    "AgentMessageEvent",
    "AgentThoughtEvent",
    "ChatEvent",
    "CompletionEvent",
    "ErrorEvent",
    "HumanInputFormFilledEvent",
    "HumanInputFormTimeoutEvent",
    "HumanInputRequiredEvent",
    "IterationCompletedEvent",
    "IterationNextEvent",
    "IterationStartedEvent",
    "LoopCompletedEvent",
    "LoopNextEvent",
    "LoopStartedEvent",
    "MessageEndEvent",
    "MessageEvent",
    "MessageFileEvent",
    "MessageReplaceEvent",
    "NodeFinishedEvent",
    "NodeRetryEvent",
    "NodeStartedEvent",
    "ParallelBranchFinishedEvent",
    "ParallelBranchStartedEvent",
    "ReasoningChunkEvent",
    "StreamEvent",
    "TTSMessageEndEvent",
    "TTSMessageEvent",
    "TextChunkEvent",
    "TextReplaceEvent",
    "UnknownEvent",
    "WorkflowEvent",
    "WorkflowFinishedEvent",
    "WorkflowPausedEvent",
    "WorkflowStartedEvent",
]


class BaseEvent(DifyModel):
    """Fields of the envelope; each is present on the events of some app families only."""

    # Each event model narrows ``event`` to its ``Literal`` tag, which the discriminated unions
    # and ``if ev.event == "message"`` narrowing rely on. Pyright calls that override unsafe
    # because the field is mutable (a ``MessageEvent`` seen as a ``BaseEvent`` could be given
    # another tag); nothing assigns a tag, and pyright only relaxes the rule for a frozen model,
    # which responses are not, so each override carries a pyright ignore naming this rule.
    event: str
    task_id: str | None = None
    """Pass it to the ``stop`` endpoint."""
    conversation_id: str | None = None
    message_id: str | None = None
    workflow_run_id: str | None = None
    created_at: int | None = None


# --- messages -------------------------------------------------------------------------------


class MessageEvent(BaseEvent):
    """A piece of the answer (``answer`` is a delta: concatenate)."""

    event: Literal["message"] = "message"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    id: str | None = None
    answer: str = ""
    from_variable_selector: list[str] | None = None


class AgentMessageEvent(BaseEvent):
    """A piece of an agent's answer (a delta)."""

    event: Literal["agent_message"] = "agent_message"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    id: str | None = None
    answer: str = ""


class AgentThoughtEvent(BaseEvent):
    """An agent's reasoning step and tool call."""

    event: Literal["agent_thought"] = "agent_thought"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    id: str | None = None
    position: int | None = None
    thought: str | None = None
    observation: str | None = None
    tool: str | None = None
    """Tool names joined by ``;``."""
    tool_labels: dict[str, JsonValue] | None = None
    tool_input: str | None = None
    """The tool input, as a JSON string."""
    message_files: list[str] | None = None


class MessageFileEvent(BaseEvent):
    """A file the assistant (or tool) produced."""

    event: Literal["message_file"] = "message_file"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    id: str | None = None
    type: str | None = None
    belongs_to: str | None = None
    url: str | None = None


class MessageEndEvent(BaseEvent):
    """The message is complete: usage, citations and files."""

    event: Literal["message_end"] = "message_end"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    id: str | None = None
    metadata: MessageMetadata = Field(default_factory=MessageMetadata)
    files: list[JsonValue] | None = None


class MessageReplaceEvent(BaseEvent):
    """Output moderation replaced the whole answer with ``answer``."""

    event: Literal["message_replace"] = "message_replace"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    answer: str = ""
    reason: str | None = None


class TTSMessageEvent(BaseEvent):
    """A chunk of synthesized speech (base64 MP3)."""

    event: Literal["tts_message"] = "tts_message"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    audio: str = ""
    audio_type: str | None = None


class TTSMessageEndEvent(BaseEvent):
    """End of synthesized speech."""

    event: Literal["tts_message_end"] = "tts_message_end"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    audio: str = ""


class ErrorEvent(BaseEvent):
    """An error inside the stream; reading it raises :class:`~difykit_core.DifyStreamError`."""

    event: Literal["error"] = "error"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    status: int | None = None
    code: str | None = None
    message: str = ""


# --- workflows ------------------------------------------------------------------------------


class WorkflowStartedData(DifyModel):
    """``data`` of ``workflow_started``."""

    id: str | None = None
    workflow_id: str | None = None
    inputs: dict[str, JsonValue] | None = None
    created_at: int | None = None
    reason: str | None = None
    """``initial``, or ``resumption`` after a Human Input pause."""


class WorkflowStartedEvent(BaseEvent):
    """The workflow (or chatflow graph) started."""

    event: Literal["workflow_started"] = "workflow_started"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: WorkflowStartedData = Field(default_factory=WorkflowStartedData)


class WorkflowFinishedEvent(BaseEvent):
    """The run ended: ``data.status`` says how (``failed`` is not an ``error`` event)."""

    event: Literal["workflow_finished"] = "workflow_finished"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: WorkflowRunData


class WorkflowPausedEvent(BaseEvent):
    """The run paused (a Human Input form waits); the stream ends here."""

    event: Literal["workflow_paused"] = "workflow_paused"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: WorkflowRunData


class NodeStartedEvent(BaseEvent):
    """A node started."""

    event: Literal["node_started"] = "node_started"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class NodeFinishedEvent(BaseEvent):
    """A node finished (``data.status`` may be ``failed`` or ``exception``)."""

    event: Literal["node_finished"] = "node_finished"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class NodeRetryEvent(BaseEvent):
    """A node failed and is retried (``data.retry_index``)."""

    event: Literal["node_retry"] = "node_retry"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class IterationStartedEvent(BaseEvent):
    """An iteration node started."""

    event: Literal["iteration_started"] = "iteration_started"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class IterationNextEvent(BaseEvent):
    """An iteration moved to its next item."""

    event: Literal["iteration_next"] = "iteration_next"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class IterationCompletedEvent(BaseEvent):
    """An iteration node completed."""

    event: Literal["iteration_completed"] = "iteration_completed"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class LoopStartedEvent(BaseEvent):
    """A loop node started."""

    event: Literal["loop_started"] = "loop_started"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class LoopNextEvent(BaseEvent):
    """A loop moved to its next round."""

    event: Literal["loop_next"] = "loop_next"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class LoopCompletedEvent(BaseEvent):
    """A loop node completed."""

    event: Literal["loop_completed"] = "loop_completed"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: NodeExecution = Field(default_factory=NodeExecution)


class TextData(DifyModel):
    """``data`` of ``text_chunk`` and ``text_replace``."""

    text: str = ""
    from_variable_selector: list[str] | None = None


class TextChunkEvent(BaseEvent):
    """A piece of a workflow's streamed output text (a delta)."""

    event: Literal["text_chunk"] = "text_chunk"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: TextData = Field(default_factory=TextData)


class TextReplaceEvent(BaseEvent):
    """The workflow's output text was replaced."""

    event: Literal["text_replace"] = "text_replace"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: TextData = Field(default_factory=TextData)


class ReasoningData(DifyModel):
    """``data`` of ``reasoning_chunk``."""

    reasoning: str = ""
    node_id: str | None = None
    is_final: bool | None = None
    message_id: str | None = None


class ReasoningChunkEvent(BaseEvent):
    """A piece of an LLM node's separated reasoning ("thinking")."""

    event: Literal["reasoning_chunk"] = "reasoning_chunk"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: ReasoningData = Field(default_factory=ReasoningData)


class AgentLogEvent(BaseEvent):
    """A log line of an Agent node."""

    event: Literal["agent_log"] = "agent_log"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: dict[str, JsonValue] = {}


class HumanInputRequiredData(DifyModel):
    """``data`` of ``human_input_required``: the form to show (``form_token`` opens it)."""

    form_id: str | None = None
    node_id: str | None = None
    node_title: str | None = None
    form_content: str | None = None
    inputs: list[JsonValue] = []
    actions: list[HumanInputAction] = []
    display_in_ui: bool | None = None
    form_token: str | None = None
    resolved_default_values: dict[str, JsonValue] | None = None
    expiration_time: int | None = None


class HumanInputRequiredEvent(BaseEvent):
    """A Human Input node waits for a form; ``workflow_paused`` follows."""

    event: Literal["human_input_required"] = "human_input_required"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: HumanInputRequiredData = Field(default_factory=HumanInputRequiredData)


class HumanInputFormFilledEvent(BaseEvent):
    """A Human Input form was submitted (seen in resumed streams)."""

    event: Literal["human_input_form_filled"] = "human_input_form_filled"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: dict[str, JsonValue] = {}


class HumanInputFormTimeoutEvent(BaseEvent):
    """A Human Input form expired."""

    event: Literal["human_input_form_timeout"] = "human_input_form_timeout"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: dict[str, JsonValue] = {}


class ParallelBranchStartedEvent(BaseEvent):
    """Legacy (Dify ≤ 1.8): a parallel branch started."""

    event: Literal["parallel_branch_started"] = "parallel_branch_started"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: dict[str, JsonValue] = {}


class ParallelBranchFinishedEvent(BaseEvent):
    """Legacy (Dify ≤ 1.8): a parallel branch finished."""

    event: Literal["parallel_branch_finished"] = "parallel_branch_finished"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: dict[str, JsonValue] = {}


class UnknownEvent(BaseEvent):
    """An event this version of difykit does not know; all its fields are in ``model_extra``."""


# --- unions ---------------------------------------------------------------------------------


def _discriminator(known: frozenset[str]) -> Discriminator:
    def tag(value: Any) -> str:
        name = (
            cast("dict[str, Any]", value).get("event")
            if isinstance(value, dict)
            else getattr(value, "event", None)
        )
        return name if name in known else "unknown"

    return Discriminator(tag)


_MESSAGE_EVENTS = (
    MessageEvent,
    MessageFileEvent,
    MessageEndEvent,
    MessageReplaceEvent,
    TTSMessageEvent,
    TTSMessageEndEvent,
    ErrorEvent,
)
_GRAPH_EVENTS = (
    WorkflowStartedEvent,
    WorkflowFinishedEvent,
    WorkflowPausedEvent,
    NodeStartedEvent,
    NodeFinishedEvent,
    NodeRetryEvent,
    IterationStartedEvent,
    IterationNextEvent,
    IterationCompletedEvent,
    LoopStartedEvent,
    LoopNextEvent,
    LoopCompletedEvent,
    ReasoningChunkEvent,
    AgentLogEvent,
    HumanInputRequiredEvent,
    HumanInputFormFilledEvent,
    HumanInputFormTimeoutEvent,
    ParallelBranchStartedEvent,
    ParallelBranchFinishedEvent,
)


def event_names(*models: type[BaseEvent]) -> frozenset[str]:
    """The ``event`` tags of the given event models."""
    return frozenset(m.model_fields["event"].default for m in models)


CompletionEvent: TypeAlias = Annotated[
    Union[
        Annotated[MessageEvent, Tag("message")],
        Annotated[MessageFileEvent, Tag("message_file")],
        Annotated[MessageEndEvent, Tag("message_end")],
        Annotated[MessageReplaceEvent, Tag("message_replace")],
        Annotated[TTSMessageEvent, Tag("tts_message")],
        Annotated[TTSMessageEndEvent, Tag("tts_message_end")],
        Annotated[ErrorEvent, Tag("error")],
        Annotated[UnknownEvent, Tag("unknown")],
    ],
    _discriminator(event_names(*_MESSAGE_EVENTS)),
]
"""Events of a completion (text generator) stream."""

ChatEvent: TypeAlias = Annotated[
    Union[
        Annotated[MessageEvent, Tag("message")],
        Annotated[AgentMessageEvent, Tag("agent_message")],
        Annotated[AgentThoughtEvent, Tag("agent_thought")],
        Annotated[MessageFileEvent, Tag("message_file")],
        Annotated[MessageEndEvent, Tag("message_end")],
        Annotated[MessageReplaceEvent, Tag("message_replace")],
        Annotated[TTSMessageEvent, Tag("tts_message")],
        Annotated[TTSMessageEndEvent, Tag("tts_message_end")],
        Annotated[ErrorEvent, Tag("error")],
        Annotated[WorkflowStartedEvent, Tag("workflow_started")],
        Annotated[WorkflowFinishedEvent, Tag("workflow_finished")],
        Annotated[WorkflowPausedEvent, Tag("workflow_paused")],
        Annotated[NodeStartedEvent, Tag("node_started")],
        Annotated[NodeFinishedEvent, Tag("node_finished")],
        Annotated[NodeRetryEvent, Tag("node_retry")],
        Annotated[IterationStartedEvent, Tag("iteration_started")],
        Annotated[IterationNextEvent, Tag("iteration_next")],
        Annotated[IterationCompletedEvent, Tag("iteration_completed")],
        Annotated[LoopStartedEvent, Tag("loop_started")],
        Annotated[LoopNextEvent, Tag("loop_next")],
        Annotated[LoopCompletedEvent, Tag("loop_completed")],
        Annotated[ReasoningChunkEvent, Tag("reasoning_chunk")],
        Annotated[AgentLogEvent, Tag("agent_log")],
        Annotated[HumanInputRequiredEvent, Tag("human_input_required")],
        Annotated[HumanInputFormFilledEvent, Tag("human_input_form_filled")],
        Annotated[HumanInputFormTimeoutEvent, Tag("human_input_form_timeout")],
        Annotated[ParallelBranchStartedEvent, Tag("parallel_branch_started")],
        Annotated[ParallelBranchFinishedEvent, Tag("parallel_branch_finished")],
        Annotated[UnknownEvent, Tag("unknown")],
    ],
    _discriminator(
        event_names(AgentMessageEvent, AgentThoughtEvent, *_MESSAGE_EVENTS, *_GRAPH_EVENTS)
    ),
]
"""Events of a chat stream: chatbot, agent, and chatflow (which adds the workflow events)."""

WorkflowEvent: TypeAlias = Annotated[
    Union[
        Annotated[WorkflowStartedEvent, Tag("workflow_started")],
        Annotated[WorkflowFinishedEvent, Tag("workflow_finished")],
        Annotated[WorkflowPausedEvent, Tag("workflow_paused")],
        Annotated[NodeStartedEvent, Tag("node_started")],
        Annotated[NodeFinishedEvent, Tag("node_finished")],
        Annotated[NodeRetryEvent, Tag("node_retry")],
        Annotated[IterationStartedEvent, Tag("iteration_started")],
        Annotated[IterationNextEvent, Tag("iteration_next")],
        Annotated[IterationCompletedEvent, Tag("iteration_completed")],
        Annotated[LoopStartedEvent, Tag("loop_started")],
        Annotated[LoopNextEvent, Tag("loop_next")],
        Annotated[LoopCompletedEvent, Tag("loop_completed")],
        Annotated[ReasoningChunkEvent, Tag("reasoning_chunk")],
        Annotated[AgentLogEvent, Tag("agent_log")],
        Annotated[HumanInputRequiredEvent, Tag("human_input_required")],
        Annotated[HumanInputFormFilledEvent, Tag("human_input_form_filled")],
        Annotated[HumanInputFormTimeoutEvent, Tag("human_input_form_timeout")],
        Annotated[ParallelBranchStartedEvent, Tag("parallel_branch_started")],
        Annotated[ParallelBranchFinishedEvent, Tag("parallel_branch_finished")],
        Annotated[TextChunkEvent, Tag("text_chunk")],
        Annotated[TextReplaceEvent, Tag("text_replace")],
        Annotated[TTSMessageEvent, Tag("tts_message")],
        Annotated[TTSMessageEndEvent, Tag("tts_message_end")],
        Annotated[ErrorEvent, Tag("error")],
        Annotated[UnknownEvent, Tag("unknown")],
    ],
    _discriminator(
        event_names(
            TextChunkEvent,
            TextReplaceEvent,
            TTSMessageEvent,
            TTSMessageEndEvent,
            ErrorEvent,
            *_GRAPH_EVENTS,
        )
    ),
]
"""Events of a workflow stream (and of the knowledge pipeline run)."""

StreamEvent: TypeAlias = Union[ChatEvent, CompletionEvent, WorkflowEvent]
"""Any stream event."""
