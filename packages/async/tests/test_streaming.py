"""Stream lifecycle and what observers hear of a stream."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from difykit_async import (
    AsyncDify,
    CallEnd,
    CallInfo,
    DifyStreamError,
    Observer,
    ResponseValidationError,
    StreamInterruptedError,
)
from difykit_core.models.events import MessageEvent, WorkflowFinishedEvent
from difykit_core.models.messages import ChatMessage
from difykit_core.models.workflow import WorkflowRun
from replay_support import load_recording, recorded_body

WORKFLOW_STREAM = b"event: ping\n\n" + b"".join(
    b"data: " + json.dumps(event).encode() + b"\n\n"
    for event in [
        {
            "event": "workflow_started",
            "task_id": "t1",
            "workflow_run_id": "r1",
            "data": {"id": "r1"},
        },
        {"event": "text_chunk", "task_id": "t1", "workflow_run_id": "r1", "data": {"text": "hé"}},
        {
            "event": "workflow_finished",
            "task_id": "t1",
            "workflow_run_id": "r1",
            "data": {"id": "r1", "status": "succeeded", "outputs": {"result": "hé"}},
        },
    ]
)


class Recorder(Observer):
    """An observer that writes down what it is told."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, Any]] = []
        self.calls: list[CallInfo] = []
        self.ends: list[CallEnd] = []

    def on_start(self, call: CallInfo) -> None:
        self.calls.append(call)
        self.log.append(("start", call.operation, call.user))

    def on_event(self, call: CallInfo, event: object, elapsed: float) -> None:
        assert elapsed >= 0
        self.log.append(("event", call.operation, getattr(event, "event", None)))

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        self.ends.append(end)
        self.log.append(("end", call.operation, type(end.result).__name__))

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        self.ends.append(end)
        self.log.append(("error", call.operation, type(error).__name__))

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        self.ends.append(end)
        self.log.append(("cancel", call.operation, reason))


class Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes, size: int) -> None:
        self.chunks = [body[i : i + size] for i in range(0, len(body), size)]
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def client_for(
    body: bytes, observers: list[Observer] | None = None, *, size: int = 11
) -> tuple[AsyncDify, list[Chunks]]:
    """A client whose every request gets ``body`` as an event stream in ``size``-byte chunks."""
    streams: list[Chunks] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stream = Chunks(body, size)
        streams.append(stream)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    dify = AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        observers=observers or [],
    )
    return dify, streams


@pytest.mark.anyio
async def test_stream_yields_typed_events_and_knows_its_ids() -> None:
    """Iterating the chatflow recording yields typed events; ids are readable once seen."""
    dify, _ = client_for(recorded_body(load_recording("06-chat-messages-streaming-continue")))
    async with dify.chat.stream(query="x", user="u") as stream:
        before = stream.task_id
        events = [event async for event in stream]
        assert before is None
        assert stream.task_id == "b16c4d90-917c-4bf3-8153-9d0696ef1fe0"
        assert stream.conversation_id == "d03f895f-69e4-4697-b7b6-75cd6def8025"
        assert stream.workflow_run_id == "626a1519-dad7-4a34-9ec5-01a6e4d58081"
    assert isinstance(events[2], MessageEvent) and events[2].answer == "Echo: "
    assert isinstance(events[-1], WorkflowFinishedEvent)


@pytest.mark.anyio
async def test_collect_equals_the_blocking_answer() -> None:
    """stream().collect() gives the same answer and ids as the blocking call would."""
    dify, _ = client_for(recorded_body(load_recording("06-chat-messages-streaming-continue")))
    message = await dify.chat.stream(query="x", user="u").collect()
    assert message.answer == "Echo: Second turn, streamed"
    assert message.conversation_id == "d03f895f-69e4-4697-b7b6-75cd6def8025"
    assert message.metadata.usage is not None and message.metadata.usage.currency == "USD"


@pytest.mark.anyio
async def test_a_multibyte_character_split_across_chunks_is_decoded_whole() -> None:
    """A workflow stream read 5 bytes at a time still collects "hé" (its bytes arrive apart)."""
    dify, _ = client_for(WORKFLOW_STREAM, size=5)
    run = await dify.workflows.stream(inputs={}, user="u").collect()
    assert run.outputs["result"] == "hé"


@pytest.mark.anyio
async def test_an_error_event_raises_with_dify_code_after_the_events_before_it() -> None:
    """Events before an error are delivered; the error event raises DifyStreamError."""
    body = sse(
        {"event": "message", "task_id": "t1", "answer": "Hel"},
        {"event": "error", "status": 400, "code": "completion_request_error", "message": "boom"},
        {"event": "message", "task_id": "t1", "answer": "never"},
    )
    dify, _ = client_for(body)
    seen: list[str] = []
    stream = dify.chat.stream(query="x", user="u")
    with pytest.raises(DifyStreamError) as info:
        async with stream:
            async for event in stream:
                seen.append(event.event)
    assert seen == ["message"]
    assert (info.value.code, info.value.status, info.value.task_id) == (
        "completion_request_error",
        400,
        "t1",
    )


@pytest.mark.anyio
async def test_an_error_event_without_a_code_raises_with_its_status() -> None:
    """An error event with no ``code`` still raises DifyStreamError, code None and its status."""
    dify, _ = client_for(sse({"event": "error", "status": 500, "message": "worker died"}))
    with pytest.raises(DifyStreamError) as info:
        await dify.chat.stream(query="q", user="u").collect()
    assert info.value.code is None and info.value.status == 500


@pytest.mark.anyio
async def test_a_body_that_ends_before_the_terminal_event_is_interrupted() -> None:
    """A stream that closes after a few deltas raises StreamInterruptedError, not a short answer."""
    dify, _ = client_for(sse({"event": "message", "task_id": "t1", "answer": "Hel"}))
    with pytest.raises(StreamInterruptedError, match="t1"):
        await dify.chat.stream(query="x", user="u").collect()


@pytest.mark.anyio
async def test_a_workflow_body_cut_before_workflow_finished_is_interrupted() -> None:
    """A workflow stream whose body ends before workflow_finished raises StreamInterruptedError."""
    cut = WORKFLOW_STREAM[: WORKFLOW_STREAM.index(b'data: {"event": "workflow_finished"')]
    dify, _ = client_for(cut)
    with pytest.raises(StreamInterruptedError):
        await dify.workflows.stream(inputs={}, user="u").collect()


@pytest.mark.anyio
async def test_nothing_after_the_terminal_event_is_read() -> None:
    """After message_end the stream stops reading, whatever the server sends next."""
    body = (
        sse(
            {"event": "message", "answer": "A"},
            {"event": "message_end", "metadata": {}},
        )
        + b"data: {not json\n\n"
    )
    dify, _ = client_for(body)
    names = [e.event async for e in dify.chat.stream(query="x", user="u")]
    assert names == ["message", "message_end"]


@pytest.mark.anyio
async def test_leaving_a_stream_early_closes_the_response_and_cancels_the_call() -> None:
    """Breaking out of a stream closes the connection; observers get on_cancel "closed"."""
    recorder = Recorder()
    dify, streams = client_for(
        recorded_body(load_recording("06-chat-messages-streaming-continue")), [recorder]
    )
    async with dify.chat.stream(query="x", user="u") as stream:
        async for _ in stream:
            break
    assert streams[0].closed
    assert recorder.log[0] == ("start", "chat.stream", "u")
    assert recorder.log[1] == ("event", "chat.stream", "workflow_started")
    assert recorder.log[-1] == ("cancel", "chat.stream", "closed")
    assert [entry[0] for entry in recorder.log].count("cancel") == 1
    (end,) = recorder.ends
    assert (end.attempts, end.status_code) == (1, 200)
    assert end.time_to_first_event is not None and 0 <= end.time_to_first_event <= end.elapsed


@pytest.mark.anyio
async def test_observers_see_every_event_then_the_collected_run_at_the_end() -> None:
    """A full stream reports start, each event, then on_end with the collected WorkflowRun."""
    recorder = Recorder()
    dify, _ = client_for(recorded_body(load_recording("79-workflows-run-streaming")), [recorder])
    async with dify.workflows.stream(inputs={}, user="u") as stream:
        names = [event.event async for event in stream]
    assert [entry[2] for entry in recorder.log[1:-1]] == names
    assert recorder.log[-1] == ("end", "workflows.stream", "WorkflowRun")
    (end,) = recorder.ends
    assert isinstance(end.result, WorkflowRun) and end.result.status == "succeeded"
    assert (end.attempts, end.status_code, end.events) == (1, 200, len(names))
    assert end.time_to_first_event is not None and 0 <= end.time_to_first_event <= end.elapsed


@pytest.mark.anyio
async def test_observers_hear_the_whole_call_and_share_the_collected_result() -> None:
    """Observers hear start (streaming), each event, and an end whose result collect() returns."""
    recorder = Recorder()
    dify, _ = client_for(WORKFLOW_STREAM, [recorder], size=5)
    run = await dify.workflows.stream(inputs={}, user="u").collect()
    assert recorder.log == [
        ("start", "workflows.stream", "u"),
        ("event", "workflows.stream", "workflow_started"),
        ("event", "workflows.stream", "text_chunk"),
        ("event", "workflows.stream", "workflow_finished"),
        ("end", "workflows.stream", "WorkflowRun"),
    ]
    assert recorder.calls[0].streaming
    assert recorder.ends[0].result is run


@pytest.mark.anyio
async def test_a_chat_stream_ends_with_the_collected_chat_message() -> None:
    """A chat stream read to its end gives observers the ChatMessage collect() would return."""
    recorder = Recorder()
    dify, _ = client_for(
        recorded_body(load_recording("06-chat-messages-streaming-continue")), [recorder]
    )
    async with dify.chat.stream(query="x", user="u") as stream:
        async for _ in stream:
            pass
    (end,) = recorder.ends
    assert isinstance(end.result, ChatMessage)
    assert end.result.answer == "Echo: Second turn, streamed"


@pytest.mark.anyio
async def test_a_stream_closed_before_it_is_read_sends_nothing() -> None:
    """A closed stream refuses to be read rather than silently sending the request."""
    dify, streams = client_for(sse({"event": "message_end"}))
    stream = dify.chat.stream(query="x", user="u")
    await stream.aclose()
    with pytest.raises(StreamInterruptedError):
        async for _ in stream:
            pass
    assert streams == []


@pytest.mark.anyio
async def test_a_stream_answered_with_an_html_page_says_what_came_back() -> None:
    """A wrong base URL answering 200 HTML: the error quotes status, type and first bytes."""
    page = b"<!doctype html><title>Welcome to nginx!</title>"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/html"}, content=page)

    dify = AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(ResponseValidationError) as caught:
        await dify.chat.stream(query="Hi", user="u").collect()
    message = str(caught.value)
    assert "answered HTTP 200 text/html instead of an event stream" in message
    assert "Welcome to nginx" in message


@pytest.mark.anyio
async def test_a_gzip_encoded_stream_is_decoded() -> None:
    """A proxy that compresses the event stream: the events still arrive typed and whole."""
    end: dict[str, object] = {"event": "message_end", "task_id": "t", "id": "m", "metadata": {}}
    body = gzip.compress(sse({"event": "message", "task_id": "t", "answer": "Hi"}, end))

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=Chunks(body, 7))

    dify = AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    assert (await dify.chat.stream(query="Hi", user="u").collect()).answer == "Hi"
