"""difykit-testing: an in-memory Dify Service API for offline tests, demos and CI.

``DifyEmulator`` serves apps of every mode and knowledge bases with Dify's status codes,
error codes, field names and SSE framing; ``Faults`` makes it misbehave on purpose. The pytest
plugin gives a ``dify_emulator`` fixture; ``difykit-emulator`` serves one from the shell.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from ._emulator import DifyEmulator
from ._faults import Faults
from ._state import AppState as EmulatedApp
from ._state import InputVariable, Reply

__all__ = ["DifyEmulator", "EmulatedApp", "Faults", "InputVariable", "Reply"]

__version__ = _version("difykit-testing")
"""The installed version of difykit-testing."""
