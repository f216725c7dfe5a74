"""difykit-exporter-respan: Logs every Dify call made with difykit to Respan (work in progress)."""

from __future__ import annotations

from importlib.metadata import version as _version

__all__ = ["__version__"]

__version__ = _version("difykit-exporter-respan")
