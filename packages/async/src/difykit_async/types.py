"""The result, event and request types of Dify's API (``difykit_core.types``, re-exported)."""

from __future__ import annotations

from difykit_core import types as _types
from difykit_core.types import *  # noqa: F403

__all__ = list(_types.__all__)
