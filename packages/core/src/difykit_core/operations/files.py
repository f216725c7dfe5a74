"""Builders for files: upload, and preview (download) of a file attached to a message."""

from __future__ import annotations

from difykit_core._call import Call
from difykit_core._http import HttpRequest
from difykit_core.models.files import FileDownload, UploadedFile

from ._build import Upload, binary_parser, call, file_part, model_parser, path, query, require

__all__ = ["preview_file", "upload_file"]

_parse_uploaded = model_parser(UploadedFile)


def upload_file(
    file: Upload,
    *,
    user: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
) -> Call[UploadedFile]:
    """Upload a file to use in a message or a workflow input (``POST /files/upload``).

    Args:
        file: Bytes, a path, or an open binary file.
        user: The end user who owns the file; only requests with the same ``user`` can use it.
        filename: The name Dify stores (default: the path's or file object's name).
        content_type: The MIME type (default: guessed from the name).
    """
    part = file_part(file, filename=filename, content_type=content_type)
    form = (("user", user),) if user else ()
    return Call(
        operation="files.upload",
        request=HttpRequest(
            method="POST", path="/files/upload", form=form, files=(("file", part),)
        ),
        parser=_parse_uploaded,
        user=user,
    )


def preview_file(
    file_id: str, *, user: str | None = None, as_attachment: bool | None = None
) -> Call[FileDownload]:
    """Download a file attached to a message of this app (``GET /files/{file_id}/preview``).

    Args:
        file_id: The file's id.
        user: The end user the message belongs to.
        as_attachment: Ask for ``Content-Disposition: attachment`` (a download).
    """
    require("files.preview", file_id=file_id)
    return call(
        "files.preview",
        "GET",
        path("/files/{file_id}/preview", file_id=file_id),
        binary_parser,
        params=query(user=user, as_attachment=as_attachment),
        user=user,
    )
