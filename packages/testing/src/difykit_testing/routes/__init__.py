"""The emulator's routes, one module per family of Dify endpoints."""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["all_routes"]


def all_routes() -> list[BaseRoute]:
    """Every route under ``/v1``."""
    from . import _app, _files

    return [*_app.routes(), *_files.routes()]
