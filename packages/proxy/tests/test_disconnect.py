"""A client that hangs up: the upstream stream is closed and Dify's task stopped, same user."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from conftest import KEY, Stack

STOP_PATHS = {
    "chat": "/v1/chat-messages/{}/stop",
    "completion": "/v1/completion-messages/{}/stop",
    "workflow": "/v1/workflows/tasks/{}/stop",
}


def _wait_for(predicate: object, timeout: float = 5.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _metrics(stack: Stack) -> str:
    url = stack.base_url.removesuffix("/v1") + "/metrics"
    return httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}).text


def _stops(stack: Stack) -> list[tuple[str, bytes]]:
    return [(path, body) for _, path, body in stack.recorder.requests if path.endswith("/stop")]


@pytest.mark.parametrize("model", ["chat", "completion", "workflow"])
def test_stream_disconnect_stops_the_task_with_the_same_user(stack: Stack, model: str) -> None:
    """Closing a stream mid-answer: Dify's stop endpoint is called for the task, as that user."""
    stack.client().models.retrieve(model)
    stack.emulator.faults.pace(chunks=60, delay=0.03)
    stream = stack.client().chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Tell me a long story " * 5}],
        stream=True,
        user="carol",
    )
    chunks = iter(stream)
    for _ in range(3):
        next(chunks)
    task_id = stream.response.headers["x-dify-task-id"]
    stream.close()
    _wait_for(lambda: _stops(stack))
    path, body = _stops(stack)[0]
    assert path == STOP_PATHS[model].format(task_id)
    assert json.loads(body) == {"user": "carol"}
    task = stack.apps[model].tasks[task_id]
    # Whether the emulator's run ends stopped or completes on its own depends on which of
    # the closed connection and the stop reaches it first (Dify's worker, too, runs on after
    # a hang-up); either way it ends, without waiting for garbage collection.
    _wait_for(lambda: task.finished)
    assert task.stopped_by in (None, "carol")
    line = f'difykit_proxy_upstream_stops_total{{model="{model}",result="stopped"}} 1'
    _wait_for(lambda: line in _metrics(stack))
    assert "difykit_proxy_streams_open 0" in _metrics(stack)


def test_finished_stream_sends_no_stop(stack: Stack) -> None:
    """A stream read to its end never calls stop."""
    stream = stack.client().chat.completions.create(
        model="chatflow", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert list(stream)
    time.sleep(0.1)
    assert _stops(stack) == []


def test_non_stream_client_timeout_stops_the_task(stack: Stack) -> None:
    """A non-stream client that gives up while the answer is collected also stops the task."""
    stack.client().models.retrieve("chat")
    stack.emulator.faults.pace(chunks=60, delay=0.03)
    body = {
        "model": "chat",
        "messages": [{"role": "user", "content": "long " * 20}],
        "user": "dave",
    }
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{stack.base_url}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=httpx.Timeout(5.0, read=0.4),
        )
    _wait_for(lambda: _stops(stack))
    path, payload = _stops(stack)[0]
    assert path.startswith("/v1/chat-messages/") and json.loads(payload) == {"user": "dave"}


def test_responses_stream_disconnect_stops_the_task(stack: Stack) -> None:
    """A /v1/responses stream closed mid-answer also stops the Dify task as the same user."""
    stack.client().models.retrieve("chat")
    stack.emulator.faults.pace(chunks=60, delay=0.03)
    stream = stack.client().responses.create(
        model="chat", input="Tell me a long story " * 5, stream=True, user="frank"
    )
    events = iter(stream)
    for _ in range(4):
        next(events)
    stream.close()
    _wait_for(lambda: _stops(stack))
    path, body = _stops(stack)[0]
    assert path.startswith("/v1/chat-messages/") and json.loads(body) == {"user": "frank"}
