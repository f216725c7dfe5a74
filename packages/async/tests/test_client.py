"""The client's own life: key and URL from the environment, key checks, options and closing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from difykit_async import AsyncDify
from difykit_core import InvalidRequestError, Observer

PAGE_OK: dict[str, object] = {"limit": 20, "has_more": False, "data": []}


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
    assert other._transport.pool.http is dify._transport.pool.http  # pyright: ignore[reportPrivateUsage]
    await other.aclose()
    assert not dify._transport.pool.http.is_closed  # pyright: ignore[reportPrivateUsage]


@pytest.mark.anyio
async def test_aclose_leaves_an_injected_http_client_open() -> None:
    """A shared httpx.AsyncClient belongs to its creator: closing the Dify client keeps it open."""
    shared = httpx.AsyncClient()
    async with AsyncDify(api_key="app-test", http_client=shared):
        pass
    assert not shared.is_closed
    owned = AsyncDify(api_key="app-test")
    await owned.aclose()
    assert owned._transport.pool.http.is_closed  # pyright: ignore[reportPrivateUsage]
    await shared.aclose()


@pytest.mark.anyio
async def test_a_with_options_sibling_of_an_owned_pool_closes_nothing() -> None:
    """Closing a sibling leaves the pool its parent created open; closing the parent closes it."""
    dify = AsyncDify(api_key="app-test")
    other = dify.with_options(max_retries=0)
    await other.aclose()
    assert not dify._transport.pool.http.is_closed  # pyright: ignore[reportPrivateUsage]
    await dify.aclose()
    assert dify._transport.pool.http.is_closed  # pyright: ignore[reportPrivateUsage]


@pytest.mark.anyio
async def test_with_options_can_replace_the_observers() -> None:
    """with_options(observers=[...]) gives a sibling with other observers; the parent keeps its."""

    class Quiet(Observer):
        pass

    first, second = Quiet(), Quiet()
    dify = AsyncDify(api_key="app-test", base_url="http://dify.test/v1", observers=[first])
    sibling = dify.with_options(observers=[*dify.observers, second])
    assert dify.observers == (first,)
    assert sibling.observers == (first, second)
    assert dify.with_options(timeout=5).observers == (first,)
    await dify.aclose()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": "5"}, "timeout must be a number of seconds"),
        ({"stream_idle_timeout": -1}, "stream_idle_timeout must be a positive"),
        ({"max_retries": -1}, "max_retries must be 0 or more"),
        ({"max_retry_after": -1}, "max_retry_after must be 0 or more"),
        ({"http_client": object()}, "http_client must be an httpx.AsyncClient"),
    ],
)
def test_bad_options_are_refused_when_the_client_is_built(
    options: dict[str, Any], words: str
) -> None:
    """Each bad option is a ValueError/TypeError naming it, before any request."""
    with pytest.raises((ValueError, TypeError), match=words):
        AsyncDify(api_key="app-test", base_url="http://dify.test/v1", **options)


def test_a_key_of_only_spaces_is_a_missing_key() -> None:
    """A blank key fails at construction as "no API key", not later as a bad header."""
    with pytest.raises(InvalidRequestError, match="no API key"):
        AsyncDify(api_key="   ", base_url="http://dify.test/v1")
