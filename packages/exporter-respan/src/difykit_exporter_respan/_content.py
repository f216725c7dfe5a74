"""Content going to Respan: JSON-safe, credential values redacted, long text capped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import cast

__all__ = ["REDACTED", "clean", "is_secret_key"]

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


def clean(value: object, limit: int, *, secrets: bool = True) -> object:
    """``value`` as plain JSON data, in one walk: pydantic models dumped, decimals and other
    objects as strings, strings longer than ``limit`` cut with a marker, and (``secrets``) the
    non-empty values of credential-like keys replaced by :data:`REDACTED`."""
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
