"""The knowledge clients beyond the recordings: waiting for indexing, knowledge pipelines (from
the spec's examples), multipart document uploads, pagination, and wrong-key errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from difykit_async import AsyncDify, AsyncDifyKnowledge
from difykit_core import (
    AuthenticationError,
    DifyStreamError,
    IndexingError,
    IndexingTimeoutError,
    InvalidRequestError,
    ServerError,
)
from difykit_core.models.events import NodeFinishedEvent, WorkflowFinishedEvent
from difykit_core.models.knowledge import (
    DatasourceCompletedEvent,
    DatasourceProcessingEvent,
    OnlineDocumentPage,
    OnlineDocumentSource,
    PipelineFile,
    ProcessRule,
    WebsiteCrawlSource,
)

BASE = "http://dify.test/v1"
DS = "c42e2a6e-40b3-4330-96f8-f1e4d768e8c9"
BATCH = "20250306150245647595"
Handler = Callable[[httpx.Request], httpx.Response]


def _knowledge(handler: Handler, key: str = "dataset-test") -> AsyncDifyKnowledge:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncDifyKnowledge(api_key=key, base_url=BASE, http_client=http, max_retries=0)


def _status(state: str, done: int, total: int, error: str | None = None) -> dict[str, Any]:
    return {
        "id": "doc-1",
        "indexing_status": state,
        "processing_started_at": 1741267200,
        "completed_at": 1741267210 if state == "completed" else None,
        "error": error,
        "completed_segments": done,
        "total_segments": total,
    }


class Script:
    """Answers indexing-status polls with successive states (the last one repeats)."""

    def __init__(self, *states: dict[str, Any]) -> None:
        self.states = list(states)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        state = self.states[min(len(self.requests), len(self.states)) - 1]
        return httpx.Response(200, json={"data": [state]})


def _progress_script() -> Script:
    return Script(_status("parsing", 0, 0), _status("indexing", 2, 4), _status("completed", 4, 4))


# --- waiting for indexing ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_wait_until_indexed_polls_until_completed_and_reports_progress() -> None:
    """Polling goes parsing → indexing → completed, reporting segments after each poll."""
    script = _progress_script()
    seen: list[tuple[int, int]] = []
    async with _knowledge(script) as kb:
        status = await kb.documents.wait_until_indexed(
            DS,
            BATCH,
            poll_interval=0.001,
            on_progress=lambda done, total: seen.append((done, total)),
        )
    assert [d.indexing_status for d in status.data] == ["completed"]
    assert seen == [(0, 0), (2, 4), (4, 4)]
    assert len(script.requests) == 3
    assert script.requests[0].url.path == f"/v1/datasets/{DS}/documents/{BATCH}/indexing-status"


@pytest.mark.anyio
async def test_wait_until_indexed_raises_the_failed_document() -> None:
    """A document in ``error`` stops the wait with its id and Dify's error text."""
    script = Script(_status("parsing", 0, 0), _status("error", 0, 3, "File is empty"))
    async with _knowledge(script) as kb:
        with pytest.raises(IndexingError) as info:
            await kb.documents.wait_until_indexed(DS, BATCH, poll_interval=0.001)
    assert info.value.document_id == "doc-1"
    assert info.value.error == "File is empty"
    assert info.value.batch == BATCH
    assert "File is empty" in str(info.value)


@pytest.mark.anyio
async def test_wait_until_indexed_times_out_with_progress() -> None:
    """A batch that never completes raises IndexingTimeoutError once the timeout passes."""
    script = Script(_status("indexing", 1, 5))
    async with _knowledge(script) as kb:
        with pytest.raises(IndexingTimeoutError) as info:
            await kb.documents.wait_until_indexed(DS, BATCH, timeout=0.05, poll_interval=0.01)
    assert (info.value.completed_segments, info.value.total_segments) == (1, 5)
    assert info.value.batch == BATCH
    assert len(script.requests) >= 2


@pytest.mark.anyio
async def test_wait_until_indexed_refuses_bad_options() -> None:
    """A non-positive timeout, a negative interval or an empty batch are refused unsent."""
    script = _progress_script()
    async with _knowledge(script) as kb:
        with pytest.raises(InvalidRequestError):
            await kb.documents.wait_until_indexed(DS, BATCH, timeout=0)
        with pytest.raises(InvalidRequestError):
            await kb.documents.wait_until_indexed(DS, BATCH, poll_interval=-1)
        with pytest.raises(InvalidRequestError):
            await kb.documents.wait_until_indexed(DS, "")
    assert script.requests == []


# --- multipart documents ----------------------------------------------------------------------

_BATCH_ANSWER = {
    "document": {"id": "doc-1", "name": "guide.txt", "indexing_status": "waiting"},
    "batch": BATCH,
}


def _form_field(request: httpx.Request, name: str) -> bytes:
    match = re.search(
        rb'name="' + name.encode() + rb'"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--',
        request.read(),
        re.S,
    )
    assert match is not None, f"no {name} part"
    return match.group(1)


@pytest.mark.anyio
async def test_create_from_file_sends_settings_as_one_json_string_field() -> None:
    """``data`` is a single form field holding the settings as JSON, next to the file part."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=_BATCH_ANSWER)

    async with _knowledge(handler) as kb:
        result = await kb.documents.create_from_file(
            DS,
            b"hello",
            filename="guide.txt",
            indexing_technique="high_quality",
            process_rule=ProcessRule(mode="automatic"),
        )
    assert result.batch == BATCH
    request = requests[0]
    assert request.method == "POST"
    assert request.url.path == f"/v1/datasets/{DS}/document/create-by-file"
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert json.loads(_form_field(request, "data")) == {
        "indexing_technique": "high_quality",
        "process_rule": {"mode": "automatic"},
    }
    assert _form_field(request, "file") == b"hello"
    assert b'filename="guide.txt"' in request.read()


@pytest.mark.anyio
async def test_update_from_file_uses_the_canonical_patch_route() -> None:
    """Updating by file is a multipart PATCH of the document (update-by-file is deprecated)."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=_BATCH_ANSWER)

    async with _knowledge(handler) as kb:
        await kb.documents.update_from_file(
            DS, "doc-1", b"v2", filename="guide.txt", doc_form="text_model"
        )
    request = requests[0]
    assert (request.method, request.url.path) == ("PATCH", f"/v1/datasets/{DS}/documents/doc-1")
    assert json.loads(_form_field(request, "data")) == {"doc_form": "text_model"}


@pytest.mark.anyio
async def test_update_from_file_falls_back_to_the_legacy_route_on_a_405_and_remembers(
    tmp_path: Path,
) -> None:
    """Dify 1.13 answers the PATCH 405: the same file goes to POST …/update-by-file, and the
    client's later updates go there directly."""
    requests: list[tuple[str, str, bytes]] = []
    canonical = f"/v1/datasets/{DS}/documents/doc-1"

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append((request.method, request.url.path, _form_field(request, "file")))
        if request.method == "PATCH":
            body = {"code": "method_not_allowed", "message": "Method Not Allowed", "status": 405}
            return httpx.Response(405, json=body)
        return httpx.Response(200, json=_BATCH_ANSWER)

    source = tmp_path / "guide.txt"
    source.write_bytes(b"v2 from disk")
    async with _knowledge(handler) as kb:
        with source.open("rb") as handle:
            first = await kb.documents.update_from_file(DS, "doc-1", handle)
        second = await kb.documents.update_from_file(DS, "doc-1", b"v3", filename="g.txt")
    assert first.batch == second.batch == BATCH
    assert requests == [
        ("PATCH", canonical, b"v2 from disk"),
        ("POST", canonical + "/update-by-file", b"v2 from disk"),  # the file re-sent whole
        ("POST", canonical + "/update-by-file", b"v3"),
    ]


@pytest.mark.anyio
async def test_tags_unbind_sends_one_call_per_tag_with_tag_id() -> None:
    """Dify 1.13 reads only ``tag_id``: each tag goes in its own call, with both fields."""
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.read()))
        return httpx.Response(200, json={"result": "success"})

    async with _knowledge(handler) as kb:
        await kb.tags.unbind(DS, tag_ids=["t-1", "t-2"])
    assert bodies == [
        {"tag_ids": ["t-1"], "tag_id": "t-1", "target_id": DS},
        {"tag_ids": ["t-2"], "tag_id": "t-2", "target_id": DS},
    ]


@pytest.mark.anyio
async def test_tags_unbind_checks_the_request_before_sending_anything() -> None:
    """An empty tag list is refused before the first call."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"result": "success"})

    async with _knowledge(handler) as kb:
        with pytest.raises(InvalidRequestError):
            await kb.tags.unbind(DS, tag_ids=[])
    assert sent == []


def test_update_from_text_needs_a_name_with_text() -> None:
    """Dify requires ``name`` when ``text`` changes, so the SDK refuses before sending."""
    with pytest.raises(InvalidRequestError, match="name"):
        from difykit_core.operations.documents import update_document_from_text

        update_document_from_text(DS, "doc-1", text="new text")


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_iterating_a_dataset_page_walks_the_next_pages_lazily() -> None:
    """Iterating ``kb.datasets.list()`` fetches page 2 only when page 1 is used up."""
    pages: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page")
        pages.append(page)
        more = page in (None, "1")
        data = [{"id": "a"}, {"id": "b"}] if more else [{"id": "c"}]
        number = 1 if more else 2
        return httpx.Response(
            200, json={"data": data, "has_more": more, "limit": 2, "total": 3, "page": number}
        )

    async with _knowledge(handler) as kb:
        first = await kb.datasets.list(limit=2)
        assert pages == [None]
        assert [d.id async for d in first] == ["a", "b", "c"]
    assert pages == [None, "2"]


@pytest.mark.anyio
async def test_child_chunk_pages_follow_total_pages() -> None:
    """Child chunk lists have no ``has_more``; it is derived from ``page``/``total_pages``."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        chunk = {"id": f"c{page}", "content": "x"}
        return httpx.Response(
            200, json={"data": [chunk], "total": 2, "total_pages": 2, "page": page, "limit": 1}
        )

    async with _knowledge(handler) as kb:
        first = await kb.child_chunks.list(DS, "doc", "seg", limit=1)
        assert first.has_more
        assert [c.id async for c in first] == ["c1", "c2"]


@pytest.mark.anyio
async def test_tags_list_turns_the_bare_array_into_a_page() -> None:
    """``GET /datasets/tags`` answers a bare array; it becomes one complete page."""
    tags = [{"id": "t1", "name": "a", "type": "knowledge", "binding_count": "0"}]

    async with _knowledge(lambda request: httpx.Response(200, json=tags)) as kb:
        page = await kb.tags.list()
        assert [t.name async for t in page] == ["a"]
    assert (page.has_more, page.total) == (False, 1)


# --- knowledge pipeline (from the spec's examples) --------------------------------------------

_PLUGINS = [
    {
        "node_id": "1719288585006",
        "plugin_id": "langgenius/notion_datasource",
        "provider_name": "notion",
        "datasource_type": "online_document",
        "title": "Notion Documents",
        "user_input_variables": [],
        "credentials": [
            {
                "id": "c1d2e3f4-a5b6-7890-abcd-ef1234567890",
                "name": "Production Notion",
                "type": "api-key",
                "is_default": True,
            }
        ],
    }
]
_UPLOADED = {
    "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "name": "report.pdf",
    "size": 524288,
    "extension": "pdf",
    "mime_type": "application/pdf",
    "created_by": "ad313dd6-ef04-4dd1-a5b0-c0f0b9e2e7e4",
    "created_at": "2025-03-06T12:00:00",
}
_BLOCKING_RUN: dict[str, object] = {
    "task_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "workflow_run_id": "f1e2d3c4-b5a6-7890-abcd-ef0987654321",
    "data": {
        "id": "f1e2d3c4-b5a6-7890-abcd-ef0987654321",
        "status": "succeeded",
        "outputs": {},
        "created_at": 1741267200,
        "finished_at": 1741267210,
    },
}
_RUN_ID = "f1e2d3c4-b5a6-7890-abcd-ef0987654321"


def _sse(*events: dict[str, Any]) -> bytes:
    return b"event: ping\n\n" + b"".join(
        b"data: " + json.dumps(e).encode() + b"\n\n" for e in events
    )


_PIPELINE_STREAM = _sse(
    {
        "event": "workflow_started",
        "task_id": "t1",
        "workflow_run_id": _RUN_ID,
        "data": {"id": _RUN_ID, "workflow_id": "w1", "created_at": 1741267200},
    },
    {
        "event": "node_started",
        "task_id": "t1",
        "workflow_run_id": _RUN_ID,
        "data": {"id": "n1", "node_id": "1719288585006", "node_type": "datasource"},
    },
    {
        "event": "node_finished",
        "task_id": "t1",
        "workflow_run_id": _RUN_ID,
        "data": {"id": "n1", "node_id": "1719288585006", "status": "succeeded", "outputs": {}},
    },
    {
        "event": "workflow_finished",
        "task_id": "t1",
        "workflow_run_id": _RUN_ID,
        "data": {"id": _RUN_ID, "status": "succeeded", "outputs": {}, "total_tokens": 0},
    },
)


class Recorder:
    """Answers every request with one response, remembering the requests."""

    def __init__(self, response: Callable[[], httpx.Response]) -> None:
        self.response = response
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response()

    @property
    def body(self) -> Any:
        return json.loads(self.requests[0].read())


@pytest.mark.anyio
async def test_pipeline_upload_file_is_multipart_and_reads_the_201_answer() -> None:
    """The file goes as the single ``file`` part; the ISO ``created_at`` is kept."""
    rec = Recorder(lambda: httpx.Response(201, json=_UPLOADED))
    async with _knowledge(rec) as kb:
        uploaded = await kb.pipeline.upload_file(b"%PDF-1.4", filename="report.pdf")
    request = rec.requests[0]
    assert (request.method, request.url.path) == ("POST", "/v1/datasets/pipeline/file-upload")
    assert b'name="file"; filename="report.pdf"' in request.read()
    assert uploaded.id == _UPLOADED["id"]
    assert uploaded.created_at == "2025-03-06T12:00:00"


@pytest.mark.anyio
async def test_datasource_plugins_reads_the_bare_array() -> None:
    """The plugin list is a bare array of nodes with their credentials."""
    rec = Recorder(lambda: httpx.Response(200, json=_PLUGINS))
    async with _knowledge(rec) as kb:
        plugins = await kb.pipeline.datasource_plugins(DS)
        await kb.pipeline.datasource_plugins(DS, is_published=False)
    assert plugins[0].node_id == "1719288585006"
    assert plugins[0].credentials[0].is_default is True
    assert rec.requests[0].url.path == f"/v1/datasets/{DS}/pipeline/datasource-plugins"
    assert rec.requests[0].url.query == b""
    # Dify reads the flag with ``type=bool``: only an empty value means false.
    assert rec.requests[1].url.params.multi_items() == [("is_published", "")]


@pytest.mark.anyio
async def test_pipeline_run_blocking_sends_the_spec_example_and_reads_the_run() -> None:
    """A blocking run sends the spec's local-file body and returns a WorkflowRun."""
    rec = Recorder(lambda: httpx.Response(200, json=_BLOCKING_RUN))
    uploaded = PipelineFile(id="a1b2c3d4-e5f6-7890-abcd-ef1234567890", name="quarterly-report.pdf")
    async with _knowledge(rec) as kb:
        run = await kb.pipeline.run(
            DS,
            datasource_type="local_file",
            datasource_info_list=[uploaded],
            start_node_id="1719288585006",
        )
    assert rec.requests[0].url.path == f"/v1/datasets/{DS}/pipeline/run"
    assert rec.body == {
        "inputs": {},
        "datasource_type": "local_file",
        "datasource_info_list": [
            {"reference": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "name": "quarterly-report.pdf"}
        ],
        "start_node_id": "1719288585006",
        "is_published": True,
        "response_mode": "blocking",
    }
    assert run.status == "succeeded"
    assert run.workflow_run_id == _RUN_ID


@pytest.mark.anyio
async def test_pipeline_run_accepts_typed_and_plugin_shaped_sources() -> None:
    """Typed sources and plain mappings both become the items Dify expects."""
    rec = Recorder(lambda: httpx.Response(200, json=_BLOCKING_RUN))
    page = OnlineDocumentPage(page_id="pg-def456", type="page", page_name="Product Roadmap")
    async with _knowledge(rec) as kb:
        await kb.pipeline.run(
            DS,
            datasource_type="online_document",
            datasource_info_list=[
                OnlineDocumentSource(
                    workspace_id="ws-abc123", page=page, credential_id="cred-789xyz"
                )
            ],
            start_node_id="1719288585006",
        )
        await kb.pipeline.run(
            DS,
            datasource_type="website_crawl",
            datasource_info_list=[
                WebsiteCrawlSource(url="https://example.com/docs/getting-started"),
                {"url": "https://example.com/b", "title": "B"},
            ],
            start_node_id="1719288585006",
            is_published=False,
        )
    first = json.loads(rec.requests[0].read())
    assert first["datasource_info_list"] == [
        {
            "workspace_id": "ws-abc123",
            "page": {"page_id": "pg-def456", "type": "page", "page_name": "Product Roadmap"},
            "credential_id": "cred-789xyz",
        }
    ]
    second = json.loads(rec.requests[1].read())
    assert second["datasource_info_list"][1] == {"url": "https://example.com/b", "title": "B"}
    assert second["is_published"] is False


@pytest.mark.anyio
async def test_pipeline_run_failure_is_a_server_error_with_dify_code() -> None:
    """Dify maps any pipeline failure to 500 ``pipeline_run_error``."""
    error = {"status": 500, "code": "pipeline_run_error", "message": "Pipeline execution failed"}
    rec = Recorder(lambda: httpx.Response(500, json=error))
    async with _knowledge(rec) as kb:
        with pytest.raises(ServerError) as info:
            await kb.pipeline.run(
                DS,
                datasource_type="local_file",
                datasource_info_list=[{"reference": "f"}],
                start_node_id="n",
            )
    assert info.value.code == "pipeline_run_error"


@pytest.mark.anyio
async def test_pipeline_stream_reads_workflow_events_and_collects_the_run() -> None:
    """A streamed pipeline run yields typed workflow events and collects into a WorkflowRun."""
    headers = {"content-type": "text/event-stream"}
    rec = Recorder(lambda: httpx.Response(200, headers=headers, content=_PIPELINE_STREAM))
    kwargs: dict[str, Any] = {
        "datasource_type": "local_file",
        "datasource_info_list": [PipelineFile(id="f1", name="a.pdf")],
        "start_node_id": "1719288585006",
    }
    async with _knowledge(rec) as kb:
        async with kb.pipeline.stream(DS, **kwargs) as stream:
            events = [event async for event in stream]
            assert stream.workflow_run_id == _RUN_ID
        run = await kb.pipeline.stream(DS, **kwargs).collect()
    assert rec.body["response_mode"] == "streaming"
    assert [e.event for e in events] == [
        "workflow_started",
        "node_started",
        "node_finished",
        "workflow_finished",
    ]
    assert isinstance(events[2], NodeFinishedEvent)
    assert isinstance(events[3], WorkflowFinishedEvent)
    assert (run.status, run.task_id) == ("succeeded", "t1")


_DATASOURCE_STREAM = _sse(
    {"event": "datasource_processing", "total": 2, "completed": 1},
    {
        "event": "datasource_completed",
        "data": [{"workspace_id": "ws-abc123", "pages": [{"page_id": "pg-1"}]}],
        "total": 2,
        "completed": 2,
        "time_consuming": 0.8,
    },
)


@pytest.mark.anyio
async def test_run_datasource_node_streams_datasource_events() -> None:
    """A datasource node run sends the spec's body and streams processing, then completed."""
    headers = {"content-type": "text/event-stream"}
    rec = Recorder(lambda: httpx.Response(200, headers=headers, content=_DATASOURCE_STREAM))
    async with _knowledge(rec) as kb:
        events = [
            event
            async for event in kb.pipeline.run_datasource_node(
                DS,
                "1719288585006",
                inputs={},
                datasource_type="online_document",
                credential_id="c1d2e3f4-a5b6-7890-abcd-ef1234567890",
            )
        ]
    path = f"/v1/datasets/{DS}/pipeline/datasource/nodes/1719288585006/run"
    assert rec.requests[0].url.path == path
    assert rec.body == {
        "inputs": {},
        "datasource_type": "online_document",
        "is_published": True,
        "credential_id": "c1d2e3f4-a5b6-7890-abcd-ef1234567890",
    }
    assert isinstance(events[0], DatasourceProcessingEvent)
    assert (events[0].completed, events[0].total) == (1, 2)
    assert isinstance(events[1], DatasourceCompletedEvent)
    assert events[1].data == [{"workspace_id": "ws-abc123", "pages": [{"page_id": "pg-1"}]}]


@pytest.mark.anyio
async def test_datasource_error_event_raises_a_stream_error() -> None:
    """``datasource_error`` ends the stream as DifyStreamError with Dify's text."""
    body = _sse({"event": "datasource_error", "error": "credential expired"})
    headers = {"content-type": "text/event-stream"}
    rec = Recorder(lambda: httpx.Response(200, headers=headers, content=body))
    async with _knowledge(rec) as kb:
        with pytest.raises(DifyStreamError, match="credential expired"):
            await kb.pipeline.run_datasource_node(
                DS, "n1", inputs={}, datasource_type="online_document"
            ).collect()


@pytest.mark.anyio
async def test_pipeline_and_datasource_node_streams_collect_their_results() -> None:
    """A pipeline stream collects into its run; a datasource node run into its completed event."""
    bodies: Iterator[bytes] = iter([_PIPELINE_STREAM, _DATASOURCE_STREAM])
    headers = {"content-type": "text/event-stream"}
    rec = Recorder(lambda: httpx.Response(200, headers=headers, content=next(bodies)))
    async with _knowledge(rec) as kb:
        run = await kb.pipeline.stream(
            DS,
            datasource_type="local_file",
            datasource_info_list=[{"reference": "f1"}],
            start_node_id="n1",
        ).collect()
        completed = await kb.pipeline.run_datasource_node(
            DS, "n1", inputs={}, datasource_type="online_document"
        ).collect()
    assert run.status == "succeeded"
    assert completed.completed == 2


# --- wrong key family -------------------------------------------------------------------------

_UNAUTHORIZED = {"code": "unauthorized", "message": "Access token is invalid", "status": 401}


def _unauthorized(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        401, json=_UNAUTHORIZED, headers={"www-authenticate": 'Bearer realm="api"'}
    )


@pytest.mark.anyio
async def test_app_key_on_a_knowledge_route_says_a_dataset_key_is_needed() -> None:
    """An app key on DifyKnowledge fails with a message naming the key the route needs."""
    kb = _knowledge(_unauthorized, key="app-abc")
    with pytest.raises(AuthenticationError) as info:
        await kb.datasets.list()
    message = str(info.value)
    assert "knowledge key (dataset-" in message
    assert "given the other kind" in message
    assert info.value.code == "unauthorized"


@pytest.mark.anyio
async def test_dataset_key_on_an_app_route_says_an_app_key_is_needed() -> None:
    """A dataset key on Dify fails with a message naming the app key the route needs."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(_unauthorized))
    dify = AsyncDify(api_key="dataset-abc", base_url=BASE, http_client=http, max_retries=0)
    async with dify:
        with pytest.raises(AuthenticationError) as info:
            await dify.chat.send(query="Hi", user="u1")
    assert "app key (app-" in str(info.value)
    assert "given the other kind" in str(info.value)
