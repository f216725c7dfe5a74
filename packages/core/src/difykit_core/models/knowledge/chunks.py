"""Chunks (Dify's segments) of a document, and the child chunks of hierarchical documents."""

from __future__ import annotations

from pydantic import Field

from difykit_core._json import JsonValue
from difykit_core.models._base import DifyModel, RequestModel

__all__ = [
    "ChildChunk",
    "ChildChunkResult",
    "Chunk",
    "ChunkAttachment",
    "ChunkBatch",
    "ChunkInput",
    "ChunkResult",
]


class ChildChunk(DifyModel):
    """A child chunk of a chunk (parent-child indexing).

    ``type`` is ``automatic`` (made by the splitter) or ``customized`` (added or edited).
    """

    id: str
    segment_id: str | None = None
    content: str | None = None
    position: int | None = None
    word_count: int | None = None
    type: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class ChunkAttachment(DifyModel):
    """A file attached to a chunk (multimodal knowledge bases)."""

    id: str
    name: str | None = None
    size: int | None = None
    extension: str | None = None
    mime_type: str | None = None
    source_url: str | None = None


class Chunk(DifyModel):
    """A chunk of a document: the unit that is indexed and retrieved.

    ``status`` is ``waiting``, ``indexing``, ``completed``, ``error``… (an open set); times are
    Unix seconds.
    """

    id: str
    position: int | None = None
    document_id: str | None = None
    content: str | None = None
    sign_content: str | None = None
    answer: str | None = None
    """The answer of a Q&A chunk (``qa_model`` documents)."""
    word_count: int | None = None
    tokens: int | None = None
    keywords: list[str] | None = None
    index_node_id: str | None = None
    index_node_hash: str | None = None
    hit_count: int | None = None
    enabled: bool | None = None
    disabled_at: int | None = None
    disabled_by: str | None = None
    status: str | None = None
    created_by: str | None = None
    created_at: int | None = None
    updated_at: int | None = None
    updated_by: str | None = None
    indexing_at: int | None = None
    completed_at: int | None = None
    error: str | None = None
    stopped_at: int | None = None
    child_chunks: list[ChildChunk] | None = None
    attachments: list[ChunkAttachment] | None = None
    summary: JsonValue = None


class ChunkResult(DifyModel):
    """One chunk with its document's form (``chunks.get`` and ``chunks.update``)."""

    data: Chunk
    doc_form: str | None = None
    """``text_model``, ``qa_model`` or ``hierarchical_model``."""


class ChunkBatch(DifyModel):
    """The chunks ``chunks.create`` added, with their document's form."""

    data: list[Chunk]
    doc_form: str | None = None


class ChildChunkResult(DifyModel):
    """The child chunk ``child_chunks.create`` or ``child_chunks.update`` returns."""

    data: ChildChunk


class ChunkInput(RequestModel):
    """A chunk to add with ``chunks.create`` (a plain string is taken as its ``content``)."""

    content: str = Field(min_length=1)
    answer: str | None = None
    """The answer, for Q&A documents (``qa_model``)."""
    keywords: list[str] | None = None
    attachment_ids: list[str] | None = None
