"""Abuse a server sees in the wild: absurd JSON, clients that give up. Answers stay Dify's."""

from __future__ import annotations

import time
from typing import Literal

import httpx
import pytest
from difykit_testing import DifyEmulator
from difykit_testing._state import AppMode
from emulator_http import client, error_of

DEEP = 100_000


def deep_json(depth: int) -> bytes:
    """A JSON document nested ``depth`` arrays deep (far past Python's recursion limit)."""
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("mode", "path"),
    [
        ("chat", "/chat-messages"),
        ("completion", "/completion-messages"),
        ("workflow", "/workflows/run"),
        ("knowledge", "/datasets"),
    ],
)
def test_json_nested_100000_deep_gets_a_dify_json_error(
    dify_emulator: DifyEmulator, mode: AppMode | Literal["knowledge"], path: str
) -> None:
    """A body nested 100,000 deep is Dify's 400 ``bad_request`` JSON, not a 500 traceback (#9)."""
    if mode == "knowledge":
        key = dify_emulator.dataset_key
    else:
        key = dify_emulator.add_app(mode=mode).api_key
    http = client(dify_emulator, key)
    answer = http.post(path, content=deep_json(DEEP), headers={"Content-Type": "application/json"})
    status, code, message = error_of(answer)
    assert (status, code) == (400, "bad_request")
    assert "Invalid JSON" in message


def test_deep_json_in_a_multipart_data_field_is_invalid_param(dify_emulator: DifyEmulator) -> None:
    """The ``data`` form field of a file upload nested 100,000 deep is ``invalid_param``."""
    http = client(dify_emulator, dify_emulator.dataset_key)
    dataset = http.post("/datasets", json={"name": "Deep"}).json()
    answer = http.post(
        f"/datasets/{dataset['id']}/document/create-by-file",
        data={"data": deep_json(DEEP).decode()},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert error_of(answer)[:2] == (400, "invalid_param")


def test_deep_json_on_a_served_emulator_leaves_stderr_quiet(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Over a real socket, the deep body gets its JSON 400 and no traceback is printed."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat")
    with emulator.serve() as base_url, httpx.Client(base_url=base_url) as http:
        answer = http.post(
            "/chat-messages",
            content=deep_json(DEEP),
            headers={"Authorization": f"Bearer {app.api_key}", "Content-Type": "application/json"},
        )
    assert error_of(answer)[:2] == (400, "bad_request")
    err = capfd.readouterr().err
    assert "Traceback" not in err and "RecursionError" not in err


def test_a_client_that_gives_up_during_latency_leaves_the_emulator_quiet(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A client timing out during injected latency is no server error: nothing is logged (#9)."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat")
    emulator.faults.slow_next(0.5)
    with emulator.serve() as base_url:
        with (
            httpx.Client(base_url=base_url, timeout=0.1) as http,
            pytest.raises(httpx.TimeoutException),
        ):
            http.post(
                "/chat-messages",
                json={"query": "hi", "user": "u1", "response_mode": "blocking"},
                headers={"Authorization": f"Bearer {app.api_key}"},
            )
        time.sleep(0.8)  # the emulator wakes up, finds the client gone and gives up
        with httpx.Client(base_url=base_url) as http:  # and it still serves the next one
            info = http.get("/info", headers={"Authorization": f"Bearer {app.api_key}"})
            assert info.status_code == 200
    err = capfd.readouterr().err
    assert "ERROR" not in err and "Traceback" not in err and "ClientDisconnect" not in err


@pytest.mark.anyio
async def test_an_in_process_client_that_gives_up_during_latency_is_quiet(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The same through the in-process async transport: the request is dropped silently."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat")
    emulator.faults.slow_next(0.5)
    async with httpx.AsyncClient(
        transport=emulator.async_transport(),
        base_url="http://dify.test/v1",
        headers={"Authorization": f"Bearer {app.api_key}"},
        timeout=0.1,
    ) as http:
        with pytest.raises(httpx.TimeoutException):
            await http.post(
                "/chat-messages", json={"query": "hi", "user": "u1", "response_mode": "blocking"}
            )
        assert (await http.get("/info")).status_code == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ClientDisconnect" not in err
