"""File extensions → MIME type and Dify file type (a fixed table: no system files are read)."""

from __future__ import annotations

__all__ = ["dify_file_type", "guess_mime_type"]

_IMAGE = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "bmp": "image/bmp",
    "ico": "image/x-icon",
}
_AUDIO = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "amr": "audio/amr",
    "mpga": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "webm": "audio/webm",
}
_VIDEO = {"mp4": "video/mp4", "mov": "video/quicktime", "mpeg": "video/mpeg"}
_DOCUMENT = {
    "txt": "text/plain",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "mdx": "text/markdown",
    "pdf": "application/pdf",
    "html": "text/html",
    "htm": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "csv": "text/csv",
    "vtt": "text/vtt",
    "properties": "text/plain",
    "eml": "message/rfc822",
    "msg": "application/vnd.ms-outlook",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "ppt": "application/vnd.ms-powerpoint",
    "xml": "application/xml",
    "epub": "application/epub+zip",
    "json": "application/json",
}
_TYPES = (("image", _IMAGE), ("audio", _AUDIO), ("video", _VIDEO), ("document", _DOCUMENT))


def _extension(name: str) -> str:
    name = name.rsplit("?", 1)[0].rsplit("#", 1)[0]
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def guess_mime_type(filename: str) -> str:
    """The MIME type for a file name, ``application/octet-stream`` when unknown."""
    ext = _extension(filename)
    for _, table in _TYPES:
        if ext in table:
            return table[ext]
    return "application/octet-stream"


def dify_file_type(filename: str, mime_type: str | None = None) -> str:
    """Dify's file ``type`` (image, audio, video, document, custom) for a name or MIME type."""
    ext = _extension(filename)
    for kind, table in _TYPES:
        if ext in table:
            return kind
    if mime_type:
        major = mime_type.split("/", 1)[0]
        if major in ("image", "audio", "video"):
            return major
        if major == "text" or mime_type in _DOCUMENT.values():
            return "document"
    return "custom"
