"""When to retry a request and how long to wait: data plus pure functions.

The transports do the sleeping and pass the clock (``now``) and randomness (``jitter``) in.

Rules:

* A failure to connect is always retried: nothing reached Dify.
* 429 is retried for any call (Dify refused the work before running it), and so is the app
  concurrency limit that Dify sends as 400 "Too many requests".
* 502, 503, 504 and a read failure (timeout or dropped connection after the request was sent)
  are retried only for *replayable* calls (GETs and idempotent writes): a gateway's 5xx can come
  after Dify started the run. A chat, completion or workflow run that may have reached Dify is
  never sent twice: a second run is a second bill.
* ``Retry-After`` (seconds or an HTTP date) is honoured; a server that asks for longer than
  ``max_retry_after`` is not waited for (the error is raised, carrying ``retry_after``).
  Otherwise the wait is exponential with jitter, capped at ``max_delay``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Literal, TypeAlias

__all__ = ["Failure", "RetryPolicy", "next_delay", "parse_retry_after"]

Failure: TypeAlias = Literal["connect", "read"]
"""``connect``: the request never left; ``read``: it was sent and the answer was lost."""

_ALWAYS = frozenset({429})
_REPLAYABLE_ONLY = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times, and how patiently, a client retries.

    Attributes:
        max_retries: Retries after the first attempt; ``0`` disables retrying.
        base_delay: Seconds before the first retry, doubled for each further one.
        max_delay: Cap on the exponential wait.
        max_retry_after: The longest server-given ``Retry-After`` worth waiting for; a longer
            one gives up at once.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0


def parse_retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date, read as GMT).

    ``None`` when the header is absent or unreadable (including negative or non-finite numbers).
    """
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # Negative, NaN and infinite values are not delta-seconds: ignore them.
        return seconds if 0.0 <= seconds < math.inf else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # asctime and "-0000" dates: HTTP dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def next_delay(
    policy: RetryPolicy,
    attempt: int,
    *,
    replayable: bool,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    failure: Failure | None = None,
    rate_limited: bool = False,
    now: float,
    jitter: float,
) -> float | None:
    """Seconds to wait before retrying, or ``None`` to give up.

    Args:
        policy: The retry policy.
        attempt: Retries already made for this call (0 after the first failure).
        replayable: Whether sending the request twice is harmless (GETs, idempotent writes).
        status: The error status Dify answered with, if it answered.
        headers: The error response's headers (for ``Retry-After``).
        failure: ``"connect"`` or ``"read"`` when there was no answer.
        rate_limited: The answer was Dify's concurrency limit, whatever its status.
        now: The current Unix time, for ``Retry-After`` dates.
        jitter: A number in [0, 1) drawn by the caller.
    """
    if attempt >= policy.max_retries:
        return None
    if failure == "connect":
        retry = True
    elif failure == "read":
        retry = replayable
    elif status is not None:
        retry = rate_limited or status in _ALWAYS or (status in _REPLAYABLE_ONLY and replayable)
    else:
        retry = False
    if not retry:
        return None
    if headers is not None:
        retry_after = parse_retry_after(headers, now=now)
        if retry_after is not None:
            return retry_after if retry_after <= policy.max_retry_after else None
    backoff = min(policy.base_delay * 2.0**attempt, policy.max_delay)
    return backoff / 2 + backoff / 2 * jitter
