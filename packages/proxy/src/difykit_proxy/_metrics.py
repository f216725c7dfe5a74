"""Counters for ``GET /metrics`` (Prometheus text format): requests, streams, stops."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Metrics"]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


@dataclass
class Metrics:
    """What the proxy has done since it started (in memory, per process)."""

    requests: Counter[tuple[tuple[str, str], ...]] = field(default_factory=Counter)
    stream_errors: Counter[tuple[tuple[str, str], ...]] = field(default_factory=Counter)
    stops: Counter[tuple[tuple[str, str], ...]] = field(default_factory=Counter)
    streams_open: int = 0
    seconds_sum: float = 0.0
    seconds_count: int = 0

    def request(self, *, model: str, status: int, stream: bool, seconds: float) -> None:
        """Count one answered completion request (its status and time to answer)."""
        key = (("model", model), ("status", str(status)), ("stream", str(stream).lower()))
        self.requests[key] += 1
        self.seconds_sum += seconds
        self.seconds_count += 1

    def stream_error(self, *, model: str, code: str) -> None:
        """Count one failure after a stream had started."""
        self.stream_errors[(("model", model), ("code", code))] += 1

    def stop(self, *, model: str, result: str) -> None:
        """Count one stop call after a client left (``stopped``, ``failed``, ``timeout``)."""
        self.stops[(("model", model), ("result", result))] += 1

    def render(self) -> str:
        """The Prometheus text exposition of every metric."""
        lines: list[str] = []

        def counter(
            name: str, help_text: str, values: Counter[tuple[tuple[str, str], ...]]
        ) -> None:
            lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} counter"])
            lines.extend(f"{name}{_labels(k)} {v}" for k, v in sorted(values.items()))

        counter(
            "difykit_proxy_requests_total",
            "Chat completion requests answered, by model, HTTP status and stream.",
            self.requests,
        )
        counter(
            "difykit_proxy_stream_errors_total",
            "Failures after a stream had started, by model and error code.",
            self.stream_errors,
        )
        counter(
            "difykit_proxy_upstream_stops_total",
            "Dify stop calls after a client left, by model and result.",
            self.stops,
        )
        lines += [
            "# HELP difykit_proxy_streams_open Streams being relayed now.",
            "# TYPE difykit_proxy_streams_open gauge",
            f"difykit_proxy_streams_open {self.streams_open}",
            "# HELP difykit_proxy_response_start_seconds Time to the response's start.",
            "# TYPE difykit_proxy_response_start_seconds summary",
            f"difykit_proxy_response_start_seconds_sum {self.seconds_sum:.6f}",
            f"difykit_proxy_response_start_seconds_count {self.seconds_count}",
        ]
        return "\n".join(lines) + "\n"
