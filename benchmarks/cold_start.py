"""Benchmark: cold first call, a fresh process per sample, difykit and the peers vs raw httpx.

Each sample is one ``python -c`` that imports the library, builds a client, makes one
blocking chat call and takes the first event of a streaming one, on the loopback server; the
limit is the same with raw httpx, the answer validated into a one-field pydantic model: the
floor a typed SDK cannot go under (``import pydantic`` alone, or ``BaseModel`` alone, loads
none of what a first model costs; both have their own rows, and difykit's row says its ratio
to the ``BaseModel`` one too). Wall time from the parent, interpreter start-up included;
bytecode caches warm (a first, uncounted run writes them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import _peers
from _common import QUERY, TIMES, Row, Section, loopback_server, median
from _snippets import Snippet, lighter_limits, snippets
from import_time import _env, _importtime

ROUNDS = 7
TARGET = 1.3
FIRST = "\ncall()\nnext(iter(stream({query!r})))\n"


def env_for(snippet: Snippet, cache: str | None = None) -> dict[str, str]:
    """The environment of a fresh interpreter running ``snippet`` (its peer on the path).

    With ``cache``, bytecode is written there and read back (``PYTHONDONTWRITEBYTECODE``
    dropped): an installed library runs from its ``.pyc`` files, not from source.
    """
    env = _env(cache) if cache else dict(os.environ)
    if snippet.dist:
        peer = next(p for p in _peers.PEERS if p.dist == snippet.dist)
        env["PYTHONPATH"] = _peers.pythonpath(peer)
    return env


def _time(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> Section:
    """Every contender's cold first call and first event, rounds rotated."""
    failed: dict[str, str] = {}
    times: dict[str, list[float]] = {}
    with loopback_server() as port, tempfile.TemporaryDirectory() as cache:
        url = f"http://127.0.0.1:{port}/v1"
        programs = [
            (s, s.code + FIRST.format(query=QUERY), env_for(s, cache))
            for s in [*snippets(url, QUERY), *lighter_limits(url, QUERY)]
        ]
        live = []
        for snippet, code, env in programs:
            try:
                _time(code, env)
                live.append((snippet, code, env))
                times[snippet.name] = []
            except subprocess.CalledProcessError as exc:
                failed[snippet.name] = exc.stderr.decode(errors="replace").strip()[-200:]
        for r in range(ROUNDS):
            for snippet, code, env in live[r % len(live) :] + live[: r % len(live)]:
                times[snippet.name].append(_time(code, env))
        ours, limit_times = times.get(programs[1][0].name), times[programs[0][0].name]
        where = ""
        if not ours or median(ours) / median(limit_times) > TARGET:
            phases = phase_table(
                [(s, env) for s, _, env in programs[:2]], startup=_time("pass", programs[0][2])
            )
            where = phases + "\n\n" + where_the_time_goes(programs[1][1], programs[1][2])
    limit = programs[0][0].name
    base = times[limit]
    rows: list[Row] = []
    for snippet, _, _ in programs:
        if snippet.name in failed:
            why = failed[snippet.name].replace("\n", " ")
            rows.append(Row(f"{snippet.name}: **failed** ({why})", 0.0, median(base) * 1e3, "ms"))
            continue
        mine = times[snippet.name]
        row = Row(
            name=snippet.name,
            ours=median(mine) * 1e3,
            baseline=median(base) * 1e3,
            unit="ms",
            round_ratios=[o / b for o, b in zip(mine, base, strict=True)],
        )
        if snippet.name.startswith("difykit"):
            row.target, row.met = f"≤ {TARGET:.1f}{TIMES}", row.ratio <= TARGET
            untyped = times.get(programs[len(programs) - 2][0].name)
            if untyped:
                versus = median([o / b for o, b in zip(mine, untyped, strict=True)])
                row.summary = (
                    f"{row.ratio:.2f}{TIMES} ({versus:.2f}{TIMES} against `BaseModel` "
                    "imported, no model)"
                )
        rows.append(row)
    section = Section(
        title="6. Cold first call: import + client + first call + first event",
        what="A fresh `python -c` per sample; ratio = time over the raw httpx + pydantic one "
        "(lower is better).",
        ours_label="measured",
        baseline_label="the limit",
        rows=rows,
        notes=[
            f"{ROUNDS} rounds, contenders rotated, medians; each sample: import, build a "
            "client, one blocking chat call (recording 05's answer), the first event of a "
            "streaming call (the server sends it at once). The peers run with their own folder on "
            "PYTHONPATH (three of them import as `dify_client`).",
            "Every process reads its modules from bytecode caches written by a first, uncounted "
            "run (as an installed library does), even where `PYTHONDONTWRITEBYTECODE` is set.",
            "The limit validates the blocking answer into a one-field pydantic model: the least "
            "a typed SDK does. pydantic is lazy: `import pydantic` loads almost nothing, and even "
            "`from pydantic import BaseModel` leaves out what the first model definition loads "
            "and builds (`pydantic.fields`, `pydantic.types`, the schema generator, the plugin "
            "entry-point scan). The last two rows are those lighter programs, for reference.",
        ],
    )
    section.profile = where
    return section


PHASE_SAMPLES = 9
_STAMPED = """
import time as _time
_stamps = [_time.perf_counter()]
{code}
_stamps.append(_time.perf_counter())
call()
_stamps.append(_time.perf_counter())
next(iter(stream({query!r})))
_stamps.append(_time.perf_counter())
{exit}print(",".join(str(b - a) for a, b in zip(_stamps, _stamps[1:])))
"""


def _phases(snippet: Snippet, env: dict[str, str], *, freeze: bool) -> list[float]:
    """[import + client, first call, first event, total wall] of one fresh process, seconds."""
    code = _STAMPED.format(
        code=snippet.code, query=QUERY, exit="import gc; gc.freeze()\n" if freeze else ""
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    return [*map(float, out.stdout.strip().split(",")), wall]


def phase_table(programs: list[tuple[Snippet, dict[str, str]]], *, startup: float) -> str:
    """Where each of the limit's and difykit's milliseconds go, phase by phase (medians).

    The exit phase is the wall time left after the last event: interpreter teardown, which
    frees every object the program made (with ``gc.freeze()`` before it, the teardown skips
    the objects alive then: the difference is what freeing them costs).
    """
    names = ["interpreter start-up", "import + client", "first call", "first event", "exit"]
    cols: list[list[float]] = []
    frozen: list[float] = []
    for snippet, env in programs:
        _phases(snippet, env, freeze=False)
        samples = [_phases(snippet, env, freeze=False) for _ in range(PHASE_SAMPLES)]
        walls = [s[3] for s in samples]
        inside = [median([s[i] for s in samples]) for i in range(3)]
        exit_ = median(walls) - startup - sum(inside)
        cols.append([startup, *inside, exit_])
        freezes = [_phases(snippet, env, freeze=True) for _ in range(PHASE_SAMPLES)]
        frozen_inside = sum(median([f[i] for f in freezes]) for i in range(3))
        frozen.append(median([f[3] for f in freezes]) - startup - frozen_inside)
    out = [
        f"Phases of one cold program, ms (medians of {PHASE_SAMPLES} fresh processes each; "
        "start-up from `python -c pass`):",
        "",
        f"{'':24}{'limit':>9}{'difykit':>9}{'extra':>9}",
    ]
    for i, name in enumerate(names):
        limit_ms, ours_ms = cols[0][i] * 1e3, cols[1][i] * 1e3
        out.append(f"{name:24}{limit_ms:>9.1f}{ours_ms:>9.1f}{ours_ms - limit_ms:>+9.1f}")
    out.append(
        f"{'exit after gc.freeze()':24}{frozen[0] * 1e3:>9.1f}{frozen[1] * 1e3:>9.1f}"
        f"{(frozen[1] - frozen[0]) * 1e3:>+9.1f}"
    )
    out += [
        "",
        "The first call builds pydantic validators (the request model, the answer model and "
        "its nested ones), the first event its event models; the exit frees them (compare the "
        "`gc.freeze()` row, whose teardown leaves them to the OS).",
    ]
    return "\n".join(out)


def where_the_time_goes(code: str, env: dict[str, str]) -> str:
    """``-X importtime`` of difykit's cold program: what its process imports, slowest first."""
    lines = _importtime(code, env)
    total = sum(s for _, s, _ in lines) / 1000
    by_top: dict[str, float] = {}
    for module, self_us, _ in lines:
        top = module.split(".")[0]
        by_top[top] = by_top.get(top, 0.0) + self_us / 1000
    out = [
        f"`-X importtime` of the difykit program: {len(lines)} modules imported, "
        f"{total:.0f} ms self time in all; by top-level package (ms):",
        "",
    ]
    out += [f"{ms:>8.1f}  {top}" for top, ms in sorted(by_top.items(), key=lambda i: -i[1])[:10]]
    out += ["", "Slowest single modules (self ms, cumulative ms):"]
    slow = sorted(lines, key=lambda r: -r[1])[:10]
    out += [f"{s / 1000:>7.1f} {c / 1000:>7.1f}  {m}" for m, s, c in slow]
    return "\n".join(out)


if __name__ == "__main__":
    for r in run().rows:
        print(f"{r.name:70} {r.ours:8.1f} {r.baseline:8.1f} ms {r.ratio:.2f}{TIMES} met={r.met}")
