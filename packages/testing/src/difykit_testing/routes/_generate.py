"""Generation: ``/chat-messages``, ``/completion-messages``, ``/workflows/run`` and their stops.

Requests are checked in Dify's order (key, ``user``, mode gate, payload, conversation, files,
inputs) with Dify's codes and messages; answers are blocking JSON or an SSE stream that
checks its task's stop flag between events.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import BaseModel, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._inputs import resolve_files, validate_inputs
from difykit_testing._requests import (
    app_for,
    emulator_state,
    json_body,
    require_chat_app,
    require_workflow_app,
)
from difykit_testing._runs import Generation, blocking_json, start_generation
from difykit_testing._sse import event_stream
from difykit_testing._state import AppState, Conversation
from difykit_testing.routes._common import conversation_for, json_user

__all__ = [
    "ChatRequestPayload",
    "CompletionRequestPayload",
    "WorkflowRunPayload",
    "routes",
    "stream_generation",
]

_APP_UNAVAILABLE = "App unavailable, please check your app configurations."


class ChatRequestPayload(BaseModel):
    """Body of ``POST /chat-messages`` (named as Dify's, so errors read the same)."""

    inputs: dict[str, Any]
    query: str
    files: list[dict[str, Any]] | None = None
    response_mode: Literal["blocking", "streaming"] | None = None
    conversation_id: str | None = None
    retriever_from: str = "dev"
    auto_generate_name: bool = True
    workflow_id: str | None = None

    @field_validator("conversation_id", mode="before")
    @classmethod
    def normalize_conversation_id(cls, value: Any) -> Any:
        """Blank means a new conversation; anything else must be a UUID."""
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            try:
                return str(uuid.UUID(value))
            except ValueError:
                raise ValueError("conversation_id must be a valid UUID") from None
        return value


class CompletionRequestPayload(BaseModel):
    """Body of ``POST /completion-messages``."""

    inputs: dict[str, Any]
    query: str = ""
    files: list[dict[str, Any]] | None = None
    response_mode: Literal["blocking", "streaming"] | None = None
    retriever_from: str = "dev"


class WorkflowRunPayload(BaseModel):
    """Body of ``POST /workflows/run`` and ``POST /workflows/{workflow_id}/run``."""

    inputs: dict[str, Any]
    files: list[dict[str, Any]] | None = None
    response_mode: Literal["blocking", "streaming"] | None = None


def _invalid(message: str) -> DifyHTTPError:
    return DifyHTTPError(400, "invalid_param", message)


async def stream_generation(generation: Generation) -> AsyncIterator[dict[str, Any]]:
    """The run's events, one by one; a stop ends them, and a client that leaves early does
    not stop the run (it completes on its own, as in Dify's worker)."""
    try:
        while True:
            if generation.stop_requested():
                yield generation.stop()
                return
            event = generation.next_event()
            if event is None:
                break
            yield event
        generation.finish()
    finally:
        generation.finish()


def _respond(request: Request, generation: Generation, streaming: bool) -> Response:
    if not streaming:
        generation.finish()
        return JSONResponse(blocking_json(generation))
    return event_stream(
        stream_generation(generation),
        faults=emulator_state(request).faults,
        initial_ping=generation.turn.graph,
    )


def _check_workflow_id(app: AppState, workflow_id: str) -> None:
    try:
        uuid.UUID(workflow_id)
    except ValueError:
        raise DifyHTTPError(
            400, "bad_request", f"Invalid workflow_id format: '{workflow_id}'"
        ) from None
    if workflow_id != app.workflow_id:
        raise DifyHTTPError(404, "not_found", f"Workflow not found with id: {workflow_id}")


async def chat_messages(request: Request) -> Response:
    """``POST /chat-messages`` (chat, agent-chat, advanced-chat)."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    require_chat_app(app)
    payload = await json_body(request, ChatRequestPayload)
    streaming = payload.response_mode == "streaming"
    if app.mode == "agent-chat" and not streaming:
        raise _invalid("Agent Chat App does not support blocking mode")
    if not payload.query:
        raise _invalid("query is required")
    conversation: Conversation | None = None
    if payload.conversation_id:
        conversation = conversation_for(app, payload.conversation_id, user)
    if payload.workflow_id and app.mode == "advanced-chat":
        _check_workflow_id(app, payload.workflow_id)
    files = resolve_files(app, user, payload.files)
    inputs = validate_inputs(app, user, payload.inputs)
    generation = start_generation(
        app,
        user=user,
        query=payload.query.replace("\x00", ""),
        inputs=inputs,
        files=files,
        conversation=conversation,
        auto_generate_name=payload.auto_generate_name,
        split=emulator_state(request).faults.split,
    )
    return _respond(request, generation, streaming)


async def completion_messages(request: Request) -> Response:
    """``POST /completion-messages`` (completion apps only)."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    if app.mode != "completion":
        raise DifyHTTPError(400, "app_unavailable", _APP_UNAVAILABLE)
    payload = await json_body(request, CompletionRequestPayload)
    files = resolve_files(app, user, payload.files)
    inputs = validate_inputs(app, user, payload.inputs)
    generation = start_generation(
        app,
        user=user,
        query=payload.query.replace("\x00", ""),
        inputs=inputs,
        files=files,
        conversation=None,
        auto_generate_name=False,
        split=emulator_state(request).faults.split,
    )
    return _respond(request, generation, payload.response_mode == "streaming")


async def run_workflow(request: Request) -> Response:
    """``POST /workflows/run`` and ``POST /workflows/{workflow_id}/run`` (workflow apps)."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    require_workflow_app(app)
    payload = await json_body(request, WorkflowRunPayload)
    workflow_id = request.path_params.get("workflow_id")
    if workflow_id is not None:
        _check_workflow_id(app, str(workflow_id))
    files = resolve_files(app, user, payload.files)
    inputs = validate_inputs(app, user, payload.inputs)
    generation = start_generation(
        app,
        user=user,
        query="",
        inputs=inputs,
        files=files,
        conversation=None,
        auto_generate_name=False,
        split=emulator_state(request).faults.split,
    )
    return _respond(request, generation, payload.response_mode == "streaming")


def _stop(app: AppState, task_id: str, user: str, *, any_user: bool) -> JSONResponse:
    """Dify answers success whatever the task; only a matching (or allowed) user stops it."""
    task = app.tasks.get(task_id)
    if task is not None and not task.finished and (any_user or task.user == user):
        task.stopped, task.stopped_by = True, user
    return JSONResponse({"result": "success"})


async def stop_chat(request: Request) -> JSONResponse:
    """``POST /chat-messages/{task_id}/stop``: a chatflow stops for any user (recording 186)."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    require_chat_app(app)
    task_id = str(request.path_params["task_id"])
    return _stop(app, task_id, user, any_user=app.mode == "advanced-chat")


async def stop_completion(request: Request) -> JSONResponse:
    """``POST /completion-messages/{task_id}/stop``."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    if app.mode != "completion":
        raise DifyHTTPError(400, "app_unavailable", _APP_UNAVAILABLE)
    return _stop(app, str(request.path_params["task_id"]), user, any_user=False)


async def stop_workflow(request: Request) -> JSONResponse:
    """``POST /workflows/tasks/{task_id}/stop``: no user check, as in Dify."""
    app = app_for(request)
    user = await json_user(request, app, required=True)
    require_workflow_app(app)
    return _stop(app, str(request.path_params["task_id"]), user, any_user=True)


def routes() -> list[BaseRoute]:
    """The generation routes."""
    return [
        Route("/chat-messages", chat_messages, methods=["POST"]),
        Route("/chat-messages/{task_id}/stop", stop_chat, methods=["POST"]),
        Route("/completion-messages", completion_messages, methods=["POST"]),
        Route("/completion-messages/{task_id}/stop", stop_completion, methods=["POST"]),
        Route("/workflows/run", run_workflow, methods=["POST"]),
        Route("/workflows/tasks/{task_id}/stop", stop_workflow, methods=["POST"]),
        Route("/workflows/{workflow_id}/run", run_workflow, methods=["POST"]),
    ]
