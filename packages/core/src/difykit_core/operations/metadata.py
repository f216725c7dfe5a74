"""Builders for metadata fields and document metadata values (dataset key)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from difykit_core._call import Call
from difykit_core.models._base import RequestModel
from difykit_core.models.knowledge.metadata import (
    BuiltinMetadataFields,
    DocumentMetadataUpdate,
    MetadataField,
    MetadataFieldPage,
    MetadataType,
)
from difykit_core.models.pages import Page
from difykit_core.operations._build import empty_parser, model_parser, path, require
from difykit_core.operations._knowledge import as_list, body, knowledge_call, page_parser

__all__ = [
    "DocumentMetadataRequest",
    "MetadataFieldRequest",
    "create_metadata_field",
    "delete_metadata_field",
    "disable_builtin_fields",
    "enable_builtin_fields",
    "list_builtin_fields",
    "list_metadata_fields",
    "rename_metadata_field",
    "set_document_metadata",
]

_FIELDS = "/datasets/{id}/metadata"
_FIELD = "/datasets/{id}/metadata/{field}"


class MetadataFieldRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/metadata``."""

    type: MetadataType
    name: str = Field(min_length=1)


class _RenameRequest(RequestModel):
    name: str = Field(min_length=1)


class DocumentMetadataRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/documents/metadata``."""

    operation_data: list[DocumentMetadataUpdate] = Field(min_length=1)


_parse_field = model_parser(MetadataField)
_parse_fields = page_parser(MetadataFieldPage)
_parse_builtin = model_parser(BuiltinMetadataFields)


def create_metadata_field(dataset_id: str, *, type: MetadataType, name: str) -> Call[MetadataField]:
    """Add a metadata field to a knowledge base (``POST /datasets/{dataset_id}/metadata``).

    Args:
        dataset_id: The knowledge base's id.
        type: ``string``, ``number`` or ``time``.
        name: The field's name.
    """
    require("metadata.create", dataset_id=dataset_id)
    fields = body(MetadataFieldRequest, "metadata.create", type=type, name=name)
    return knowledge_call(
        "metadata.create", "POST", path(_FIELDS, id=dataset_id), _parse_field, json=fields
    )


def list_metadata_fields(dataset_id: str) -> Call[Page[MetadataField]]:
    """List a knowledge base's metadata fields (``GET /datasets/{dataset_id}/metadata``).

    The page's ``data`` is Dify's ``doc_metadata``; ``raw.built_in_field_enabled`` says
    whether the built-in fields are on.

    Args:
        dataset_id: The knowledge base's id.
    """
    require("metadata.list", dataset_id=dataset_id)
    return knowledge_call("metadata.list", "GET", path(_FIELDS, id=dataset_id), _parse_fields)


def rename_metadata_field(dataset_id: str, metadata_id: str, *, name: str) -> Call[MetadataField]:
    """Rename a metadata field (``PATCH /datasets/{dataset_id}/metadata/{metadata_id}``).

    Args:
        dataset_id: The knowledge base's id.
        metadata_id: The field's id.
        name: Its new name.
    """
    require("metadata.rename", dataset_id=dataset_id, metadata_id=metadata_id)
    fields = body(_RenameRequest, "metadata.rename", name=name)
    return knowledge_call(
        "metadata.rename",
        "PATCH",
        path(_FIELD, id=dataset_id, field=metadata_id),
        _parse_field,
        json=fields,
        replayable=True,
    )


def delete_metadata_field(dataset_id: str, metadata_id: str) -> Call[None]:
    """Delete a metadata field and its values (``DELETE …/metadata/{metadata_id}``).

    Args:
        dataset_id: The knowledge base's id.
        metadata_id: The field's id.
    """
    require("metadata.delete", dataset_id=dataset_id, metadata_id=metadata_id)
    return knowledge_call(
        "metadata.delete", "DELETE", path(_FIELD, id=dataset_id, field=metadata_id), empty_parser
    )


def list_builtin_fields(dataset_id: str) -> Call[BuiltinMetadataFields]:
    """The built-in metadata fields (``GET /datasets/{dataset_id}/metadata/built-in``).

    Args:
        dataset_id: The knowledge base's id.
    """
    require("metadata.builtin_fields", dataset_id=dataset_id)
    return knowledge_call(
        "metadata.builtin_fields",
        "GET",
        path("/datasets/{id}/metadata/built-in", id=dataset_id),
        _parse_builtin,
    )


def _toggle_builtin(operation: str, dataset_id: str, action: str) -> Call[None]:
    require(operation, dataset_id=dataset_id)
    return knowledge_call(
        operation,
        "POST",
        path("/datasets/{id}/metadata/built-in/{action}", id=dataset_id, action=action),
        empty_parser,
        replayable=True,
    )


def enable_builtin_fields(dataset_id: str) -> Call[None]:
    """Let Dify fill in the built-in metadata fields (``POST …/metadata/built-in/enable``).

    Args:
        dataset_id: The knowledge base's id.
    """
    return _toggle_builtin("metadata.enable_builtin", dataset_id, "enable")


def disable_builtin_fields(dataset_id: str) -> Call[None]:
    """Stop filling in the built-in metadata fields (``POST …/metadata/built-in/disable``).

    Args:
        dataset_id: The knowledge base's id.
    """
    return _toggle_builtin("metadata.disable_builtin", dataset_id, "disable")


def set_document_metadata(
    dataset_id: str, *, operation_data: Sequence[DocumentMetadataUpdate]
) -> Call[None]:
    """Set metadata values on documents (``POST /datasets/{dataset_id}/documents/metadata``).

    Args:
        dataset_id: The knowledge base's id.
        operation_data: One entry per document: its id and the values to set.
    """
    operation = "metadata.set_document_metadata"
    require(operation, dataset_id=dataset_id)
    fields = body(
        DocumentMetadataRequest,
        operation,
        operation_data=as_list(operation, "operation_data", operation_data),
    )
    return knowledge_call(
        operation,
        "POST",
        path("/datasets/{id}/documents/metadata", id=dataset_id),
        empty_parser,
        json=fields,
        replayable=True,
    )
