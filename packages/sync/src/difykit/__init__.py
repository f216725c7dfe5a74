"""difykit: a typed Python client for Dify's Service API.

``Dify`` speaks to one app with its app key; streams are typed events; errors are typed.
The asyncio twin is ``difykit_async`` (``pip install "difykit[async]"``).
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING
from typing import Any as _Any

if TYPE_CHECKING:
    __version__: str
    """The installed version of difykit (read from its metadata on first use)."""

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

    from ._client import Dify
    from ._knowledge import DifyKnowledge
    from ._pages import SyncPage
    from ._streaming import Stream

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CallEnd",
    "CallInfo",
    "ConflictError",
    "Dify",
    "DifyError",
    "DifyKnowledge",
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
    "Stream",
    "StreamInterruptedError",
    "SyncPage",
    "Timeouts",
    "UploadedFile",
    "call_context",
]

_WHERE: dict[str, str] = {
    "APIConnectionError": "difykit_core",
    "APIStatusError": "difykit_core",
    "APITimeoutError": "difykit_core",
    "AuthenticationError": "difykit_core",
    "BadRequestError": "difykit_core",
    "CallEnd": "difykit_core",
    "CallInfo": "difykit_core",
    "ConflictError": "difykit_core",
    "Dify": "._client",
    "DifyError": "difykit_core",
    "DifyKnowledge": "._knowledge",
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
    "Stream": "._streaming",
    "StreamInterruptedError": "difykit_core",
    "SyncPage": "._pages",
    "Timeouts": "difykit_core.transport",
    "UploadedFile": "difykit_core",
    "call_context": "difykit_core",
}


# Type checkers see the imports above, so a misspelt name stays an error for them.
if not TYPE_CHECKING:  # pragma: no branch

    def __getattr__(name: str) -> _Any:
        if name == "__version__":  # importlib.metadata is slow to import: only when asked
            from importlib.metadata import version

            globals()[name] = value = version("difykit")
            return value
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
