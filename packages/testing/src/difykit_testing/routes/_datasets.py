"""Knowledge bases: ``/datasets`` CRUD, retrieval (``…/retrieve``, ``…/hit-testing``), models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import now
from difykit_testing._knowledge_filter import metadata_filter
from difykit_testing._knowledge_state import ChildChunk, Dataset, RetrievalHit
from difykit_testing._requests import json_body
from difykit_testing.routes._knowledge_views import (
    EMULATED_MODELS,
    EMULATED_PROVIDER,
    child_chunk_json,
    dataset_for,
    dataset_json,
    knowledge,
    no_content,
    page_params,
    segment_json,
)

__all__ = ["routes"]

SearchMethod = Literal["keyword_search", "semantic_search", "full_text_search", "hybrid_search"]
Operator = Literal[
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
    ">=",
    "<=",
    "before",
    "after",
]
_NO_EMBEDDINGS = "Default model not found for text-embedding"


class RerankingModel(BaseModel):
    reranking_provider_name: str | None = None
    reranking_model_name: str | None = None


class Condition(BaseModel):
    name: str
    comparison_operator: Operator
    value: str | int | float | list[str] | None = None


class MetadataFilteringCondition(BaseModel):
    logical_operator: Literal["and", "or"] | None = "and"
    conditions: list[Condition] | None = None


class RetrievalModel(BaseModel):
    """Dify's stored retrieval settings (create and update validate them strictly)."""

    search_method: SearchMethod
    reranking_enable: bool
    reranking_model: RerankingModel | None = None
    reranking_mode: str | None = None
    top_k: int
    score_threshold_enabled: bool
    score_threshold: float | None = None
    weights: dict[str, Any] | None = None
    metadata_filtering_conditions: MetadataFilteringCondition | None = None


class HitTestingRetrievalModel(BaseModel):
    """The ``retrieval_model`` of a retrieval (Dify reads it as a loose dict)."""

    search_method: SearchMethod | None = None
    reranking_enable: bool | None = None
    reranking_model: RerankingModel | None = None
    reranking_mode: str | None = None
    top_k: int | None = None
    score_threshold_enabled: bool | None = None
    score_threshold: float | None = None
    weights: dict[str, Any] | None = None
    metadata_filtering_conditions: MetadataFilteringCondition | None = None


class DatasetCreatePayload(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=400)
    indexing_technique: Literal["high_quality", "economy"] | None = None
    permission: Literal["only_me", "all_team_members", "partial_members"] | None = "only_me"
    external_knowledge_api_id: str | None = None
    provider: str = "vendor"
    external_knowledge_id: str | None = None
    retrieval_model: RetrievalModel | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    summary_index_setting: dict[str, Any] | None = None


class DatasetUpdatePayload(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=400)
    indexing_technique: Literal["high_quality", "economy"] | None = None
    permission: Literal["only_me", "all_team_members", "partial_members"] | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    retrieval_model: RetrievalModel | None = None
    partial_member_list: list[dict[str, str]] | None = None
    external_retrieval_model: dict[str, Any] | None = None
    external_knowledge_id: str | None = None
    external_knowledge_api_id: str | None = None


class HitTestingPayload(BaseModel):
    query: str = Field(max_length=250)
    retrieval_model: dict[str, Any] | None = None
    external_retrieval_model: dict[str, Any] | None = None
    attachment_ids: list[str] | None = None


def _default_embedding(dataset: Dataset) -> None:
    """A high-quality dataset without a model gets the workspace default (the emulated one)."""
    if dataset.indexing_technique == "high_quality" and not dataset.embedding_model:
        dataset.embedding_model = EMULATED_MODELS["text-embedding"][0]
        dataset.embedding_model_provider = EMULATED_PROVIDER


def _store_retrieval_model(dataset: Dataset, model: RetrievalModel) -> None:
    dataset.retrieval_model = model.model_dump(mode="json")
    dataset.external_retrieval_model = {
        "top_k": model.top_k,
        "score_threshold": model.score_threshold,
        "score_threshold_enabled": model.score_threshold_enabled,
    }


async def list_datasets(request: Request) -> JSONResponse:
    """``GET /datasets``: newest first; ``keyword``, repeated ``tag_ids`` (any of them)."""
    state = knowledge(request)
    page, limit = page_params(request)
    keyword = (request.query_params.get("keyword") or "").lower()
    tag_ids = [t for t in request.query_params.getlist("tag_ids") if t]
    datasets = list(reversed(state.datasets.values()))
    if keyword:
        datasets = [d for d in datasets if keyword in d.name.lower()]
    if tag_ids:
        tagged = {target for tag_id in tag_ids for target in state.bindings.get(tag_id, [])}
        datasets = [d for d in datasets if d.id in tagged]
    window = datasets[(page - 1) * limit : page * limit]
    for dataset in window:
        state.catch_up(dataset)
    return JSONResponse(
        {
            "data": [dataset_json(state, d, checked=True) for d in window],
            "has_more": len(window) == limit,
            "limit": limit,
            "total": len(datasets),
            "page": page,
        }
    )


async def create_dataset(request: Request) -> JSONResponse:
    """``POST /datasets``: an empty dataset (409 ``dataset_name_duplicate``)."""
    state = knowledge(request)
    payload = await json_body(request, DatasetCreatePayload)
    if payload.provider == "external":
        raise DifyHTTPError(400, "invalid_param", "External API template not found.")
    state.check_name(payload.name)
    dataset = Dataset(
        name=payload.name,
        created_by=state.owner_id,
        description=payload.description,
        indexing_technique=payload.indexing_technique,
        permission=payload.permission or "only_me",
        provider=payload.provider,
        embedding_model=payload.embedding_model,
        embedding_model_provider=payload.embedding_model_provider,
        summary_index_setting=payload.summary_index_setting,
    )
    if payload.retrieval_model is not None:
        dataset.retrieval_model = payload.retrieval_model.model_dump(mode="json")
    _default_embedding(dataset)
    state.datasets[dataset.id] = dataset
    return JSONResponse(dataset_json(state, dataset))


async def get_dataset(request: Request) -> JSONResponse:
    """``GET /datasets/{id}``; an economy dataset shows ``keyword_search``."""
    state, dataset = dataset_for(request)
    body = dataset_json(state, dataset, checked=True, detail=True)
    if dataset.permission == "partial_members":
        body["partial_member_list"] = list(dataset.partial_member_list)
    return JSONResponse(body)


async def update_dataset(request: Request) -> JSONResponse:
    """``PATCH /datasets/{id}``: the given settings; the answer adds ``partial_member_list``."""
    state, dataset = dataset_for(request)
    payload = await json_body(request, DatasetUpdatePayload)
    given = payload.model_fields_set
    if payload.name is not None and payload.name != dataset.name:
        if any(d.name == payload.name for d in state.datasets.values()):
            raise DifyHTTPError(400, "invalid_param", "Dataset name already exists")
        dataset.name = payload.name
    for name in (
        "description",
        "indexing_technique",
        "embedding_model",
        "embedding_model_provider",
        "external_knowledge_id",
        "external_knowledge_api_id",
    ):
        value = getattr(payload, name)
        if name in given and value is not None:
            setattr(dataset, name, value)
    if payload.retrieval_model is not None:
        _store_retrieval_model(dataset, payload.retrieval_model)
    if payload.external_retrieval_model is not None:
        dataset.external_retrieval_model.update(payload.external_retrieval_model)
    if payload.permission is not None:
        dataset.permission = payload.permission
        if payload.permission == "partial_members" and payload.partial_member_list:
            members = payload.partial_member_list
            dataset.partial_member_list = [m.get("user_id", "") for m in members]
        elif payload.permission != "partial_members":
            dataset.partial_member_list = []
    _default_embedding(dataset)
    dataset.updated_at = now()
    body = dataset_json(state, dataset)
    body["partial_member_list"] = list(dataset.partial_member_list)
    return JSONResponse(body)


async def delete_dataset(request: Request) -> Response:
    """``DELETE /datasets/{id}``: 204, then 404 ``Dataset not found.``."""
    state, dataset = dataset_for(request)
    state.delete_dataset(dataset)
    return no_content()


def _hit_json(hit: RetrievalHit) -> dict[str, Any]:
    document = hit.document
    segment = segment_json(hit.segment, for_retrieval=True)
    segment["document"] = {
        "id": document.id,
        "data_source_type": "upload_file",
        "name": document.name,
        "doc_type": None,
        "doc_metadata": dict(document.doc_metadata) or None,
    }
    children = None
    if hit.child_scores is not None:
        children = [{**_child_brief(child), "score": score} for child, score in hit.child_scores]
    return {
        "segment": segment,
        "child_chunks": children,
        "score": hit.score,
        "tsne_position": None,
        "files": None,
        "summary": None,
    }


def _child_brief(child: ChildChunk) -> dict[str, Any]:
    body = child_chunk_json(child)
    return {"id": body["id"], "content": body["content"], "position": body["position"]}


def _settings(raw: dict[str, Any] | None) -> HitTestingRetrievalModel:
    try:
        return HitTestingRetrievalModel.model_validate(raw or {})
    except ValidationError as exc:
        raise DifyHTTPError(400, "invalid_param", str(exc)) from None


async def retrieve(request: Request) -> JSONResponse:
    """``POST /datasets/{id}/retrieve`` (and ``/hit-testing``): keyword search over chunks.

    Scores are the share of the query's terms a chunk holds, in (0, 1]. An economy dataset
    has no embeddings, so an explicit semantic, full-text or hybrid search fails as on Dify.
    """
    state, dataset = dataset_for(request)
    payload = await json_body(request, HitTestingPayload)
    if not payload.query.strip():
        raise DifyHTTPError(
            400, "invalid_param", "Query is required and cannot exceed 250 characters"
        )
    asked = _settings(payload.retrieval_model)
    stored = _settings(dataset.retrieval_model)
    economy = dataset.indexing_technique != "high_quality"
    if economy and asked.search_method not in (None, "keyword_search"):
        raise DifyHTTPError(400, "invalid_param", _NO_EMBEDDINGS)
    settings = asked if payload.retrieval_model else stored
    top_k = settings.top_k or (4 if payload.retrieval_model else 2)
    threshold = settings.score_threshold if settings.score_threshold_enabled else None
    conditions = settings.metadata_filtering_conditions
    document_filter = None
    if conditions is not None:
        document_filter = metadata_filter(
            ((c.name, c.comparison_operator, c.value) for c in conditions.conditions or []),
            conditions.logical_operator,
        )
    hits = state.retrieve(
        dataset,
        payload.query,
        top_k=top_k,
        score_threshold=threshold,
        document_filter=document_filter,
    )
    return JSONResponse(
        {
            "query": {"content": payload.query},
            "records": [_hit_json(hit) for hit in hits],
        }
    )


def _model_json(model: str, model_type: str) -> dict[str, Any]:
    return {
        "model": model,
        "label": {"en_US": model, "zh_Hans": model},
        "model_type": model_type,
        "features": None,
        "fetch_from": "predefined-model",
        "model_properties": {"context_size": 8192},
        "status": "active",
        "deprecated": False,
        "load_balancing_enabled": False,
        "has_invalid_load_balancing_configs": False,
    }


_MODEL_TYPES = ("text-embedding", "rerank", "llm", "tts", "speech2text", "moderation")


async def list_models(request: Request) -> JSONResponse:
    """``GET /workspaces/current/models/model-types/{type}``: the emulated provider's models.

    The workspace has one provider, ``difykit-emulator``, with ``emulator-embedding``,
    ``emulator-rerank`` and ``emulator-llm``; other model types have none.
    """
    state = knowledge(request)
    model_type = request.path_params["model_type"]
    if model_type not in _MODEL_TYPES:
        raise DifyHTTPError(400, "invalid_param", f"invalid origin model type {model_type}")
    models = EMULATED_MODELS.get(model_type, [])
    if not models:
        return JSONResponse({"data": []})
    provider = {
        "provider": EMULATED_PROVIDER,
        "label": {"en_US": "difykit emulator", "zh_Hans": "difykit emulator"},
        "icon_small": None,
        "icon_small_dark": None,
        "status": "active",
        "tenant_id": state.owner_id,
        "models": [_model_json(m, model_type) for m in models],
    }
    return JSONResponse({"data": [provider]})


def routes() -> list[BaseRoute]:
    """The dataset, retrieval and model routes."""
    return [
        Route("/datasets", list_datasets, methods=["GET"]),
        Route("/datasets", create_dataset, methods=["POST"]),
        Route("/datasets/{dataset_id:uuid}", get_dataset, methods=["GET"]),
        Route("/datasets/{dataset_id:uuid}", update_dataset, methods=["PATCH"]),
        Route("/datasets/{dataset_id:uuid}", delete_dataset, methods=["DELETE"]),
        Route("/datasets/{dataset_id:uuid}/retrieve", retrieve, methods=["POST"]),
        Route("/datasets/{dataset_id:uuid}/hit-testing", retrieve, methods=["POST"]),
        Route("/workspaces/current/models/model-types/{model_type}", list_models, methods=["GET"]),
    ]
