"""``AsyncDifyKnowledge``: the asyncio client for a knowledge (dataset) key."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ._client import _BaseClient

if TYPE_CHECKING:
    from . import _knowledge_resources as kr

__all__ = ["AsyncDifyKnowledge"]


class AsyncDifyKnowledge(_BaseClient):
    """Client for the knowledge API, with a knowledge key (``dataset-…``).

    Example::

        async with AsyncDifyKnowledge(api_key="dataset-…") as kb:
            ds = await kb.datasets.create(name="Docs", indexing_technique="economy")
            doc = await kb.documents.create_from_text(ds.id, name="a", text="Hello")
            await kb.documents.wait_until_indexed(ds.id, doc.batch)
            found = await kb.datasets.retrieve(ds.id, query="Hello")
            print(found.records)
    """

    @cached_property
    def datasets(self) -> kr.Datasets:
        """Knowledge bases: ``create``, ``list``, ``get``, ``update``, ``delete``, ``retrieve``."""
        from . import _knowledge_resources as kr

        return kr.Datasets(self._transport)

    @cached_property
    def documents(self) -> kr.Documents:
        """Documents: create and update from text or file, list, get, delete, indexing."""
        from . import _knowledge_resources as kr

        return kr.Documents(self._transport)

    @cached_property
    def chunks(self) -> kr.Chunks:
        """Chunks (segments) of a document: ``create``, ``list``, ``get``, ``update``…"""
        from . import _knowledge_resources as kr

        return kr.Chunks(self._transport)

    @cached_property
    def child_chunks(self) -> kr.ChildChunks:
        """Child chunks of a chunk: ``create``, ``list``, ``update``, ``delete``."""
        from . import _knowledge_resources as kr

        return kr.ChildChunks(self._transport)

    @cached_property
    def tags(self) -> kr.Tags:
        """Knowledge tags: ``list``, ``create``, ``rename``, ``delete``, ``bind``, ``unbind``…"""
        from . import _knowledge_resources as kr

        return kr.Tags(self._transport)

    @cached_property
    def metadata(self) -> kr.Metadata:
        """Metadata fields and document metadata values."""
        from . import _knowledge_resources as kr

        return kr.Metadata(self._transport)

    @cached_property
    def models(self) -> kr.Models:
        """The workspace's models: ``list``."""
        from . import _knowledge_resources as kr

        return kr.Models(self._transport)

    @cached_property
    def pipeline(self) -> kr.Pipeline:
        """Knowledge pipelines: upload a file, list datasource nodes, run."""
        from . import _knowledge_resources as kr

        return kr.Pipeline(self._transport)
