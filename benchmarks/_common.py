"""Shared pieces of the benchmarks: results, statistics, the loopback server, profiling."""

from __future__ import annotations

import cProfile
import pstats
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TIMES = "\u00d7"
"""The multiplication sign of ratios (spelled out: ruff flags it as ambiguous in literals)."""
DASH = "\u2013"
"""An en dash, for ranges and empty cells."""

API_KEY = "app-bench"
QUERY = "Hello Dify"
USER = "user-abc-123"


@dataclass
class Row:
    """One comparison: ours against its baseline, measured side by side in this run."""

    name: str
    ours: float
    baseline: float
    unit: str
    target: str = ""
    """How the target reads, e.g. ``≥ 0.60`` and TIMES; empty for an informational row."""
    met: bool | None = None
    summary: str = ""
    """What the summary table shows as measured, when not the ratio."""
    round_ratios: list[float] = field(default_factory=list)
    """ours / baseline of each round (both sides measured back to back), when in rounds."""

    @property
    def ratio(self) -> float:
        """The median of the per-round ratios (paired, so load drifts cancel), else ours / base."""
        if self.round_ratios:
            return median(self.round_ratios)
        return self.ours / self.baseline

    @property
    def spread(self) -> tuple[float, float] | None:
        """Inter-quartile range of the per-round ratios: how noisy the machine was."""
        return quartiles(self.round_ratios) if self.round_ratios else None


@dataclass
class Section:
    """One benchmark's results, as written to BENCHMARKS.md."""

    title: str
    what: str
    ours_label: str
    baseline_label: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    profile: str = ""
    """'Where the time goes', filled when a target is missed."""

    @property
    def missed(self) -> bool:
        """Whether a target row of this section is not met."""
        return any(row.met is False for row in self.rows)


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)


def quartiles(values: list[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles."""
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


@contextmanager
def loopback_server(stream_delay: float = 0.25) -> Iterator[int]:
    """Run ``_server.py`` in a subprocess (its own core); yield its port."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_server.py"), str(stream_delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield port
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def profile(
    func: Callable[[], object], *, per: int, unit: str, focus: str = "", limit: int = 12
) -> str:
    """cProfile ``func``: top functions by own time, and (``focus``) by cumulative time.

    Times are shown in µs per ``unit`` (``func`` handles ``per`` of them).
    """
    profiler = cProfile.Profile()
    profiler.enable()
    func()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows: list[tuple[str, int, float, float]] = [
        (_where(key), nc, tt, ct) for key, (_, nc, tt, ct, _) in stats.items()
    ]
    total = sum(r[2] for r in rows)
    lines = [f"profiled: {total / per * 1e6:.1f} µs per {unit}", "", "by own time:"]
    lines += _table(sorted(rows, key=lambda r: -r[2])[:limit], per, unit)
    if focus:
        mine = [r for r in rows if focus in r[0]]
        lines += ["", f"{focus} functions by cumulative time:"]
        lines += _table(sorted(mine, key=lambda r: -r[3])[:limit], per, unit)
    return "\n".join(lines)


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name  # a builtin, e.g. <method 'validate_json' ...>
    for marker in ("site-packages/", "/src/", "/benchmarks/"):
        if marker in filename:
            filename = filename.rpartition(marker)[2]
            break
    else:
        filename = Path(filename).name
    return f"{filename}:{line}({name})"


def _table(rows: list[tuple[str, int, float, float]], per: int, unit: str) -> list[str]:
    out = [f"{'calls/' + unit:>14} {'own µs':>8} {'cum µs':>8}  function"]
    out += [
        f"{nc / per:>14.2f} {tt / per * 1e6:>8.2f} {ct / per * 1e6:>8.2f}  {where}"
        for where, nc, tt, ct in rows
    ]
    return out
