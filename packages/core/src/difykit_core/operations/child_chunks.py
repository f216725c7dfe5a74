"""Builders for the child chunks of a chunk (parent-child documents; dataset key)."""

from __future__ import annotations

from pydantic import Field

from difykit_core._call import Call
from difykit_core._json import JsonObject
from difykit_core.models._base import RequestModel
from difykit_core.models.knowledge.chunks import ChildChunk, ChildChunkResult
from difykit_core.models.pages import Page
from difykit_core.operations._build import (
    empty_parser,
    model_parser,
    numbered_next,
    path,
    query,
    require,
)
from difykit_core.operations._knowledge import body, knowledge_call, not_blank, page_parser

__all__ = [
    "ChildChunkRequest",
    "create_child_chunk",
    "delete_child_chunk",
    "list_child_chunks",
    "update_child_chunk",
]

_CHILDREN = "/datasets/{id}/documents/{doc}/segments/{seg}/child_chunks"
_CHILD = "/datasets/{id}/documents/{doc}/segments/{seg}/child_chunks/{child}"


class ChildChunkRequest(RequestModel):
    """Body of creating or updating a child chunk."""

    content: str = Field(min_length=1)


_parse_child = model_parser(ChildChunkResult)
_parse_children = page_parser(Page[ChildChunk], fill_has_more=True)


def _content(operation: str, content: str) -> JsonObject:
    not_blank(operation, "content", content)
    return body(ChildChunkRequest, operation, content=content)


def create_child_chunk(
    dataset_id: str, document_id: str, segment_id: str, *, content: str
) -> Call[ChildChunkResult]:
    """Add a child chunk to a chunk (``POST …/segments/{segment_id}/child_chunks``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The parent chunk's id.
        content: The child chunk's text.
    """
    operation = "child_chunks.create"
    require(operation, dataset_id=dataset_id, document_id=document_id, segment_id=segment_id)
    return knowledge_call(
        operation,
        "POST",
        path(_CHILDREN, id=dataset_id, doc=document_id, seg=segment_id),
        _parse_child,
        json=_content(operation, content),
    )


def list_child_chunks(
    dataset_id: str,
    document_id: str,
    segment_id: str,
    *,
    page: int | None = None,
    limit: int | None = None,
    keyword: str | None = None,
) -> Call[Page[ChildChunk]]:
    """List the child chunks of a chunk (``GET …/segments/{segment_id}/child_chunks``).

    Dify gives ``total_pages`` and no ``has_more``; ``has_more`` is derived from them, and
    iterating the returned page walks the following pages.

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The parent chunk's id.
        page: Page number, from 1.
        limit: Page size, up to 100 (Dify's default: 20).
        keyword: Only child chunks containing it.
    """
    operation = "child_chunks.list"
    require(operation, dataset_id=dataset_id, document_id=document_id, segment_id=segment_id)

    def fetch(number: int) -> Call[Page[ChildChunk]]:
        return list_child_chunks(
            dataset_id, document_id, segment_id, page=number, limit=limit, keyword=keyword
        )

    return knowledge_call(
        operation,
        "GET",
        path(_CHILDREN, id=dataset_id, doc=document_id, seg=segment_id),
        _parse_children,
        params=query(page=page, limit=limit, keyword=keyword),
        next_page=numbered_next(fetch),
    )


def update_child_chunk(
    dataset_id: str, document_id: str, segment_id: str, child_chunk_id: str, *, content: str
) -> Call[ChildChunkResult]:
    """Change a child chunk's text (``PATCH …/child_chunks/{child_chunk_id}``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The parent chunk's id.
        child_chunk_id: The child chunk's id.
        content: Its new text.
    """
    operation = "child_chunks.update"
    require(
        operation,
        dataset_id=dataset_id,
        document_id=document_id,
        segment_id=segment_id,
        child_chunk_id=child_chunk_id,
    )
    return knowledge_call(
        operation,
        "PATCH",
        path(_CHILD, id=dataset_id, doc=document_id, seg=segment_id, child=child_chunk_id),
        _parse_child,
        json=_content(operation, content),
        replayable=True,
    )


def delete_child_chunk(
    dataset_id: str, document_id: str, segment_id: str, child_chunk_id: str
) -> Call[None]:
    """Delete a child chunk (``DELETE …/child_chunks/{child_chunk_id}``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        segment_id: The parent chunk's id.
        child_chunk_id: The child chunk's id.
    """
    operation = "child_chunks.delete"
    require(
        operation,
        dataset_id=dataset_id,
        document_id=document_id,
        segment_id=segment_id,
        child_chunk_id=child_chunk_id,
    )
    return knowledge_call(
        operation,
        "DELETE",
        path(_CHILD, id=dataset_id, doc=document_id, seg=segment_id, child=child_chunk_id),
        empty_parser,
    )
