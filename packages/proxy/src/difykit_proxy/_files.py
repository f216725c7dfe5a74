"""Files of a request → Dify files: checked against the app's limits, then uploaded in parallel.

An ``http(s)`` image URL becomes a ``remote_url`` file; a ``data:`` URL (an image, a ``file``
part, ``input_audio``) is decoded in memory and uploaded (``POST /files/upload``, same
``user``): no temporary files. The app's ``/parameters`` ``file_upload`` settings (enabled,
types, methods, count, size per kind) are checked before anything is sent.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
from difykit_async import AsyncDify
from difykit_core.errors import DifyError
from difykit_core.models.app import AppParameters, SystemParameters
from difykit_core.types import RemoteFile, UploadedFile

from ._translate import Attachment, ProxyError, error_from_dify

__all__ = ["Decoded", "check_files", "file_kind", "prepare_files"]

_MB = 1024 * 1024


def file_kind(mime_type: str) -> str:
    """Dify's file type for a MIME type: ``image``, ``audio``, ``video`` or ``document``."""
    major = mime_type.split("/", 1)[0]
    return major if major in ("image", "audio", "video") else "document"


@dataclass(frozen=True)
class Decoded:
    """A ``data:`` URL's bytes, type and file name."""

    content: bytes
    mime_type: str
    filename: str

    @property
    def kind(self) -> str:
        """Dify's file type for it."""
        return file_kind(self.mime_type)


def _bad(message: str, code: str, status: int = 400) -> ProxyError:
    return ProxyError(status, message, code=code, param="messages")


def decode(attachment: Attachment) -> Decoded:
    """Decode a base64 ``data:`` URL.

    Raises:
        ProxyError: 400 ``invalid_file_data``.
    """
    head, _, data = attachment.url.partition(",")
    if not head.startswith("data:") or ";base64" not in head or not data:
        raise _bad("A file data URL must be data:<type>;base64,<data>.", "invalid_file_data")
    mime_type = head[5:].split(";", 1)[0] or "application/octet-stream"
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("A file data URL holds invalid base64.", "invalid_file_data") from None
    name = attachment.filename
    if not name:
        extension = mimetypes.guess_extension(mime_type) or ".bin"
        name = f"{file_kind(mime_type)}{extension}"
    return Decoded(content, mime_type, name)


def _size_limit_mb(kind: str, limits: SystemParameters | None) -> int | None:
    if limits is None:
        return None
    return {
        "image": limits.image_file_size_limit,
        "audio": limits.audio_file_size_limit,
        "video": limits.video_file_size_limit,
    }.get(kind, limits.file_size_limit)


def check_files(
    files: Sequence[Attachment], parameters: AppParameters, *, model: str
) -> list[str | Decoded]:
    """Check the files against the app's ``file_upload`` settings; decode the data URLs.

    Returns image URLs to send as remote files, and decoded files to upload.

    Raises:
        ProxyError: 400 when the app takes no files, not this kind, this many, this way, or
            this large.
    """
    if not files:
        return []
    settings = parameters.file_upload
    legacy_image = bool(settings and (settings.image or {}).get("enabled"))
    if not (settings and (settings.enabled or legacy_image)):
        raise _bad(f"The Dify app {model!r} does not accept files.", "files_not_allowed")
    types = settings.allowed_file_types or (["image"] if legacy_image else [])
    limit = settings.number_limits
    if limit is not None and len(files) > limit:
        raise _bad(
            f"The Dify app {model!r} accepts at most {limit} files per message "
            f"({len(files)} given).",
            "too_many_files",
        )
    methods = settings.allowed_file_upload_methods or ["remote_url", "local_file"]
    prepared: list[str | Decoded] = []
    for attachment in files:
        url = attachment.url
        item: str | Decoded
        if url.startswith(("http://", "https://")):
            kind, method, item = "image", "remote_url", url
        elif url.startswith("data:"):
            decoded = decode(attachment)
            kind, method, item = decoded.kind, "local_file", decoded
        else:
            raise _bad("A file URL must be http(s) or a data URL.", "invalid_file_data")
        if types and kind not in types and "custom" not in types:
            raise _bad(
                f"The Dify app {model!r} does not accept {kind} files "
                f"(it takes {', '.join(types)}).",
                "file_type_not_allowed",
            )
        if method not in methods:
            raise _bad(
                f"The Dify app {model!r} does not take files by {method}.",
                f"{method}_not_allowed",
            )
        size_mb = _size_limit_mb(kind, parameters.system_parameters)
        if isinstance(item, Decoded) and size_mb is not None and len(item.content) > size_mb * _MB:
            raise _bad(f"A {kind} file is larger than the app's {size_mb} MB.", "file_too_large")
        prepared.append(item)
    return prepared


async def prepare_files(
    files: Sequence[str | Decoded], *, client: AsyncDify, user: str, model: str
) -> list[UploadedFile | RemoteFile]:
    """Dify file references for checked files: URLs as they are, data uploaded in parallel.

    Raises:
        ProxyError: An upload was refused (Dify's error, mapped).
    """
    if not files:
        return []
    results: list[UploadedFile | RemoteFile | None] = [None] * len(files)
    errors: list[DifyError] = []

    async def upload(index: int, file: Decoded) -> None:
        try:
            results[index] = await client.files.upload(
                file.content, user=user, filename=file.filename, content_type=file.mime_type
            )
        except DifyError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for index, file in enumerate(files):
            if isinstance(file, str):
                results[index] = RemoteFile(url=file, type="image")
            else:
                group.start_soon(upload, index, file)
    if errors:
        raise error_from_dify(errors[0], model=model) from errors[0]
    return [r for r in results if r is not None]
