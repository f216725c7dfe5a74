"""The life of a call without I/O: decisions, one error mapping, and exactly one end."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import count
from pathlib import Path
from typing import Any

import pytest

import difykit_core._call
from difykit_core import (
    APIConnectionError,
    APITimeoutError,
    DifyStreamError,
    HttpResponse,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    StreamInterruptedError,
    UploadedFile,
    call_context,
)
from difykit_core.errors import error_from_response
from difykit_core.models.events import MessageEvent, NodeFinishedEvent, StreamEvent
from difykit_core.models.knowledge.pipeline import DatasourceEvent
from difykit_core.models.messages import ChatMessage
from difykit_core.models.workflow import WorkflowRun
from difykit_core.operations import app, chat, files, workflows
from difykit_core.transport import (
    CallEnd,
    CallInfo,
    ClientConfig,
    Exchange,
    Observer,
    Raise,
    Result,
    RetryAfter,
    StreamExchange,
    TransportFailure,
    client_config,
)

DATA = Path(__file__).parent / "data"
INFO: dict[str, object] = {
    "name": "Echo",
    "description": "",
    "tags": [],
    "mode": "chat",
    "author_name": "x",
}
CONNECT = TransportFailure(sent=False, timeout=False, kind="ConnectError", message="refused")
READ = TransportFailure(sent=True, timeout=False, kind="ReadError", message="reset by peer")
OPEN = HttpResponse(200, {"content-type": "text/event-stream; charset=utf-8"}, b"")
READ_TIMEOUT = TransportFailure(sent=True, timeout=True, kind="ReadTimeout", message="timed out")


class Recorder(Observer):
    """Keeps every hook call as a tuple."""

    def __init__(self, kinds: frozenset[str] | None = None) -> None:
        self.event_kinds = kinds
        self.calls: list[tuple[Any, ...]] = []

    def on_start(self, call: CallInfo) -> None:
        self.calls.append(("start", call))

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None:
        self.calls.append(("event", event.event, elapsed))

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        self.calls.append(("end", end))

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        self.calls.append(("error", error, end))

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        self.calls.append(("cancel", reason, end))

    def ends(self) -> list[tuple[Any, ...]]:
        """The end hooks called (there must be exactly one per started call)."""
        return [c for c in self.calls if c[0] in ("end", "error", "cancel")]


def config(*observers: Observer, max_retries: int = 2) -> ClientConfig:
    """A client config whose clock ticks one second per reading."""
    ticks = count()
    return client_config(
        api_key="app-secret",
        base_url="http://dify.test/v1",
        timeout=None,
        stream_idle_timeout=60,
        max_retries=max_retries,
        observers=list(observers),
        clock=lambda: float(next(ticks)),
        wall_clock=lambda: 1_800_000_000.0,
        jitter=lambda: 0.5,
    )


def answer(status: int, body: Any = None, **headers: str) -> HttpResponse:
    """An HTTP answer with a JSON body."""
    content = b"" if body is None else json.dumps(body).encode()
    return HttpResponse(status, {"content-type": "application/json", **headers}, content)


def sse(*payloads: dict[str, Any]) -> bytes:
    """SSE frames for ``payloads``."""
    return b"".join(f"data: {json.dumps(p)}\n\n".encode() for p in payloads)


def chat_event(event: str, **fields: Any) -> dict[str, Any]:
    """A chat-family event with its envelope."""
    return {"event": event, "task_id": "t-1", "conversation_id": "c-1", "message_id": "m-1"} | {
        "created_at": 1795285524,
        **fields,
    }


def message_end() -> dict[str, Any]:
    """A chat stream's terminal event."""
    return chat_event("message_end", id="m-1", metadata={"usage": {"total_tokens": 3}})


# --- blocking calls ---------------------------------------------------------------------------


def test_a_success_is_a_result_and_ends_once_with_attempts_and_status() -> None:
    """A 200 answer gives a Result; observers get start then one end with the same result."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    decision = exchange.receive(answer(200, INFO))
    assert isinstance(decision, Result)
    assert decision.value.name == "Echo"
    assert [c[0] for c in recorder.calls] == ["start", "end"]
    end = recorder.calls[1][1]
    assert end.result is decision.value
    assert (end.attempts, end.status_code, end.time_to_first_event) == (1, 200, None)
    assert end.elapsed == 1.0  # one clock tick between start and end
    assert exchange.ended


def test_call_info_has_the_app_identity_and_no_secret() -> None:
    """CallInfo names the base URL and a key fingerprint that does not contain the key."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    info: CallInfo = recorder.calls[0][1]
    assert info.operation == "app.info"
    assert info.started_at == 1_800_000_000.0
    assert info.app is not None
    assert info.app.base_url == "http://dify.test/v1"
    assert info.app.key_fingerprint.startswith("app-…")
    assert "secret" not in info.app.key_fingerprint


def test_the_context_is_captured_when_the_call_is_made_not_when_it_starts() -> None:
    """A call made inside ``call_context`` keeps that context even if started outside it."""
    recorder = Recorder()
    with call_context(tenant="acme", trace="t-1"), call_context(trace="t-2"):
        exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    assert dict(recorder.calls[0][1].context) == {"tenant": "acme", "trace": "t-2"}


def test_an_error_answer_is_mapped_once_and_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 404 is mapped by error_from_response exactly once; observers get one on_error."""
    mapped: list[int] = []

    def counting(status: int, *args: Any, **kwargs: Any) -> Exception:
        mapped.append(status)
        return error_from_response(status, *args, **kwargs)

    monkeypatch.setattr(difykit_core._call, "error_from_response", counting)
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    decision = exchange.receive(answer(404, {"code": "not_found", "message": "gone"}))
    assert isinstance(decision, Raise)
    assert isinstance(decision.error, NotFoundError)
    assert mapped == [404]
    [(kind, error, end)] = recorder.ends()
    assert (kind, error, end.status_code) == ("error", decision.error, 404)


def test_a_rate_limit_is_retried_after_its_retry_after_then_succeeds() -> None:
    """429 with Retry-After: 3 gives RetryAfter(3); the next answer ends the call (2 attempts)."""
    recorder = Recorder()
    exchange = Exchange(chat.send_message(query="Hi", user="u"), config(recorder))
    exchange.start()
    first = exchange.receive(answer(429, {"code": "too_many_requests"}, **{"retry-after": "3"}))
    assert first == RetryAfter(3.0)
    assert recorder.ends() == []
    body = {"event": "message", "id": "m", "answer": "Hi", "mode": "chat", "created_at": 1}
    assert isinstance(exchange.receive(answer(200, body)), Result)
    [(_, end)] = recorder.ends()
    assert (end.attempts, end.status_code) == (2, 200)


def test_the_concurrency_limit_sent_as_400_is_retried() -> None:
    """Dify's "Too many requests" 400 counts as a rate limit for the retry decision."""
    exchange = Exchange(chat.send_message(query="Hi", user="u"), config())
    exchange.start()
    limit = answer(400, {"code": "too_many_requests", "message": "Too many requests"})
    decision = exchange.receive(limit)
    assert isinstance(decision, RetryAfter)
    assert decision.seconds == pytest.approx(0.375)  # 0.5 s back-off, half of it jittered


def test_retries_end_with_the_last_error_when_exhausted() -> None:
    """After max_retries, a retryable answer is raised as its mapped error."""
    exchange = Exchange(app.get_info(), config(max_retries=1))
    assert isinstance(exchange.receive(answer(503)), RetryAfter)
    decision = exchange.receive(answer(503))
    assert isinstance(decision, Raise)
    assert decision.error.__class__.__name__ == "ServerError"


def test_a_connect_failure_is_retried_even_for_a_generation() -> None:
    """Nothing reached Dify, so a chat message may be sent again."""
    exchange = Exchange(chat.send_message(query="Hi", user="u"), config())
    assert isinstance(exchange.fail(CONNECT), RetryAfter)


def test_a_lost_answer_of_a_generation_is_raised_not_retried() -> None:
    """A read failure after a chat POST may have started a run: it is raised, never resent."""
    recorder = Recorder()
    exchange = Exchange(chat.send_message(query="Hi", user="u"), config(recorder))
    exchange.start()
    decision = exchange.fail(READ)
    assert isinstance(decision, Raise)
    assert type(decision.error) is APIConnectionError
    assert str(decision.error) == (
        "connection failed (ReadError, http://dify.test/v1/chat-messages): reset by peer"
    )
    [(kind, error, end)] = recorder.ends()
    assert (kind, error, end.attempts, end.status_code) == ("error", decision.error, 1, None)


def test_a_timeout_of_a_read_is_retried_for_a_get_and_named_as_a_timeout() -> None:
    """A GET may be resent after a lost answer; when it gives up the error is APITimeoutError."""
    exchange = Exchange(app.get_info(), config(max_retries=1))
    assert isinstance(exchange.fail(READ_TIMEOUT), RetryAfter)
    decision = exchange.fail(READ_TIMEOUT)
    assert isinstance(decision, Raise)
    assert isinstance(decision.error, APITimeoutError)
    assert (
        str(decision.error)
        == "request timed out (ReadTimeout, http://dify.test/v1/info): timed out"
    )


def test_an_answer_of_the_wrong_shape_is_an_error_not_a_retry() -> None:
    """A 200 that does not parse is a ResponseValidationError, told to observers once."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    decision = exchange.receive(answer(200, {"name": ["not", "a", "string"]}))
    assert isinstance(decision, Raise)
    assert isinstance(decision.error, ResponseValidationError)
    assert [c[0] for c in recorder.ends()] == ["error"]


@pytest.mark.parametrize(
    ("raised", "reason"),
    [(KeyboardInterrupt(), "KeyboardInterrupt"), (GeneratorExit(), "GeneratorExit")],
)
def test_an_interruption_ends_the_call_as_cancelled(raised: BaseException, reason: str) -> None:
    """A BaseException escaping the transport ends the call once, as a cancel with its name."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    exchange.abandon(raised)
    exchange.abandon(raised)
    exchange.cancel("closed")
    [(kind, got, end)] = recorder.ends()
    assert (kind, got, end.attempts) == ("cancel", reason, 0)


def test_an_unexpected_exception_ends_the_call_as_an_error() -> None:
    """An Exception that is not the exchange's own (a file that cannot be opened) is an error."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    missing = FileNotFoundError("report.pdf")
    exchange.abandon(missing)
    assert [(c[0], c[1]) for c in recorder.ends()] == [("error", missing)]


def test_an_ended_call_ignores_a_later_abandon() -> None:
    """The exchange's own error ends the call; the transport re-raising it changes nothing."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.start()
    decision = exchange.receive(answer(404, {"code": "not_found"}))
    assert isinstance(decision, Raise)
    exchange.abandon(decision.error)
    assert len(recorder.ends()) == 1


def test_a_call_never_started_tells_observers_nothing() -> None:
    """Cancelling an exchange before start() notifies no one (there was no on_start)."""
    recorder = Recorder()
    exchange = Exchange(app.get_info(), config(recorder))
    exchange.cancel("closed")
    assert recorder.calls == []
    assert exchange.ended


def test_without_observers_the_exchange_still_decides_and_ends() -> None:
    """No observers: the same decisions, no clock read, and the call is marked ended."""
    exchange = Exchange(app.get_info(), config())
    exchange.start()
    assert isinstance(exchange.receive(answer(200, INFO)), Result)
    assert exchange.ended and exchange.attempts == 1


def test_uploaded_files_replace_the_local_paths(tmp_path: Path) -> None:
    """The exchange lists a call's local uploads and rebuilds the request with their ids."""
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    exchange = Exchange(chat.send_message(query="Hi", user="u", files=[image]), config())
    [upload] = exchange.uploads
    assert upload.operation == "files.upload"
    uploaded = UploadedFile.model_validate(
        {"id": "f-1", "name": "cat.png", "size": 4, "extension": "png", "mime_type": "image/png"}
    )
    exchange.uploaded([uploaded])
    assert exchange.uploads == ()
    assert isinstance(exchange.request.json, dict)
    assert exchange.request.json["files"] == [
        {"type": "image", "transfer_method": "local_file", "upload_file_id": "f-1"}
    ]


def test_a_call_without_uploads_is_unchanged_by_uploaded() -> None:
    """``uploaded([])`` on a call with nothing to upload keeps the same request."""
    call = files.preview_file("f-1")
    exchange = Exchange(call, config())
    exchange.uploaded([])
    assert exchange.request is call.request


# --- streams ------------------------------------------------------------------------------------


def chat_stream(observers: Sequence[Observer] = ()) -> StreamExchange[Any, Any]:
    """An opened chat stream exchange."""
    exchange = StreamExchange(chat.stream_message(query="Hi", user="u"), config(*observers))
    exchange.start()
    assert exchange.receive(OPEN) == Result(None)
    return exchange


def test_a_stream_feeds_typed_events_and_ends_with_the_collected_result() -> None:
    """Events come back typed; at the end observers get the collected result, shared later."""
    recorder = Recorder()
    exchange = chat_stream([recorder])
    first = exchange.feed(sse(chat_event("message", answer="Hel")))
    assert [type(e) for e in first] == [MessageEvent]
    rest = exchange.feed(sse(chat_event("message", answer="lo"), message_end()))
    assert exchange.done
    assert exchange.finish() is None
    [(_, end)] = recorder.ends()
    assert isinstance(end.result, ChatMessage)
    assert end.result.answer == "Hello"
    assert end.result is exchange.result()  # aggregated once, shared with collect()
    assert (end.events, end.attempts, end.status_code) == (3, 1, 200)
    assert end.time_to_first_event == 1.0
    assert end.time_to_first_token == 2.0  # the same chunk: the clock's next reading
    assert len(rest) == 2
    assert exchange.finish() is None  # already ended: nothing more
    assert len(recorder.ends()) == 1


def test_a_recorded_workflow_stream_collects_into_its_run() -> None:
    """Recording 79 read chunk by chunk ends with a WorkflowRun equal to collect()'s."""
    raw = (DATA / "79-workflows-run-streaming.sse").read_bytes()
    recorder = Recorder()
    exchange = StreamExchange(workflows.stream_workflow(inputs={}, user="u"), config(recorder))
    exchange.start()
    exchange.receive(OPEN)
    for index in range(0, len(raw), 97):
        exchange.feed(raw[index : index + 97])
    assert exchange.finish() is None
    [(_, end)] = recorder.ends()
    assert isinstance(end.result, WorkflowRun)
    assert end.result.data.status == "succeeded"


def test_an_observer_subscribed_to_node_events_gets_no_message_events() -> None:
    """event_kinds filters on_event: node-only observers never see message chunks."""
    nodes = Recorder(frozenset({"node_finished"}))
    everything = Recorder()
    nothing = Recorder(frozenset())
    exchange = chat_stream([nodes, everything, nothing])
    node = chat_event("node_finished", workflow_run_id="r-1", data={"id": "n", "node_id": "llm"})
    exchange.feed(sse(chat_event("message", answer="a"), node, chat_event("message", answer="b")))
    assert [c[1] for c in nodes.calls if c[0] == "event"] == ["node_finished"]
    assert [c[1] for c in everything.calls if c[0] == "event"] == [
        "message",
        "node_finished",
        "message",
    ]
    assert [c for c in nothing.calls if c[0] == "event"] == []


def test_an_event_nobody_subscribed_to_reaches_no_observer() -> None:
    """With only node subscribers, a message event is decoded but dispatched to no one."""
    nodes = Recorder(frozenset({"node_finished"}))
    exchange = chat_stream([nodes])
    assert len(exchange.feed(sse(chat_event("message", answer="a")))) == 1
    assert [c for c in nodes.calls if c[0] == "event"] == []


def test_a_node_event_is_typed_for_its_observer() -> None:
    """on_event receives the typed event model, not a dict."""
    seen: list[object] = []

    class Nodes(Observer):
        event_kinds = frozenset({"node_finished"})

        def on_event(
            self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
        ) -> None:
            seen.append(event)

    exchange = chat_stream([Nodes()])
    exchange.feed(sse(chat_event("node_finished", data={"id": "n", "node_id": "llm"})))
    assert [type(e) for e in seen] == [NodeFinishedEvent]


def test_an_error_event_ends_the_stream_with_its_error_and_the_partial_answer() -> None:
    """An ``error`` event: finish() returns DifyStreamError; observers get it with the partial."""
    recorder = Recorder()
    exchange = chat_stream([recorder])
    exchange.feed(sse(chat_event("message", answer="par"), {"event": "error", "code": "x"}))
    error = exchange.finish()
    assert isinstance(error, DifyStreamError)
    [(kind, got, end)] = recorder.ends()
    assert (kind, got) == ("error", error)
    assert isinstance(end.result, ChatMessage) and end.result.answer == "par"


def test_a_body_that_ends_early_is_an_interrupted_stream() -> None:
    """No terminal event: finish() returns StreamInterruptedError naming the task."""
    exchange = chat_stream()
    exchange.feed(sse(chat_event("message", answer="x")))
    error = exchange.finish()
    assert isinstance(error, StreamInterruptedError)
    assert "task_id=t-1" in str(error)


def test_a_silent_stream_times_out_with_the_idle_timeout_in_its_message() -> None:
    """A read timeout mid-stream is StreamInterruptedError naming the idle timeout and task."""
    recorder = Recorder()
    exchange = chat_stream([recorder])
    exchange.feed(sse(chat_event("message", answer="x")))
    error = exchange.interrupted(READ_TIMEOUT)
    assert str(error) == "no data for 60 s (task_id=t-1)"
    assert [c[0] for c in recorder.ends()] == ["error"]


def test_a_broken_connection_mid_stream_is_an_interrupted_stream() -> None:
    """A transport failure mid-stream (not a timeout) says the connection broke."""
    exchange = chat_stream()
    error = exchange.interrupted(READ)
    assert str(error) == "the connection broke mid-stream: reset by peer"
    timeout = chat_stream().interrupted(READ_TIMEOUT)
    assert str(timeout) == "no data for 60 s"


def test_a_stream_closed_early_is_cancelled_with_what_it_had_collected() -> None:
    """cancel("closed") mid-stream: one on_cancel whose result is the partial aggregate."""
    recorder = Recorder()
    exchange = chat_stream([recorder])
    exchange.feed(sse(chat_event("message", answer="half")))
    exchange.cancel("closed")
    exchange.cancel("dropped")
    [(kind, reason, end)] = recorder.ends()
    assert (kind, reason, end.events) == ("cancel", "closed", 1)
    assert isinstance(end.result, ChatMessage) and end.result.answer == "half"


def test_a_workflow_cancelled_before_its_end_has_no_partial_result() -> None:
    """A workflow stream has nothing to aggregate before workflow_finished: result is None."""
    recorder = Recorder()
    exchange = StreamExchange(workflows.stream_workflow(inputs={}, user="u"), config(recorder))
    exchange.start()
    exchange.receive(OPEN)
    exchange.feed(sse({"event": "workflow_started", "task_id": "t", "workflow_run_id": "r"}))
    exchange.cancel("CancelledError")
    [(_, reason, end)] = recorder.ends()
    assert (reason, end.result) == ("CancelledError", None)


def test_a_stream_cancelled_before_any_event_has_no_partial_result() -> None:
    """Cancelled before its first event: no result, no time to first event."""
    recorder = Recorder()
    exchange = chat_stream([recorder])
    exchange.cancel("closed")
    [(_, _, end)] = recorder.ends()
    assert (end.result, end.time_to_first_event, end.events) == (None, None, 0)


def test_a_stream_error_answer_is_retried_or_raised_like_a_call() -> None:
    """Opening: 429 is retried, a 404 is raised and ends the call; a lost connect is retried."""
    recorder = Recorder()
    exchange = StreamExchange(chat.stream_message(query="Hi", user="u"), config(recorder))
    exchange.start()
    assert isinstance(exchange.fail(CONNECT), RetryAfter)
    assert isinstance(exchange.receive(answer(429, {"code": "too_many_requests"})), RetryAfter)
    decision = exchange.receive(answer(404, {"code": "not_found"}))
    assert isinstance(decision, Raise) and isinstance(decision.error, NotFoundError)
    [(kind, _, end)] = recorder.ends()
    assert (kind, end.attempts) == ("error", 3)


def test_a_lost_stream_request_is_not_resent() -> None:
    """A chat stream whose request may have reached Dify is raised, not resent."""
    exchange = StreamExchange(chat.stream_message(query="Hi", user="u"), config())
    decision = exchange.fail(READ)
    assert isinstance(decision, Raise)
    assert isinstance(exchange.receive(answer(429, {"code": "x"})), RetryAfter)


def test_a_stream_lists_its_uploads_and_takes_their_results(tmp_path: Path) -> None:
    """A streaming call with local files exposes them and is rebuilt with their ids."""
    doc = tmp_path / "a.txt"
    doc.write_bytes(b"hi")
    call = chat.stream_message(query="Hi", user="u", files=[doc])
    exchange = StreamExchange(call, config())
    assert len(exchange.uploads) == 1
    uploaded = UploadedFile.model_validate(
        {"id": "f-2", "name": "a.txt", "size": 2, "extension": "txt", "mime_type": "text/plain"}
    )
    exchange.uploaded([uploaded])
    assert exchange.uploads == ()
    assert "f-2" in json.dumps(exchange.request.json)


def test_a_stream_without_observers_collects_only_when_asked() -> None:
    """No observers: finish() ends the call without aggregating; result() does it on demand."""
    exchange = chat_stream()
    exchange.feed(sse(chat_event("message", answer="Hi"), message_end()))
    assert exchange.finish() is None
    assert exchange.ended
    assert exchange.result().answer == "Hi"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_on_a_generation_is_raised_not_resent(status: int) -> None:
    """A 5xx from a gateway may follow a run Dify started: a chat message is not sent again."""
    exchange = Exchange(chat.send_message(query="Hi", user="u"), config())
    decision = exchange.receive(answer(status))
    assert isinstance(decision, Raise)
    assert decision.error.__class__.__name__ == "ServerError"


def test_a_retry_after_beyond_the_cap_raises_at_once_carrying_it() -> None:
    """429 with Retry-After: 300 (cap 60 s): RateLimitError now, retry_after=300, said so."""
    exchange = Exchange(app.get_info(), config())
    decision = exchange.receive(
        answer(429, {"code": "too_many_requests"}, **{"retry-after": "300"})
    )
    assert isinstance(decision, Raise)
    error = decision.error
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 300.0
    assert "retry after 300 s, more than max_retry_after=60 s" in str(error)


def test_an_error_given_up_on_keeps_the_retry_after_it_carried() -> None:
    """When retries run out, the error still says how long Dify asked to wait."""
    exchange = Exchange(app.get_info(), config(max_retries=0))
    decision = exchange.receive(answer(503, {"code": "busy"}, **{"retry-after": "5"}))
    assert isinstance(decision, Raise)
    assert getattr(decision.error, "retry_after", None) == 5.0
    assert "did not wait" not in str(decision.error)


@pytest.mark.parametrize(
    ("kind", "body"),
    [("text/html", b"<!doctype html><h1>Welcome to nginx</h1>"), ("application/json", b"{}")],
)
def test_a_stream_answered_with_a_page_says_what_came_back(kind: str, body: bytes) -> None:
    """A 200 that is not an event stream needs its body and is an error quoting it."""
    recorder = Recorder()
    exchange = StreamExchange(chat.stream_message(query="Hi", user="u"), config(recorder))
    exchange.start()
    assert exchange.needs_body(200, {"content-type": kind})
    assert not exchange.needs_body(200, OPEN.headers)
    assert not exchange.needs_body(200, {})  # no content type: read as a stream
    decision = exchange.receive(HttpResponse(200, {"content-type": kind}, body))
    assert isinstance(decision, Raise)
    assert isinstance(decision.error, ResponseValidationError)
    message = str(decision.error)
    assert f"answered HTTP 200 {kind} instead of an event stream" in message
    assert "http://dify.test/v1/chat-messages" in message and repr(body[:20])[2:-1] in message
    assert [c[0] for c in recorder.ends()] == ["error"]


def test_a_blocking_call_always_reads_the_body() -> None:
    """The blocking exchange wants every body (it parses or maps it)."""
    assert Exchange(app.get_info(), config()).needs_body(200, {})


def test_a_405_switches_to_the_legacy_route_and_the_client_remembers() -> None:
    """update_from_file on Dify 1.13: 405 → resend at once on the legacy route; the next
    exchange of the same client starts there."""
    from difykit_core.operations import documents

    cfg = config()
    exchange = Exchange(documents.update_document_from_file("ds", "doc", b"v2"), cfg)
    assert exchange.request.method == "PATCH"
    assert exchange.receive(answer(405, {"code": "method_not_allowed"})) == RetryAfter(0.0)
    assert (exchange.request.method, exchange.request.path) == (
        "POST",
        "/datasets/ds/documents/doc/update-by-file",
    )
    later = Exchange(documents.update_document_from_file("ds", "doc", b"v3"), cfg)
    assert later.request.path.endswith("/update-by-file")
    other = Exchange(documents.update_document_from_file("ds", "doc", b"v3"), config())
    assert other.request.method == "PATCH"  # another client has not learned it


def test_a_405_on_a_call_without_a_legacy_route_is_an_error() -> None:
    """Without a legacy form, a 405 is raised as the BadRequestError naming the route."""
    decision = Exchange(app.get_info(), config()).receive(answer(405, {"code": "x"}))
    assert isinstance(decision, Raise)
    assert "does not serve GET /info" in str(decision.error)


def test_a_large_chunk_is_decoded_a_slice_at_a_time() -> None:
    """A 64 KiB read gives its first events at once; feed(b"") decodes the rest, in order."""
    exchange = chat_stream()
    frames = [chat_event("message", answer=f"{n:04d}" + "x" * 200) for n in range(300)]
    body = sse(*frames, message_end())
    assert len(body) > 3 * 4096
    seen = [e.answer for e in exchange.feed(body)]
    assert 0 < len(seen) < 30 and exchange.buffered
    for _ in range(len(body) // 4096 + 1):
        if exchange.done:
            break
        seen += [getattr(e, "answer", "end") for e in exchange.feed(b"")]
    assert exchange.done
    assert seen[:-1] == [f["answer"] for f in frames] and seen[-1] == "end"
    assert exchange.finish() is None


def test_the_first_token_of_a_workflow_is_its_first_text_chunk_not_its_first_event() -> None:
    """Node events come first; time to first token waits for the first ``text_chunk``."""
    recorder = Recorder()
    exchange = StreamExchange(workflows.stream_workflow(inputs={}, user="u"), config(recorder))
    exchange.start()
    exchange.receive(OPEN)
    envelope = {"task_id": "t", "workflow_run_id": "r"}
    exchange.feed(sse({"event": "workflow_started", **envelope, "data": {"id": "r"}}))
    exchange.feed(sse({"event": "node_started", **envelope, "data": {"id": "n", "node_id": "a"}}))
    exchange.feed(sse({"event": "text_chunk", **envelope, "data": {"text": "Hi"}}))
    exchange.cancel("closed")
    [(_, _, end)] = recorder.ends()
    assert end.time_to_first_event is not None and end.time_to_first_token is not None
    assert end.time_to_first_token > end.time_to_first_event
