"""Test helpers: an exporter that keeps spans in memory instead of sending them.

Example::

    from difykit_exporter_respan import RespanObserver
    from difykit_exporter_respan.testing import InMemoryExporter

    spans = InMemoryExporter()
    observer = RespanObserver(exporter=spans)
    ...  # make calls with observers=[observer]
    observer.flush()
    assert spans.spans[0]["status"] == "success"
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from ._exporter import ExportResult

__all__ = ["InMemoryExporter"]


class InMemoryExporter:
    """Keeps every exported span (decoded) in :attr:`spans`; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[dict[str, object]] = []
        self.batches: int = 0
        """Batches received."""
        self.shut_down: bool = False
        """Whether :meth:`shutdown` was called."""

    @property
    def spans(self) -> list[dict[str, object]]:
        """The spans received so far, in order (a copy)."""
        with self._lock:
            return list(self._spans)

    def export(self, batch: Sequence[bytes]) -> ExportResult:
        """Decode and keep the batch."""
        decoded = [json.loads(span) for span in batch]
        with self._lock:
            self._spans.extend(decoded)
            self.batches += 1
        return ExportResult.success()

    def force_flush(self, timeout: float = 5.0) -> bool:
        """Nothing is buffered."""
        return True

    def shutdown(self) -> None:
        """Remember it was shut down."""
        self.shut_down = True

    def clear(self) -> None:
        """Forget the spans received so far."""
        with self._lock:
            self._spans.clear()
