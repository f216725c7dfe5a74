"""App information: ``GET /info``, ``/parameters``, ``/meta`` and ``/site``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from difykit_testing._requests import app_for
from difykit_testing._state import AppState, InputVariable

__all__ = ["FILE_UPLOAD", "SYSTEM_PARAMETERS", "parameters_json", "routes"]

FILE_UPLOAD: dict[str, Any] = {
    "allowed_file_types": ["image", "document"],
    "allowed_file_extensions": [],
    "allowed_file_upload_methods": ["local_file", "remote_url"],
    "number_limits": 3,
}
"""The file-upload settings of an emulated app (those of the recorded chatflow)."""

SYSTEM_PARAMETERS: dict[str, int] = {
    "image_file_size_limit": 10,
    "video_file_size_limit": 100,
    "audio_file_size_limit": 50,
    "file_size_limit": 15,
    "workflow_file_upload_limit": 10,
}
"""Dify's default upload limits in MB (and files per workflow run)."""

_FILE_CONTROLS = ("file", "file-list")


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


def _form_item(variable: InputVariable) -> dict[str, Any]:
    """One ``user_input_form`` entry: ``{control type: settings}``, keys in Dify's order."""
    item: dict[str, Any] = {
        "variable": variable.variable,
        "label": variable.label or variable.variable,
        "type": variable.type,
        "required": variable.required,
    }
    if variable.max_length is not None:
        item["max_length"] = variable.max_length
    item["options"] = list(variable.options)
    if variable.default is not None:
        item["default"] = variable.default
    if variable.type in _FILE_CONTROLS:
        item["allowed_file_types"] = list(FILE_UPLOAD["allowed_file_types"])
        item["allowed_file_extensions"] = []
        item["allowed_file_upload_methods"] = list(FILE_UPLOAD["allowed_file_upload_methods"])
    return {variable.type: item}


def parameters_json(app: AppState) -> dict[str, Any]:
    """The body of ``GET /parameters`` (the shape of recordings 02 and 76)."""
    text_to_speech: dict[str, Any] = {"enabled": app.text_to_speech, "voice": "", "language": ""}
    if app.text_to_speech:
        text_to_speech.update(voice="default", language="en-US", autoPlay="disabled")
    return {
        "opening_statement": app.opening_statement,
        "suggested_questions": list(app.suggested_questions),
        "suggested_questions_after_answer": {"enabled": app.suggested_questions_after_answer},
        "speech_to_text": {"enabled": app.speech_to_text},
        "text_to_speech": text_to_speech,
        "retriever_resource": {"enabled": False},
        "annotation_reply": {"enabled": app.annotation_reply is not None},
        "more_like_this": {"enabled": False},
        "user_input_form": [_form_item(variable) for variable in app.inputs],
        "sensitive_word_avoidance": {"enabled": False},
        "file_upload": {"enabled": app.file_upload, **FILE_UPLOAD},
        "system_parameters": dict(SYSTEM_PARAMETERS),
    }


async def parameters(request: Request) -> JSONResponse:
    """``GET /parameters``: the input form, opening statement and features."""
    return JSONResponse(parameters_json(app_for(request)))


async def meta(request: Request) -> JSONResponse:
    """``GET /meta``: tool icons (an emulated app uses no tools)."""
    app_for(request)
    return JSONResponse({"tool_icons": {}})


async def site(request: Request) -> JSONResponse:
    """``GET /site``: the WebApp settings (the key set of recording 04)."""
    app = app_for(request)
    return JSONResponse(
        {
            "title": app.name,
            "chat_color_theme": None,
            "chat_color_theme_inverted": False,
            "icon_type": "emoji",
            "icon": "🤖",
            "icon_background": "#E0F2FE",
            "description": app.description or None,
            "copyright": None,
            "privacy_policy": None,
            "custom_disclaimer": "",
            "default_language": "en-US",
            "show_workflow_steps": True,
            "use_icon_as_answer_icon": False,
            "icon_url": None,
        }
    )


def routes() -> list[BaseRoute]:
    """The app information routes."""
    return [
        Route("/info", info, methods=["GET"]),
        Route("/parameters", parameters, methods=["GET"]),
        Route("/meta", meta, methods=["GET"]),
        Route("/site", site, methods=["GET"]),
    ]
