"""Knowledge-pipeline builders: file upload, datasource nodes and pipeline runs (dataset key)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import pytest
from recorded import dumped, json_answer

from difykit_core import FilePart, HttpRequest, InvalidRequestError, StreamCall
from difykit_core.models.knowledge import (
    DatasourcePlugin,
    LocalFileSource,
    OnlineDocumentPage,
    OnlineDocumentSource,
    OnlineDriveSource,
    PipelineFile,
    WebsiteCrawlSource,
)
from difykit_core.models.workflow import WorkflowRun
from difykit_core.operations import pipeline
from difykit_core.operations._generate import workflow_protocol

DATASET = "ab042b05-2815-407a-873a-69dff18df45c"
UPLOADED: dict[str, Any] = {
    # Dify's answer to POST /datasets/pipeline/file-upload (created_at is ISO 8601 here).
    "id": "0c4d5e2a-8f0b-4a7e-9d1c-6a2b3c4d5e6f",
    "name": "faq.md",
    "size": 115,
    "extension": "md",
    "mime_type": "text/markdown",
    "created_by": "0277388c-994e-4a66-ba4b-5a4420d2b0ef",
    "created_at": "2026-11-21T18:29:39.579585",
}
PLUGINS = [
    {
        "node_id": "1751336942081",
        "plugin_id": "langgenius/notion_datasource",
        "provider_name": "notion_datasource",
        "datasource_type": "online_document",
        "title": "Notion",
        "user_input_variables": [{"variable": "query", "type": "text-input", "required": False}],
        "credentials": [
            {"id": "cred-1", "name": "Team workspace", "type": "oauth2", "is_default": True}
        ],
    }
]
RUN = {
    "task_id": "5ad4cb98-f0c7-4085-b384-88c403be6290",
    "workflow_run_id": "c0a5a8f9-4e0d-4c5b-9a43-7e1a0b8a9f21",
    "data": {
        "id": "c0a5a8f9-4e0d-4c5b-9a43-7e1a0b8a9f21",
        "workflow_id": "pipeline-1",
        "status": "succeeded",
        "outputs": {"documents": 1},
        "error": None,
        "elapsed_time": 1.42,
        "total_tokens": 0,
        "total_steps": 4,
        "created_at": 1795286000,
        "finished_at": 1795286001,
    },
}


def describe(call: Any) -> tuple[str, str, bool]:
    """A call's operation, key family and replayability (knowledge calls have no user)."""
    assert call.user is None
    return (call.operation, call.key_family, call.replayable)


def test_upload_pipeline_file_is_a_multipart_knowledge_call() -> None:
    """The file part alone is posted; the answer is the uploaded pipeline file."""
    call = pipeline.upload_pipeline_file("kb/faq.md")
    assert call.request == HttpRequest(
        "POST",
        "/datasets/pipeline/file-upload",
        files=(("file", FilePart("faq.md", PurePath("kb/faq.md"), "text/markdown")),),
    )
    assert describe(call) == ("pipeline.upload_file", "knowledge", False)
    uploaded = call.parse(json_answer(UPLOADED))
    assert isinstance(uploaded, PipelineFile)
    assert dumped(uploaded) == UPLOADED
    with pytest.raises(InvalidRequestError):
        pipeline.upload_pipeline_file(None)  # type: ignore[arg-type]


def test_datasource_plugins_of_the_published_or_draft_pipeline() -> None:
    """The published pipeline is asked with no flag; the draft with an empty ``is_published``."""
    published = pipeline.list_datasource_plugins(DATASET)
    assert published.request == HttpRequest(
        "GET", f"/datasets/{DATASET}/pipeline/datasource-plugins"
    )
    assert describe(published) == ("pipeline.datasource_plugins", "knowledge", True)
    draft = pipeline.list_datasource_plugins(DATASET, is_published=False)
    assert draft.request.query == (("is_published", ""),)
    plugins = published.parse(json_answer(PLUGINS))
    assert all(isinstance(p, DatasourcePlugin) for p in plugins)
    assert [dumped(p) for p in plugins] == PLUGINS
    with pytest.raises(InvalidRequestError, match="`dataset_id`"):
        pipeline.list_datasource_plugins("")


def test_run_datasource_node_streams_datasource_events() -> None:
    """A node run posts inputs, type and flags and is read with the datasource protocol."""
    call = pipeline.run_datasource_node(
        DATASET,
        "1751336942081",
        inputs={"query": "roadmap"},
        datasource_type="online_document",
        credential_id="cred-1",
    )
    assert isinstance(call, StreamCall)
    assert call.request == HttpRequest(
        "POST",
        f"/datasets/{DATASET}/pipeline/datasource/nodes/1751336942081/run",
        json={
            "inputs": {"query": "roadmap"},
            "datasource_type": "online_document",
            "is_published": True,
            "credential_id": "cred-1",
        },
    )
    assert call.protocol is pipeline.datasource_protocol()
    assert describe(call) == ("pipeline.run_datasource_node", "knowledge", False)
    draft = pipeline.run_datasource_node(
        DATASET, "n", inputs={}, datasource_type="local_file", is_published=False
    )
    assert draft.request.json == {
        "inputs": {},
        "datasource_type": "local_file",
        "is_published": False,
    }


@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"node_id": ""}, "`node_id`"),
        ({"datasource_type": "ftp"}, "`datasource_type`"),
        ({"inputs": ["query"]}, "`inputs`"),
    ],
    ids=["no-node", "unknown-type", "inputs-not-mapping"],
)
def test_bad_datasource_node_arguments_raise(fields: dict[str, Any], mentions: str) -> None:
    """Node ids, datasource types and inputs are checked before building."""
    arguments: dict[str, Any] = {
        "node_id": "n",
        "inputs": {},
        "datasource_type": "online_document",
        **fields,
    }
    node_id = arguments.pop("node_id")
    with pytest.raises(InvalidRequestError, match=mentions):
        pipeline.run_datasource_node(DATASET, node_id, **arguments)


def test_run_pipeline_turns_every_kind_of_source_into_json() -> None:
    """Uploaded files, typed sources and plugin mappings become the datasource items."""
    call = pipeline.run_pipeline(
        DATASET,
        datasource_type="local_file",
        datasource_info_list=[
            PipelineFile.model_validate(UPLOADED),
            LocalFileSource(reference="file-2"),
            OnlineDocumentSource(
                workspace_id="ws-1",
                page=OnlineDocumentPage(page_id="p-1", type="page", page_name="Roadmap"),
            ),
            WebsiteCrawlSource(url="https://docs.dify.ai", title="Docs"),
            OnlineDriveSource(id="f-1", type="file", bucket="b"),
            {"custom": {"nested": [1, 2]}},
        ],
        start_node_id="1751336942081",
    )
    assert call.request == HttpRequest(
        "POST",
        f"/datasets/{DATASET}/pipeline/run",
        json={
            "inputs": {},
            "datasource_type": "local_file",
            "datasource_info_list": [
                {"reference": UPLOADED["id"], "name": "faq.md"},
                {"reference": "file-2"},
                {
                    "workspace_id": "ws-1",
                    "page": {"page_id": "p-1", "type": "page", "page_name": "Roadmap"},
                },
                {"url": "https://docs.dify.ai", "title": "Docs"},
                {"id": "f-1", "type": "file", "bucket": "b"},
                {"custom": {"nested": [1, 2]}},
            ],
            "start_node_id": "1751336942081",
            "is_published": True,
            "response_mode": "blocking",
        },
    )
    assert describe(call) == ("pipeline.run", "knowledge", False)
    run = call.parse(json_answer(RUN))
    assert isinstance(run, WorkflowRun)
    assert dumped(run) == RUN


def test_stream_pipeline_reads_workflow_events() -> None:
    """The streaming run sends the same body in streaming mode and reads workflow events."""
    call = pipeline.stream_pipeline(
        DATASET,
        datasource_type="website_crawl",
        datasource_info_list=[WebsiteCrawlSource(url="https://docs.dify.ai")],
        start_node_id="crawl",
        inputs={"depth": 1},
        is_published=False,
    )
    assert isinstance(call, StreamCall)
    assert call.request == HttpRequest(
        "POST",
        f"/datasets/{DATASET}/pipeline/run",
        json={
            "inputs": {"depth": 1},
            "datasource_type": "website_crawl",
            "datasource_info_list": [{"url": "https://docs.dify.ai"}],
            "start_node_id": "crawl",
            "is_published": False,
            "response_mode": "streaming",
        },
    )
    assert call.protocol is workflow_protocol()
    assert describe(call) == ("pipeline.stream", "knowledge", False)


@pytest.mark.parametrize("builder", [pipeline.run_pipeline, pipeline.stream_pipeline])
@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"dataset_id": ""}, "`dataset_id`"),
        ({"start_node_id": ""}, "`start_node_id` must not be empty"),
        ({"datasource_info_list": []}, "`datasource_info_list`"),
        ({"datasource_info_list": {"reference": "f"}}, "`datasource_info_list` must be a list"),
        (
            {"datasource_info_list": ["file-1"]},
            "must be a PipelineFile, a source model or a mapping, not str",
        ),
        ({"datasource_type": "ftp"}, "`datasource_type`"),
    ],
    ids=["no-dataset", "no-start-node", "no-sources", "lone-mapping", "bare-id", "unknown-type"],
)
def test_bad_pipeline_run_arguments_raise(
    builder: Any, fields: dict[str, Any], mentions: str
) -> None:
    """Run arguments are checked before building, naming the call and the field."""
    arguments: dict[str, Any] = {
        "dataset_id": DATASET,
        "datasource_type": "local_file",
        "datasource_info_list": [LocalFileSource(reference="f")],
        "start_node_id": "n",
        **fields,
    }
    dataset_id = arguments.pop("dataset_id")
    with pytest.raises(InvalidRequestError, match=mentions):
        builder(dataset_id, **arguments)
