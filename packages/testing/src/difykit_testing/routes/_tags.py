"""Knowledge tags: ``/datasets/tags`` (list, create, rename, delete), binding, a dataset's tags.

Dify 1.13.2 answers the list, create and rename with a 400 of its own making (its response
model wants ``binding_count`` as a string and gets a number), though the tag is saved. The
emulator answers as Dify means to: the tag, ``binding_count`` as a string.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._json import is_object
from difykit_testing._knowledge_state import KnowledgeState, KnowledgeTag
from difykit_testing._requests import json_body
from difykit_testing.routes._knowledge_views import dataset_for, knowledge, no_content

__all__ = ["routes"]


class TagCreatePayload(BaseModel):
    name: str = Field(min_length=1, max_length=50)


class TagUpdatePayload(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    tag_id: str


class TagDeletePayload(BaseModel):
    tag_id: str


class TagBindingPayload(BaseModel):
    tag_ids: list[str]
    target_id: str

    @field_validator("tag_ids")
    @classmethod
    def _some_tags(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("Tag IDs is required.")
        return value


class TagUnbindingPayload(BaseModel):
    tag_ids: list[str] = Field(default_factory=list)
    tag_id: str | None = None
    target_id: str

    @model_validator(mode="before")
    @classmethod
    def _legacy_tag_id(cls, data: Any) -> Any:
        if is_object(data) and not data.get("tag_ids") and data.get("tag_id"):
            return {**data, "tag_ids": [data["tag_id"]]}
        return data

    @model_validator(mode="after")
    def _some_tags(self) -> TagUnbindingPayload:
        if not self.tag_ids:
            raise ValueError("Tag IDs is required.")
        return self


def _tag_json(state: KnowledgeState, tag: KnowledgeTag) -> dict[str, Any]:
    count = sum(1 for target in state.bindings.get(tag.id, []) if target in state.datasets)
    return {"id": tag.id, "name": tag.name, "type": tag.type, "binding_count": str(count)}


async def list_tags(request: Request) -> JSONResponse:
    """``GET /datasets/tags``: a bare array, newest first."""
    state = knowledge(request)
    tags = sorted(state.tags.values(), key=lambda t: t.created_at, reverse=True)
    return JSONResponse([_tag_json(state, t) for t in tags])


async def create_tag(request: Request) -> JSONResponse:
    """``POST /datasets/tags``: the new tag (400 ``Tag name already exists``)."""
    state = knowledge(request)
    payload = await json_body(request, TagCreatePayload)
    state.check_tag_name(payload.name)
    tag = KnowledgeTag(name=payload.name)
    state.tags[tag.id] = tag
    return JSONResponse(_tag_json(state, tag))


async def rename_tag(request: Request) -> JSONResponse:
    """``PATCH /datasets/tags``: ``{tag_id, name}``; the renamed tag."""
    state = knowledge(request)
    payload = await json_body(request, TagUpdatePayload)
    tag = state.tag(payload.tag_id)
    if payload.name != tag.name:
        state.check_tag_name(payload.name)
    tag.name = payload.name
    return JSONResponse(_tag_json(state, tag))


async def delete_tag(request: Request) -> Response:
    """``DELETE /datasets/tags``: ``{tag_id}``; the tag and its bindings go (204)."""
    state = knowledge(request)
    payload = await json_body(request, TagDeletePayload)
    tag = state.tag(payload.tag_id)
    del state.tags[tag.id]
    state.bindings.pop(tag.id, None)
    return no_content()


def _target(state: KnowledgeState, target_id: str) -> str:
    state.dataset(target_id)  # 404 Dataset not found.
    return target_id


async def bind_tags(request: Request) -> Response:
    """``POST /datasets/tags/binding``: put tags on a dataset (204; unknown tags ignored)."""
    state = knowledge(request)
    payload = await json_body(request, TagBindingPayload)
    target = _target(state, payload.target_id)
    for tag_id in payload.tag_ids:
        targets = state.bindings.setdefault(tag_id, []) if tag_id in state.tags else None
        if targets is not None and target not in targets:
            targets.append(target)
    return no_content()


async def unbind_tags(request: Request) -> Response:
    """``POST /datasets/tags/unbinding``: ``tag_ids`` (or the legacy ``tag_id``); 204."""
    state = knowledge(request)
    payload = await json_body(request, TagUnbindingPayload)
    target = _target(state, payload.target_id)
    for tag_id in payload.tag_ids:
        targets = state.bindings.get(tag_id, [])
        if target in targets:
            targets.remove(target)
    return no_content()


async def dataset_tags(request: Request) -> JSONResponse:
    """``GET /datasets/{id}/tags``: ``{data: [{id, name}], total}``."""
    state, dataset = dataset_for(request)
    tags = state.tags_of(dataset.id)
    return JSONResponse({"data": [{"id": t.id, "name": t.name} for t in tags], "total": len(tags)})


def routes() -> list[BaseRoute]:
    """The tag routes (before ``/datasets/{dataset_id}`` so ``tags`` is never taken for an id)."""
    return [
        Route("/datasets/tags", list_tags, methods=["GET"]),
        Route("/datasets/tags", create_tag, methods=["POST"]),
        Route("/datasets/tags", rename_tag, methods=["PATCH"]),
        Route("/datasets/tags", delete_tag, methods=["DELETE"]),
        Route("/datasets/tags/binding", bind_tags, methods=["POST"]),
        Route("/datasets/tags/unbinding", unbind_tags, methods=["POST"]),
        Route("/datasets/{dataset_id:uuid}/tags", dataset_tags, methods=["GET"]),
    ]
