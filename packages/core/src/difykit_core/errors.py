"""The exceptions difykit raises, and the one function that maps Dify's error answers to them.

::

    DifyError
    ├── APIStatusError            Dify answered with an error status (status_code, code, message)
    │   ├── BadRequestError       400, 413, 415 and other client errors
    │   ├── AuthenticationError   401: missing, malformed or wrong-family key
    │   ├── PermissionDeniedError 403
    │   ├── NotFoundError         404
    │   ├── ConflictError         409, 412
    │   ├── RateLimitError        429, and the app concurrency limit Dify sends as 400
    │   └── ServerError           5xx
    ├── DifyStreamError           an ``error`` event inside a 200 stream
    ├── StreamInterruptedError    a stream ended (or went silent) before its terminal event
    ├── APIConnectionError        the request did not get an answer
    │   └── APITimeoutError
    ├── ResponseValidationError   Dify's answer did not match the expected shape
    ├── InvalidRequestError       bad input, raised before anything is sent (also a ValueError)
    ├── IndexingError             a document failed to index (``documents.wait_until_indexed``)
    └── IndexingTimeoutError      indexing did not finish within the wait's timeout

Every exception carries Dify's ``code`` string as Dify sent it, so new codes need no release.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal, cast

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DifyError",
    "DifyStreamError",
    "IndexingError",
    "IndexingTimeoutError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "StreamInterruptedError",
    "error_from_response",
]

KeyFamily = Literal["app", "knowledge"]


class DifyError(Exception):
    """Base class of every error difykit raises."""


class APIStatusError(DifyError):
    """Dify answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status.
        code: Dify's error code (``"invalid_param"``, ``"not_found"``…), or ``None`` when the
            body was not Dify's JSON envelope (an HTML 404 from an unknown route, a proxy page).
        message: Dify's human-readable message, or the body's text.
        body: The raw response body.
        headers: The response headers.
        retry_after: Seconds the server asked to wait (``Retry-After``), when it did; a call
            gives up at once when that is longer than the client's ``max_retry_after``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        hint: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.body = body
        self.headers: Mapping[str, str] = dict(headers or {})
        self.hint = hint
        self.retry_after: float | None = None
        text = f"{status_code} {code or 'error'}: {message}"
        super().__init__(f"{text} ({hint})" if hint else text)


class BadRequestError(APIStatusError):
    """400 (and 413/415): Dify rejected the request's content."""


class AuthenticationError(APIStatusError):
    """401: the key is missing, malformed, unknown, or of the other family (app vs dataset)."""


class PermissionDeniedError(APIStatusError):
    """403: the app or dataset API is disabled, or a plan limit was hit."""


class NotFoundError(APIStatusError):
    """404: the conversation, message, run, dataset… does not exist (for this ``user``)."""


class ConflictError(APIStatusError):
    """409/412: the request conflicts with the current state (duplicate name, form already used)."""


class RateLimitError(APIStatusError):
    """429, or the app's concurrency limit ("Too many requests", which Dify may send as 400)."""


class ServerError(APIStatusError):
    """5xx: Dify failed."""


class DifyStreamError(DifyError):
    """An ``error`` event arrived inside a stream (the HTTP status was already 200).

    Attributes:
        code: Dify's error code; ``None`` when a crashed worker sent no code.
        message: Dify's message.
        status: The HTTP-like status Dify put in the event.
        task_id: The stream's task id, if one was seen before the error.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        status: int | None,
        task_id: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.task_id = task_id
        super().__init__(f"stream error {code or 'unknown'} ({status}): {message}")


class StreamInterruptedError(DifyError):
    """A stream closed, broke or went silent before its terminal event."""


class APIConnectionError(DifyError):
    """No answer: the connection failed or broke."""


class APITimeoutError(APIConnectionError):
    """No answer in time."""


class ResponseValidationError(DifyError):
    """Dify's answer could not be read as the expected type."""


class InvalidRequestError(DifyError, ValueError):
    """The arguments are not a valid request; nothing was sent."""


class IndexingError(DifyError):
    """A document of an indexing batch ended in ``indexing_status == "error"``.

    Attributes:
        document_id: The document that failed.
        error: Dify's error text for it (``None`` if Dify gave none).
        batch: The batch that was being waited for.
    """

    def __init__(self, message: str, *, document_id: str, error: str | None, batch: str) -> None:
        self.document_id = document_id
        self.error = error
        self.batch = batch
        super().__init__(message)


class IndexingTimeoutError(DifyError):
    """Indexing did not finish within the time given to ``documents.wait_until_indexed``.

    Dify keeps indexing: wait again, or check ``documents.indexing_status`` later.

    Attributes:
        batch: The batch that was being waited for.
        timeout: The seconds that were allowed.
        completed_segments: Segments indexed when the time ran out.
        total_segments: Segments to index in all.
    """

    def __init__(
        self,
        message: str,
        *,
        batch: str,
        timeout: float,
        completed_segments: int,
        total_segments: int,
    ) -> None:
        self.batch = batch
        self.timeout = timeout
        self.completed_segments = completed_segments
        self.total_segments = total_segments
        super().__init__(message)


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: BadRequestError,
    409: ConflictError,
    412: ConflictError,
    413: BadRequestError,
    415: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
}

_CONCURRENCY_LIMIT_PREFIX = "too many requests"


def _envelope(content: bytes) -> tuple[str | None, str | None]:
    try:
        body = json.loads(content)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    envelope = cast("dict[str, object]", body)  # a JSON object: its keys are strings
    code, message = envelope.get("code"), envelope.get("message")
    if message is None and "error" in envelope:
        # ``POST …/segments`` answers {"error": "<pydantic text>"} on bad input.
        message, code = envelope["error"], code or "invalid_param"
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else (None if message is None else str(message)),
    )


def _key_hint(key_family: KeyFamily | None, api_key: str | None) -> str | None:
    if key_family is None:
        return None
    if key_family == "app":
        needed = "an app key (app-…)"
        wrong = api_key is not None and api_key.startswith(("dataset-", "ds-"))
    else:
        needed = "a knowledge key (dataset-…)"
        wrong = api_key is not None and api_key.startswith("app-")
    if wrong:
        return f"this route needs {needed}, but the client was given the other kind"
    return f"this route needs {needed}; check that the key exists and is enabled"


def _route_hint(status_code: int, method: str, path: str) -> str:
    if status_code == 405:
        return f"this Dify server does not serve {method} {path}; it may be older than the route"
    return (
        f"this server has no route {method} {path}: check that base_url ends in /v1; if it does, "
        "the Dify server is older than the route (Human Input and workflow events need a Dify "
        "newer than 1.13)"
    )


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    key_family: KeyFamily | None = None,
    api_key: str | None = None,
    route: tuple[str, str] | None = None,
) -> APIStatusError:
    """Map an error answer from Dify to its exception.

    Args:
        status_code: The HTTP status (4xx or 5xx).
        headers: The response headers.
        content: The raw body: Dify's ``{code, message, status}`` envelope, the
            ``{"error": …}`` body of chunk creation, or anything else (an HTML 404).
        key_family: Which key the route needs; a 401 then says so.
        api_key: The key that was used, to tell a wrong-family key from an unknown one.
        route: The request's method and path, so a 405 or an HTML 404 can say which route the
            server does not serve.
    """
    code, message = _envelope(content)
    if message is None:
        text = content.decode("utf-8", "replace").strip()
        if text.lstrip().lower().startswith(("<!doctype", "<html")):
            text = "Dify answered with an HTML page (an unknown route, or a proxy in between)"
        message = text[:500] or "(empty body)"
    cls: type[APIStatusError]
    if message.lower().startswith(_CONCURRENCY_LIMIT_PREFIX) and status_code in (400, 429):
        cls = RateLimitError
    elif status_code >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status_code, APIStatusError)
    hint = _key_hint(key_family, api_key) if status_code == 401 else None
    if route is not None and (status_code == 405 or (status_code == 404 and code is None)):
        hint = _route_hint(status_code, *route)
    return cls(
        message,
        status_code=status_code,
        code=code,
        body=content,
        headers=headers,
        hint=hint,
    )
