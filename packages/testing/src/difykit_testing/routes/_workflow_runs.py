"""Stored runs and their streams: run details, logs, resumption, and Human Input forms."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any, Literal

import anyio
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import now
from difykit_testing._requests import app_for, emulator_state, json_body, require_workflow_app
from difykit_testing._runs import (
    is_terminal,
    resume_after_form,
    run_detail_json,
    run_finished_event,
)
from difykit_testing._sse import event_stream
from difykit_testing._state import AppState, HumanInputFormState, WorkflowRunState
from difykit_testing.routes._common import json_user, query_model, query_user

__all__ = ["HumanInputFormSubmitPayload", "WorkflowLogQuery", "routes"]

_LIVE = ("running", "paused")
_IDLE_CLOSE = 300.0
"""Seconds without an event after which the resume stream closes (Dify's relay)."""
_POLL = 0.02
_SNAPSHOT = frozenset({"workflow_started", "node_started", "node_finished", "node_retry"})


class WorkflowLogQuery(BaseModel):
    """Query of ``GET /workflows/logs``."""

    keyword: str | None = None
    status: Literal["succeeded", "failed", "stopped"] | None = None
    created_at__before: datetime | None = None
    created_at__after: datetime | None = None
    created_by_end_user_session_id: str | None = None
    created_by_account: str | None = None
    page: int = Field(default=1, ge=1, le=99999)
    limit: int = Field(default=20, ge=1, le=100)


class HumanInputFormSubmitPayload(BaseModel):
    """Body of ``POST /form/human_input/{form_token}`` (``user`` is read before it)."""

    inputs: dict[str, Any]
    action: str


def _run_of(app: AppState, request: Request, message: str) -> WorkflowRunState:
    run = app.runs.get(str(request.path_params["workflow_run_id"]))
    if run is None:
        raise DifyHTTPError(404, "not_found", message)
    return run


async def get_run(request: Request) -> JSONResponse:
    """``GET /workflows/run/{workflow_run_id}`` (workflow and chatflow apps)."""
    app = app_for(request)
    require_workflow_app(app, chatflow_too=True)
    return JSONResponse(run_detail_json(_run_of(app, request, "Workflow run not found.")))


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def _matches(app: AppState, run: WorkflowRunState, query: WorkflowLogQuery) -> bool:
    if query.status is not None and run.status != query.status:
        return False
    if query.created_at__before is not None and run.created_at > _epoch(query.created_at__before):
        return False
    if query.created_at__after is not None and run.created_at < _epoch(query.created_at__after):
        return False
    session = query.created_by_end_user_session_id
    if session is not None and run.user != session:
        return False
    if query.keyword:
        haystack = json.dumps([run.inputs, run.outputs], ensure_ascii=False) + run.user
        return query.keyword.lower() in haystack.lower()
    return True


def _log_json(app: AppState, run: WorkflowRunState) -> dict[str, Any]:
    end_user = app.end_users.get(run.user)
    return {
        "id": run.log_id,
        "workflow_run": {
            "id": run.id,
            "version": app.workflow_version,
            "status": run.status,
            "triggered_from": "app-run",
            "error": run.error,
            "elapsed_time": run.elapsed_time,
            "total_tokens": run.total_tokens,
            "total_steps": run.total_steps,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "exceptions_count": run.exceptions_count,
        },
        "details": None,
        "created_from": "service-api",
        "created_by_role": "end_user",
        "created_by_account": None,
        "created_by_end_user": {
            "id": end_user.id if end_user else run.created_by,
            "type": "service-api",
            "is_anonymous": False,
            "session_id": run.user,
        },
        "created_at": run.finished_at or run.created_at,
    }


async def list_logs(request: Request) -> JSONResponse:
    """``GET /workflows/logs``: the workflow app's runs, newest first, numbered pages."""
    app = app_for(request)
    require_workflow_app(app, chatflow_too=True)
    query = query_model(request, WorkflowLogQuery)
    if query.created_by_account:
        raise DifyHTTPError(400, "invalid_param", f"Account not found: {query.created_by_account}")
    runs = [r for r in app.runs.values() if r.mode == "workflow" and _matches(app, r, query)]
    runs = [r for _, r in sorted(enumerate(runs), key=lambda p: (p[1].created_at, p[0]))][::-1]
    start = (query.page - 1) * query.limit
    page = runs[start : start + query.limit]
    return JSONResponse(
        {
            "page": query.page,
            "limit": query.limit,
            "total": len(runs),
            "has_more": start + query.limit < len(runs),
            "data": [_log_json(app, r) for r in page],
        }
    )


async def _one(event: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield event


async def _follow(
    run: WorkflowRunState, start: int, *, snapshot: bool, continue_on_pause: bool
) -> AsyncIterator[dict[str, Any]]:
    """The run's events from ``start`` on, waiting for new ones until a terminal event."""
    if snapshot:
        for event in run.events[:start]:
            if event.get("event") in _SNAPSHOT:
                yield event
    index, idle_since = start, time.monotonic()
    while True:
        if index < len(run.events):
            event = run.events[index]
            index += 1
            run.delivered = max(run.delivered, index)
            idle_since = time.monotonic()
            yield event
            if is_terminal(event, continue_on_pause=continue_on_pause):
                return
            continue
        if run.status not in _LIVE or time.monotonic() - idle_since > _IDLE_CLOSE:
            return
        await anyio.sleep(_POLL)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() == "true"


async def workflow_events(request: Request) -> Response:
    """``GET /workflow/{workflow_run_id}/events``: follow a run again (reconnect or resume)."""
    app = app_for(request)
    user = query_user(request, app, required=True)
    require_workflow_app(app, chatflow_too=True)
    run = _run_of(app, request, "Workflow run not found")
    if run.user != user:
        raise DifyHTTPError(404, "not_found", "Workflow run not found")
    faults = emulator_state(request).faults
    if run.status not in _LIVE and run.delivered >= len(run.events):
        return event_stream(_one(run_finished_event(run, app)), faults=faults, initial_ping=False)
    events = _follow(
        run,
        run.delivered,
        snapshot=_flag(request, "include_state_snapshot"),
        continue_on_pause=_flag(request, "continue_on_pause"),
    )
    return event_stream(events, faults=faults, initial_ping=True)


def _form_of(app: AppState, request: Request) -> HumanInputFormState:
    form = app.forms.get(str(request.path_params["form_token"]))
    if form is None:
        raise DifyHTTPError(404, "not_found", "Form not found")
    if form.submitted:
        raise DifyHTTPError(
            412,
            "human_input_form_submitted",
            f"This form has already been submitted by another user, form_id={form.id}",
        )
    if form.expiration_time < now():
        raise DifyHTTPError(
            412, "human_input_form_expired", f"This form has expired, form_id={form.id}"
        )
    return form


async def get_form(request: Request) -> JSONResponse:
    """``GET /form/human_input/{form_token}``: the form a paused run waits on."""
    app = app_for(request)
    form = _form_of(app, request)
    return JSONResponse(
        {
            "form_content": form.form_content,
            "inputs": form.inputs,
            "resolved_default_values": form.resolved_default_values,
            "user_actions": form.actions,
            "expiration_time": form.expiration_time,
        }
    )


async def submit_form(request: Request) -> JSONResponse:
    """``POST /form/human_input/{form_token}``: answer the form; the run goes on at once."""
    app = app_for(request)
    await json_user(request, app, required=True)
    payload = await json_body(request, HumanInputFormSubmitPayload)
    form = _form_of(app, request)
    action = next((a for a in form.actions if a.get("id") == payload.action), None)
    if action is None:
        raise DifyHTTPError(400, "invalid_form_data", f"Invalid action: {payload.action}")
    names = [str(i.get("output_variable_name")) for i in form.inputs]
    missing = [name for name in names if payload.inputs.get(name) is None]
    if missing:
        raise DifyHTTPError(
            400, "invalid_form_data", f"Missing required inputs: {', '.join(missing)}"
        )
    values = {name: payload.inputs[name] for name in names}
    resume_after_form(
        app, form, action=action, values=values, split=emulator_state(request).faults.split
    )
    return JSONResponse({})


def routes() -> list[BaseRoute]:
    """The routes of stored runs and Human Input forms."""
    return [
        Route("/workflows/run/{workflow_run_id}", get_run, methods=["GET"]),
        Route("/workflows/logs", list_logs, methods=["GET"]),
        Route("/workflow/{workflow_run_id}/events", workflow_events, methods=["GET"]),
        Route("/form/human_input/{form_token}", get_form, methods=["GET"]),
        Route("/form/human_input/{form_token}", submit_form, methods=["POST"]),
    ]
