"""``__version__`` comes from the installed distribution's metadata (STYLE.md §3)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import difykit_async

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_is_the_installed_distributions() -> None:
    """difykit_async.__version__ is the version pyproject.toml declares, read from metadata."""
    declared = re.search(r'^version = "(.+)"$', PYPROJECT.read_text("utf-8"), re.M)
    assert declared is not None
    assert difykit_async.__version__ == version("difykit-async") == declared[1]
    assert "__version__" not in difykit_async.__all__


def test_importing_the_package_does_not_read_the_metadata() -> None:
    """``import difykit_async`` stays cheap: importlib.metadata loads when __version__ is asked."""
    code = "import sys, difykit_async; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
