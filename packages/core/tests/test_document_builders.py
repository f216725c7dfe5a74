"""Dataset-key builders for documents, and the pure rules of waiting for indexing."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

import pytest
from recorded import dumped, json_answer, recorded, sent

from difykit_core import FileDownload, FilePart, HttpRequest, InvalidRequestError
from difykit_core.models.knowledge import (
    DocumentBatch,
    DocumentDetail,
    PreProcessingRule,
    ProcessRule,
    ProcessRules,
    RetrievalModel,
    Segmentation,
)
from difykit_core.operations import documents

DATASET = "ab042b05-2815-407a-873a-69dff18df45c"
DOCUMENT = "9734ef2f-e523-4190-bdc8-bf519b4f8ae5"
AUTOMATIC = ProcessRule(mode="automatic")


def describe(call: Any) -> tuple[str, str, bool]:
    """A call's operation, key family and replayability (knowledge calls have no user)."""
    assert call.user is None
    return (call.operation, call.key_family, call.replayable)


# --- creating and updating documents ----------------------------------------------------------


def test_create_document_from_text_posts_name_text_and_rules() -> None:
    """The text, its name and typed processing rules are posted as JSON."""
    call = documents.create_document_from_text(
        DATASET,
        name="intro.txt",
        text="Dify is an open-source platform.",
        indexing_technique="economy",
        doc_form="text_model",
        process_rule=ProcessRule(
            mode="custom",
            rules=ProcessRules(
                pre_processing_rules=[PreProcessingRule(id="remove_extra_spaces", enabled=True)],
                segmentation=Segmentation(separator="\n\n", max_tokens=200),
            ),
        ),
    )
    assert call.request == HttpRequest(
        "POST",
        f"/datasets/{DATASET}/document/create-by-text",
        json={
            "name": "intro.txt",
            "text": "Dify is an open-source platform.",
            "indexing_technique": "economy",
            "doc_form": "text_model",
            "process_rule": {
                "mode": "custom",
                "rules": {
                    "pre_processing_rules": [{"id": "remove_extra_spaces", "enabled": True}],
                    "segmentation": {"max_tokens": 200, "separator": "\n\n"},
                },
            },
        },
    )
    assert describe(call) == ("documents.create_from_text", "knowledge", False)


def test_create_document_from_file_builds_the_recorded_multipart_request() -> None:
    """Recording 110: the file part and one ``data`` field holding the settings as JSON."""
    exchange = recorded("110-document-create-by-file")
    call = documents.create_document_from_file(
        DATASET, "kb/faq.md", indexing_technique="economy", process_rule=AUTOMATIC
    )
    recorded_form = exchange.request_body["multipart/form-data"]
    assert call.request == HttpRequest(
        "POST",
        exchange.path,
        form=(("data", recorded_form["data"]),),
        files=(("file", FilePart("faq.md", PurePath("kb/faq.md"), "text/markdown")),),
    )
    assert recorded_form["file"]["content_type"] == "text/markdown"
    assert describe(call) == ("documents.create_from_file", "knowledge", False)
    batch = call.parse(exchange.response)
    assert isinstance(batch, DocumentBatch)
    assert batch.document.name == "faq.md"
    assert dumped(batch) == exchange.body


def test_update_document_from_text_posts_the_recorded_body() -> None:
    """Recording 118: name, text and rule are posted to the document's update route."""
    exchange = recorded("118-document-update-by-text")
    body = exchange.request_body
    call = documents.update_document_from_text(
        DATASET, DOCUMENT, name=body["name"], text=body["text"], process_rule=AUTOMATIC
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("documents.update_from_text", "knowledge", False)
    batch = call.parse(exchange.response)
    assert batch.document.name == "intro-v2.txt"
    assert dumped(batch) == exchange.body


def test_update_document_settings_alone_need_no_name() -> None:
    """Changing only settings sends just them; text without a name is refused."""
    call = documents.update_document_from_text(
        DATASET, DOCUMENT, doc_form="qa_model", doc_language="English"
    )
    assert call.request.json == {"doc_form": "qa_model", "doc_language": "English"}
    with pytest.raises(InvalidRequestError, match="`name` is required when `text` is given"):
        documents.update_document_from_text(DATASET, DOCUMENT, text="new text")


def test_update_document_from_file_patches_the_document() -> None:
    """The canonical PATCH route carries the file and a ``data`` field (``{}`` when empty)."""
    call = documents.update_document_from_file(
        DATASET, DOCUMENT, b"# FAQ v2", filename="faq.md", content_type="text/x-markdown"
    )
    assert call.request == HttpRequest(
        "PATCH",
        f"/datasets/{DATASET}/documents/{DOCUMENT}",
        form=(("data", "{}"),),
        files=(("file", FilePart("faq.md", b"# FAQ v2", "text/x-markdown")),),
    )
    assert describe(call) == ("documents.update_from_file", "knowledge", False)
    with_settings = documents.update_document_from_file(
        DATASET,
        DOCUMENT,
        "faq.md",
        retrieval_model=RetrievalModel(search_method="keyword_search", top_k=2),
        embedding_model="m",
        embedding_model_provider="p",
    )
    assert json.loads(with_settings.request.form[0][1]) == {
        "retrieval_model": {
            "search_method": "keyword_search",
            "top_k": 2,
            "reranking_enable": False,
            "score_threshold_enabled": False,
        },
        "embedding_model": "m",
        "embedding_model_provider": "p",
    }


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (
            lambda: documents.create_document_from_text(DATASET, name="", text="t"),
            "`name` must not be empty",
        ),
        (
            lambda: documents.create_document_from_text(DATASET, name="n", text=""),
            "`text` must not be empty",
        ),
        (lambda: documents.create_document_from_text("", name="n", text="t"), "`dataset_id`"),
        (
            lambda: documents.create_document_from_text(
                DATASET,
                name="n",
                text="t",
                doc_form="pdf",  # type: ignore[arg-type]
            ),
            "`doc_form`",
        ),
        (
            lambda: documents.create_document_from_file(DATASET, 42),  # type: ignore[arg-type]
            "not int",
        ),
        (lambda: documents.create_document_from_file("", b"x"), "`dataset_id`"),
        (
            lambda: documents.create_document_from_file(
                DATASET,
                b"x",
                process_rule={"mode": "smart"},  # type: ignore[arg-type]
            ),
            "`process_rule.mode`",
        ),
        (lambda: documents.update_document_from_text(DATASET, "", name="n"), "`document_id`"),
        (
            lambda: documents.update_document_from_text(DATASET, DOCUMENT, name=""),
            "`name` must not be empty",
        ),
        (lambda: documents.update_document_from_file(DATASET, "", b"x"), "`document_id`"),
    ],
    ids=[
        "empty-name",
        "empty-text",
        "no-dataset",
        "unknown-form",
        "file-not-a-file",
        "file-no-dataset",
        "unknown-rule-mode",
        "update-no-document",
        "update-empty-name",
        "update-file-no-document",
    ],
)
def test_bad_document_arguments_raise(build: Any, mentions: str) -> None:
    """Document bodies, files and ids are checked before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()


# --- reading and changing documents -----------------------------------------------------------


def test_list_documents_reads_the_recorded_page_and_pages_keep_filters() -> None:
    """Recording 114 parses in full; a page with more leads on with the same filters."""
    exchange = recorded("114-documents-list")
    call = documents.list_documents(DATASET, page=1, limit=20)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("documents.list", "knowledge", True)
    page = call.parse(exchange.response)
    assert [d.name for d in page.data] == ["faq.md", "intro.txt"]
    assert dumped(page) == exchange.body
    assert call.next_page is not None and call.next_page(page) is None
    filtered = documents.list_documents(DATASET, limit=1, keyword="faq", status="available")
    assert filtered.request.query == (("limit", "1"), ("keyword", "faq"), ("status", "available"))
    more = filtered.parse(
        json_answer({"data": [{"id": "d"}], "has_more": True, "page": 1, "limit": 1})
    )
    assert filtered.next_page is not None
    following = filtered.next_page(more)
    assert following is not None
    assert following.request.query == (
        ("page", "2"),
        ("limit", "1"),
        ("keyword", "faq"),
        ("status", "available"),
    )


def test_get_document_reads_the_recorded_detail() -> None:
    """Recording 116: the document with its processing rules parses in full."""
    exchange = recorded("116-document-get")
    call = documents.get_document(DATASET, DOCUMENT)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("documents.get", "knowledge", True)
    detail = call.parse(exchange.response)
    assert isinstance(detail, DocumentDetail)
    assert detail.document_process_rule is not None
    assert detail.document_process_rule.mode == "custom"
    assert dumped(detail) == exchange.body
    only = documents.get_document(DATASET, DOCUMENT, metadata="only")
    assert only.request.query == (("metadata", "only"),)


def test_delete_document_and_indexing_status_match_the_recordings() -> None:
    """Recordings 165 and 109: delete reads its 204; the status reads a completed batch."""
    deleted = recorded("165-document-delete")
    delete = documents.delete_document(DATASET, "53a67927-4689-4cbd-aa9a-f11426619296")
    assert sent(delete.request) == deleted.sent
    assert describe(delete) == ("documents.delete", "knowledge", False)
    assert delete.parse(deleted.response) is None
    exchange = recorded("109-document-indexing-status-completed")
    status_call = documents.get_indexing_status(DATASET, "20261121182939797938")
    assert sent(status_call.request) == exchange.sent
    assert describe(status_call) == ("documents.indexing_status", "knowledge", True)
    status = status_call.parse(exchange.response)
    assert dumped(status) == exchange.body
    progress = documents.indexing_progress(status, batch="20261121182939797938")
    assert (progress.done, progress.completed_segments, progress.total_segments) == (True, 4, 4)


def test_set_document_status_patches_the_recorded_ids() -> None:
    """Recording 158: the action is in the path, the ids in the body; replayable."""
    exchange = recorded("158-documents-status-enable")
    call = documents.set_document_status(
        DATASET, action="enable", document_ids=["53a67927-4689-4cbd-aa9a-f11426619296"]
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("documents.set_status", "knowledge", True)
    assert call.parse(exchange.response) is None


def test_document_downloads_match_the_recordings() -> None:
    """Recordings 160 and 161: a signed URL, and a zip of several documents as bytes."""
    url_exchange = recorded("160-document-download")
    url_call = documents.get_document_download_url(DATASET, "53a67927-4689-4cbd-aa9a-f11426619296")
    assert sent(url_call.request) == url_exchange.sent
    assert describe(url_call) == ("documents.download_url", "knowledge", True)
    assert url_call.parse(url_exchange.response).url == url_exchange.body["url"]
    zip_exchange = recorded("161-documents-download-zip")
    ids = zip_exchange.request_body["document_ids"]
    zip_call = documents.download_documents_zip(DATASET, document_ids=tuple(ids))
    assert sent(zip_call.request) == zip_exchange.sent
    assert describe(zip_call) == ("documents.download_zip", "knowledge", True)
    assert zip_call.parse(zip_exchange.response) == FileDownload(
        zip_exchange.content, "application/zip", "8ead073f885244f195683c8e5f2383d9.zip"
    )


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (lambda: documents.list_documents(""), "`dataset_id`"),
        (lambda: documents.get_document(DATASET, ""), "`document_id`"),
        (lambda: documents.delete_document("", DOCUMENT), "`dataset_id`"),
        (lambda: documents.get_indexing_status(DATASET, ""), "`batch`"),
        (
            lambda: documents.set_document_status(DATASET, action="", document_ids=["d"]),  # type: ignore[arg-type]
            "`action`",
        ),
        (
            lambda: documents.set_document_status(DATASET, action="enable", document_ids=[]),
            "`document_ids`",
        ),
        (
            lambda: documents.set_document_status(DATASET, action="enable", document_ids="d"),
            "must be a list",
        ),
        (lambda: documents.get_document_download_url(DATASET, " "), "`document_id`"),
        (lambda: documents.download_documents_zip(DATASET, document_ids=[]), "`document_ids`"),
        (
            lambda: documents.download_documents_zip(
                DATASET, document_ids=[f"d{i}" for i in range(101)]
            ),
            "at most 100",
        ),
    ],
    ids=[
        "list-no-dataset",
        "get-no-document",
        "delete-no-dataset",
        "status-no-batch",
        "set-status-no-action",
        "set-status-no-ids",
        "set-status-lone-id",
        "url-blank-document",
        "zip-no-ids",
        "zip-too-many",
    ],
)
def test_bad_document_route_arguments_raise(build: Any, mentions: str) -> None:
    """Ids, actions and id lists are checked before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()


# --- waiting for indexing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "poll_interval", "mentions"),
    [
        (0, 1.0, "`timeout`"),
        (-5, 1.0, "`timeout`"),
        (None, -0.1, "`poll_interval`"),
        (10, float("nan"), "`poll_interval`"),
    ],
    ids=["zero-timeout", "negative-timeout", "negative-interval", "nan-interval"],
)
def test_wait_options_out_of_range_are_refused(
    timeout: float | None, poll_interval: float, mentions: str
) -> None:
    """A timeout must be positive (or None) and the poll interval non-negative."""
    with pytest.raises(InvalidRequestError, match=mentions):
        documents.check_wait_options(timeout=timeout, poll_interval=poll_interval)


def test_wait_options_in_range_pass() -> None:
    """No timeout, or a positive one, with a zero or positive interval is accepted."""
    documents.check_wait_options(timeout=None, poll_interval=0)
    documents.check_wait_options(timeout=0.5, poll_interval=2)
