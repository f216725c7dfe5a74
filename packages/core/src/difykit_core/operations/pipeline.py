"""Builders for knowledge pipelines (dataset key): upload a file, list datasource nodes, run.

``run`` waits for the whole pipeline (blocking JSON); ``stream`` reads the same run as
workflow events (``workflow_started``, ``node_*``, ``workflow_finished``). A datasource node
run streams its own events: ``datasource_processing`` … ``datasource_completed`` (or
``datasource_error``, raised as ``DifyStreamError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Literal, TypeAlias, cast

from pydantic import Field, TypeAdapter

from difykit_core._call import Call, StreamCall
from difykit_core._http import HttpRequest, HttpResponse
from difykit_core._json import JsonObject, JsonValue
from difykit_core._stream import StreamIds, StreamProtocol
from difykit_core.errors import InvalidRequestError, StreamInterruptedError
from difykit_core.models._base import RequestModel
from difykit_core.models.events import BaseEvent, WorkflowEvent
from difykit_core.models.knowledge.pipeline import (
    DatasourceCompletedEvent,
    DatasourceEvent,
    DatasourcePlugin,
    DatasourceType,
    LocalFileSource,
    OnlineDocumentSource,
    OnlineDriveSource,
    PipelineFile,
    WebsiteCrawlSource,
)
from difykit_core.models.workflow import WorkflowRun
from difykit_core.operations._build import Upload, file_part, model_parser, path, require
from difykit_core.operations._generate import workflow_protocol
from difykit_core.operations._knowledge import as_list, body, knowledge_call

__all__ = [
    "DatasourceCollector",
    "DatasourceInfo",
    "DatasourceNodeRunRequest",
    "PipelineRunRequest",
    "datasource_protocol",
    "list_datasource_plugins",
    "run_datasource_node",
    "run_pipeline",
    "stream_pipeline",
    "upload_pipeline_file",
]

DatasourceInfo: TypeAlias = (
    PipelineFile
    | LocalFileSource
    | OnlineDocumentSource
    | WebsiteCrawlSource
    | OnlineDriveSource
    | Mapping[str, JsonValue]
)
"""One item of ``datasource_info_list``: an uploaded :class:`PipelineFile`, a typed source, or
a mapping for a shape a datasource plugin defines."""


class DatasourceNodeRunRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/pipeline/datasource/nodes/{node_id}/run``."""

    inputs: JsonObject
    datasource_type: DatasourceType
    is_published: bool
    credential_id: str | None = None


class PipelineRunRequest(RequestModel):
    """Body of ``POST /datasets/{dataset_id}/pipeline/run``."""

    inputs: JsonObject
    datasource_type: DatasourceType
    datasource_info_list: list[JsonObject] = Field(min_length=1)
    start_node_id: str = Field(min_length=1)
    is_published: bool
    response_mode: Literal["blocking", "streaming"]


class DatasourceCollector:
    """Collects a datasource node stream into its ``datasource_completed`` event."""

    __slots__ = ("_completed",)

    def __init__(self) -> None:
        self._completed: DatasourceCompletedEvent | None = None

    def add(self, event: BaseEvent) -> None:
        """Take one event into account."""
        if isinstance(event, DatasourceCompletedEvent):
            self._completed = event

    def result(self, ids: StreamIds) -> DatasourceCompletedEvent:
        """The completed event, with the datasource's ``data``."""
        if self._completed is None:
            raise StreamInterruptedError("the datasource stream ended without datasource_completed")
        return self._completed


@cache
def datasource_protocol() -> StreamProtocol[DatasourceEvent, DatasourceCompletedEvent]:
    """How datasource node streams are read."""
    return StreamProtocol("datasource", DatasourceEvent, DatasourceCollector)


_parse_file = model_parser(PipelineFile)
_parse_run = model_parser(WorkflowRun)
_TYPED_SOURCES = (LocalFileSource, OnlineDocumentSource, WebsiteCrawlSource, OnlineDriveSource)


@cache
def _plugins_adapter() -> TypeAdapter[list[DatasourcePlugin]]:
    return TypeAdapter(list[DatasourcePlugin])


def _parse_plugins(response: HttpResponse) -> list[DatasourcePlugin]:
    return _plugins_adapter().validate_json(response.content)


def _source(operation: str, item: DatasourceInfo) -> JsonObject:
    if isinstance(item, PipelineFile):
        item = item.to_source()
    if isinstance(item, _TYPED_SOURCES):
        return item.model_dump(mode="json", exclude_none=True)
    if isinstance(cast(object, item), Mapping):  # callers may not be type-checked
        return dict(item)
    raise InvalidRequestError(
        f"{operation}: each datasource item must be a PipelineFile, a source model or a "
        f"mapping, not {type(item).__name__}"
    )


def upload_pipeline_file(
    file: Upload, *, filename: str | None = None, content_type: str | None = None
) -> Call[PipelineFile]:
    """Upload a file for a pipeline run (``POST /datasets/pipeline/file-upload``).

    Pass the result in ``datasource_info_list`` of ``pipeline.run`` (``local_file``).

    Args:
        file: Bytes, a path, or an open binary file.
        filename: The name Dify stores (default: the path's or file object's name).
        content_type: The MIME type (default: guessed from the name).
    """
    part = file_part(file, filename=filename, content_type=content_type)
    return Call(
        operation="pipeline.upload_file",
        request=HttpRequest(
            method="POST", path="/datasets/pipeline/file-upload", files=(("file", part),)
        ),
        parser=_parse_file,
        key_family="knowledge",
    )


def list_datasource_plugins(
    dataset_id: str, *, is_published: bool = True
) -> Call[list[DatasourcePlugin]]:
    """The datasource nodes of a knowledge base's pipeline (``GET …/pipeline/datasource-plugins``).

    Args:
        dataset_id: The knowledge base's id.
        is_published: Read the published pipeline (default) or the draft. Dify parses this
            flag so that any non-empty value means true, so the draft is asked for with an
            empty value.
    """
    require("pipeline.datasource_plugins", dataset_id=dataset_id)
    return knowledge_call(
        "pipeline.datasource_plugins",
        "GET",
        path("/datasets/{id}/pipeline/datasource-plugins", id=dataset_id),
        _parse_plugins,
        params=() if is_published else (("is_published", ""),),
    )


def run_datasource_node(
    dataset_id: str,
    node_id: str,
    *,
    inputs: Mapping[str, JsonValue],
    datasource_type: DatasourceType,
    is_published: bool = True,
    credential_id: str | None = None,
) -> StreamCall[DatasourceEvent, DatasourceCompletedEvent]:
    """Run one datasource node and stream its events (``POST …/datasource/nodes/{node_id}/run``).

    ``collect()`` returns the ``datasource_completed`` event; its ``data`` is what the
    datasource found (pages, files, crawled sites), to pick items for ``pipeline.run`` from.

    Args:
        dataset_id: The knowledge base's id.
        node_id: The datasource node (``node_id`` of ``pipeline.datasource_plugins``).
        inputs: Values for the node's input variables.
        datasource_type: ``online_document``, ``local_file``, ``website_crawl`` or
            ``online_drive``.
        is_published: Run the published pipeline (default) or the draft.
        credential_id: The credential to use (from ``pipeline.datasource_plugins``).
    """
    operation = "pipeline.run_datasource_node"
    require(operation, dataset_id=dataset_id, node_id=node_id)
    fields = body(
        DatasourceNodeRunRequest,
        operation,
        inputs=inputs,
        datasource_type=datasource_type,
        is_published=is_published,
        credential_id=credential_id,
    )
    return StreamCall(
        operation=operation,
        request=HttpRequest(
            method="POST",
            path=path(
                "/datasets/{id}/pipeline/datasource/nodes/{node}/run", id=dataset_id, node=node_id
            ),
            json=fields,
        ),
        protocol=datasource_protocol(),
        key_family="knowledge",
    )


def _run_body(
    operation: str,
    inputs: Mapping[str, JsonValue] | None,
    datasource_type: DatasourceType,
    datasource_info_list: Sequence[DatasourceInfo],
    start_node_id: str,
    is_published: bool,
    response_mode: Literal["blocking", "streaming"],
) -> JsonObject:
    items = as_list(operation, "datasource_info_list", datasource_info_list)
    return body(
        PipelineRunRequest,
        operation,
        inputs=inputs if inputs is not None else {},
        datasource_type=datasource_type,
        datasource_info_list=[_source(operation, item) for item in items],
        start_node_id=start_node_id,
        is_published=is_published,
        response_mode=response_mode,
    )


def run_pipeline(
    dataset_id: str,
    *,
    datasource_type: DatasourceType,
    datasource_info_list: Sequence[DatasourceInfo],
    start_node_id: str,
    inputs: Mapping[str, JsonValue] | None = None,
    is_published: bool = True,
) -> Call[WorkflowRun]:
    """Run a knowledge pipeline and wait for it (``POST …/pipeline/run``, blocking).

    Any failure comes back as ``ServerError`` with code ``pipeline_run_error``.

    Args:
        dataset_id: The knowledge base's id.
        datasource_type: ``local_file``, ``online_document``, ``website_crawl`` or
            ``online_drive``.
        datasource_info_list: What to ingest: uploaded :class:`PipelineFile` objects, source
            models, or mappings of a plugin's own shape.
        start_node_id: The datasource node to start from.
        inputs: Values for the pipeline's input variables.
        is_published: Run the published pipeline (default) or the draft.
    """
    operation = "pipeline.run"
    require(operation, dataset_id=dataset_id)
    fields = _run_body(
        operation,
        inputs,
        datasource_type,
        datasource_info_list,
        start_node_id,
        is_published,
        "blocking",
    )
    return knowledge_call(
        operation,
        "POST",
        path("/datasets/{id}/pipeline/run", id=dataset_id),
        _parse_run,
        json=fields,
        replayable=False,
    )


def stream_pipeline(
    dataset_id: str,
    *,
    datasource_type: DatasourceType,
    datasource_info_list: Sequence[DatasourceInfo],
    start_node_id: str,
    inputs: Mapping[str, JsonValue] | None = None,
    is_published: bool = True,
) -> StreamCall[WorkflowEvent, WorkflowRun]:
    """Run a knowledge pipeline and stream its workflow events (``POST …/pipeline/run``).

    ``collect()`` gives the same :class:`WorkflowRun` as ``run``.

    Args:
        dataset_id: The knowledge base's id.
        datasource_type: ``local_file``, ``online_document``, ``website_crawl`` or
            ``online_drive``.
        datasource_info_list: What to ingest: uploaded :class:`PipelineFile` objects, source
            models, or mappings of a plugin's own shape.
        start_node_id: The datasource node to start from.
        inputs: Values for the pipeline's input variables.
        is_published: Run the published pipeline (default) or the draft.
    """
    operation = "pipeline.stream"
    require(operation, dataset_id=dataset_id)
    fields = _run_body(
        operation,
        inputs,
        datasource_type,
        datasource_info_list,
        start_node_id,
        is_published,
        "streaming",
    )
    return StreamCall(
        operation=operation,
        request=HttpRequest(
            method="POST", path=path("/datasets/{id}/pipeline/run", id=dataset_id), json=fields
        ),
        protocol=workflow_protocol(),
        key_family="knowledge",
    )
