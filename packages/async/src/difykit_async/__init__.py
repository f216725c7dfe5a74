"""difykit-async: the asyncio twin of difykit, a typed client for Dify's Service API.

``AsyncDify`` speaks to one app with its app key; methods are coroutines, streams are async
iterators of typed events; names and parameters match the sync ``difykit`` exactly.
"""

from __future__ import annotations

from difykit_core import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
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
)
from difykit_core._config import Timeouts

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
]
