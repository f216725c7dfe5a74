"""The peer Dify SDKs, installed from PyPI by ``nox -s bench`` and measured beside difykit.

Three of them import as ``dify_client``, so each is installed on its own (``uv pip install
--no-deps --target <venv>/peers/<dist>``, its dependencies into the venv) and loaded here under
its own set of ``sys.modules`` entries: ``Peer.active()`` puts them in place while it runs.
A peer that is not installed or fails to import is kept, with the reason, so that its rows say
so. Each adapter does what that peer's README shows a user doing for one chat call.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import API_KEY, USER

PEERS_DIR = Path(os.environ.get("DIFYKIT_BENCH_PEERS", Path(sys.prefix) / "peers"))
BlockingCall = Callable[[], object]
AsyncBlockingCall = Callable[[], Awaitable[object]]
StreamCall = Callable[[], Iterator[object]]
AsyncStreamCall = Callable[[], AsyncIterator[object]]


@dataclass
class Peer:
    """One peer SDK: its distribution, import name, what its stream yields, its modules."""

    dist: str
    top: str
    yields: str
    """What its stream gives the caller: typed events, dicts (parsed by the user) or bytes."""
    version: str = ""
    error: str = ""
    """Why it cannot be measured (not installed, import failed); empty when it can."""
    modules: dict[str, ModuleType] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``dist version``."""
        return f"{self.dist} {self.version}".strip()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Its modules in ``sys.modules`` (for imports it does lazily) while the block runs."""
        saved = _take(self.top)
        sys.modules.update(self.modules)
        try:
            yield
        finally:
            _take(self.top)
            sys.modules.update(saved)


PEERS = [
    Peer("dify-client-python", "dify_client", "typed events"),
    Peer("dify-python-sdk", "dify_client", "dicts (httpx lines + json.loads by the user)"),
    Peer("dify-client", "dify_client", "dicts (requests lines + json.loads by the user)"),
    Peer("dify-oapi2", "dify_oapi", "bytes (chunks; frames + json.loads by the user)"),
]


def _take(top: str) -> dict[str, ModuleType]:
    """Remove ``top`` and its submodules from ``sys.modules``; return them."""
    return {
        name: sys.modules.pop(name)
        for name in list(sys.modules)
        if name == top or name.startswith(top + ".")
    }


def load() -> list[Peer]:
    """Import every installed peer in isolation; a failure is recorded on the peer."""
    for peer in PEERS:
        if peer.modules or peer.error:
            continue
        where = PEERS_DIR / peer.dist
        infos = list(where.glob(f"{peer.dist.replace('-', '_')}-*.dist-info"))
        if not infos:
            peer.error = f"not installed (no {where})"
            continue
        peer.version = infos[0].name.removesuffix(".dist-info").rpartition("-")[2]
        saved = _take(peer.top)
        sys.path.insert(0, str(where))
        try:
            importlib.import_module(peer.top)
            for extra in _SUBMODULES.get(peer.dist, ()):
                importlib.import_module(extra)
        except Exception as exc:  # a peer that does not import gets a row saying so
            peer.error = f"import failed: {type(exc).__name__}: {exc}"
        finally:
            sys.path.remove(str(where))
            peer.modules = _take(peer.top)
            sys.modules.update(saved)
    return PEERS


def pythonpath(peer: Peer) -> str:
    """A PYTHONPATH for a fresh interpreter that should import this peer."""
    return os.pathsep.join([str(PEERS_DIR / peer.dist), *filter(None, [os.getenv("PYTHONPATH")])])


_SUBMODULES = {
    "dify-client-python": ("dify_client.models", "dify_client._clientx"),
    "dify-oapi2": ("dify_oapi.client", "dify_oapi.api.chat.v1.model.chat_request"),
}


def _module(peer: Peer, name: str) -> Any:
    return peer.modules[name]


# --- what a user writes for one chat call, per peer ---------------------------------------------


def _bare_events(lines: Iterator[str] | Iterator[bytes]) -> Iterator[object]:
    """What the untyped peers' READMEs leave to the user: ``data:`` lines through json.loads."""
    for line in lines:
        if line[:5] in ("data:", b"data:"):
            yield json.loads(line[5:])


def _frames_events(chunks: Iterator[bytes]) -> Iterator[object]:
    """Frames split on blank lines, json.loads of each data line (for a bytes-yielding peer)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        frames = buffer.split(b"\n\n")
        buffer = frames.pop()
        for frame in frames:
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    yield json.loads(line[5:])


def blocking(peer: Peer, base_url: str, query: str) -> BlockingCall:
    """One blocking chat call, parsed as the peer returns it (a model, or ``.json()``)."""
    m = peer.modules
    if peer.dist == "dify-client-python":
        models = m["dify_client.models"]
        client = m["dify_client"].Client(api_key=API_KEY, api_base=base_url)
        request = models.ChatRequest(
            query=query, user=USER, response_mode=models.ResponseMode.BLOCKING
        )
        return lambda: client.chat_messages(request)
    if peer.dist == "dify-python-sdk":
        sdk = m["dify_client"].ChatClient(api_key=API_KEY, base_url=base_url)
        return lambda: sdk.create_chat_message(inputs={}, query=query, user=USER).json()
    if peer.dist == "dify-client":
        official = m["dify_client"].ChatClient(API_KEY)
        official.base_url = base_url
        return lambda: official.create_chat_message(inputs={}, query=query, user=USER).json()
    oapi, call = _oapi(peer, base_url, query, "blocking")
    return lambda: oapi.chat.v1.chat.chat(*call)


def ablocking(peer: Peer, base_url: str, query: str) -> AsyncBlockingCall | None:
    """The async twin of ``blocking``, where the peer has one (call inside the event loop)."""
    m = peer.modules
    if peer.dist == "dify-client-python":
        models, clientx = m["dify_client.models"], m["dify_client._clientx"]
        clientx._async_httpx_client = clientx.httpx.AsyncClient()  # one per event loop
        client = m["dify_client"].AsyncClient(api_key=API_KEY, api_base=base_url)
        request = models.ChatRequest(
            query=query, user=USER, response_mode=models.ResponseMode.BLOCKING
        )
        return lambda: client.achat_messages(request)
    if peer.dist == "dify-python-sdk":
        sdk = m["dify_client"].AsyncChatClient(api_key=API_KEY, base_url=base_url)

        async def call() -> object:
            response = await sdk.create_chat_message(inputs={}, query=query, user=USER)
            return response.json()

        return call
    if peer.dist == "dify-oapi2":
        oapi, args = _oapi(peer, base_url, query, "blocking")
        return lambda: oapi.chat.v1.chat.achat(*args)
    return None


def stream(peer: Peer, base_url: str, query: str) -> StreamCall:
    """A streaming chat call: an iterator of what the caller gets per event."""
    m = peer.modules
    if peer.dist == "dify-client-python":
        models = m["dify_client.models"]
        client = m["dify_client"].Client(api_key=API_KEY, api_base=base_url)
        request = models.ChatRequest(
            query=query, user=USER, response_mode=models.ResponseMode.STREAMING
        )
        return lambda: client.chat_messages(request)
    if peer.dist == "dify-python-sdk":
        sdk = m["dify_client"].ChatClient(api_key=API_KEY, base_url=base_url)

        def sdk_events() -> Iterator[object]:
            response = sdk.create_chat_message(
                inputs={}, query=query, user=USER, response_mode="streaming"
            )
            yield from _bare_events(response.iter_lines())

        return sdk_events
    if peer.dist == "dify-client":
        official = m["dify_client"].ChatClient(API_KEY)
        official.base_url = base_url

        def official_events() -> Iterator[object]:
            response = official.create_chat_message(
                inputs={}, query=query, user=USER, response_mode="streaming"
            )
            with response:
                yield from _bare_events(response.iter_lines())

        return official_events
    oapi, call = _oapi(peer, base_url, query, "streaming")
    return lambda: _frames_events(oapi.chat.v1.chat.chat(*call, stream=True))


def decoder(peer: Peer) -> Callable[[list[bytes]], int] | None:
    """The peer's own stream decoding fed in-memory chunks, where it can be (else None).

    dify-client-python decodes with httpx-sse over an ``httpx.Response``, then builds its
    typed event: that pipeline takes a response streaming our chunks, no socket.
    """
    if peer.dist != "dify-client-python" or peer.error:
        return None
    models = peer.modules["dify_client.models"]
    clientx = peer.modules["dify_client._clientx"]
    build, httpx = models.build_chat_stream_response, clientx.httpx
    event_source = sys.modules["httpx_sse"].EventSource
    ignored = clientx.IGNORED_STREAM_EVENTS

    def decode(chunks: list[bytes]) -> int:
        response = httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=iter(chunks)
        )
        count = 0
        for sse in event_source(response).iter_sse():
            if sse.event in ignored or sse.data in ignored:
                continue
            build(sse.json())
            count += 1
        return count

    return decode


def _oapi(peer: Peer, base_url: str, query: str, mode: str) -> tuple[Any, tuple[Any, Any]]:
    """dify-oapi2's client (builder pattern, as its README) and the (request, option) pair."""
    m = peer.modules
    oapi = m["dify_oapi.client"].Client.builder().domain(base_url.removesuffix("/v1")).build()
    chat = m["dify_oapi.api.chat.v1.model.chat_request"]
    body_module = m["dify_oapi.api.chat.v1.model.chat_request_body"]
    option_module = m["dify_oapi.core.model.request_option"]
    body = body_module.ChatRequestBody.builder().query(query).user(USER).inputs({})
    request = chat.ChatRequest.builder().request_body(body.response_mode(mode).build()).build()
    option = option_module.RequestOption.builder().api_key(API_KEY).build()
    return oapi, (request, option)
