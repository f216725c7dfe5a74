"""Documents of a knowledge base: the document object, its processing rules, indexing status."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from difykit_core._json import JsonValue
from difykit_core.models._base import DifyModel, RequestModel

from .metadata import DocumentMetadata

__all__ = [
    "DocForm",
    "Document",
    "DocumentAction",
    "DocumentBatch",
    "DocumentDetail",
    "DocumentDownloadURL",
    "DocumentIndexingStatus",
    "DocumentStatus",
    "IndexingStatus",
    "MetadataView",
    "PreProcessingRule",
    "ProcessRule",
    "ProcessRuleDetail",
    "ProcessRules",
    "Segmentation",
]

DocForm: TypeAlias = Literal["text_model", "qa_model", "hierarchical_model"]
"""How a document is chunked: plain chunks, Q&A pairs, or parent-child chunks."""

DocumentAction: TypeAlias = Literal["enable", "disable", "archive", "un_archive"]
"""What ``documents.set_status`` does to the documents."""

DocumentStatus: TypeAlias = Literal[
    "queuing", "indexing", "paused", "error", "available", "disabled", "archived"
]
"""The ``display_status`` filter of ``documents.list``."""

MetadataView: TypeAlias = Literal["all", "only", "without"]
"""What ``documents.get`` returns: everything, only the metadata, or all but the metadata."""


# --- processing rules (request) ------------------------------------------------------------


class PreProcessingRule(RequestModel):
    """A text clean-up step applied before splitting."""

    id: Literal["remove_stopwords", "remove_extra_spaces", "remove_urls_emails"]
    enabled: bool


class Segmentation(RequestModel):
    """How text is split into chunks (or, under ``subchunk_segmentation``, into child chunks)."""

    max_tokens: int = Field(gt=0)
    """The largest chunk, in tokens."""
    separator: str | None = None
    """Where to split (Dify's default: ``"\\n"``)."""
    chunk_overlap: int | None = Field(default=None, ge=0)
    """Tokens shared by neighbouring chunks (Dify's default: 0)."""


class ProcessRules(RequestModel):
    """The rules of a ``custom`` or ``hierarchical`` process rule."""

    pre_processing_rules: list[PreProcessingRule] | None = None
    segmentation: Segmentation | None = None
    parent_mode: Literal["full-doc", "paragraph"] | None = None
    """Hierarchical only: the whole document, or each paragraph, is the parent chunk."""
    subchunk_segmentation: Segmentation | None = None
    """Hierarchical only: how parent chunks are split into child chunks."""


class ProcessRule(RequestModel):
    """How a document is cleaned and split.

    ``automatic`` uses Dify's defaults; ``custom`` and ``hierarchical`` need ``rules``.
    """

    mode: Literal["automatic", "custom", "hierarchical"]
    rules: ProcessRules | None = None


# --- documents (response) ------------------------------------------------------------------


class Document(DifyModel):
    """A document of a knowledge base.

    ``indexing_status`` is ``waiting``, ``parsing``, ``cleaning``, ``splitting``, ``indexing``,
    ``completed``, ``error`` or ``paused``; ``display_status`` is what the console shows
    (``queuing``, ``indexing``, ``available``, ``disabled``, ``archived``, ``error``…). Both
    are open sets. ``data_source_info`` has ``upload_file_id`` in lists and the whole
    ``upload_file`` object in ``documents.get``.
    """

    id: str
    position: int | None = None
    data_source_type: str | None = None
    data_source_info: dict[str, JsonValue] | None = None
    data_source_detail_dict: dict[str, JsonValue] | None = None
    dataset_process_rule_id: str | None = None
    name: str | None = None
    created_from: str | None = None
    """``api`` for documents made through the Service API, ``web`` for the console."""
    created_by: str | None = None
    created_at: int | None = None
    tokens: int | None = None
    indexing_status: str | None = None
    error: str | None = None
    enabled: bool | None = None
    disabled_at: int | None = None
    disabled_by: str | None = None
    archived: bool | None = None
    display_status: str | None = None
    word_count: int | None = None
    hit_count: int | None = None
    doc_form: str | None = None
    doc_metadata: list[DocumentMetadata] | None = None
    summary_index_status: str | None = None
    need_summary: bool | None = None


class ProcessRuleDetail(DifyModel):
    """A stored process rule (``dataset_process_rule`` and ``document_process_rule``)."""

    id: str | None = None
    dataset_id: str | None = None
    mode: str | None = None
    rules: dict[str, JsonValue] | None = None


class DocumentDetail(Document):
    """A document with its processing details (``documents.get``).

    With ``metadata="only"`` Dify sends just ``id``, ``doc_type`` and ``doc_metadata``.
    """

    dataset_process_rule: ProcessRuleDetail | None = None
    document_process_rule: ProcessRuleDetail | None = None
    completed_at: int | None = None
    updated_at: int | None = None
    indexing_latency: float | None = None
    segment_count: int | None = None
    average_segment_length: float | None = None
    doc_language: str | None = None
    doc_type: str | None = None


class DocumentBatch(DifyModel):
    """A document Dify accepted, and the ``batch`` to follow its indexing with.

    Indexing runs in the background: pass ``batch`` to ``documents.wait_until_indexed`` (or
    poll ``documents.indexing_status``).
    """

    document: Document
    batch: str


class DocumentDownloadURL(DifyModel):
    """A signed, short-lived URL to the original file of a document."""

    url: str


# --- indexing status -----------------------------------------------------------------------


class DocumentIndexingStatus(DifyModel):
    """Where the indexing of one document stands.

    ``indexing_status`` moves through ``waiting``, ``parsing``, ``cleaning``, ``splitting``
    and ``indexing`` to ``completed`` (or ``error``; ``paused`` waits for a resume).
    Times are Unix seconds.
    """

    id: str
    indexing_status: str
    processing_started_at: float | None = None
    parsing_completed_at: float | None = None
    cleaning_completed_at: float | None = None
    splitting_completed_at: float | None = None
    completed_at: float | None = None
    paused_at: float | None = None
    error: str | None = None
    stopped_at: float | None = None
    completed_segments: int | None = None
    total_segments: int | None = None


class IndexingStatus(DifyModel):
    """The indexing status of every document of a batch (``documents.indexing_status``)."""

    data: list[DocumentIndexingStatus]
