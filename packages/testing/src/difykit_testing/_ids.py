"""Ids, keys and timestamps the emulator hands out."""

from __future__ import annotations

import secrets
import time
import uuid

__all__ = ["new_id", "new_key", "now"]


def new_id() -> str:
    """A UUID string, as Dify uses for every id."""
    return str(uuid.uuid4())


def new_key(prefix: str) -> str:
    """An API key: ``app-`` or ``dataset-`` plus 24 characters."""
    return prefix + secrets.token_urlsafe(18)[:24]


def now() -> int:
    """Unix time in seconds (Dify's timestamps)."""
    return int(time.time())
