"""Benchmark 4: time to first event, difykit and the peers vs raw httpx ``iter_lines``.

The loopback server answers a streaming chat with a ping and the first data frame at once and
the rest of recording 06 only after a delay. Each sample is timed from sending the request to
the first event the caller sees; both sides stop reading there (and close the connection), so
neither waits for the delayed rest. A library that buffered the body would take the delay.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import _peers
import httpx
from _common import API_KEY, QUERY, USER, Row, Section, loopback_server, median, profile
from difykit import Dify
from difykit_async import AsyncDify

DELAY = 0.25
"""Seconds between the first frame and the rest of the stream."""
SAMPLES = 25
MARGIN_MS = 0.2
BODY = {"query": QUERY, "user": USER, "inputs": {}, "response_mode": "streaming"}
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


Sample = Callable[[], float]


def _peer_sample(call: Callable[[], Iterator[object]]) -> Sample:
    def one() -> float:
        start = time.perf_counter()
        events = call()
        next(iter(events))
        elapsed = time.perf_counter() - start
        close = getattr(events, "close", None)
        if close is not None:
            close()
        return elapsed

    return one


def _samples(named: list[tuple[str, Sample]]) -> dict[str, list[float]]:
    """Each contender's samples, the order rotating each time; a crash leaves its reason."""
    out: dict[str, list[float]] = {name: [] for name, _ in named}
    live = []
    for name, one in named:
        try:
            one()  # warm-up
            live.append((name, one))
        except Exception as exc:  # a peer's crash becomes its row
            out[name] = []
            FAILED[name] = f"{type(exc).__name__}: {exc}"[:200]
    for i in range(SAMPLES):
        for name, one in live[i % len(live) :] + live[: i % len(live)]:
            out[name].append(one())
    return out


FAILED: dict[str, str] = {}


def _sync(port: int) -> dict[str, list[float]]:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    with Dify(api_key=API_KEY, base_url=base_url) as dify, httpx.Client() as client:

        def one_ours() -> float:
            start = time.perf_counter()
            with dify.chat.stream(query=QUERY, user=USER) as stream:
                event = next(iter(stream))
                elapsed = time.perf_counter() - start
            assert event.event == "workflow_started", event
            return elapsed

        def one_raw() -> float:
            start = time.perf_counter()
            with client.stream("POST", url, json=BODY, headers=HEADERS) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        json.loads(line[5:])
                        elapsed = time.perf_counter() - start
                        break
                else:
                    raise AssertionError("no event")
            return elapsed

        named: list[tuple[str, Sample]] = [
            (RAW, one_raw),
            ("difykit sync `Dify.chat.stream` (typed event)", one_ours),
        ]
        peers = [p for p in _peers.load() if not p.error]
        for peer in peers:
            with peer.active():
                call = _peers.stream(peer, base_url, QUERY)
            named.append((f"{peer.label} sync ({peer.yields})", _active(peer, _peer_sample(call))))
        return _samples(named)


def _active(peer: _peers.Peer, one: Sample) -> Sample:
    def run() -> float:
        with peer.active():
            return one()

    return run


async def _async(port: int) -> dict[str, list[float]]:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    ours: list[float] = []
    raw: list[float] = []
    async with AsyncDify(api_key=API_KEY, base_url=base_url) as dify, httpx.AsyncClient() as client:

        async def one_ours() -> float:
            start = time.perf_counter()
            async with dify.chat.stream(query=QUERY, user=USER) as stream:
                event = await anext(aiter(stream))
                elapsed = time.perf_counter() - start
            assert event.event == "workflow_started", event
            return elapsed

        async def one_raw() -> float:
            start = time.perf_counter()
            async with client.stream("POST", url, json=BODY, headers=HEADERS) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        json.loads(line[5:])
                        elapsed = time.perf_counter() - start
                        break
                else:
                    raise AssertionError("no event")
            return elapsed

        await one_ours()
        await one_raw()
        for i in range(SAMPLES):
            for func, out in [(one_ours, ours), (one_raw, raw)][:: 1 if i % 2 else -1]:
                out.append(await func())
    return {ARAW: raw, "difykit async `AsyncDify.chat.stream` (typed event)": ours}


RAW = "raw httpx `Client.stream` + `iter_lines` + `json.loads` (the limit)"
ARAW = "raw httpx `AsyncClient.stream` + `aiter_lines` + `json.loads` (the limit)"


def _rows(samples: dict[str, list[float]], limit: str) -> list[Row]:
    base = median(samples[limit]) * 1000
    out: list[Row] = []
    for name, times in samples.items():
        if not times:
            out.append(Row(f"{name}: **not measured** ({FAILED.get(name, '')})", 0.0, base, "ms"))
            continue
        row = Row(name=name, ours=median(times) * 1000, baseline=base, unit="ms")
        row.summary = (
            f"median {row.ours:.2f} ms (raw {base:.2f} ms, {row.ours - base:+.2f} ms), "
            f"slowest {max(times) * 1000:.2f} ms"
        )
        if name.startswith("difykit"):
            row.target = f"≤ raw + {MARGIN_MS} ms, no sample waiting for the rest"
            row.met = row.ours - base <= MARGIN_MS and max(times) < DELAY / 2
        out.append(row)
    return out


def run() -> Section:
    """Measure sync (with the peers) and async time to first event on one loopback server."""
    with loopback_server(DELAY) as port:
        sync = _sync(port)
        asynchronous = asyncio.run(_async(port))
        rows = [*_rows(sync, RAW), *_rows(asynchronous, ARAW)]
        missed = [r.name for r in rows if r.met is False]
        where = _profile(port, asynchronous=any("async" in m for m in missed)) if missed else ""
    notes = [
        f"The server sends a ping and the first data frame (`workflow_started`) at once and the "
        f"rest {DELAY * 1000:.0f} ms later; {SAMPLES} samples per contender, order rotated; "
        "medians. Timed from the request to the first event the caller holds (typed, or the "
        "dict a user's `json.loads` makes). A sample near the delay means the library waited "
        "for more of the body before handing out the first event.",
        f"Met when difykit's median is within {MARGIN_MS} ms of raw httpx `iter_lines` and even "
        "its slowest sample is under half the delay.",
    ]
    section = Section(
        title="4. Time to first event",
        what="Request → first event seen by the caller, while the rest of the body is delayed.",
        ours_label="measured",
        baseline_label="raw httpx",
        rows=rows,
        notes=notes,
    )
    section.profile = where
    return section


def _profile(port: int, *, asynchronous: bool) -> str:
    """cProfile of difykit's request → first event, 20 times (async if that side missed)."""
    base_url = f"http://127.0.0.1:{port}/v1"
    if asynchronous:

        async def afirst_events() -> None:
            async with AsyncDify(api_key=API_KEY, base_url=base_url) as dify:
                for _ in range(20):
                    async with dify.chat.stream(query=QUERY, user=USER) as stream:
                        await anext(aiter(stream))

        asyncio.run(afirst_events())
        text = profile(
            lambda: asyncio.run(afirst_events()), per=20, unit="first event", focus="difykit"
        )
        return "async, including one client and event loop per 20 streams:\n\n" + text
    with Dify(api_key=API_KEY, base_url=base_url) as dify:

        def first_events() -> None:
            for _ in range(20):
                with dify.chat.stream(query=QUERY, user=USER) as stream:
                    next(iter(stream))

        first_events()
        return "sync:\n\n" + profile(first_events, per=20, unit="first event", focus="difykit")


if __name__ == "__main__":
    section = run()
    for r in section.rows:
        print(f"{r.name:90} {r.ours:8.2f} {r.baseline:8.2f} ms met={r.met}")
