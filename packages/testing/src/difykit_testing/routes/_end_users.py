"""End users: ``GET /end-users/{end_user_id}``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._requests import app_for
from difykit_testing._state import AppState, EndUser
from difykit_testing.routes._common import DEFAULT_USER

__all__ = ["end_user_json", "routes"]


def end_user_json(app: AppState, user: EndUser) -> dict[str, Any]:
    """An end user as Dify sends it (recording 44; naive ISO timestamps)."""
    return {
        "id": user.id,
        "tenant_id": app.id,
        "app_id": user.app_id,
        "type": "service-api",
        "external_user_id": user.session_id,
        "name": None,
        "is_anonymous": user.session_id == DEFAULT_USER,
        "session_id": user.session_id,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


async def get_end_user(request: Request) -> JSONResponse:
    """``GET /end-users/{end_user_id}``: 404 ``end_user_not_found`` for an unknown id."""
    app = app_for(request)
    wanted = request.path_params["end_user_id"]
    user = next((u for u in app.end_users.values() if u.id == wanted), None)
    if user is None:
        raise DifyHTTPError(404, "end_user_not_found", "End user not found.")
    return JSONResponse(end_user_json(app, user))


def routes() -> list[BaseRoute]:
    """The end-user routes."""
    return [Route("/end-users/{end_user_id}", get_end_user, methods=["GET"])]
