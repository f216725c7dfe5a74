"""Client settings: the API key and base URL from arguments or the environment."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from difykit_core import InvalidRequestError
from difykit_core._config import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUTS,
    ClientConfig,
    Timeouts,
    client_config,
    key_fingerprint,
    resolve_api_key,
    resolve_base_url,
)

KEY = "app-5Yq2mQx8rT1vZ3wK"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the DIFY_* variables of the machine running it."""
    monkeypatch.delenv("DIFY_API_KEY", raising=False)
    monkeypatch.delenv("DIFY_BASE_URL", raising=False)


# --- API key ----------------------------------------------------------------------------------


def test_api_key_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit key is used even when DIFY_API_KEY holds another one."""
    monkeypatch.setenv("DIFY_API_KEY", "dataset-from-env")
    assert resolve_api_key(KEY) == KEY


def test_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no argument, DIFY_API_KEY is used."""
    monkeypatch.setenv("DIFY_API_KEY", "dataset-Kf83jd9s")
    assert resolve_api_key(None) == "dataset-Kf83jd9s"


def test_api_key_surrounding_whitespace_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key pasted with a trailing newline or spaces still works."""
    monkeypatch.setenv("DIFY_API_KEY", f"  {KEY}\n")
    assert resolve_api_key(None) == KEY
    assert resolve_api_key(f"\t{KEY} ") == KEY


def test_missing_api_key_says_where_to_put_one() -> None:
    """No argument and no DIFY_API_KEY raises InvalidRequestError naming both ways."""
    with pytest.raises(InvalidRequestError, match=r"api_key=.*DIFY_API_KEY"):
        resolve_api_key(None)


def test_empty_api_key_argument_does_not_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``api_key=""`` is a mistake to report, not a request to read DIFY_API_KEY."""
    monkeypatch.setenv("DIFY_API_KEY", KEY)
    with pytest.raises(InvalidRequestError, match="no API key"):
        resolve_api_key("")


def test_empty_environment_key_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """``DIFY_API_KEY=`` (set but empty) is no key."""
    monkeypatch.setenv("DIFY_API_KEY", "")
    with pytest.raises(InvalidRequestError, match="no API key"):
        resolve_api_key(None)


@pytest.mark.parametrize(
    "key",
    ["app-abc def", "app-ключ", "app-abc\x00", "Bearer app-abc", "app-abc\u200b"],
    ids=["inner-space", "non-ascii", "control-char", "bearer-prefix", "zero-width-space"],
)
def test_malformed_api_key_is_refused_without_echoing_it(key: str) -> None:
    """A key with spaces, non-ASCII or unprintable characters raises, and is not repeated."""
    with pytest.raises(InvalidRequestError, match="copy it again") as caught:
        resolve_api_key(key)
    assert key.strip() not in str(caught.value)


# --- base URL ---------------------------------------------------------------------------------


def test_base_url_defaults_to_dify_cloud() -> None:
    """With no argument and no DIFY_BASE_URL, Dify Cloud's API is used."""
    assert resolve_base_url(None) == DEFAULT_BASE_URL == "https://api.dify.ai/v1"


def test_base_url_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit base URL is used even when DIFY_BASE_URL is set."""
    monkeypatch.setenv("DIFY_BASE_URL", "https://env.example.com/v1")
    assert resolve_base_url("http://127.0.0.1:5001/v1") == "http://127.0.0.1:5001/v1"


def test_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no argument (or an empty one), DIFY_BASE_URL is used."""
    monkeypatch.setenv("DIFY_BASE_URL", "https://dify.internal.example/v1")
    assert resolve_base_url(None) == "https://dify.internal.example/v1"
    assert resolve_base_url("") == "https://dify.internal.example/v1"


def test_base_url_trailing_slashes_are_dropped() -> None:
    """``…/v1/`` and ``…/v1`` give the same base, so paths join with one slash."""
    assert resolve_base_url("https://dify.example.com/v1//") == "https://dify.example.com/v1"


@pytest.mark.parametrize(
    "url", ["api.dify.ai/v1", "ftp://dify.example.com/v1", "HTTPS//dify.example.com"]
)
def test_base_url_without_http_scheme_is_refused(url: str) -> None:
    """A base URL that does not start with http:// or https:// raises, quoting it."""
    with pytest.raises(InvalidRequestError, match="must start with http:// or https://") as caught:
        resolve_base_url(url)
    assert repr(url) in str(caught.value)


def test_default_timeouts_connect_fast_and_read_long() -> None:
    """The defaults allow minutes for an answer but seconds for a connection, and are frozen."""
    assert DEFAULT_TIMEOUTS.connect < DEFAULT_TIMEOUTS.pool < DEFAULT_TIMEOUTS.read
    assert DEFAULT_TIMEOUTS.read >= 120  # a blocking LLM answer can take minutes
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_TIMEOUTS.read = 1  # type: ignore[misc]


# --- client_config ------------------------------------------------------------------------------


def make_config(**options: object) -> ClientConfig:
    """client_config with the defaults a client passes, overridden by ``options``."""
    arguments: dict[str, Any] = {
        "api_key": KEY,
        "base_url": None,
        "timeout": None,
        "stream_idle_timeout": 60.0,
        "max_retries": 2,
        "observers": [],
        "clock": lambda: 0.0,
        "wall_clock": lambda: 0.0,
        "jitter": lambda: 0.0,
    }
    arguments.update(options)
    return client_config(**arguments)


def test_client_config_resolves_defaults_and_names_the_app() -> None:
    """Default timeouts, Dify Cloud, the retry policy and a fingerprint of the key."""
    config = make_config()
    assert config.timeouts == DEFAULT_TIMEOUTS
    assert config.base_url == DEFAULT_BASE_URL
    assert config.retry.max_retries == 2
    assert config.app.key_fingerprint == key_fingerprint(KEY)
    assert KEY not in config.app.key_fingerprint


def test_a_number_timeout_applies_to_every_phase() -> None:
    """timeout=7 means 7 s to connect, read, write and wait for the pool."""
    assert make_config(timeout=7).timeouts == Timeouts(7.0, 7.0, 7.0, 7.0)
    given = Timeouts(1.0, 2.0, 3.0, 4.0)
    assert make_config(timeout=given).timeouts is given


@pytest.mark.parametrize(
    ("option", "value", "error", "words"),
    [
        ("timeout", 0, ValueError, "timeout must be a positive number"),
        ("timeout", -1.0, ValueError, "timeout must be a positive number"),
        ("timeout", float("inf"), ValueError, "timeout must be a positive number"),
        ("timeout", "5", TypeError, "timeout must be a number of seconds"),
        ("timeout", True, TypeError, "timeout must be a number of seconds"),
        ("timeout", Timeouts(5.0, 0.0, 5.0, 5.0), ValueError, "timeout.read must be"),
        ("stream_idle_timeout", 0, ValueError, "stream_idle_timeout must be a positive"),
        ("max_retries", -1, ValueError, "max_retries must be 0 or more"),
        ("max_retries", 1.5, TypeError, "max_retries must be an int"),
        ("max_retries", False, TypeError, "max_retries must be an int"),
        ("observers", "logger", TypeError, "observers must be a list"),
        ("max_retry_after", "60", TypeError, "max_retry_after must be a number"),
        ("max_retry_after", -1, ValueError, "max_retry_after must be 0 or more"),
        ("observers", object(), TypeError, "observers must be a list"),
    ],
)
def test_bad_options_are_refused_naming_the_option(
    option: str, value: object, error: type[Exception], words: str
) -> None:
    """Out-of-range or wrongly typed options fail when the client is built, not later."""
    with pytest.raises(error, match=words):
        make_config(**{option: value})


def test_a_key_of_only_spaces_is_a_missing_key() -> None:
    """Spaces are stripped first, so a blank key is "no API key", not a bad header later."""
    with pytest.raises(InvalidRequestError, match="no API key"):
        resolve_api_key("   ")


def test_a_key_fingerprint_keeps_the_family_and_hides_the_rest() -> None:
    """app- and dataset- keys keep their prefix; other keys show only the hash digits."""
    assert key_fingerprint("app-abc").startswith("app-…")
    assert key_fingerprint("dataset-abc").startswith("dataset-…")
    assert key_fingerprint("plainkey").startswith("…")
    assert len(key_fingerprint("plainkey")) == 9
    assert key_fingerprint("app-abc") != key_fingerprint("app-abd")
