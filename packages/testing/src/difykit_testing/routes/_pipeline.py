"""Knowledge pipelines: file upload, datasource nodes, a datasource node run, a pipeline run.

Every emulated dataset has the same small published pipeline: a ``local-file`` datasource
node (files from ``/datasets/pipeline/file-upload``) and a ``website-crawl`` node, each
followed by a knowledge-index node. A run turns each datasource item into a document of the
dataset (one batch for the run), indexed like any other document.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import new_id, now
from difykit_testing._knowledge_state import (
    DOCUMENT_EXTENSIONS,
    Dataset,
    Document,
    KnowledgeFile,
    KnowledgeState,
    ProcessRule,
)
from difykit_testing._requests import emulator_state, json_body
from difykit_testing._sse import event_stream
from difykit_testing.routes._knowledge_views import dataset_for, knowledge

__all__ = ["routes"]

DatasourceType = Literal["online_document", "local_file", "website_crawl", "online_drive"]
_UPLOAD_LIMIT = 15 * 1024 * 1024
_PLUGINS: list[dict[str, Any]] = [
    {
        "node_id": "local-file",
        "plugin_id": "langgenius/file",
        "provider_name": "file",
        "datasource_type": "local_file",
        "title": "File Upload",
        "user_input_variables": [],
        "credentials": [],
    },
    {
        "node_id": "website-crawl",
        "plugin_id": "langgenius/firecrawl_datasource",
        "provider_name": "firecrawl",
        "datasource_type": "website_crawl",
        "title": "Website Crawl",
        "user_input_variables": [
            {"variable": "url", "label": "URL", "type": "text-input", "required": True}
        ],
        "credentials": [
            {"id": "emulated-credential", "name": "Emulated", "type": "api-key", "is_default": True}
        ],
    },
]


class DatasourceNodeRunApiEntity(BaseModel):
    inputs: dict[str, Any]
    datasource_type: DatasourceType
    credential_id: str | None = None
    is_published: bool


class PipelineRunApiEntity(BaseModel):
    inputs: dict[str, Any]
    datasource_type: DatasourceType
    datasource_info_list: list[dict[str, Any]]
    start_node_id: str
    is_published: bool
    response_mode: Literal["streaming", "blocking"]


class _RunFailed(Exception):
    pass


def _iso(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


async def upload_file(request: Request) -> JSONResponse:
    """``POST /datasets/pipeline/file-upload``: 201 with an ISO ``created_at``."""
    state = knowledge(request)
    async with request.form() as form:
        parts = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
        if not any(key == "file" for key, _ in parts):
            raise DifyHTTPError(400, "no_file_uploaded", "Please upload your file.")
        if len(parts) > 1:
            raise DifyHTTPError(400, "too_many_files", "Only one file is allowed.")
        part = parts[0][1]
        if not part.filename:
            raise DifyHTTPError(
                400, "filename_not_exists_error", "The specified filename does not exist."
            )
        content = await part.read()
    stored = KnowledgeFile(
        name=part.filename,
        content=content,
        mime_type=part.content_type or "application/octet-stream",
        created_by=state.owner_id,
    )
    if stored.extension not in DOCUMENT_EXTENSIONS:
        raise DifyHTTPError(415, "unsupported_file_type", "File type not allowed.")
    if len(content) > _UPLOAD_LIMIT:
        raise DifyHTTPError(413, "file_too_large", "File size exceeded.")
    state.files[stored.id] = stored
    body = {
        "id": stored.id,
        "name": stored.name,
        "size": len(content),
        "extension": stored.extension,
        "mime_type": stored.mime_type,
        "created_by": stored.created_by,
        "created_at": _iso(stored.created_at),
    }
    return JSONResponse(body, status_code=201)


async def datasource_plugins(request: Request) -> JSONResponse:
    """``GET …/pipeline/datasource-plugins``: a bare array of datasource nodes."""
    dataset_for(request)
    return JSONResponse(_PLUGINS)


def _node(node_id: str) -> dict[str, Any] | None:
    return next((p for p in _PLUGINS if p["node_id"] == node_id), None)


async def run_datasource_node(request: Request) -> Response:
    """``POST …/pipeline/datasource/nodes/{node_id}/run``: datasource events (SSE)."""
    state, _dataset = dataset_for(request)
    payload = await json_body(request, DatasourceNodeRunApiEntity)
    node = _node(request.path_params["node_id"])
    if node is None:
        raise DifyHTTPError(400, "invalid_param", "Datasource node not found")
    if node["datasource_type"] == "website_crawl":
        url = str(payload.inputs.get("url") or "https://example.com")
        found: list[Any] = [
            {"source_url": url, "title": url, "content": f"Crawled from {url}", "description": ""}
        ]
    else:
        found = [
            {"id": f.id, "name": f.name, "size": len(f.content), "extension": f.extension}
            for f in state.files.values()
        ]
    started = time.monotonic()

    async def events() -> AsyncIterator[Mapping[str, Any]]:
        yield {"event": "datasource_processing", "total": len(found), "completed": 0}
        yield {
            "event": "datasource_completed",
            "data": found,
            "total": len(found),
            "completed": len(found),
            "time_consuming": round(time.monotonic() - started, 6),
        }

    return event_stream(events(), faults=emulator_state(request).faults, initial_ping=False)


def _source(state: KnowledgeState, datasource_type: str, item: dict[str, Any]) -> KnowledgeFile:
    """The file a datasource item stands for."""
    if datasource_type == "local_file":
        reference = item.get("reference") or item.get("related_id")
        file = state.files.get(str(reference))
        if file is None:
            raise _RunFailed(f"file {reference} not found")
        return file
    if datasource_type == "website_crawl" and item.get("url"):
        url = str(item["url"])
        title = str(item.get("title") or "untitled")
        text = str(item.get("content") or f"{title}\nCrawled from {url}")
        return KnowledgeFile(
            name=title,
            content=text.encode(),
            mime_type="text/markdown",
            created_by=state.owner_id,
            extension="md",
        )
    raise _RunFailed(f"datasource type {datasource_type} is not supported by the emulator")


def _ingest(
    state: KnowledgeState, dataset: Dataset, payload: PipelineRunApiEntity
) -> list[Document]:
    node = _node(payload.start_node_id)
    if node is None:
        raise _RunFailed(f"start node {payload.start_node_id} not found")
    if node["datasource_type"] != payload.datasource_type:
        raise _RunFailed(f"node {node['node_id']} is a {node['datasource_type']} datasource")
    files = [_source(state, payload.datasource_type, item) for item in payload.datasource_info_list]
    if not files:
        raise _RunFailed("datasource_info_list is empty")
    dataset.indexing_technique = dataset.indexing_technique or "economy"
    rule = dataset.latest_process_rule
    if rule is None:
        rule = ProcessRule(dataset_id=dataset.id, mode="automatic", rules=None)
        dataset.process_rules.append(rule)
    documents: list[Document] = []
    for file, item in zip(files, payload.datasource_info_list, strict=True):
        name = str(item.get("name") or item.get("title") or file.name or "untitled")
        document = state.add_document(
            dataset,
            name=name,
            file=file,
            process_rule=rule,
            doc_form=dataset.doc_form or "text_model",
            doc_language="English",
        )
        document.created_from = "rag-pipeline"
        if documents:
            document.batch = documents[0].batch
        documents.append(document)
    return documents


def _outputs(dataset: Dataset, documents: list[Document]) -> dict[str, Any]:
    return {
        "dataset": {"id": dataset.id, "name": dataset.name},
        "batch": documents[0].batch,
        "documents": [
            {"id": d.id, "name": d.name, "indexing_status": d.indexing_status} for d in documents
        ],
    }


def _node_event(
    name: str, run: dict[str, Any], node_id: str, node_type: str, **data: Any
) -> dict[str, Any]:
    base = {"id": new_id(), "node_id": node_id, "node_type": node_type, "title": node_id}
    return {**run, "event": name, "data": {**base, "index": 1, "created_at": now(), **data}}


async def run_pipeline(request: Request) -> Response:
    """``POST …/pipeline/run``: blocking JSON (workflow-style) or workflow events (SSE).

    A blocking run that fails answers 500 ``pipeline_run_error``; a streamed one ends with
    ``workflow_finished`` ``failed``.
    """
    state, dataset = dataset_for(request)
    payload = await json_body(request, PipelineRunApiEntity)
    run_id, task_id, workflow_id, created = new_id(), new_id(), new_id(), now()
    started = time.monotonic()
    try:
        documents: list[Document] = _ingest(state, dataset, payload)
        error: str | None = None
    except _RunFailed as exc:
        documents, error = [], f"Pipeline execution failed: {exc}"
    finished = {
        "id": run_id,
        "workflow_id": workflow_id,
        "status": "failed" if error else "succeeded",
        "outputs": {} if error else _outputs(dataset, documents),
        "error": error,
        "elapsed_time": round(time.monotonic() - started, 6),
        "total_tokens": 0,
        "total_steps": 1 if error else 2,
        "created_at": created,
        "finished_at": now(),
    }
    if payload.response_mode == "blocking":
        if error:
            raise DifyHTTPError(500, "pipeline_run_error", error)
        return JSONResponse({"task_id": task_id, "workflow_run_id": run_id, "data": finished})
    run = {"workflow_run_id": run_id, "task_id": task_id}
    node_id = payload.start_node_id

    async def events() -> AsyncIterator[Mapping[str, Any]]:
        yield {
            **run,
            "event": "workflow_started",
            "data": {
                "id": run_id,
                "workflow_id": workflow_id,
                "inputs": payload.inputs,
                "created_at": created,
            },
        }
        yield _node_event("node_started", run, node_id, "datasource")
        status = "failed" if error else "succeeded"
        yield _node_event("node_finished", run, node_id, "datasource", status=status, error=error)
        if not error:
            yield _node_event("node_started", run, "knowledge-index", "knowledge-index")
            yield _node_event(
                "node_finished",
                run,
                "knowledge-index",
                "knowledge-index",
                status="succeeded",
                error=None,
                outputs=finished["outputs"],
            )
        yield {**run, "event": "workflow_finished", "data": {**finished, "exceptions_count": 0}}

    return event_stream(events(), faults=emulator_state(request).faults, initial_ping=True)


def routes() -> list[BaseRoute]:
    """The knowledge pipeline routes."""
    base = "/datasets/{dataset_id:uuid}/pipeline"
    return [
        Route("/datasets/pipeline/file-upload", upload_file, methods=["POST"]),
        Route(base + "/datasource-plugins", datasource_plugins, methods=["GET"]),
        Route(base + "/datasource/nodes/{node_id}/run", run_datasource_node, methods=["POST"]),
        Route(base + "/run", run_pipeline, methods=["POST"]),
    ]
