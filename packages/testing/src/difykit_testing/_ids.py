"""Ids, keys and timestamps the emulator hands out."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

__all__ = ["new_id", "new_key", "now", "seeded_key"]


def new_id() -> str:
    """A UUID string, as Dify uses for every id."""
    return str(uuid.uuid4())


def new_key(prefix: str) -> str:
    """An API key: ``app-`` or ``dataset-`` plus 24 characters."""
    return prefix + secrets.token_urlsafe(18)[:24]


def seeded_key(prefix: str, seed: str, name: str) -> str:
    """A key like :func:`new_key`'s, always the same for one ``seed`` and ``name``."""
    digest = hashlib.sha256(f"{seed}\0{name}".encode()).hexdigest()
    return prefix + digest[:24]


def now() -> int:
    """Unix time in seconds (Dify's timestamps)."""
    return int(time.time())
