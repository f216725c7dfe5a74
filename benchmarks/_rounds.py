"""Interleaved rounds over many contenders (difykit, its baseline, the peers), failures kept.

Each round runs every contender once, back to back, the order rotating; a contender's value
per round is ``per_round / seconds`` (calls/s, events/s). A contender that raises in its
warm-up is dropped from the rounds and reported with the reason, so a peer that crashes on a
case gets a row saying so instead of stopping the bench.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from _common import Row, median
from _peers import Peer


@dataclass
class Contender:
    """One side of a comparison: what it runs per round and, for a peer, the peer."""

    name: str
    run: Callable[[], object] | None = None
    arun: Callable[[], Awaitable[object]] | None = None
    peer: Peer | None = None
    rates: list[float] = field(default_factory=list)
    error: str = ""

    def active(self) -> AbstractContextManager[None]:
        """The peer's modules in place (nothing for difykit and raw httpx)."""
        return self.peer.active() if self.peer else nullcontext()


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _orders(count: int, rounds: int) -> Iterator[list[int]]:
    for r in range(rounds):
        order = list(range(count))
        yield order[r % count :] + order[: r % count]


def measure(contenders: list[Contender], *, rounds: int, per_round: int) -> None:
    """Fill each contender's ``rates`` (``per_round`` per second), sync."""
    for c in contenders:
        if c.error:
            continue
        try:
            with c.active():
                assert c.run is not None
                c.run()
        except Exception as exc:  # a peer's crash becomes its row
            c.error = _why(exc)
    live = [c for c in contenders if not c.error]
    for order in _orders(len(live), rounds):
        for i in order:
            c = live[i]
            assert c.run is not None
            with c.active():
                start = time.perf_counter()
                c.run()
                c.rates.append(per_round / (time.perf_counter() - start))


async def ameasure(contenders: list[Contender], *, rounds: int, per_round: int) -> None:
    """The async twin of ``measure`` (contenders' ``arun``)."""
    for c in contenders:
        if c.error:
            continue
        try:
            with c.active():
                assert c.arun is not None
                await c.arun()
        except Exception as exc:  # a peer's crash becomes its row
            c.error = _why(exc)
    live = [c for c in contenders if not c.error]
    for order in _orders(len(live), rounds):
        for i in order:
            c = live[i]
            assert c.arun is not None
            with c.active():
                start = time.perf_counter()
                await c.arun()
                c.rates.append(per_round / (time.perf_counter() - start))


def rows(contenders: list[Contender], unit: str, *, higher_is_better: bool = True) -> list[Row]:
    """One row per contender against the first (the limit); failures say so."""
    limit = contenders[0]
    rows: list[Row] = []
    for c in contenders:
        if c.error or not c.rates:
            rows.append(
                Row(
                    name=f"{c.name}: **not measured** ({c.error or 'no result'})",
                    ours=0.0,
                    baseline=median(limit.rates) if limit.rates else 1.0,
                    unit=unit,
                )
            )
            continue
        pairs = zip(c.rates, limit.rates, strict=True)
        ratios = [o / b if higher_is_better else b / o for o, b in pairs]
        rows.append(
            Row(
                name=c.name,
                ours=median(c.rates),
                baseline=median(limit.rates),
                unit=unit,
                round_ratios=ratios,
            )
        )
    return rows
