"""The CLI in a subprocess: --demo answers within seconds; an OpenDify .env starts it as it is."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

import httpx
from difykit_testing import DifyEmulator

COMMAND = [sys.executable, "-m", "difykit_proxy"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _running(args: list[str], cwd: Path) -> Generator[subprocess.Popen[str], None, None]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIFYKIT_PROXY_")}
    process = subprocess.Popen(
        [*COMMAND, *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        assert process.stdout is not None
        process.stdout.close()


def _wait_healthy(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, "the proxy exited"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the proxy did not become healthy")


def test_demo_starts_prints_what_to_use_and_answers_a_curl(tmp_path: Path) -> None:
    """--demo prints base URL, key, models, curl and openai lines; it answers; Ctrl-C exits 0."""
    with _running(["--demo", "--port", "0"], tmp_path) as process:
        assert process.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("Ctrl-C") for line in lines):
            line = process.stdout.readline()
            assert line, "the demo exited: " + "".join(lines)
            lines.append(line)
        banner = "".join(lines)
        base_url = re.search(r"Base URL\s+(\S+)", banner)
        key = re.search(r"API key\s+(\S+)", banner)
        assert base_url and key
        for model in [
            "dify-chat",
            "dify-agent",
            "dify-chatflow",
            "dify-completion",
            "dify-workflow",
        ]:
            assert model in banner
        assert "curl " in banner and "from openai import OpenAI" in banner
        curl = next(line.strip() for line in lines if line.strip().startswith("curl "))
        if shutil.which("curl"):  # the printed line, run as printed
            ran = subprocess.run(curl, shell=True, capture_output=True, text=True, timeout=10)
            answer = json.loads(ran.stdout)
        else:  # the same request
            answer = httpx.post(
                f"{base_url[1]}/chat/completions",
                headers={"Authorization": f"Bearer {key[1]}"},
                json={"model": "dify-chat", "messages": [{"role": "user", "content": "Hello"}]},
                timeout=10,
            ).json()
        assert answer["choices"][0]["message"]["content"] == "Echo: Hello"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_an_opendify_env_file_starts_it(tmp_path: Path) -> None:
    """An OpenDify .env (keys, Dify base, timeout, host, port) serves the apps by their names."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="agent-chat", name="Support Agent")
    port = _free_port()
    with emulator.serve() as dify_url:
        (tmp_path / ".env").write_text(
            f"VALID_API_KEYS=sk-od-1,sk-od-2\nDIFY_API_KEYS={app.api_key}\n"
            f"DIFY_API_BASE={dify_url}\nTIMEOUT=30\nSERVER_HOST=127.0.0.1\nSERVER_PORT={port}\n"
        )
        with _running([], tmp_path) as process:
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base, process)
            auth = {"Authorization": "Bearer sk-od-2"}
            models = httpx.get(f"{base}/v1/models", headers=auth, timeout=10).json()
            assert [m["id"] for m in models["data"]] == ["Support Agent"]
            response = httpx.post(
                f"{base}/v1/chat/completions",
                headers=auth,
                json={"model": "Support Agent", "messages": [{"role": "user", "content": "Hi"}]},
                timeout=10,
            )
            assert response.json()["choices"][0]["message"]["content"] == "Echo: Hi"
