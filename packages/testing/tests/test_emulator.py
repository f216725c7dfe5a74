"""The emulator's framework: auth, errors, transports that stream, loopback serving, faults, CLI."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
from difykit import AuthenticationError, Dify, NotFoundError, RateLimitError
from difykit_async import AsyncDify
from difykit_testing import DifyEmulator
from difykit_testing._cli import demo_emulator


def test_the_pytest_plugin_gives_a_fresh_emulator(dify_emulator: DifyEmulator) -> None:
    """The ``dify_emulator`` fixture is registered by the package's pytest11 entry point."""
    assert isinstance(dify_emulator, DifyEmulator)
    assert dify_emulator.apps_by_key == {}


def test_a_key_of_the_other_family_is_refused(dify_emulator: DifyEmulator) -> None:
    """A dataset key on an app route gets Dify's 401 with WWW-Authenticate."""
    client = httpx.Client(transport=dify_emulator.transport(), base_url="http://dify.test/v1")
    answer = client.get("/info", headers={"Authorization": f"Bearer {dify_emulator.dataset_key}"})
    assert answer.status_code == 401
    ok = {"code": "unauthorized", "message": "Access token is invalid", "status": 401}
    assert answer.json() == ok
    assert answer.headers["www-authenticate"] == 'Bearer realm="api"'
    bad_scheme = client.get("/info", headers={"Authorization": "Token abc"})
    assert bad_scheme.json()["message"] == "Authorization scheme must be 'Bearer'"


def test_an_unknown_route_is_an_html_404_like_flask(dify_emulator: DifyEmulator) -> None:
    """Unknown URLs answer HTML, which the SDK maps to NotFoundError with no code."""
    app = dify_emulator.add_app()
    client = httpx.Client(transport=dify_emulator.transport(), base_url="http://dify.test/v1")
    answer = client.get("/does-not-exist", headers={"Authorization": f"Bearer {app.api_key}"})
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    dify = Dify(api_key=app.api_key, base_url="http://dify.test/v1", http_client=client)
    with pytest.raises(NotFoundError) as info:
        dify.files.preview("no-such-file")
    assert info.value.code == "file_not_found"


def test_the_sync_transport_streams_chunks_as_they_are_sent(dify_emulator: DifyEmulator) -> None:
    """A stalled stream delivers its first ping at once instead of waiting for the body's end."""
    app = dify_emulator.add_app(mode="chat")
    dify_emulator.faults.stall_next_stream(5.0)
    client = httpx.Client(transport=dify_emulator.transport(), base_url="http://dify.test/v1")
    started = time.monotonic()
    body = {"query": "hi", "inputs": {}, "user": "u1", "response_mode": "streaming"}
    headers = {"Authorization": f"Bearer {app.api_key}"}
    with client.stream("POST", "/chat-messages", json=body, headers=headers) as answer:
        first = next(answer.iter_raw())
    assert first == b"event: ping\n\n"
    assert time.monotonic() - started < 2.0


@pytest.mark.anyio
async def test_the_async_transport_works_with_the_async_client() -> None:
    """AsyncDify talks to the emulator in-process and maps injected failures after retries."""
    emulator = DifyEmulator()
    app = emulator.add_app()
    emulator.faults.fail_next(3, status=429, code="rate_limit_error", retry_after=0)
    dify = AsyncDify(
        api_key=app.api_key,
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=emulator.async_transport()),
        max_retries=1,
    )
    with pytest.raises(RateLimitError):
        await dify.app.info()
    info = await dify.app.info()  # the third failure was used by the retry
    assert info.name == "chat app"


def test_serve_listens_on_a_random_loopback_port() -> None:
    """serve() yields a working base URL on 127.0.0.1 and frees the port afterwards."""
    emulator = DifyEmulator()
    app = emulator.add_app(name="Served")
    with emulator.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        with Dify(api_key=app.api_key, base_url=base_url) as dify:
            assert dify.app.info().name == "Served"
            with pytest.raises(AuthenticationError):
                dify.with_options(api_key="app-unknownkey").app.info()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/info", timeout=1)


def test_latency_and_slow_next_delay_answers(dify_emulator: DifyEmulator) -> None:
    """Latency applies to every request, slow_next only to the next one."""
    app = dify_emulator.add_app()
    dify = Dify(
        api_key=app.api_key,
        base_url="http://dify.test/v1",
        http_client=httpx.Client(transport=dify_emulator.transport()),
    )
    dify_emulator.faults.slow_next(0.3)
    started = time.monotonic()
    dify.app.info()
    slow = time.monotonic() - started
    started = time.monotonic()
    dify.app.info()
    fast = time.monotonic() - started
    assert slow >= 0.3 > fast


def test_the_cli_demo_has_an_app_of_every_mode() -> None:
    """The demo emulator behind ``difykit-emulator`` has every app mode and a knowledge key."""
    emulator = demo_emulator()
    modes = sorted(app.mode for app in emulator.apps_by_key.values())
    assert modes == ["advanced-chat", "agent-chat", "chat", "completion", "workflow"]
    assert emulator.dataset_key.startswith("dataset-")


def test_the_cli_serves_and_prints_keys() -> None:
    """``difykit-emulator --port 0`` starts, prints the base URL and the app keys."""
    process = subprocess.Popen(
        [sys.executable, "-m", "difykit_testing._cli", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Dify emulator at http://127.0.0.1:")
        lines = [process.stdout.readline() for _ in range(6)]
        assert any("app-" in line for line in lines) and any("dataset-" in line for line in lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_in_process_streams_honour_the_clients_idle_timeout(dify_emulator: DifyEmulator) -> None:
    """A stalled stream through the in-process transport times out like a socket would."""
    from difykit import StreamInterruptedError

    app = dify_emulator.add_app(mode="chat")
    dify_emulator.faults.stall_next_stream(30.0)
    dify = Dify(
        api_key=app.api_key,
        base_url="http://dify.test/v1",
        http_client=httpx.Client(transport=dify_emulator.transport()),
        stream_idle_timeout=0.3,
    )
    started = time.monotonic()
    with pytest.raises(StreamInterruptedError, match="no data"):
        dify.chat.stream(query="hi", user="u1").collect()
    assert time.monotonic() - started < 3.0


@pytest.mark.anyio
async def test_async_in_process_streams_honour_the_idle_timeout() -> None:
    """The async in-process transport raises the same timeout on a stalled stream."""
    from difykit import StreamInterruptedError

    emulator = DifyEmulator()
    app = emulator.add_app(mode="workflow", inputs=["text"])
    emulator.faults.stall_next_stream(30.0)
    dify = AsyncDify(
        api_key=app.api_key,
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=emulator.async_transport()),
        stream_idle_timeout=0.3,
    )
    with pytest.raises(StreamInterruptedError):
        await dify.workflows.stream(inputs={"text": "x"}, user="u1").collect()
