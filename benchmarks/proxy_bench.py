"""Benchmark: difykit-proxy against calling the emulator directly through difykit.

Three processes on loopback: the Dify emulator (difykit-testing, uvicorn), the proxy
(``difykit_proxy.create_app``, uvicorn) in front of it, and this one, which measures the same
chat call both ways with one ``httpx.AsyncClient`` (the proxy side) and ``AsyncDify`` on the
emulator (the direct side), interleaved:

- added latency: a non-stream completion through the proxy vs ``AsyncDify.chat.stream``
  collected (the proxy streams upstream too), p50 and p99;
- first token: time to the first content chunk through the proxy vs to the first ``message``
  event directly, with the emulator pacing tokens;
- throughput: streamed answers per second at concurrency 1, 16, 64 and 256;
- 1,000 concurrent paced streams through the proxy: errors and the proxy's peak RSS.

Run alone: ``uv run python benchmarks/proxy_bench.py``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
from _common import TIMES, Row, Section, median
from difykit_async import AsyncDify

API_KEY = "app-proxy-bench"
PROXY_KEY = "sk-proxy-bench"
USER = "bench-user"
QUERY = "Hello Dify, how are you today?"
LATENCY_SAMPLES = 300
FIRST_TOKEN_SAMPLES = 40
PACE = 0.02
"""Seconds between streamed events when pacing is on."""
LEVELS = [1, 16, 64, 256]
LEVEL_SECONDS = 2.0
MANY = 1000


# --- the servers (subprocesses) -------------------------------------------------------------------


def _serve_emulator(delay: float) -> None:
    import uvicorn
    from difykit_proxy._server import bind
    from difykit_testing import DifyEmulator

    emulator = DifyEmulator()
    emulator.add_app(mode="chat", api_key=API_KEY)
    if delay:
        emulator.faults.pace(chunks=10, delay=delay)
    sock = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(emulator.app, log_level="error", lifespan="off", backlog=4096)
    uvicorn.Server(config).run(sockets=[sock])


def _serve_proxy(dify_url: str) -> None:
    from difykit_proxy import create_app, load_settings
    from difykit_proxy._server import bind, server_for

    settings = load_settings(
        None,
        env_file=None,
        proxy_keys=[PROXY_KEY],
        apps={"bench": {"key": API_KEY}},
        dify_base_url=dify_url,
        log_level="error",
    )
    sock = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    server_for(create_app(settings), log_level="error").run(sockets=[sock])


@contextmanager
def _process(*args: str) -> Iterator[tuple[int, int]]:
    """Run this file with ``args`` in a subprocess; yield (its port, its pid)."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline()), process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _stack(delay: float) -> Iterator[tuple[str, str, int]]:
    """The emulator and the proxy in front of it; yield (dify URL, proxy URL, proxy pid)."""
    with _process("emulator", str(delay)) as (dify_port, _):
        dify_url = f"http://127.0.0.1:{dify_port}/v1"
        with _process("proxy", dify_url) as (proxy_port, pid):
            yield dify_url, f"http://127.0.0.1:{proxy_port}/v1", pid


# --- the two sides --------------------------------------------------------------------------------

HEADERS = {"Authorization": f"Bearer {PROXY_KEY}"}


def _body(stream: bool) -> dict[str, object]:
    return {
        "model": "bench",
        "messages": [{"role": "user", "content": QUERY}],
        "stream": stream,
        "user": USER,
    }


async def _via_proxy(client: httpx.AsyncClient, url: str) -> None:
    response = await client.post(url + "/chat/completions", json=_body(False), headers=HEADERS)
    if response.status_code != 200:
        raise RuntimeError(f"proxy answered {response.status_code}: {response.text[:200]}")
    json.loads(response.content)


async def _direct(dify: AsyncDify) -> None:
    await dify.chat.stream(query=QUERY, user=USER).collect()


async def _proxy_stream(client: httpx.AsyncClient, url: str) -> tuple[float, float, int] | None:
    """Stream through the proxy: seconds to the first and last content chunk, and how many."""
    start = time.perf_counter()
    first: float | None = None
    last = 0.0
    count = 0
    async with client.stream(
        "POST", url + "/chat/completions", json=_body(True), headers=HEADERS
    ) as response:
        if response.status_code != 200:
            raise RuntimeError(f"proxy answered {response.status_code}")
        async for line in response.aiter_lines():
            content = line.startswith("data: {") and '"content":"' in line
            if content and '"content":""' not in line:
                last = time.perf_counter() - start
                first = last if first is None else first
                count += 1
            if line == "data: [DONE]":
                break
    return None if first is None else (first, last, count)


async def _direct_stream(dify: AsyncDify) -> tuple[float, float] | None:
    start = time.perf_counter()
    first: float | None = None
    last = 0.0
    async with dify.chat.stream(query=QUERY, user=USER) as stream:
        async for event in stream:
            if event.event == "message":
                last = time.perf_counter() - start
                first = last if first is None else first
    return None if first is None else (first, last)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- measurements ---------------------------------------------------------------------------------


async def _latency(dify_url: str, proxy_url: str) -> list[Row]:
    proxy_times: list[float] = []
    direct_times: list[float] = []
    async with httpx.AsyncClient() as client, AsyncDify(api_key=API_KEY, base_url=dify_url) as dify:
        for _ in range(20):  # warm-up (pools, caches)
            await _via_proxy(client, proxy_url)
            await _direct(dify)
        for i in range(LATENCY_SAMPLES):
            pair: list[tuple[Callable[[], Awaitable[None]], list[float]]] = [
                (lambda: _via_proxy(client, proxy_url), proxy_times),
                (lambda: _direct(dify), direct_times),
            ]
            for call, out in pair[:: 1 if i % 2 else -1]:
                start = time.perf_counter()
                await call()
                out.append((time.perf_counter() - start) * 1000)
    rows = []
    for label, q, target in [("p50", 0.5, 2.0), ("p99", 0.99, None)]:
        ours, base = _percentile(proxy_times, q), _percentile(direct_times, q)
        added = ours - base
        rows.append(
            Row(
                name=f"added latency {label} (non-stream completion vs AsyncDify stream collected)",
                ours=ours,
                baseline=base,
                unit="ms",
                target=f"≤ {target:g} ms added" if target is not None else "",
                met=(added <= target) if target is not None else None,
                summary=f"+{added:.2f} ms",
            )
        )
    return rows


async def _first_token(dify_url: str, proxy_url: str) -> list[Row]:
    proxy_times: list[float] = []
    direct_times: list[float] = []
    proxy_spans: list[float] = []
    direct_spans: list[float] = []
    async with httpx.AsyncClient() as client, AsyncDify(api_key=API_KEY, base_url=dify_url) as dify:
        for _ in range(3):
            await _proxy_stream(client, proxy_url)
            await _direct_stream(dify)
        for _ in range(FIRST_TOKEN_SAMPLES):
            ours = await _proxy_stream(client, proxy_url)
            base = await _direct_stream(dify)
            if ours is not None and base is not None:
                proxy_times.append(ours[0] * 1000)
                direct_times.append(base[0] * 1000)
                gaps = max(1, ours[2] - 1)  # per token: the span over the gaps between tokens
                proxy_spans.append((ours[1] - ours[0]) * 1000 / gaps)
                direct_spans.append((base[1] - base[0]) * 1000 / gaps)
    ours_first, base_first = median(proxy_times), median(direct_times)
    ours_span, base_span = median(proxy_spans), median(direct_spans)
    lag = ours_span - base_span
    return [
        Row(
            name=f"first token with pacing on ({PACE * 1000:g} ms/token): proxy vs direct, p50",
            ours=ours_first,
            baseline=base_first,
            unit="ms",
            summary=f"+{ours_first - base_first:.2f} ms (the whole extra hop)",
        ),
        Row(
            name="token spacing through the proxy vs direct, p50 (extra = forwarding delay)",
            ours=ours_span,
            baseline=base_span,
            unit="ms",
            target="≤ 1 ms added per token",
            met=lag <= 1.0,
            summary=f"{lag:+.2f} ms per token",
        ),
    ]


async def _rate(level: int, one: Callable[[], Awaitable[object]]) -> tuple[float, int]:
    """Completed calls per second with ``level`` workers for LEVEL_SECONDS; and errors."""
    done = errors = 0
    deadline = time.perf_counter() + LEVEL_SECONDS

    async def worker() -> None:
        nonlocal done, errors
        while time.perf_counter() < deadline:
            try:
                await one()
                done += 1
            except Exception:  # counted and reported
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(level)))
    return done / (time.perf_counter() - start), errors


async def _throughput(dify_url: str, proxy_url: str) -> list[Row]:
    rows = []
    for level in LEVELS:
        limits = httpx.Limits(max_connections=level + 8, max_keepalive_connections=level + 8)
        async with (
            httpx.AsyncClient(limits=limits, timeout=60) as client,
            httpx.AsyncClient(limits=limits, timeout=60) as direct_http,
        ):
            dify = AsyncDify(api_key=API_KEY, base_url=dify_url, http_client=direct_http)
            ours, ours_errors = await _rate(level, partial(_proxy_stream, client, proxy_url))
            base, base_errors = await _rate(level, partial(_direct_stream, dify))
        rows.append(
            Row(
                name=f"streams/s at concurrency {level} (errors {ours_errors} vs {base_errors})",
                ours=ours,
                baseline=base,
                unit="streams/s",
            )
        )
    return rows


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _many(proxy_url: str, pid: int) -> Row:
    limits = httpx.Limits(max_connections=MANY + 8, max_keepalive_connections=MANY + 8)
    errors: list[str] = []
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one() -> None:
            try:
                await _proxy_stream(client, proxy_url)
            except Exception as exc:  # counted and reported
                errors.append(type(exc).__name__)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(MANY)))
        elapsed = time.perf_counter() - start
    rss = _peak_rss_mb(pid)
    return Row(
        name=f"{MANY:,} concurrent paced streams via the proxy: completed (wall {elapsed:.1f} s)",
        ours=float(MANY - len(errors)),
        baseline=float(MANY),
        unit="streams",
        target=f"all {MANY:,}, 0 errors",
        met=not errors,
        summary=f"{len(errors)} errors of {MANY:,}; proxy peak RSS {rss:.0f} MB",
    )


def run() -> Section:
    """Measure the proxy against direct difykit calls (see the module docstring)."""
    rows: list[Row] = []
    with _stack(0.0) as (dify_url, proxy_url, _):
        rows += asyncio.run(_latency(dify_url, proxy_url))
        rows += asyncio.run(_throughput(dify_url, proxy_url))
    with _stack(PACE) as (dify_url, proxy_url, pid):
        rows[2:2] = asyncio.run(_first_token(dify_url, proxy_url))
        rows.append(asyncio.run(_many(proxy_url, pid)))
    return Section(
        title="difykit-proxy",
        what=(
            "The same chat call through difykit-proxy (uvicorn, one process) and directly to "
            "the emulator with AsyncDify (the proxy streams upstream, so the direct side "
            "collects a stream too). The emulator, the proxy and the client each run in their "
            "own process on this machine, so at high concurrency they share its cores."
        ),
        ours_label="through the proxy",
        baseline_label="direct (AsyncDify)",
        rows=rows,
        notes=[
            "Added latency is the proxy's p50/p99 minus the direct p50/p99 of interleaved "
            "sequential calls.",
            f"The throughput ratio ({TIMES}) is bounded by the three processes sharing the "
            "cores: the proxy does a second HTTP exchange per call on the same CPUs.",
        ],
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "emulator":
        _serve_emulator(float(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "proxy":
        _serve_proxy(sys.argv[2])
    else:
        section = run()
        for row in section.rows:
            print(f"{row.name}: {row.ours:,.2f} vs {row.baseline:,.2f} {row.unit} {row.summary}")
