"""Benchmark: peak memory of a 100,000-event stream, difykit and the peers vs raw httpx.

Each contender runs in a fresh process: it imports, builds its client, makes one blocking call
(so pools and lazy imports are loaded), resets its peak RSS (Linux ``/proc/self/clear_refs``),
reads a whole 100,000-event realistic stream over loopback, and reports how far its peak RSS
rose above the RSS it started from. A reader that keeps
events or buffers the body grows with the stream; a streaming one stays flat.
"""

from __future__ import annotations

import subprocess
import sys

from _common import TIMES, Row, Section, loopback_server
from _server import LONG, LONG_EVENTS
from _snippets import snippets
from cold_start import env_for

FLAT_MB = 4
"""What "memory flat in stream length" allows over raw httpx on 100,000 events (~46 MB)."""
MEASURE = f"""
def _kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
call()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak RSS (VmHWM) to the current RSS
before = _kib("VmRSS:")
count = sum(1 for _ in stream({LONG!r}))
print(count, before, _kib("VmHWM:"))
"""


def run() -> Section:
    """Peak RSS growth per contender, in MB."""
    grown: dict[str, float] = {}
    failed: dict[str, str] = {}
    counts: dict[str, int] = {}
    with loopback_server() as port:
        programs = snippets(f"http://127.0.0.1:{port}/v1", "Hello Dify")
        for snippet in programs:
            done = subprocess.run(
                [sys.executable, "-c", snippet.code + MEASURE],
                env=env_for(snippet),
                capture_output=True,
                text=True,
            )
            if done.returncode:
                failed[snippet.name] = done.stderr.strip().replace("\n", " ")[-200:]
                continue
            count, before, after = map(int, done.stdout.split())
            counts[snippet.name] = count
            grown[snippet.name] = (after - before) / 1024
    limit = programs[0].name
    base = grown.get(limit, 0.0)
    rows = []
    for snippet in programs:
        if snippet.name in failed:
            rows.append(Row(f"{snippet.name}: **failed** ({failed[snippet.name]})", 0, base, "MB"))
            continue
        row = Row(name=snippet.name, ours=grown[snippet.name], baseline=max(base, 0.1), unit="MB")
        if snippet.name.startswith("difykit"):
            row.target = f"flat: ≤ raw httpx + {FLAT_MB} MB"
            row.met = row.ours <= base + FLAT_MB
            row.summary = f"{row.ours:.1f} MB (raw httpx {base:.1f} MB)"
        if abs(counts[snippet.name] - LONG_EVENTS) > LONG_EVENTS // 100:
            row.name += f" (read {counts[snippet.name]:,} events)"
        rows.append(row)
    return Section(
        title="7. Peak memory of a 100,000-event stream",
        what="Growth of the peak RSS of a fresh process while it reads the whole stream "
        "(after one warm-up call); lower is better.",
        ours_label="peak RSS growth",
        baseline_label="raw httpx",
        rows=rows,
        notes=[
            f"{LONG_EVENTS:,} realistic events (about 46 MB of SSE) sent at once by the loopback "
            "server; one run per contender (memory does not depend on the load). Ratio = "
            f"growth over raw httpx `iter_lines`'s (floored at 0.1 MB); {TIMES} ratios "
            "far above 1 mean a library that keeps the body or the events.",
        ],
    )


if __name__ == "__main__":
    for r in run().rows:
        print(f"{r.name:70} {r.ours:8.1f} MB (raw {r.baseline:.1f})")
