"""The ``child_chunks`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import child_chunks

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["ChildChunks"]


class ChildChunks(Resource):
    """Child chunks of a chunk (parent-child documents): ``create``, ``list``, ``update``…"""

    create = endpoint(child_chunks.create_child_chunk)
    list = page_endpoint(child_chunks.list_child_chunks)
    update = endpoint(child_chunks.update_child_chunk)
    delete = endpoint(child_chunks.delete_child_chunk)
