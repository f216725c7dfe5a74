"""Files: ``POST /files/upload`` and ``GET /files/{file_id}/preview``."""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._requests import app_for, emulator_state
from difykit_testing._state import AppState, StoredFile

__all__ = ["file_json", "routes", "signed_file_url"]

_MB = 1024 * 1024
_LIMITS = {"image": 10 * _MB, "video": 100 * _MB, "audio": 50 * _MB}
_KINDS = {
    "image": {"jpg", "jpeg", "png", "webp", "gif", "svg"},
    "video": {"mp4", "mov", "mpeg", "webm"},
    "audio": {"mp3", "m4a", "wav", "amr", "mpga"},
}
DOCUMENT_LIMIT = 15 * _MB


def _limit(extension: str) -> int:
    for kind, extensions in _KINDS.items():
        if extension in extensions:
            return _LIMITS[kind]
    return DOCUMENT_LIMIT


def signed_file_url(request: Request, stored: StoredFile) -> str:
    """A signed link to an uploaded file's bytes (``source_url``; message files' ``url``).

    Dify serves these under ``/files``, outside ``/v1``; the emulator only answers under
    ``/v1``, so its links point to ``/v1/files/{file_id}/file-preview``.
    """
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    sign = emulator_state(request).knowledge.file_signature(stored.id, timestamp, nonce)
    url = request.url_for("app_file_preview", file_id=stored.id)
    return str(url.include_query_params(timestamp=timestamp, nonce=nonce, sign=sign))


def file_json(app: AppState, stored: StoredFile, source_url: str) -> dict[str, Any]:
    """An uploaded file as Dify describes it (201 of ``/files/upload``)."""
    return {
        "id": stored.id,
        "name": stored.name,
        "size": len(stored.content),
        "extension": stored.extension,
        "mime_type": stored.mime_type,
        "created_by": stored.created_by,
        "created_at": stored.created_at,
        "preview_url": None,
        "source_url": source_url,
        "original_url": None,
        "user_id": None,
        "tenant_id": app.id,
        "conversation_id": None,
        "file_key": None,
    }


async def upload(request: Request) -> JSONResponse:
    """``POST /files/upload``: exactly one ``file`` part and an optional ``user`` field."""
    app = app_for(request)
    form = await request.form()
    parts = [v for k, v in form.multi_items() if k == "file"]
    if not parts or not isinstance(parts[0], UploadFile) or not parts[0].filename:
        raise DifyHTTPError(400, "no_file_uploaded", "Please upload your file.")
    if len(parts) > 1:
        await form.close()
        raise DifyHTTPError(400, "too_many_files", "Only one file is allowed.")
    part = parts[0]
    filename = part.filename or ""
    if "/" in filename or "\\" in filename:
        await form.close()
        raise DifyHTTPError(400, "invalid_param", "Filename contains invalid characters")
    content = await part.read()
    await form.close()  # the spooled temporary files (unclosed, they warn when collected)
    user_field = form.get("user")
    user = user_field if isinstance(user_field, str) and user_field else "DEFAULT-USER"
    stored = StoredFile(
        name=filename[:200],
        content=content,
        mime_type=part.content_type or "application/octet-stream",
        created_by=app.end_user(user).id,
        user=user,
    )
    if len(content) > _limit(stored.extension):
        raise DifyHTTPError(413, "file_too_large", "File size exceeded. {message}")
    app.files[stored.id] = stored
    return JSONResponse(file_json(app, stored, signed_file_url(request, stored)), status_code=201)


async def preview(request: Request) -> Response:
    """``GET /files/{file_id}/preview``: the bytes of a file attached to a message."""
    app = app_for(request)
    stored = app.files.get(request.path_params["file_id"])
    attached = stored is not None and any(
        any(f.get("upload_file_id") == stored.id for f in m.files) for m in app.messages.values()
    )
    if stored is None or not attached:
        raise DifyHTTPError(404, "file_not_found", "File not found in message context")
    headers = {"Cache-Control": "public, max-age=3600"}
    if request.query_params.get("as_attachment", "").lower() == "true":
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{stored.name}"
        return Response(stored.content, media_type="application/octet-stream", headers=headers)
    return Response(stored.content, media_type=stored.mime_type, headers=headers)


async def signed_preview(request: Request) -> Response:
    """A signed link's bytes (no key needed; a bad signature gets 403)."""
    state, file_id = emulator_state(request), str(request.path_params["file_id"])
    stored = next(
        (a.files[file_id] for a in state.apps_by_key.values() if file_id in a.files), None
    )
    params = request.query_params
    expected = state.knowledge.file_signature(
        file_id, params.get("timestamp", ""), params.get("nonce", "")
    )
    if stored is None:
        raise DifyHTTPError(404, "not_found", "File not found")
    if not secrets.compare_digest(params.get("sign", ""), expected):
        raise DifyHTTPError(403, "forbidden", "Invalid request.")
    return Response(stored.content, media_type=stored.mime_type)


def routes() -> list[BaseRoute]:
    """The file routes."""
    return [
        Route("/files/upload", upload, methods=["POST"]),
        Route("/files/{file_id}/preview", preview, methods=["GET"]),
        Route(
            "/files/{file_id}/file-preview",
            signed_preview,
            methods=["GET"],
            name="app_file_preview",
        ),
    ]
