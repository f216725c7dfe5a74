"""Benchmark: the realistic stream over loopback, difykit and the peers vs raw httpx.

One streaming chat call per round and contender on the loopback server, which sends the
whole 10,000-event realistic stream (``_realistic.py``) at once. Events/s from the request to
the last event; raw httpx ``iter_lines`` + ``json.loads`` of each ``data:`` line is the limit.
Each row says what the caller gets per event: typed events, dicts, or bytes.
"""

from __future__ import annotations

import asyncio
import json

import _peers
import httpx
from _common import API_KEY, TIMES, USER, Row, Section, loopback_server, profile
from _realistic import stream, stream_shape
from _rounds import Contender, ameasure, measure, rows
from _server import REALISTIC
from difykit import Dify
from difykit_async import AsyncDify

ROUNDS = 5
TARGET = 0.7
BODY = {"query": REALISTIC, "user": USER, "inputs": {}, "response_mode": "streaming"}
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def _sync(port: int) -> list[Contender]:
    base_url = f"http://127.0.0.1:{port}/v1"
    client = httpx.Client()
    dify = Dify(api_key=API_KEY, base_url=base_url)

    def raw() -> int:
        count = 0
        with client.stream("POST", base_url + "/chat-messages", json=BODY, headers=HEADERS) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    json.loads(line[5:])
                    count += 1
        return count

    def ours() -> int:
        with dify.chat.stream(query=REALISTIC, user=USER) as events:
            return sum(1 for _ in events)

    contenders = [
        Contender("raw httpx `iter_lines` + `json.loads` (the limit; dicts)", raw),
        Contender("difykit sync `Dify.chat.stream` (typed events)", ours),
    ]
    for peer in _peers.load():
        contender = Contender(f"{peer.label} sync ({peer.yields})", peer=peer, error=peer.error)
        if not peer.error:
            with peer.active():
                call = _peers.stream(peer, base_url, REALISTIC)
            contender.run = lambda call=call: sum(1 for _ in call())  # type: ignore[misc]
        contenders.append(contender)
    return contenders


async def _async(port: int, events: int) -> list[Contender]:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    async with httpx.AsyncClient() as client, AsyncDify(api_key=API_KEY, base_url=base_url) as dify:

        async def raw() -> int:
            count = 0
            async with client.stream("POST", url, json=BODY, headers=HEADERS) as r:
                async for line in r.aiter_lines():
                    if line.startswith("data:"):
                        json.loads(line[5:])
                        count += 1
            return count

        async def ours() -> int:
            count = 0
            async with dify.chat.stream(query=REALISTIC, user=USER) as stream:
                async for _ in stream:
                    count += 1
            return count

        contenders = [
            Contender("raw httpx async `aiter_lines` + `json.loads` (the limit)", arun=raw),
            Contender("difykit async `AsyncDify.chat.stream` (typed events)", arun=ours),
        ]
        await ameasure(contenders, rounds=ROUNDS, per_round=events)
    return contenders


def run() -> Section:
    """Sync and async tables in one section, each against its own raw httpx limit."""
    _, events = stream()
    with loopback_server() as port:
        sync = _sync(port)
        measure(sync, rounds=ROUNDS, per_round=events)
        asynchronous = asyncio.run(_async(port, events))
        table: list[Row] = [*rows(sync, "events/s"), *rows(asynchronous, "events/s")]
        for row in table:
            if row.name.startswith("difykit"):
                row.target, row.met = f"≥ {TARGET:.2f}{TIMES}", row.ratio >= TARGET
        ours = sync[1].run
        assert ours is not None
        where = ""
        if any(row.met is False for row in table):
            where = "cProfile of 2 sync streams over loopback:\n\n" + profile(
                lambda: (ours(), ours()), per=2 * events, unit="event", focus="difykit"
            )
    section = Section(
        title="2. The realistic stream over loopback: events/s",
        what="One streaming chat call per round, the whole realistic stream, request to last "
        "event; sync rows against raw httpx sync, async rows against raw httpx async.",
        ours_label="measured",
        baseline_label="raw httpx",
        rows=table,
        notes=[
            f"Stream: {stream_shape()}, sent at once by the loopback server. {ROUNDS} rounds, "
            "order rotated, medians; ratio = median of per-round ratios to the limit.",
            "The untyped peers hand the caller an `httpx`/`requests` response or raw chunks; "
            "their rows add what their READMEs leave to the caller (`iter_lines` + "
            "`json.loads`, or frame splitting + `json.loads` for dify-oapi2's bytes).",
        ],
    )
    section.profile = where
    return section


if __name__ == "__main__":
    for r in run().rows:
        print(f"{r.name:80} {r.ours:>10,.0f} {r.baseline:>10,.0f} {r.ratio:.2f}{TIMES}")
