"""What the knowledge routes share: the dataset-key gate, paging, and Dify's JSON shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from difykit_testing._errors import DifyHTTPError
from difykit_testing._knowledge_state import (
    ChildChunk,
    Dataset,
    Document,
    KnowledgeFile,
    KnowledgeState,
    Segment,
)
from difykit_testing._knowledge_text import DEFAULT_RULES
from difykit_testing._requests import emulator_state, int_param, require_dataset_key

__all__ = [
    "EMULATED_MODELS",
    "EMULATED_PROVIDER",
    "child_chunk_json",
    "dataset_for",
    "dataset_json",
    "document_detail_json",
    "document_json",
    "file_detail",
    "knowledge",
    "no_content",
    "page_params",
    "path_id",
    "require_completed",
    "retrieval_settings",
    "segment_json",
]

EMULATED_PROVIDER = "difykit-emulator"
"""The one model provider the emulated workspace has."""
EMULATED_MODELS: dict[str, list[str]] = {
    "text-embedding": ["emulator-embedding"],
    "rerank": ["emulator-rerank"],
    "llm": ["emulator-llm"],
}
"""Its models by type (the other types have none)."""

_DEFAULT_RETRIEVAL: dict[str, Any] = {
    "search_method": "semantic_search",
    "reranking_enable": False,
    "reranking_model": {"reranking_provider_name": "", "reranking_model_name": ""},
    "top_k": 2,
    "score_threshold_enabled": False,
}


def knowledge(request: Request) -> KnowledgeState:
    """The knowledge state, once the request's dataset key is checked (401 otherwise)."""
    require_dataset_key(request)
    return emulator_state(request).knowledge


def path_id(request: Request, name: str) -> str:
    """A path parameter as a string (UUID parameters arrive as ``uuid.UUID``)."""
    return str(request.path_params[name])


def dataset_for(request: Request) -> tuple[KnowledgeState, Dataset]:
    """The state and the dataset named by ``{dataset_id}`` (401, then 404 as Dify checks)."""
    state = knowledge(request)
    return state, state.dataset(path_id(request, "dataset_id"))


def no_content() -> Response:
    """Dify's 204: an empty body that still claims to be JSON."""
    return Response(status_code=204, media_type="application/json")


def page_params(request: Request, *, max_limit: int | None = None) -> tuple[int, int]:
    """``page`` (default 1) and ``limit`` (default 20, silently capped at ``max_limit``)."""
    page = int_param(request, "page", 1)
    limit = int_param(request, "limit", 20)
    return page, min(limit, max_limit) if max_limit is not None else limit


def retrieval_settings(dataset: Dataset) -> dict[str, Any]:
    """``retrieval_model_dict``: the stored retrieval settings, in Dify's full shape."""
    stored = dataset.retrieval_model or _DEFAULT_RETRIEVAL
    reranking: Mapping[str, Any] = stored.get("reranking_model") or {}
    return {
        "search_method": stored.get("search_method", "semantic_search"),
        "reranking_enable": stored.get("reranking_enable", False),
        "reranking_mode": stored.get("reranking_mode"),
        "reranking_model": {
            "reranking_provider_name": reranking.get("reranking_provider_name"),
            "reranking_model_name": reranking.get("reranking_model_name"),
        },
        "weights": stored.get("weights"),
        "top_k": stored.get("top_k", 2),
        "score_threshold_enabled": stored.get("score_threshold_enabled", False),
        "score_threshold": stored.get("score_threshold"),
    }


def _embedding_available(dataset: Dataset) -> bool:
    if dataset.indexing_technique != "high_quality":
        return True
    return (
        dataset.embedding_model_provider == EMULATED_PROVIDER
        and dataset.embedding_model in EMULATED_MODELS["text-embedding"]
    )


def dataset_json(
    state: KnowledgeState, dataset: Dataset, *, checked: bool = False, detail: bool = False
) -> dict[str, Any]:
    """A dataset as Dify describes it.

    ``checked``: the list and get routes check the embedding model (``embedding_available``
    is ``null`` otherwise, as on create and update). ``detail``: the get route shows an economy
    dataset's search method as ``keyword_search``.
    """
    documents = list(dataset.documents.values())
    settings = retrieval_settings(dataset)
    if detail and dataset.indexing_technique != "high_quality":
        settings["search_method"] = "keyword_search"
    summary = dataset.summary_index_setting or {}
    return {
        "id": dataset.id,
        "name": dataset.name,
        "description": dataset.description,
        "provider": dataset.provider,
        "permission": dataset.permission,
        "data_source_type": dataset.data_source_type,
        "indexing_technique": dataset.indexing_technique,
        "app_count": 0,
        "document_count": len(documents),
        "word_count": sum(d.word_count or 0 for d in documents),
        "created_by": dataset.created_by,
        "author_name": state.owner_name,
        "created_at": dataset.created_at,
        "updated_by": dataset.created_by,
        "updated_at": dataset.updated_at,
        "embedding_model": dataset.embedding_model,
        "embedding_model_provider": dataset.embedding_model_provider,
        "embedding_available": _embedding_available(dataset) if checked else None,
        "retrieval_model_dict": settings,
        "summary_index_setting": {
            "enable": summary.get("enable"),
            "model_name": summary.get("model_name"),
            "model_provider_name": summary.get("model_provider_name"),
            "summary_prompt": summary.get("summary_prompt"),
        },
        "tags": [{"id": t.id, "name": t.name, "type": t.type} for t in state.tags_of(dataset.id)],
        "doc_form": dataset.doc_form,
        "external_knowledge_info": {
            "external_knowledge_id": dataset.external_knowledge_id,
            "external_knowledge_api_id": dataset.external_knowledge_api_id,
            "external_knowledge_api_name": None,
            "external_knowledge_api_endpoint": None,
        },
        "external_retrieval_model": dict(dataset.external_retrieval_model),
        "doc_metadata": [
            {"id": f.id, "name": f.name, "type": f.type} for f in dataset.metadata_fields.values()
        ],
        "built_in_field_enabled": dataset.built_in_field_enabled,
        "pipeline_id": None,
        "runtime_mode": "general",
        "chunk_structure": None,
        "icon_info": {"icon_type": None, "icon": None, "icon_background": None, "icon_url": None},
        "is_published": False,
        "total_documents": len(documents),
        "total_available_documents": sum(1 for d in documents if d.searchable),
        "enable_api": True,
        "is_multimodal": False,
    }


def file_detail(file: KnowledgeFile) -> dict[str, Any]:
    """An uploaded file inside a document's ``data_source_detail_dict``."""
    return {
        "id": file.id,
        "name": file.name,
        "size": len(file.content),
        "extension": file.extension,
        "mime_type": file.mime_type,
        "created_by": file.created_by,
        "created_at": file.created_at,
    }


def document_json(state: KnowledgeState, dataset: Dataset, document: Document) -> dict[str, Any]:
    """A document as lists and create/update answers show it."""
    return {
        "id": document.id,
        "position": document.position,
        "data_source_type": "upload_file",
        "data_source_info": {"upload_file_id": document.file.id},
        "data_source_detail_dict": {"upload_file": file_detail(document.file)},
        "dataset_process_rule_id": document.process_rule.id,
        "name": document.name,
        "created_from": document.created_from,
        "created_by": document.created_by,
        "created_at": document.created_at,
        "tokens": document.tokens,
        "indexing_status": document.indexing_status,
        "error": document.error,
        "enabled": document.enabled,
        "disabled_at": document.disabled_at,
        "disabled_by": document.disabled_by,
        "archived": document.archived,
        "display_status": document.display_status,
        "word_count": document.word_count,
        "hit_count": document.hit_count,
        "doc_form": document.doc_form,
        "doc_metadata": state.metadata_details(dataset, document),
        "summary_index_status": None,
        "need_summary": False,
    }


def document_detail_json(
    state: KnowledgeState, dataset: Dataset, document: Document, metadata: str
) -> dict[str, Any]:
    """``GET …/documents/{id}`` with ``metadata`` = ``all``, ``only`` or ``without``."""
    details = state.metadata_details(dataset, document)
    if metadata == "only":
        return {"id": document.id, "doc_type": None, "doc_metadata": details}
    latest = dataset.latest_process_rule
    dataset_rule = (
        {"mode": latest.mode, "rules": latest.rules_dict()} if latest else dict(DEFAULT_RULES)
    )
    segments = document.segments
    body: dict[str, Any] = {
        "id": document.id,
        "position": document.position,
        "data_source_type": "upload_file",
        "data_source_info": {"upload_file": file_detail(document.file)},
        "dataset_process_rule_id": document.process_rule.id,
        "dataset_process_rule": dataset_rule,
        "document_process_rule": document.process_rule.as_dict(),
        "name": document.name,
        "created_from": document.created_from,
        "created_by": document.created_by,
        "created_at": document.created_at,
        "tokens": document.tokens,
        "indexing_status": document.indexing_status,
        "completed_at": document.completed_at,
        "updated_at": document.updated_at,
        "indexing_latency": document.indexing_latency,
        "error": document.error,
        "enabled": document.enabled,
        "disabled_at": document.disabled_at,
        "disabled_by": document.disabled_by,
        "archived": document.archived,
        "doc_type": None,
        "doc_metadata": details,
        "segment_count": len(segments),
        "average_segment_length": (
            sum(s.word_count for s in segments) // len(segments) if segments else 0
        ),
        "hit_count": document.hit_count,
        "display_status": document.display_status,
        "doc_form": document.doc_form,
        "doc_language": document.doc_language,
        "summary_index_status": None,
        "need_summary": False,
    }
    if metadata == "without":
        del body["doc_type"], body["doc_metadata"]
    return body


def child_chunk_json(child: ChildChunk) -> dict[str, Any]:
    """A child chunk."""
    return {
        "id": child.id,
        "segment_id": child.segment_id,
        "content": child.content,
        "position": child.position,
        "word_count": len(child.content),
        "type": child.type,
        "created_at": child.created_at,
        "updated_at": child.updated_at,
    }


def segment_json(segment: Segment, *, for_retrieval: bool = False) -> dict[str, Any]:
    """A segment; retrieval records leave out the update stamps and the nested lists."""
    body: dict[str, Any] = {
        "id": segment.id,
        "position": segment.position,
        "document_id": segment.document_id,
        "content": segment.content,
        "sign_content": segment.content,
        "answer": segment.answer,
        "word_count": segment.word_count,
        "tokens": segment.tokens,
        "keywords": list(segment.keywords),
        "index_node_id": segment.index_node_id,
        "index_node_hash": segment.index_node_hash,
        "hit_count": segment.hit_count,
        "enabled": segment.enabled,
        "disabled_at": segment.disabled_at,
        "disabled_by": segment.disabled_by,
        "status": segment.status,
        "created_by": segment.created_by,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
        "updated_by": segment.updated_by,
        "indexing_at": segment.indexing_at,
        "completed_at": segment.completed_at,
        "error": None,
        "stopped_at": None,
        "child_chunks": [child_chunk_json(c) for c in segment.child_chunks],
        "attachments": [],
        "summary": None,
    }
    if for_retrieval:
        for key in ("updated_at", "updated_by", "child_chunks", "attachments", "summary"):
            del body[key]
    return body


def require_completed(document: Document) -> None:
    """404 unless the document is indexed and enabled (adding chunks needs both)."""
    if document.indexing_status != "completed":
        raise DifyHTTPError(404, "not_found", "Document is not completed.")
    if not document.enabled:
        raise DifyHTTPError(404, "not_found", "Document is disabled.")
