"""Images of a request → Dify files: checked against the app's limits, then uploaded in parallel.

An ``http(s)`` URL becomes a ``remote_url`` file; a ``data:`` URL is decoded in memory and
uploaded (``POST /files/upload``, same ``user``): no temporary files. The app's
``/parameters`` ``file_upload`` settings (enabled, types, methods, count, size) are checked
before anything is sent.
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
from difykit_core.models.app import AppParameters
from difykit_core.types import RemoteFile, UploadedFile

from ._translate import ProxyError, error_from_dify

__all__ = ["DecodedImage", "check_images", "prepare_files"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class DecodedImage:
    """A ``data:`` URL's bytes and type."""

    content: bytes
    mime_type: str

    @property
    def filename(self) -> str:
        """A file name whose extension matches the type (Dify infers the kind from it)."""
        extension = mimetypes.guess_extension(self.mime_type) or ".bin"
        return f"image{extension}"


def _bad(message: str, code: str, status: int = 400) -> ProxyError:
    return ProxyError(status, message, code=code, param="messages")


def decode_data_url(url: str) -> DecodedImage:
    """Decode a base64 ``data:`` URL.

    Raises:
        ProxyError: 400 ``invalid_image_url``.
    """
    head, _, data = url.partition(",")
    if not head.startswith("data:") or ";base64" not in head or not data:
        raise _bad("An image data URL must be data:<type>;base64,<data>.", "invalid_image_url")
    mime_type = head[5:].split(";", 1)[0] or "application/octet-stream"
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("An image data URL holds invalid base64.", "invalid_image_url") from None
    return DecodedImage(content, mime_type)


def check_images(
    urls: Sequence[str], parameters: AppParameters, *, model: str
) -> list[str | DecodedImage]:
    """Check the images against the app's ``file_upload`` settings; decode the data URLs.

    Raises:
        ProxyError: 400 when the app takes no images, this many, this way, or this large.
    """
    if not urls:
        return []
    settings = parameters.file_upload
    image = (settings.image if settings else None) or {}
    enabled = bool(settings and (settings.enabled or image.get("enabled")))
    types = (settings.allowed_file_types if settings else None) or []
    if not enabled or (types and "image" not in types and not image.get("enabled")):
        raise _bad(f"The Dify app {model!r} does not accept images.", "images_not_allowed")
    limit = settings.number_limits if settings else None
    if limit is not None and len(urls) > limit:
        raise _bad(
            f"The Dify app {model!r} accepts at most {limit} files per message "
            f"({len(urls)} given).",
            "too_many_files",
        )
    methods = (settings.allowed_file_upload_methods if settings else None) or [
        "remote_url",
        "local_file",
    ]
    size_mb = (
        parameters.system_parameters.image_file_size_limit if parameters.system_parameters else None
    )
    prepared: list[str | DecodedImage] = []
    for url in urls:
        if url.startswith(("http://", "https://")):
            if "remote_url" not in methods:
                raise _bad(
                    f"The Dify app {model!r} takes no image URLs, only uploads.",
                    "remote_url_not_allowed",
                )
            prepared.append(url)
            continue
        if not url.startswith("data:"):
            raise _bad("An image URL must be http(s) or a data URL.", "invalid_image_url")
        if "local_file" not in methods:
            raise _bad(
                f"The Dify app {model!r} takes no uploads, only image URLs.", "upload_not_allowed"
            )
        decoded = decode_data_url(url)
        if size_mb is not None and len(decoded.content) > size_mb * _MB:
            raise _bad(
                f"An image is larger than the app's limit of {size_mb} MB.", "file_too_large"
            )
        prepared.append(decoded)
    return prepared


async def prepare_files(
    images: Sequence[str | DecodedImage], *, client: AsyncDify, user: str, model: str
) -> list[UploadedFile | RemoteFile]:
    """Dify file references for checked images: remote URLs as they are, data uploaded in parallel.

    Raises:
        ProxyError: An upload was refused (Dify's error, mapped).
    """
    results: list[UploadedFile | RemoteFile | None] = [None] * len(images)
    errors: list[DifyError] = []

    async def upload(index: int, image: DecodedImage) -> None:
        try:
            results[index] = await client.files.upload(
                image.content, user=user, filename=image.filename, content_type=image.mime_type
            )
        except DifyError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for index, image in enumerate(images):
            if isinstance(image, str):
                results[index] = RemoteFile(url=image, type="image")
            else:
                group.start_soon(upload, index, image)
    if errors:
        raise error_from_dify(errors[0], model=model) from errors[0]
    return [r for r in results if r is not None]
