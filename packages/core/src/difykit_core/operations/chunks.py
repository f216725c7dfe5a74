"""Builders for chunks (Dify's segments) of a document (dataset key)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from difykit_core._call import Call
from difykit_core.models._base import RequestModel
from difykit_core.models.knowledge.chunks import Chunk, ChunkBatch, ChunkInput, ChunkResult
from difykit_core.models.pages import Page
from difykit_core.operations._build import (
    empty_parser,
    model_parser,
    numbered_next,
    path,
    query,
    require,
)
from difykit_core.operations._knowledge import as_list, body, knowledge_call, not_blank, page_parser

__all__ = [
    "ChunkCreateRequest",
    "ChunkUpdate",
    "create_chunks",
    "delete_chunk",
    "get_chunk",
    "list_chunks",
    "update_chunk",
]

_SEGMENTS = "/datasets/{id}/documents/{doc}/segments"
_SEGMENT = "/datasets/{id}/documents/{doc}/segments/{seg}"


class ChunkCreateRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/documents/{document_id}/segments``."""

    segments: list[ChunkInput] = Field(min_length=1)


class ChunkUpdate(RequestModel):
    """The ``segment`` object of a chunk update."""

    content: str | None = Field(default=None, min_length=1)
    answer: str | None = None
    keywords: list[str] | None = None
    enabled: bool | None = None
    regenerate_child_chunks: bool | None = None
    attachment_ids: list[str] | None = None
    summary: str | None = None


class _ChunkUpdateRequest(RequestModel):
    segment: ChunkUpdate


_parse_batch = model_parser(ChunkBatch)
_parse_result = model_parser(ChunkResult)
_parse_chunks = page_parser(Page[Chunk])


def create_chunks(
    dataset_id: str, document_id: str, *, segments: Sequence[ChunkInput | str]
) -> Call[ChunkBatch]:
    """Add chunks to a document (``POST …/documents/{document_id}/segments``).

    The document must be indexed (``completed``) and enabled, else Dify answers 404.

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segments: The chunks; a string is a chunk with just that content.
    """
    operation = "chunks.create"
    require(operation, dataset_id=dataset_id, document_id=document_id)
    items = [
        ChunkInput(content=s) if isinstance(s, str) and s else s
        for s in as_list(operation, "segments", segments)
    ]
    for item in items:
        not_blank(operation, "content", item.content if isinstance(item, ChunkInput) else None)
    fields = body(ChunkCreateRequest, operation, segments=items)
    return knowledge_call(
        operation,
        "POST",
        path(_SEGMENTS, id=dataset_id, doc=document_id),
        _parse_batch,
        json=fields,
    )


def list_chunks(
    dataset_id: str,
    document_id: str,
    *,
    page: int | None = None,
    limit: int | None = None,
    status: str | Sequence[str] | None = None,
    keyword: str | None = None,
) -> Call[Page[Chunk]]:
    """List the chunks of a document (``GET …/documents/{document_id}/segments``).

    Iterating the returned page walks the following pages; ``raw.doc_form`` tells the
    document's form.

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        page: Page number, from 1.
        limit: Page size (Dify's default: 20).
        status: Only chunks in this state, or these states (``completed``, ``indexing``,
            ``error``…).
        keyword: Only chunks containing it.
    """
    require("chunks.list", dataset_id=dataset_id, document_id=document_id)
    statuses = [status] if isinstance(status, str) else status

    def fetch(number: int) -> Call[Page[Chunk]]:
        return list_chunks(
            dataset_id, document_id, page=number, limit=limit, status=status, keyword=keyword
        )

    return knowledge_call(
        "chunks.list",
        "GET",
        path(_SEGMENTS, id=dataset_id, doc=document_id),
        _parse_chunks,
        params=query(
            keyword=keyword,
            status=list(statuses) if statuses is not None else None,
            page=page,
            limit=limit,
        ),
        next_page=numbered_next(fetch),
    )


def get_chunk(dataset_id: str, document_id: str, segment_id: str) -> Call[ChunkResult]:
    """Get a chunk (``GET …/segments/{segment_id}``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The chunk's id.
    """
    require("chunks.get", dataset_id=dataset_id, document_id=document_id, segment_id=segment_id)
    return knowledge_call(
        "chunks.get",
        "GET",
        path(_SEGMENT, id=dataset_id, doc=document_id, seg=segment_id),
        _parse_result,
    )


def update_chunk(
    dataset_id: str,
    document_id: str,
    segment_id: str,
    *,
    content: str | None = None,
    answer: str | None = None,
    keywords: Sequence[str] | None = None,
    enabled: bool | None = None,
    regenerate_child_chunks: bool | None = None,
    attachment_ids: Sequence[str] | None = None,
    summary: str | None = None,
) -> Call[ChunkResult]:
    """Change a chunk (``POST …/segments/{segment_id}``); only the arguments given are sent.

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The chunk's id.
        content: New content.
        answer: New answer (Q&A documents).
        keywords: New keywords (economy indexing).
        enabled: Enable or disable the chunk.
        regenerate_child_chunks: Re-split its child chunks (parent-child documents).
        attachment_ids: Uploaded files to attach.
        summary: New summary (summary indexing).
    """
    operation = "chunks.update"
    require(operation, dataset_id=dataset_id, document_id=document_id, segment_id=segment_id)
    segment = body(
        ChunkUpdate,
        operation,
        content=content,
        answer=answer,
        keywords=list(keywords) if keywords is not None else None,
        enabled=enabled,
        regenerate_child_chunks=regenerate_child_chunks,
        attachment_ids=list(attachment_ids) if attachment_ids is not None else None,
        summary=summary,
    )
    fields = body(_ChunkUpdateRequest, operation, segment=segment)
    return knowledge_call(
        operation,
        "POST",
        path(_SEGMENT, id=dataset_id, doc=document_id, seg=segment_id),
        _parse_result,
        json=fields,
        replayable=True,
    )


def delete_chunk(dataset_id: str, document_id: str, segment_id: str) -> Call[None]:
    """Delete a chunk (``DELETE …/segments/{segment_id}``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The chunk's id.
    """
    operation = "chunks.delete"
    require(operation, dataset_id=dataset_id, document_id=document_id, segment_id=segment_id)
    return knowledge_call(
        operation,
        "DELETE",
        path(_SEGMENT, id=dataset_id, doc=document_id, seg=segment_id),
        empty_parser,
    )
