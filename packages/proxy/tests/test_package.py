"""The package installs and reports its version."""

from __future__ import annotations

from importlib.metadata import version

import difykit_proxy


def test_version_comes_from_the_installed_distribution() -> None:
    """``__version__`` is the installed distribution's version, not a second copy of it."""
    assert difykit_proxy.__version__ == version("difykit-proxy")
