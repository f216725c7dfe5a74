"""The emulator's routes, one module per family of Dify endpoints."""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["all_routes"]


def all_routes() -> list[BaseRoute]:
    """Every route under ``/v1``."""
    from . import (
        _annotations,
        _app,
        _audio,
        _conversations,
        _end_users,
        _feedback,
        _files,
        _generate,
        _knowledge,
        _messages,
        _workflow_runs,
    )

    return [
        *_app.routes(),
        *_files.routes(),
        *_conversations.routes(),
        *_messages.routes(),
        *_feedback.routes(),
        *_annotations.routes(),
        *_audio.routes(),
        *_end_users.routes(),
        *_generate.routes(),
        *_workflow_runs.routes(),
        *_knowledge.routes(),
    ]
