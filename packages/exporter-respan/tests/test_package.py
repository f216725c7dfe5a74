"""The package installs, reports its version, exports a sorted public API, and imports cheaply."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import difykit_exporter_respan
import pytest


def test_version_comes_from_the_installed_distribution() -> None:
    """``__version__`` is the installed distribution's version, not a second copy of it."""
    assert difykit_exporter_respan.__version__ == version("difykit-exporter-respan")


def test_public_names_are_sorted_complete_and_importable() -> None:
    """``__all__`` is sorted, every name in it imports, and ``dir()`` lists exactly it."""
    names = difykit_exporter_respan.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(difykit_exporter_respan, name) is not None
    assert dir(difykit_exporter_respan) == sorted(names)


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name the package does not export raises ``AttributeError`` naming it."""
    with pytest.raises(AttributeError, match="RespanObsrever"):
        getattr(difykit_exporter_respan, "RespanObsrever")  # noqa: B009  # a misspelt name


def test_import_is_cheap() -> None:
    """Importing the package loads neither respan-sdk, httpx, the SDK clients nor pydantic
    models: a fresh interpreter shows none of them in ``sys.modules``."""
    code = (
        "import sys, difykit_exporter_respan\n"
        "heavy = ['respan_sdk', 'httpx', 'difykit', 'difykit_async', 'pydantic']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_observer_alone_never_imports_respan_sdk() -> None:
    """Making an observer and handing it calls works without ever importing respan-sdk."""
    code = (
        "import sys\n"
        "from difykit_exporter_respan import RespanObserver, respan_context\n"
        "from difykit_exporter_respan.testing import InMemoryExporter\n"
        "obs = RespanObserver(exporter=InMemoryExporter())\n"
        "with respan_context(session_identifier='s'):\n"
        "    pass\n"
        "obs.shutdown()\n"
        "print('respan_sdk' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
