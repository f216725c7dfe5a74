"""difykit-async: the asyncio twin of difykit, a typed client for Dify's Service API.

``AsyncDify`` speaks to one app with its app key; methods are coroutines, streams are async
iterators of typed events; names and parameters match the sync ``difykit`` exactly.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING
from typing import Any as _Any

if TYPE_CHECKING:
    __version__: str
    """The installed version of difykit-async (read from its metadata on first use)."""

    from difykit_core import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        CallEnd,
        CallInfo,
        ConflictError,
        DifyError,
        DifyStreamError,
        FileDownload,
        IndexingError,
        IndexingTimeoutError,
        InvalidRequestError,
        NotFoundError,
        Observer,
        PermissionDeniedError,
        RateLimitError,
        RemoteFile,
        ResponseValidationError,
        ServerError,
        StreamInterruptedError,
        UploadedFile,
        call_context,
    )
    from difykit_core.transport import Timeouts

    from ._client import AsyncDify
    from ._knowledge import AsyncDifyKnowledge
    from ._pages import AsyncPage
    from ._streaming import AsyncStream

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncDify",
    "AsyncDifyKnowledge",
    "AsyncPage",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "CallEnd",
    "CallInfo",
    "ConflictError",
    "DifyError",
    "DifyStreamError",
    "FileDownload",
    "IndexingError",
    "IndexingTimeoutError",
    "InvalidRequestError",
    "NotFoundError",
    "Observer",
    "PermissionDeniedError",
    "RateLimitError",
    "RemoteFile",
    "ResponseValidationError",
    "ServerError",
    "StreamInterruptedError",
    "Timeouts",
    "UploadedFile",
    "call_context",
]

_WHERE: dict[str, str] = {
    "APIConnectionError": "difykit_core",
    "APIStatusError": "difykit_core",
    "APITimeoutError": "difykit_core",
    "AsyncDify": "._client",
    "AsyncDifyKnowledge": "._knowledge",
    "AsyncPage": "._pages",
    "AsyncStream": "._streaming",
    "AuthenticationError": "difykit_core",
    "BadRequestError": "difykit_core",
    "CallEnd": "difykit_core",
    "CallInfo": "difykit_core",
    "ConflictError": "difykit_core",
    "DifyError": "difykit_core",
    "DifyStreamError": "difykit_core",
    "FileDownload": "difykit_core",
    "IndexingError": "difykit_core",
    "IndexingTimeoutError": "difykit_core",
    "InvalidRequestError": "difykit_core",
    "NotFoundError": "difykit_core",
    "Observer": "difykit_core",
    "PermissionDeniedError": "difykit_core",
    "RateLimitError": "difykit_core",
    "RemoteFile": "difykit_core",
    "ResponseValidationError": "difykit_core",
    "ServerError": "difykit_core",
    "StreamInterruptedError": "difykit_core",
    "Timeouts": "difykit_core.transport",
    "UploadedFile": "difykit_core",
    "call_context": "difykit_core",
}


# Type checkers see the imports above, so a misspelt name stays an error for them.
if not TYPE_CHECKING:  # pragma: no branch

    def __getattr__(name: str) -> _Any:
        if name == "__version__":  # importlib.metadata is slow to import: only when asked
            from importlib.metadata import version

            globals()[name] = value = version("difykit-async")
            return value
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
