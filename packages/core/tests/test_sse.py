"""SSEDecoder: the WHATWG event-stream rules, chunk boundaries, and the recorded Dify streams."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from difykit_core import ServerSentEvent, SSEDecoder

DATA = Path(__file__).parent / "data"
TRANSCRIPTS = {path.stem: path.read_bytes() for path in sorted(DATA.glob("*.sse"))}
ENDINGS = (b"\n", b"\r\n", b"\r")


def decode(chunks: Iterable[bytes]) -> list[ServerSentEvent]:
    """Feed the chunks to one decoder and return every event it dispatched."""
    decoder = SSEDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def pieces(raw: bytes, size: int) -> list[bytes]:
    """``raw`` cut into chunks of ``size`` bytes."""
    return [raw[i : i + size] for i in range(0, len(raw), size)]


@st.composite
def chunkings(draw: st.DrawFn, raw: bytes) -> list[bytes]:
    """``raw`` cut at arbitrary points (repeated points give empty chunks)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=40)))
    bounds = [0, *cuts, len(raw)]
    return [raw[a:b] for a, b in pairwise(bounds)]


def test_transcripts_are_present() -> None:
    """Every recorded stream the suite relies on was copied into tests/data."""
    numbers = {int(name.split("-")[0]) for name in TRANSCRIPTS}
    assert numbers == {6, 54, 79, 90, 179, 182, 184, 186, 204, 206, 208, 210, 211, 225}


@pytest.mark.parametrize("ending", ENDINGS, ids=["lf", "crlf", "cr"])
def test_every_line_ending_decodes_the_same_event(ending: bytes) -> None:
    """LF, CRLF and a lone CR all end lines, so the same frame decodes identically."""
    raw = b"event: message" + ending + b"data: a" + ending + b"data: b" + ending + ending
    assert decode([raw]) == [ServerSentEvent(data=b"a\nb", event="message")]


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    """A CR at the end of a chunk and the LF starting the next make one line ending, not two."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r") == [ServerSentEvent(data=b"a\nb")]
    assert decoder.feed(b"\ndata: c\r\n\r\n") == [ServerSentEvent(data=b"c")]


def test_empty_chunk_inside_a_split_crlf_changes_nothing() -> None:
    """An empty chunk between the CR and the LF of one line ending does not turn it into two."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\ndata: b\n\n") == [ServerSentEvent(data=b"a\nb")]


def test_lone_cr_followed_by_another_line_is_a_line_ending() -> None:
    """A CR followed by anything but LF ends the line on its own."""
    assert decode([b"data: a\rdata: b\r\r"]) == [ServerSentEvent(data=b"a\nb")]


def test_multiline_data_is_joined_with_newlines() -> None:
    """Several ``data:`` lines of one frame become one payload joined with LF."""
    events = decode([b"data: one\ndata: two\ndata: three\n\n"])
    assert events == [ServerSentEvent(data=b"one\ntwo\nthree")]


def test_data_field_without_colon_adds_an_empty_line() -> None:
    """A bare ``data`` line contributes an empty line to the payload."""
    assert decode([b"data: a\ndata\ndata: b\n\n"]) == [ServerSentEvent(data=b"a\n\nb")]


def test_comments_are_ignored() -> None:
    """Lines starting with a colon are comments, inside frames and on their own."""
    raw = b": keep-alive\n\ndata: x\n:another comment\ndata: y\n\n"
    assert decode([raw]) == [ServerSentEvent(data=b"x\ny")]


def test_ping_frame_without_data_dispatches_nothing() -> None:
    """Dify's ``event: ping`` keep-alive has no data, so it dispatches no event."""
    assert decode([b"event: ping\n\n"]) == []


def test_ping_event_name_does_not_leak_into_the_next_frame() -> None:
    """The ``event:`` of a data-less frame is forgotten at its blank line."""
    events = decode([b"event: ping\n\ndata: {}\n\n"])
    assert events == [ServerSentEvent(data=b"{}", event=None)]


def test_data_without_a_space_after_the_colon() -> None:
    """``data:x`` is read like ``data: x``, and only one leading space is stripped."""
    assert decode([b"data:x\n\ndata:  two\n\n"]) == [
        ServerSentEvent(data=b"x"),
        ServerSentEvent(data=b" two"),
    ]


def test_id_persists_and_retry_belongs_to_its_frame() -> None:
    """The last ``id:`` carries over to later events, while ``retry:`` is reported once."""
    raw = b"id: 7\nretry: 1500\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n"
    assert decode([raw]) == [
        ServerSentEvent(data=b"a", id="7", retry=1500),
        ServerSentEvent(data=b"b", id="7"),
        ServerSentEvent(data=b"c", id="8"),
    ]


def test_invalid_id_and_retry_values_are_ignored() -> None:
    """An id holding NUL and a non-numeric retry are dropped, as the SSE rules say."""
    raw = b"id: ok\n\nid: bad\0id\nretry: soon\ndata: a\n\n"
    assert decode([raw]) == [ServerSentEvent(data=b"a", id="ok")]


def test_unknown_fields_are_ignored() -> None:
    """A field name the SSE rules do not define neither breaks nor alters the frame."""
    assert decode([b"foo: bar\ndata: a\nbaz\n\n"]) == [ServerSentEvent(data=b"a")]


def test_event_without_its_final_blank_line_is_not_dispatched() -> None:
    """A frame whose blank line has not arrived stays pending, and a body ending there loses it."""
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"data: b") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data=b"a\nb")]
    assert decode([b'data: {"event": "message_end"}\n']) == []


@pytest.mark.parametrize("text", ["✓", "é", "漢", "😀"])
def test_chunk_boundary_inside_a_multibyte_character(text: str) -> None:
    """Cutting a chunk inside a UTF-8 character still yields the character's exact bytes."""
    payload = f'{{"answer": "a{text}b"}}'.encode()
    raw = b"data: " + payload + b"\n\n"
    start = raw.index(text.encode())
    for cut in range(start + 1, start + len(text.encode())):
        events = decode([raw[:cut], raw[cut:]])
        assert events == [ServerSentEvent(data=payload)]
        assert json.loads(events[0].data)["answer"] == f"a{text}b"


@pytest.mark.parametrize("name", sorted(TRANSCRIPTS))
def test_transcript_decodes_to_its_data_lines(name: str) -> None:
    """Each recorded stream decodes to exactly its ``data:`` payloads, pings dispatching nothing."""
    raw = TRANSCRIPTS[name]
    expected = [
        line.removeprefix(b"data: ") for line in raw.split(b"\n") if line.startswith(b"data: ")
    ]
    events = decode([raw])
    assert [event.data for event in events] == expected
    assert all(event.event is None for event in events)


@pytest.mark.parametrize("size", [1, 7])
@pytest.mark.parametrize("name", sorted(TRANSCRIPTS))
def test_small_chunks_of_a_transcript_decode_like_one_chunk(name: str, size: int) -> None:
    """Feeding a recorded stream 1 or 7 bytes at a time gives the same events as all at once."""
    raw = TRANSCRIPTS[name]
    assert decode(pieces(raw, size)) == decode([raw])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_chunking_of_a_transcript_decodes_like_one_chunk(data: st.DataObject) -> None:
    """However a recorded stream is cut into chunks, the decoded events are the same."""
    raw = TRANSCRIPTS[data.draw(st.sampled_from(sorted(TRANSCRIPTS)), label="transcript")]
    chunks = data.draw(chunkings(raw), label="chunks")
    assert decode(chunks) == decode([raw])


# --- generated streams ------------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=8)
_ID = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\0"), max_size=6)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """A stream mixing LF/CRLF/CR endings, comments, pings and unicode data, and its events."""
    lines: list[bytes] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["data", "ping", "comment"]))
        if kind == "comment":
            lines.append(b":" + draw(_TEXT).encode())
        elif kind == "ping":
            lines += [b"event: ping", b""]
        else:
            frame: list[bytes] = []
            name = draw(st.none() | st.sampled_from(["message", "workflow_finished"]))
            if name is not None:
                frame.append(b"event: " + name.encode())
            new_id = draw(st.none() | _ID)
            if new_id is not None:
                frame.append(b"id: " + new_id.encode())
                last_id = new_id
            values: list[str] = []
            for value in draw(st.lists(_TEXT, min_size=1, max_size=3)):
                if draw(st.booleans()):
                    frame.append(b"data: " + value.encode())
                    values.append(value)
                else:
                    frame.append(b"data:" + value.encode())
                    values.append(value.removeprefix(" "))
            if draw(st.booleans()):
                frame.insert(draw(st.integers(0, len(frame))), b": " + draw(_TEXT).encode())
            lines += [*frame, b""]
            expected.append(
                ServerSentEvent(data="\n".join(values).encode(), event=name, id=last_id)
            )
    out = bytearray()
    previous = b""
    for line in lines:
        # CR then an empty line ended by LF would read as one CRLF: keep the stream unambiguous.
        choices = ENDINGS[1:] if previous == b"\r" and not line else ENDINGS
        previous = draw(st.sampled_from(choices))
        out += line + previous
    return bytes(out), expected


@settings(max_examples=100, deadline=None)
@given(streams())
def test_generated_stream_decodes_to_its_events(
    stream: tuple[bytes, list[ServerSentEvent]],
) -> None:
    """A generated stream, fed whole, decodes to exactly the events it was built from."""
    raw, expected = stream
    assert decode([raw]) == expected


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_chunking_of_a_generated_stream_decodes_like_one_chunk(data: st.DataObject) -> None:
    """However a generated stream (mixed line endings, comments, pings) is cut, events match."""
    raw, _ = data.draw(streams(), label="stream")
    chunks = data.draw(chunkings(raw), label="chunks")
    assert decode(chunks) == decode([raw])


def test_a_cr_at_a_chunk_end_followed_by_other_text_ends_the_line() -> None:
    """A chunk ending in CR whose next chunk does not start with LF: the CR alone ended it."""
    decoder = SSEDecoder()
    assert decoder.frames(b"data: a\r") == []
    assert decoder.frames(b"\rdata: b\n\n") == [(b"a", None, None, None), (b"b", None, None, None)]
