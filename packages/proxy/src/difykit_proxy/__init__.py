"""difykit-proxy: An OpenAI-compatible proxy in front of Dify apps (work in progress)."""

from __future__ import annotations

from importlib.metadata import version as _version

__all__ = ["__version__"]

__version__ = _version("difykit-proxy")
