"""Observers hear every call end exactly once, however it stops (the cancellation matrix)."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from difykit_async import (
    AsyncDify,
    CallEnd,
    CallInfo,
    DifyStreamError,
    StreamInterruptedError,
    call_context,
)
from difykit_async import _transport as transport_module
from difykit_core import Observer
from difykit_core.models.events import StreamEvent
from difykit_core.models.knowledge.pipeline import DatasourceEvent
from difykit_core.models.messages import ChatMessage
from interrupts import INTERRUPT, REASON, checkpoint

BASE_URL = "http://dify.test/v1"
SSE = {"content-type": "text/event-stream"}
ENVELOPE = {"task_id": "t-1", "conversation_id": "c-1", "message_id": "m-1", "created_at": 1}
ANSWER = {"event": "message", "id": "m-1", "answer": "Hi", "mode": "chat", "created_at": 1}


def frame(event: str, **fields: Any) -> bytes:
    """One SSE frame of a chat stream."""
    return f"data: {json.dumps({'event': event, **ENVELOPE, **fields})}\n\n".encode()


HELLO = [frame("message", answer="Hel"), frame("message", answer="lo"), frame("message_end")]


class Recorder(Observer):
    """Keeps every hook call."""

    def __init__(self, kinds: frozenset[str] | None = None) -> None:
        self.event_kinds = kinds
        self.calls: list[tuple[Any, ...]] = []

    def on_start(self, call: CallInfo) -> None:
        self.calls.append(("start", call.operation))

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None:
        self.calls.append(("event", event.event))

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        self.calls.append(("end", call.operation, end))

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        self.calls.append(("error", call.operation, error, end))

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        self.calls.append(("cancel", call.operation, reason, end))

    def ends(self) -> list[tuple[Any, ...]]:
        """The end hooks heard, in order."""
        return [c for c in self.calls if c[0] in ("end", "error", "cancel")]

    def summary(self) -> list[tuple[str, str]]:
        """(hook, operation) of every start and end."""
        return [(c[0], c[1]) for c in self.calls if c[0] != "event"]


class Body(httpx.AsyncByteStream):
    """A response body that yields chunks, raises what it is given, and records its close."""

    def __init__(self, *chunks: bytes | BaseException | type[BaseException]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if isinstance(chunk, bytes):
                yield chunk
            else:
                raise chunk

    async def aclose(self) -> None:
        self.closed = True


class Server:
    """A MockTransport handler that counts requests per path and answers from a table."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path.removeprefix("/v1"))
        return self.answer(request)


def client(server: Server, *observers: Observer, **options: Any) -> AsyncDify:
    """An AsyncDify speaking to ``server`` with ``observers``."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return AsyncDify(
        api_key="app-test", base_url=BASE_URL, http_client=http, observers=observers, **options
    )


def streaming(body: Body) -> Server:
    """A server whose every answer is a 200 event stream with ``body``."""
    return Server(lambda request: httpx.Response(200, headers=SSE, stream=body))


def interrupted(request: httpx.Request) -> httpx.Response:
    """An answer that never comes: the caller is interrupted while waiting for it."""
    raise INTERRUPT


# --- blocking calls ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_blocking_call_interrupted_before_its_answer_ends_as_cancelled() -> None:
    """Interrupted while waiting for the first byte: one on_cancel, the request sent once."""
    recorder, server = Recorder(), Server(interrupted)
    with pytest.raises(INTERRUPT):
        await client(server, recorder).chat.send(query="Hi", user="u")
    assert recorder.summary() == [("start", "chat.send"), ("cancel", "chat.send")]
    assert recorder.ends()[0][2] == REASON
    assert server.paths == ["/chat-messages"]


@pytest.mark.anyio
async def test_a_call_interrupted_during_a_retry_sleep_ends_as_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 503 schedules a retry; interrupted in that sleep, the call is cancelled, sent once."""

    async def interrupted_sleep(seconds: float) -> None:
        raise INTERRUPT

    monkeypatch.setattr(transport_module, "sleep", interrupted_sleep)
    recorder = Recorder()
    server = Server(lambda request: httpx.Response(503, json={"code": "unavailable"}))
    with pytest.raises(INTERRUPT):
        await client(server, recorder).app.info()
    [(_, _, reason, end)] = recorder.ends()
    assert (reason, end.attempts, end.status_code) == (REASON, 1, 503)
    assert server.paths == ["/info"]


@pytest.mark.anyio
async def test_a_call_interrupted_while_uploading_its_files_ends_both_calls(
    tmp_path: Path,
) -> None:
    """Interrupted during an upload: the upload and its message are each cancelled once."""
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    recorder, server = Recorder(), Server(interrupted)
    with pytest.raises(INTERRUPT):
        await client(server, recorder).chat.send(query="Hi", user="u", files=[image])
    assert recorder.summary() == [
        ("start", "chat.send"),
        ("start", "files.upload"),
        ("cancel", "files.upload"),
        ("cancel", "chat.send"),
    ]
    assert server.paths == ["/files/upload"]  # the message itself was never sent


@pytest.mark.anyio
async def test_a_transport_error_ends_the_call_as_an_error() -> None:
    """A lost answer to a chat message is raised (never resent) and told as on_error."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset by peer", request=request)

    recorder, server = Recorder(), Server(broken)
    with pytest.raises(Exception, match="connection failed"):
        await client(server, recorder).chat.send(query="Hi", user="u")
    assert recorder.summary() == [("start", "chat.send"), ("error", "chat.send")]
    assert server.paths == ["/chat-messages"]


@pytest.mark.anyio
async def test_a_blocking_success_ends_with_its_result_attempts_and_status() -> None:
    """on_end gets the very result the caller gets, with attempts and the HTTP status."""
    recorder = Recorder()
    server = Server(lambda request: httpx.Response(200, json=ANSWER))
    message = await client(server, recorder).chat.send(query="Hi", user="u")
    [(_, _, end)] = recorder.ends()
    assert end.result is message
    assert (end.attempts, end.status_code) == (1, 200)


# --- streams ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_stream_interrupted_before_its_first_byte_is_cancelled_and_released() -> None:
    """Interrupted while waiting for bytes: one on_cancel, the response closed."""
    body = Body(INTERRUPT)
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")
    with pytest.raises(INTERRUPT):
        async for _ in stream:
            pass
    [(_, _, reason, end)] = recorder.ends()
    assert (reason, end.events, end.result) == (REASON, 0, None)
    assert body.closed


@pytest.mark.anyio
async def test_a_stream_interrupted_mid_stream_is_cancelled_with_its_partial_answer() -> None:
    """Interrupted after some events: one on_cancel carrying the answer so far; released."""
    body = Body(HELLO[0], INTERRUPT)
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")
    seen: list[str] = []
    with pytest.raises(INTERRUPT):
        async with stream:
            async for event in stream:
                seen.append(event.event)
    assert seen == ["message"]
    [(_, _, reason, end)] = recorder.ends()
    assert reason == REASON
    assert isinstance(end.result, ChatMessage) and end.result.answer == "Hel"
    assert body.closed


@pytest.mark.anyio
async def test_a_stream_closed_early_is_cancelled_as_closed() -> None:
    """Breaking out and closing: on_cancel("closed"), the connection released, iteration over."""
    body = Body(*HELLO)
    recorder = Recorder()
    async with client(streaming(body), recorder).chat.stream(query="Hi", user="u") as stream:
        async for _ in stream:
            break
    [(_, _, reason, end)] = recorder.ends()
    assert (reason, end.events) == ("closed", 1)
    assert body.closed
    assert [e async for e in stream] == []


@pytest.mark.anyio
async def test_an_exception_in_the_callers_loop_cancels_the_stream_with_its_name() -> None:
    """The caller's own error inside ``with stream`` ends the call as cancelled (ValueError)."""
    body = Body(*HELLO)
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")
    with pytest.raises(ValueError, match="caller's bug"):
        async with stream:
            async for _ in stream:
                raise ValueError("caller's bug")
    assert [(c[0], c[2]) for c in recorder.ends()] == [("cancel", "ValueError")]
    assert body.closed


@pytest.mark.anyio
async def test_a_relay_generator_closed_early_cancels_with_generator_exit() -> None:
    """A generator relaying the stream (as a web framework does) closed early: GeneratorExit."""
    body = Body(*HELLO)
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")

    async def relay() -> AsyncGenerator[str, None]:
        async with stream:
            async for event in stream:
                yield event.event

    events = relay()
    assert await anext(events) == "message"
    await events.aclose()
    assert [(c[0], c[2]) for c in recorder.ends()] == [("cancel", "GeneratorExit")]
    assert body.closed


@pytest.mark.anyio
async def test_a_stream_dropped_unclosed_is_cancelled_as_dropped_and_released() -> None:
    """A stream read halfway and garbage-collected: on_cancel("dropped"), the body closed."""
    body = Body(*HELLO)
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")
    assert (await anext(stream)).event == "message"
    del stream
    gc.collect()
    await checkpoint()
    assert [(c[0], c[2]) for c in recorder.ends()] == [("cancel", "dropped")]
    assert body.closed


@pytest.mark.anyio
async def test_a_stream_never_opened_tells_observers_nothing() -> None:
    """A stream made and dropped without being read never started: no hooks at all."""
    recorder = Recorder()
    stream = client(streaming(Body(*HELLO)), recorder).chat.stream(query="Hi", user="u")
    await stream.aclose()
    del stream
    gc.collect()
    assert recorder.calls == []


@pytest.mark.anyio
async def test_a_silent_stream_times_out_as_an_error() -> None:
    """The idle timeout mid-stream is StreamInterruptedError, told once as on_error."""
    body = Body(HELLO[0], httpx.ReadTimeout("timed out"))
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")
    with pytest.raises(StreamInterruptedError, match=r"no data for 60 s \(task_id=t-1\)"):
        async for _ in stream:
            pass
    assert [c[0] for c in recorder.ends()] == ["error"]
    assert body.closed


@pytest.mark.anyio
async def test_a_broken_stream_is_an_error_and_not_resent() -> None:
    """A connection that breaks mid-stream raises StreamInterruptedError; one request only."""
    body = Body(HELLO[0], httpx.RemoteProtocolError("peer closed"))
    recorder, server = Recorder(), streaming(body)
    with pytest.raises(StreamInterruptedError, match="broke mid-stream: peer closed"):
        await client(server, recorder).chat.stream(query="Hi", user="u").collect()
    assert [c[0] for c in recorder.ends()] == ["error"]
    assert server.paths == ["/chat-messages"]


@pytest.mark.anyio
async def test_an_error_event_ends_the_stream_with_one_error() -> None:
    """An ``error`` event raises DifyStreamError after the events before it; one on_error."""
    body = Body(HELLO[0], b'data: {"event": "error", "code": "quota", "message": "no"}\n\n')
    recorder = Recorder()
    stream = client(streaming(body), recorder).chat.stream(query="Hi", user="u")
    seen: list[str] = []
    with pytest.raises(DifyStreamError, match="no"):
        async for event in stream:
            seen.append(event.event)
    assert seen == ["message"]
    assert [c[0] for c in recorder.ends()] == ["error"]


@pytest.mark.anyio
async def test_a_finished_stream_ends_with_the_collected_result_shared_with_collect() -> None:
    """on_end's result is the object collect() returns: aggregated once, for all events."""
    recorder = Recorder()
    stream = client(streaming(Body(*HELLO)), recorder).chat.stream(query="Hi", user="u")
    first = await anext(stream)
    assert first.event == "message"
    message = await stream.collect()
    assert message.answer == "Hello"  # the whole answer, the iterated event included
    [(_, _, end)] = recorder.ends()
    assert end.result is message
    assert (end.events, end.attempts, end.status_code) == (3, 1, 200)
    assert end.time_to_first_event is not None and end.time_to_first_event >= 0
    assert await stream.collect() is message  # collecting again: the same result


@pytest.mark.anyio
async def test_collecting_a_stream_closed_early_is_an_error_not_a_partial_answer() -> None:
    """collect() after the stream was closed before its end raises instead of a half answer."""
    stream = client(streaming(Body(*HELLO))).chat.stream(query="Hi", user="u")
    assert (await anext(stream)).event == "message"
    await stream.aclose()
    with pytest.raises(StreamInterruptedError, match="closed before its end"):
        await stream.collect()


# --- observer protocol v2 ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_observer_that_raises_never_changes_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A raising observer is logged once; results, events and other observers are unchanged."""

    class Broken(Observer):
        def on_start(self, call: CallInfo) -> None:
            raise RuntimeError("observer bug")

        def on_event(
            self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
        ) -> None:
            raise RuntimeError("observer bug")

        def on_end(self, call: CallInfo, end: CallEnd) -> None:
            raise RuntimeError("observer bug")

    recorder = Recorder()
    dify = client(streaming(Body(*HELLO)), Broken(), recorder)
    with caplog.at_level(logging.ERROR, logger="difykit"):
        message = await dify.chat.stream(query="Hi", user="u").collect()
    assert message.answer == "Hello"
    assert [c[0] for c in recorder.calls] == ["start", "event", "event", "event", "end"]
    assert len(caplog.records) == 3  # on_start, on_event (once, not per event), on_end


@pytest.mark.anyio
async def test_an_observer_subscribed_to_node_events_receives_no_message_event() -> None:
    """event_kinds={"node_finished"}: a chatflow's message chunks never reach the observer."""
    node = frame("node_finished", workflow_run_id="r", data={"id": "n-1", "node_id": "llm"})
    body = Body(HELLO[0], node, HELLO[1], HELLO[2])
    nodes, everything = Recorder(frozenset({"node_finished"})), Recorder()
    await client(streaming(body), nodes, everything).chat.stream(query="Hi", user="u").collect()
    assert [c[1] for c in nodes.calls if c[0] == "event"] == ["node_finished"]
    assert [c[1] for c in everything.calls if c[0] == "event"] == [
        "message",
        "node_finished",
        "message",
        "message_end",
    ]


@pytest.mark.anyio
async def test_a_stream_keeps_the_context_it_was_made_in() -> None:
    """call_context is captured when the stream is made, even if it is read outside the block."""
    seen: list[dict[str, object]] = []

    class Context(Observer):
        def on_start(self, call: CallInfo) -> None:
            seen.append(dict(call.context))

    dify = client(streaming(Body(*HELLO)), Context())
    with call_context(trace="t-42"):
        stream = dify.chat.stream(query="Hi", user="u")
    await stream.collect()
    assert seen == [{"trace": "t-42"}]


@pytest.mark.anyio
async def test_call_info_names_the_app_without_its_key() -> None:
    """CallInfo.app has the base URL and a fingerprint; the key itself appears nowhere."""
    infos: list[CallInfo] = []

    class Starts(Observer):
        def on_start(self, call: CallInfo) -> None:
            infos.append(call)

    server = Server(lambda request: httpx.Response(200, json=ANSWER))
    await client(server, Starts()).chat.send(query="Hi", user="u")
    [info] = infos
    assert info.app is not None
    assert (info.app.base_url, info.user) == (BASE_URL, "u")
    assert "app-test" not in repr(info.app)


def test_an_object_that_is_not_an_observer_is_refused_when_the_client_is_built() -> None:
    """A v1 observer (no on_cancel) is a TypeError naming the missing hook, before any call."""

    class V1:
        def on_start(self, call: CallInfo) -> None: ...

    with pytest.raises(TypeError, match="lacks on_event, on_end, on_error, on_cancel"):
        AsyncDify(api_key="app-test", base_url=BASE_URL, observers=[V1()])  # type: ignore[list-item]
