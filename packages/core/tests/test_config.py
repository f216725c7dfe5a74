"""Client settings: the API key and base URL from arguments or the environment."""

from __future__ import annotations

import dataclasses

import pytest

from difykit_core import InvalidRequestError
from difykit_core._config import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUTS,
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
