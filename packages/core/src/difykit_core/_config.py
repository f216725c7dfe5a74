"""Client settings shared by the sync and async transports: key, base URL, timeouts."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ._observer import AppIdentity, Observer
from ._observers import ObserverSet
from ._retry import RetryPolicy
from .errors import InvalidRequestError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "ClientConfig",
    "Timeouts",
    "client_config",
    "key_fingerprint",
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
    key = key.strip() if key else key
    if not key:
        raise InvalidRequestError(
            "no API key: pass api_key=… or set DIFY_API_KEY (an app key 'app-…' or a "
            "knowledge key 'dataset-…')"
        )
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


def key_fingerprint(api_key: str) -> str:
    """A non-secret name for a key: its family prefix and 8 hex digits of its SHA-256."""
    prefix = api_key.split("-", 1)[0] + "-" if "-" in api_key[:9] else ""
    return f"{prefix}…{hashlib.sha256(api_key.encode()).hexdigest()[:8]}"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything a transport and its exchanges need of one client (see :func:`client_config`).

    The clocks and the jitter source are the transport's: the core never reads the clock.
    """

    api_key: str
    base_url: str
    timeouts: Timeouts
    stream_idle_timeout: float
    retry: RetryPolicy
    observers: ObserverSet
    app: AppIdentity
    clock: Callable[[], float]
    """Monotonic seconds (for elapsed times)."""
    wall_clock: Callable[[], float]
    """Unix time (for ``started_at`` and ``Retry-After`` dates)."""
    jitter: Callable[[], float]
    """A number in [0, 1) per call (for retry back-off)."""
    legacy_operations: set[str] = field(default_factory=set)
    """Operations this client's server answered 405 on: their legacy route is used directly."""


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}")
    if not (0 < value < math.inf):
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


# The checks below take ``object``: callers that are not type-checked can pass anything.


def _retry_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be an int, not {value!r}")
    if value < 0:
        raise ValueError(f"max_retries must be 0 or more, not {value}")
    return value


def _retry_after_cap(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"max_retry_after must be a number of seconds, not {value!r}")
    if not 0 <= value < math.inf:
        raise ValueError(f"max_retry_after must be 0 or more seconds, not {value!r}")
    return float(value)


def _check_observers(value: object) -> None:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"observers must be a list of observers, not {value!r}")


def client_config(
    *,
    api_key: str | None,
    base_url: str | None,
    timeout: float | Timeouts | None,
    stream_idle_timeout: float,
    max_retries: int,
    observers: Sequence[Observer],
    max_retry_after: float = 60.0,
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
    jitter: Callable[[], float],
) -> ClientConfig:
    """Resolve and check a client's options (arguments, then environment, then defaults).

    Raises:
        InvalidRequestError: No key was given or found, or the base URL is not http(s).
        TypeError: An option has the wrong type (named in the message).
        ValueError: An option's value is out of range (named in the message).
    """
    if timeout is None:
        timeouts = DEFAULT_TIMEOUTS
    elif isinstance(timeout, Timeouts):
        timeouts = timeout
        for phase in ("connect", "read", "write", "pool"):
            _seconds(f"timeout.{phase}", getattr(timeout, phase))
    else:
        seconds = _seconds("timeout", timeout)
        timeouts = Timeouts(seconds, seconds, seconds, seconds)
    idle = _seconds("stream_idle_timeout", stream_idle_timeout)
    retries = _retry_count(max_retries)
    retry_after = _retry_after_cap(max_retry_after)
    _check_observers(observers)
    key = resolve_api_key(api_key)
    url = resolve_base_url(base_url)
    return ClientConfig(
        api_key=key,
        base_url=url,
        timeouts=timeouts,
        stream_idle_timeout=idle,
        retry=RetryPolicy(max_retries=retries, max_retry_after=retry_after),
        observers=ObserverSet(observers),
        app=AppIdentity(url, key_fingerprint(key)),
        clock=clock,
        wall_clock=wall_clock,
        jitter=jitter,
    )
