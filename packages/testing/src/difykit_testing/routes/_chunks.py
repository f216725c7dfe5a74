"""Chunks (Dify's segments) of a document, and the child chunks of a chunk."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field, RootModel, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import now
from difykit_testing._knowledge_state import (
    ChildChunk,
    Dataset,
    Document,
    KnowledgeState,
    Segment,
)
from difykit_testing._knowledge_text import extract_keywords, split_document
from difykit_testing._requests import json_body
from difykit_testing.routes._knowledge_views import (
    child_chunk_json,
    dataset_for,
    no_content,
    page_params,
    path_id,
    require_completed,
    segment_json,
)

__all__ = ["routes"]


class SegmentCreateItemPayload(BaseModel):
    content: str = Field(min_length=1)
    answer: str | None = None
    keywords: list[str] | None = None
    attachment_ids: list[str] | None = None

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Content is empty")
        return value


class SegmentCreatePayload(BaseModel):
    segments: list[SegmentCreateItemPayload] = Field(min_length=1)


class SegmentUpdateArgs(BaseModel):
    content: str | None = None
    answer: str | None = None
    keywords: list[str] | None = None
    regenerate_child_chunks: bool = False
    enabled: bool | None = None
    attachment_ids: list[str] | None = None
    summary: str | None = None


class SegmentUpdatePayload(BaseModel):
    segment: SegmentUpdateArgs


class ChildChunkCreatePayload(BaseModel):
    content: str


class ChildChunkUpdatePayload(BaseModel):
    content: str


class _JsonObject(RootModel[dict[str, Any]]):
    pass


def _document(request: Request) -> tuple[KnowledgeState, Dataset, Document]:
    state, dataset = dataset_for(request)
    return state, dataset, dataset.document(path_id(request, "document_id"))


def _segment(request: Request) -> tuple[KnowledgeState, Dataset, Document, Segment]:
    state, dataset, document = _document(request)
    return state, dataset, document, document.segment(path_id(request, "segment_id"))


def _recount(document: Document) -> None:
    if document.indexing_status == "completed":
        document.word_count = sum(s.word_count for s in document.segments)
        document.tokens = sum(s.tokens for s in document.segments)


async def create_segments(request: Request) -> JSONResponse:
    """``POST …/segments``: add chunks to an indexed, enabled document.

    A body that fails validation gets Dify's non-standard ``{"error": "<pydantic text>"}``.
    """
    state, dataset, document = _document(request)
    require_completed(document)
    raw = await json_body(request, _JsonObject)
    try:
        payload = SegmentCreatePayload.model_validate(raw.root)
    except ValidationError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    qa = document.doc_form == "qa_model"
    for item in payload.segments:
        if qa and not item.answer:
            raise DifyHTTPError(400, "invalid_param", "Answer is required")
        if qa and item.answer is not None and not item.answer.strip():
            raise DifyHTTPError(400, "invalid_param", "Answer is empty")
    created: list[Segment] = []
    for item in payload.segments:
        position = max((s.position for s in document.segments), default=0) + 1
        segment = state.new_segment(
            dataset,
            document,
            item.content,
            position=position,
            answer=item.answer if qa else None,
            keywords=item.keywords or None,
        )
        document.segments.append(segment)
        created.append(segment)
    _recount(document)
    return JSONResponse({"data": [segment_json(s) for s in created], "doc_form": document.doc_form})


async def list_segments(request: Request) -> JSONResponse:
    """``GET …/segments``: by position; ``status`` (repeatable) and ``keyword`` filters."""
    _state, _dataset, document = _document(request)
    page, limit = page_params(request)
    statuses = [s for s in request.query_params.getlist("status") if s]
    keyword = (request.query_params.get("keyword") or "").lower()
    segments = sorted(document.segments, key=lambda s: s.position)
    if statuses:
        segments = [s for s in segments if s.status in statuses]
    if keyword:
        segments = [s for s in segments if keyword in s.content.lower()]
    window = segments[(page - 1) * limit : page * limit]
    return JSONResponse(
        {
            "data": [segment_json(s) for s in window],
            "doc_form": document.doc_form,
            "total": len(segments),
            "has_more": len(window) == limit,
            "limit": limit,
            "page": page,
        }
    )


async def get_segment(request: Request) -> JSONResponse:
    """``GET …/segments/{id}``: ``{data, doc_form}`` (404 ``Segment not found.``)."""
    _state, _dataset, document, segment = _segment(request)
    return JSONResponse({"data": segment_json(segment), "doc_form": document.doc_form})


def _regenerate_children(document: Document, segment: Segment) -> None:
    rule = document.process_rule
    pieces = split_document(segment.content, rule.mode, rule.rules)
    segment.child_chunks = []
    for piece in pieces:
        for child in piece.children or [piece.content]:
            segment.add_child(child, type="automatic")


async def update_segment(request: Request) -> JSONResponse:
    """``POST …/segments/{id}`` with ``{segment: {…}}``: content, answer, keywords, enabled."""
    state, dataset, document, segment = _segment(request)
    args = (await json_body(request, SegmentUpdatePayload)).segment
    stamp = now()
    if args.enabled is False:
        if segment.enabled:
            segment.enabled, segment.disabled_at, segment.disabled_by = False, stamp, state.owner_id
    else:
        if not segment.enabled:
            if args.enabled is not True:
                raise DifyHTTPError(400, "invalid_param", "Can't update disabled segment")
            segment.enabled, segment.disabled_at, segment.disabled_by = True, None, None
        if args.content is not None and args.content != segment.content:
            segment.content = args.content
            if dataset.indexing_technique != "high_quality" and args.keywords is None:
                segment.keywords = extract_keywords(args.content)
            if dataset.indexing_technique == "high_quality":
                segment.tokens = len(args.content.split())
        if args.answer is not None and document.doc_form == "qa_model":
            segment.answer = args.answer
        if args.keywords is not None:
            segment.keywords = list(args.keywords)
        if args.regenerate_child_chunks and document.doc_form == "hierarchical_model":
            _regenerate_children(document, segment)
    segment.updated_at, segment.updated_by = stamp, state.owner_id
    _recount(document)
    return JSONResponse({"data": segment_json(segment), "doc_form": document.doc_form})


async def delete_segment(request: Request) -> Response:
    """``DELETE …/segments/{id}``: 204, then 404 ``Segment not found.``."""
    _state, _dataset, document, segment = _segment(request)
    document.segments.remove(segment)
    _recount(document)
    return no_content()


async def create_child_chunk(request: Request) -> JSONResponse:
    """``POST …/segments/{id}/child_chunks``: ``{data: child_chunk}``."""
    segment = _segment(request)[3]
    payload = await json_body(request, ChildChunkCreatePayload)
    return JSONResponse({"data": child_chunk_json(segment.add_child(payload.content))})


async def list_child_chunks(request: Request) -> JSONResponse:
    """``GET …/child_chunks``: ``{data, total, total_pages, page, limit}`` (no ``has_more``)."""
    segment = _segment(request)[3]
    page, limit = page_params(request, max_limit=100)
    keyword = (request.query_params.get("keyword") or "").lower()
    children = sorted(segment.child_chunks, key=lambda c: c.position)
    if keyword:
        children = [c for c in children if keyword in c.content.lower()]
    window = children[(page - 1) * limit : page * limit]
    return JSONResponse(
        {
            "data": [child_chunk_json(c) for c in window],
            "total": len(children),
            "total_pages": math.ceil(len(children) / limit),
            "page": page,
            "limit": limit,
        }
    )


def _child(segment: Segment, child_id: str) -> ChildChunk:
    for child in segment.child_chunks:
        if child.id == child_id:
            return child
    raise DifyHTTPError(404, "not_found", "Child chunk not found.")


async def update_child_chunk(request: Request) -> JSONResponse:
    """``PATCH …/child_chunks/{id}``: new content; the child becomes ``customized``."""
    segment = _segment(request)[3]
    child = _child(segment, path_id(request, "child_chunk_id"))
    payload = await json_body(request, ChildChunkUpdatePayload)
    child.content, child.type, child.updated_at = payload.content, "customized", now()
    return JSONResponse({"data": child_chunk_json(child)})


async def delete_child_chunk(request: Request) -> Response:
    """``DELETE …/child_chunks/{id}``: 204."""
    segment = _segment(request)[3]
    segment.child_chunks.remove(_child(segment, path_id(request, "child_chunk_id")))
    return no_content()


def routes() -> list[BaseRoute]:
    """The chunk and child chunk routes."""
    segments = "/datasets/{dataset_id:uuid}/documents/{document_id:uuid}/segments"
    segment = segments + "/{segment_id:uuid}"
    child = segment + "/child_chunks/{child_chunk_id:uuid}"
    return [
        Route(segments, create_segments, methods=["POST"]),
        Route(segments, list_segments, methods=["GET"]),
        Route(segment, get_segment, methods=["GET"]),
        Route(segment, update_segment, methods=["POST"]),
        Route(segment, delete_segment, methods=["DELETE"]),
        Route(segment + "/child_chunks", create_child_chunk, methods=["POST"]),
        Route(segment + "/child_chunks", list_child_chunks, methods=["GET"]),
        Route(child, update_child_chunk, methods=["PATCH"]),
        Route(child, delete_child_chunk, methods=["DELETE"]),
    ]
