"""Benchmark 2: blocking calls/s, difykit vs raw httpx + json.loads, on one loopback server.

Both sides send the same ``POST /v1/chat-messages`` (same JSON body, same Authorization
header) over a default ``httpx.Client`` / ``httpx.AsyncClient`` (same connection pooling,
keep-alive), sequentially, and read the recorded blocking answer (recording 05): difykit into a
typed ``ChatMessage``, the baseline with ``json.loads``. Rounds alternate which side goes first.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

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
from difykit import Dify
from difykit_async import AsyncDify
from difykit_core import HttpResponse
from difykit_core.operations import chat

CALLS = 100
"""Calls per round: short rounds, so both sides of a pair see the same background load."""
ROUNDS = 41
ASYNC_ROUNDS = 21
WARMUP = 200
PROFILED = 1000
TARGET = 0.97
BODY = {"query": QUERY, "user": USER, "inputs": {}, "response_mode": "blocking"}
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def _rounds(ours: Callable[[], None], base: Callable[[], None]) -> tuple[list[float], list[float]]:
    """calls/s of each side per round, alternating which goes first."""
    ours_rates: list[float] = []
    base_rates: list[float] = []
    for r in range(ROUNDS):
        pair = [(ours, ours_rates), (base, base_rates)]
        for func, rates in pair if r % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            func()
            rates.append(CALLS / (time.perf_counter() - start))
    return ours_rates, base_rates


async def _arounds(
    ours: Callable[[], Awaitable[None]], base: Callable[[], Awaitable[None]]
) -> tuple[list[float], list[float]]:
    ours_rates: list[float] = []
    base_rates: list[float] = []
    for r in range(ASYNC_ROUNDS):
        pair = [(ours, ours_rates), (base, base_rates)]
        for func, rates in pair if r % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            await func()
            rates.append(CALLS / (time.perf_counter() - start))
    return ours_rates, base_rates


def _row(name: str, ours: list[float], base: list[float]) -> Row:
    row = Row(
        name=name,
        ours=median(ours),
        baseline=median(base),
        unit="calls/s",
        target=f"≥ {TARGET:.2f}{TIMES}",
        round_ratios=[o / b for o, b in zip(ours, base, strict=True)],
    )
    row.met = row.ratio >= TARGET
    return row


def _sync(port: int) -> Row:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    with Dify(api_key=API_KEY, base_url=base_url) as dify, httpx.Client() as client:
        send = dify.chat.send
        post, loads = client.post, json.loads

        def ours(n: int = CALLS) -> None:
            for _ in range(n):
                send(query=QUERY, user=USER)

        def base(n: int = CALLS) -> None:
            for _ in range(n):
                response = post(url, json=BODY, headers=HEADERS)
                if response.status_code >= 400:
                    raise RuntimeError(response.status_code)
                loads(response.content)

        assert dify.chat.send(query=QUERY, user=USER).answer == "Echo: Hello Dify"
        ours(WARMUP)
        base(WARMUP)
        ours_rates, base_rates = _rounds(ours, base)
    return _row("sync: Dify.chat.send vs httpx.Client.post + json.loads", ours_rates, base_rates)


async def _async(port: int) -> Row:
    base_url = f"http://127.0.0.1:{port}/v1"
    url = base_url + "/chat-messages"
    async with AsyncDify(api_key=API_KEY, base_url=base_url) as dify, httpx.AsyncClient() as client:
        send = dify.chat.send
        post, loads = client.post, json.loads

        async def ours(n: int = CALLS) -> None:
            for _ in range(n):
                await send(query=QUERY, user=USER)

        async def base(n: int = CALLS) -> None:
            for _ in range(n):
                response = await post(url, json=BODY, headers=HEADERS)
                if response.status_code >= 400:
                    raise RuntimeError(response.status_code)
                loads(response.content)

        await ours(WARMUP)
        await base(WARMUP)
        ours_rates, base_rates = await _arounds(ours, base)
    return _row(
        "async: AsyncDify.chat.send vs httpx.AsyncClient.post + json.loads", ours_rates, base_rates
    )


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
    ours_rates, base_rates = _rounds(ours, base)
    row = _row(
        "in-process (httpx.MockTransport): Dify vs httpx + json.loads", ours_rates, base_rates
    )
    row.target, row.met = "", None

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
    """Measure sync and async on one loopback server; profile the sync side if it misses."""
    from _server import blocking_body

    with loopback_server() as port:
        sync_row = _sync(port)
        async_row = asyncio.run(_async(port))
        mock_row, profiled = in_process(blocking_body())
        rows = [sync_row, async_row, mock_row]
        section = Section(
            title="2. Blocking calls/s vs raw httpx",
            what="Sequential chat.send calls on a loopback server vs raw httpx post + json.loads.",
            ours_label="difykit",
            baseline_label="raw httpx",
            rows=rows,
            notes=[
                f"Loopback asyncio server in a subprocess answering recording 05 "
                f"({len(blocking_body())} B JSON); {CALLS} sequential calls per round, "
                f"{ROUNDS} rounds (async {ASYNC_ROUNDS}) alternating which side goes first, "
                f"{WARMUP} warm-up calls each; medians; keep-alive on one pooled connection "
                "for both.",
                *sans_io_breakdown(blocking_body()),
            ],
        )
        for row in rows:
            gap = (1 / row.ours - 1 / row.baseline) * 1e6
            section.notes.append(
                f"{row.name.split(':')[0]}: {1e6 / row.baseline:.0f} µs per raw call; difykit "
                f"adds {gap:.0f} µs."
            )
        section.notes.append(
            "The in-process row sends the same calls through `httpx.MockTransport` (no "
            "sockets, no server): what difykit itself costs on the caller's CPU."
        )
        if sync_row.met is False or async_row.met is False:
            cprofile = profile(profiled, per=PROFILED, unit="call", focus="difykit", limit=10)
            section.profile = (
                f"{decompose(blocking_body())}\n\ncProfile of {PROFILED} Dify.chat.send calls "
                f"over httpx.MockTransport, µs per call:\n\n{cprofile}"
            )
    return section


if __name__ == "__main__":
    result = run()
    for row in result.rows:
        print(
            f"{row.name:70} {row.ours:>8,.0f} {row.baseline:>8,.0f} "
            f"{row.ratio:.3f}{TIMES} {row.spread}"
        )
    print("\n".join(result.notes))
    print(result.profile)
