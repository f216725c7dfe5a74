"""Conversations, their messages and their variables."""

from __future__ import annotations

from pydantic import Field

from difykit_core._json import JsonValue

from ._base import DifyModel
from .common import RetrieverResource
from .feedback import MessageFeedback

__all__ = [
    "AgentThought",
    "Conversation",
    "ConversationVariable",
    "Message",
    "MessageFile",
    "MessageRetrieverResource",
]


class Conversation(DifyModel):
    """A conversation of one end user with a chat app."""

    id: str
    name: str | None = None
    inputs: dict[str, JsonValue] | None = None
    status: str | None = None
    introduction: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class ConversationVariable(DifyModel):
    """A conversation variable of a chatflow.

    ``value`` is what Dify sent: up to at least 1.13 always a string, and for objects and
    arrays a Python rendering such as ``"{'name': 'anon'}"`` rather than JSON.
    """

    id: str
    name: str | None = None
    value_type: str | None = None
    """``string``, ``number``, ``object``, ``array[string]``… (an open set)."""
    value: JsonValue = None
    description: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class MessageFile(DifyModel):
    """A file attached to a message of the history."""

    id: str
    filename: str | None = None
    type: str | None = None
    url: str | None = None
    mime_type: str | None = None
    size: int | None = None
    transfer_method: str | None = None
    belongs_to: str | None = None
    """``user`` or ``assistant``."""
    upload_file_id: str | None = None


class AgentThought(DifyModel):
    """An agent's reasoning step and tool call, as stored with the message."""

    id: str
    chain_id: str | None = None
    message_id: str | None = None
    position: int | None = None
    thought: str | None = None
    tool: str | None = None
    tool_labels: dict[str, JsonValue] | None = None
    tool_input: str | None = None
    observation: str | None = None
    files: list[JsonValue] = Field(default_factory=list)
    created_at: int | None = None


class MessageRetrieverResource(RetrieverResource):
    """A citation as stored with the message (it has its own id)."""

    id: str | None = None
    message_id: str | None = None
    created_at: int | None = None


class Message(DifyModel):
    """One exchange of a conversation's history (``GET /messages``): the query and its answer.

    ``status`` is ``normal``, ``error`` (see ``error``) or ``paused`` (an open set).
    """

    id: str
    conversation_id: str | None = None
    parent_message_id: str | None = None
    inputs: dict[str, JsonValue] | None = None
    query: str | None = None
    answer: str | None = None
    feedback: MessageFeedback | None = None
    retriever_resources: list[MessageRetrieverResource] = Field(default_factory=list)
    agent_thoughts: list[AgentThought] = Field(default_factory=list)
    message_files: list[MessageFile] = Field(default_factory=list)
    status: str | None = None
    error: str | None = None
    extra_contents: list[JsonValue] = Field(default_factory=list)
    created_at: int | None = None
