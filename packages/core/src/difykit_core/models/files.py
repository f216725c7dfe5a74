"""Files: uploads, remote files, and downloaded file content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

from typing_extensions import NotRequired

from difykit_core._json import JsonObject
from difykit_core._mime import dify_file_type

from ._base import DifyModel, RequestModel

__all__ = ["DifyFile", "FileDownload", "RemoteFile", "UploadedFile"]


class DifyFile(TypedDict):
    """A file in Dify's own shape, as Dify's docs write it in ``files``.

    ``{"type": "image", "transfer_method": "remote_url", "url": "https://…"}`` or
    ``{"type": "document", "transfer_method": "local_file", "upload_file_id": "…"}``.
    It is checked before sending: the keys must be these, and the one the method needs given.
    """

    type: Literal["image", "document", "audio", "video", "custom"]
    transfer_method: Literal["remote_url", "local_file"]
    url: NotRequired[str]
    upload_file_id: NotRequired[str]


class UploadedFile(DifyModel):
    """A file uploaded with ``files.upload()``; pass it in ``files=`` of a message or run."""

    id: str
    name: str | None = None
    size: int | None = None
    extension: str | None = None
    mime_type: str | None = None
    created_by: str | None = None
    created_at: int | str | None = None
    preview_url: str | None = None
    source_url: str | None = None

    @property
    def file_type(self) -> str:
        """Dify's file type for it: ``image``, ``document``, ``audio``, ``video`` or ``custom``."""
        name = self.name or (f"file.{self.extension}" if self.extension else "")
        return dify_file_type(name, self.mime_type)

    def to_input(self) -> JsonObject:
        """The file object Dify expects in ``files`` or in a file input."""
        return {
            "type": self.file_type,
            "transfer_method": "local_file",
            "upload_file_id": self.id,
        }


class RemoteFile(RequestModel):
    """A file Dify fetches from a URL.

    ``type`` (``image``, ``document``, ``audio``, ``video``, ``custom``) is guessed from the URL's
    extension when not given; with no extension it is left out and Dify infers it.
    """

    url: str
    type: str | None = None

    def to_input(self) -> JsonObject:
        """The file object Dify expects in ``files`` or in a file input."""
        kind = self.type or dify_file_type(self.url)
        body: JsonObject = {"transfer_method": "remote_url", "url": self.url}
        if kind != "custom" or self.type:
            body["type"] = kind
        return body


@dataclass(frozen=True, slots=True)
class FileDownload:
    """Bytes Dify sent back (a file preview, synthesized speech, a document download)."""

    content: bytes
    content_type: str | None = None
    filename: str | None = None
