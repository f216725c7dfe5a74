"""The core stays sans-IO: no HTTP or async library is imported or required."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import requires

FORBIDDEN_MODULES = ("httpx", "httpcore", "anyio", "asyncio", "requests", "aiohttp", "urllib3")
"""Modules no part of the core may load (``socket`` arrives with the stdlib's ``email.utils``)."""

HTTP_DISTRIBUTIONS = {
    "aiohttp",
    "anyio",
    "h11",
    "h2",
    "httpcore",
    "httpx",
    "niquests",
    "pycurl",
    "requests",
    "urllib3",
}

_IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import difykit_core
names = [m.name for m in pkgutil.walk_packages(difykit_core.__path__, "difykit_core.")]
for name in names:
    importlib.import_module(name)
for name in difykit_core.__all__:
    getattr(difykit_core, name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def test_importing_every_core_module_loads_no_http_or_async_library() -> None:
    """A fresh interpreter importing all of difykit_core never loads httpx, anyio or asyncio."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    report = json.loads(result.stdout)
    assert "difykit_core._sse" in report["imported"]
    assert "difykit_core.operations.chat" in report["imported"]
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert "difykit_core" in loaded
    assert loaded.isdisjoint(FORBIDDEN_MODULES), sorted(loaded & set(FORBIDDEN_MODULES))


def test_distribution_requires_no_http_library() -> None:
    """The installed difykit-core's Requires-Dist names no HTTP or async I/O library."""
    requirements = requires("difykit-core")
    assert requirements is not None
    names: set[str] = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert match is not None, requirement
        names.add(re.sub(r"[-_.]+", "-", match.group()).lower())
    assert "pydantic" in names
    assert names.isdisjoint(HTTP_DISTRIBUTIONS), sorted(names & HTTP_DISTRIBUTIONS)
