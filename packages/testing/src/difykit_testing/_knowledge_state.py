"""The emulator's in-memory knowledge bases: datasets, documents, chunks, tags, metadata, files.

Indexing is deterministic: each ``GET …/indexing-status`` moves every document of the batch one
step through Dify's states (``waiting`` → ``parsing`` → ``cleaning`` → ``splitting`` →
``indexing`` → ``completed``), so ``documents.wait_until_indexed`` finishes after five polls.
Documents also finish on their own :attr:`KnowledgeState.indexing_seconds` after they were
queued, for callers that never poll. :meth:`KnowledgeState.fail_next_indexing` makes the next
document end in ``error``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import DifyHTTPError
from ._ids import new_id, now
from ._knowledge_entities import (
    BUILT_IN_FIELDS,
    BUSY_STATES,
    DOCUMENT_EXTENSIONS,
    INDEXING_STEPS,
    ChildChunk,
    Dataset,
    Document,
    KnowledgeFile,
    KnowledgeTag,
    MetadataField,
    ProcessRule,
    RetrievalHit,
    Segment,
)
from ._knowledge_text import (
    Piece,
    extract_keywords,
    keyword_score,
    split_document,
    terms,
)

__all__ = [
    "BUILT_IN_FIELDS",
    "DOCUMENT_EXTENSIONS",
    "ChildChunk",
    "Dataset",
    "Document",
    "KnowledgeFile",
    "KnowledgeState",
    "KnowledgeTag",
    "MetadataField",
    "ProcessRule",
    "RetrievalHit",
    "Segment",
]


def _batch() -> str:
    """A batch id as Dify makes them: a timestamp and six random digits."""
    return time.strftime("%Y%m%d%H%M%S") + str(random.randint(100000, 999999))


@dataclass
class KnowledgeState:
    """Datasets, documents, chunks, tags and metadata of the emulated workspace."""

    owner_id: str = field(default_factory=new_id)
    """The workspace owner's account id: Dify acts as the owner for knowledge keys."""
    owner_name: str = "difykit emulator"
    indexing_seconds: float | None = 1.0
    """Documents finish indexing on their own this long after being queued (``None``: only
    polls of ``indexing-status`` move them on)."""
    datasets: dict[str, Dataset] = field(default_factory=dict)
    tags: dict[str, KnowledgeTag] = field(default_factory=dict)
    bindings: dict[str, list[str]] = field(default_factory=dict)
    """Tag id → dataset ids."""
    files: dict[str, KnowledgeFile] = field(default_factory=dict)
    """Every uploaded knowledge file (documents' originals and pipeline uploads)."""
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(16), repr=False)
    """Signs the download URLs of documents' files."""
    _indexing_errors: deque[str] = field(default_factory=deque, repr=False)

    def fail_next_indexing(self, error: str = "Failed to parse the document.") -> None:
        """Make the next document created or updated end its indexing in ``error``."""
        self._indexing_errors.append(error)

    def file_signature(self, file_id: str, timestamp: str, nonce: str) -> str:
        """The ``sign`` of a signed file URL (URL-safe base64 of an HMAC-SHA256)."""
        message = f"file-preview|{file_id}|{timestamp}|{nonce}".encode()
        digest = hmac.new(self.signing_key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()

    # --- datasets ----------------------------------------------------------------------------

    def dataset(self, dataset_id: str) -> Dataset:
        """A dataset, its indexing caught up with the clock (404 ``Dataset not found.``)."""
        dataset = self.datasets.get(dataset_id)
        if dataset is None:
            raise DifyHTTPError(404, "not_found", "Dataset not found.")
        self.catch_up(dataset)
        return dataset

    def check_name(self, name: str, *, exclude: str | None = None) -> None:
        """409 ``dataset_name_duplicate`` when another dataset has that name."""
        if any(d.name == name and d.id != exclude for d in self.datasets.values()):
            raise DifyHTTPError(
                409,
                "dataset_name_duplicate",
                "The dataset name already exists. Please modify your dataset name.",
            )

    def delete_dataset(self, dataset: Dataset) -> None:
        """Remove a dataset, its documents' files and its tag bindings."""
        for document in dataset.documents.values():
            self.files.pop(document.file.id, None)
        for targets in self.bindings.values():
            if dataset.id in targets:
                targets.remove(dataset.id)
        del self.datasets[dataset.id]

    # --- documents ---------------------------------------------------------------------------

    def add_document(
        self,
        dataset: Dataset,
        *,
        name: str,
        file: KnowledgeFile,
        process_rule: ProcessRule,
        doc_form: str,
        doc_language: str,
    ) -> Document:
        """Queue a new document for indexing (Dify's ``waiting``)."""
        self.files[file.id] = file
        position = max((d.position for d in dataset.documents.values()), default=0) + 1
        document = Document(
            dataset_id=dataset.id,
            name=name,
            position=position,
            batch=_batch(),
            file=file,
            process_rule=process_rule,
            doc_form=doc_form,
            doc_language=doc_language,
            created_by=self.owner_id,
            planned_error=self._indexing_errors.popleft() if self._indexing_errors else None,
        )
        dataset.documents[document.id] = document
        dataset.data_source_type = "upload_file"
        dataset.doc_form = dataset.doc_form or doc_form
        if dataset.built_in_field_enabled:
            document.doc_metadata.update(self.built_in_values(document))
        return document

    def requeue(self, document: Document, *, file: KnowledgeFile | None, name: str | None) -> None:
        """Queue an updated document for indexing again (it keeps its batch)."""
        if file is not None:
            self.files.pop(document.file.id, None)
            self.files[file.id] = file
            document.file = file
        if name is not None:
            document.name = name
        document.indexing_status = "waiting"
        for attribute in (
            "processing_started_at",
            "parsing_completed_at",
            "cleaning_completed_at",
            "splitting_completed_at",
            "completed_at",
            "stopped_at",
            "error",
        ):
            setattr(document, attribute, None)
        document.segments = []
        document.updated_at = now()
        document.queued_at = time.monotonic()
        document.planned_error = self._indexing_errors.popleft() if self._indexing_errors else None
        dataset = self.datasets.get(document.dataset_id)
        if dataset is not None and dataset.built_in_field_enabled:
            document.doc_metadata.update(self.built_in_values(document))

    def batch(self, dataset: Dataset, batch: str) -> list[Document]:
        """The documents of a batch (404 ``Documents not found.`` when there are none)."""
        documents = [d for d in dataset.documents.values() if d.batch == batch]
        if not documents:
            raise DifyHTTPError(404, "not_found", "Documents not found.")
        return documents

    def advance(self, dataset: Dataset, document: Document) -> None:
        """Move a document one indexing step on (nothing once it is done or failed)."""
        if document.indexing_status not in INDEXING_STEPS[:-1]:
            return
        step = INDEXING_STEPS[INDEXING_STEPS.index(document.indexing_status) + 1]
        stamp = now()
        document.indexing_status = step
        if step == "parsing":
            document.processing_started_at = stamp
        elif step == "cleaning":
            document.parsing_completed_at = stamp
        elif step == "splitting":
            document.cleaning_completed_at = stamp
            if document.planned_error is not None:
                document.indexing_status, document.error = "error", document.planned_error
                document.stopped_at, document.planned_error = stamp, None
                return
            document.segments = self._split(dataset, document)
        elif step == "indexing":
            document.splitting_completed_at = stamp
            for index, segment in enumerate(document.segments):
                segment.status, segment.indexing_at = "indexing", stamp
                if index < len(document.segments) // 2:
                    segment.status, segment.completed_at = "completed", stamp
        else:
            for segment in document.segments:
                segment.status, segment.completed_at = "completed", stamp
            document.completed_at = stamp
            document.word_count = sum(s.word_count for s in document.segments)
            document.tokens = sum(s.tokens for s in document.segments)

    def catch_up(self, dataset: Dataset) -> None:
        """Finish the indexing of documents queued longer than :attr:`indexing_seconds`."""
        if self.indexing_seconds is None:
            return
        deadline = time.monotonic() - self.indexing_seconds
        for document in dataset.documents.values():
            if document.queued_at > deadline:
                continue
            while document.indexing_status in INDEXING_STEPS[:-1]:
                self.advance(dataset, document)

    def _split(self, dataset: Dataset, document: Document) -> list[Segment]:
        rule = document.process_rule
        pieces: list[Piece] = split_document(document.file.text(), rule.mode, rule.rules)
        segments: list[Segment] = []
        for position, piece in enumerate(pieces, start=1):
            segment = self.new_segment(
                dataset, document, piece.content, position=position, answer=None, keywords=None
            )
            segment.status, segment.indexing_at, segment.completed_at = "waiting", None, None
            if document.doc_form == "qa_model":
                segment.answer = piece.content
            for child in piece.children:
                segment.add_child(child, type="automatic")
            segments.append(segment)
        return segments

    def new_segment(
        self,
        dataset: Dataset,
        document: Document,
        content: str,
        *,
        position: int,
        answer: str | None,
        keywords: list[str] | None,
    ) -> Segment:
        """A completed segment (keywords extracted on economy datasets unless given)."""
        economy = dataset.indexing_technique != "high_quality"
        if keywords is None:
            keywords = extract_keywords(content) if economy else []
        return Segment(
            dataset_id=dataset.id,
            document_id=document.id,
            content=content,
            position=position,
            created_by=self.owner_id,
            answer=answer,
            keywords=keywords,
            tokens=0 if economy else len(content.split()),
        )

    def delete_document(self, dataset: Dataset, document: Document) -> None:
        """Remove a document (400 while it is being indexed, as Dify refuses)."""
        if document.indexing_status in BUSY_STATES:
            raise DifyHTTPError(400, "document_indexing", "Cannot delete document during indexing.")
        self.files.pop(document.file.id, None)
        del dataset.documents[document.id]

    # --- metadata ----------------------------------------------------------------------------

    def built_in_values(self, document: Document) -> dict[str, Any]:
        """The values of the built-in metadata fields for a document."""
        return {
            "document_name": document.name,
            "uploader": self.owner_name,
            "upload_date": float(document.created_at),
            "last_update_date": float(document.updated_at),
            "source": "file_upload",
        }

    def set_built_in(self, dataset: Dataset, enabled: bool) -> None:
        """Turn the built-in fields on (written into every document) or off (removed)."""
        dataset.built_in_field_enabled = enabled
        for document in dataset.documents.values():
            if enabled:
                document.doc_metadata.update(self.built_in_values(document))
            else:
                for name, _ in BUILT_IN_FIELDS:
                    document.doc_metadata.pop(name, None)

    def metadata_details(self, dataset: Dataset, document: Document) -> list[dict[str, Any]] | None:
        """A document's ``doc_metadata`` list: bound fields, then the built-ins (Dify's order)."""
        if not document.doc_metadata:
            return None
        details: list[dict[str, Any]] = []
        for field_id in document.metadata_ids:
            meta = dataset.metadata_fields.get(field_id)
            if meta is not None:
                value = document.doc_metadata.get(meta.name)
                details.append({"id": meta.id, "name": meta.name, "type": meta.type})
                details[-1]["value"] = value
        built_in = self.built_in_values(document)
        for name, kind in BUILT_IN_FIELDS:
            details.append({"id": "built-in", "name": name, "type": kind, "value": built_in[name]})
        return details

    # --- tags --------------------------------------------------------------------------------

    def tag(self, tag_id: str) -> KnowledgeTag:
        """A tag (404 ``Tag not found``)."""
        tag = self.tags.get(tag_id)
        if tag is None:
            raise DifyHTTPError(404, "not_found", "Tag not found")
        return tag

    def check_tag_name(self, name: str) -> None:
        """400 when a knowledge tag already has that name, as Dify answers."""
        if any(t.name == name for t in self.tags.values()):
            raise DifyHTTPError(400, "invalid_param", "Tag name already exists")

    def tags_of(self, dataset_id: str) -> list[KnowledgeTag]:
        """The tags bound to a dataset, newest first."""
        bound = [t for t in self.tags.values() if dataset_id in self.bindings.get(t.id, [])]
        return sorted(bound, key=lambda t: t.created_at, reverse=True)

    # --- retrieval ---------------------------------------------------------------------------

    def retrieve(
        self,
        dataset: Dataset,
        query: str,
        *,
        top_k: int,
        score_threshold: float | None,
        document_filter: Callable[[dict[str, Any]], bool] | None,
    ) -> list[RetrievalHit]:
        """Keyword search over the dataset's searchable chunks, best first."""
        query_terms = terms(query)
        hits: list[RetrievalHit] = []
        for document in dataset.documents.values():
            if not document.searchable:
                continue
            if document_filter is not None and not document_filter(document.doc_metadata):
                continue
            for segment in document.segments:
                if not segment.enabled or segment.status != "completed":
                    continue
                hit = self._score(document, segment, query_terms)
                if hit is not None and (score_threshold is None or hit.score >= score_threshold):
                    hits.append(hit)
        hits.sort(key=lambda h: (-h.score, -h.document.position, h.segment.position))
        return hits[:top_k]

    def _score(
        self, document: Document, segment: Segment, query_terms: set[str]
    ) -> RetrievalHit | None:
        text = segment.content + "\n" + (segment.answer or "")
        score = keyword_score(query_terms, text, segment.keywords)
        if document.doc_form != "hierarchical_model":
            return RetrievalHit(document, segment, score) if score > 0 else None
        children = [(c, keyword_score(query_terms, c.content)) for c in segment.child_chunks]
        matched = sorted((pair for pair in children if pair[1] > 0), key=lambda p: -p[1])
        best = max([score, *(s for _, s in matched)])
        return RetrievalHit(document, segment, best, matched) if best > 0 else None
