"""Generated messages: the blocking results of chat and completion calls."""

from __future__ import annotations

from pydantic import Field, model_validator
from typing_extensions import Self

from difykit_core._json import JsonValue

from ._base import DifyModel
from .common import MessageMetadata

__all__ = ["ChatMessage", "CompletionMessage"]


class CompletionMessage(DifyModel):
    """Result of ``completion.send()`` (and of ``completion.stream(...).collect()``)."""

    event: str | None = None
    task_id: str | None = None
    id: str | None = None
    message_id: str | None = None
    mode: str | None = None
    answer: str = ""
    metadata: MessageMetadata = Field(default_factory=MessageMetadata)
    created_at: int | None = None
    files: list[JsonValue] | None = None

    @model_validator(mode="after")
    def _has_an_id(self) -> Self:
        """What defines a message is its id: a body with none is not Dify's answer."""
        ids = (self.id, self.message_id, self.task_id, getattr(self, "workflow_run_id", None))
        if all(value is None for value in ids):
            raise ValueError("the answer has no message id (id, message_id or task_id)")
        return self


class ChatMessage(CompletionMessage):
    """Result of ``chat.send()`` (and of ``chat.stream(...).collect()``).

    ``mode`` is the app's mode (``chat``, ``agent-chat``, ``advanced-chat``…). A chatflow
    paused at a Human Input node has ``event == "workflow_paused"`` and the run in ``data``.
    """

    conversation_id: str | None = None
    workflow_run_id: str | None = None
    data: dict[str, JsonValue] | None = None
