"""The emulator's knowledge entities: datasets, documents, segments, child chunks, tags, files."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from ._errors import DifyHTTPError
from ._ids import new_id, now
from ._knowledge_text import (
    AUTOMATIC_RULES,
)

__all__ = [
    "BUILT_IN_FIELDS",
    "BUSY_STATES",
    "DOCUMENT_EXTENSIONS",
    "INDEXING_STEPS",
    "ChildChunk",
    "Dataset",
    "Document",
    "KnowledgeFile",
    "KnowledgeTag",
    "MetadataField",
    "ProcessRule",
    "RetrievalHit",
    "Segment",
]

INDEXING_STEPS = ("waiting", "parsing", "cleaning", "splitting", "indexing", "completed")
BUSY_STATES = frozenset({"parsing", "cleaning", "splitting", "indexing"})
BUILT_IN_FIELDS = (
    ("document_name", "string"),
    ("uploader", "string"),
    ("upload_date", "time"),
    ("last_update_date", "time"),
    ("source", "string"),
)
"""Dify's built-in metadata fields (name, type)."""
_EXTENSIONS = "txt markdown md mdx pdf html htm xlsx xls docx csv vtt properties"
DOCUMENT_EXTENSIONS = frozenset(_EXTENSIONS.split())
"""File extensions a knowledge document may have (without the Unstructured ETL)."""


@dataclass
class KnowledgeFile:
    """An uploaded file: a document's original, or a file for a knowledge pipeline."""

    name: str
    content: bytes
    mime_type: str
    created_by: str
    extension: str = ""
    """Without the dot, lower-cased (default: from the name)."""
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if not self.extension and "." in self.name:
            self.extension = self.name.rsplit(".", 1)[-1].lower()

    def text(self) -> str:
        """The content as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")


@dataclass
class ProcessRule:
    """A stored process rule (how a document was cleaned and split)."""

    dataset_id: str
    mode: str
    rules: dict[str, Any] | None
    id: str = field(default_factory=new_id)

    def rules_dict(self) -> dict[str, Any]:
        """The rules as Dify stores them (``automatic`` keeps Dify's fixed rules)."""
        return dict(AUTOMATIC_RULES) if self.mode == "automatic" else dict(self.rules or {})

    def as_dict(self) -> dict[str, Any]:
        """``document_process_rule`` of a document detail."""
        return {
            "id": self.id,
            "dataset_id": self.dataset_id,
            "mode": self.mode,
            "rules": self.rules_dict(),
        }


@dataclass
class ChildChunk:
    """A child chunk of a segment."""

    segment_id: str
    content: str
    position: int
    type: str = "automatic"
    id: str = field(default_factory=new_id)
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)


@dataclass
class Segment:
    """A chunk (Dify's segment) of a document."""

    dataset_id: str
    document_id: str
    content: str
    position: int
    created_by: str
    answer: str | None = None
    keywords: list[str] = field(default_factory=list)
    tokens: int = 0
    status: str = "completed"
    enabled: bool = True
    disabled_at: int | None = None
    disabled_by: str | None = None
    hit_count: int = 0
    id: str = field(default_factory=new_id)
    index_node_id: str = field(default_factory=new_id)
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)
    updated_by: str | None = None
    indexing_at: int | None = field(default_factory=now)
    completed_at: int | None = field(default_factory=now)
    child_chunks: list[ChildChunk] = field(default_factory=list)

    @property
    def word_count(self) -> int:
        """Dify's ``word_count``: the length of the content (and answer) in characters."""
        return len(self.content) + len(self.answer or "")

    @property
    def index_node_hash(self) -> str:
        """A hash of the content, as Dify keeps to spot unchanged chunks."""
        return hashlib.sha256(self.content.encode()).hexdigest()

    def add_child(self, content: str, *, type: str = "customized") -> ChildChunk:
        """Append a child chunk."""
        position = max((c.position for c in self.child_chunks), default=0) + 1
        child = ChildChunk(segment_id=self.id, content=content, position=position, type=type)
        self.child_chunks.append(child)
        return child


@dataclass
class Document:
    """A document of a dataset, with its chunks and its place in the indexing pipeline."""

    dataset_id: str
    name: str
    position: int
    batch: str
    file: KnowledgeFile
    process_rule: ProcessRule
    doc_form: str
    doc_language: str
    created_by: str
    id: str = field(default_factory=new_id)
    created_from: str = "api"
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)
    indexing_status: str = "waiting"
    processing_started_at: int | None = None
    parsing_completed_at: int | None = None
    cleaning_completed_at: int | None = None
    splitting_completed_at: int | None = None
    completed_at: int | None = None
    stopped_at: int | None = None
    error: str | None = None
    planned_error: str | None = None
    enabled: bool = True
    disabled_at: int | None = None
    disabled_by: str | None = None
    archived: bool = False
    hit_count: int = 0
    word_count: int | None = None
    tokens: int | None = None
    doc_metadata: dict[str, Any] = field(default_factory=dict)
    metadata_ids: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    queued_at: float = field(default_factory=time.monotonic)

    @property
    def display_status(self) -> str:
        """What the console shows: ``queuing``, ``indexing``, ``available``, ``disabled``…"""
        if self.indexing_status == "waiting":
            return "queuing"
        if self.indexing_status in BUSY_STATES:
            return "indexing"
        if self.indexing_status == "error":
            return "error"
        if self.archived:
            return "archived"
        return "available" if self.enabled else "disabled"

    @property
    def searchable(self) -> bool:
        """Whether retrieval sees the document (indexed, enabled, not archived)."""
        return self.indexing_status == "completed" and self.enabled and not self.archived

    @property
    def indexing_latency(self) -> float | None:
        """Seconds from the start of processing to its end."""
        if self.completed_at is None or self.processing_started_at is None:
            return None
        return float(self.completed_at - self.processing_started_at)

    def segment(self, segment_id: str) -> Segment:
        """A segment of this document (404 ``Segment not found.`` otherwise)."""
        for segment in self.segments:
            if segment.id == segment_id:
                return segment
        raise DifyHTTPError(404, "not_found", "Segment not found.")


@dataclass
class MetadataField:
    """A custom metadata field of a dataset."""

    dataset_id: str
    name: str
    type: str
    id: str = field(default_factory=new_id)


@dataclass
class KnowledgeTag:
    """A knowledge tag of the workspace."""

    name: str
    id: str = field(default_factory=new_id)
    type: str = "knowledge"
    created_at: float = field(default_factory=time.time)


@dataclass
class Dataset:
    """A knowledge base (Dify's dataset) and its documents."""

    name: str
    created_by: str
    description: str = ""
    indexing_technique: str | None = None
    permission: str = "only_me"
    provider: str = "vendor"
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    retrieval_model: dict[str, Any] | None = None
    external_retrieval_model: dict[str, Any] = field(
        default_factory=lambda: {
            "top_k": 2,
            "score_threshold": 0.0,
            "score_threshold_enabled": None,
        }
    )
    external_knowledge_id: str | None = None
    external_knowledge_api_id: str | None = None
    summary_index_setting: dict[str, Any] | None = None
    partial_member_list: list[str] = field(default_factory=list)
    built_in_field_enabled: bool = False
    doc_form: str | None = None
    data_source_type: str | None = None
    id: str = field(default_factory=new_id)
    created_at: int = field(default_factory=now)
    updated_at: int = field(default_factory=now)
    documents: dict[str, Document] = field(default_factory=dict)
    metadata_fields: dict[str, MetadataField] = field(default_factory=dict)
    process_rules: list[ProcessRule] = field(default_factory=list)

    @property
    def latest_process_rule(self) -> ProcessRule | None:
        """The process rule of the last document added (Dify reuses it by default)."""
        return self.process_rules[-1] if self.process_rules else None

    def document(self, document_id: str, message: str = "Document not found.") -> Document:
        """A document of this dataset (404 otherwise)."""
        document = self.documents.get(document_id)
        if document is None:
            raise DifyHTTPError(404, "not_found", message)
        return document

    def field_named(self, name: str) -> MetadataField | None:
        """The custom metadata field with that name."""
        return next((f for f in self.metadata_fields.values() if f.name == name), None)


@dataclass
class RetrievalHit:
    """One retrieved chunk with its score (and its matching child chunks)."""

    document: Document
    segment: Segment
    score: float
    child_scores: list[tuple[ChildChunk, float]] | None = None
