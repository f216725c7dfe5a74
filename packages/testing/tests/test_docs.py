"""The README examples and examples/ run for real, against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from difykit_testing import DifyEmulator

ROOT = Path(__file__).resolve().parents[3]
READMES = [ROOT / "README.md", ROOT / "packages" / "testing" / "README.md"]


def _blocks(readme: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme.read_text("utf-8"), re.S)


def _emulator_blocks() -> list[tuple[str, str]]:
    found = []
    for readme in READMES:
        for index, block in enumerate(_blocks(readme)):
            if "DifyEmulator" in block:
                found.append((f"{readme.parent.name}-{index}", block))
    return found


@pytest.mark.parametrize(("name", "block"), _emulator_blocks(), ids=lambda v: str(v)[:20])
def test_readme_emulator_examples_run(name: str, block: str) -> None:
    """Every README example that uses the emulator runs, and its test functions pass."""
    namespace: dict[str, Any] = {"__name__": f"readme_{name}"}
    exec(compile(block, f"<README {name}>", "exec"), namespace)
    for key, value in namespace.items():
        if key.startswith("test_") and callable(value):
            with DifyEmulator() as emulator:
                value(emulator)


def test_the_quickstart_example_runs_against_a_served_emulator() -> None:
    """examples/quickstart.py talks to a chat app and prints both answers."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat", reply="Dify builds LLM apps.")
    with emulator.serve() as base_url:
        env = {**os.environ, "DIFY_API_KEY": app.api_key, "DIFY_BASE_URL": base_url}
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "quickstart.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Dify builds LLM apps.") == 2


def test_the_readmes_keep_their_offline_testing_examples() -> None:
    """The README examples above exist, including a pytest test that uses the fixture."""
    blocks = [block for _, block in _emulator_blocks()]
    assert len(blocks) >= 3
    assert any("def test_" in block and "dify_emulator" in block for block in blocks)
