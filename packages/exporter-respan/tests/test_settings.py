"""Settings: the ingest URL from arguments or the environment, and options checked at once."""

from __future__ import annotations

import pytest
from difykit_exporter_respan import RespanObserver
from difykit_exporter_respan._settings import DEFAULT_ENDPOINT, resolve_endpoint


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RESPAN_ENDPOINT", "RESPAN_BASE_URL", "RESPAN_API_KEY", "RESPAN_DISABLED"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("endpoint", "base_url", "expected"),
    [
        (None, None, DEFAULT_ENDPOINT),
        ("http://x/ingest", "http://ignored", "http://x/ingest"),
        (None, "https://eu.respan.ai/api", "https://eu.respan.ai/api/v1/traces/ingest"),
        (None, "https://eu.respan.ai/", "https://eu.respan.ai/api/v1/traces/ingest"),
    ],
)
def test_endpoint_resolution(endpoint: str | None, base_url: str | None, expected: str) -> None:
    """An explicit endpoint wins; a base URL is completed as respan-sdk completes it."""
    assert resolve_endpoint(endpoint, base_url) == expected


def test_environment_endpoint_beats_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """``RESPAN_ENDPOINT`` is used as given, before ``RESPAN_BASE_URL``."""
    monkeypatch.setenv("RESPAN_ENDPOINT", "http://env/ingest")
    monkeypatch.setenv("RESPAN_BASE_URL", "http://base/api")
    assert resolve_endpoint() == "http://env/ingest"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("sample_rate", 1.5),
        ("max_batch_size", 501),
        ("max_queue_size", 0),
        ("flush_interval", 0),
        ("backoff_base", 0),
        ("breaker_threshold", 0),
    ],
)
def test_out_of_range_options_are_refused(option: str, value: float) -> None:
    """An option out of range is a ValueError naming it, when the observer is made."""
    with pytest.raises(ValueError, match=option):
        RespanObserver("rk", **{option: value})  # type: ignore[arg-type]


def test_kill_switch_disables_even_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """``RESPAN_DISABLED=1`` turns the observer off."""
    monkeypatch.setenv("RESPAN_DISABLED", "1")
    assert not RespanObserver("rk").enabled
