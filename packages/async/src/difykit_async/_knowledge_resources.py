"""The knowledge-key resources of :class:`~difykit_async.AsyncDifyKnowledge`: builders bound."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from difykit_core.models.knowledge.documents import IndexingStatus
from difykit_core.operations import (
    child_chunks,
    chunks,
    datasets,
    documents,
    metadata,
    models,
    pipeline,
    tags,
)

from ._backend import sleep
from ._binding import Resource, endpoint, page_endpoint, stream_endpoint

__all__ = [
    "ChildChunks",
    "Chunks",
    "Datasets",
    "Documents",
    "Metadata",
    "Models",
    "Pipeline",
    "Tags",
]


class Datasets(Resource):
    """Knowledge bases: ``create``, ``list``, ``get``, ``update``, ``delete``, ``retrieve``."""

    create = endpoint(datasets.create_dataset)
    list = page_endpoint(datasets.list_datasets)
    get = endpoint(datasets.get_dataset)
    update = endpoint(datasets.update_dataset)
    delete = endpoint(datasets.delete_dataset)
    retrieve = endpoint(datasets.retrieve_chunks)


class Documents(Resource):
    """Documents of a knowledge base, and waiting for their indexing."""

    create_from_text = endpoint(documents.create_document_from_text)
    create_from_file = endpoint(documents.create_document_from_file)
    update_from_text = endpoint(documents.update_document_from_text)
    update_from_file = endpoint(documents.update_document_from_file)
    list = page_endpoint(documents.list_documents)
    get = endpoint(documents.get_document)
    delete = endpoint(documents.delete_document)
    indexing_status = endpoint(documents.get_indexing_status)
    set_status = endpoint(documents.set_document_status)
    download_url = endpoint(documents.get_document_download_url)
    download_zip = endpoint(documents.download_documents_zip)

    async def wait_until_indexed(
        self,
        dataset_id: str,
        batch: str,
        *,
        timeout: float | None = 300.0,
        poll_interval: float = 1.0,
        on_progress: Callable[[int, int], object] | None = None,
    ) -> IndexingStatus:
        """Poll a batch's indexing status until every document is indexed.

        Args:
            dataset_id: The knowledge base's id.
            batch: The ``batch`` a create or update call returned.
            timeout: Seconds to wait in all; ``None`` waits as long as it takes.
            poll_interval: Seconds between polls.
            on_progress: Called after each poll with (completed segments, total segments).

        Returns:
            The last indexing status, with every document ``completed``.

        Raises:
            IndexingError: A document failed to index.
            IndexingTimeoutError: The timeout passed first (Dify keeps indexing).
            InvalidRequestError: An id is empty, or an option is out of range.
        """
        call = documents.get_indexing_status(dataset_id, batch)
        documents.check_wait_options(timeout=timeout, poll_interval=poll_interval)
        started = time.monotonic()
        while True:
            progress = documents.indexing_progress(await self._transport.execute(call), batch=batch)
            if on_progress is not None:
                on_progress(progress.completed_segments, progress.total_segments)
            if progress.done:
                return progress.status
            await sleep(
                documents.next_poll_delay(
                    progress,
                    batch=batch,
                    elapsed=time.monotonic() - started,
                    timeout=timeout,
                    poll_interval=poll_interval,
                )
            )


class Chunks(Resource):
    """Chunks (segments) of a document: ``create``, ``list``, ``get``, ``update``, ``delete``."""

    create = endpoint(chunks.create_chunks)
    list = page_endpoint(chunks.list_chunks)
    get = endpoint(chunks.get_chunk)
    update = endpoint(chunks.update_chunk)
    delete = endpoint(chunks.delete_chunk)


class ChildChunks(Resource):
    """Child chunks of a chunk (parent-child documents): ``create``, ``list``, ``update``…"""

    create = endpoint(child_chunks.create_child_chunk)
    list = page_endpoint(child_chunks.list_child_chunks)
    update = endpoint(child_chunks.update_child_chunk)
    delete = endpoint(child_chunks.delete_child_chunk)


class Tags(Resource):
    """Knowledge tags: ``list``, ``create``, ``rename``, ``delete``, ``bind``, ``unbind``…"""

    list = page_endpoint(tags.list_tags)
    create = endpoint(tags.create_tag)
    rename = endpoint(tags.rename_tag)
    delete = endpoint(tags.delete_tag)
    bind = endpoint(tags.bind_tags)
    of_dataset = page_endpoint(tags.list_dataset_tags)

    async def unbind(self, dataset_id: str, *, tag_ids: Sequence[str]) -> None:
        """Take tags off a knowledge base (``POST /datasets/tags/unbinding``), one call per tag.

        Dify 1.13 reads only one tag per call (``tag_id``), newer versions a list; one call per
        tag works on both. The calls are checked before the first is sent.

        Args:
            dataset_id: The knowledge base's id.
            tag_ids: The tags to remove.

        Raises:
            InvalidRequestError: ``dataset_id`` is empty, or ``tag_ids`` is empty or not a list.
        """
        tags.unbind_tags(dataset_id, tag_ids=tag_ids)  # checks the whole request first
        for tag_id in tag_ids:
            await self._transport.execute(tags.unbind_tags(dataset_id, tag_ids=[tag_id]))


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


class Models(Resource):
    """The workspace's models: ``list`` (e.g. embedding models for a knowledge base)."""

    list = page_endpoint(models.list_models)


class Pipeline(Resource):
    """Knowledge pipelines: ``upload_file``, ``datasource_plugins``, ``run_datasource_node``,
    ``run`` and ``stream``."""

    upload_file = endpoint(pipeline.upload_pipeline_file)
    datasource_plugins = endpoint(pipeline.list_datasource_plugins)
    run_datasource_node = stream_endpoint(pipeline.run_datasource_node)
    run = endpoint(pipeline.run_pipeline)
    stream = stream_endpoint(pipeline.stream_pipeline)
