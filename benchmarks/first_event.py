"""Benchmark 3: time to first event, difykit stream vs raw httpx ``iter_bytes``.

The loopback server answers a streaming chat with a ping and the first data frame at once and
the rest of recording 06 only after a delay. Each sample is timed from sending the request to
the first event the caller sees; both sides stop reading there (and close the connection), so
neither waits for the delayed rest. A library that buffered the body would take the delay.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from _common import API_KEY, QUERY, TIMES, USER, Row, Section, loopback_server, median
from difykit import Dify
from difykit_async import AsyncDify

DELAY = 0.25
"""Seconds between the first frame and the rest of the stream."""
SAMPLES = 25
BODY = {"query": QUERY, "user": USER, "inputs": {}, "response_mode": "streaming"}
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def _first_frame(buffer: bytes) -> tuple[object | None, bytes]:
    """Bare parsing: the first complete data frame's JSON, if the buffer holds one."""
    frames = buffer.split(b"\n\n")
    rest = frames.pop()
    for i, frame in enumerate(frames):
        for line in frame.split(b"\n"):
            if line.startswith(b"data:"):
                return json.loads(line[5:]), b"\n\n".join([*frames[i + 1 :], rest])
    return None, rest


def _sync(port: int) -> tuple[list[float], list[float]]:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    ours: list[float] = []
    raw: list[float] = []
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
                buffer = b""
                for chunk in response.iter_bytes():
                    event, buffer = _first_frame(buffer + chunk)
                    if event is not None:
                        elapsed = time.perf_counter() - start
                        break
                else:
                    raise AssertionError("no event")
            return elapsed

        one_ours(), one_raw()  # warm-up
        for i in range(SAMPLES):
            for func, out in [(one_ours, ours), (one_raw, raw)][:: 1 if i % 2 else -1]:
                out.append(func())
    return ours, raw


async def _async(port: int) -> tuple[list[float], list[float]]:
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
                buffer = b""
                async for chunk in response.aiter_bytes():
                    event, buffer = _first_frame(buffer + chunk)
                    if event is not None:
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
    return ours, raw


def _row(name: str, ours: list[float], raw: list[float]) -> Row:
    row = Row(
        name=name,
        ours=median(ours) * 1000,
        baseline=median(raw) * 1000,
        unit="ms",
        target=f"every sample < {DELAY * 1000 / 2:.0f} ms",
    )
    # "As soon as its frame is complete": a sample that waited for more of the body would take
    # at least DELAY, so every sample must stay well under it.
    row.met = max(ours) < DELAY / 2
    row.summary = (
        f"median {row.ours:.2f} ms (raw {row.baseline:.2f} ms), slowest {max(ours) * 1000:.2f} ms"
    )
    return row


def run() -> Section:
    """Measure sync and async time to first event on one loopback server."""
    with loopback_server(DELAY) as port:
        sync_ours, sync_raw = _sync(port)
        async_ours, async_raw = asyncio.run(_async(port))
    rows = [
        _row("sync: Dify.chat.stream vs httpx.Client.stream", sync_ours, sync_raw),
        _row("async: AsyncDify.chat.stream vs httpx.AsyncClient.stream", async_ours, async_raw),
    ]
    notes = [
        f"The server sends a ping and the first data frame (`workflow_started`) at once and the "
        f"rest {DELAY * 1000:.0f} ms later; {SAMPLES} samples per side, alternating; medians. "
        "Timed from the request to the first typed event (difykit) or the first parsed data "
        "frame (raw). Met when even the slowest difykit sample is under half the delay: "
        "no sample waited for more of the body.",
    ]
    for row, ours in ((rows[0], sync_ours), (rows[1], async_ours)):
        notes.append(
            f"{row.name.split(':')[0]}: difykit slowest sample {max(ours) * 1000:.2f} ms; "
            f"{(row.ours - row.baseline) * 1000:+.0f} µs median over raw."
        )
    return Section(
        title="3. Time to first event",
        what="Request → first event seen by the caller, while the rest of the body is delayed.",
        ours_label="difykit",
        baseline_label="raw httpx",
        rows=rows,
        notes=notes,
    )


if __name__ == "__main__":
    section = run()
    for r in section.rows:
        print(f"{r.name:60} {r.ours:8.2f} {r.baseline:8.2f} ms {r.ratio:.2f}{TIMES} met={r.met}")
    print("\n".join(section.notes))
