"""``__version__`` comes from the installed distribution's metadata (STYLE.md §3)."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import difykit_testing

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_is_the_installed_distributions() -> None:
    """difykit_testing.__version__ is the version pyproject.toml declares, read from metadata."""
    declared = re.search(r'^version = "(.+)"$', PYPROJECT.read_text("utf-8"), re.M)
    assert declared is not None
    assert difykit_testing.__version__ == version("difykit-testing") == declared[1]
    assert "__version__" not in difykit_testing.__all__
