"""Retries, timeouts and uploads, against MockTransport and a real loopback server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from difykit_async import AsyncDify, _transport
from difykit_core import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from loopback import hang, json_answer, serve, stalled_stream

CHAT_OK: dict[str, object] = {
    "event": "message",
    "id": "m1",
    "message_id": "m1",
    "answer": "hi",
    "metadata": {},
}
PAGE_OK: dict[str, object] = {"limit": 20, "has_more": False, "data": []}

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*answers: Any) -> tuple[list[httpx.Request], Handler]:
    """A handler answering with each item in turn: an httpx.Response, or an exception to raise."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    return seen, handler


def client(handler: Handler, **options: Any) -> AsyncDify:
    return AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        **options,
    )


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record retry sleeps instead of sleeping."""
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(_transport, "sleep", record)
    return slept


# --- never bill twice --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_chat_send_is_not_resent_after_a_read_timeout() -> None:
    """A chat message whose answer was lost may have run: the client must not send it again."""
    seen, handler = scripted(httpx.ReadTimeout("lost"), httpx.Response(200, json=CHAT_OK))
    with pytest.raises(APITimeoutError):
        await client(handler).chat.send(query="hi", user="u1")
    assert len(seen) == 1


@pytest.mark.anyio
async def test_chat_send_is_not_resent_after_a_dropped_connection() -> None:
    """A dropped connection after sending is a lost answer, not a reason to run the chat twice."""
    seen, handler = scripted(httpx.RemoteProtocolError("closed"), httpx.Response(200, json=CHAT_OK))
    with pytest.raises(APIConnectionError):
        await client(handler).chat.send(query="hi", user="u1")
    assert len(seen) == 1


@pytest.mark.anyio
async def test_chat_post_reaches_a_real_server_once_when_its_answer_times_out() -> None:
    """Over real loopback HTTP, a timed-out chat POST arrives at the server exactly once."""
    with serve(hang(1.0), json_answer(200, json.dumps(CHAT_OK).encode())) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url, timeout=0.3, max_retries=3)
        async with dify:
            with pytest.raises(APITimeoutError):
                await dify.chat.send(query="hi", user="u1")
        assert server.received == [("POST", "/v1/chat-messages")]


@pytest.mark.anyio
async def test_a_get_is_retried_after_a_read_timeout() -> None:
    """Reading is harmless to repeat, so a list call survives one lost answer."""
    seen, handler = scripted(httpx.ReadTimeout("lost"), httpx.Response(200, json=PAGE_OK))
    page = await client(handler).conversations.list(user="u1")
    assert page.data == [] and len(seen) == 2


@pytest.mark.anyio
async def test_a_connect_failure_is_retried_even_for_a_chat_message() -> None:
    """When the connection never opened nothing reached Dify, so even a generation is retried."""
    seen, handler = scripted(httpx.ConnectError("refused"), httpx.Response(200, json=CHAT_OK))
    message = await client(handler).chat.send(query="hi", user="u1")
    assert message.answer == "hi"
    assert len(seen) == 2


# --- status retries ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_retry_after_seconds_is_honoured(no_sleep: list[float]) -> None:
    """A 429 with Retry-After: 3 waits 3 s and then succeeds (a refused chat may be resent)."""
    seen, handler = scripted(
        httpx.Response(429, headers={"Retry-After": "3"}, json={"code": "x", "message": "busy"}),
        httpx.Response(200, json=CHAT_OK),
    )
    message = await client(handler).chat.send(query="hi", user="u1")
    assert message.answer == "hi"
    assert no_sleep == [3.0] and len(seen) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("status", [502, 503])
async def test_a_gateway_error_is_not_resent_for_a_generation(status: int) -> None:
    """A 502/503 from a gateway may follow a run Dify started: one chat message, one run."""
    seen, handler = scripted(httpx.Response(status, text="bad gateway"))
    with pytest.raises(ServerError):
        await client(handler).chat.send(query="hi", user="u1")
    assert len(seen) == 1


@pytest.mark.anyio
async def test_a_gateway_error_is_retried_for_a_read(no_sleep: list[float]) -> None:
    """The same 502 on a GET is retried: reading twice is harmless."""
    seen, handler = scripted(
        httpx.Response(502, text="bad gateway"), httpx.Response(200, json=PAGE_OK)
    )
    await client(handler).conversations.list(user="u1")
    assert len(seen) == 2 and len(no_sleep) == 1


@pytest.mark.anyio
async def test_a_retry_after_longer_than_the_cap_is_raised_at_once(no_sleep: list[float]) -> None:
    """Retry-After: 600 with max_retry_after=30: RateLimitError with retry_after, no sleep."""
    seen, handler = scripted(
        httpx.Response(429, headers={"Retry-After": "600"}, json={"code": "x", "message": "slow"})
    )
    with pytest.raises(RateLimitError) as caught:
        await client(handler, max_retry_after=30).conversations.list(user="u1")
    assert caught.value.retry_after == 600.0
    assert no_sleep == [] and len(seen) == 1


@pytest.mark.anyio
async def test_retry_after_http_date_is_honoured(no_sleep: list[float]) -> None:
    """Retry-After as an HTTP date waits until that moment (capped by the policy)."""
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    seen, handler = scripted(
        httpx.Response(
            429, headers={"Retry-After": when}, json={"code": "rate_limit_error", "message": "slow"}
        ),
        httpx.Response(200, json=PAGE_OK),
    )
    await client(handler).conversations.list(user="u1")
    assert len(seen) == 2 and 25 < no_sleep[0] <= 31


@pytest.mark.anyio
async def test_the_concurrency_limit_sent_as_400_is_retried_then_raised(
    no_sleep: list[float],
) -> None:
    """Dify's "Too many requests" (status 400) is a RateLimitError, retried max_retries times."""
    busy = {
        "code": "invalid_param",
        "message": "Too many requests. Please try again later.",
        "status": 400,
    }
    seen, handler = scripted(httpx.Response(400, json=busy))
    with pytest.raises(RateLimitError) as info:
        await client(handler, max_retries=2).chat.send(query="hi", user="u1")
    assert info.value.code == "invalid_param" and len(seen) == 3 and len(no_sleep) == 2


@pytest.mark.anyio
async def test_a_504_is_not_retried_for_a_generation() -> None:
    """A gateway timeout may hide a run that goes on, so a chat message is not sent again."""
    seen, handler = scripted(httpx.Response(504, text="gateway timeout"))
    with pytest.raises(ServerError):
        await client(handler).chat.send(query="hi", user="u1")
    assert len(seen) == 1


@pytest.mark.anyio
async def test_other_client_errors_are_not_retried() -> None:
    """A 401 is final: one request, an AuthenticationError naming the key family."""
    seen, handler = scripted(
        httpx.Response(
            401, json={"code": "unauthorized", "message": "Access token is invalid", "status": 401}
        )
    )
    with pytest.raises(AuthenticationError, match="app key"):
        await client(handler).chat.send(query="hi", user="u1")
    assert len(seen) == 1


# --- streams -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_stalled_stream_raises_after_the_idle_timeout() -> None:
    """Dify may answer 200, ping once and go silent: the stream raises instead of hanging."""
    with serve(stalled_stream(silence=3.0)) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url, stream_idle_timeout=0.3)
        started = time.monotonic()
        async with dify:
            with pytest.raises(StreamInterruptedError, match="no data"):
                await dify.chat.stream(query="hi", user="u1").collect()
        assert time.monotonic() - started < 2.5


@pytest.mark.anyio
async def test_a_stalled_stream_read_event_by_event_raises_too() -> None:
    """Iterating (not collecting) a silent stream inside its context raises after the timeout."""
    with serve(stalled_stream(silence=3.0)) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url, stream_idle_timeout=0.3)
        started = time.monotonic()
        stream = dify.chat.stream(query="hi", user="u1")
        async with dify:
            with pytest.raises(StreamInterruptedError):
                async with stream:
                    async for _ in stream:
                        pass
        assert time.monotonic() - started < 2.5


# --- uploads -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_local_files_are_uploaded_before_the_message(tmp_path: Path) -> None:
    """files=[path] uploads the file for the same user, then sends the message with its id."""
    picture = tmp_path / "cat.png"
    picture.write_bytes(b"\x89PNG\r\n")
    uploaded = {"id": "f-1", "name": "cat.png", "extension": "png", "mime_type": "image/png"}
    seen, handler = scripted(httpx.Response(201, json=uploaded), httpx.Response(200, json=CHAT_OK))
    await client(handler).chat.send(query="look", user="u1", files=[picture])
    assert [r.url.path for r in seen] == ["/v1/files/upload", "/v1/chat-messages"]
    assert b'filename="cat.png"' in seen[0].read() and b"image/png" in seen[0].read()
    sent = json.loads(seen[1].read())
    assert sent["files"] == [
        {"type": "image", "transfer_method": "local_file", "upload_file_id": "f-1"}
    ]


@pytest.mark.anyio
async def test_a_refused_connection_names_the_url() -> None:
    """A connection refused on loopback says which URL could not be reached."""
    with serve(json_answer(200, b"{}")) as server:
        base_url = server.base_url
    dify = AsyncDify(api_key="app-test", base_url=base_url, max_retries=0)
    with pytest.raises(APIConnectionError, match=rf"ConnectError, {base_url}/info\)"):
        await dify.app.info()
    await dify.aclose()


@pytest.mark.anyio
async def test_an_exhausted_pool_says_its_connections_are_busy() -> None:
    """A pool timeout explains that every connection is busy and how to raise the limit."""
    _, handler = scripted(httpx.PoolTimeout("timed out"))
    with pytest.raises(APITimeoutError, match="no free connection in the pool: all connections"):
        await client(handler, max_retries=0).app.info()
