"""Content going to Respan: JSON-safe, credential values redacted, long text capped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import cast

__all__ = ["REDACTED", "cap", "clean", "is_secret_key", "jsonable", "redact"]

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


@lru_cache(maxsize=4096)  # the same few keys come back call after call
def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a credential (token counts and timings do not)."""
    name = key.lower().replace("_", "").replace("-", "")
    if name.endswith(_COUNT_SUFFIXES):
        return False
    return any(fragment in name for fragment in _SECRET_FRAGMENTS)


# The casts below: isinstance narrows to Mapping[Unknown, Unknown] (list[Unknown]...), while
# any mapping or sequence reads exactly as one of objects.


def jsonable(value: object) -> object:
    """``value`` as plain JSON data (pydantic models dumped, decimals as strings)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in cast("Mapping[object, object]", value).items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in cast("Sequence[object]", value)]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return jsonable(dump(mode="json", exclude_none=True))
    return str(value)


def redact(value: object) -> object:
    """A copy of JSON data with the values of credential-like keys replaced."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_key(k) and v else redact(v)
            for k, v in cast("Mapping[object, object]", value).items()
        }
    if isinstance(value, list):
        return [redact(v) for v in cast("Sequence[object]", value)]
    return value


def cap(value: object, limit: int) -> object:
    """A copy of JSON data where each string longer than ``limit`` is cut, with a marker."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return f"{value[:limit]}…[truncated {len(value) - limit} chars]"
    if isinstance(value, Mapping):
        return {k: cap(v, limit) for k, v in cast("Mapping[object, object]", value).items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [cap(v, limit) for v in cast("Sequence[object]", value)]
    return value


def clean(value: object, limit: int, *, secrets: bool = True) -> object:
    """``cap(redact(jsonable(value)), limit)`` in one pass (``secrets=False``: no redaction).

    The worker prepares every input and output this way; one walk instead of three copies.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return f"{value[:limit]}…[truncated {len(value) - limit} chars]"
    if value is None or isinstance(value, (int, float)):  # bool is an int
        return value
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for k, v in cast("Mapping[object, object]", value).items():
            key = str(k)
            data = clean(v, limit, secrets=secrets)
            out[key] = REDACTED if secrets and data and is_secret_key(key) else data
        return out
    if isinstance(value, (list, tuple)):
        return [clean(v, limit, secrets=secrets) for v in cast("Sequence[object]", value)]
    if isinstance(value, Decimal):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return clean(dump(mode="json", exclude_none=True), limit, secrets=secrets)
    return clean(str(value), limit, secrets=secrets)
