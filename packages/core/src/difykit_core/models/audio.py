"""Audio: speech-to-text results (text-to-speech answers with bytes, a ``FileDownload``)."""

from __future__ import annotations

from ._base import DifyModel

__all__ = ["Transcription"]


class Transcription(DifyModel):
    """The text recognized in an audio file (``POST /audio-to-text``)."""

    text: str = ""
