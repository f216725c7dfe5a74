"""Builders for documents (dataset key), and the pure rules of waiting for indexing.

Creating or updating a document returns at once with a ``batch``; Dify indexes in the
background. :func:`indexing_progress` and :func:`next_poll_delay` decide, from one
indexing-status answer and the time spent so far, whether the batch is done, failed, or worth
another poll; the clients' ``documents.wait_until_indexed`` does the polling and sleeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import Field

from difykit_core._call import Call
from difykit_core.errors import IndexingError, IndexingTimeoutError, InvalidRequestError
from difykit_core.models._base import RequestModel
from difykit_core.models.files import FileDownload
from difykit_core.models.knowledge.datasets import IndexingTechnique, RetrievalModel
from difykit_core.models.knowledge.documents import (
    DocForm,
    Document,
    DocumentAction,
    DocumentBatch,
    DocumentDetail,
    DocumentDownloadURL,
    DocumentStatus,
    IndexingStatus,
    MetadataView,
    ProcessRule,
)
from difykit_core.models.pages import Page
from difykit_core.operations._build import (
    Upload,
    binary_parser,
    empty_parser,
    file_part,
    model_parser,
    numbered_next,
    path,
    query,
    require,
)
from difykit_core.operations._knowledge import (
    as_list,
    body,
    knowledge_call,
    multipart_call,
    page_parser,
)

__all__ = [
    "DocumentFileSettings",
    "DocumentTextRequest",
    "DocumentTextUpdateRequest",
    "IndexingProgress",
    "check_wait_options",
    "create_document_from_file",
    "create_document_from_text",
    "delete_document",
    "download_documents_zip",
    "get_document",
    "get_document_download_url",
    "get_indexing_status",
    "indexing_progress",
    "list_documents",
    "next_poll_delay",
    "set_document_status",
    "update_document_from_file",
    "update_document_from_text",
]


class DocumentFileSettings(RequestModel):
    """The ``data`` field (a JSON string) of the multipart create- and update-by-file calls."""

    indexing_technique: IndexingTechnique | None = None
    doc_form: DocForm | None = None
    doc_language: str | None = None
    process_rule: ProcessRule | None = None
    retrieval_model: RetrievalModel | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None


class DocumentTextRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/document/create-by-text``."""

    name: str = Field(min_length=1)
    text: str = Field(min_length=1)
    indexing_technique: IndexingTechnique | None = None
    doc_form: DocForm | None = None
    doc_language: str | None = None
    process_rule: ProcessRule | None = None
    retrieval_model: RetrievalModel | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    original_document_id: str | None = None


class DocumentTextUpdateRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/documents/{document_id}/update-by-text``."""

    name: str | None = Field(default=None, min_length=1)
    text: str | None = Field(default=None, min_length=1)
    doc_form: DocForm | None = None
    doc_language: str | None = None
    process_rule: ProcessRule | None = None
    retrieval_model: RetrievalModel | None = None


class _DocumentIds(RequestModel):
    document_ids: list[str] = Field(min_length=1)


class _ZipRequest(RequestModel):
    document_ids: list[str] = Field(min_length=1, max_length=100)


_parse_batch = model_parser(DocumentBatch)
_parse_detail = model_parser(DocumentDetail)
_parse_documents = page_parser(Page[Document])
_parse_status = model_parser(IndexingStatus)
_parse_url = model_parser(DocumentDownloadURL)


def create_document_from_text(
    dataset_id: str,
    *,
    name: str,
    text: str,
    indexing_technique: IndexingTechnique | None = None,
    doc_form: DocForm | None = None,
    doc_language: str | None = None,
    process_rule: ProcessRule | None = None,
    retrieval_model: RetrievalModel | None = None,
    embedding_model: str | None = None,
    embedding_model_provider: str | None = None,
    original_document_id: str | None = None,
) -> Call[DocumentBatch]:
    """Add a document from text (``POST /datasets/{dataset_id}/document/create-by-text``).

    Indexing runs in the background: wait with ``documents.wait_until_indexed`` and the
    returned ``batch``.

    Args:
        dataset_id: The knowledge base's id.
        name: The document's name.
        text: Its content.
        indexing_technique: ``high_quality`` or ``economy``; required when the knowledge base
            has none yet.
        doc_form: ``text_model`` (Dify's default), ``qa_model`` or ``hierarchical_model``.
        doc_language: Language of Q&A generation (Dify's default: ``English``).
        process_rule: How to clean and split the text (``ProcessRule(mode="automatic")``).
        retrieval_model: Search settings, for a knowledge base that has none yet.
        embedding_model: Embedding model name.
        embedding_model_provider: Its provider.
        original_document_id: Re-index this existing document with the new content.
    """
    require("documents.create_from_text", dataset_id=dataset_id)
    fields = body(
        DocumentTextRequest,
        "documents.create_from_text",
        name=name,
        text=text,
        indexing_technique=indexing_technique,
        doc_form=doc_form,
        doc_language=doc_language,
        process_rule=process_rule,
        retrieval_model=retrieval_model,
        embedding_model=embedding_model,
        embedding_model_provider=embedding_model_provider,
        original_document_id=original_document_id,
    )
    return knowledge_call(
        "documents.create_from_text",
        "POST",
        path("/datasets/{id}/document/create-by-text", id=dataset_id),
        _parse_batch,
        json=fields,
    )


def create_document_from_file(
    dataset_id: str,
    file: Upload,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    indexing_technique: IndexingTechnique | None = None,
    doc_form: DocForm | None = None,
    doc_language: str | None = None,
    process_rule: ProcessRule | None = None,
    retrieval_model: RetrievalModel | None = None,
    embedding_model: str | None = None,
    embedding_model_provider: str | None = None,
) -> Call[DocumentBatch]:
    """Add a document from a file (``POST /datasets/{dataset_id}/document/create-by-file``).

    The settings travel as one multipart field, ``data``, holding JSON. Supported files include
    txt, md, mdx, pdf, html, xlsx, xls, docx, csv, vtt and properties.

    Args:
        dataset_id: The knowledge base's id.
        file: Bytes, a path, or an open binary file.
        filename: The document's name (default: the path's or file object's name).
        content_type: The MIME type (default: guessed from the name).
        indexing_technique: ``high_quality`` or ``economy``; required when the knowledge base
            has none yet.
        doc_form: ``text_model`` (Dify's default), ``qa_model`` or ``hierarchical_model``.
        doc_language: Language of Q&A generation (Dify's default: ``English``).
        process_rule: How to clean and split; if left out Dify reuses the knowledge base's
            latest rule (and fails with ``invalid_param`` if it has none).
        retrieval_model: Search settings, for a knowledge base that has none yet.
        embedding_model: Embedding model name.
        embedding_model_provider: Its provider.
    """
    require("documents.create_from_file", dataset_id=dataset_id)
    data = body(
        DocumentFileSettings,
        "documents.create_from_file",
        indexing_technique=indexing_technique,
        doc_form=doc_form,
        doc_language=doc_language,
        process_rule=process_rule,
        retrieval_model=retrieval_model,
        embedding_model=embedding_model,
        embedding_model_provider=embedding_model_provider,
    )
    return multipart_call(
        "documents.create_from_file",
        "POST",
        path("/datasets/{id}/document/create-by-file", id=dataset_id),
        _parse_batch,
        file=file_part(file, filename=filename, content_type=content_type),
        data=data,
    )


def update_document_from_text(
    dataset_id: str,
    document_id: str,
    *,
    name: str | None = None,
    text: str | None = None,
    process_rule: ProcessRule | None = None,
    doc_form: DocForm | None = None,
    doc_language: str | None = None,
    retrieval_model: RetrievalModel | None = None,
) -> Call[DocumentBatch]:
    """Replace a document's text or settings and re-index it (``POST …/update-by-text``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        name: A new name (required with ``text``).
        text: New content.
        process_rule: How to clean and split.
        doc_form: ``text_model``, ``qa_model`` or ``hierarchical_model``.
        doc_language: Language of Q&A generation.
        retrieval_model: Search settings.
    """
    operation = "documents.update_from_text"
    require(operation, dataset_id=dataset_id, document_id=document_id)
    if text is not None and name is None:
        raise InvalidRequestError(f"{operation}: `name` is required when `text` is given")
    fields = body(
        DocumentTextUpdateRequest,
        operation,
        name=name,
        text=text,
        process_rule=process_rule,
        doc_form=doc_form,
        doc_language=doc_language,
        retrieval_model=retrieval_model,
    )
    return knowledge_call(
        operation,
        "POST",
        path("/datasets/{id}/documents/{doc}/update-by-text", id=dataset_id, doc=document_id),
        _parse_batch,
        json=fields,
    )


def update_document_from_file(
    dataset_id: str,
    document_id: str,
    file: Upload,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    doc_form: DocForm | None = None,
    doc_language: str | None = None,
    process_rule: ProcessRule | None = None,
    retrieval_model: RetrievalModel | None = None,
    embedding_model: str | None = None,
    embedding_model_provider: str | None = None,
) -> Call[DocumentBatch]:
    """Replace a document's file and re-index it (``PATCH /datasets/{id}/documents/{doc}``).

    This is the route Dify documents as canonical; a Dify that answers it 405 (1.13) gets the
    legacy ``POST …/update-by-file`` instead, and the client remembers to use that one.
    The settings travel as one multipart field, ``data``, holding JSON.

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        file: Bytes, a path, or an open binary file.
        filename: The document's new name (default: the path's or file object's name).
        content_type: The MIME type (default: guessed from the name).
        doc_form: ``text_model``, ``qa_model`` or ``hierarchical_model``.
        doc_language: Language of Q&A generation.
        process_rule: How to clean and split (default: the knowledge base's latest rule).
        retrieval_model: Search settings.
        embedding_model: Embedding model name.
        embedding_model_provider: Its provider.
    """
    operation = "documents.update_from_file"
    require(operation, dataset_id=dataset_id, document_id=document_id)
    data = body(
        DocumentFileSettings,
        operation,
        doc_form=doc_form,
        doc_language=doc_language,
        process_rule=process_rule,
        retrieval_model=retrieval_model,
        embedding_model=embedding_model,
        embedding_model_provider=embedding_model_provider,
    )
    part = file_part(file, filename=filename, content_type=content_type)
    url = path("/datasets/{id}/documents/{doc}", id=dataset_id, doc=document_id)
    legacy = multipart_call(
        operation, "POST", url + "/update-by-file", _parse_batch, file=part, data=data
    )
    canonical = multipart_call(operation, "PATCH", url, _parse_batch, file=part, data=data)
    return replace(canonical, legacy=legacy)


def list_documents(
    dataset_id: str,
    *,
    page: int | None = None,
    limit: int | None = None,
    keyword: str | None = None,
    status: DocumentStatus | None = None,
) -> Call[Page[Document]]:
    """List the documents of a knowledge base (``GET /datasets/{dataset_id}/documents``).

    Iterating the returned page walks the following pages.

    Args:
        dataset_id: The knowledge base's id.
        page: Page number, from 1.
        limit: Page size, up to 100 (Dify's default: 20).
        keyword: Only names containing it.
        status: Only documents in this state (``available``, ``indexing``, ``error``…).
    """
    require("documents.list", dataset_id=dataset_id)

    def fetch(number: int) -> Call[Page[Document]]:
        return list_documents(dataset_id, page=number, limit=limit, keyword=keyword, status=status)

    return knowledge_call(
        "documents.list",
        "GET",
        path("/datasets/{id}/documents", id=dataset_id),
        _parse_documents,
        params=query(page=page, limit=limit, keyword=keyword, status=status),
        next_page=numbered_next(fetch),
    )


def get_document(
    dataset_id: str, document_id: str, *, metadata: MetadataView | None = None
) -> Call[DocumentDetail]:
    """Get a document with its processing details (``GET …/documents/{document_id}``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
        metadata: ``all`` (Dify's default), ``only`` (just id, type and metadata) or
            ``without``.
    """
    require("documents.get", dataset_id=dataset_id, document_id=document_id)
    return knowledge_call(
        "documents.get",
        "GET",
        path("/datasets/{id}/documents/{doc}", id=dataset_id, doc=document_id),
        _parse_detail,
        params=query(metadata=metadata),
    )


def delete_document(dataset_id: str, document_id: str) -> Call[None]:
    """Delete a document (``DELETE /datasets/{dataset_id}/documents/{document_id}``).

    Dify refuses while it is indexing (``document_indexing``) or archived.

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
    """
    require("documents.delete", dataset_id=dataset_id, document_id=document_id)
    return knowledge_call(
        "documents.delete",
        "DELETE",
        path("/datasets/{id}/documents/{doc}", id=dataset_id, doc=document_id),
        empty_parser,
    )


def get_indexing_status(dataset_id: str, batch: str) -> Call[IndexingStatus]:
    """How far the indexing of a batch got (``GET …/documents/{batch}/indexing-status``).

    Args:
        dataset_id: The knowledge base's id.
        batch: The ``batch`` a create or update call returned.
    """
    require("documents.indexing_status", dataset_id=dataset_id, batch=batch)
    return knowledge_call(
        "documents.indexing_status",
        "GET",
        path("/datasets/{id}/documents/{batch}/indexing-status", id=dataset_id, batch=batch),
        _parse_status,
    )


def set_document_status(
    dataset_id: str, *, action: DocumentAction, document_ids: Sequence[str]
) -> Call[None]:
    """Enable, disable, archive or un-archive documents (``PATCH …/documents/status/{action}``).

    Args:
        dataset_id: The knowledge base's id.
        action: ``enable``, ``disable``, ``archive`` or ``un_archive``.
        document_ids: The documents to change.
    """
    operation = "documents.set_status"
    require(operation, dataset_id=dataset_id, action=action)
    fields = body(
        _DocumentIds, operation, document_ids=as_list(operation, "document_ids", document_ids)
    )
    return knowledge_call(
        operation,
        "PATCH",
        path("/datasets/{id}/documents/status/{action}", id=dataset_id, action=action),
        empty_parser,
        json=fields,
        replayable=True,
    )


def get_document_download_url(dataset_id: str, document_id: str) -> Call[DocumentDownloadURL]:
    """A signed URL to a document's original file (``GET …/documents/{document_id}/download``).

    Only documents made from an uploaded file have one (else ``NotFoundError``).

    Args:
        dataset_id: The knowledge base's id.
        document_id: The document's id.
    """
    require("documents.download_url", dataset_id=dataset_id, document_id=document_id)
    return knowledge_call(
        "documents.download_url",
        "GET",
        path("/datasets/{id}/documents/{doc}/download", id=dataset_id, doc=document_id),
        _parse_url,
    )


def download_documents_zip(dataset_id: str, *, document_ids: Sequence[str]) -> Call[FileDownload]:
    """Download the original files of documents as one zip (``POST …/documents/download-zip``).

    Args:
        dataset_id: The knowledge base's id.
        document_ids: 1 to 100 documents made from uploaded files.
    """
    operation = "documents.download_zip"
    require(operation, dataset_id=dataset_id)
    fields = body(
        _ZipRequest, operation, document_ids=as_list(operation, "document_ids", document_ids)
    )
    return knowledge_call(
        operation,
        "POST",
        path("/datasets/{id}/documents/download-zip", id=dataset_id),
        binary_parser,
        json=fields,
        replayable=True,
    )


# --- waiting for indexing (pure rules; the clients poll and sleep) -----------------------------


@dataclass(frozen=True, slots=True)
class IndexingProgress:
    """Where a batch stands, read from one indexing-status answer."""

    done: bool
    """Every document of the batch is ``completed``."""
    completed_segments: int
    """Segments indexed so far, over all documents of the batch."""
    total_segments: int
    """Segments to index in all (0 until Dify has split the documents)."""
    status: IndexingStatus
    """The answer it was read from."""


def indexing_progress(status: IndexingStatus, *, batch: str) -> IndexingProgress:
    """Read an indexing-status answer: done, still working, or failed.

    Args:
        status: The answer of ``documents.indexing_status``.
        batch: The batch it is for (named in errors).

    Raises:
        IndexingError: A document's ``indexing_status`` is ``error``.
    """
    for document in status.data:
        if document.indexing_status == "error":
            raise IndexingError(
                f"document {document.id} of batch {batch} failed to index: "
                f"{document.error or 'Dify gave no reason'}",
                document_id=document.id,
                error=document.error,
                batch=batch,
            )
    return IndexingProgress(
        done=bool(status.data) and all(d.indexing_status == "completed" for d in status.data),
        completed_segments=sum(d.completed_segments or 0 for d in status.data),
        total_segments=sum(d.total_segments or 0 for d in status.data),
        status=status,
    )


def check_wait_options(*, timeout: float | None, poll_interval: float) -> None:
    """Refuse a non-positive timeout or a negative poll interval.

    Raises:
        InvalidRequestError: An option is out of range.
    """
    if timeout is not None and not timeout > 0:
        raise InvalidRequestError("documents.wait_until_indexed: `timeout` must be > 0 or None")
    if not poll_interval >= 0:
        raise InvalidRequestError("documents.wait_until_indexed: `poll_interval` must be >= 0")


def next_poll_delay(
    progress: IndexingProgress,
    *,
    batch: str,
    elapsed: float,
    timeout: float | None,
    poll_interval: float,
) -> float:
    """Seconds to sleep before polling again; never past the deadline.

    Args:
        progress: The last progress read (not done).
        batch: The batch being waited for.
        elapsed: Seconds since waiting started (the client's monotonic clock).
        timeout: Seconds allowed in all, or ``None`` to wait as long as it takes.
        poll_interval: Seconds between polls.

    Raises:
        IndexingTimeoutError: The time is up.
    """
    if timeout is None:
        return poll_interval
    remaining = timeout - elapsed
    if remaining <= 0:
        raise IndexingTimeoutError(
            f"batch {batch} was not indexed within {timeout:g} s "
            f"({progress.completed_segments}/{progress.total_segments} segments done)",
            batch=batch,
            timeout=timeout,
            completed_segments=progress.completed_segments,
            total_segments=progress.total_segments,
        )
    return min(poll_interval, remaining)
