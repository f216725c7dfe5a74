"""The ``chunks`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import chunks

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Chunks"]


class Chunks(Resource):
    """Chunks (segments) of a document: ``create``, ``list``, ``get``, ``update``, ``delete``."""

    create = endpoint(chunks.create_chunks)
    list = page_endpoint(chunks.list_chunks)
    get = endpoint(chunks.get_chunk)
    update = endpoint(chunks.update_chunk)
    delete = endpoint(chunks.delete_chunk)
