"""A pool the client owns sends to its transport directly: the same bytes as httpx's client.

``Wire`` replaces ``AsyncClient.build_request`` + ``send`` for owned pools. These tests hold it
to that: request for request, the method, URL, headers and body equal what httpx builds, on
the wire of a real loopback server too; and whatever httpx's client would do differently
(a proxy from the environment, a closed pool) still happens.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from difykit_async import AsyncDify, _backend
from difykit_async._wire import Wire
from difykit_core.transport import FilePart, HttpRequest
from loopback import Seen, json_answer, serve

CHAT_OK: dict[str, object] = {
    "event": "message",
    "id": "m1",
    "message_id": "m1",
    "answer": "hi",
    "metadata": {},
}
PAGE_OK: dict[str, object] = {"limit": 20, "has_more": False, "data": []}
BASE = "http://dify.test:8080/v1"
AUTH = {"Authorization": "Bearer app-test", "User-Agent": "difykit-test"}

REQUESTS = [
    HttpRequest("POST", "/chat-messages", json={"query": "héllo ✓", "user": "u1", "inputs": {}}),
    HttpRequest("POST", "/chat-messages/t%2F1/stop", json={"user": "u1"}),
    HttpRequest("POST", "/datasets/d1/retrieve"),
    HttpRequest("GET", "/messages", query=(("user", "u 1&x"), ("conversation_id", "c1"))),
    HttpRequest("GET", "/info"),
    HttpRequest("DELETE", "/conversations/c1", json={"user": "u1"}),
    HttpRequest("DELETE", "/datasets/d1"),
    HttpRequest("PUT", "/apps/annotations/a1", json={"question": "q", "answer": "a"}),
    HttpRequest("PATCH", "/datasets/d1", json={"name": "n", "nested": [1, 2.5, None, True]}),
    HttpRequest("GET", "/datasets", query=(("keyword", "ü/?#"),), headers={"X-Extra": "1"}),
    HttpRequest(
        "POST",
        "/files/upload",
        form=(("user", "u1"),),
        files=(("file", FilePart("a.txt", b"abc", "text/plain")),),
    ),
]


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def no_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine's own proxy settings would turn the direct path off: these tests need it on."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _as_sent(request: httpx.Request) -> tuple[str, str, Counter[tuple[bytes, bytes]], bytes]:
    body = request.read()
    headers = Counter((name.lower(), value) for name, value in request.headers.raw)
    boundary = request.headers.get("content-type", "").partition("boundary=")[2].encode()
    if boundary:  # a multipart boundary is random: compare the rest
        body = body.replace(boundary, b"B")
        headers = Counter(
            (name, value.replace(boundary, b"B")) for name, value in headers.elements()
        )
    return request.method, str(request.url), headers, body


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.method} {r.path}")
def test_wire_builds_what_the_httpx_client_builds(request_: HttpRequest) -> None:
    """Method, URL, every header and the body equal ``AsyncClient.build_request``'s."""
    http = httpx.AsyncClient()
    headers = httpx.Headers(http.headers)
    headers.update(AUTH)
    files: Any = [
        (name, (part.filename, part.content, part.content_type)) for name, part in request_.files
    ] or None
    ours = Wire(BASE, headers).build(request_, files, {"timeout": {"read": 1.0}})
    theirs = http.build_request(
        request_.method,
        BASE + request_.path,
        params=request_.query or None,
        json=request_.json,
        data=dict(request_.form) if request_.form else None,
        files=files,
        headers={**AUTH, **request_.headers},
    )
    assert _as_sent(ours) == _as_sent(theirs)
    assert ours.extensions == {"timeout": {"read": 1.0}}


def test_a_path_parsed_once_is_reused_and_the_table_stays_bounded() -> None:
    """Many distinct paths (ids) do not grow the URL table past its bound."""
    wire = Wire(BASE, httpx.Headers(AUTH))
    for index in range(2000):
        built = wire.build(HttpRequest("GET", f"/conversations/c{index}"), None, {})
        assert built.url.path == f"/v1/conversations/c{index}"
    assert len(wire._urls) <= 512  # pyright: ignore[reportPrivateUsage]


def _without_volatile(seen: Seen) -> tuple[str, str, list[tuple[str, str]], bytes]:
    return seen.method, seen.target, sorted(seen.headers), seen.body


@pytest.mark.anyio
async def test_an_owned_pool_puts_the_same_requests_on_the_wire_as_httpx() -> None:
    """Owned pool (direct to the transport) and a caller's AsyncClient: identical bytes."""
    with serve(json_answer(200, json.dumps(CHAT_OK).encode())) as chat_server:
        async with AsyncDify(api_key="app-test", base_url=chat_server.base_url) as owned:
            await owned.chat.send(query="héllo", user="u1", inputs={"n": 1})
            await owned.chat.stop("t1", user="u1")
        async with httpx.AsyncClient() as http:
            shared = AsyncDify(api_key="app-test", base_url=chat_server.base_url, http_client=http)
            await shared.chat.send(query="héllo", user="u1", inputs={"n": 1})
            await shared.chat.stop("t1", user="u1")
    first, second = chat_server.seen[:2], chat_server.seen[2:]
    assert [_without_volatile(s) for s in first] == [_without_volatile(s) for s in second]
    assert first[0].target == "/v1/chat-messages"
    assert json.loads(first[0].body)["query"] == "héllo"

    with serve(json_answer(200, json.dumps(PAGE_OK).encode())) as page_server:
        async with AsyncDify(api_key="app-test", base_url=page_server.base_url) as owned:
            await owned.conversations.list(user="u 1", limit=5)
        async with httpx.AsyncClient() as http:
            shared = AsyncDify(api_key="app-test", base_url=page_server.base_url, http_client=http)
            await shared.conversations.list(user="u 1", limit=5)
    assert _without_volatile(page_server.seen[0]) == _without_volatile(page_server.seen[1])
    assert page_server.seen[0].target.startswith("/v1/conversations?")


@pytest.mark.anyio
async def test_an_owned_pool_uploads_an_open_file_again_after_a_429(tmp_path: Path) -> None:
    """Multipart on the direct path: a retried upload sends the whole file again."""
    uploaded = {"id": "f-1", "name": "a.txt", "extension": "txt", "mime_type": "text/plain"}
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello file")
    busy = json_answer(429, b'{"code": "too_many_requests"}', {"Retry-After": "0"})
    answers = (busy, json_answer(201, json.dumps(uploaded).encode()))
    with serve(*answers) as server, path.open("rb") as file:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url)
        async with dify:
            result = await dify.files.upload(file, user="u1")
    assert result.id == "f-1"
    assert [s.target for s in server.seen] == ["/v1/files/upload"] * 2
    for seen in server.seen:
        assert b"hello file" in seen.body
        assert b'name="user"' in seen.body


@pytest.mark.anyio
async def test_an_owned_pool_goes_through_a_proxy_named_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP_PROXY set: the call reaches the proxy (absolute URL), as httpx's client sends it."""
    with serve(json_answer(200, json.dumps(CHAT_OK).encode())) as proxy:
        proxy_url = proxy.base_url.removesuffix("/v1")
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("no_proxy", "")
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        async with AsyncDify(api_key="app-test", base_url="http://dify.invalid/v1") as dify:
            message = await dify.chat.send(query="hi", user="u1")
    assert message.answer == "hi"
    assert proxy.received == [("POST", "http://dify.invalid/v1/chat-messages")]


def test_no_proxy_alone_keeps_the_direct_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_PROXY names hosts to reach directly, not a proxy: the owned pool stays direct."""
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    _, direct = _backend._owned()  # pyright: ignore[reportPrivateUsage]
    assert direct is not None
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    _, direct = _backend._owned()  # pyright: ignore[reportPrivateUsage]
    assert direct is None


@pytest.mark.anyio
async def test_an_owned_pool_logs_each_request_as_httpx_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The "HTTP Request: …" line httpx's client logs at INFO is logged for direct calls too."""
    with serve(json_answer(200, json.dumps(CHAT_OK).encode())) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url)
        assert dify._transport.pool.current()[1] is not None  # pyright: ignore[reportPrivateUsage]  # the direct path
        async with dify:
            with caplog.at_level(logging.INFO, logger="httpx"):
                await dify.chat.send(query="hi", user="u1")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [f'HTTP Request: POST {server.base_url}/chat-messages "HTTP/1.1 200 OK"']


@pytest.mark.anyio
async def test_a_call_on_a_closed_client_says_so() -> None:
    """After ``aclose()`` an owned pool refuses calls (as httpx does) instead of reopening."""
    with serve(json_answer(200, json.dumps(CHAT_OK).encode())) as server:
        dify = AsyncDify(api_key="app-test", base_url=server.base_url)
        await dify.chat.send(query="hi", user="u1")
        await dify.aclose()
        with pytest.raises(RuntimeError, match="client has been closed"):
            await dify.chat.send(query="hi", user="u1")
    assert len(server.received) == 1
