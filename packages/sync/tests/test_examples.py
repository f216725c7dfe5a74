"""The examples that show sync-only usage run for real against the emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_the_observer_example_reports_an_end_for_every_call() -> None:
    """examples/observe_calls.py prints one end per call: two successes and one cancel."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "observe_calls.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ")[:2] for line in lines if line.startswith("chat.")] == [
        ["chat.send", "ok:"],
        ["chat.stream", "ok:"],
        ["chat.stream", "cancelled"],
    ]
    assert "context={'tenant': 'acme'}" in done.stdout
    assert "raised in" not in done.stderr
