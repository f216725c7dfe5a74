"""Span exporters: where the worker's batches go.

An exporter has the shape ``export(batch)`` / ``force_flush()`` / ``shutdown()``. ``export``
gets a batch of encoded spans and reports what happened; it never raises and never retries
(the pipeline decides, with :class:`ExportResult`'s advice). :class:`HttpIngestExporter` posts
to Respan's ingest API with its own httpx client; ``difykit_exporter_respan.testing`` has an
in-memory one.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

__all__ = ["ExportResult", "HttpIngestExporter", "SpanExporter"]

logger = logging.getLogger("difykit.respan")

_RETRIED = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What became of one batch."""

    ok: bool
    retryable: bool = False
    """Sending the same batch again may succeed (network error, 408, 429, 5xx)."""
    retry_after: float | None = None
    """Seconds the server asked to wait (``Retry-After`` or the body's ``retry_after``)."""
    too_large: bool = False
    """The server refused the batch's size (413)."""
    status_code: int | None = None
    detail: str = ""

    @classmethod
    def success(cls, status_code: int | None = None) -> ExportResult:
        """The batch was accepted."""
        return cls(ok=True, status_code=status_code)


@runtime_checkable
class SpanExporter(Protocol):
    """Receives batches of spans (each already JSON-encoded, as ``bytes``)."""

    def export(self, batch: Sequence[bytes]) -> ExportResult:
        """Deliver one batch; never raise."""
        ...

    def force_flush(self, timeout: float = 5.0) -> bool:
        """Deliver anything buffered; ``True`` when done."""
        ...

    def shutdown(self) -> None:
        """Release resources (connections)."""
        ...


class HttpIngestExporter:
    """Posts batches to Respan's trace ingest API (a JSON array per request).

    Args:
        api_key: Sent as ``Authorization: Bearer …``.
        endpoint: The ingest URL (``…/api/v1/traces/ingest``).
        timeout: Seconds per request (connect within 5 s at most).
        user_agent: Sent as ``User-Agent``.
    """

    def __init__(self, api_key: str, endpoint: str, *, timeout: float, user_agent: str) -> None:
        self.endpoint = endpoint
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "X-Respan-Dogfood": "1",
            "User-Agent": user_agent,
        }
        self._timeout = timeout
        self._http: httpx.Client | None = None
        self._pid = os.getpid()
        self._reported: set[int] = set()

    def _client(self) -> httpx.Client:
        if self._http is None or self._pid != os.getpid():
            import httpx

            # After a fork the parent's connections are not ours: leave them, never close them.
            self._pid = os.getpid()
            self._http = httpx.Client(
                timeout=httpx.Timeout(self._timeout, connect=min(5.0, self._timeout)),
                headers=self._headers,
            )
        return self._http

    def export(self, batch: Sequence[bytes]) -> ExportResult:
        """POST the batch as one JSON array; classify the answer for the pipeline."""
        body = b"[" + b",".join(batch) + b"]"
        try:
            response = self._client().post(self.endpoint, content=body)
        except Exception as exc:  # the exporter never raises: any failure is a result
            return ExportResult(ok=False, retryable=True, detail=f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return ExportResult.success(status)
        text = response.text[:500]
        retry_after = _retry_after(response.headers.get("retry-after"), text)
        retryable = status in _RETRIED or status >= 500
        if not retryable and status not in self._reported:
            self._reported.add(status)  # each permanent status is logged once
            logger.error("Respan refused a batch with %s: %s", status, text)
        return ExportResult(
            ok=False,
            retryable=retryable,
            retry_after=retry_after,
            too_large=status == 413,
            status_code=status,
            detail=text,
        )

    def force_flush(self, timeout: float = 5.0) -> bool:
        """Nothing is buffered here."""
        return True

    def shutdown(self) -> None:
        """Close the connections (only in the process that opened them)."""
        http, self._http = self._http, None
        if http is not None and self._pid == os.getpid():
            http.close()


def _retry_after(header: str | None, body: str) -> float | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date), else the body's ``retry_after``."""
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                import time

                return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    if body.startswith("{"):
        try:
            value = json.loads(body).get("retry_after")
        except (ValueError, AttributeError):
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return max(0.0, float(value))
    return None
