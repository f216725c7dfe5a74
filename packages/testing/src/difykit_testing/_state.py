"""The emulator's in-memory state for apps: end users, files, conversations, runs, tasks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, TypeAlias

from ._ids import new_id, new_key, now

__all__ = [
    "AppMode",
    "AppState",
    "Conversation",
    "EndUser",
    "HumanInputFormState",
    "InputVariable",
    "Reply",
    "StoredAnnotation",
    "StoredFeedback",
    "StoredFile",
    "StoredMessage",
    "Task",
    "Variable",
    "WorkflowRunState",
]

AppMode: TypeAlias = Literal["chat", "agent-chat", "advanced-chat", "completion", "workflow"]

_ReplyFunction: TypeAlias = "Callable[[Any, Conversation | None], Any]"
# One string per alias: type checkers do not read implicitly concatenated annotations.
Reply: TypeAlias = "str | _ReplyFunction | Mapping[str, Any] | Sequence[Mapping[str, Any]] | None"
"""What an emulated app answers.

* ``None``: echo. Chat modes answer ``"Echo: <query>"`` (as the recorded chatflow does);
  completion answers ``"Echo: <query>"``, or ``"Echo: <input values>"`` with no query;
  workflows copy their declared inputs to their outputs (``outputs=`` names them).
* a string: always that answer (a workflow's first output, or ``text``).
* a mapping: a workflow's outputs (other modes answer it as JSON text).
* a callable: ``reply(query_or_inputs, conversation)``. Chat modes get the query and the
  conversation (its earlier messages in ``conversation.messages``); completion gets the query,
  or the inputs when the query is empty; workflows get the inputs and ``None``. It returns an
  answer string, a workflow's outputs (a mapping), or a script (below).
* a list of event mappings: a script, streamed as given (blocking calls aggregate it). The
  envelope (``task_id``, ids, ``created_at``) and payload defaults are filled in; graph modes
  get ``workflow_started`` and a Start node first unless the script starts the workflow
  itself; the mode's terminal events are added unless the script has them. An ``error`` event
  ends the stream (a blocking call answers it as an HTTP error); a ``node_finished`` with
  ``status: "failed"`` fails the run; a ``human_input_required`` event pauses a workflow or
  chatflow at a Human Input form (``inputs``: names or field objects, ``actions``: ids or
  button objects), and the events after it run once the form is answered (an event with
  ``if_action: "<action id>"`` only when that action was chosen). Node and loop events get
  Dify's payload fields; a Start node's ``node_finished`` carries the run's inputs.
"""


def iso_now() -> str:
    """Naive ISO-8601 UTC time, as Dify writes end-user and feedback timestamps."""
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass
class InputVariable:
    """A declared input of an app (what ``/parameters`` lists in ``user_input_form``)."""

    variable: str
    type: str = "text-input"
    label: str | None = None
    required: bool = False
    max_length: int | None = None
    options: list[str] = field(default_factory=list)
    default: Any = None


@dataclass
class EndUser:
    """An end user, created the first time a ``user`` string is seen."""

    session_id: str
    app_id: str
    id: str = field(default_factory=new_id)
    created_at: str = field(default_factory=iso_now)
    updated_at: str = field(default_factory=iso_now)


@dataclass
class StoredFile:
    """An uploaded file and its bytes."""

    name: str
    content: bytes
    mime_type: str
    created_by: str
    user: str
    id: str = field(default_factory=new_id)
    created_at: int = field(default_factory=now)

    @property
    def extension(self) -> str:
        """The file's extension without the dot."""
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""


@dataclass
class Variable:
    """A conversation variable."""

    name: str
    value_type: str
    value: Any
    description: str = ""
    id: str = field(default_factory=new_id)
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)


@dataclass
class StoredMessage:
    """A message (a query and its answer) of a conversation or a completion."""

    conversation_id: str | None
    query: str
    answer: str
    inputs: dict[str, Any]
    user: str
    id: str = field(default_factory=new_id)
    parent_message_id: str | None = None
    created_at: int = field(default_factory=now)
    status: str = "normal"
    error: str | None = None
    rating: str | None = None
    feedback_content: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    agent_thoughts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Conversation:
    """A conversation of one end user with a chat app."""

    app_id: str
    user: str
    name: str
    inputs: dict[str, Any]
    introduction: str = ""
    id: str = field(default_factory=new_id)
    status: str = "normal"
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)
    messages: list[StoredMessage] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)


@dataclass
class Task:
    """A running generation, stoppable through its ``task_id``."""

    app_id: str
    user: str
    id: str = field(default_factory=new_id)
    stopped: bool = False
    finished: bool = False
    stopped_by: str | None = None
    """The ``user`` of the stop request that stopped the task."""


@dataclass
class WorkflowRunState:
    """A workflow (or chatflow graph) run, kept for ``GET /workflows/run/{id}`` and the logs."""

    app_id: str
    workflow_id: str
    user: str
    inputs: dict[str, Any]
    id: str = field(default_factory=new_id)
    status: str = "running"
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    elapsed_time: float = 0.0
    total_tokens: int = 0
    total_steps: int = 0
    exceptions_count: int = 0
    created_at: int = field(default_factory=now)
    finished_at: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    """The run's events, replayed by ``GET /workflow/{id}/events``."""
    mode: str = "workflow"
    """``workflow`` or ``advanced-chat``."""
    task_id: str | None = None
    created_by: str = ""
    """The end user's id (``user`` holds the session string)."""
    conversation_id: str | None = None
    message_id: str | None = None
    log_id: str = field(default_factory=new_id)
    delivered: int = 0
    """How many of ``events`` a client has been sent (the resume stream starts there)."""


@dataclass
class HumanInputFormState:
    """A Human Input form a paused run waits on (by its ``form_token``)."""

    run_id: str
    node_id: str
    node_title: str
    form_content: str
    inputs: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    expiration_time: int
    resolved_default_values: dict[str, Any] = field(default_factory=dict)
    display_in_ui: bool = True
    token: str = field(default_factory=lambda: new_key("")[:22])
    id: str = field(default_factory=new_id)
    remaining: list[dict[str, Any]] = field(default_factory=list)
    """The scripted events that follow the form once it is answered."""
    submitted: bool = False


@dataclass
class StoredAnnotation:
    """An annotation (a canned question and answer)."""

    question: str
    answer: str
    id: str = field(default_factory=new_id)
    hit_count: int = 0
    created_at: int = field(default_factory=now)


@dataclass
class StoredFeedback:
    """Feedback on a message."""

    message_id: str
    conversation_id: str | None
    rating: str
    content: str | None
    from_end_user_id: str
    id: str = field(default_factory=new_id)
    created_at: str = field(default_factory=iso_now)
    updated_at: str = field(default_factory=iso_now)


@dataclass
class AppState:
    """One emulated app with its key, settings and data."""

    mode: AppMode
    name: str
    api_key: str
    reply: Reply = None
    description: str = ""
    inputs: list[InputVariable] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    opening_statement: str = ""
    suggested_questions: list[str] = field(default_factory=list)
    suggested_questions_after_answer: bool = False
    speech_to_text: bool = False
    text_to_speech: bool = False
    file_upload: bool = True
    id: str = field(default_factory=new_id)
    workflow_id: str = field(default_factory=new_id)
    end_users: dict[str, EndUser] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    runs: dict[str, WorkflowRunState] = field(default_factory=dict)
    annotations: dict[str, StoredAnnotation] = field(default_factory=dict)
    feedbacks: list[StoredFeedback] = field(default_factory=list)
    annotation_jobs: dict[str, str] = field(default_factory=dict)
    """Annotation-reply jobs: job id to its action (``enable`` or ``disable``)."""
    annotation_reply: dict[str, Any] | None = None
    """Annotation-reply settings while it is enabled (``embedding_provider_name``,
    ``embedding_model_name``, ``score_threshold``); ``None`` while it is off."""
    forms: dict[str, HumanInputFormState] = field(default_factory=dict)
    """Human Input forms by token."""
    workflow_version: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    )
    """The published workflow's version (a timestamp, as ``/workflows/logs`` shows it)."""

    @property
    def is_chat(self) -> bool:
        """Whether the app takes chat messages (chat, agent-chat, advanced-chat)."""
        return self.mode in ("chat", "agent-chat", "advanced-chat")

    @property
    def has_graph(self) -> bool:
        """Whether runs are workflow graphs (workflow, advanced-chat)."""
        return self.mode in ("workflow", "advanced-chat")

    def end_user(self, session_id: str) -> EndUser:
        """The end user for a ``user`` string, created on first sight."""
        user = self.end_users.get(session_id)
        if user is None:
            user = self.end_users[session_id] = EndUser(session_id=session_id, app_id=self.id)
        return user
