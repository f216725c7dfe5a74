"""The sans-IO parts of the knowledge API: indexing-wait rules, datasource streams, list shapes."""

from __future__ import annotations

import json

import pytest

from difykit_core import HttpResponse, IndexingError, IndexingTimeoutError, InvalidRequestError
from difykit_core.errors import DifyStreamError, ResponseValidationError, StreamInterruptedError
from difykit_core.models.knowledge import (
    ChunkInput,
    DatasourceCompletedEvent,
    IndexingStatus,
    KnowledgeTag,
    MetadataFieldPage,
)
from difykit_core.operations import chunks, documents, metadata, pipeline, tags


def _status(*states: str) -> IndexingStatus:
    return IndexingStatus.model_validate(
        {
            "data": [
                {"id": f"d{i}", "indexing_status": s, "completed_segments": i, "total_segments": 2}
                for i, s in enumerate(states)
            ]
        }
    )


def test_progress_sums_segments_and_is_done_only_when_all_completed() -> None:
    """A batch is done when every document is completed; segments add up over documents."""
    progress = documents.indexing_progress(_status("completed", "indexing"), batch="b")
    assert (progress.done, progress.completed_segments, progress.total_segments) == (False, 1, 4)
    assert documents.indexing_progress(_status("completed", "completed"), batch="b").done
    assert not documents.indexing_progress(IndexingStatus(data=[]), batch="b").done


def test_progress_raises_for_a_failed_document() -> None:
    """A document in ``error`` raises IndexingError naming it."""
    with pytest.raises(IndexingError, match="d1"):
        documents.indexing_progress(_status("completed", "error"), batch="b")


def test_poll_delay_never_passes_the_deadline() -> None:
    """The delay is the interval, cut to what is left, and the time being up raises."""
    progress = documents.indexing_progress(_status("indexing"), batch="b")
    delay = documents.next_poll_delay
    assert delay(progress, batch="b", elapsed=0, timeout=None, poll_interval=2) == 2
    assert delay(progress, batch="b", elapsed=9.5, timeout=10, poll_interval=2) == 0.5
    with pytest.raises(IndexingTimeoutError) as info:
        delay(progress, batch="b", elapsed=10, timeout=10, poll_interval=2)
    assert (info.value.timeout, info.value.total_segments) == (10, 2)
    with pytest.raises(InvalidRequestError):
        documents.check_wait_options(timeout=-1, poll_interval=1)


def _frames(*events: dict[str, object]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def test_datasource_stream_ends_at_completed_and_collects_it() -> None:
    """``datasource_completed`` is terminal; frames after it are not read."""
    reader = pipeline.datasource_protocol().reader()
    events = reader.feed(
        _frames(
            {"event": "datasource_processing", "total": 1, "completed": 0},
            {"event": "datasource_completed", "data": {"pages": []}, "total": 1, "completed": 1},
            {"event": "datasource_processing"},
        )
    )
    reader.finish()
    assert [e.event for e in events] == ["datasource_processing", "datasource_completed"]
    collector = pipeline.datasource_protocol().collector()
    for event in events:
        collector.add(event)
    result = collector.result(reader)
    assert isinstance(result, DatasourceCompletedEvent)
    assert result.data == {"pages": []}


def test_datasource_error_and_early_end_raise() -> None:
    """``datasource_error`` raises its text; a stream without a terminal event is interrupted."""
    reader = pipeline.datasource_protocol().reader()
    reader.feed(_frames({"event": "datasource_error", "error": "bad credential"}))
    with pytest.raises(DifyStreamError, match="bad credential"):
        reader.finish()
    reader = pipeline.datasource_protocol().reader()
    reader.feed(_frames({"event": "datasource_processing"}))
    with pytest.raises(StreamInterruptedError):
        reader.finish()
    with pytest.raises(StreamInterruptedError):
        pipeline.datasource_protocol().collector().result(reader)


def _answer(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


def test_bare_array_becomes_a_complete_page_and_an_object_is_refused() -> None:
    """The tags list's bare array is one page; any other JSON shape is a validation error."""
    call = tags.list_tags()
    page = call.parse(_answer([{"id": "t", "name": "n", "binding_count": 0}]))
    assert page.data == [KnowledgeTag(id="t", name="n", binding_count=0)]
    assert (page.has_more, page.total) == (False, 1)
    with pytest.raises(ResponseValidationError):
        call.parse(_answer({"data": []}))


def test_metadata_list_is_a_page_that_keeps_difys_names() -> None:
    """``doc_metadata`` becomes ``data`` and is still dumped under its own name."""
    page = metadata.list_metadata_fields("ds").parse(
        _answer({"doc_metadata": [{"id": "m", "name": "a"}], "built_in_field_enabled": True})
    )
    assert isinstance(page, MetadataFieldPage)
    assert [f.name for f in page.data] == ["a"]
    assert page.total == 1
    assert page.model_dump()["doc_metadata"] == page.model_dump()["data"]


def test_chunk_builders_refuse_blank_or_lone_values() -> None:
    """Blank content, a lone string for a list, and empty ids are refused unsent."""
    with pytest.raises(InvalidRequestError):
        chunks.create_chunks("ds", "doc", segments=["  "])
    with pytest.raises(InvalidRequestError):
        chunks.create_chunks("ds", "doc", segments="text")
    with pytest.raises(InvalidRequestError):
        chunks.get_chunk("ds", "", "seg")
    call = chunks.create_chunks("ds", "doc", segments=["a", ChunkInput(content="b")])
    assert call.request.json == {"segments": [{"content": "a"}, {"content": "b"}]}
    assert call.key_family == "knowledge"
