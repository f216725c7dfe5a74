"""The README's examples run as written against a served emulator and a fake Respan API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from difykit_testing import DifyEmulator
from fake_respan import FakeRespan

README = Path(__file__).parent.parent / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)


@pytest.fixture
def environment(
    emulator: DifyEmulator, dify_url: str, respan: FakeRespan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys and URLs from the environment, as the examples expect, pointing at loopback."""
    emulator.add_app(mode="chat", api_key="app-your-key")  # the migration example's key
    app = emulator.add_app(mode="chat")
    monkeypatch.setenv("DIFY_API_KEY", app.api_key)
    monkeypatch.setenv("DIFY_BASE_URL", dify_url)
    monkeypatch.setenv("RESPAN_API_KEY", "rk-readme")
    monkeypatch.setenv("RESPAN_ENDPOINT", respan.url)


def _run(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def test_the_readme_has_two_short_examples() -> None:
    """The quick start is at most 15 lines; the migration example follows it."""
    quick, moving = _blocks()
    assert len(quick.strip().splitlines()) <= 15
    assert "create_client" in moving


@pytest.mark.usefixtures("environment")
def test_quick_start_logs_a_blocking_call_and_a_stream_in_a_context(respan: FakeRespan) -> None:
    """The quick start sends one log per call, the stream with the block's parameters."""
    namespace = _run(_blocks()[0])
    namespace["dify"].close()
    namespace["respan"].shutdown()
    sent, streamed = respan.accepted
    assert (sent["span_name"], sent["customer_identifier"]) == ("dify.chat.send", "user-1")
    assert streamed["span_name"] == "dify.chat.stream"
    assert streamed["session_identifier"] == "support-42"
    assert streamed["metadata"]["plan"] == "pro"  # type: ignore[index]
    assert isinstance(streamed["time_to_first_token"], float)
    assert respan.requests[0].headers["authorization"] == "Bearer rk-readme"


@pytest.mark.usefixtures("environment")
def test_migration_example_logs_with_its_respan_params(respan: FakeRespan) -> None:
    """The migration example's client answers and logs with ``respan_params``."""
    namespace = _run(_blocks()[1])
    assert namespace["reply"].answer == "Echo: Hi"
    client = namespace["client"]
    assert client.respan.shutdown(5)
    client.close()
    [root] = respan.accepted
    assert root["session_identifier"] == "support-42"
    assert respan.requests[0].headers["authorization"] == "Bearer rk-your-key"
