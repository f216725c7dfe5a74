"""Benchmark 1: decoding the realistic stream into typed events vs bare parsing, in memory.

The stream is issue 8's (``_realistic.py``: 10,000 events from recordings 06 and 182, node and
loop events mixed with ``message`` deltas). It is fed in 64 KiB chunks and in small 256-byte
chunks (frames cut anywhere), with no socket: to the core's ``EventReader``, to the sync and
async clients over ``httpx.MockTransport``, and to dify-client-python's own decoding (httpx-sse
over an ``httpx.Response``, then its typed events), the one peer that decodes SSE itself.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable

import _peers
import httpx
from _common import API_KEY, QUERY, TIMES, USER, Row, Section, median, profile
from _realistic import stream, stream_shape
from difykit import Dify
from difykit_async import AsyncDify
from difykit_core import SSEDecoder
from difykit_core.operations._generate import chat_protocol

ROUNDS = 11
TARGET = 0.7


def chunks_of(body: bytes, size: int) -> list[bytes]:
    """The body cut into ``size``-byte chunks."""
    return [body[i : i + size] for i in range(0, len(body), size)]


# --- the contenders (each returns the number of events it produced) ----------------------------


def bare(chunks: list[bytes]) -> int:
    """Baseline: split frames on a blank line, ``json.loads`` each data line."""
    loads = json.loads
    buffer = b""
    count = 0
    for chunk in chunks:
        buffer += chunk
        frames = buffer.split(b"\n\n")
        buffer = frames.pop()
        for frame in frames:
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    loads(line[5:])
                    count += 1
    return count


def typed(chunks: list[bytes]) -> int:
    """difykit: ``EventReader.feed`` (SSEDecoder + one validation into the ChatEvent union)."""
    reader = chat_protocol().reader()
    count = 0
    for chunk in chunks:
        count += len(reader.feed(chunk))
    reader.finish()
    return count


Contender = Callable[[list[bytes]], int]
_SSE = {"content-type": "text/event-stream"}
_URL = "http://dify.invalid/v1"


async def _aiter(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def clients() -> tuple[Contender, Contender, Callable[[], None]]:
    """difykit's sync and async clients streaming the chunks over ``httpx.MockTransport``.

    Returns the two contenders and a function closing both clients and the event loop.
    """
    feed: list[list[bytes]] = [[]]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=_SSE, content=iter(feed[0]))

    async def aanswer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=_SSE, content=_aiter(feed[0]))

    dify = Dify(
        api_key=API_KEY,
        base_url=_URL,
        http_client=httpx.Client(transport=httpx.MockTransport(answer)),
    )
    loop = asyncio.new_event_loop()
    adify = AsyncDify(
        api_key=API_KEY,
        base_url=_URL,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(aanswer)),
    )

    def sync_client(chunks: list[bytes]) -> int:
        feed[0] = chunks
        with dify.chat.stream(query=QUERY, user=USER) as events:
            return sum(1 for _ in events)

    async def acount() -> int:
        count = 0
        async with adify.chat.stream(query=QUERY, user=USER) as events:
            async for _ in events:
                count += 1
        return count

    def async_client(chunks: list[bytes]) -> int:
        feed[0] = chunks
        return loop.run_until_complete(acount())

    def close() -> None:
        loop.run_until_complete(adify.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        dify.close()

    return sync_client, async_client, close


def untyped(chunks: list[bytes]) -> int:
    """``SSEDecoder`` frames, ``json.loads`` of each frame's data (untyped events)."""
    loads = json.loads
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        for event in decoder.feed(chunk):
            loads(event.data)
            count += 1
    return count


def framing(chunks: list[bytes]) -> int:
    """``SSEDecoder`` alone: frames out, no JSON."""
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    return count


def _rates(
    contenders: list[tuple[str, Contender]], chunks: list[bytes], events: int
) -> tuple[list[list[float]], dict[str, str]]:
    """Events/s of each contender per round, the order rotating; and who failed, why."""
    rates: list[list[float]] = [[] for _ in contenders]
    failed: dict[str, str] = {}
    for name, c in contenders:  # warm-up, and a check that each sees every event
        try:
            produced = c(chunks)
        except Exception as exc:  # a peer that crashes gets a row saying so
            failed[name] = f"{type(exc).__name__}: {exc}"[:160]
            continue
        if produced != events:
            failed[name] = f"produced {produced} events of {events}"
    for r in range(ROUNDS):
        order = list(range(len(contenders)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            name, contender = contenders[i]
            if name in failed:
                continue
            start = time.perf_counter()
            contender(chunks)
            rates[i].append(events / (time.perf_counter() - start))
    return rates, failed


def run() -> Section:
    """Measure, and profile the typed path if it misses its target."""
    body, events = stream()
    sync_client, async_client, close = clients()
    contenders: list[tuple[str, Contender]] = [
        ("bare: split frames + `json.loads` (the limit; dicts)", bare),
        ("difykit sync `Dify.chat.stream` (typed)", sync_client),
        ("difykit async `AsyncDify.chat.stream` (typed)", async_client),
        ("difykit-core `EventReader.feed` alone (typed)", typed),
        ("difykit-core `SSEDecoder` + `json.loads` (dicts)", untyped),
        ("difykit-core `SSEDecoder` alone (frames, no JSON)", framing),
    ]
    absent: list[str] = []
    for peer in _peers.load():
        decode = _peers.decoder(peer)
        if decode is None:
            if peer.error:
                absent.append(f"{peer.dist}: {peer.error}")
            continue
        contenders.append((f"{peer.label} (its httpx-sse decoding + models; typed)", decode))
    targets = {contenders[1][0], contenders[2][0]}
    rows: list[Row] = []
    missed: tuple[str, Contender, list[bytes]] | None = None
    for label, size in (("64 KiB chunks", 64 * 1024), ("256 B chunks", 256)):
        chunks = chunks_of(body, size)
        rates, failed = _rates(contenders, chunks, events)
        base = rates[0]
        for (name, _), mine in zip(contenders, rates, strict=True):
            if name in failed:
                rows.append(
                    Row(
                        name=f"{name}, {label}: **failed** ({failed[name]})",
                        ours=0,
                        baseline=median(base),
                        unit="events/s",
                    )
                )
                continue
            row = Row(
                name=f"{name}, {label}",
                ours=median(mine),
                baseline=median(base),
                unit="events/s",
                round_ratios=[o / b for o, b in zip(mine, base, strict=True)],
            )
            if name in targets:
                row.target = f"≥ {TARGET:.2f}{TIMES}"
                row.met = row.ratio >= TARGET
                if not row.met and missed is None:
                    missed = (row.name, dict(contenders)[name], chunks)
            rows.append(row)
    notes = [
        f"Stream: {stream_shape()}. {ROUNDS} rounds, order rotated each round, medians. "
        "Ratio = events/s over bare parsing's in the same round (median of the per-round "
        "ratios); spread = inter-quartile range of those.",
        "The sync and async rows are the whole client (stream object, transport, reader) "
        "over `httpx.MockTransport`: no socket, so parsing dominates. The peers that hand the "
        "caller lines or bytes (dify-python-sdk, dify-client, dify-oapi2) have no decoder of "
        "their own to feed: they are measured over loopback in the next table.",
        *[f"Not measured: {why}" for why in absent],
    ]
    section = Section(
        title="1. Typed stream events/s vs bare parsing (in memory)",
        what="Decoding the realistic chatflow stream (node, loop and message events) from "
        "in-memory chunks.",
        ours_label="measured",
        baseline_label="bare parse",
        rows=rows,
        notes=notes,
    )
    if missed is not None:
        which, contender, chunks = missed

        def many() -> None:
            for _ in range(3):
                contender(chunks)

        text = profile(many, per=3 * events, unit="event", focus="difykit")
        section.profile = f"{which}:\n\n{text}"
    close()
    return section


if __name__ == "__main__":
    for row in run().rows:
        print(f"{row.name:90} {row.ours:>12,.0f} {row.baseline:>12,.0f} {row.ratio:.2f}{TIMES}")
