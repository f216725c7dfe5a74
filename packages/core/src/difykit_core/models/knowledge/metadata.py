"""Metadata fields of a knowledge base and the metadata values of its documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias, cast

from pydantic import Field, computed_field, model_validator

from difykit_core._json import JsonValue
from difykit_core.models._base import DifyModel, RequestModel
from difykit_core.models.pages import Page

__all__ = [
    "BuiltinMetadataFields",
    "DocumentMetadata",
    "DocumentMetadataUpdate",
    "MetadataField",
    "MetadataFieldPage",
    "MetadataType",
    "MetadataValue",
]

MetadataType: TypeAlias = Literal["string", "number", "time"]
"""The type of a metadata field."""


class MetadataField(DifyModel):
    """A metadata field of a knowledge base.

    Built-in fields (``document_name``, ``uploader``, ``upload_date``, ``last_update_date``,
    ``source``) have no ``id``; ``count`` (documents that have a value) comes only from
    ``metadata.list``.
    """

    id: str | None = None
    name: str | None = None
    type: str | None = None
    """``string``, ``number`` or ``time``."""
    count: int | None = None


class MetadataFieldPage(Page[MetadataField]):
    """The fields of ``metadata.list``: Dify's ``doc_metadata`` list as ``data``.

    ``built_in_field_enabled`` says whether the built-in fields are on for the knowledge base.
    """

    data: list[MetadataField] = Field(default_factory=list)
    built_in_field_enabled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _data_from_doc_metadata(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        fields = cast("dict[object, object]", value)
        if "data" not in fields and "doc_metadata" in fields:
            renamed = {**fields, "data": fields["doc_metadata"]}
            del renamed["doc_metadata"]
            return renamed
        return fields

    if TYPE_CHECKING:  # mypy cannot check a decorator on top of @property: checkers see this one

        @property
        def doc_metadata(self) -> list[MetadataField]:
            """The fields under the name Dify uses (the same list as ``data``)."""
            ...

    else:

        @computed_field
        @property
        def doc_metadata(self) -> list[MetadataField]:
            """The fields under the name Dify uses (the same list as ``data``)."""
            return self.data


class BuiltinMetadataFields(DifyModel):
    """The built-in metadata fields Dify can fill in by itself (``metadata.builtin_fields``)."""

    fields: list[MetadataField] = Field(default_factory=list)


class DocumentMetadata(DifyModel):
    """A metadata value of a document (its ``doc_metadata`` items)."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    value: JsonValue = None


class MetadataValue(RequestModel):
    """A value for one metadata field of a document."""

    id: str = Field(min_length=1)
    """The metadata field's id (from ``metadata.create`` or ``metadata.list``)."""
    name: str = Field(min_length=1)
    """The metadata field's name."""
    value: str | int | float | None = None
    """The value; ``time`` fields take Unix seconds."""


class DocumentMetadataUpdate(RequestModel):
    """The metadata values to set on one document (``metadata.set_document_metadata``)."""

    document_id: str = Field(min_length=1)
    metadata_list: list[MetadataValue]
    partial_update: bool | None = None
    """Keep the document's other values (Dify's default, false, replaces them all)."""
