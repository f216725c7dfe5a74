"""Plain httpx into the emulator, for its own tests: clients, SSE frames, list pages.

The emulator's tests speak raw HTTP, as any Dify client would, so they check its status codes,
JSON bodies and SSE frames themselves and never depend on the SDK.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, cast

import httpx
from difykit_testing import DifyEmulator

BASE_URL = "http://dify.test/v1"

Frame = dict[str, Any]
"""One ``data:`` frame of a stream, as decoded JSON."""

ANSWER_EVENTS = frozenset({"message", "agent_message"})


def client(emulator: DifyEmulator, api_key: str, **options: Any) -> httpx.Client:
    """A sync httpx client into the emulator, in-process, sending ``api_key`` as Bearer."""
    return httpx.Client(
        transport=emulator.transport(),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {api_key}"},
        **options,
    )


def async_client(emulator: DifyEmulator, api_key: str, **options: Any) -> httpx.AsyncClient:
    """An async httpx client into the emulator, in-process, sending ``api_key`` as Bearer."""
    return httpx.AsyncClient(
        transport=emulator.async_transport(),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {api_key}"},
        **options,
    )


def _frame(line: str) -> Frame | None:
    """The JSON of a ``data:`` line; ``None`` for any other line."""
    if not line.startswith("data: "):
        return None
    decoded: Frame = json.loads(line[len("data: ") :])
    return decoded


def sse_frames(body: str) -> list[Frame]:
    """The ``data:`` frames of a whole SSE body, in order (pings left out)."""
    frames: list[Frame] = []
    for block in body.split("\n\n"):
        decoded = _frame(block)
        if decoded is not None:
            frames.append(decoded)
    return frames


def sse_names(body: str) -> list[str]:
    """The frames of a whole SSE body by name: each event's name, ``ping`` for keep-alives."""
    names: list[str] = []
    for block in body.split("\n\n"):
        if block == "event: ping":
            names.append("ping")
        elif (decoded := _frame(block)) is not None:
            names.append(decoded["event"])
    return names


def iter_sse(response: httpx.Response) -> Iterator[Frame]:
    """The ``data:`` frames of a streamed response, each as soon as it arrives."""
    for line in response.iter_lines():
        decoded = _frame(line)
        if decoded is not None:
            yield decoded


async def aiter_sse(response: httpx.Response) -> AsyncIterator[Frame]:
    """The ``data:`` frames of a streamed async response, each as soon as it arrives."""
    async for line in response.aiter_lines():
        decoded = _frame(line)
        if decoded is not None:
            yield decoded


def answer_of(frames: Iterable[Frame]) -> str:
    """The answer the ``message`` (or ``agent_message``) frames of a stream add up to."""
    return "".join(f["answer"] for f in frames if f["event"] in ANSWER_EVENTS)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The JSON object a response carries; any other JSON value fails the test."""
    body: object = response.json()
    assert isinstance(body, dict), f"expected a JSON object, got {body!r}"
    return cast("dict[str, Any]", body)  # a JSON object: its keys are strings


def json_array(response: httpx.Response) -> list[Any]:
    """The JSON array a response carries; any other JSON value fails the test."""
    body: object = response.json()
    assert isinstance(body, list), f"expected a JSON array, got {body!r}"
    return list[Any](cast("list[object]", body))  # its items are any JSON values


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    """A Dify error answer as (status, ``code``, ``message``)."""
    body = json_object(response)
    return response.status_code, body["code"], body["message"]


def walk_cursor(
    http: httpx.Client, path: str, params: Mapping[str, Any], *, cursor: str = "last_id"
) -> list[Any]:
    """Every item of a cursor-paged list, page after page while ``has_more``.

    ``last_id`` pages continue after the last item of a page; ``first_id`` pages (messages)
    continue before its first item.
    """
    items: list[Any] = []
    query = dict(params)
    while True:
        body = json_object(http.get(path, params=query))
        items.extend(body["data"])
        if not body["has_more"] or not body["data"]:
            return items
        query[cursor] = body["data"][-1 if cursor == "last_id" else 0]["id"]


def walk_pages(http: httpx.Client, path: str, params: Mapping[str, Any]) -> list[Any]:
    """Every item of a page-numbered list: pages 1, 2, … until one is empty or the last."""
    items: list[Any] = []
    page = 1
    while True:
        body = json_object(http.get(path, params={**params, "page": page}))
        items.extend(body["data"])
        if not body["data"] or not body.get("has_more", True):
            return items
        page += 1
