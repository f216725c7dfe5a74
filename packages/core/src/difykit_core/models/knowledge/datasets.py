"""Knowledge bases (datasets): the dataset object, retrieval settings, and retrieval results."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from difykit_core._json import JsonValue
from difykit_core.models._base import DifyModel, RequestModel

from .chunks import Chunk
from .metadata import MetadataField
from .tags import KnowledgeTag

__all__ = [
    "ComparisonOperator",
    "Dataset",
    "DatasetProvider",
    "ExternalKnowledgeInfo",
    "ExternalRetrievalModel",
    "IconInfo",
    "IndexingTechnique",
    "KeywordSetting",
    "MetadataCondition",
    "MetadataFilter",
    "Permission",
    "RerankingModel",
    "RetrievalModel",
    "RetrievalQuery",
    "RetrievalRecord",
    "RetrievalResult",
    "RetrievalSettings",
    "RetrievalWeights",
    "RetrievedChildChunk",
    "RetrievedChunk",
    "RetrievedDocument",
    "SearchMethod",
    "SummaryIndexSetting",
    "VectorSetting",
]

IndexingTechnique: TypeAlias = Literal["high_quality", "economy"]
"""``high_quality`` embeds chunks (needs an embedding model); ``economy`` indexes keywords."""

Permission: TypeAlias = Literal["only_me", "all_team_members", "partial_members"]
"""Who in the workspace can see a knowledge base."""

DatasetProvider: TypeAlias = Literal["vendor", "external"]
"""``vendor``: Dify indexes the knowledge base; ``external``: an external knowledge API does."""

SearchMethod: TypeAlias = Literal[
    "keyword_search", "semantic_search", "full_text_search", "hybrid_search"
]
"""How chunks are searched (economy knowledge bases only support ``keyword_search``)."""

ComparisonOperator: TypeAlias = Literal[
    "contains",
    "not contains",
    "start with",
    "end with",
    "is",
    "is not",
    "empty",
    "not empty",
    "in",
    "not in",
    "=",
    "≠",
    ">",
    "<",
    "≥",
    "≤",
    "before",
    "after",
]
"""How a metadata filter condition compares a field with its value."""


# --- retrieval settings (request) ----------------------------------------------------------


class RerankingModel(RequestModel):
    """The rerank model to reorder results with."""

    reranking_provider_name: str
    reranking_model_name: str


class VectorSetting(RequestModel):
    """The semantic side of a weighted hybrid search."""

    vector_weight: float
    embedding_provider_name: str | None = None
    embedding_model_name: str | None = None


class KeywordSetting(RequestModel):
    """The keyword side of a weighted hybrid search."""

    keyword_weight: float


class RetrievalWeights(RequestModel):
    """Weights of a hybrid search with ``reranking_mode="weighted_score"``."""

    weight_type: Literal["semantic_first", "keyword_first", "customized"] | None = None
    vector_setting: VectorSetting | None = None
    keyword_setting: KeywordSetting | None = None


class MetadataCondition(RequestModel):
    """One condition on a document metadata field."""

    name: str = Field(min_length=1)
    """The metadata field's name."""
    comparison_operator: ComparisonOperator
    value: str | list[str] | int | float | None = None
    """What to compare with (none for ``empty`` and ``not empty``; a list for ``in``)."""


class MetadataFilter(RequestModel):
    """Only search documents whose metadata meet these conditions."""

    conditions: list[MetadataCondition]
    logical_operator: Literal["and", "or"] | None = None
    """How the conditions combine (Dify's default: ``and``)."""


class RetrievalModel(RequestModel):
    """How a knowledge base is searched (the ``retrieval_model`` of create, update, retrieve).

    Example::

        RetrievalModel(search_method="keyword_search", top_k=3)
    """

    search_method: SearchMethod
    top_k: int = Field(gt=0)
    """How many chunks to return."""
    reranking_enable: bool = False
    reranking_model: RerankingModel | None = None
    reranking_mode: Literal["reranking_model", "weighted_score"] | None = None
    score_threshold_enabled: bool = False
    score_threshold: float | None = None
    """With ``score_threshold_enabled``: drop chunks scoring below it."""
    weights: RetrievalWeights | None = None
    metadata_filtering_conditions: MetadataFilter | None = None


class ExternalRetrievalModel(RequestModel):
    """How an external knowledge base is searched."""

    top_k: int | None = Field(default=None, gt=0)
    score_threshold: float | None = None
    score_threshold_enabled: bool | None = None


class SummaryIndexSetting(RequestModel):
    """Summary indexing: let an LLM summarize each chunk and index the summaries too."""

    enable: bool | None = None
    model_name: str | None = None
    model_provider_name: str | None = None
    summary_prompt: str | None = None


# --- dataset (response) --------------------------------------------------------------------


class RetrievalSettings(DifyModel):
    """A knowledge base's stored retrieval settings (``retrieval_model_dict``)."""

    search_method: str | None = None
    reranking_enable: bool | None = None
    reranking_mode: str | None = None
    reranking_model: dict[str, JsonValue] | None = None
    weights: dict[str, JsonValue] | None = None
    top_k: int | None = None
    score_threshold_enabled: bool | None = None
    score_threshold: float | None = None


class ExternalKnowledgeInfo(DifyModel):
    """Where an external knowledge base lives."""

    external_knowledge_id: str | None = None
    external_knowledge_api_id: str | None = None
    external_knowledge_api_name: str | None = None
    external_knowledge_api_endpoint: str | None = None


class IconInfo(DifyModel):
    """A knowledge base's icon."""

    icon_type: str | None = None
    icon: str | None = None
    icon_background: str | None = None
    icon_url: str | None = None


class Dataset(DifyModel):
    """A knowledge base.

    ``provider`` is ``vendor`` (Dify indexes it) or ``external``; ``runtime_mode`` is
    ``general`` or ``rag_pipeline`` (built with a knowledge pipeline). Times are Unix seconds.
    ``partial_member_list`` comes with ``datasets.update``.
    """

    id: str
    name: str | None = None
    description: str | None = None
    provider: str | None = None
    permission: str | None = None
    data_source_type: str | None = None
    indexing_technique: str | None = None
    app_count: int | None = None
    document_count: int | None = None
    word_count: int | None = None
    created_by: str | None = None
    author_name: str | None = None
    created_at: int | None = None
    updated_by: str | None = None
    updated_at: int | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    embedding_available: bool | None = None
    retrieval_model_dict: RetrievalSettings | None = None
    summary_index_setting: dict[str, JsonValue] | None = None
    tags: list[KnowledgeTag] | None = None
    doc_form: str | None = None
    external_knowledge_info: ExternalKnowledgeInfo | None = None
    external_retrieval_model: dict[str, JsonValue] | None = None
    doc_metadata: list[MetadataField] | None = None
    built_in_field_enabled: bool | None = None
    pipeline_id: str | None = None
    runtime_mode: str | None = None
    chunk_structure: str | None = None
    icon_info: IconInfo | None = None
    is_published: bool | None = None
    total_documents: int | None = None
    total_available_documents: int | None = None
    enable_api: bool | None = None
    is_multimodal: bool | None = None
    maintainer: str | None = None
    partial_member_list: list[JsonValue] | None = None


# --- retrieval results ---------------------------------------------------------------------


class RetrievalQuery(DifyModel):
    """The query a retrieval answered."""

    content: str | None = None


class RetrievedDocument(DifyModel):
    """The document a retrieved chunk belongs to.

    ``doc_metadata`` maps field names to values, built-in fields included when enabled.
    """

    id: str
    data_source_type: str | None = None
    name: str | None = None
    doc_type: str | None = None
    doc_metadata: dict[str, JsonValue] | None = None


class RetrievedChunk(Chunk):
    """A retrieved chunk, with the document it comes from."""

    document: RetrievedDocument | None = None


class RetrievedChildChunk(DifyModel):
    """A child chunk that matched (parent-child indexing)."""

    id: str
    content: str | None = None
    position: int | None = None
    score: float | None = None


class RetrievalRecord(DifyModel):
    """One hit of ``datasets.retrieve``: the chunk and its score."""

    segment: RetrievedChunk
    score: float | None = None
    child_chunks: list[RetrievedChildChunk] | None = None
    tsne_position: JsonValue = None
    files: list[JsonValue] | None = None
    summary: JsonValue = None


class RetrievalResult(DifyModel):
    """The answer of ``datasets.retrieve``: the query and the matching chunks, best first."""

    query: RetrievalQuery
    records: list[RetrievalRecord] = Field(default_factory=list)
