"""Completion and workflow builders: run, stream, stop, resume, stored runs and logs."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from recorded import dumped, json_answer, recorded, sent

from difykit_core import Call, HttpRequest, InvalidRequestError, StreamCall
from difykit_core.models.messages import CompletionMessage
from difykit_core.models.workflow import WorkflowRun, WorkflowRunDetail
from difykit_core.operations import completion, workflows
from difykit_core.operations._generate import completion_protocol, workflow_protocol

USER = "user-wf-1"


def describe(call: Any) -> tuple[str, str, bool, str | None]:
    """A call's operation, key family, replayability and user."""
    return (call.operation, call.key_family, call.replayable, call.user)


# --- completion -------------------------------------------------------------------------------

COMPLETION_ANSWER = {
    # Dify's documented blocking completion answer.
    "event": "message",
    "task_id": "c3800678-a077-43df-a102-53f23ed20b88",
    "id": "9da23599-e713-473b-982c-4328d4f5c78a",
    "message_id": "9da23599-e713-473b-982c-4328d4f5c78a",
    "mode": "completion",
    "answer": "Hello! How can I help you today?",
    "metadata": {
        "usage": {
            "prompt_tokens": 1033,
            "prompt_unit_price": "0.001",
            "prompt_price_unit": "0.001",
            "prompt_price": "0.0010330",
            "completion_tokens": 128,
            "completion_unit_price": "0.002",
            "completion_price_unit": "0.001",
            "completion_price": "0.0002560",
            "total_tokens": 1161,
            "total_price": "0.0012890",
            "currency": "USD",
            "latency": 0.7682376249867957,
        }
    },
    "created_at": 1705407629,
}


def test_completion_send_is_a_blocking_post_read_without_loss() -> None:
    """send_message posts user, inputs and query, blocking; the answer keeps exact prices."""
    call = completion.send_message(user="u-1", inputs={"topic": "tea"}, query="Write a haiku")
    assert isinstance(call, Call)
    assert call.request == HttpRequest(
        "POST",
        "/completion-messages",
        json={
            "user": "u-1",
            "inputs": {"topic": "tea"},
            "query": "Write a haiku",
            "response_mode": "blocking",
        },
    )
    assert describe(call) == ("completion.send", "app", False, "u-1")
    message = call.parse(json_answer(COMPLETION_ANSWER))
    assert isinstance(message, CompletionMessage)
    assert message.metadata.usage is not None
    assert message.metadata.usage.total_price == Decimal("0.0012890")
    assert dumped(message) == COMPLETION_ANSWER


def test_completion_stream_is_read_as_completion_events() -> None:
    """stream_message sends no query when none is given and reads completion events."""
    call = completion.stream_message(user="u-1", files=["https://example.com/a.png"])
    assert isinstance(call, StreamCall)
    assert call.request.json == {
        "user": "u-1",
        "inputs": {},
        "response_mode": "streaming",
        "files": [
            {"type": "image", "transfer_method": "remote_url", "url": "https://example.com/a.png"}
        ],
    }
    assert call.protocol is completion_protocol()
    assert describe(call) == ("completion.stream", "app", False, "u-1")


def test_completion_with_local_files_uploads_them_first() -> None:
    """A local path becomes an upload call for the same user, filled in by with_uploads."""
    call = completion.send_message(user="u-1", files=["scan.pdf"])
    [upload] = call.uploads
    assert upload.request.form == (("user", "u-1"),)
    assert call.complete is not None


@pytest.mark.parametrize("builder", [completion.send_message, completion.stream_message])
@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"user": ""}, "`user` must not be empty"),
        ({"user": "u", "inputs": "topic=tea"}, "`inputs` must be a mapping"),
        ({"user": "u", "query": 3}, "`query`"),
        ({"user": "u", "files": "a.png"}, "`files` must be a list"),
    ],
    ids=["empty-user", "inputs-not-mapping", "query-not-text", "lone-file"],
)
def test_bad_completion_arguments_raise(
    builder: Any, fields: dict[str, Any], mentions: str
) -> None:
    """Invalid completion arguments raise InvalidRequestError naming the field."""
    with pytest.raises(InvalidRequestError, match=mentions):
        builder(**fields)


def test_completion_stop_posts_the_user_to_the_task() -> None:
    """stop_message posts ``{"user": …}`` to the escaped task path, replayably."""
    call = completion.stop_message("task/1", user="u-1")
    assert call.request == HttpRequest(
        "POST", "/completion-messages/task%2F1/stop", json={"user": "u-1"}
    )
    assert describe(call) == ("completion.stop", "app", True, "u-1")
    with pytest.raises(InvalidRequestError, match="`task_id`"):
        completion.stop_message("", user="u-1")
    with pytest.raises(InvalidRequestError, match="`user` must not be empty"):
        completion.stop_message("task-1", user="")


# --- workflow runs ----------------------------------------------------------------------------


def test_run_workflow_posts_the_recorded_body_and_reads_the_run() -> None:
    """Recording 78: inputs, user and blocking mode are posted; the run parses in full."""
    exchange = recorded("78-workflows-run-blocking")
    call = workflows.run_workflow(user=USER, inputs={"text": "hello workflow", "count": 3})
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("workflows.run", "app", False, USER)
    run = call.parse(exchange.response)
    assert isinstance(run, WorkflowRun)
    assert run.outputs == {"result": "hello workflow", "count": 3}
    assert dumped(run) == exchange.body


def test_run_workflow_can_run_a_published_version() -> None:
    """``workflow_id`` selects ``POST /workflows/{workflow_id}/run`` (escaped)."""
    call = workflows.run_workflow(user=USER, workflow_id="3f29/9a96")
    assert call.request.path == "/workflows/3f29%2F9a96/run"
    stream = workflows.stream_workflow(user=USER, workflow_id="3f299a96")
    assert stream.request.path == "/workflows/3f299a96/run"


def test_stream_workflow_is_read_as_workflow_events_that_stop_at_a_pause() -> None:
    """stream_workflow posts streaming mode and reads workflow events ending at a pause."""
    call = workflows.stream_workflow(user=USER, inputs={"text": "hi"})
    assert call.request == HttpRequest(
        "POST",
        "/workflows/run",
        json={"user": USER, "inputs": {"text": "hi"}, "response_mode": "streaming"},
    )
    assert call.protocol is workflow_protocol()
    assert call.protocol.stop_on_pause is True
    assert describe(call) == ("workflows.stream", "app", False, USER)


@pytest.mark.parametrize("builder", [workflows.run_workflow, workflows.stream_workflow])
@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"user": ""}, "`user` must not be empty"),
        ({"user": "u", "workflow_id": ""}, "`workflow_id`"),
        ({"user": "u", "inputs": {"when": datetime(2026, 1, 1)}}, "is a datetime"),
        ({"user": "u", "files": [b"raw"]}, "not bytes"),
    ],
    ids=["empty-user", "empty-workflow-id", "input-not-json", "file-as-bytes"],
)
def test_bad_workflow_run_arguments_raise(
    builder: Any, fields: dict[str, Any], mentions: str
) -> None:
    """Invalid run arguments raise InvalidRequestError naming the problem."""
    with pytest.raises(InvalidRequestError, match=mentions):
        builder(**fields)


def test_stop_workflow_posts_the_recorded_user() -> None:
    """Recording 86: ``{"user": …}`` to the task's stop route; Dify's success reads as None."""
    exchange = recorded("86-workflows-stop-finished-task")
    call = workflows.stop_workflow("ec87f046-2120-4f8a-b7c0-f526a2917665", user=USER)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("workflows.stop", "app", True, USER)
    assert call.parse(exchange.response) is None
    with pytest.raises(InvalidRequestError, match="`task_id`"):
        workflows.stop_workflow(" ", user=USER)


@pytest.mark.parametrize(
    ("recording", "status"),
    [("81-workflows-run-get", "succeeded"), ("212-workflows-run-get-paused", "paused")],
)
def test_get_run_reads_the_stored_run(recording: str, status: str) -> None:
    """A stored run parses in full; its inputs stay the JSON string Dify 1.13 sends."""
    exchange = recorded(recording)
    run_id = exchange.path.rsplit("/", 1)[1]
    call = workflows.get_run(run_id)
    assert call.request == HttpRequest("GET", f"/workflows/run/{run_id}")
    assert describe(call) == ("workflows.get_run", "app", True, None)
    run = call.parse(exchange.response)
    assert isinstance(run, WorkflowRunDetail)
    assert run.status == status
    assert isinstance(run.inputs, str)
    assert dumped(run) == exchange.body
    with pytest.raises(InvalidRequestError, match="`workflow_run_id`"):
        workflows.get_run("")


# --- logs -------------------------------------------------------------------------------------


def test_list_logs_sends_the_recorded_filters_and_reads_the_page() -> None:
    """Recording 85: status, keyword, page and limit are sent; the log entries parse in full."""
    exchange = recorded("85-workflows-logs-filtered")
    call = workflows.list_logs(status="succeeded", keyword="hello", page=1, limit=2)
    assert call.request.query == (
        ("keyword", "hello"),
        ("status", "succeeded"),
        ("page", "1"),
        ("limit", "2"),
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("workflows.logs", "app", True, None)
    page = call.parse(exchange.response)
    [log] = page.data
    assert log.workflow_run is not None and log.workflow_run.status == "succeeded"
    assert log.created_by_end_user == {
        "id": "c4c7d796-eb3a-41c7-93a7-41fd036ad3c5",
        "type": "service-api",
        "is_anonymous": False,
        "session_id": USER,
    }
    assert dumped(page) == exchange.body
    assert call.next_page is not None
    assert call.next_page(page) is None


def test_list_logs_sends_times_as_iso_8601_and_pages_keep_every_filter() -> None:
    """Datetimes are sent in ISO 8601, strings as given; the next page keeps all filters."""
    after = datetime(2026, 11, 21, 18, 0, tzinfo=timezone.utc)
    call = workflows.list_logs(
        created_at__after=after,
        created_at__before="2026-11-22T00:00:00Z",
        created_by_end_user_session_id=USER,
        created_by_account="admin@example.com",
        limit=1,
    )
    expected_filters = (
        ("created_at__before", "2026-11-22T00:00:00Z"),
        ("created_at__after", "2026-11-21T18:00:00+00:00"),
        ("created_by_end_user_session_id", USER),
        ("created_by_account", "admin@example.com"),
    )
    assert call.request.query == (*expected_filters, ("limit", "1"))
    page = call.parse(
        json_answer(
            {"page": 1, "limit": 1, "total": 3, "has_more": True, "data": [{"id": "log-1"}]}
        )
    )
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (*expected_filters, ("page", "2"), ("limit", "1"))


# --- resume -----------------------------------------------------------------------------------


def test_resume_workflow_follows_the_run_events_with_a_replayable_get() -> None:
    """``GET /workflow/{id}/events`` with the user; reconnecting is safe, so it is replayable."""
    call = workflows.resume_workflow("69436820-6309-4a35-89f4-028697800042", user="hi-user")
    assert call.request == HttpRequest(
        "GET",
        "/workflow/69436820-6309-4a35-89f4-028697800042/events",
        query=(("user", "hi-user"),),
    )
    assert describe(call) == ("workflows.resume", "app", True, "hi-user")
    assert (call.protocol.family, call.protocol.stop_on_pause) == ("workflow", True)


def test_resume_workflow_can_replay_state_and_stream_across_pauses() -> None:
    """The two flags are sent as booleans; ``continue_on_pause`` makes a pause non-terminal."""
    call = workflows.resume_workflow(
        "run/1", user="hi-user", include_state_snapshot=True, continue_on_pause=True
    )
    assert call.request.path == "/workflow/run%2F1/events"
    assert call.request.query == (
        ("user", "hi-user"),
        ("include_state_snapshot", "true"),
        ("continue_on_pause", "true"),
    )
    assert call.protocol.stop_on_pause is False
    assert call.protocol is workflow_protocol(stop_on_pause=False)
    stopping = workflows.resume_workflow("run-1", user="u", continue_on_pause=False)
    assert stopping.protocol.stop_on_pause is True


@pytest.mark.parametrize(("run_id", "user"), [("", "u"), ("run-1", "")])
def test_resume_workflow_needs_the_run_and_its_user(run_id: str, user: str) -> None:
    """Both the run id and the user who started it are required."""
    with pytest.raises(InvalidRequestError):
        workflows.resume_workflow(run_id, user=user)
