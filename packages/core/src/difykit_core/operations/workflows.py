"""Builders for workflow apps: run, stream, stop, resume, and stored runs and logs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from difykit_core._call import Call, StreamCall
from difykit_core._http import HttpRequest
from difykit_core._json import JsonObject
from difykit_core.models._base import RequestModel
from difykit_core.models.pages import Page
from difykit_core.models.workflow import WorkflowLog, WorkflowRun, WorkflowRunDetail

from ._build import (
    FileInput,
    Inputs,
    build_body,
    call,
    model_parser,
    numbered_next,
    path,
    query,
    require,
    serialize_inputs,
)
from ._generate import generation_call, generation_stream, stop_call, workflow_protocol

if TYPE_CHECKING:
    from difykit_core.models.events import WorkflowEvent

__all__ = [
    "WorkflowRequest",
    "get_run",
    "list_logs",
    "resume_workflow",
    "run_workflow",
    "stop_workflow",
    "stream_workflow",
]

LogStatus = Literal["succeeded", "failed", "stopped"]


class WorkflowRequest(RequestModel):
    """Body of ``POST /workflows/run`` (the builder adds ``response_mode`` and ``files``)."""

    user: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)  # JSON-checked by serialize_inputs
    """Required by Dify, even empty."""


def _url(operation: str, workflow_id: str | None) -> str:
    if workflow_id is None:
        return "/workflows/run"
    require(operation, workflow_id=workflow_id)
    return path("/workflows/{workflow_id}/run", workflow_id=workflow_id)


def _body(operation: str, user: str, inputs: Inputs | None) -> JsonObject:
    body = build_body(
        WorkflowRequest, operation, {"user": user, "inputs": serialize_inputs(inputs)}
    )
    return body.model_dump(mode="json")


_parse_run = model_parser(WorkflowRun)
_parse_detail = model_parser(WorkflowRunDetail)
_parse_logs = model_parser(Page[WorkflowLog])


def run_workflow(
    *,
    user: str,
    inputs: Inputs | None = None,
    files: Sequence[FileInput] | None = None,
    workflow_id: str | None = None,
) -> Call[WorkflowRun]:
    """Run the workflow and wait for it to end (``POST /workflows/run``, blocking).

    A failed run is not an error: check ``result.status`` (``succeeded``, ``failed``,
    ``partial-succeeded``, ``stopped``, ``paused``…) and ``result.data.error``.

    Args:
        user: Your id for the end user; files are scoped to it.
        inputs: Values for the workflow's input variables (``{}`` is sent when left out).
        files: Legacy top-level files (``sys.files``); prefer file variables in ``inputs``.
        workflow_id: Run this published version (``POST /workflows/{workflow_id}/run``).
    """
    url = _url("workflows.run", workflow_id)
    body = _body("workflows.run", user, inputs)
    return generation_call("workflows.run", url, body, files, user, _parse_run)


def stream_workflow(
    *,
    user: str,
    inputs: Inputs | None = None,
    files: Sequence[FileInput] | None = None,
    workflow_id: str | None = None,
) -> StreamCall[WorkflowEvent, WorkflowRun]:
    """Run the workflow and stream its events (``POST /workflows/run``).

    The stream ends at ``workflow_finished`` (whatever its status: a failed node is not an
    ``error`` event) or at ``workflow_paused`` (a Human Input form waits; see ``resume``).

    Args:
        user: Your id for the end user; files and resumption are scoped to it.
        inputs: Values for the workflow's input variables (``{}`` is sent when left out).
        files: Legacy top-level files (``sys.files``); prefer file variables in ``inputs``.
        workflow_id: Run this published version (``POST /workflows/{workflow_id}/run``).
    """
    url = _url("workflows.stream", workflow_id)
    body = _body("workflows.stream", user, inputs)
    return generation_stream("workflows.stream", url, body, files, user, workflow_protocol())


def stop_workflow(task_id: str, *, user: str) -> Call[None]:
    """Stop a streaming workflow run (``POST /workflows/tasks/{task_id}/stop``).

    Dify answers success even for unknown or finished tasks. The stream then ends with
    ``workflow_finished`` (status ``failed`` or ``stopped``, depending on the Dify version).

    Args:
        task_id: The stream's ``task_id``.
        user: The end user who started it.
    """
    require("workflows.stop", task_id=task_id)
    return stop_call(
        "workflows.stop", path("/workflows/tasks/{task_id}/stop", task_id=task_id), user
    )


def get_run(workflow_run_id: str) -> Call[WorkflowRunDetail]:
    """Get a stored workflow run: status, inputs, outputs, timing (``GET /workflows/run/{id}``).

    Args:
        workflow_run_id: The run's id (``workflow_run_id`` of a run or stream).
    """
    require("workflows.get_run", workflow_run_id=workflow_run_id)
    return call(
        "workflows.get_run",
        "GET",
        path("/workflows/run/{workflow_run_id}", workflow_run_id=workflow_run_id),
        _parse_detail,
    )


def _iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def list_logs(
    *,
    keyword: str | None = None,
    status: LogStatus | None = None,
    created_at__before: datetime | str | None = None,
    created_at__after: datetime | str | None = None,
    created_by_end_user_session_id: str | None = None,
    created_by_account: str | None = None,
    page: int | None = None,
    limit: int | None = None,
) -> Call[Page[WorkflowLog]]:
    """List the app's workflow runs, newest first (``GET /workflows/logs``).

    Iterating the returned page walks the following pages.

    Args:
        keyword: Search the runs' inputs and outputs.
        status: ``succeeded``, ``failed`` or ``stopped``.
        created_at__before: Only runs created before this time (ISO 8601 or a datetime).
        created_at__after: Only runs created after this time (ISO 8601 or a datetime).
        created_by_end_user_session_id: Only runs of this end user (your ``user`` string).
        created_by_account: Only runs of this console account (its email).
        page: The page number, from 1.
        limit: Page size, 1 to 100 (Dify's default: 20).
    """

    def fetch(number: int) -> Call[Page[WorkflowLog]]:
        return list_logs(
            keyword=keyword,
            status=status,
            created_at__before=created_at__before,
            created_at__after=created_at__after,
            created_by_end_user_session_id=created_by_end_user_session_id,
            created_by_account=created_by_account,
            page=number,
            limit=limit,
        )

    return call(
        "workflows.logs",
        "GET",
        "/workflows/logs",
        _parse_logs,
        params=query(
            keyword=keyword,
            status=status,
            created_at__before=_iso(created_at__before),
            created_at__after=_iso(created_at__after),
            created_by_end_user_session_id=created_by_end_user_session_id,
            created_by_account=created_by_account,
            page=page,
            limit=limit,
        ),
        next_page=numbered_next(fetch),
    )


def resume_workflow(
    workflow_run_id: str,
    *,
    user: str,
    include_state_snapshot: bool | None = None,
    continue_on_pause: bool | None = None,
) -> StreamCall[WorkflowEvent, WorkflowRun]:
    """Follow a run's events again: reconnect, or resume after a Human Input form.

    ``GET /workflow/{workflow_run_id}/events``. For a run that already ended, Dify sends just
    its ``workflow_finished``. Dify 1.13 and older have no such route (404).

    Args:
        workflow_run_id: The run's id.
        user: The end user who started the run.
        include_state_snapshot: First replay the state of the nodes that already ran.
        continue_on_pause: Keep streaming across further ``workflow_paused`` events; the
            stream then ends only at ``workflow_finished``.
    """
    require("workflows.resume", workflow_run_id=workflow_run_id, user=user)
    protocol = workflow_protocol(stop_on_pause=not continue_on_pause)
    return StreamCall(
        operation="workflows.resume",
        request=HttpRequest(
            method="GET",
            path=path("/workflow/{workflow_run_id}/events", workflow_run_id=workflow_run_id),
            query=query(
                user=user,
                include_state_snapshot=include_state_snapshot,
                continue_on_pause=continue_on_pause,
            ),
        ),
        protocol=protocol,
        user=user,
        replayable=True,
    )
