"""The ``documents`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

import time
from collections.abc import Callable

from difykit_core.models.knowledge.documents import IndexingStatus
from difykit_core.operations import documents

from difykit_async._backend import sleep
from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Documents"]


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
