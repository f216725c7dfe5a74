"""Builders for audio: speech to text, and text (or a message's answer) to speech."""

from __future__ import annotations

from dataclasses import replace

from difykit_core._call import Call
from difykit_core._http import HttpRequest, HttpResponse
from difykit_core.errors import InvalidRequestError
from difykit_core.models._base import RequestModel
from difykit_core.models.audio import Transcription
from difykit_core.models.files import FileDownload

from ._build import Upload, binary_parser, build_body, call, file_part, model_parser

__all__ = ["TextToAudioRequest", "speech_to_text", "text_to_speech"]

_parse_transcription = model_parser(Transcription)

_AUDIO_TYPES = {
    "mp3": "audio/mp3",
    "m4a": "audio/m4a",
    "wav": "audio/wav",
    "amr": "audio/amr",
    "mpga": "audio/mpga",
}
"""The MIME types Dify's speech-to-text accepts (``audio/mpeg`` is refused with 415)."""


class TextToAudioRequest(RequestModel):
    """Body of ``POST /text-to-audio``."""

    message_id: str | None = None
    text: str | None = None
    voice: str | None = None
    user: str | None = None


def speech_to_text(
    file: Upload,
    *,
    user: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
) -> Call[Transcription]:
    """Turn speech into text (``POST /audio-to-text``); the app needs speech-to-text on.

    Dify takes mp3, m4a, wav, amr and mpga files up to 30 MB.

    Args:
        file: Bytes, a path, or an open binary file.
        user: The end user.
        filename: The file's name (default: the path's or file object's name).
        content_type: The MIME type (default: from the extension, as Dify expects it,
            e.g. ``audio/mp3``).
    """
    part = file_part(file, filename=filename, content_type=content_type)
    extension = part.filename.rsplit(".", 1)[-1].lower() if "." in part.filename else ""
    if content_type is None and extension in _AUDIO_TYPES:
        part = replace(part, content_type=_AUDIO_TYPES[extension])
    form = (("user", user),) if user else ()
    return Call(
        operation="audio.to_text",
        request=HttpRequest(
            method="POST", path="/audio-to-text", form=form, files=(("file", part),)
        ),
        parser=_parse_transcription,
        user=user,
    )


def _parse_speech(response: HttpResponse) -> FileDownload:
    content_type = response.headers.get("content-type", "")
    if "json" in content_type and response.content.strip() in (b"", b"null"):
        # Dify answers 200 ``null`` for an unknown message or an empty answer.
        raise ValueError("Dify returned no audio (unknown message_id, or an empty answer)")
    return binary_parser(response)


def text_to_speech(
    *,
    text: str | None = None,
    message_id: str | None = None,
    voice: str | None = None,
    user: str | None = None,
) -> Call[FileDownload]:
    """Synthesize speech (``POST /text-to-audio``); the app needs text-to-speech on.

    Returns the audio (usually ``audio/mpeg``) as bytes.

    Args:
        text: The text to speak.
        message_id: Speak this message's answer instead (it takes priority over ``text``).
        voice: A voice of the app's TTS model (default: the app's voice).
        user: The end user.

    Raises:
        InvalidRequestError: Neither ``text`` nor ``message_id`` was given.
    """
    if not text and not message_id:
        raise InvalidRequestError("audio.to_speech: give `text` or `message_id`")
    fields = {"message_id": message_id, "text": text, "voice": voice, "user": user}
    body = build_body(
        TextToAudioRequest, "audio.to_speech", {k: v for k, v in fields.items() if v is not None}
    )
    return call(
        "audio.to_speech",
        "POST",
        "/text-to-audio",
        _parse_speech,
        json=body.model_dump(mode="json", exclude_none=True),
        user=user,
    )
