"""Builders for knowledge bases (dataset key): create, list, get, update, delete, retrieve."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from difykit_core._call import Call
from difykit_core.models._base import RequestModel
from difykit_core.models.knowledge.datasets import (
    Dataset,
    DatasetProvider,
    ExternalRetrievalModel,
    IndexingTechnique,
    Permission,
    RetrievalModel,
    RetrievalResult,
    SummaryIndexSetting,
)
from difykit_core.models.pages import Page
from difykit_core.operations._build import (
    empty_parser,
    model_parser,
    numbered_next,
    path,
    require,
)
from difykit_core.operations._build import query as query_params
from difykit_core.operations._knowledge import (
    as_list,
    body,
    knowledge_call,
    not_blank,
    page_parser,
)

__all__ = [
    "DatasetCreateRequest",
    "DatasetUpdateRequest",
    "RetrieveRequest",
    "create_dataset",
    "delete_dataset",
    "get_dataset",
    "list_datasets",
    "retrieve_chunks",
    "update_dataset",
]


class DatasetCreateRequest(RequestModel):
    """Body of ``POST /datasets``."""

    name: str = Field(min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=400)
    indexing_technique: IndexingTechnique | None = None
    permission: Permission | None = None
    provider: DatasetProvider | None = None
    external_knowledge_api_id: str | None = None
    external_knowledge_id: str | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    retrieval_model: RetrievalModel | None = None
    summary_index_setting: SummaryIndexSetting | None = None


class _Member(RequestModel):
    user_id: str = Field(min_length=1)


class DatasetUpdateRequest(RequestModel):
    """Body of ``PATCH /datasets/{dataset_id}``."""

    name: str | None = Field(default=None, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=400)
    indexing_technique: IndexingTechnique | None = None
    permission: Permission | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    retrieval_model: RetrievalModel | None = None
    partial_member_list: list[_Member] | None = None
    external_retrieval_model: ExternalRetrievalModel | None = None
    external_knowledge_id: str | None = None
    external_knowledge_api_id: str | None = None


class RetrieveRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/retrieve``."""

    query: str = Field(min_length=1, max_length=250)
    retrieval_model: RetrievalModel | None = None
    external_retrieval_model: ExternalRetrievalModel | None = None
    attachment_ids: list[str] | None = None


_parse_dataset = model_parser(Dataset)
_parse_datasets = page_parser(Page[Dataset])
_parse_retrieval = model_parser(RetrievalResult)


def create_dataset(
    *,
    name: str,
    description: str | None = None,
    indexing_technique: IndexingTechnique | None = None,
    permission: Permission | None = None,
    provider: DatasetProvider | None = None,
    external_knowledge_api_id: str | None = None,
    external_knowledge_id: str | None = None,
    embedding_model: str | None = None,
    embedding_model_provider: str | None = None,
    retrieval_model: RetrievalModel | None = None,
    summary_index_setting: SummaryIndexSetting | None = None,
) -> Call[Dataset]:
    """Create an empty knowledge base (``POST /datasets``).

    Args:
        name: Its name, 1 to 40 characters, unique in the workspace (else ``ConflictError``
            with code ``dataset_name_duplicate``).
        description: Up to 400 characters.
        indexing_technique: ``high_quality`` (embeddings) or ``economy`` (keywords). If left
            out, the first document added must set it.
        permission: ``only_me`` (Dify's default), ``all_team_members`` or ``partial_members``.
        provider: ``vendor`` (Dify's default) or ``external`` (with the two ``external_*``).
        external_knowledge_api_id: External knowledge API to connect (``provider="external"``).
        external_knowledge_id: The knowledge base id in the external system.
        embedding_model: Embedding model name, for ``high_quality``.
        embedding_model_provider: Its provider, e.g. ``langgenius/openai/openai``.
        retrieval_model: How it is searched.
        summary_index_setting: Summary indexing settings.
    """
    fields = body(
        DatasetCreateRequest,
        "datasets.create",
        name=name,
        description=description,
        indexing_technique=indexing_technique,
        permission=permission,
        provider=provider,
        external_knowledge_api_id=external_knowledge_api_id,
        external_knowledge_id=external_knowledge_id,
        embedding_model=embedding_model,
        embedding_model_provider=embedding_model_provider,
        retrieval_model=retrieval_model,
        summary_index_setting=summary_index_setting,
    )
    return knowledge_call("datasets.create", "POST", "/datasets", _parse_dataset, json=fields)


def list_datasets(
    *,
    page: int | None = None,
    limit: int | None = None,
    keyword: str | None = None,
    include_all: bool | None = None,
    tag_ids: Sequence[str] | None = None,
) -> Call[Page[Dataset]]:
    """List the knowledge bases the key can reach (``GET /datasets``).

    Iterating the returned page walks the following pages.

    Args:
        page: Page number, from 1.
        limit: Page size (Dify's default: 20).
        keyword: Only names containing it.
        include_all: Include knowledge bases the key's owner cannot normally see.
        tag_ids: Only knowledge bases with these tags (Dify 1.13 rejects this filter with
            ``invalid_param``; newer versions accept it).
    """
    tags = None if tag_ids is None else [tag_ids] if isinstance(tag_ids, str) else list(tag_ids)

    def fetch(number: int) -> Call[Page[Dataset]]:
        return list_datasets(
            page=number, limit=limit, keyword=keyword, include_all=include_all, tag_ids=tags
        )

    return knowledge_call(
        "datasets.list",
        "GET",
        "/datasets",
        _parse_datasets,
        params=query_params(
            page=page,
            limit=limit,
            keyword=keyword,
            include_all=include_all,
            tag_ids=tags,
        ),
        next_page=numbered_next(fetch),
    )


def get_dataset(dataset_id: str) -> Call[Dataset]:
    """Get a knowledge base (``GET /datasets/{dataset_id}``).

    Args:
        dataset_id: The knowledge base's id.
    """
    require("datasets.get", dataset_id=dataset_id)
    return knowledge_call(
        "datasets.get", "GET", path("/datasets/{id}", id=dataset_id), _parse_dataset
    )


def update_dataset(
    dataset_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    indexing_technique: IndexingTechnique | None = None,
    permission: Permission | None = None,
    embedding_model: str | None = None,
    embedding_model_provider: str | None = None,
    retrieval_model: RetrievalModel | None = None,
    partial_member_list: Sequence[str] | None = None,
    external_retrieval_model: ExternalRetrievalModel | None = None,
    external_knowledge_id: str | None = None,
    external_knowledge_api_id: str | None = None,
) -> Call[Dataset]:
    """Change a knowledge base's settings (``PATCH /datasets/{dataset_id}``).

    Only the arguments given are sent; the rest stay as they are.

    Args:
        dataset_id: The knowledge base's id.
        name: A new name, 1 to 40 characters.
        description: A new description, up to 400 characters.
        indexing_technique: ``high_quality`` or ``economy``.
        permission: ``only_me``, ``all_team_members`` or ``partial_members``.
        embedding_model: Embedding model name.
        embedding_model_provider: Its provider.
        retrieval_model: How it is searched.
        partial_member_list: With ``permission="partial_members"``: the user ids that may see it.
        external_retrieval_model: How an external knowledge base is searched.
        external_knowledge_id: The knowledge base id in the external system.
        external_knowledge_api_id: The external knowledge API.
    """
    require("datasets.update", dataset_id=dataset_id)
    fields = body(
        DatasetUpdateRequest,
        "datasets.update",
        name=name,
        description=description,
        indexing_technique=indexing_technique,
        permission=permission,
        embedding_model=embedding_model,
        embedding_model_provider=embedding_model_provider,
        retrieval_model=retrieval_model,
        partial_member_list=(
            None
            if partial_member_list is None
            else [{"user_id": user_id} for user_id in partial_member_list]
        ),
        external_retrieval_model=external_retrieval_model,
        external_knowledge_id=external_knowledge_id,
        external_knowledge_api_id=external_knowledge_api_id,
    )
    return knowledge_call(
        "datasets.update",
        "PATCH",
        path("/datasets/{id}", id=dataset_id),
        _parse_dataset,
        json=fields,
        replayable=True,
    )


def delete_dataset(dataset_id: str) -> Call[None]:
    """Delete a knowledge base and its documents (``DELETE /datasets/{dataset_id}``).

    Dify refuses (``ConflictError``, ``dataset_in_use``) while apps use it.

    Args:
        dataset_id: The knowledge base's id.
    """
    require("datasets.delete", dataset_id=dataset_id)
    return knowledge_call(
        "datasets.delete", "DELETE", path("/datasets/{id}", id=dataset_id), empty_parser
    )


def retrieve_chunks(
    dataset_id: str,
    *,
    query: str,
    retrieval_model: RetrievalModel | None = None,
    external_retrieval_model: ExternalRetrievalModel | None = None,
    attachment_ids: Sequence[str] | None = None,
) -> Call[RetrievalResult]:
    """Search a knowledge base for the chunks that best match a query (``POST …/retrieve``).

    Args:
        dataset_id: The knowledge base's id.
        query: What to search for, up to 250 characters.
        retrieval_model: Search settings for this query (default: the knowledge base's own).
        external_retrieval_model: Search settings of an external knowledge base.
        attachment_ids: Uploaded image ids to search with (multimodal knowledge bases).
    """
    operation = "datasets.retrieve"
    require(operation, dataset_id=dataset_id)
    not_blank(operation, "query", query)
    fields = body(
        RetrieveRequest,
        operation,
        query=query,
        retrieval_model=retrieval_model,
        external_retrieval_model=external_retrieval_model,
        attachment_ids=(
            None if attachment_ids is None else as_list(operation, "attachment_ids", attachment_ids)
        ),
    )
    return knowledge_call(
        "datasets.retrieve",
        "POST",
        path("/datasets/{id}/retrieve", id=dataset_id),
        _parse_retrieval,
        json=fields,
        replayable=True,
    )
