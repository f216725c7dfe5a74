"""The emulator's framework: auth, errors, transports that stream, loopback serving, faults, CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from difykit_testing import DifyEmulator
from difykit_testing._cli import DEFAULT_PORT, demo_emulator, main
from emulator_http import BASE_URL, async_client, client, error_of


def test_the_pytest_plugin_gives_a_fresh_emulator(dify_emulator: DifyEmulator) -> None:
    """The ``dify_emulator`` fixture is registered by the package's pytest11 entry point."""
    assert isinstance(dify_emulator, DifyEmulator)
    assert dify_emulator.apps_by_key == {}


def test_a_key_of_the_other_family_is_refused(dify_emulator: DifyEmulator) -> None:
    """A dataset key on an app route gets Dify's 401 with WWW-Authenticate."""
    http = httpx.Client(transport=dify_emulator.transport(), base_url=BASE_URL)
    answer = http.get("/info", headers={"Authorization": f"Bearer {dify_emulator.dataset_key}"})
    assert answer.status_code == 401
    ok = {"code": "unauthorized", "message": "Access token is invalid", "status": 401}
    assert answer.json() == ok
    assert answer.headers["www-authenticate"] == 'Bearer realm="api"'
    bad_scheme = http.get("/info", headers={"Authorization": "Token abc"})
    assert bad_scheme.json()["message"] == "Authorization scheme must be 'Bearer'"


def test_an_unknown_route_is_an_html_404_like_flask(dify_emulator: DifyEmulator) -> None:
    """Unknown URLs answer Flask's HTML 404; an unknown file on a known route is JSON."""
    app = dify_emulator.add_app()
    http = client(dify_emulator, app.api_key)
    answer = http.get("/does-not-exist")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    missing = http.get("/files/no-such-file/preview")
    assert missing.headers["content-type"] == "application/json"
    assert error_of(missing)[:2] == (404, "file_not_found")


def test_the_sync_transport_streams_chunks_as_they_are_sent(dify_emulator: DifyEmulator) -> None:
    """A stalled stream delivers its first ping at once instead of waiting for the body's end."""
    app = dify_emulator.add_app(mode="chat")
    dify_emulator.faults.stall_next_stream(5.0)
    http = client(dify_emulator, app.api_key)
    started = time.monotonic()
    body: dict[str, Any] = {"query": "hi", "inputs": {}, "user": "u1", "response_mode": "streaming"}
    with http.stream("POST", "/chat-messages", json=body) as answer:
        first = next(answer.iter_raw())
    assert first == b"event: ping\n\n"
    assert time.monotonic() - started < 2.0


@pytest.mark.anyio
async def test_the_async_transport_answers_injected_failures_then_recovers() -> None:
    """In-process async requests get the injected 429s with Retry-After, then the real answer."""
    emulator = DifyEmulator()
    app = emulator.add_app()
    emulator.faults.fail_next(3, status=429, code="rate_limit_error", retry_after=0)
    async with async_client(emulator, app.api_key) as http:
        for _ in range(3):
            failed = await http.get("/info")
            assert failed.status_code == 429 and failed.headers["retry-after"] == "0"
            assert failed.json()["code"] == "rate_limit_error"
        info = await http.get("/info")
    assert info.status_code == 200 and info.json()["name"] == "chat app"


def test_serve_listens_on_a_random_loopback_port() -> None:
    """serve() yields a working base URL on 127.0.0.1 and frees the port afterwards."""
    emulator = DifyEmulator()
    app = emulator.add_app(name="Served")
    with emulator.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        with httpx.Client(base_url=base_url) as http:
            info = http.get("/info", headers={"Authorization": f"Bearer {app.api_key}"})
            assert info.json()["name"] == "Served"
            unknown = http.get("/info", headers={"Authorization": "Bearer app-unknownkey"})
            assert error_of(unknown)[:2] == (401, "unauthorized")
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/info", timeout=1)


def test_latency_and_slow_next_delay_answers(dify_emulator: DifyEmulator) -> None:
    """Latency applies to every request, slow_next only to the next one."""
    app = dify_emulator.add_app()
    http = client(dify_emulator, app.api_key)
    dify_emulator.faults.slow_next(0.3)
    started = time.monotonic()
    assert http.get("/info").status_code == 200
    slow = time.monotonic() - started
    started = time.monotonic()
    assert http.get("/info").status_code == 200
    fast = time.monotonic() - started
    assert slow >= 0.3 > fast
    dify_emulator.faults.latency = 0.2
    started = time.monotonic()
    http.get("/info")
    http.get("/info")
    assert time.monotonic() - started >= 0.4


def test_the_cli_demo_has_an_app_of_every_mode() -> None:
    """The demo emulator behind ``difykit-emulator`` has every app mode and a knowledge key."""
    emulator = demo_emulator()
    modes = sorted(app.mode for app in emulator.apps_by_key.values())
    assert modes == ["advanced-chat", "agent-chat", "chat", "completion", "workflow"]
    assert emulator.dataset_key.startswith("dataset-")


def _keys(emulator: DifyEmulator) -> list[str]:
    return sorted(emulator.apps_by_key) + sorted(emulator.dataset_keys)


def test_a_seed_gives_the_same_keys_on_every_run() -> None:
    """``demo_emulator(seed)`` derives every key from the seed; without one, keys are new (#9)."""
    seeded = demo_emulator("demo")
    assert _keys(seeded) == _keys(demo_emulator("demo")) != _keys(demo_emulator("other"))
    assert _keys(demo_emulator()) != _keys(demo_emulator())
    assert seeded.dataset_keys == {seeded.dataset_key}
    assert all(len(key) == len("app-") + 24 for key in seeded.apps_by_key)


def test_the_cli_does_not_default_to_difys_own_port(capsys: pytest.CaptureFixture[str]) -> None:
    """``difykit-emulator`` listens on its own default port, not 5001 where Dify listens (#9)."""
    with pytest.raises(SystemExit):
        main(["--help"])
    usage = capsys.readouterr().out
    assert DEFAULT_PORT != 5001 and f"default {DEFAULT_PORT}" in usage and "--seed" in usage


def test_the_cli_with_a_seed_prints_the_seeds_keys() -> None:
    """``difykit-emulator --seed demo`` serves and prints the keys that seed always gives."""
    process = subprocess.Popen(
        [sys.executable, "-m", "difykit_testing._cli", "--port", "0", "--seed", "demo"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[-1]
        printed = sorted(process.stdout.readline().split()[-1] for _ in range(6))
        assert printed == sorted(_keys(demo_emulator("demo")))
        expected = demo_emulator("demo")
        chat_key = next(k for k, app in expected.apps_by_key.items() if app.mode == "chat")
        info = httpx.get(f"{base_url}/info", headers={"Authorization": f"Bearer {chat_key}"})
        assert info.json()["name"] == "Demo Chatbot"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


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
    app = dify_emulator.add_app(mode="chat")
    dify_emulator.faults.stall_next_stream(30.0)
    http = client(dify_emulator, app.api_key, timeout=httpx.Timeout(10.0, read=0.3))
    body: dict[str, Any] = {"query": "hi", "inputs": {}, "user": "u1", "response_mode": "streaming"}
    started = time.monotonic()
    with http.stream("POST", "/chat-messages", json=body) as answer:
        chunks = answer.iter_raw()
        assert next(chunks) == b"event: ping\n\n"
        with pytest.raises(httpx.ReadTimeout, match="no data"):
            next(chunks)
    assert time.monotonic() - started < 3.0


@pytest.mark.anyio
async def test_async_in_process_streams_honour_the_idle_timeout() -> None:
    """The async in-process transport raises the same timeout on a stalled stream."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="workflow", inputs=["text"])
    emulator.faults.stall_next_stream(30.0)
    body = {"inputs": {"text": "x"}, "user": "u1", "response_mode": "streaming"}
    timeout = httpx.Timeout(10.0, read=0.3)
    async with (
        async_client(emulator, app.api_key, timeout=timeout) as http,
        http.stream("POST", "/workflows/run", json=body) as answer,
    ):
        chunks = answer.aiter_raw()
        assert await chunks.__anext__() == b"event: ping\n\n"
        with pytest.raises(httpx.ReadTimeout, match="no data"):
            await chunks.__anext__()


def test_a_client_that_leaves_a_stream_early_lets_the_run_finish_at_once() -> None:
    """Reading three lines of a paced stream and hanging up: the run ends within a second,
    without waiting for the abandoned generator to be garbage-collected."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat", reply="a long answer " * 20)
    emulator.faults.pace(chunks=50, delay=0.05)
    body: dict[str, Any] = {"query": "hi", "user": "u1", "inputs": {}, "response_mode": "streaming"}
    headers = {"Authorization": f"Bearer {app.api_key}"}
    with emulator.serve() as base_url, httpx.Client(base_url=base_url, headers=headers) as http:
        with http.stream("POST", "/chat-messages", json=body) as answer:
            lines = answer.iter_lines()
            first = [next(lines) for _ in range(3)]
        [task_id] = list(app.tasks)
        deadline = time.monotonic() + 1.0
        while not app.tasks[task_id].finished and time.monotonic() < deadline:
            time.sleep(0.02)
        assert app.tasks[task_id].finished
    assert first[0].startswith("data: ")
