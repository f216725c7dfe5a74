"""Checking a run's ``inputs`` and ``files`` as Dify's app generators do, with Dify's messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from difykit_testing._errors import DifyHTTPError
from difykit_testing._json import is_array, is_object
from difykit_testing._state import AppState, InputVariable

__all__ = ["file_kind", "resolve_files", "validate_inputs"]

_KINDS = {
    "image": {"jpg", "jpeg", "png", "webp", "gif", "svg"},
    "video": {"mp4", "mov", "mpeg", "webm"},
    "audio": {"mp3", "m4a", "wav", "amr", "mpga"},
}
_TEXT_TYPES = frozenset({"text-input", "paragraph", "select"})


def _invalid(message: str) -> DifyHTTPError:
    return DifyHTTPError(400, "invalid_param", message)


def file_kind(name: str) -> str:
    """Dify's file ``type`` for a file name or URL (``image``, ``audio``… or ``document``)."""
    base = name.split("?", 1)[0].rsplit("/", 1)[-1]
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    return next((kind for kind, exts in _KINDS.items() if extension in exts), "document")


def _resolve_file(app: AppState, user: str, file: Any) -> dict[str, Any]:
    if not is_object(file):
        raise _invalid("Invalid file mapping")
    method = file.get("transfer_method")
    if method == "local_file":
        stored = app.files.get(str(file.get("upload_file_id") or ""))
        if stored is None or stored.user != user:
            raise _invalid("Invalid upload file")
        return {
            "type": file.get("type") or file_kind(stored.name),
            "transfer_method": "local_file",
            "upload_file_id": stored.id,
            "filename": stored.name,
            "mime_type": stored.mime_type,
            "size": len(stored.content),
        }
    if method == "remote_url":
        url = file.get("url") or file.get("remote_url")
        if not isinstance(url, str) or not url:
            raise _invalid("Invalid file url")
        return {
            "type": file.get("type") or file_kind(url),
            "transfer_method": "remote_url",
            "url": url,
        }
    raise _invalid(f"No matching enum found for value '{method}'")


def resolve_files(app: AppState, user: str, files: Any) -> list[dict[str, Any]]:
    """The request's file objects, checked: local files must be this user's uploads."""
    if not files:
        return []
    if not is_array(files):
        raise _invalid("Invalid file mapping")
    return [_resolve_file(app, user, f) for f in files]


def _number(variable: InputVariable, value: Any) -> Any:
    if isinstance(value, bool):
        raise _invalid(f"{variable.variable} in input form must be a valid number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            pass
    raise _invalid(f"{variable.variable} in input form must be a valid number")


def _validate(app: AppState, user: str, variable: InputVariable, value: Any) -> Any:
    name = variable.variable
    if value is None:
        value = variable.default
    if value is None:
        if variable.required:
            raise _invalid(f"{name} is required in input form")
        return None
    if variable.type in _TEXT_TYPES and not isinstance(value, str):
        raise _invalid(f"(type '{variable.type}') {name} in input form must be a string")
    if variable.type == "number":
        return _number(variable, value)
    if variable.type == "select" and variable.options and value not in variable.options:
        raise _invalid(f"{name} in input form must be one of the following: {variable.options}")
    limit = variable.max_length
    if variable.type in ("text-input", "paragraph") and limit and len(value) > limit:
        raise _invalid(f"{name} in input form must be less than {limit} characters")
    if variable.type == "checkbox" and not isinstance(value, bool):
        raise _invalid(f"{name} in input form must be a valid boolean value")
    if variable.type == "file":
        return _resolve_file(app, user, value)
    if variable.type == "file-list":
        return resolve_files(app, user, value)
    return value


def validate_inputs(app: AppState, user: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The run's inputs: each declared variable checked (missing ones are ``None``).

    An app that declares no variables passes every input through unchanged.
    """
    if not app.inputs:
        return dict(inputs)
    return {v.variable: _validate(app, user, v, inputs.get(v.variable)) for v in app.inputs}
