"""OpenAI-shaped errors: :class:`ProxyError`, its JSON body, and the mapping of difykit errors.

Every error the proxy answers is OpenAI's ``{"error": {"message", "type", "param", "code"}}``;
:func:`error_from_dify` maps each difykit error once, carrying Dify's ``code``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from difykit_core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DifyError,
    DifyStreamError,
    InvalidRequestError,
    StreamInterruptedError,
)
from pydantic import JsonValue

__all__ = ["ProxyError", "error_body", "error_from_dify"]

Json = dict[str, JsonValue]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


class ProxyError(Exception):
    """An error answered to the client as OpenAI's error JSON.

    Attributes:
        status: The HTTP status.
        message: What went wrong, for a person.
        type: OpenAI's error ``type`` (``invalid_request_error``…).
        code: A stable code: Dify's own ``code`` when Dify refused, else the proxy's.
        param: The request parameter at fault, if one is.
        headers: Extra response headers (``x-should-retry``, ``retry-after``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type or _TYPES.get(status, "server_error" if status >= 500 else "api_error")
        self.headers = dict(headers or {})


def error_body(error: ProxyError) -> Json:
    """OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    return {
        "error": {
            "message": error.message,
            "type": error.type,
            "param": error.param,
            "code": error.code,
        }
    }


_NO_RETRY = {"x-should-retry": "false"}


def error_from_dify(exc: DifyError, *, model: str) -> ProxyError:
    """The client-facing error for a difykit error raised while serving ``model``.

    Dify's status is kept for 4xx (so the openai client raises the matching class) and its
    ``code`` is carried. Failures that may have left a turn in the conversation say
    ``x-should-retry: false``, so SDK retries do not duplicate the turn.
    """
    if isinstance(exc, APIStatusError):
        status = exc.status_code
        message = f"Dify app {model!r}: {exc.message}"
        headers: dict[str, str] = {}
        if status == 429:
            retry_after = exc.headers.get("retry-after") or exc.headers.get("Retry-After")
            if retry_after:
                headers["retry-after"] = retry_after
        elif status >= 500:
            status, headers = 502, dict(_NO_RETRY)
        elif status == 401:
            message += " (the proxy's Dify app key was refused; check its configuration)"
        elif status not in _TYPES:
            status = 400
        return ProxyError(status, message, code=exc.code or "dify_error", headers=headers)
    if isinstance(exc, DifyStreamError):
        status = exc.status if exc.status and 400 <= exc.status < 600 else 500
        if status >= 500:
            status = 502
        return ProxyError(
            status,
            f"Dify app {model!r} failed: {exc.message}",
            code=exc.code or "dify_stream_error",
            headers=_NO_RETRY,
        )
    if isinstance(exc, StreamInterruptedError):
        return ProxyError(
            502,
            f"Dify app {model!r}: the answer stream ended early ({exc})",
            code="upstream_interrupted",
            headers=_NO_RETRY,
        )
    if isinstance(exc, APITimeoutError):
        return ProxyError(
            504, f"Dify did not answer in time ({exc})", code="upstream_timeout", headers=_NO_RETRY
        )
    if isinstance(exc, APIConnectionError):
        return ProxyError(502, f"Dify could not be reached ({exc})", code="upstream_unreachable")
    if isinstance(exc, InvalidRequestError):
        return ProxyError(400, str(exc), code="invalid_request")
    return ProxyError(502, f"Dify answered something unexpected ({exc})", code="upstream_error")
