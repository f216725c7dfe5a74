"""Dataset-key builders for the chunks (segments) of a document and their child chunks."""

from __future__ import annotations

from typing import Any

import pytest
from recorded import dumped, json_answer, recorded, sent

from difykit_core import HttpRequest, InvalidRequestError
from difykit_core.models.knowledge import ChunkInput
from difykit_core.operations import child_chunks, chunks

DATASET = "ab042b05-2815-407a-873a-69dff18df45c"
DOCUMENT = "9734ef2f-e523-4190-bdc8-bf519b4f8ae5"
SEGMENT = "b25d5ead-fd98-4227-bce0-82ad2906b1f5"
CHILD = "31441da7-12cf-4c93-9b6a-84b646156627"


def describe(call: Any) -> tuple[str, str, bool]:
    """A call's operation, key family and replayability (knowledge calls have no user)."""
    assert call.user is None
    return (call.operation, call.key_family, call.replayable)


# --- chunks -----------------------------------------------------------------------------------


def test_create_chunks_posts_the_recorded_segments() -> None:
    """Recording 120: typed chunks keep an empty answer and keyword list; the batch parses."""
    exchange = recorded("120-segments-create")
    call = chunks.create_chunks(
        DATASET,
        DOCUMENT,
        segments=[
            ChunkInput(
                content="A manually added segment about API keys.", keywords=["api", "keys"]
            ),
            ChunkInput(content="Second manual segment.", answer="", keywords=[]),
        ],
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("chunks.create", "knowledge", False)
    batch = call.parse(exchange.response)
    assert [c.content for c in batch.data] == [
        s["content"] for s in exchange.request_body["segments"]
    ]
    assert dumped(batch) == exchange.body


@pytest.mark.parametrize(
    ("recording", "fields"),
    [
        ("119-segments-list", {}),
        (
            "121-segments-list-keyword",
            {"keyword": "manual", "status": "completed", "page": 1, "limit": 10},
        ),
    ],
    ids=["plain", "filtered"],
)
def test_list_chunks_reads_the_recorded_pages(recording: str, fields: dict[str, Any]) -> None:
    """Recordings 119 and 121: filters are sent as recorded; chunks and doc_form parse in full."""
    exchange = recorded(recording)
    call = chunks.list_chunks(DATASET, DOCUMENT, **fields)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("chunks.list", "knowledge", True)
    page = call.parse(exchange.response)
    assert page.model_extra == {"doc_form": "text_model"}
    assert dumped(page) == exchange.body
    assert call.next_page is not None and call.next_page(page) is None


def test_chunk_pages_repeat_statuses_and_keep_filters() -> None:
    """Several statuses repeat ``status``; the next page keeps keyword, statuses and limit."""
    call = chunks.list_chunks(
        DATASET, DOCUMENT, status=("completed", "error"), keyword="api", limit=1
    )
    filters = (("keyword", "api"), ("status", "completed"), ("status", "error"))
    assert call.request.query == (*filters, ("limit", "1"))
    page = call.parse(json_answer({"data": [{"id": "s"}], "has_more": True, "page": 1, "limit": 1}))
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (*filters, ("page", "2"), ("limit", "1"))


def test_get_update_and_delete_chunk_address_the_segment() -> None:
    """Recording 122 is read in full; update posts only given fields; delete reads a 204."""
    exchange = recorded("122-segment-get")
    segment = "d7a35bfd-57ff-42bc-8679-573c5e5e5fdd"
    get = chunks.get_chunk(DATASET, DOCUMENT, segment)
    assert sent(get.request) == exchange.sent
    assert describe(get) == ("chunks.get", "knowledge", True)
    assert dumped(get.parse(exchange.response)) == exchange.body
    update = chunks.update_chunk(
        DATASET,
        DOCUMENT,
        segment,
        content="New text",
        keywords=("api",),
        enabled=False,
        attachment_ids=["img"],
    )
    assert update.request == HttpRequest(
        "POST",
        exchange.path,
        json={
            "segment": {
                "content": "New text",
                "keywords": ["api"],
                "enabled": False,
                "attachment_ids": ["img"],
            }
        },
    )
    assert describe(update) == ("chunks.update", "knowledge", True)
    assert update.parse(exchange.response).data.id == segment
    delete = chunks.delete_chunk(DATASET, DOCUMENT, segment)
    assert delete.request == HttpRequest("DELETE", exchange.path)
    assert describe(delete) == ("chunks.delete", "knowledge", False)


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (lambda: chunks.create_chunks(DATASET, DOCUMENT, segments=[]), "`segments`"),
        (lambda: chunks.create_chunks(DATASET, DOCUMENT, segments=[""]), "`segments.0`"),
        (lambda: chunks.create_chunks("", DOCUMENT, segments=["a"]), "`dataset_id`"),
        (lambda: chunks.list_chunks(DATASET, ""), "`document_id`"),
        (
            lambda: chunks.update_chunk(DATASET, DOCUMENT, "s", content=""),
            "`content` must not be empty",
        ),
        (lambda: chunks.update_chunk(DATASET, DOCUMENT, ""), "`segment_id`"),
        (lambda: chunks.delete_chunk(DATASET, DOCUMENT, ""), "`segment_id`"),
    ],
    ids=[
        "no-segments",
        "empty-segment",
        "no-dataset",
        "list-no-document",
        "update-empty",
        "update-no-id",
        "delete-no-id",
    ],
)
def test_bad_chunk_arguments_raise(build: Any, mentions: str) -> None:
    """Chunk contents, lists and ids are checked before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()


# --- child chunks -----------------------------------------------------------------------------


def test_create_and_update_child_chunk_match_the_recordings() -> None:
    """Recordings 169 and 171: content is posted, then PATCHed (replayably); results parse."""
    created = recorded("169-child-chunk-create")
    create = child_chunks.create_child_chunk(
        DATASET, DOCUMENT, SEGMENT, content="child chunk for update/delete"
    )
    assert sent(create.request) == created.sent
    assert describe(create) == ("child_chunks.create", "knowledge", False)
    assert dumped(create.parse(created.response)) == created.body
    updated = recorded("171-child-chunk-update")
    update = child_chunks.update_child_chunk(
        DATASET, DOCUMENT, SEGMENT, CHILD, content="child chunk updated"
    )
    assert sent(update.request) == updated.sent
    assert describe(update) == ("child_chunks.update", "knowledge", True)
    assert update.parse(updated.response).data.content == "child chunk updated"


@pytest.mark.parametrize(
    ("recording", "segment", "query"),
    [
        ("170-child-chunks-list", SEGMENT, {"page": 1, "limit": 20}),
        ("124-child-chunks-list-text-model", "d7a35bfd-57ff-42bc-8679-573c5e5e5fdd", {}),
    ],
    ids=["one-page", "empty"],
)
def test_list_child_chunks_derives_has_more_from_total_pages(
    recording: str, segment: str, query: dict[str, Any]
) -> None:
    """Recordings 170 and 124 have no ``has_more``: it is derived (false: one page or none)."""
    exchange = recorded(recording)
    call = child_chunks.list_child_chunks(DATASET, DOCUMENT, segment, **query)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("child_chunks.list", "knowledge", True)
    page = call.parse(exchange.response)
    assert dumped(page) == {**exchange.body, "has_more": False}
    assert call.next_page is not None and call.next_page(page) is None


def test_child_chunk_pages_continue_until_the_last_page() -> None:
    """Page 1 of 2 leads to page 2 with the same keyword and limit; page 2 is the end."""
    call = child_chunks.list_child_chunks(DATASET, DOCUMENT, SEGMENT, keyword="child", limit=1)
    first = call.parse(
        json_answer({"data": [{"id": "c1"}], "total": 2, "total_pages": 2, "page": 1, "limit": 1})
    )
    assert first.has_more is True
    assert call.next_page is not None
    following = call.next_page(first)
    assert following is not None
    assert following.request.query == (("page", "2"), ("limit", "1"), ("keyword", "child"))
    last = following.parse(
        json_answer({"data": [{"id": "c2"}], "total": 2, "total_pages": 2, "page": 2, "limit": 1})
    )
    assert following.next_page is not None and following.next_page(last) is None


def test_delete_child_chunk_addresses_it() -> None:
    """Deleting a child chunk is a DELETE to its escaped path."""
    call = child_chunks.delete_child_chunk(DATASET, DOCUMENT, SEGMENT, "c/1")
    assert call.request == HttpRequest(
        "DELETE", f"/datasets/{DATASET}/documents/{DOCUMENT}/segments/{SEGMENT}/child_chunks/c%2F1"
    )
    assert describe(call) == ("child_chunks.delete", "knowledge", False)


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (
            lambda: child_chunks.create_child_chunk(DATASET, DOCUMENT, SEGMENT, content=""),
            "must not be empty",
        ),
        (
            lambda: child_chunks.create_child_chunk(DATASET, DOCUMENT, SEGMENT, content=" \n"),
            "must not be blank",
        ),
        (
            lambda: child_chunks.create_child_chunk(DATASET, DOCUMENT, "", content="c"),
            "`segment_id`",
        ),
        (lambda: child_chunks.list_child_chunks(DATASET, "", SEGMENT), "`document_id`"),
        (
            lambda: child_chunks.update_child_chunk(DATASET, DOCUMENT, SEGMENT, "", content="c"),
            "`child_chunk_id`",
        ),
        (
            lambda: child_chunks.update_child_chunk(
                DATASET, DOCUMENT, SEGMENT, CHILD, content="\t"
            ),
            "must not be blank",
        ),
        (lambda: child_chunks.delete_child_chunk("", DOCUMENT, SEGMENT, CHILD), "`dataset_id`"),
    ],
    ids=[
        "empty",
        "blank",
        "no-segment",
        "list-no-document",
        "update-no-id",
        "update-blank",
        "delete-no-dataset",
    ],
)
def test_bad_child_chunk_arguments_raise(build: Any, mentions: str) -> None:
    """Child chunk contents and ids are checked before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()
