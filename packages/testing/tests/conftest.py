"""Shared fixtures (the ``dify_emulator`` fixture comes from the package's own pytest plugin)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the Dify conformance summary that ``test_conformance.py`` put in its report."""
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "conformance":
                    terminalreporter.write_sep("-", "Dify conformance")
                    terminalreporter.write_line(str(value))
