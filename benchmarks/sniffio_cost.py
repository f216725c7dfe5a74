"""Benchmark: what an async call pays when ``sniffio`` is not installed.

httpcore's async pool asks ``import sniffio`` on every request to learn which event loop runs;
without the package the import fails, and a failed import is not cached, so every request
searches ``sys.path`` again. anyio no longer depends on sniffio, so a fresh install of
difykit-async may lack it. This measures both: the same sequential async chat calls (raw
httpx, and difykit) in fresh interpreters whose site-packages is this venv's, once as is and
once without ``sniffio`` (a directory of links to every entry but sniffio's).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tempfile
from importlib.metadata import requires
from pathlib import Path

from _common import API_KEY, QUERY, TIMES, USER, Row, Section, loopback_server, median

ROUNDS = 7
CALLS = 300

CHILD = """
import asyncio, importlib.util, json, site, sys, time
site.addsitedir({site!r})
import httpx
from difykit_async import AsyncDify
URL = {url!r}
BODY = {{"query": {query!r}, "user": {user!r}, "inputs": {{}}, "response_mode": "blocking"}}
HEADERS = {{"Authorization": "Bearer {key}"}}

async def main():
    async with httpx.AsyncClient() as client, AsyncDify(api_key={key!r}, base_url=URL) as dify:
        async def raw():
            answer = await client.post(URL + "/chat-messages", json=BODY, headers=HEADERS)
            json.loads(answer.content)
        async def ours():
            await dify.chat.send(query={query!r}, user={user!r})
        out = {{"sniffio": importlib.util.find_spec("sniffio") is not None}}
        for name, one in (("raw", raw), ("difykit", ours)):
            for _ in range(50):
                await one()
            start = time.perf_counter()
            for _ in range({calls}):
                await one()
            out[name] = (time.perf_counter() - start) / {calls} * 1e6
        print(json.dumps(out))

asyncio.run(main())
"""


def _site_without_sniffio(into: Path) -> Path:
    """A directory linking every entry of this venv's site-packages except sniffio's."""
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name == "sniffio" or entry.name.startswith("sniffio-"):
            continue
        (into / entry.name).symlink_to(entry)
    return into


def _run(site: Path, url: str) -> dict[str, float]:
    code = CHILD.format(site=str(site), url=url, query=QUERY, user=USER, key=API_KEY, calls=CALLS)
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def run() -> Section:
    """Raw httpx and difykit async calls, with and without sniffio, rounds alternated."""
    installed = Path(sysconfig.get_paths()["purelib"])
    with loopback_server() as port, tempfile.TemporaryDirectory() as tmp:
        url = f"http://127.0.0.1:{port}/v1"
        hidden = _site_without_sniffio(Path(tmp))
        results: dict[str, list[dict[str, float]]] = {"with": [], "without": []}
        for r in range(ROUNDS):
            for variant in ("with", "without") if r % 2 == 0 else ("without", "with"):
                results[variant].append(_run(installed if variant == "with" else hidden, url))
    if not all(s["sniffio"] for s in results["with"]) or any(
        s["sniffio"] for s in results["without"]
    ):
        raise RuntimeError("the sniffio variants did not see (or hide) sniffio as intended")
    rows: list[Row] = []
    for name, label in (("raw", "raw httpx `AsyncClient.post`"), ("difykit", "difykit async")):
        without = [s[name] for s in results["without"]]
        with_ = [s[name] for s in results["with"]]
        rows.append(
            Row(
                name=f"{label}: µs per call, sniffio not installed vs installed",
                ours=median(without),
                baseline=median(with_),
                unit="µs/call",
                round_ratios=[w / i for w, i in zip(without, with_, strict=True)],
            )
        )
    extra = rows[1].ours - rows[1].baseline
    declared = any(
        (req.split(";")[0].strip().startswith("sniffio")) for req in requires("difykit-async") or []
    )
    verdict = (
        f"Without sniffio an async difykit call costs {extra:+.0f} µs "
        f"({rows[1].ratio:.2f}{TIMES}). difykit-async "
        + (
            "declares `sniffio` as a dependency, so an install has it."
            if declared
            else "does not declare `sniffio`: an install without it pays this."
        )
    )
    return Section(
        title="Async calls without sniffio",
        what="Sequential blocking chat calls over loopback in fresh interpreters, this venv's "
        "packages with and without `sniffio` (lower is better).",
        ours_label="sniffio not installed",
        baseline_label="installed",
        rows=rows,
        notes=[
            f"{ROUNDS} rounds, variants alternated, {CALLS} calls each after 50 warm-up calls; "
            "medians. The child runs `python -S` with the venv's site-packages (or a directory "
            "linking all of it but sniffio) added by `site.addsitedir`, and checks it sees (or "
            "does not see) sniffio.",
            verdict,
        ],
    )


if __name__ == "__main__":
    section = run()
    for row in section.rows:
        print(f"{row.name:70} {row.ours:8.1f} {row.baseline:8.1f} {row.ratio:.3f}{TIMES}")
    print(section.notes[-1])
