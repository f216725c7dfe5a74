"""next_delay and parse_retry_after: what is retried, how long to wait, and Retry-After."""

from __future__ import annotations

import os
import time  # noqa: TID251 (the test sets the process time zone, the core never reads it)
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from difykit_core import RetryPolicy, next_delay
from difykit_core._retry import Failure, parse_retry_after

NOW = 1_795_285_524.0
POLICY = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)


def delay(
    *,
    attempt: int = 0,
    replayable: bool = False,
    status: int | None = None,
    failure: Failure | None = None,
    headers: dict[str, str] | None = None,
    rate_limited: bool = False,
    policy: RetryPolicy = POLICY,
    jitter: float = 0.0,
) -> float | None:
    """next_delay with this module's defaults."""
    return next_delay(
        policy,
        attempt,
        replayable=replayable,
        status=status,
        headers=headers,
        failure=failure,
        rate_limited=rate_limited,
        now=NOW,
        jitter=jitter,
    )


# --- what is retried ------------------------------------------------------------------------------


@pytest.mark.parametrize("replayable", [True, False])
def test_connect_failure_is_retried_for_any_call(replayable: bool) -> None:
    """A request that never connected is retried, even a generation POST."""
    assert delay(failure="connect", replayable=replayable) is not None


def test_read_failure_is_retried_when_replayable() -> None:
    """A lost answer to a replayable call (a GET) is retried."""
    assert delay(failure="read", replayable=True) is not None


def test_generation_post_is_never_retried_after_a_read_failure() -> None:
    """A non-replayable call (chat/workflow run) is not sent twice after its answer was lost."""
    assert delay(failure="read", replayable=False) is None


@pytest.mark.parametrize("replayable", [True, False])
def test_a_429_is_retried_for_any_call(replayable: bool) -> None:
    """429 means Dify refused the work before running it, so even a generation is retried."""
    assert delay(status=429, replayable=replayable) is not None


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_only_when_replayable(status: int) -> None:
    """A gateway's 5xx may come after Dify started the run: only replayable calls retry it."""
    assert delay(status=status, replayable=True) is not None
    assert delay(status=status, replayable=False) is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 500])
def test_other_statuses_are_not_retried(status: int) -> None:
    """Client errors and a plain 500 are final, even for replayable calls."""
    assert delay(status=status, replayable=True) is None


def test_rate_limited_flag_retries_a_400() -> None:
    """The concurrency limit Dify sends as 400 is retried when flagged as rate limited."""
    assert delay(status=400, rate_limited=True) is not None
    assert delay(status=400, rate_limited=False) is None


def test_no_status_and_no_failure_is_not_retried() -> None:
    """With nothing that went wrong, there is nothing to retry."""
    assert delay(replayable=True) is None


def test_max_retries_is_respected() -> None:
    """Retries stop once ``max_retries`` were made; zero disables retrying."""
    policy = RetryPolicy(max_retries=2)
    assert delay(policy=policy, attempt=0, status=429) is not None
    assert delay(policy=policy, attempt=1, status=429) is not None
    assert delay(policy=policy, attempt=2, status=429) is None
    assert delay(policy=RetryPolicy(max_retries=0), attempt=0, failure="connect") is None


def test_max_retries_wins_over_retry_after() -> None:
    """A Retry-After header does not extend the number of retries."""
    policy = RetryPolicy(max_retries=1)
    assert delay(policy=policy, attempt=1, status=429, headers={"Retry-After": "1"}) is None


# --- backoff --------------------------------------------------------------------------------------


def test_backoff_grows_exponentially() -> None:
    """Without jitter the wait doubles with each attempt, starting at half of base_delay."""
    waits = [delay(attempt=n, status=429, jitter=0.0) for n in range(4)]
    assert waits == [0.25, 0.5, 1.0, 2.0]


def test_backoff_is_capped_at_max_delay() -> None:
    """The wait never exceeds max_delay, however many attempts were made."""
    waits = [delay(attempt=n, status=429, jitter=0.999999) for n in range(10)]
    assert all(w is not None and w <= POLICY.max_delay for w in waits)
    assert waits[-1] == pytest.approx(POLICY.max_delay, rel=1e-5)


@settings(max_examples=100, deadline=None)
@given(attempt=st.integers(0, 9), jitter=st.floats(0.0, 1.0, exclude_max=True))
def test_jitter_stays_within_half_and_full_backoff(attempt: int, jitter: float) -> None:
    """With any jitter in [0, 1), the wait is between backoff/2 and backoff."""
    backoff = min(POLICY.base_delay * 2**attempt, POLICY.max_delay)
    wait = delay(attempt=attempt, status=429, jitter=jitter)
    assert wait is not None
    assert backoff / 2 <= wait <= backoff


# --- Retry-After ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Retry-After", "retry-after"])
def test_retry_after_seconds_is_honoured(name: str) -> None:
    """A Retry-After in seconds is the wait, instead of the backoff."""
    assert delay(status=429, headers={name: "7"}) == 7.0
    assert delay(status=429, headers={name: " 2.5 "}) == 2.5


def test_retry_after_http_date_is_relative_to_now() -> None:
    """A Retry-After HTTP date gives the seconds from ``now`` to that date."""
    when = format_datetime(datetime.fromtimestamp(NOW + 30, tz=timezone.utc), usegmt=True)
    assert delay(status=429, headers={"Retry-After": when}) == 30.0


def test_retry_after_date_in_the_past_means_no_wait() -> None:
    """A Retry-After date that already passed waits zero seconds."""
    when = format_datetime(datetime.fromtimestamp(NOW - 120, tz=timezone.utc), usegmt=True)
    assert delay(status=429, headers={"Retry-After": when}) == 0.0


@pytest.fixture
def non_utc_local_time() -> Iterator[None]:
    """Run the test with the process's local time zone set to UTC+9."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "JST-9"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("non_utc_local_time")
@pytest.mark.parametrize(
    "when",
    ["Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 -0000"],
    ids=["asctime", "no-zone"],
)
def test_retry_after_date_without_zone_is_gmt(when: str) -> None:
    """HTTP dates are GMT: a date without a zone is not read in the machine's local time."""
    expected = datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after({"Retry-After": when}, now=expected - 10) == 10.0


@pytest.mark.parametrize(
    "value", ["3600", "Sun, 06 Nov 2099 08:49:37 GMT"], ids=["seconds", "date"]
)
def test_a_retry_after_beyond_max_retry_after_gives_up(value: str) -> None:
    """A Retry-After longer than max_retry_after is not slept on: the call gives up at once."""
    assert delay(status=429, headers={"Retry-After": value}) is None
    assert delay(status=429, headers={"Retry-After": "60"}) == 60.0


@pytest.mark.parametrize(
    "value",
    ["soon", "", "12 seconds", "-5", "nan", "inf", "Funday, 99 Nov 1994 25:61:00 GMT"],
)
def test_garbage_retry_after_is_ignored(value: str) -> None:
    """An unreadable or negative Retry-After is ignored: the normal backoff applies."""
    assert parse_retry_after({"Retry-After": value}, now=NOW) is None
    assert delay(status=429, headers={"Retry-After": value}, jitter=0.0) == 0.25


def test_retry_after_is_ignored_when_the_answer_is_not_retried() -> None:
    """A Retry-After on a final error does not make it retried."""
    assert delay(status=400, headers={"Retry-After": "1"}) is None


def test_missing_retry_after_uses_backoff() -> None:
    """Without Retry-After, the wait is the backoff."""
    assert parse_retry_after({}, now=NOW) is None
    assert delay(status=429, headers={"content-type": "application/json"}, jitter=0.0) == 0.25
