"""Builders for knowledge tags (dataset key): list, create, rename, delete, bind, unbind."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from difykit_core._call import Call
from difykit_core.models._base import RequestModel
from difykit_core.models.knowledge.tags import KnowledgeTag
from difykit_core.models.pages import Page
from difykit_core.operations._build import empty_parser, model_parser, path, require
from difykit_core.operations._knowledge import (
    array_page_parser,
    as_list,
    body,
    knowledge_call,
    page_parser,
)

__all__ = [
    "TagBindingRequest",
    "TagCreateRequest",
    "TagRenameRequest",
    "bind_tags",
    "create_tag",
    "delete_tag",
    "list_dataset_tags",
    "list_tags",
    "rename_tag",
    "unbind_tags",
]


class TagCreateRequest(RequestModel):
    """Body of ``POST /datasets/tags``."""

    name: str = Field(min_length=1, max_length=50)


class TagRenameRequest(RequestModel):
    """Body of ``PATCH /datasets/tags``."""

    tag_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=50)


class _TagDeleteRequest(RequestModel):
    tag_id: str = Field(min_length=1)


class TagBindingRequest(RequestModel):
    """Body of ``POST /datasets/tags/binding``."""

    tag_ids: list[str] = Field(min_length=1)
    target_id: str = Field(min_length=1)


class TagUnbindingRequest(TagBindingRequest):
    """Body of ``POST /datasets/tags/unbinding``: ``tag_ids``, and ``tag_id`` (its first), which
    is all Dify 1.13 reads (it answers 400 "tag_id Field required" without it)."""

    tag_id: str = Field(min_length=1)


_parse_tag = model_parser(KnowledgeTag)
_parse_tags = array_page_parser(Page[KnowledgeTag])
_parse_dataset_tags = page_parser(Page[KnowledgeTag])


def list_tags() -> Call[Page[KnowledgeTag]]:
    """List the workspace's knowledge tags (``GET /datasets/tags``).

    Dify sends a bare array; it comes back as one complete page.
    """
    return knowledge_call("tags.list", "GET", "/datasets/tags", _parse_tags)


def create_tag(*, name: str) -> Call[KnowledgeTag]:
    """Create a knowledge tag (``POST /datasets/tags``).

    Args:
        name: The tag's name, 1 to 50 characters, unique among knowledge tags.
    """
    fields = body(TagCreateRequest, "tags.create", name=name)
    return knowledge_call("tags.create", "POST", "/datasets/tags", _parse_tag, json=fields)


def rename_tag(tag_id: str, *, name: str) -> Call[KnowledgeTag]:
    """Rename a knowledge tag (``PATCH /datasets/tags``).

    Args:
        tag_id: The tag's id.
        name: Its new name, 1 to 50 characters.
    """
    fields = body(TagRenameRequest, "tags.rename", tag_id=tag_id, name=name)
    return knowledge_call(
        "tags.rename", "PATCH", "/datasets/tags", _parse_tag, json=fields, replayable=True
    )


def delete_tag(tag_id: str) -> Call[None]:
    """Delete a knowledge tag, unbinding it everywhere (``DELETE /datasets/tags``).

    Args:
        tag_id: The tag's id.
    """
    require("tags.delete", tag_id=tag_id)
    fields = body(_TagDeleteRequest, "tags.delete", tag_id=tag_id)
    return knowledge_call("tags.delete", "DELETE", "/datasets/tags", empty_parser, json=fields)


def bind_tags(dataset_id: str, *, tag_ids: Sequence[str]) -> Call[None]:
    """Put tags on a knowledge base (``POST /datasets/tags/binding``).

    Args:
        dataset_id: The knowledge base's id (Dify's ``target_id``).
        tag_ids: The tags to add.
    """
    require("tags.bind", dataset_id=dataset_id)
    fields = body(
        TagBindingRequest,
        "tags.bind",
        tag_ids=as_list("tags.bind", "tag_ids", tag_ids),
        target_id=dataset_id,
    )
    return knowledge_call(
        "tags.bind", "POST", "/datasets/tags/binding", empty_parser, json=fields, replayable=True
    )


def unbind_tags(dataset_id: str, *, tag_ids: Sequence[str]) -> Call[None]:
    """Take tags off a knowledge base (``POST /datasets/tags/unbinding``).

    The body carries ``tag_ids`` and, for Dify 1.13, ``tag_id`` (the first of them; 1.13 reads
    only that one). The clients therefore send one call per tag, which works on every version.

    Args:
        dataset_id: The knowledge base's id (Dify's ``target_id``).
        tag_ids: The tags to remove.
    """
    require("tags.unbind", dataset_id=dataset_id)
    ids = as_list("tags.unbind", "tag_ids", tag_ids)
    fields = body(
        TagUnbindingRequest,
        "tags.unbind",
        tag_ids=ids,
        tag_id=ids[0] if ids else None,
        target_id=dataset_id,
    )
    return knowledge_call(
        "tags.unbind",
        "POST",
        "/datasets/tags/unbinding",
        empty_parser,
        json=fields,
        replayable=True,
    )


def list_dataset_tags(dataset_id: str) -> Call[Page[KnowledgeTag]]:
    """The tags on a knowledge base (``GET /datasets/{dataset_id}/tags``).

    Args:
        dataset_id: The knowledge base's id.
    """
    require("tags.of_dataset", dataset_id=dataset_id)
    return knowledge_call(
        "tags.of_dataset",
        "GET",
        path("/datasets/{id}/tags", id=dataset_id),
        _parse_dataset_tags,
    )
