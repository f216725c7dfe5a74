"""The request a builder describes, and the response a parser reads; no I/O here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Literal, TypeAlias

if TYPE_CHECKING:
    from ._json import JsonValue

__all__ = ["FileContent", "FilePart", "HttpMethod", "HttpRequest", "HttpResponse"]

HttpMethod: TypeAlias = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

FileContent: TypeAlias = "bytes | os.PathLike[str] | BinaryIO"
"""Bytes, a path the transport opens when it sends, or an open binary file."""


@dataclass(frozen=True, slots=True)
class FilePart:
    """One file of a multipart body.

    The core never opens files: a path is opened by the transport when the request is sent,
    so a retried upload reads the file again from the start.
    """

    filename: str
    content: bytes | os.PathLike[str] | BinaryIO
    content_type: str


def _no_headers() -> dict[str, str]:
    return {}


@dataclass(slots=True)
class HttpRequest:
    """An HTTP request to Dify's Service API, relative to the client's base URL.

    Treat it as immutable (derive variants with ``dataclasses.replace``); it is not frozen
    only because frozen dataclasses cost microseconds per call on the hot path.
    """

    method: HttpMethod
    path: str
    """Path below the base URL, starting with ``/``; path parameters are already escaped."""
    query: tuple[tuple[str, str], ...] = ()
    json: JsonValue | None = None
    """JSON body; ``None`` sends no body."""
    form: tuple[tuple[str, str], ...] = ()
    """Multipart form fields (only with ``files``)."""
    files: tuple[tuple[str, FilePart], ...] = ()
    """Multipart file parts as ``(field name, part)``."""
    headers: Mapping[str, str] = field(default_factory=_no_headers)
    """Extra headers; the transport adds authorization and user agent."""


@dataclass(slots=True)
class HttpResponse:
    """What a parser needs of a finished response."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
