"""The ``audio`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import audio

from difykit_async._binding import Resource, endpoint

__all__ = ["Audio"]


class Audio(Resource):
    """Audio: ``to_text`` (speech to text) and ``to_speech`` (text to speech)."""

    to_text = endpoint(audio.speech_to_text)
    to_speech = endpoint(audio.text_to_speech)
