"""The client's own life: key and URL from the environment, key checks, options and closing."""

from __future__ import annotations

import httpx
import pytest
from difykit_async import AsyncDify
from difykit_core import InvalidRequestError

PAGE_OK = {"limit": 20, "has_more": False, "data": []}


def recording(seen: list[httpx.Request]) -> httpx.MockTransport:
    """A transport that answers an empty page and keeps each request in ``seen``."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=PAGE_OK)

    return httpx.MockTransport(handler)


@pytest.mark.anyio
async def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """DIFY_API_KEY and DIFY_BASE_URL are used when no arguments are given."""
    monkeypatch.setenv("DIFY_API_KEY", "app-from-env")
    monkeypatch.setenv("DIFY_BASE_URL", "http://env.test/v1/")
    seen: list[httpx.Request] = []
    dify = AsyncDify(http_client=httpx.AsyncClient(transport=recording(seen)))
    await dify.conversations.list()
    assert str(seen[0].url) == "http://env.test/v1/conversations"
    assert seen[0].headers["authorization"] == "Bearer app-from-env"


def test_a_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without api_key or DIFY_API_KEY the client refuses to start and says how to fix it."""
    monkeypatch.delenv("DIFY_API_KEY", raising=False)
    with pytest.raises(InvalidRequestError, match="DIFY_API_KEY"):
        AsyncDify()


@pytest.mark.parametrize("key", ["app-…", "app-abc def", "dataset-\u00e9"])
def test_a_malformed_key_is_refused_before_anything_is_sent(key: str) -> None:
    """A pasted placeholder or a key with spaces fails clearly instead of deep inside httpx."""
    with pytest.raises(InvalidRequestError, match="API key"):
        AsyncDify(api_key=key)


@pytest.mark.anyio
async def test_with_options_shares_the_pool_and_changes_the_key() -> None:
    """A sibling client made by with_options sends its own key over the same httpx client."""
    seen: list[httpx.Request] = []
    dify = AsyncDify(
        api_key="app-test",
        base_url="http://dify.test/v1",
        http_client=httpx.AsyncClient(transport=recording(seen)),
    )
    other = dify.with_options(api_key="app-other")
    await other.conversations.list()
    assert seen[0].headers["authorization"] == "Bearer app-other"
    assert other._transport.pool.http is dify._transport.pool.http
    await other.aclose()
    assert not dify._transport.pool.http.is_closed


@pytest.mark.anyio
async def test_aclose_leaves_an_injected_http_client_open() -> None:
    """A shared httpx.AsyncClient belongs to its creator: closing the Dify client keeps it open."""
    shared = httpx.AsyncClient()
    async with AsyncDify(api_key="app-test", http_client=shared):
        pass
    assert not shared.is_closed
    owned = AsyncDify(api_key="app-test")
    await owned.aclose()
    assert owned._transport.pool.http.is_closed
    await shared.aclose()


@pytest.mark.anyio
async def test_a_with_options_sibling_of_an_owned_pool_closes_nothing() -> None:
    """Closing a sibling leaves the pool its parent created open; closing the parent closes it."""
    dify = AsyncDify(api_key="app-test")
    other = dify.with_options(max_retries=0)
    await other.aclose()
    assert not dify._transport.pool.http.is_closed
    await dify.aclose()
    assert dify._transport.pool.http.is_closed
