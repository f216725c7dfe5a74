"""Reading requests the way Dify does: auth, JSON bodies validated by pydantic, user, mode gates."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ._emulator_state import EmulatorState
from ._errors import DifyHTTPError
from ._state import AppState

__all__ = [
    "app_for",
    "emulator_state",
    "int_param",
    "json_body",
    "require_chat_app",
    "require_dataset_key",
    "require_user",
    "require_workflow_app",
]

M = TypeVar("M", bound=BaseModel)

_MODE_MISMATCH = "Please check if your app mode matches the right API route."


def emulator_state(request: Request) -> EmulatorState:
    """The state of the emulator serving this request (its apps, knowledge and faults)."""
    state: EmulatorState = request.app.state.emulator_state
    return state


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header or " " not in header.strip():
        raise DifyHTTPError(
            401, "unauthorized", "Authorization header must be provided and start with 'Bearer'"
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise DifyHTTPError(401, "unauthorized", "Authorization scheme must be 'Bearer'")
    return token.strip()


def app_for(request: Request) -> AppState:
    """The app whose key authorized the request (401 otherwise, as Dify answers)."""
    app = emulator_state(request).apps_by_key.get(_bearer(request))
    if app is None:
        raise DifyHTTPError(401, "unauthorized", "Access token is invalid")
    return app


def require_dataset_key(request: Request) -> str:
    """The knowledge key that authorized the request (401 otherwise)."""
    token = _bearer(request)
    if token not in emulator_state(request).dataset_keys:
        raise DifyHTTPError(401, "unauthorized", "Access token is invalid")
    return token


def require_chat_app(app: AppState) -> None:
    """400 ``not_chat_app`` unless the app is a chat app."""
    if not app.is_chat:
        raise DifyHTTPError(400, "not_chat_app", _MODE_MISMATCH)


def require_workflow_app(app: AppState, *, chatflow_too: bool = False) -> None:
    """400 ``not_workflow_app`` unless the app is a workflow (or, if allowed, a chatflow)."""
    if app.mode != "workflow" and not (chatflow_too and app.mode == "advanced-chat"):
        raise DifyHTTPError(400, "not_workflow_app", _MODE_MISMATCH)


async def json_body(request: Request, model: type[M]) -> M:
    """The JSON body validated by ``model``; Dify's 415/400 answers otherwise.

    Name the model as Dify's own payload class (``ChatRequestPayload``…), so the
    ``invalid_param`` message reads like Dify's pydantic text.
    """
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type:
        raise DifyHTTPError(
            415,
            "unsupported_media_type",
            "Did not attempt to load JSON data because the request Content-Type was not "
            "'application/json'.",
        )
    raw = await request.body()
    try:
        data: Any = json.loads(raw) if raw else None
    except (ValueError, RecursionError):  # RecursionError: nested past Python's stack
        data = None
    if data is None:
        raise DifyHTTPError(
            400, "bad_request", "Invalid JSON payload received or JSON payload is empty."
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DifyHTTPError(400, "invalid_param", str(exc)) from None


def require_user(user: str | None) -> str:
    """The end user string; 400 ``invalid_param`` when missing or empty, as Dify answers."""
    if not user or not user.strip():
        raise DifyHTTPError(400, "invalid_param", "Arg user must be provided.")
    return user


def int_param(
    request: Request, name: str, default: int, *, minimum: int = 1, maximum: int | None = None
) -> int:
    """An integer query parameter, range-checked (400 ``invalid_param`` otherwise)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DifyHTTPError(400, "invalid_param", f"{name} must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise DifyHTTPError(400, "invalid_param", f"{name} must be {bound}")
    return value
