"""App information: ``GET /info``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from difykit_testing._requests import app_for

__all__ = ["routes"]


async def info(request: Request) -> JSONResponse:
    """``GET /info``: name, description, tags, mode, author."""
    app = app_for(request)
    return JSONResponse(
        {
            "name": app.name,
            "description": app.description,
            "tags": [],
            "mode": app.mode,
            "author_name": "difykit emulator",
        }
    )


def routes() -> list[BaseRoute]:
    """The app information routes."""
    return [Route("/info", info, methods=["GET"])]
