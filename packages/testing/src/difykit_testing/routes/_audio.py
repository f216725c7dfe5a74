"""Audio: ``POST /audio-to-text`` (speech to text) and ``POST /text-to-audio``."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._requests import app_for, json_body
from difykit_testing._state import AppState
from difykit_testing.routes._common import DEFAULT_USER, json_user

__all__ = ["fake_mp3", "routes", "transcript"]

AUDIO_LIMIT = 30 * 1024 * 1024
"""Speech-to-text takes files up to 30 MB (fixed in Dify's ``AudioService``)."""

_AUDIO_TYPES = {f"audio/{ext}" for ext in ("mp3", "m4a", "wav", "amr", "mpga")}

# An MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz): 417 bytes per frame.
_FRAME = b"\xff\xfb\x90\x64" + bytes(413)
_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"


class TextToAudioPayload(BaseModel):
    message_id: str | None = None
    voice: str | None = None
    text: str | None = None
    streaming: bool | None = None


def transcript(audio: bytes) -> str:
    """What the emulator "hears" in an audio file: ``"transcribed <n> bytes"``."""
    return f"transcribed {len(audio)} bytes"


def fake_mp3(text: str) -> bytes:
    """A small silent MP3 for ``text``: an ID3 header and one frame per 20 characters."""
    return _ID3 + _FRAME * max(1, min(len(text) // 20 + 1, 50))


async def audio_to_text(request: Request) -> JSONResponse:
    """``POST /audio-to-text``: multipart ``file`` (mp3, m4a, wav, amr, mpga; 30 MB), ``user``."""
    app = app_for(request)
    async with request.form() as form:
        user_field = form.get("user")
        app.end_user(user_field if isinstance(user_field, str) and user_field else DEFAULT_USER)
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise DifyHTTPError(
                400,
                "bad_request_key_error",
                "The browser (or proxy) sent a request that this server could not understand.",
            )
        if not app.speech_to_text:
            raise DifyHTTPError(400, "invalid_param", "Speech to text is not enabled")
        mimetype = (part.content_type or "").split(";", 1)[0].strip().lower()
        if mimetype not in _AUDIO_TYPES:
            raise DifyHTTPError(415, "unsupported_audio_type", "Audio type not allowed.")
        content = await part.read()
    if len(content) > AUDIO_LIMIT:
        raise DifyHTTPError(413, "audio_too_large", "Audio size larger than 30 mb")
    return JSONResponse({"text": transcript(content)})


def _message_answer(app: AppState, message_id: str) -> str | None:
    try:
        uuid.UUID(message_id)
    except ValueError:
        return None
    message = app.messages.get(message_id)
    if message is None or (message.answer == "" and message.status == "normal"):
        return None
    return message.answer


async def text_to_audio(request: Request) -> Response:
    """``POST /text-to-audio``: ``audio/mpeg`` bytes for ``text`` or a message's answer."""
    app = app_for(request)
    await json_user(request, app)
    payload = await json_body(request, TextToAudioPayload)
    if payload.message_id:
        text = _message_answer(app, payload.message_id)
        if text is None:  # Dify's handler returns None: 200 with a JSON null
            return JSONResponse(None)
    elif payload.text is None:
        raise DifyHTTPError(400, "invalid_param", "Text is required")
    else:
        text = payload.text
    if not app.text_to_speech:
        raise DifyHTTPError(400, "invalid_param", "TTS is not enabled")
    return Response(fake_mp3(text), media_type="audio/mpeg")


def routes() -> list[BaseRoute]:
    """The audio routes."""
    return [
        Route("/audio-to-text", audio_to_text, methods=["POST"]),
        Route("/text-to-audio", text_to_audio, methods=["POST"]),
    ]
