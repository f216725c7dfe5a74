"""Fixtures: an emulated Dify on one loopback port and the proxy, served by uvicorn, on another."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import openai
import pytest
from difykit_proxy import create_app, load_settings
from difykit_proxy._demo import _agent_reply  # pyright: ignore[reportPrivateUsage]
from difykit_proxy._server import serve_in_thread
from difykit_testing import DifyEmulator, EmulatedApp
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KEY = "sk-test-one"
OTHER_KEY = "sk-test-two"
MODES = ["chat", "agent", "chatflow", "completion", "workflow"]


def counting_reply(query: Any, conversation: Any) -> str:
    """A chatbot that says how many earlier turns its Dify conversation holds."""
    turns = len(conversation.messages) if conversation is not None else 0
    return f"[{turns}] {query}"


class Recorder:
    """ASGI middleware in front of the emulator that records each request's path and body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        self.requests.append((scope["method"], scope["path"], bytes(body)))

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    def paths(self) -> list[str]:
        """The paths requested so far."""
        return [path for _, path, _ in self.requests]


@dataclass
class Stack:
    """The emulator, its apps by model name, and the proxy's base URL."""

    emulator: DifyEmulator
    apps: dict[str, EmulatedApp]
    recorder: Recorder
    dify_url: str
    base_url: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    clients: list[openai.OpenAI] = field(default_factory=list)

    def client(self, key: str = KEY, **options: Any) -> openai.OpenAI:
        """An openai client for the proxy (no retries unless asked; closed at teardown)."""
        options.setdefault("max_retries", 0)
        client = openai.OpenAI(base_url=self.base_url, api_key=key, **options)
        self.clients.append(client)
        return client

    def close(self) -> None:
        """Close the clients made by :meth:`client`."""
        for client in self.clients:
            client.close()

    def aclient(self, key: str = KEY, **options: Any) -> openai.AsyncOpenAI:
        """An async openai client for the proxy (no retries unless asked)."""
        options.setdefault("max_retries", 0)
        return openai.AsyncOpenAI(base_url=self.base_url, api_key=key, **options)

    @contextlib.contextmanager
    def proxy(self, **overrides: Any) -> Generator[str, None, None]:
        """Serve a (new) proxy in front of the emulator; yield its base URL."""
        defaults: dict[str, Any] = {
            "proxy_keys": [KEY, OTHER_KEY],
            "apps": {name: {"key": app.api_key} for name, app in self.apps.items()},
            "dify_base_url": self.dify_url,
        }
        settings = load_settings(None, env_file=None, **(defaults | self.settings | overrides))
        with serve_in_thread(create_app(settings)) as url:
            self.base_url = url
            yield url


def build_emulator() -> tuple[DifyEmulator, dict[str, EmulatedApp]]:
    """One app of each mode, named as the proxy's models."""
    emulator = DifyEmulator()
    apps = {
        "chat": emulator.add_app(mode="chat", reply=counting_reply),
        "agent": emulator.add_app(mode="agent-chat", name="Agent", reply=_agent_reply),
        "chatflow": emulator.add_app(mode="advanced-chat", name="Chatflow"),
        "completion": emulator.add_app(mode="completion", name="Writer"),
        "workflow": emulator.add_app(mode="workflow", name="Flow", inputs=["text"]),
    }
    return emulator, apps


@pytest.fixture
def make_stack() -> Iterator[Callable[..., Stack]]:
    """Build a stack (emulator served, proxy served) with settings overrides."""
    with contextlib.ExitStack() as exits:

        def make(**settings: Any) -> Stack:
            emulator, apps = build_emulator()
            recorder = Recorder(emulator.app)
            dify_url = exits.enter_context(serve_in_thread(recorder))
            stack = Stack(emulator, apps, recorder, dify_url, settings=settings)
            exits.enter_context(stack.proxy())
            exits.callback(stack.close)
            return stack

        yield make


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    """The default stack."""
    return make_stack()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (as uvicorn does)."""
    return "asyncio"
