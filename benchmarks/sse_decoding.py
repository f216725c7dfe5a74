"""Benchmark 1: SSE decoding into typed events vs bare parsing of the same bytes.

The stream follows recording 06 (a chatflow answering): ping, ``workflow_started``, node
events around each LLM node, many ``message`` deltas (ASCII and multi-byte text), then
``message_end`` and ``workflow_finished``, about 2,000 events. It is fed whole in 64 KiB chunks
and in small 256-byte chunks (frames cut anywhere).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from _common import ROOT, TIMES, Row, Section, median, profile
from difykit_core import SSEDecoder
from difykit_core.operations._generate import chat_protocol

RECORDING = ROOT / "packages/core/tests/data/06-chat-messages-streaming-continue.sse"
LLM_NODES = 8
DELTAS_PER_NODE = 245
PING_EVERY = 500
ROUNDS = 21
TARGET = 0.6
TOKENS = [
    "The",
    " answer",
    " is",
    " forty",
    "-two",
    ",",
    " café",
    " naïve",
    " —",
    " 你好",
    "世界",
    " 🙂",
    "\n\n",
    " `code`",
    ' "quoted"',
    " 42.",
]


def _templates() -> dict[str, dict[str, object]]:
    """The first frame of each event in the recording, as JSON objects."""
    out: dict[str, dict[str, object]] = {}
    for frame in RECORDING.read_bytes().split(b"\n\n"):
        if frame.startswith(b"data: "):
            data = json.loads(frame[6:])
            out.setdefault(data["event"], data)
    return out


def build_stream() -> tuple[bytes, int]:
    """A realistic chatflow stream; returns the body and its number of data events."""
    t = _templates()

    def frame(obj: dict[str, object]) -> bytes:
        payload = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        return b"data: " + payload.encode() + b"\n\n"

    def node(name: str, node_id: str, title: str) -> dict[str, object]:
        template = t[name]
        data = dict(template["data"])  # type: ignore[call-overload]
        data.update(node_id=node_id, node_type="llm", title=title)
        return {**template, "data": data}

    ping = b"event: ping\n\n"
    frames = [ping, frame(t["workflow_started"])]
    frames += [frame(t["node_started"]), frame(t["node_finished"])]
    token = 0
    for n in range(LLM_NODES):
        frames.append(frame(node("node_started", f"llm{n}", f"LLM {n}")))
        for _ in range(DELTAS_PER_NODE):
            frames.append(frame({**t["message"], "answer": TOKENS[token % len(TOKENS)]}))
            token += 1
            if token % PING_EVERY == 0:
                frames.append(ping)
        frames.append(frame(node("node_finished", f"llm{n}", f"LLM {n}")))
    frames += [frame(t["message_end"]), frame(t["workflow_finished"])]
    body = b"".join(frames)
    return body, body.count(b"data: ")


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


Contender = Callable[[list[bytes]], int]


def _rates(contenders: list[Contender], chunks: list[bytes], events: int) -> list[list[float]]:
    """Events/s of each contender per round; the order rotates every round."""
    rates: list[list[float]] = [[] for _ in contenders]
    for c in contenders:  # warm-up (and a check that every contender sees every event)
        produced = c(chunks)
        assert produced == events, (c.__name__, produced, events)
    for r in range(ROUNDS):
        order = list(range(len(contenders)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            start = time.perf_counter()
            contenders[i](chunks)
            rates[i].append(events / (time.perf_counter() - start))
    return rates


def run() -> Section:
    """Measure, and profile the typed path if it misses its target."""
    body, events = build_stream()
    rows: list[Row] = []
    notes = [
        f"Stream: {events:,} data events ({body.count(b'event: ping')} pings) in "
        f"{len(body) / 1024:.0f} KiB, shaped after recording 06; {ROUNDS} rounds, order rotated "
        "each round, medians. Ratio = ours / bare parsing; spread = inter-quartile range of "
        "the per-round ratios.",
        f"'typed' must be ≥ 0.6{TIMES} bare; 'untyped' (SSEDecoder + json.loads) is for "
        f"comparison with untyped peers (0.80{TIMES}), 'SSEDecoder alone' shows the cost of "
        "framing.",
    ]
    missed_chunks: list[bytes] | None = None
    for label, size in (("64 KiB chunks", 64 * 1024), ("256 B chunks", 256)):
        chunks = chunks_of(body, size)
        base, ours_typed, ours_untyped, ours_framing = _rates(
            [bare, typed, untyped, framing], chunks, events
        )
        for name, ours, target in (
            (f"typed events, {label}", ours_typed, TARGET),
            (f"untyped (SSEDecoder + json.loads), {label}", ours_untyped, None),
            (f"SSEDecoder alone (no JSON), {label}", ours_framing, None),
        ):
            row = Row(
                name=name,
                ours=median(ours),
                baseline=median(base),
                unit="events/s",
                round_ratios=[o / b for o, b in zip(ours, base, strict=True)],
            )
            if target is not None:
                row.target = f"≥ {target:.2f}{TIMES}"
                row.met = row.ratio >= target
                if not row.met and missed_chunks is None:
                    missed_chunks = chunks
            rows.append(row)
    section = Section(
        title="1. Typed stream events/s vs bare parsing",
        what="Decoding an in-memory chat stream: EventReader.feed vs split frames + json.loads.",
        ours_label="difykit",
        baseline_label="bare",
        rows=rows,
        notes=notes,
    )
    if missed_chunks is not None:
        chunks = missed_chunks

        def many() -> None:
            for _ in range(5):
                typed(chunks)

        section.profile = profile(many, per=5 * events, unit="event", focus="difykit_core")
    return section


if __name__ == "__main__":
    for row in run().rows:
        print(f"{row.name:50} {row.ours:>12,.0f} {row.baseline:>12,.0f} {row.ratio:.2f}{TIMES}")
