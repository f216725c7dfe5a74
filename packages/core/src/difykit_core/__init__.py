"""difykit-core: the sans-IO core of difykit.

Typed models, request builders (:mod:`difykit_core.operations`), SSE decoding, stream reading,
retry rules and error mapping for Dify's Service API. Nothing here does I/O; the ``difykit``
(sync) and ``difykit-async`` packages execute the calls. Names are imported on first use.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING
from typing import Any as _Any

if TYPE_CHECKING:
    __version__: str
    """The installed version of difykit-core (read from its metadata on first use)."""

    from ._call import Call, StreamCall
    from ._context import call_context, current_call_context
    from ._http import FilePart, HttpRequest, HttpResponse
    from ._json import JsonObject, JsonValue
    from ._observer import AppIdentity, CallEnd, CallInfo, Observer
    from ._retry import RetryPolicy, next_delay
    from ._sse import ServerSentEvent, SSEDecoder
    from ._stream import EventReader, StreamProtocol
    from .errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        DifyError,
        DifyStreamError,
        IndexingError,
        IndexingTimeoutError,
        InvalidRequestError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseValidationError,
        ServerError,
        StreamInterruptedError,
    )
    from .models.files import FileDownload, RemoteFile, UploadedFile
    from .models.pages import Page

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AppIdentity",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "CallEnd",
    "CallInfo",
    "ConflictError",
    "DifyError",
    "DifyStreamError",
    "EventReader",
    "FileDownload",
    "FilePart",
    "HttpRequest",
    "HttpResponse",
    "IndexingError",
    "IndexingTimeoutError",
    "InvalidRequestError",
    "JsonObject",
    "JsonValue",
    "NotFoundError",
    "Observer",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RemoteFile",
    "ResponseValidationError",
    "RetryPolicy",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "StreamCall",
    "StreamInterruptedError",
    "StreamProtocol",
    "UploadedFile",
    "call_context",
    "current_call_context",
    "next_delay",
]

_ERRORS = ".errors"
_WHERE: dict[str, str] = {
    "Call": "._call",
    "StreamCall": "._call",
    "FilePart": "._http",
    "HttpRequest": "._http",
    "HttpResponse": "._http",
    "JsonObject": "._json",
    "JsonValue": "._json",
    "AppIdentity": "._observer",
    "CallEnd": "._observer",
    "CallInfo": "._observer",
    "call_context": "._context",
    "current_call_context": "._context",
    "Observer": "._observer",
    "RetryPolicy": "._retry",
    "next_delay": "._retry",
    "SSEDecoder": "._sse",
    "ServerSentEvent": "._sse",
    "EventReader": "._stream",
    "StreamProtocol": "._stream",
    "FileDownload": ".models.files",
    "RemoteFile": ".models.files",
    "UploadedFile": ".models.files",
    "Page": ".models.pages",
}


# Type checkers see the imports above, so a misspelt name stays an error for them.
if not TYPE_CHECKING:  # pragma: no branch

    def __getattr__(name: str) -> _Any:
        if name == "__version__":  # importlib.metadata is slow to import: only when asked
            from importlib.metadata import version

            globals()[name] = value = version("difykit-core")
            return value
        module = _WHERE.get(name) or (_ERRORS if name in __all__ else None)
        if module is None:
            raise AttributeError(f"module 'difykit_core' has no attribute {name!r}")
        value = getattr(_import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
