"""``AsyncDifyKnowledge``: the asyncio client for a knowledge (dataset) key."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ._client import BaseClient

if TYPE_CHECKING:
    from ._knowledge_resources.child_chunks import ChildChunks
    from ._knowledge_resources.chunks import Chunks
    from ._knowledge_resources.datasets import Datasets
    from ._knowledge_resources.documents import Documents
    from ._knowledge_resources.metadata import Metadata
    from ._knowledge_resources.models import Models
    from ._knowledge_resources.pipeline import Pipeline
    from ._knowledge_resources.tags import Tags

__all__ = ["AsyncDifyKnowledge"]


class AsyncDifyKnowledge(BaseClient):
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
    def datasets(self) -> Datasets:
        """Knowledge bases: ``create``, ``list``, ``get``, ``update``, ``delete``, ``retrieve``."""
        from ._knowledge_resources.datasets import Datasets

        return Datasets(self._transport)

    @cached_property
    def documents(self) -> Documents:
        """Documents: create and update from text or file, list, get, delete, indexing."""
        from ._knowledge_resources.documents import Documents

        return Documents(self._transport)

    @cached_property
    def chunks(self) -> Chunks:
        """Chunks (segments) of a document: ``create``, ``list``, ``get``, ``update``…"""
        from ._knowledge_resources.chunks import Chunks

        return Chunks(self._transport)

    @cached_property
    def child_chunks(self) -> ChildChunks:
        """Child chunks of a chunk: ``create``, ``list``, ``update``, ``delete``."""
        from ._knowledge_resources.child_chunks import ChildChunks

        return ChildChunks(self._transport)

    @cached_property
    def tags(self) -> Tags:
        """Knowledge tags: ``list``, ``create``, ``rename``, ``delete``, ``bind``, ``unbind``…"""
        from ._knowledge_resources.tags import Tags

        return Tags(self._transport)

    @cached_property
    def metadata(self) -> Metadata:
        """Metadata fields and document metadata values."""
        from ._knowledge_resources.metadata import Metadata

        return Metadata(self._transport)

    @cached_property
    def models(self) -> Models:
        """The workspace's models: ``list``."""
        from ._knowledge_resources.models import Models

        return Models(self._transport)

    @cached_property
    def pipeline(self) -> Pipeline:
        """Knowledge pipelines: upload a file, list datasource nodes, run."""
        from ._knowledge_resources.pipeline import Pipeline

        return Pipeline(self._transport)
