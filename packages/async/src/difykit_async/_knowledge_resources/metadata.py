"""The ``metadata`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import metadata

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Metadata"]


class Metadata(Resource):
    """Metadata fields of a knowledge base and metadata values of its documents."""

    create = endpoint(metadata.create_metadata_field)
    list = page_endpoint(metadata.list_metadata_fields)
    rename = endpoint(metadata.rename_metadata_field)
    delete = endpoint(metadata.delete_metadata_field)
    builtin_fields = endpoint(metadata.list_builtin_fields)
    enable_builtin = endpoint(metadata.enable_builtin_fields)
    disable_builtin = endpoint(metadata.disable_builtin_fields)
    set_document_metadata = endpoint(metadata.set_document_metadata)
