"""Small helpers the operation builders share: validation, paths, queries, parsers, files."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, BinaryIO, TypeAlias, TypeGuard, TypeVar, Union, cast
from urllib.parse import quote, unquote

from pydantic import BaseModel, ValidationError

from difykit_core._call import Call
from difykit_core._http import FilePart, HttpMethod, HttpRequest, HttpResponse
from difykit_core._json import JsonObject, JsonValue
from difykit_core._mime import guess_mime_type
from difykit_core.errors import InvalidRequestError, KeyFamily
from difykit_core.models.files import DifyFile, FileDownload, RemoteFile, UploadedFile
from difykit_core.models.pages import Page

__all__ = [
    "FileInput",
    "Inputs",
    "Upload",
    "binary_parser",
    "build_body",
    "call",
    "empty_parser",
    "file_part",
    "model_parser",
    "path",
    "query",
    "resolve_files",
    "serialize_inputs",
]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

Upload: TypeAlias = "bytes | str | os.PathLike[str] | BinaryIO"
"""What ``files.upload`` accepts: bytes, a path, or an open binary file."""

FileInput: TypeAlias = "UploadedFile | RemoteFile | DifyFile | str | os.PathLike[str]"
"""A file for ``files=``: an uploaded file, a :class:`RemoteFile`, a file in Dify's own dict
shape (:class:`DifyFile`), an ``http(s)://`` URL, or a local path (uploaded for you before the
message is sent)."""

_FILE_TYPES = frozenset({"image", "document", "audio", "video", "custom"})
_FILE_KEYS = {"remote_url": "url", "local_file": "upload_file_id"}

InputValue: TypeAlias = Union[
    JsonValue, UploadedFile, RemoteFile, "Sequence[UploadedFile | RemoteFile]"
]
Inputs: TypeAlias = "Mapping[str, InputValue]"
"""Values for the app's input variables; file variables take uploaded or remote files."""


def build_body(model: type[M], operation: str, fields: Mapping[str, Any]) -> M:
    """Validate a request body, turning pydantic's error into a short InvalidRequestError."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems: list[str] = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "body"
            if error["type"] == "missing":
                problems.append(f"`{where}` is required")
            elif error["type"] == "string_too_short":
                problems.append(f"`{where}` must not be empty")
            else:
                problems.append(f"`{where}`: {error['msg']}")
        raise InvalidRequestError(f"{operation}: " + "; ".join(problems)) from None


def require(operation: str, **values: object) -> None:
    """Refuse empty path parameters (an empty id would silently hit another route)."""
    for name, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequestError(f"{operation}: `{name}` must be a non-empty string")


def path(template: str, **params: str) -> str:
    """Fill a path template, escaping each parameter."""
    return template.format(**{k: quote(v, safe="") for k, v in params.items()})


def query(**params: object) -> tuple[tuple[str, str], ...]:
    """Query pairs, leaving out ``None``; booleans as ``true``/``false``; lists repeated."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = cast("Sequence[object]", value) if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, bool):
                pairs.append((key, "true" if item else "false"))
            else:
                pairs.append((key, str(item)))
    return tuple(pairs)


def model_parser(model: type[M]) -> Callable[[HttpResponse], M]:
    """A parser validating the JSON body straight into ``model``."""
    validate = model.model_validate_json

    def parse(response: HttpResponse) -> M:
        return validate(response.content)

    return parse


def empty_parser(response: HttpResponse) -> None:
    """A parser for answers without content (204, or ``{"result": "success"}``)."""


def binary_parser(response: HttpResponse) -> FileDownload:
    """A parser keeping the raw bytes with their type and file name."""
    content_type = response.headers.get("content-type")
    disposition = response.headers.get("content-disposition", "")
    filename = None
    if "filename*=" in disposition:
        filename = unquote(disposition.split("filename*=", 1)[1].split("''", 1)[-1].strip('"; '))
    elif "filename=" in disposition:
        filename = disposition.split("filename=", 1)[1].strip('"; ')
    return FileDownload(content=response.content, content_type=content_type, filename=filename)


def call(
    operation: str,
    method: HttpMethod,
    url: str,
    parser: Callable[[HttpResponse], T],
    *,
    key_family: KeyFamily = "app",
    json: JsonValue | None = None,
    params: tuple[tuple[str, str], ...] = (),
    user: str | None = None,
    replayable: bool | None = None,
    next_page: Callable[[T], Call[T] | None] | None = None,
) -> Call[T]:
    """A :class:`Call`; GETs are replayable unless told otherwise."""
    return Call(
        operation=operation,
        request=HttpRequest(method=method, path=url, query=params, json=json),
        parser=parser,
        key_family=key_family,
        user=user,
        replayable=method == "GET" if replayable is None else replayable,
        next_page=next_page,
    )


def cursor_next(
    fetch: Callable[[str], Call[Page[Any]]], *, backwards: bool = False
) -> Callable[[Page[Any]], Call[Page[Any]] | None]:
    """Next-page function for cursor lists: ``last_id`` = last item (or ``first_id`` = first)."""

    def next_page(page: Page[Any]) -> Call[Page[Any]] | None:
        if not page.has_more or not page.data:
            return None
        item = page.data[0] if backwards else page.data[-1]
        return fetch(item.id)

    return next_page


def numbered_next(
    fetch: Callable[[int], Call[Page[Any]]],
) -> Callable[[Page[Any]], Call[Page[Any]] | None]:
    """Next-page function for ``page``/``limit`` lists."""

    def next_page(page: Page[Any]) -> Call[Page[Any]] | None:
        if not page.data:
            return None
        if page.total_pages is not None:
            more = (page.page or 1) < page.total_pages
        else:
            more = page.has_more
        return fetch((page.page or 1) + 1) if more else None

    return next_page


def file_part(
    file: Upload, *, filename: str | None = None, content_type: str | None = None
) -> FilePart:
    """A multipart file part from bytes, a path, or an open binary file."""
    name: str
    if isinstance(file, (str, os.PathLike)):
        name = filename or os.path.basename(os.fspath(file))
        content: bytes | os.PathLike[str] | BinaryIO = (
            file if isinstance(file, os.PathLike) else PurePath(file)
        )
    elif isinstance(file, (bytes, bytearray, memoryview)):
        name = filename or "upload.bin"
        content = bytes(file)
    elif hasattr(file, "read"):
        raw_name = getattr(file, "name", None)
        name = filename or (
            os.path.basename(raw_name) if isinstance(raw_name, str) else "upload.bin"
        )
        content = file
    else:
        raise InvalidRequestError(
            f"a file must be bytes, a path or an open binary file, not {type(file).__name__}"
        )
    if not name:
        raise InvalidRequestError("the file needs a name: pass filename=…")
    return FilePart(
        filename=name, content=content, content_type=content_type or guess_mime_type(name)
    )


def _is_path(value: object) -> TypeGuard[str | os.PathLike[str]]:
    """Whether ``value`` is a local path (a string or a path object)."""
    return isinstance(value, (str, os.PathLike))


def _all_files(
    values: list[Any] | tuple[Any, ...],
) -> TypeGuard[Sequence[UploadedFile | RemoteFile]]:
    """Whether a non-empty list holds only uploaded or remote files (a file-list input)."""
    return bool(values) and all(isinstance(v, (UploadedFile, RemoteFile)) for v in values)


def serialize_inputs(inputs: Inputs | None) -> JsonObject:
    """Inputs as JSON: uploaded and remote files become Dify's file objects."""
    if inputs is None:
        return {}
    if not isinstance(cast(object, inputs), Mapping):  # callers may not be type-checked
        raise InvalidRequestError(f"`inputs` must be a mapping, not {type(inputs).__name__}")
    out: JsonObject = {}
    for key, value in inputs.items():
        if isinstance(value, (UploadedFile, RemoteFile)):
            out[key] = value.to_input()
        elif isinstance(value, (list, tuple)) and _all_files(value):
            out[key] = [v.to_input() for v in value]
        elif _is_json(value):
            out[key] = value
        elif _has_non_finite(value):
            raise InvalidRequestError(
                f"`inputs[{key!r}]` holds NaN or infinity, which JSON cannot carry (it would "
                "reach Dify as null): pass a finite number, or None"
            )
        else:
            raise InvalidRequestError(
                f"`inputs[{key!r}]` is a {type(value).__name__}, which is not JSON: pass str, "
                "int, float, bool, None, lists and dicts of them, or UploadedFile/RemoteFile"
            )
    return out


_SCALARS = (str, int, float, bool, type(None))


def _is_json(value: object) -> TypeGuard[JsonValue]:
    """Whether ``value`` is made of JSON types only (scalars answer at once; no NaN or inf)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, list):
        return all(_is_json(item) for item in cast("list[object]", value))
    if isinstance(value, dict):
        items = cast("dict[object, object]", value).items()
        return all(isinstance(k, str) and _is_json(v) for k, v in items)
    return False


def _has_non_finite(value: object) -> bool:
    """Whether a NaN or an infinity is somewhere in ``value``."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_has_non_finite(item) for item in cast("list[object]", value))
    if isinstance(value, dict):
        return any(_has_non_finite(item) for item in cast("dict[object, object]", value).values())
    return False


def dify_file_object(item: Mapping[str, object], index: int = 0) -> JsonObject:
    """Check a file given in Dify's dict shape and return it as the JSON Dify expects.

    Raises:
        InvalidRequestError: A key is unknown or missing, or a value is of the wrong kind.
    """
    where = f"files[{index}]"
    method = item.get("transfer_method")
    if method not in _FILE_KEYS:
        raise InvalidRequestError(
            f"{where}: transfer_method must be 'remote_url' or 'local_file', not {method!r}"
        )
    needed = _FILE_KEYS[str(method)]
    allowed = {"type", "transfer_method", needed}
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise InvalidRequestError(
            f"{where}: unknown key(s) {', '.join(unknown)} for a {method} file "
            f"(expected type, transfer_method and {needed})"
        )
    kind = item.get("type")
    if kind not in _FILE_TYPES:
        raise InvalidRequestError(
            f"{where}: type must be one of {', '.join(sorted(_FILE_TYPES))}, not {kind!r}"
        )
    value = item.get(needed)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{where}: a {method} file needs a non-empty {needed!r}")
    if needed == "url" and not value.startswith(("http://", "https://")):
        raise InvalidRequestError(f"{where}: url must start with http:// or https://")
    return {"type": str(kind), "transfer_method": str(method), needed: value}


def resolve_files(
    files: Sequence[FileInput] | None,
) -> tuple[list[JsonObject | None], list[tuple[int, str | os.PathLike[str]]]]:
    """Split ``files=`` into Dify file objects and the local paths still to upload.

    Returns the file objects (``None`` where a local file goes) and ``(index, path)`` pairs.
    """
    if files is None:
        return [], []
    if isinstance(files, Mapping):
        raise InvalidRequestError(
            "`files` must be a list of files; to send one Dify file dict, wrap it: files=[{...}]"
        )
    if isinstance(files, (str, bytes, os.PathLike, UploadedFile, RemoteFile)):
        raise InvalidRequestError("`files` must be a list of files")
    objects: list[JsonObject | None] = []
    local: list[tuple[int, str | os.PathLike[str]]] = []
    for index, item in enumerate(files):
        if isinstance(item, (UploadedFile, RemoteFile)):
            objects.append(item.to_input())
        elif isinstance(item, Mapping):  # never read as paths: validated as Dify's shape
            objects.append(dify_file_object(item, index))
        elif isinstance(item, str) and item.startswith(("http://", "https://")):
            objects.append(RemoteFile(url=item).to_input())
        elif _is_path(item):
            objects.append(None)
            local.append((index, item))
        else:
            raise InvalidRequestError(
                "each file must be an UploadedFile, a RemoteFile, a Dify file dict, a URL or a "
                f"local path, not {type(item).__name__}"
            )
    return objects, local
