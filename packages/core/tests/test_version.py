"""``__version__`` comes from the installed distribution's metadata (STYLE.md §3)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import difykit_core

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_is_the_installed_distributions() -> None:
    """difykit_core.__version__ is the version pyproject.toml declares, read from metadata."""
    declared = re.search(r'^version = "(.+)"$', PYPROJECT.read_text("utf-8"), re.M)
    assert declared is not None
    assert difykit_core.__version__ == version("difykit-core") == declared[1]
    assert "__version__" not in difykit_core.__all__


def test_importing_the_package_does_not_read_the_metadata() -> None:
    """``import difykit_core`` stays cheap: importlib.metadata loads when __version__ is asked."""
    code = "import sys, difykit_core; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
