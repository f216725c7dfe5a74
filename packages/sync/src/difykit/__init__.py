"""difykit: a typed Python client for Dify's Service API.

``Dify`` speaks to one app with its app key; streams are typed events; errors are typed.
The asyncio twin is ``difykit_async`` (``pip install "difykit[async]"``).
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
]
