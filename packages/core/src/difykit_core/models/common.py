"""Shapes shared by several responses: usage, retriever resources, message metadata."""

from __future__ import annotations

from decimal import Decimal

from difykit_core._json import JsonValue

from ._base import DifyModel

__all__ = [
    "AnnotationReply",
    "MessageMetadata",
    "RetrieverResource",
    "Usage",
]


class Usage(DifyModel):
    """Token usage and cost of one LLM generation (``metadata.usage``).

    Prices are decimal strings on the wire and :class:`~decimal.Decimal` here, so no
    precision is lost; they serialize back to strings.
    """

    prompt_tokens: int = 0
    prompt_unit_price: Decimal | None = None
    prompt_price_unit: Decimal | None = None
    prompt_price: Decimal | None = None
    completion_tokens: int = 0
    completion_unit_price: Decimal | None = None
    completion_price_unit: Decimal | None = None
    completion_price: Decimal | None = None
    total_tokens: int = 0
    total_price: Decimal | None = None
    currency: str | None = None
    latency: float | None = None
    time_to_first_token: float | None = None
    time_to_generate: float | None = None


class RetrieverResource(DifyModel):
    """A knowledge chunk that was used to answer (citations)."""

    position: int | None = None
    dataset_id: str | None = None
    dataset_name: str | None = None
    document_id: str | None = None
    document_name: str | None = None
    data_source_type: str | None = None
    segment_id: str | None = None
    retriever_from: str | None = None
    score: float | None = None
    hit_count: int | None = None
    word_count: int | None = None
    segment_position: int | None = None
    index_node_hash: str | None = None
    content: str | None = None
    page: int | None = None
    doc_metadata: JsonValue = None
    title: str | None = None
    summary: str | None = None


class AnnotationReply(DifyModel):
    """The annotation that answered instead of the model, when annotation reply hit."""

    id: str | None = None
    account: dict[str, JsonValue] | None = None


class MessageMetadata(DifyModel):
    """``metadata`` of a generated message."""

    usage: Usage | None = None
    retriever_resources: list[RetrieverResource] = []
    annotation_reply: AnnotationReply | None = None
