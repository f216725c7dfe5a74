"""Stream lifecycle, observers and page walking of the sync client."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from difykit import CallInfo, Dify, DifyError, DifyStreamError, StreamInterruptedError
from difykit_core.models.events import MessageEvent, WorkflowFinishedEvent
from replay_support import load_recording, recorded_body


class Recorder:
    """An observer that writes down what it is told."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, Any]] = []

    def on_start(self, call: CallInfo) -> None:
        self.log.append(("start", call.operation, call.user))

    def on_event(self, call: CallInfo, event: object, elapsed: float) -> None:
        assert elapsed >= 0
        self.log.append(("event", call.operation, getattr(event, "event", None)))

    def on_end(self, call: CallInfo, result: object, elapsed: float) -> None:
        self.log.append(("end", call.operation, type(result).__name__))

    def on_error(self, call: CallInfo, error: DifyError, elapsed: float) -> None:
        self.log.append(("error", call.operation, type(error).__name__))


class Chunks(httpx.SyncByteStream):
    def __init__(self, body: bytes, size: int = 11) -> None:
        self.chunks = [body[i : i + size] for i in range(0, len(body), size)]
        self.closed = False

    def __iter__(self) -> Any:
        yield from self.chunks

    def close(self) -> None:
        self.closed = True


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def client_for(body: bytes, observers: list[Any] | None = None) -> tuple[Dify, list[Chunks]]:
    streams: list[Chunks] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stream = Chunks(body)
        streams.append(stream)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    dify = Dify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        observers=observers or [],
    )
    return dify, streams


def test_stream_yields_typed_events_and_knows_its_ids() -> None:
    """Iterating the chatflow recording yields typed events; ids are readable once seen."""
    dify, _ = client_for(recorded_body(load_recording("06-chat-messages-streaming-continue")))
    with dify.chat.stream(query="x", user="u") as stream:
        before = stream.task_id
        events = list(stream)
        assert before is None
        assert stream.task_id == "b16c4d90-917c-4bf3-8153-9d0696ef1fe0"
        assert stream.conversation_id == "d03f895f-69e4-4697-b7b6-75cd6def8025"
        assert stream.workflow_run_id == "626a1519-dad7-4a34-9ec5-01a6e4d58081"
    assert isinstance(events[2], MessageEvent) and events[2].answer == "Echo: "
    assert isinstance(events[-1], WorkflowFinishedEvent)


def test_collect_equals_the_blocking_answer() -> None:
    """stream().collect() gives the same answer and ids as the blocking call would."""
    dify, _ = client_for(recorded_body(load_recording("06-chat-messages-streaming-continue")))
    message = dify.chat.stream(query="x", user="u").collect()
    assert message.answer == "Echo: Second turn, streamed"
    assert message.conversation_id == "d03f895f-69e4-4697-b7b6-75cd6def8025"
    assert message.metadata.usage is not None and message.metadata.usage.currency == "USD"


def test_an_error_event_raises_with_dify_code_after_the_events_before_it() -> None:
    """Events before an error are delivered; the error event raises DifyStreamError."""
    body = sse(
        {"event": "message", "task_id": "t1", "answer": "Hel"},
        {"event": "error", "status": 400, "code": "completion_request_error", "message": "boom"},
        {"event": "message", "task_id": "t1", "answer": "never"},
    )
    dify, _ = client_for(body)
    seen: list[str] = []
    with pytest.raises(DifyStreamError) as info, dify.chat.stream(query="x", user="u") as stream:
        for event in stream:
            seen.append(event.event)
    assert seen == ["message"]
    assert (info.value.code, info.value.status, info.value.task_id) == (
        "completion_request_error",
        400,
        "t1",
    )


def test_a_body_that_ends_before_the_terminal_event_is_interrupted() -> None:
    """A stream that closes after a few deltas raises StreamInterruptedError, not a short answer."""
    dify, _ = client_for(sse({"event": "message", "task_id": "t1", "answer": "Hel"}))
    with pytest.raises(StreamInterruptedError, match="t1"):
        dify.chat.stream(query="x", user="u").collect()


def test_nothing_after_the_terminal_event_is_read() -> None:
    """After message_end the stream stops reading, whatever the server sends next."""
    body = (
        sse(
            {"event": "message", "answer": "A"},
            {"event": "message_end", "metadata": {}},
        )
        + b"data: {not json\n\n"
    )
    dify, _ = client_for(body)
    assert [e.event for e in dify.chat.stream(query="x", user="u")] == ["message", "message_end"]


def test_leaving_a_stream_early_closes_the_response_and_tells_observers() -> None:
    """Breaking out of a stream closes the connection; observers get on_end with no result."""
    recorder = Recorder()
    dify, streams = client_for(
        recorded_body(load_recording("06-chat-messages-streaming-continue")), [recorder]
    )
    with dify.chat.stream(query="x", user="u") as stream:
        for _ in stream:
            break
    assert streams[0].closed
    assert recorder.log[0] == ("start", "chat.stream", "u")
    assert recorder.log[1] == ("event", "chat.stream", "workflow_started")
    assert recorder.log[-1] == ("end", "chat.stream", "NoneType")


def test_observers_see_every_event_and_the_terminal_one_at_the_end() -> None:
    """A full stream reports start, each event, then end with the terminal event."""
    recorder = Recorder()
    dify, _ = client_for(recorded_body(load_recording("79-workflows-run-streaming")), [recorder])
    with dify.chat.stream(query="x", user="u") as stream:
        names = [event.event for event in stream]
    assert [entry[2] for entry in recorder.log[1:-1]] == names
    assert recorder.log[-1] == ("end", "chat.stream", "WorkflowFinishedEvent")


def test_a_stream_can_only_be_sent_once_after_close() -> None:
    """A closed stream refuses to be read rather than silently sending the request."""
    dify, streams = client_for(sse({"event": "message_end"}))
    stream = dify.chat.stream(query="x", user="u")
    stream.close()
    with pytest.raises(StreamInterruptedError):
        list(stream)
    assert streams == []


def test_iterating_a_page_walks_the_following_pages_lazily() -> None:
    """conversations.list fetches the next page only when iteration reaches it."""
    pages = [
        {"limit": 2, "has_more": True, "data": [{"id": "c1"}, {"id": "c2"}]},
        {"limit": 2, "has_more": False, "data": [{"id": "c3"}]},
    ]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[len(seen) - 1])

    dify = Dify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    page = dify.conversations.list(user="u", limit=2)
    assert [c.id for c in page.data] == ["c1", "c2"] and len(seen) == 1
    assert [c.id for c in page] == ["c1", "c2", "c3"]
    assert seen[1].url.params["last_id"] == "c2" and seen[1].url.params["limit"] == "2"
