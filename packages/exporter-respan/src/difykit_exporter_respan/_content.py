"""Content going to Respan: JSON-safe, credential values redacted, long text capped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

__all__ = ["REDACTED", "cap", "is_secret_key", "jsonable", "redact"]

REDACTED = "[REDACTED]"

_SECRET_FRAGMENTS = (
    "apikey",
    "authorization",
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "cookie",
    "privatekey",
    "accesskey",
    "signature",
)
_COUNT_SUFFIXES = ("tokens", "tokencount", "tokenusage", "timetofirsttoken")


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential (token counts and timings do not)."""
    name = key.lower().replace("_", "").replace("-", "")
    if name.endswith(_COUNT_SUFFIXES):
        return False
    return any(fragment in name for fragment in _SECRET_FRAGMENTS)


def jsonable(value: object) -> object:
    """``value`` as plain JSON data (pydantic models dumped, decimals as strings)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return jsonable(dump(mode="json", exclude_none=True))
    return str(value)


def redact(value: object) -> object:
    """A copy of JSON data with the values of credential-like keys replaced."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_key(k) and v else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def cap(value: object, limit: int) -> object:
    """A copy of JSON data where each string longer than ``limit`` is cut, with a marker."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return f"{value[:limit]}…[truncated {len(value) - limit} chars]"
    if isinstance(value, Mapping):
        return {k: cap(v, limit) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [cap(v, limit) for v in value]
    return value
