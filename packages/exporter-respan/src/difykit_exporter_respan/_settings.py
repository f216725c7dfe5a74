"""The exporter's settings, resolved once from arguments and the environment."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_ENDPOINT", "ExporterSettings", "resolve_endpoint"]

logger = logging.getLogger("difykit.respan")

DEFAULT_BASE_URL = "https://api.respan.ai/api"
DEFAULT_ENDPOINT = f"{DEFAULT_BASE_URL}/v1/traces/ingest"
"""Respan's trace ingest endpoint (``respan_sdk.constants.RESPAN_TRACING_INGEST_ENDPOINT``)."""

_warned_no_key = False


def resolve_endpoint(endpoint: str | None = None, base_url: str | None = None) -> str:
    """The ingest URL: ``endpoint``, else ``RESPAN_ENDPOINT``, else from a base URL.

    A base URL (``base_url`` or ``RESPAN_BASE_URL``) ending in ``/api`` gets
    ``/v1/traces/ingest``; any other gets ``/api/v1/traces/ingest`` (as respan-sdk resolves it).
    """
    explicit = endpoint or os.environ.get("RESPAN_ENDPOINT")
    if explicit:
        return explicit
    base = (base_url or os.environ.get("RESPAN_BASE_URL") or "").rstrip("/")
    if not base:
        return DEFAULT_ENDPOINT
    if base.endswith("/api"):
        return f"{base}/v1/traces/ingest"
    return f"{base}/api/v1/traces/ingest"


@dataclass(frozen=True, slots=True)
class ExporterSettings:
    """Everything the observer and its worker need, checked once."""

    api_key: str | None
    endpoint: str
    enabled: bool
    include_content: bool = True
    redact: bool = True
    sample_rate: float = 1.0
    before_send: Callable[[dict[str, object]], dict[str, object] | None] | None = None
    max_content_chars: int = 32_000
    max_queue_size: int = 2048
    max_batch_size: int = 100
    max_batch_bytes: int = 4_000_000
    flush_interval: float = 2.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    batch_deadline: float = 60.0
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0
    request_timeout: float = 10.0
    exit_timeout: float = 5.0

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        endpoint: str | None,
        include_content: bool,
        redact: bool,
        sample_rate: float | None,
        before_send: Callable[[dict[str, object]], dict[str, object] | None] | None,
        max_content_chars: int,
        max_queue_size: int,
        max_batch_size: int,
        max_batch_bytes: int,
        flush_interval: float,
        max_attempts: int,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        batch_deadline: float = 60.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 30.0,
        request_timeout: float = 10.0,
        exit_timeout: float = 5.0,
        custom_exporter: bool = False,
    ) -> ExporterSettings:
        """Settings from arguments, falling back to ``RESPAN_*`` environment variables.

        Raises:
            ValueError: An option is out of range (the message names it).
        """
        key = api_key or os.environ.get("RESPAN_API_KEY") or None
        rate = sample_rate
        if rate is None:
            rate = float(os.environ.get("RESPAN_SAMPLE_RATE") or 1.0)
        _check(0.0 <= rate <= 1.0, f"sample_rate must be within 0 and 1, not {rate}")
        _check(max_content_chars >= 100, "max_content_chars must be at least 100")
        _check(max_queue_size >= 1, "max_queue_size must be at least 1")
        _check(1 <= max_batch_size <= 500, "max_batch_size must be within 1 and 500")
        _check(max_batch_bytes >= 1024, "max_batch_bytes must be at least 1024")
        _check(flush_interval > 0, "flush_interval must be positive")
        _check(max_attempts >= 1, "max_attempts must be at least 1")
        _check(
            0 < backoff_base <= backoff_cap, "backoff_base must be positive, at most backoff_cap"
        )
        _check(batch_deadline > 0, "batch_deadline must be positive")
        _check(breaker_threshold >= 1, "breaker_threshold must be at least 1")
        _check(breaker_cooldown >= 0, "breaker_cooldown must not be negative")
        _check(request_timeout > 0, "request_timeout must be positive")
        _check(exit_timeout >= 0, "exit_timeout must not be negative")
        disabled = os.environ.get("RESPAN_DISABLED", "").lower() in ("1", "true", "yes")
        enabled = not disabled and (key is not None or custom_exporter)
        if not enabled:
            _warn_disabled(disabled)
        return cls(
            api_key=key,
            endpoint=resolve_endpoint(endpoint),
            enabled=enabled,
            include_content=include_content,
            redact=redact,
            sample_rate=rate,
            before_send=before_send,
            max_content_chars=max_content_chars,
            max_queue_size=max_queue_size,
            max_batch_size=max_batch_size,
            max_batch_bytes=max_batch_bytes,
            flush_interval=flush_interval,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            batch_deadline=batch_deadline,
            breaker_threshold=breaker_threshold,
            breaker_cooldown=breaker_cooldown,
            request_timeout=request_timeout,
            exit_timeout=exit_timeout,
        )


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _warn_disabled(by_switch: bool) -> None:
    global _warned_no_key  # one warning per process, however many observers
    if _warned_no_key:
        return
    _warned_no_key = True
    if by_switch:
        logger.warning("RESPAN_DISABLED is set: Dify calls are not logged to Respan")
    else:
        logger.warning(
            "no Respan API key (pass api_key= or set RESPAN_API_KEY): "
            "Dify calls are not logged to Respan"
        )
