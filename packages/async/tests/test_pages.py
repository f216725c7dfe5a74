"""Iterating a page walks the following pages, each list with its own paging style."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from difykit_async import AsyncDify

Answer = Callable[[httpx.Request], dict[str, Any]]


def _client(answer: Answer, requests: list[httpx.Request]) -> AsyncDify:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=answer(request))

    return AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        max_retries=0,
    )


def _items(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i} for i in ids]


@pytest.mark.anyio
async def test_iterating_a_page_walks_the_following_pages_lazily() -> None:
    """conversations.list fetches the next page only when iteration reaches it."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> dict[str, Any]:
        if "last_id" not in request.url.params:
            return {"limit": 2, "has_more": True, "data": _items("c1", "c2")}
        return {"limit": 2, "has_more": False, "data": _items("c3")}

    dify = _client(answer, requests)
    page = await dify.conversations.list(user="u", limit=2)
    assert [c.id for c in page.data] == ["c1", "c2"] and len(requests) == 1
    assert [c.id async for c in page] == ["c1", "c2", "c3"]
    assert requests[1].url.params["last_id"] == "c2" and requests[1].url.params["limit"] == "2"


@pytest.mark.anyio
async def test_message_history_walks_back_from_the_oldest_message_of_each_page() -> None:
    """messages.list pages are chronological; the next page is before the page's first item."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> dict[str, Any]:
        if "first_id" not in request.url.params:
            return {"limit": 2, "has_more": True, "data": _items("m3", "m4")}
        return {"limit": 2, "has_more": False, "data": _items("m1", "m2")}

    dify = _client(answer, requests)
    page = await dify.messages.list(conversation_id="c1", user="u1", limit=2)
    assert [m.id async for m in page] == ["m3", "m4", "m1", "m2"]
    assert dict(requests[1].url.params) == {
        "conversation_id": "c1",
        "user": "u1",
        "first_id": "m3",
        "limit": "2",
    }


@pytest.mark.anyio
async def test_feedback_list_asks_for_the_next_page_only_after_a_full_page() -> None:
    """/app/feedbacks sends only ``data``: a full page means there may be more."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> dict[str, Any]:
        page = int(request.url.params.get("page", "1"))
        return {"data": _items("f1", "f2") if page == 1 else _items("f3")}

    dify = _client(answer, requests)
    first = await dify.feedbacks.list(limit=2)
    assert (first.has_more, first.page, first.limit) == (True, 1, 2)
    assert [f.id async for f in first] == ["f1", "f2", "f3"]
    assert [r.url.params.get("page") for r in requests] == [None, "2"]


@pytest.mark.anyio
async def test_short_feedback_page_is_the_last() -> None:
    """A page with fewer items than the limit (default 20) ends the walk without a request."""
    requests: list[httpx.Request] = []
    dify = _client(lambda _: {"data": _items("f1")}, requests)
    page = await dify.feedbacks.list()
    assert not page.has_more
    assert [f.id async for f in page] == ["f1"]
    assert len(requests) == 1


@pytest.mark.anyio
async def test_workflow_logs_and_annotations_walk_numbered_pages() -> None:
    """Numbered lists fetch page n+1 while Dify reports has_more."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> dict[str, Any]:
        page = int(request.url.params.get("page", "1"))
        return {
            "page": page,
            "limit": 1,
            "total": 2,
            "has_more": page < 2,
            "data": _items(f"l{page}"),
        }

    dify = _client(answer, requests)
    logs = await dify.workflows.logs(status="succeeded", limit=1)
    assert [log.id async for log in logs] == ["l1", "l2"]
    assert dict(requests[1].url.params) == {"status": "succeeded", "page": "2", "limit": "1"}
    annotations = await dify.annotations.list(keyword="k", limit=1)
    assert [a.id async for a in annotations] == ["l1", "l2"]


@pytest.mark.anyio
async def test_conversation_variables_walk_after_the_last_variable() -> None:
    """conversations.variables is a cursor list on ``last_id``."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> dict[str, Any]:
        if "last_id" not in request.url.params:
            return {"limit": 1, "has_more": True, "data": _items("v1")}
        return {"limit": 1, "has_more": False, "data": _items("v2")}

    dify = _client(answer, requests)
    variables = await dify.conversations.variables("c1", limit=1)
    assert [v.id async for v in variables] == ["v1", "v2"]
    assert requests[1].url.path == "/v1/conversations/c1/variables"
    assert requests[1].url.params["last_id"] == "v1"
    assert json.loads(requests[1].content or b"null") is None
