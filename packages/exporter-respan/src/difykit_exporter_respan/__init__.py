"""difykit-exporter-respan: every Dify call made with difykit, logged to Respan.

:class:`RespanObserver` is a difykit observer: attach it to any client (``observers=[...]``) or
use :func:`create_client`. Each call becomes one Respan log (plus child spans for workflow nodes
and agent thoughts) with usage, cost, latency and time to first token; a background thread
batches them to Respan's ingest API. ``respan_context(...)`` sets Respan parameters for a block.
Names are imported on first use, so importing this package stays cheap.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from importlib.metadata import version as _version
from typing import TYPE_CHECKING
from typing import Any as _Any

if TYPE_CHECKING:
    from ._context import respan_context
    from ._exporter import ExportResult, HttpIngestExporter, SpanExporter
    from ._observer import RespanObserver
    from ._params import RespanParams
    from ._stats import ExporterStats
    from ._wrappers import (
        RespanAsyncDifyClient,
        RespanDifyClient,
        create_async_client,
        create_client,
    )

__all__ = [
    "ExportResult",
    "ExporterStats",
    "HttpIngestExporter",
    "RespanAsyncDifyClient",
    "RespanDifyClient",
    "RespanObserver",
    "RespanParams",
    "SpanExporter",
    "__version__",
    "create_async_client",
    "create_client",
    "respan_context",
]

__version__ = _version("difykit-exporter-respan")

_WHERE: dict[str, str] = {
    "respan_context": "._context",
    "ExportResult": "._exporter",
    "HttpIngestExporter": "._exporter",
    "SpanExporter": "._exporter",
    "RespanObserver": "._observer",
    "RespanParams": "._params",
    "ExporterStats": "._stats",
    "RespanAsyncDifyClient": "._wrappers",
    "RespanDifyClient": "._wrappers",
    "create_async_client": "._wrappers",
    "create_client": "._wrappers",
}


if not TYPE_CHECKING:  # type checkers see the imports above: a misspelt name stays an error

    def __getattr__(name: str) -> _Any:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module 'difykit_exporter_respan' has no attribute {name!r}")
        value = getattr(_import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(__all__)
