"""Client settings shared by the sync and async transports: key, base URL, timeouts."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import InvalidRequestError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "Timeouts",
    "resolve_api_key",
    "resolve_base_url",
]

DEFAULT_BASE_URL = "https://api.dify.ai/v1"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed for each phase of a request."""

    connect: float
    read: float
    write: float
    pool: float


DEFAULT_TIMEOUTS = Timeouts(connect=5.0, read=300.0, write=60.0, pool=10.0)
"""Connect fast, read long: a blocking LLM answer or workflow run can take minutes (Dify Cloud's
edge cuts at about 100 s), while a server that does not accept a connection in 5 s is down."""

DEFAULT_STREAM_IDLE_TIMEOUT = 60.0
"""Dify sends a ping about every 10 s while a task runs, so 60 s of silence means the stream is
dead (real Dify sometimes answers 200, sends one ping and then nothing, forever)."""


def resolve_api_key(api_key: str | None) -> str:
    """The key from the argument or ``DIFY_API_KEY``."""
    key = api_key if api_key is not None else os.environ.get("DIFY_API_KEY")
    if not key:
        raise InvalidRequestError(
            "no API key: pass api_key=… or set DIFY_API_KEY (an app key 'app-…' or a "
            "knowledge key 'dataset-…')"
        )
    key = key.strip()
    if not key.isascii() or not key.isprintable() or " " in key:
        raise InvalidRequestError(
            "the API key has spaces or non-ASCII characters; copy it again from Dify "
            "(API Access → API Key): keys look like 'app-…' or 'dataset-…'"
        )
    return key


def resolve_base_url(base_url: str | None) -> str:
    """The base URL from the argument, ``DIFY_BASE_URL``, or Dify Cloud's."""
    url = base_url or os.environ.get("DIFY_BASE_URL") or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise InvalidRequestError(f"base_url must start with http:// or https://, not {url!r}")
    return url.rstrip("/")
