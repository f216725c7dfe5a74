"""EventReader: typed events from recorded Dify streams, id tracking, and the terminal rules."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from difykit_core import (
    DifyStreamError,
    EventReader,
    ResponseValidationError,
    StreamInterruptedError,
    StreamProtocol,
)
from difykit_core.models.events import (
    BaseEvent,
    MessageEndEvent,
    MessageEvent,
    UnknownEvent,
    WorkflowFinishedEvent,
)
from difykit_core.operations._generate import (
    chat_protocol,
    completion_protocol,
    workflow_protocol,
)

DATA = Path(__file__).parent / "data"
RECORDINGS: dict[str, Any] = json.loads((DATA / "recordings.json").read_text("utf-8"))
TRANSCRIPTS = {path.stem: path.read_bytes() for path in sorted(DATA.glob("*.sse"))}
COMPLETE = sorted(name for name, raw in TRANSCRIPTS.items() if b"data:" in raw)
PING_ONLY = sorted(name for name, raw in TRANSCRIPTS.items() if b"data:" not in raw)

TASK = "5b9c1f0e-0000-4000-8000-000000000001"
CONVERSATION = "5b9c1f0e-0000-4000-8000-000000000002"
MESSAGE = "5b9c1f0e-0000-4000-8000-000000000003"
RUN = "5b9c1f0e-0000-4000-8000-000000000004"


def protocol_for(name: str) -> StreamProtocol[Any, Any]:
    """The protocol a client uses for the route the recording called."""
    path: str = RECORDINGS[name]["path"]
    if path.endswith("/chat-messages"):
        return chat_protocol()
    assert path.endswith("/workflows/run"), path
    return workflow_protocol()


def payloads(raw: bytes) -> list[dict[str, Any]]:
    """The JSON objects of a recorded stream, read without the decoder under test."""
    return [json.loads(line[6:]) for line in raw.split(b"\n") if line.startswith(b"data: ")]


def frame(payload: dict[str, Any]) -> bytes:
    """One ``data:`` frame as Dify writes it."""
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def read(protocol: StreamProtocol[Any, Any], *chunks: bytes) -> tuple[EventReader[Any], list[Any]]:
    """Feed the chunks to a fresh reader; return it and the events it gave."""
    reader = protocol.reader()
    events = [event for chunk in chunks for event in reader.feed(chunk)]
    return reader, events


def is_done(reader: EventReader[Any]) -> bool:
    """``reader.done``, read through a call so type checkers do not keep an earlier narrowing."""
    return reader.done


def chat(event: str, **fields: Any) -> dict[str, Any]:
    """A chat-family event with the usual envelope."""
    return {
        "event": event,
        "task_id": TASK,
        "conversation_id": CONVERSATION,
        "message_id": MESSAGE,
        "created_at": 1795285524,
        **fields,
    }


def graph(event: str, **fields: Any) -> dict[str, Any]:
    """A workflow-family event with the usual envelope."""
    return {"event": event, "task_id": TASK, "workflow_run_id": RUN, **fields}


FINISHED = {"id": RUN, "status": "succeeded", "outputs": {"answer": "hi"}}
PAUSED = {"workflow_run_id": RUN, "status": "paused", "paused_nodes": ["review"]}


# --- recorded streams ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMPLETE)
def test_recorded_stream_gives_its_events_in_order(name: str) -> None:
    """Each recorded stream yields one typed event per data frame, in the recorded order."""
    raw = TRANSCRIPTS[name]
    reader, events = read(protocol_for(name), raw)
    assert [event.event for event in events] == [p["event"] for p in payloads(raw)]
    assert not any(isinstance(event, UnknownEvent) for event in events)
    assert reader.done
    reader.finish()


@pytest.mark.parametrize("name", COMPLETE)
def test_recorded_stream_keeps_every_field(name: str) -> None:
    """Typed events dump back to the recorded JSON, unknown fields included."""
    raw = TRANSCRIPTS[name]
    _, events = read(protocol_for(name), raw)
    for event, payload in zip(events, payloads(raw), strict=True):
        dumped = event.model_dump(mode="json", exclude_unset=True)
        assert json.loads(json.dumps(dumped)) == payload


@pytest.mark.parametrize("name", COMPLETE)
def test_recorded_stream_pings_are_dropped(name: str) -> None:
    """The leading ``event: ping`` of every recorded stream never reaches the caller."""
    raw = TRANSCRIPTS[name]
    assert raw.startswith(b"event: ping\n\n")
    _, events = read(protocol_for(name), raw)
    assert "ping" not in {event.event for event in events}


@pytest.mark.parametrize("name", COMPLETE)
def test_recorded_stream_ids_are_tracked(name: str) -> None:
    """The reader remembers the latest task_id and the first conversation, message and run ids."""
    raw = TRANSCRIPTS[name]
    frames = payloads(raw)
    reader, _ = read(protocol_for(name), raw)

    def first(key: str) -> str | None:
        return next((p[key] for p in frames if p.get(key) is not None), None)

    assert reader.task_id == [p["task_id"] for p in frames if p.get("task_id")][-1]
    assert reader.conversation_id == first("conversation_id")
    assert reader.message_id == first("message_id")
    assert reader.workflow_run_id == first("workflow_run_id")
    assert reader.workflow_run_id is not None
    if protocol_for(name).family == "chat":
        assert reader.conversation_id is not None
        assert reader.message_id is not None


def test_chatflow_recording_ends_at_workflow_finished_after_message_end() -> None:
    """In a chatflow stream message_end is not terminal: workflow_finished, which follows, is."""
    raw = TRANSCRIPTS["06-chat-messages-streaming-continue"]
    head, tail = raw.split(b'data: {"event":"workflow_finished"')
    reader, events = read(chat_protocol(), head)
    assert events[-1].event == "message_end"
    assert not reader.done
    assert [e.event for e in reader.feed(b'data: {"event":"workflow_finished"' + tail)] == [
        "workflow_finished"
    ]
    assert reader.done


@pytest.mark.parametrize("name", COMPLETE)
def test_bytes_after_the_terminal_event_are_ignored(name: str) -> None:
    """Frames arriving after the terminal event are not returned, in the same or a later chunk."""
    raw = TRANSCRIPTS[name]
    extra = frame(chat("message", answer="late")) + frame(graph("workflow_finished", data=FINISHED))
    reader, events = read(protocol_for(name), raw + extra)
    assert len(events) == len(payloads(raw))
    assert reader.feed(extra) == []
    reader.finish()


@pytest.mark.parametrize("name", PING_ONLY)
def test_stream_with_only_a_ping_is_interrupted(name: str) -> None:
    """A body that ends after the ping (Dify's lost worker errors, 54 and 90) raises on finish()."""
    reader, events = read(protocol_for(name), TRANSCRIPTS[name])
    assert events == []
    assert not reader.done
    with pytest.raises(StreamInterruptedError):
        reader.finish()


def test_truncated_recording_is_interrupted_and_names_the_task() -> None:
    """A stream cut before its terminal event raises StreamInterruptedError naming the task."""
    raw = TRANSCRIPTS["79-workflows-run-streaming"]
    reader, events = read(
        workflow_protocol(), raw[: raw.index(b'data: {"event":"workflow_finished"')]
    )
    assert events[-1].event == "node_finished"
    with pytest.raises(StreamInterruptedError, match="ec87f046-2120-4f8a-b7c0-f526a2917665"):
        reader.finish()


# --- terminal rules ------------------------------------------------------------------------------


def test_chat_stream_ends_at_message_end() -> None:
    """Without workflow_started, a chat stream ends at message_end and reads nothing after it."""
    reader, events = read(
        chat_protocol(),
        frame(chat("message", answer="Hi"))
        + frame(chat("message_end", id=MESSAGE))
        + frame(chat("message", answer="ignored")),
    )
    assert [type(e) for e in events] == [MessageEvent, MessageEndEvent]
    assert reader.done
    assert reader.feed(frame(chat("message", answer="still ignored"))) == []
    reader.finish()


def test_completion_stream_ends_at_message_end() -> None:
    """A completion stream ends at message_end."""
    reader, events = read(
        completion_protocol(),
        frame({"event": "message", "task_id": TASK, "message_id": MESSAGE, "answer": "x"})
        + frame({"event": "message_end", "task_id": TASK, "id": MESSAGE})
        + frame({"event": "message", "task_id": TASK, "answer": "late"}),
    )
    assert [e.event for e in events] == ["message", "message_end"]
    assert reader.done


@pytest.mark.parametrize(
    ("terminal", "data"),
    [("workflow_finished", FINISHED), ("workflow_paused", PAUSED)],
)
def test_chatflow_stream_ends_at_workflow_end(terminal: str, data: dict[str, Any]) -> None:
    """After workflow_started, a chat stream ends at workflow_finished or workflow_paused."""
    reader = chat_protocol().reader()
    reader.feed(frame(chat("workflow_started", workflow_run_id=RUN, data={"id": RUN})))
    reader.feed(frame(chat("message", answer="Hi")) + frame(chat("message_end", id=MESSAGE)))
    assert not is_done(reader)
    events = reader.feed(
        frame(chat(terminal, workflow_run_id=RUN, data=data)) + frame(chat("message", answer="x"))
    )
    assert [e.event for e in events] == [terminal]
    assert is_done(reader)
    reader.finish()


@pytest.mark.parametrize(
    ("terminal", "data"),
    [("workflow_finished", FINISHED), ("workflow_paused", PAUSED)],
)
def test_workflow_stream_ends_at_workflow_end(terminal: str, data: dict[str, Any]) -> None:
    """A workflow stream ends at workflow_finished or workflow_paused."""
    reader, events = read(
        workflow_protocol(),
        frame(graph("workflow_started", data={"id": RUN}))
        + frame(graph("text_chunk", data={"text": "a"}))
        + frame(graph(terminal, data=data))
        + frame(graph("text_chunk", data={"text": "late"})),
    )
    assert [e.event for e in events] == ["workflow_started", "text_chunk", terminal]
    assert reader.done


def test_workflow_stream_can_read_past_a_pause() -> None:
    """With stop_on_pause=False (resuming), workflow_paused is not terminal; finished still is."""
    reader, events = read(
        workflow_protocol(stop_on_pause=False),
        frame(graph("workflow_paused", data=PAUSED))
        + frame(graph("workflow_started", data={"id": RUN, "reason": "resumption"})),
    )
    assert [e.event for e in events] == ["workflow_paused", "workflow_started"]
    assert not reader.done
    assert [e.event for e in reader.feed(frame(graph("workflow_finished", data=FINISHED)))] == [
        "workflow_finished"
    ]
    assert reader.done


def test_ping_between_events_is_dropped() -> None:
    """A keep-alive ping in the middle of a stream produces no event."""
    _, events = read(
        chat_protocol(),
        frame(chat("message", answer="a"))
        + b"event: ping\n\n"
        + frame(chat("message", answer="b")),
    )
    assert [e.answer for e in events] == ["a", "b"]


def test_task_id_follows_a_resumed_run() -> None:
    """A resumed run's new task_id replaces the old one; the run id stays the first one seen."""
    reader, _ = read(
        workflow_protocol(stop_on_pause=False),
        frame(graph("workflow_started", data={"id": RUN}))
        + frame({**graph("workflow_started", data={"id": RUN}), "task_id": "t2"})
        + frame(
            {**graph("text_chunk", data={"text": "x"}), "task_id": None, "workflow_run_id": "x"}
        ),
    )
    assert reader.task_id == "t2"
    assert reader.workflow_run_id == RUN


# --- errors ------------------------------------------------------------------------------------


def test_error_event_ends_the_stream_and_finish_raises_it() -> None:
    """An ``error`` event is not returned: it ends the stream, and finish() raises its fields."""
    error = chat("error", status=400, code="provider_quota_exceeded", message="Quota exhausted.")
    del error["task_id"]
    reader, events = read(
        chat_protocol(),
        frame(chat("message", answer="Hi")) + frame(error) + frame(chat("message", answer="late")),
    )
    assert [e.answer for e in events] == ["Hi"]
    assert reader.done
    with pytest.raises(DifyStreamError) as caught:
        reader.finish()
    assert caught.value.code == "provider_quota_exceeded"
    assert caught.value.status == 400
    assert caught.value.message == "Quota exhausted."
    assert caught.value.task_id == TASK
    assert "provider_quota_exceeded" in str(caught.value)


def test_error_event_without_code_raises_with_code_none() -> None:
    """A crashed worker's error event has no code; finish() still raises with status and message."""
    reader, events = read(
        workflow_protocol(),
        frame(graph("workflow_started", data={"id": RUN}))
        + frame({"event": "error", "workflow_run_id": RUN, "message": "boom", "status": 500}),
    )
    assert [e.event for e in events] == ["workflow_started"]
    with pytest.raises(DifyStreamError) as caught:
        reader.finish()
    assert caught.value.code is None
    assert caught.value.status == 500
    assert caught.value.message == "boom"


def test_error_event_as_the_first_frame_raises_without_task_id() -> None:
    """An error before any other event raises with task_id None."""
    reader, events = read(chat_protocol(), b"event: ping\n\n" + frame({"event": "error"}))
    assert events == []
    with pytest.raises(DifyStreamError) as caught:
        reader.finish()
    assert caught.value.task_id is None
    assert caught.value.message


# --- unknown and malformed events --------------------------------------------------------------


@pytest.mark.parametrize(
    "protocol", [chat_protocol(), workflow_protocol()], ids=["chat", "workflow"]
)
def test_unknown_event_is_kept_with_all_its_fields(protocol: StreamProtocol[Any, Any]) -> None:
    """An event name this version does not know becomes an UnknownEvent keeping every field."""
    payload = {
        **graph("brand_new_event"),
        "payload": {"nested": [1, "two", None]},
        "note": "hello",
    }
    reader, events = read(protocol, frame(payload))
    [event] = events
    assert isinstance(event, UnknownEvent)
    assert event.event == "brand_new_event"
    assert event.task_id == TASK
    assert event.model_extra == {"payload": {"nested": [1, "two", None]}, "note": "hello"}
    assert not reader.done
    assert reader.task_id == TASK


def test_known_event_with_unexpected_field_type_is_kept_as_unknown() -> None:
    """A known event whose field changed type is kept raw as UnknownEvent instead of breaking."""
    reader, events = read(
        chat_protocol(),
        frame(chat("message", answer=["not", "a", "string"]))
        + frame(chat("message", answer="fine")),
    )
    assert [type(e) for e in events] == [UnknownEvent, MessageEvent]
    assert events[0].event == "message"
    assert events[0].model_extra["answer"] == ["not", "a", "string"]
    assert not reader.done


def test_malformed_terminal_event_still_ends_the_stream() -> None:
    """A workflow_finished whose data does not validate is kept raw and still ends the stream."""
    reader, events = read(
        workflow_protocol(),
        frame(graph("workflow_finished", data="not an object"))
        + frame(graph("text_chunk", data={"text": "late"})),
    )
    [event] = events
    assert isinstance(event, UnknownEvent)
    assert event.event == "workflow_finished"
    assert reader.done


def test_envelope_field_of_unexpected_type_raises_response_validation_error() -> None:
    """An envelope field no model can hold raises ResponseValidationError, not pydantic's error."""
    with pytest.raises(ResponseValidationError, match="created_at"):
        read(chat_protocol(), frame(chat("message", answer="x", created_at="yesterday")))


@pytest.mark.parametrize(
    "data", [b"not json", b"[1, 2]", b'"text"'], ids=["text", "array", "string"]
)
def test_frame_that_is_not_a_json_object_raises(data: bytes) -> None:
    """A data frame that is not a JSON object raises ResponseValidationError."""
    with pytest.raises(ResponseValidationError):
        read(chat_protocol(), b"data: " + data + b"\n\n")


# --- chunking ----------------------------------------------------------------------------------


def typed(name: str, chunks: list[bytes]) -> tuple[list[BaseEvent], tuple[object, ...]]:
    """The events and the reader's state after feeding the chunks."""
    reader, events = read(protocol_for(name), *chunks)
    state = (
        reader.done,
        reader.task_id,
        reader.conversation_id,
        reader.message_id,
        reader.workflow_run_id,
    )
    return events, state


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_chunking_of_a_transcript_gives_the_same_typed_events(data: st.DataObject) -> None:
    """However a recorded stream is cut into chunks, the reader gives the same events and ids."""
    name = data.draw(st.sampled_from(sorted(TRANSCRIPTS)), label="transcript")
    raw = TRANSCRIPTS[name]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=30), label="cuts"))
    bounds = [0, *cuts, len(raw)]
    chunks = [raw[a:b] for a, b in pairwise(bounds)]
    assert typed(name, chunks) == typed(name, [raw])


def test_workflow_finished_event_is_typed() -> None:
    """The terminal event of a recorded workflow carries its typed run data."""
    _, events = read(workflow_protocol(), TRANSCRIPTS["79-workflows-run-streaming"])
    last = events[-1]
    assert isinstance(last, WorkflowFinishedEvent)
    assert last.data.status == "succeeded"
    assert last.data.outputs == {"result": "streamed ✓ unicode", "count": 7}


def test_a_named_validator_is_built_once_and_unknown_names_use_the_union() -> None:
    """validator(name) caches per name; a name outside the union gets the union (UnknownEvent)."""
    protocol = chat_protocol()
    message = protocol.validator(b"message")
    assert protocol.validator(b"message") is message
    unknown = protocol.validator(b"brand_new_event")
    assert type(unknown(b'{"event": "brand_new_event", "x": 1}')).__name__ == "UnknownEvent"


def test_a_stream_of_known_events_never_builds_the_whole_union() -> None:
    """Named frames build only their own models; the union waits for a frame naming none."""
    from difykit_core._stream import _adapter  # pyright: ignore[reportPrivateUsage]
    from difykit_core.models.events import CompletionEvent

    _adapter.cache_clear()
    protocol = StreamProtocol("completion", CompletionEvent, chat_protocol().collector)
    reader = protocol.reader()
    reader.feed(frame(chat("message", answer="hi")))
    assert _adapter.cache_info().currsize == 0
    [event] = reader.feed(b'data: {"answer": "x", "event": "message"}\n\n')
    assert type(event).__name__ == "MessageEvent"
    assert _adapter.cache_info().currsize == 1
    assert protocol.adapter is _adapter(CompletionEvent)


def test_a_frame_whose_event_is_not_its_first_key_still_gets_its_model() -> None:
    """Frames from another server may order keys differently: the union still types them."""
    from difykit_core.operations.pipeline import datasource_protocol

    reader = datasource_protocol().reader()
    [event] = reader.feed(b'data: {"data": [], "event": "datasource_completed"}\n\n')
    assert type(event).__name__ == "DatasourceCompletedEvent"
    [chat_event] = chat_protocol().reader().feed(b'data: {"answer": "x", "event": "message"}\n\n')
    assert type(chat_event).__name__ == "MessageEvent"
