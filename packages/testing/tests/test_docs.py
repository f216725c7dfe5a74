"""Every README example and command runs as written, against the emulator.

Examples that build a ``DifyEmulator`` run in-process (their ``test_`` functions get a fresh
one). The others are what a user pastes: each runs as a script in an empty working directory
(with the ``photo.png`` an example uploads), against a served emulator, with ``DIFY_API_KEY``
and ``DIFY_BASE_URL`` set and the key and URL placeholders (``"app-…"``, ``"dataset-…"``, a
Dify base URL) replaced by the emulator's. Shell commands of the form
``VAR=… uv run python <script>`` run the same way.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from difykit_testing import DifyEmulator
from difykit_testing._cli import DEFAULT_PORT, banner, demo_emulator

ROOT = Path(__file__).resolve().parents[3]
READMES = [
    ROOT / "README.md",
    *(ROOT / "packages" / name / "README.md" for name in ("core", "sync", "async", "testing")),
]
BASE_URLS = ("https://api.dify.ai/v1", "http://localhost/v1", "https://your-dify/v1")
"""Base URLs the READMEs write for a real Dify; each is replaced by the served emulator's."""
CHAT_REPLY = "Dify builds LLM apps."
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
"""A one-pixel PNG: the ``photo.png`` an example uploads."""


def _name(readme: Path) -> str:
    return "root" if readme.parent == ROOT else readme.parent.name


def _blocks(readme: Path, language: str = "python") -> list[str]:
    """The fenced blocks of one language (``""``: plain fences, as for shell lines)."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in readme.read_text("utf-8").splitlines(keepends=True):
        if current is None and line.startswith("```"):
            current = [] if line.strip() == f"```{language}" else None
            if current is None:
                current = ["\0"]  # a block of another language: skip to its end
        elif current is not None and line.strip() == "```":
            if current[:1] != ["\0"]:
                blocks.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _python_blocks() -> list[tuple[str, str]]:
    return [
        (f"{_name(readme)}-{index}", block)
        for readme in READMES
        for index, block in enumerate(_blocks(readme))
    ]


def _emulator_blocks() -> list[tuple[str, str]]:
    return [(name, block) for name, block in _python_blocks() if "DifyEmulator" in block]


def _script_blocks() -> list[tuple[str, str]]:
    return [(name, block) for name, block in _python_blocks() if "DifyEmulator" not in block]


def _commands() -> list[tuple[str, str]]:
    """Shell lines of the READMEs that run a Python script with ``uv run python``."""
    found: list[tuple[str, str]] = []
    for readme in READMES:
        for block in _blocks(readme, language=""):
            for line in block.splitlines():
                command = line.partition("#")[0].strip()
                if re.search(r"\buv run python \S+\.py\b", command):
                    found.append((_name(readme), command))
    return found


@dataclass(frozen=True)
class Served:
    """A served emulator with a chat app, a workflow app and a knowledge key."""

    base_url: str
    chat_key: str
    workflow_key: str
    dataset_key: str

    def key_for(self, code: str) -> str:
        """The key an example needs: a knowledge key, a workflow app's, or a chat app's."""
        if "DifyKnowledge" in code:
            return self.dataset_key
        if ".workflows." in code:
            return self.workflow_key
        return self.chat_key

    def fill(self, code: str) -> str:
        """The example with its key and base URL placeholders replaced by the emulator's."""
        code = code.replace('"app-…"', f'"{self.key_for(code)}"')
        code = code.replace('"dataset-…"', f'"{self.dataset_key}"')
        for url in BASE_URLS:
            code = code.replace(f'"{url}"', f'"{self.base_url}"')
        return code

    def env(self, code: str) -> dict[str, str]:
        """The environment a user would have: their key and their Dify's base URL."""
        return {**os.environ, "DIFY_API_KEY": self.key_for(code), "DIFY_BASE_URL": self.base_url}


@pytest.fixture
def served() -> Iterator[Served]:
    """A fresh emulator per example: each starts from an empty Dify, as a user's first run."""
    emulator = DifyEmulator()
    chat = emulator.add_app(mode="chat", reply=CHAT_REPLY)
    workflow = emulator.add_app(mode="workflow", inputs=["text"], outputs=["text"])
    with emulator.serve() as base_url:
        yield Served(base_url, chat.api_key, workflow.api_key, emulator.dataset_key)
    emulator.close()


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(("name", "block"), _emulator_blocks(), ids=lambda v: str(v)[:20])
def test_readme_emulator_examples_run(name: str, block: str) -> None:
    """Every README example that uses the emulator runs, and its test functions pass."""
    namespace: dict[str, Any] = {"__name__": f"readme_{name}"}
    exec(compile(block, f"<README {name}>", "exec"), namespace)
    for key, value in namespace.items():
        if key.startswith("test_") and callable(value):
            with DifyEmulator() as emulator:
                value(emulator)


@pytest.mark.parametrize(("name", "block"), _script_blocks(), ids=lambda v: str(v)[:20])
def test_readme_examples_run_against_a_served_emulator(
    name: str, block: str, served: Served, tmp_path: Path
) -> None:
    """Every other README example runs as a script, as a user would paste it (#9)."""
    (tmp_path / "photo.png").write_bytes(PNG)
    script = tmp_path / f"readme_{name.replace('-', '_')}.py"
    script.write_text(served.fill(block), "utf-8")
    done = _run([sys.executable, script.name], cwd=tmp_path, env=served.env(block))
    assert done.returncode == 0, f"README {name} failed:\n{done.stderr}"


@pytest.mark.parametrize(("readme", "command"), _commands())
def test_readme_commands_run_as_written(readme: str, command: str, served: Served) -> None:
    """``VAR=… uv run python <script>`` lines of the READMEs run, given the variables they name.

    A command that sets ``DIFY_API_KEY`` also sets ``DIFY_BASE_URL``: the SDK cannot guess
    where a self-hosted Dify is (#9). The placeholders it writes become the emulator's.
    """
    words = shlex.split(command)
    assignments = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    rest = [word for word in words if not re.match(r"^[A-Z_]+=", word)]
    assert rest[:3] == ["uv", "run", "python"], command
    if "DIFY_API_KEY" in assignments:
        assert "DIFY_BASE_URL" in assignments, f"{readme} README sets no DIFY_BASE_URL: {command}"
        assignments["DIFY_API_KEY"] = served.chat_key
        assignments["DIFY_BASE_URL"] = served.base_url
    env = {**os.environ, **assignments}
    done = _run([sys.executable, *rest[3:]], cwd=ROOT, env=env)
    assert done.returncode == 0, f"{readme} README: {command}\n{done.stderr}"
    assert CHAT_REPLY in done.stdout


def test_the_emulator_transcript_in_the_readme_is_what_the_cli_prints() -> None:
    """``difykit-emulator --seed demo`` prints the README's keys: a seed's keys never change."""
    readme = ROOT / "packages" / "testing" / "README.md"
    [transcript] = [b for b in _blocks(readme, language="") if b.startswith("$ difykit-emulator")]
    command, _, printed = transcript.partition("\n")
    assert command == "$ difykit-emulator --seed demo"
    expected = banner(demo_emulator("demo"), f"http://127.0.0.1:{DEFAULT_PORT}/v1")
    assert printed.rstrip("\n") == expected
    chat_key = printed.split("\n")[1].split()[-1]
    assert f"DIFY_API_KEY={chat_key} DIFY_BASE_URL=http://127.0.0.1:{DEFAULT_PORT}/v1" in (
        readme.read_text("utf-8")
    )


def test_the_readmes_keep_their_examples() -> None:
    """The examples above exist: emulator tests with the fixture, and scripts in four READMEs."""
    emulator_blocks = [block for _, block in _emulator_blocks()]
    assert len(emulator_blocks) >= 3
    assert any("def test_" in b and "dify_emulator" in b for b in emulator_blocks)
    assert {name.partition("-")[0] for name, _ in _script_blocks()} == {
        "root",
        "core",
        "sync",
        "async",
    }


def test_a_command_without_dify_base_url_is_caught(served: Served) -> None:
    """The check above fails for the old main-job line, which left out DIFY_BASE_URL."""
    with pytest.raises(AssertionError, match="DIFY_BASE_URL"):
        test_readme_commands_run_as_written(
            "root", "DIFY_API_KEY=app-… uv run python examples/quickstart.py", served
        )
