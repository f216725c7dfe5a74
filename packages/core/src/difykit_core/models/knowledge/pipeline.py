"""Knowledge pipelines: uploaded files, datasource nodes, datasource inputs and stream events."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias, cast

from pydantic import Discriminator, Field, Tag

from difykit_core._json import JsonValue
from difykit_core.models._base import DifyModel, RequestModel
from difykit_core.models.events import BaseEvent, UnknownEvent, event_names

__all__ = [
    "DatasourceCompletedEvent",
    "DatasourceCredential",
    "DatasourceErrorEvent",
    "DatasourceEvent",
    "DatasourcePlugin",
    "DatasourceProcessingEvent",
    "DatasourceType",
    "LocalFileSource",
    "OnlineDocumentPage",
    "OnlineDocumentSource",
    "OnlineDriveSource",
    "PipelineFile",
    "WebsiteCrawlSource",
]

DatasourceType: TypeAlias = Literal[
    "local_file", "online_document", "website_crawl", "online_drive"
]
"""The kind of datasource a pipeline reads from."""


class PipelineFile(DifyModel):
    """A file uploaded for a knowledge pipeline (``pipeline.upload_file``).

    Pass it in ``datasource_info_list`` of ``pipeline.run`` (it becomes a local-file source).
    ``created_at`` is an ISO 8601 string here, unlike most Dify times.
    """

    id: str
    name: str | None = None
    size: int | None = None
    extension: str | None = None
    mime_type: str | None = None
    created_by: str | None = None
    created_at: str | int | None = None

    def to_source(self) -> LocalFileSource:
        """The local-file datasource item that points at this file."""
        return LocalFileSource(reference=self.id, name=self.name)


class DatasourceCredential(DifyModel):
    """A credential a datasource node can authenticate with."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    is_default: bool | None = None


class DatasourcePlugin(DifyModel):
    """A datasource node of a knowledge pipeline (``pipeline.datasource_plugins``).

    ``node_id`` is what ``pipeline.run_datasource_node`` takes and ``pipeline.run`` takes as
    ``start_node_id``.
    """

    node_id: str | None = None
    plugin_id: str | None = None
    provider_name: str | None = None
    datasource_type: str | None = None
    title: str | None = None
    user_input_variables: list[dict[str, JsonValue]] = Field(default_factory=list)
    credentials: list[DatasourceCredential] = Field(default_factory=list)


# --- datasource items of pipeline.run (request) --------------------------------------------


class LocalFileSource(RequestModel):
    """A file uploaded with ``pipeline.upload_file``."""

    reference: str = Field(min_length=1)
    """The uploaded file's id."""
    name: str | None = None
    """The document's title (Dify's default: ``untitled``)."""


class OnlineDocumentPage(RequestModel):
    """A page of an online document platform (e.g. Notion)."""

    page_id: str = Field(min_length=1)
    type: str = Field(min_length=1)
    """The page type the plugin defines (``page``, ``database``…)."""
    page_name: str | None = None


class OnlineDocumentSource(RequestModel):
    """A page of an online document platform."""

    workspace_id: str = Field(min_length=1)
    page: OnlineDocumentPage
    credential_id: str | None = None


class WebsiteCrawlSource(RequestModel):
    """A web page to crawl."""

    url: str = Field(min_length=1)
    title: str | None = None


class OnlineDriveSource(RequestModel):
    """A file or folder of an online drive."""

    id: str = Field(min_length=1)
    type: Literal["file", "folder"]
    bucket: str | None = None
    name: str | None = None


# --- datasource node stream events ---------------------------------------------------------


class DatasourceProcessingEvent(BaseEvent):
    """A datasource node is working: ``completed`` of ``total`` items so far."""

    event: Literal["datasource_processing"] = "datasource_processing"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    total: int | None = None
    completed: int | None = None


class DatasourceCompletedEvent(BaseEvent):
    """A datasource node finished; ``data`` is what the datasource plugin returned.

    Its shape is the plugin's (an online-document plugin lists workspaces and their pages).
    """

    event: Literal["datasource_completed"] = "datasource_completed"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    data: JsonValue = None
    total: int | None = None
    completed: int | None = None
    time_consuming: float | None = None


class DatasourceErrorEvent(BaseEvent):
    """A datasource node failed; the stream raises ``DifyStreamError`` with ``error``."""

    event: Literal["datasource_error"] = "datasource_error"  # pyright: ignore[reportIncompatibleVariableOverride]  # tag (see BaseEvent)
    error: str = ""


_DATASOURCE_EVENTS = event_names(
    DatasourceProcessingEvent, DatasourceCompletedEvent, DatasourceErrorEvent
)


def _event_tag(value: Any) -> str:
    name = (
        cast("dict[str, Any]", value).get("event")
        if isinstance(value, dict)
        else getattr(value, "event", None)
    )
    return name if name in _DATASOURCE_EVENTS else "unknown"


DatasourceEvent: TypeAlias = Annotated[
    Annotated[DatasourceProcessingEvent, Tag("datasource_processing")]
    | Annotated[DatasourceCompletedEvent, Tag("datasource_completed")]
    | Annotated[DatasourceErrorEvent, Tag("datasource_error")]
    | Annotated[UnknownEvent, Tag("unknown")],
    Discriminator(_event_tag),
]
"""Events of a datasource node run (``pipeline.run_datasource_node``)."""
