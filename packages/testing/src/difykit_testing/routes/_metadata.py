"""Metadata: a dataset's custom fields, its built-in fields, and documents' values."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._knowledge_state import BUILT_IN_FIELDS, Dataset, MetadataField
from difykit_testing._requests import json_body
from difykit_testing.routes._knowledge_views import dataset_for, no_content, path_id

__all__ = ["routes"]


class MetadataArgs(BaseModel):
    type: Literal["string", "number", "time"]
    name: str


class MetadataUpdatePayload(BaseModel):
    name: str


class MetadataDetail(BaseModel):
    id: str
    name: str
    value: str | int | float | None = None


class DocumentMetadataOperation(BaseModel):
    document_id: str
    metadata_list: list[MetadataDetail]
    partial_update: bool = False


class MetadataOperationData(BaseModel):
    operation_data: list[DocumentMetadataOperation]


def _invalid(message: str) -> DifyHTTPError:
    return DifyHTTPError(400, "invalid_param", message)


def _check_name(dataset: Dataset, name: str) -> None:
    """Dify's checks on a field name: length, unique, not a built-in name."""
    if len(name) > 255:
        raise _invalid("Metadata name cannot exceed 255 characters.")
    if dataset.field_named(name) is not None:
        raise _invalid("Metadata name already exists.")
    if name in {built_in for built_in, _ in BUILT_IN_FIELDS}:
        raise _invalid("Metadata name already exists in Built-in fields.")


def _field(dataset: Dataset, metadata_id: str) -> MetadataField:
    meta = dataset.metadata_fields.get(metadata_id)
    if meta is None:
        raise _invalid("Metadata not found.")
    return meta


def _field_json(meta: MetadataField) -> dict[str, str]:
    return {"id": meta.id, "type": meta.type, "name": meta.name}


async def create_field(request: Request) -> JSONResponse:
    """``POST …/metadata``: 201 ``{id, type, name}``."""
    _state, dataset = dataset_for(request)
    payload = await json_body(request, MetadataArgs)
    _check_name(dataset, payload.name)
    meta = MetadataField(dataset_id=dataset.id, name=payload.name, type=payload.type)
    dataset.metadata_fields[meta.id] = meta
    return JSONResponse(_field_json(meta), status_code=201)


async def list_fields(request: Request) -> JSONResponse:
    """``GET …/metadata``: ``{doc_metadata: [{id, name, type, count}], built_in_field_enabled}``."""
    _state, dataset = dataset_for(request)
    fields = [
        {
            "id": meta.id,
            "name": meta.name,
            "type": meta.type,
            "count": sum(1 for d in dataset.documents.values() if meta.id in d.metadata_ids),
        }
        for meta in dataset.metadata_fields.values()
    ]
    return JSONResponse(
        {"doc_metadata": fields, "built_in_field_enabled": dataset.built_in_field_enabled}
    )


async def rename_field(request: Request) -> JSONResponse:
    """``PATCH …/metadata/{id}``: the renamed field; documents' values follow the name."""
    _state, dataset = dataset_for(request)
    payload = await json_body(request, MetadataUpdatePayload)
    meta = _field(dataset, path_id(request, "metadata_id"))
    if payload.name != meta.name:
        _check_name(dataset, payload.name)
        for document in dataset.documents.values():
            if meta.name in document.doc_metadata:
                document.doc_metadata[payload.name] = document.doc_metadata.pop(meta.name)
        meta.name = payload.name
    return JSONResponse(_field_json(meta))


async def delete_field(request: Request) -> Response:
    """``DELETE …/metadata/{id}``: the field and every document's value of it (204)."""
    _state, dataset = dataset_for(request)
    meta = _field(dataset, path_id(request, "metadata_id"))
    for document in dataset.documents.values():
        document.doc_metadata.pop(meta.name, None)
        if meta.id in document.metadata_ids:
            document.metadata_ids.remove(meta.id)
    del dataset.metadata_fields[meta.id]
    return no_content()


async def built_in_fields(request: Request) -> JSONResponse:
    """``GET …/metadata/built-in``: the five built-in fields."""
    dataset_for(request)
    return JSONResponse({"fields": [{"name": n, "type": t} for n, t in BUILT_IN_FIELDS]})


async def toggle_built_in(request: Request) -> JSONResponse:
    """``POST …/metadata/built-in/{enable|disable}``: ``{result: "success"}``.

    Any other action does nothing and also succeeds, as on Dify.
    """
    state, dataset = dataset_for(request)
    action = request.path_params["action"]
    if action in ("enable", "disable"):
        state.set_built_in(dataset, action == "enable")
    return JSONResponse({"result": "success"})


async def set_document_metadata(request: Request) -> JSONResponse:
    """``POST …/documents/metadata``: set documents' values (all of them, unless partial)."""
    state, dataset = dataset_for(request)
    payload = await json_body(request, MetadataOperationData)
    for operation in payload.operation_data:
        document = dataset.documents.get(operation.document_id)
        if document is None:
            raise _invalid("Document not found.")
        for item in operation.metadata_list:
            _field(dataset, item.id)
        if not operation.partial_update:
            document.doc_metadata.clear()
            document.metadata_ids.clear()
        for item in operation.metadata_list:
            document.doc_metadata[item.name] = item.value
            if item.id not in document.metadata_ids:
                document.metadata_ids.append(item.id)
        if dataset.built_in_field_enabled:
            document.doc_metadata.update(state.built_in_values(document))
    return JSONResponse({"result": "success"})


def routes() -> list[BaseRoute]:
    """The metadata routes."""
    base = "/datasets/{dataset_id:uuid}"
    return [
        Route(base + "/metadata", create_field, methods=["POST"]),
        Route(base + "/metadata", list_fields, methods=["GET"]),
        Route(base + "/metadata/built-in", built_in_fields, methods=["GET"]),
        Route(base + "/metadata/built-in/{action}", toggle_built_in, methods=["POST"]),
        Route(base + "/metadata/{metadata_id:uuid}", rename_field, methods=["PATCH"]),
        Route(base + "/metadata/{metadata_id:uuid}", delete_field, methods=["DELETE"]),
        Route(base + "/documents/metadata", set_document_metadata, methods=["POST"]),
    ]
