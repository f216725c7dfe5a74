"""Benchmark 3: blocking calls/s, difykit and the peers vs raw httpx + json.loads, on loopback.

Both sides send the same ``POST /v1/chat-messages`` (same JSON body, same Authorization
header) over a default ``httpx.Client`` / ``httpx.AsyncClient`` (same connection pooling,
keep-alive), sequentially, and read the recorded blocking answer (recording 05) or the realistic
~2.4 KB one: difykit into a typed ``ChatMessage``, the baseline with ``json.loads``, each peer
as its README shows. Rounds rotate which contender goes first.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import _peers
import httpx
from _common import (
    API_KEY,
    QUERY,
    TIMES,
    USER,
    Row,
    Section,
    loopback_server,
    median,
    profile,
)
from _realistic import blocking_answer
from _rounds import Contender, ameasure, measure, rows
from _server import REALISTIC
from difykit import Dify
from difykit_async import AsyncDify
from difykit_core import HttpResponse
from difykit_core.operations import chat

CALLS = 50
"""Calls per round: short rounds, so both sides of a pair see the same background load."""
ROUNDS = 15
ASYNC_ROUNDS = 11
WARMUP = 200
PROFILED = 1000
TARGET = 0.97
BODY = {"query": QUERY, "user": USER, "inputs": {}, "response_mode": "blocking"}
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
SHARED = "caller's pool (httpx's client path):"
"""Rows of a client given ``http_client=``: its calls go through httpx's client (no target)."""


def _sync(port: int, query: str) -> list[Contender]:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    body = {**BODY, "query": query}
    client = httpx.Client()
    dify = Dify(api_key=API_KEY, base_url=base_url)
    send = dify.chat.send
    shared_send = Dify(api_key=API_KEY, base_url=base_url, http_client=httpx.Client()).chat.send
    post, loads = client.post, json.loads

    def ours() -> None:
        for _ in range(CALLS):
            send(query=query, user=USER)

    def shared() -> None:
        for _ in range(CALLS):
            shared_send(query=query, user=USER)

    def base() -> None:
        for _ in range(CALLS):
            response = post(url, json=body, headers=HEADERS)
            if response.status_code >= 400:
                raise RuntimeError(response.status_code)
            loads(response.content)

    contenders = [
        Contender("raw httpx `Client.post` + `json.loads` (the limit; dict)", base),
        Contender("difykit sync `Dify.chat.send` (typed)", ours),
        Contender(f"{SHARED} sync `Dify(http_client=httpx.Client())`", shared),
    ]
    for peer in _peers.load():
        contender = Contender(f"{peer.label} sync", peer=peer, error=peer.error)
        if not peer.error:
            with peer.active():
                call = _peers.blocking(peer, base_url, query)

            def many(call: Callable[[], object] = call) -> None:
                for _ in range(CALLS):
                    call()

            contender.run = many
        contenders.append(contender)
    return contenders


async def _async(port: int, query: str) -> list[Contender]:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    body = {**BODY, "query": query}
    async with (
        AsyncDify(api_key=API_KEY, base_url=base_url) as dify,
        httpx.AsyncClient() as client,
        httpx.AsyncClient() as callers,
    ):
        send = dify.chat.send
        shared_send = AsyncDify(api_key=API_KEY, base_url=base_url, http_client=callers).chat.send
        post, loads = client.post, json.loads

        async def ours() -> None:
            for _ in range(CALLS):
                await send(query=query, user=USER)

        async def shared() -> None:
            for _ in range(CALLS):
                await shared_send(query=query, user=USER)

        async def base() -> None:
            for _ in range(CALLS):
                response = await post(url, json=body, headers=HEADERS)
                if response.status_code >= 400:
                    raise RuntimeError(response.status_code)
                loads(response.content)

        contenders = [
            Contender("raw httpx `AsyncClient.post` + `json.loads` (the limit)", arun=base),
            Contender("difykit async `AsyncDify.chat.send` (typed)", arun=ours),
            Contender(f"{SHARED} async `AsyncDify(http_client=httpx.AsyncClient())`", arun=shared),
        ]
        for peer in _peers.load():
            if peer.error:
                continue
            with peer.active():
                call = _peers.ablocking(peer, base_url, query)
            if call is None:
                continue

            async def many(call: Callable[[], Awaitable[object]] = call) -> None:
                for _ in range(CALLS):
                    await call()

            contenders.append(Contender(f"{peer.label} async", arun=many, peer=peer))
        await ameasure(contenders, rounds=ASYNC_ROUNDS, per_round=CALLS)
    return contenders


def _targets(table: list[Row]) -> list[Row]:
    for row in table:
        if row.name.startswith("difykit"):
            row.target, row.met = f"≥ {TARGET:.2f}{TIMES}", row.ratio >= TARGET
    return table


def _per_call_us(func: Callable[[], object], n: int = 5000) -> float:
    times: list[float] = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            func()
        times.append((time.perf_counter() - start) / n * 1e6)
    return median(times)


def _mock_client(content: bytes) -> httpx.Client:
    """An httpx client answering every request with ``content`` in-process (no sockets)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=content)

    return httpx.Client(transport=httpx.MockTransport(answer))


def in_process(content: bytes) -> tuple[Row, Callable[[], None]]:
    """The same comparison over ``httpx.MockTransport``: the client-side CPU cost, no network."""
    url = "http://dify.invalid/v1"
    client = _mock_client(content)
    dify = Dify(api_key=API_KEY, base_url=url, http_client=client)
    send, post, loads = dify.chat.send, client.post, json.loads

    def ours(n: int = CALLS) -> None:
        for _ in range(n):
            send(query=QUERY, user=USER)

    def base(n: int = CALLS) -> None:
        for _ in range(n):
            response = post(url + "/chat-messages", json=BODY, headers=HEADERS)
            if response.status_code >= 400:
                raise RuntimeError(response.status_code)
            loads(response.content)

    ours(WARMUP)
    base(WARMUP)
    pair = [
        Contender("raw httpx (MockTransport)", base),
        Contender("difykit (MockTransport)", ours),
    ]
    measure(pair, rounds=ROUNDS, per_round=CALLS)
    row = rows(pair, "calls/s")[1]
    row.name = "in-process (httpx.MockTransport), recording 05 answer: Dify vs httpx + json.loads"

    def profiled() -> None:
        ours(PROFILED)

    return row, profiled


DECOMPOSE_ROUNDS = 25


def decompose(content: bytes) -> str:
    """Which part of difykit costs what: each variant's extra µs over raw httpx, in-process.

    Every round times N raw calls and then N calls of one variant, back to back, over
    ``httpx.MockTransport``; the median difference per call is what that variant adds.
    """
    url = "http://dify.invalid/v1"
    client = _mock_client(content)
    transport = Dify(api_key=API_KEY, base_url=url, http_client=client)._transport
    dify = Dify(api_key=API_KEY, base_url=url, http_client=client)
    call = chat.send_message(query=QUERY, user=USER)
    post, loads = client.post, json.loads

    def raw() -> object:
        return loads(post(url + "/chat-messages", json=BODY, headers=HEADERS).content)

    variants: dict[str, Callable[[], object]] = {
        "Dify.chat.send (everything)": lambda: dify.chat.send(query=QUERY, user=USER),
        "raw + building the call (chat.send_message)": lambda: (
            chat.send_message(query=QUERY, user=USER),
            raw(),
        ),
        "Transport._send (request building, one attempt) + json.loads": lambda: loads(
            transport._send(call.request, {}, stream=False).content
        ),
        "Transport.execute of a prebuilt call (exchange, send, parse)": lambda: transport.execute(
            call
        ),
        "raw, parsed by Call.parse (ChatMessage) instead of json.loads": lambda: call.parse(
            HttpResponse(200, {}, post(url + "/chat-messages", json=BODY, headers=HEADERS).content)
        ),
    }
    extra: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(DECOMPOSE_ROUNDS):
        for name, variant in variants.items():
            start = time.perf_counter()
            for _ in range(CALLS):
                raw()
            base = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(CALLS):
                variant()
            extra[name].append((time.perf_counter() - start - base) / CALLS * 1e6)
    lines = [
        f"Extra µs per call over raw httpx + json.loads, in-process (httpx.MockTransport), "
        f"median of {DECOMPOSE_ROUNDS} paired rounds of {CALLS} calls:",
        "",
    ]
    lines += [f"{median(v):>+8.1f} µs  {name}" for name, v in extra.items()]
    return "\n".join(lines)


def sans_io_breakdown(content: bytes) -> list[str]:
    """µs per call of the sans-IO parts difykit adds, next to the json.loads the baseline does."""
    call = chat.send_message(query=QUERY, user=USER)
    response = HttpResponse(200, {"content-type": "application/json"}, content)
    build = _per_call_us(lambda: chat.send_message(query=QUERY, user=USER))
    parse = _per_call_us(lambda: call.parse(response))
    loads = _per_call_us(lambda: json.loads(content))
    return [
        f"Sans-IO cost per call (in-process, no I/O): building the call "
        f"(`chat.send_message`) {build:.1f} µs, parsing the answer into `ChatMessage` "
        f"{parse:.1f} µs, against `json.loads` of the same body {loads:.1f} µs.",
    ]


def run() -> Section:
    """Both answers, sync and async, every peer; profile the sync side if it misses."""
    from _server import blocking_body

    table: list[Row] = []
    with loopback_server() as port:
        answers = (
            (f"recording 05 answer ({len(blocking_body())} B)", QUERY),
            (f"realistic answer ({len(blocking_answer()):,} B)", REALISTIC),
        )
        for label, query in answers:
            sync = _sync(port, query)
            measure(sync, rounds=ROUNDS, per_round=CALLS)
            asynchronous = asyncio.run(_async(port, query))
            for row in _targets([*rows(sync, "calls/s"), *rows(asynchronous, "calls/s")]):
                row.name = f"{label}: {row.name}"
                table.append(row)
        mock_row, profiled = in_process(blocking_body())
        table.append(mock_row)
    section = Section(
        title="3. Blocking calls/s vs raw httpx",
        what="Sequential chat calls on a loopback server vs raw httpx post + json.loads; sync "
        "rows against raw httpx sync, async rows against raw httpx async.",
        ours_label="measured",
        baseline_label="raw httpx",
        rows=table,
        notes=[
            f"Loopback asyncio server in a subprocess answering recording 05 "
            f"({len(blocking_body())} B JSON) or the realistic answer with `metadata.usage` and "
            f"three `retriever_resources` ({len(blocking_answer())} B); {CALLS} sequential "
            f"calls per round and contender, {ROUNDS} rounds (async {ASYNC_ROUNDS}), order "
            "rotated; medians. Each client keeps its own keep-alive pool (dify-client calls "
            "`requests.request`, a new connection per call, as it ships). Each answer size "
            "runs in its own `asyncio.run`: a peer whose async client outlives its first event "
            "loop fails on the second, and its row says so.",
            *sans_io_breakdown(blocking_body()),
            "A client difykit creates owns its pool, which has no hooks, auth or cookies: its "
            "calls go straight to the pool's transport (`difykit_async/_wire.py`), skipping "
            "the work `httpx.Client.send` does per call (URL merging, cookie extraction, auth "
            "and redirect flows). A client given `http_client=` goes through that client so "
            'its settings apply: the rows marked "caller\'s pool" show that path (no target; '
            "it is the raw httpx path plus difykit's own cost).",
            "The in-process row sends the same calls through `httpx.MockTransport` (no "
            "sockets, no server; a caller's pool, so httpx's client path): what difykit "
            "itself costs on the caller's CPU.",
        ],
    )
    if section.missed:
        cprofile = profile(profiled, per=PROFILED, unit="call", focus="difykit", limit=10)
        section.profile = (
            f"{decompose(blocking_body())}\n\ncProfile of {PROFILED} Dify.chat.send calls "
            f"over httpx.MockTransport, µs per call:\n\n{cprofile}"
        )
    return section


if __name__ == "__main__":
    result = run()
    for row in result.rows:
        print(f"{row.name:90} {row.ours:>8,.0f} {row.baseline:>8,.0f} {row.ratio:.3f}{TIMES}")
    print(result.profile)
