"""What only the asyncio client has: successive event loops and concurrent uploads.

Listed in ``HAND_WRITTEN`` in scripts/unasync.py, so it has no sync twin.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anyio
import httpx
import pytest
from difykit_async import APIConnectionError, AsyncDify, CallEnd, CallInfo
from difykit_core import Observer
from loopback import event_stream, hang, json_answer, serve, stalled_stream
from replay_support import load_recording, recorded_body

WORKFLOW_STREAM = recorded_body(load_recording("79-workflows-run-streaming"))
"""A recorded workflow stream; its ``result`` output is ``"streamed ✓ unicode"``."""


async def _result(dify: AsyncDify) -> str:
    run = await dify.workflows.stream(inputs={}, user="u").collect()
    return str(run.outputs["result"])


def test_clients_work_in_successive_event_loops() -> None:
    """Each asyncio.run() gets a working client over real loopback HTTP (peers break here)."""

    async def run(base_url: str) -> str:
        async with AsyncDify(api_key="app-test", base_url=base_url) as dify:
            return await _result(dify)

    with serve(event_stream(WORKFLOW_STREAM)) as server:
        assert asyncio.run(run(server.base_url)) == "streamed ✓ unicode"
        assert asyncio.run(run(server.base_url)) == "streamed ✓ unicode"


def test_one_client_survives_a_second_event_loop() -> None:
    """The same AsyncDify works in two successive asyncio.run() calls over real HTTP."""
    with serve(event_stream(WORKFLOW_STREAM)) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url)
        assert asyncio.run(_result(dify)) == "streamed ✓ unicode"
        assert asyncio.run(_result(dify)) == "streamed ✓ unicode"
        asyncio.run(dify.aclose())


def test_an_injected_pool_from_a_closed_loop_is_a_clear_error() -> None:
    """A caller's httpx.AsyncClient used after its loop closed raises APIConnectionError."""
    with serve(event_stream(WORKFLOW_STREAM)) as server:
        dify = AsyncDify(
            api_key="app-test", base_url=server.base_url, http_client=httpx.AsyncClient()
        )
        asyncio.run(_result(dify))
        with pytest.raises(APIConnectionError, match="event loop"):
            asyncio.run(_result(dify))


def test_a_with_options_sibling_survives_a_second_event_loop() -> None:
    """A sibling made by with_options works in a second asyncio.run(), as its parent does."""
    with serve(event_stream(WORKFLOW_STREAM)) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url)
        sibling = dify.with_options(max_retries=0)
        try:
            assert asyncio.run(_result(sibling)) == "streamed ✓ unicode"
            assert asyncio.run(_result(sibling)) == "streamed ✓ unicode"
        finally:
            asyncio.run(dify.aclose())


@pytest.mark.anyio
async def test_local_files_are_uploaded_concurrently_and_kept_in_order(tmp_path: Path) -> None:
    """Two local files are both being uploaded at once; the message lists their ids in order."""
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    in_flight = 0
    both_in_flight = anyio.Event()
    sent: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight
        if request.url.path == "/v1/chat-messages":
            sent.append(request)
            return httpx.Response(200, json={"id": "m1", "message_id": "m1", "answer": "ok"})
        content = await request.aread()
        name = "a.txt" if b'filename="a.txt"' in content else "b.txt"
        in_flight += 1
        if in_flight == 2:
            both_in_flight.set()
        with anyio.fail_after(2):
            await both_in_flight.wait()
        if name == "a.txt":
            await anyio.sleep(0.05)  # the first file's upload finishes last
        upload = {"id": f"id-{name}", "name": name, "extension": "txt", "mime_type": "text/plain"}
        return httpx.Response(201, json=upload)

    dify = AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    await dify.chat.send(query="look", user="u1", files=[first, second])
    (message,) = sent
    ids = [f["upload_file_id"] for f in json.loads(message.content)["files"]]
    assert ids == ["id-a.txt", "id-b.txt"]


class _Ends(Observer):
    """Records how each call ended."""

    def __init__(self) -> None:
        self.ends: list[tuple[str, str]] = []

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        self.ends.append((call.operation, "end"))

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        self.ends.append((call.operation, f"error {type(error).__name__}"))

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        self.ends.append((call.operation, f"cancel {reason}"))


ANSWER = json.dumps({"event": "message", "id": "m", "answer": "Hi", "mode": "chat"}).encode()
FIRST_MESSAGE = b'data: {"event": "message", "task_id": "t", "answer": "Hel"}\n\n'


@pytest.mark.anyio
async def test_a_real_task_cancel_mid_send_ends_the_call_and_frees_the_connection() -> None:
    """asyncio.wait_for cancels a hanging chat.send: on_cancel, and a one-connection pool is
    free for the next call (what a proxy does when its client hangs up)."""
    ends = _Ends()
    with serve(hang(1.0), json_answer(200, ANSWER)) as server:
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
        dify = AsyncDify(
            api_key="app-test", base_url=server.base_url, http_client=http, observers=[ends]
        )
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(dify.chat.send(query="Hi", user="u"), 0.2)
        assert ends.ends == [("chat.send", "cancel CancelledError")]
        with anyio.fail_after(5):  # a leaked connection would block here on the pool
            message = await dify.chat.send(query="Again", user="u")
        assert message.answer == "Hi"
        await http.aclose()
    assert [path for _, path in server.received] == ["/v1/chat-messages"] * 2


@pytest.mark.anyio
async def test_a_real_task_cancel_mid_stream_ends_the_call_and_frees_the_connection() -> None:
    """A task reading a stream is cancelled after the first events: on_cancel with the partial
    answer so far, and the one-connection pool serves the next call."""
    ends = _Ends()
    with serve(stalled_stream(FIRST_MESSAGE, silence=1.0), json_answer(200, ANSWER)) as server:
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
        dify = AsyncDify(
            api_key="app-test", base_url=server.base_url, http_client=http, observers=[ends]
        )
        seen: list[str] = []

        async def read() -> None:
            async with dify.chat.stream(query="Hi", user="u") as stream:
                async for event in stream:
                    seen.append(event.event)

        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(read(), 0.3)
        assert seen == ["message"]
        assert ends.ends == [("chat.stream", "cancel CancelledError")]
        with anyio.fail_after(5):
            assert (await dify.chat.send(query="Again", user="u")).answer == "Hi"
        await http.aclose()
