"""``DifyEmulator``: an in-memory Dify Service API as a Starlette app."""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from ._asgi import AsyncEmulatorTransport, EmulatorTransport, LoopThread
from ._emulator_state import EmulatorState
from ._errors import DifyHTTPError, error_response, handle_dify_error, not_found_page
from ._faults import Faults
from ._ids import new_key
from ._knowledge_state import KnowledgeState
from ._serve import serve_app
from ._state import AppMode, AppState, InputVariable, Reply
from .routes import all_routes

__all__ = ["DifyEmulator"]


class _FaultMiddleware:
    """Applies latency and injected failures before any route runs."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self._app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        delay = self._faults.take_delay()
        if delay:
            await anyio.sleep(delay)
        failure = self._faults.take_failure()
        if failure is None:
            # A client that gave up (a timeout during injected latency, say) before its body
            # was read has nobody left to answer: a server drops the request quietly.
            with contextlib.suppress(ClientDisconnect):
                await self._app(scope, receive, send)
            return
        response = error_response(failure.status, failure.code, failure.message)
        if failure.retry_after is not None:
            response.headers["Retry-After"] = failure.retry_after
        await response(scope, receive, send)


class DifyEmulator:
    """An in-memory Dify Service API: apps of every mode, knowledge bases, fault injection.

    Use it in-process with httpx (:meth:`transport`, :meth:`async_transport`) or on a real
    loopback port (:meth:`serve`). Apps get app keys from :meth:`add_app`; the knowledge API
    takes :attr:`dataset_key`.

    Example::

        emu = DifyEmulator()
        app = emu.add_app(mode="chat", reply="Hello!")
        with emu.serve() as base_url:
            ...  # Dify(api_key=app.api_key, base_url=base_url)
    """

    def __init__(self, *, dataset_key: str | None = None) -> None:
        """Start empty but for a knowledge key (``dataset_key``, or a new ``dataset-…`` one)."""
        self._state = EmulatorState()
        self.dataset_key: str = self.add_dataset_key(dataset_key)
        """A knowledge key (``dataset-…``) for the emulated workspace."""
        self._loop: LoopThread | None = None
        self._starlette = Starlette(
            routes=[Mount("/v1", routes=all_routes())],
            exception_handlers={DifyHTTPError: handle_dify_error, HTTPException: not_found_page},
        )
        self._starlette.state.emulator_state = self._state
        self.app: ASGIApp = _FaultMiddleware(self._starlette, self._state.faults)
        """The ASGI application (mount it, or serve it with any ASGI server)."""

    # --- state -------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """Fault injection (latency, pacing, failures, cut or stalled streams)."""
        return self._state.faults

    @property
    def apps_by_key(self) -> dict[str, AppState]:
        """The apps, each under its app key (``app-…``)."""
        return self._state.apps_by_key

    @property
    def dataset_keys(self) -> set[str]:
        """The knowledge keys (``dataset-…``) the knowledge routes accept."""
        return self._state.dataset_keys

    @property
    def knowledge(self) -> KnowledgeState:
        """The knowledge bases: datasets, documents, chunks, tags, metadata, indexing knobs."""
        return self._state.knowledge

    # --- setup -------------------------------------------------------------------------------

    def add_app(
        self,
        *,
        mode: AppMode = "chat",
        name: str | None = None,
        reply: Reply = None,
        inputs: Sequence[str | InputVariable] = (),
        outputs: Sequence[str] = (),
        opening_statement: str = "",
        suggested_questions: Sequence[str] = (),
        suggested_questions_after_answer: bool = False,
        speech_to_text: bool = False,
        text_to_speech: bool = False,
        api_key: str | None = None,
    ) -> AppState:
        """Add an app and return it (its ``api_key`` authorizes the app routes).

        Args:
            mode: ``chat``, ``agent-chat``, ``advanced-chat``, ``completion`` or ``workflow``.
            name: The app's name (``/info``); default ``"<mode> app"``.
            reply: What it answers (see :data:`difykit_testing.Reply`); echo by default.
            inputs: Declared input variables (names, or :class:`InputVariable` for details).
            outputs: A workflow's output names (default: its input names).
            opening_statement: Shown by ``/parameters``.
            suggested_questions: Shown by ``/parameters``.
            suggested_questions_after_answer: Enables ``messages.suggested``.
            speech_to_text: Enables ``/audio-to-text``.
            text_to_speech: Enables ``/text-to-audio``.
            api_key: A fixed key (default: a new ``app-…`` key).
        """
        declared = [v if isinstance(v, InputVariable) else InputVariable(v) for v in inputs]
        app = AppState(
            mode=mode,
            name=name or f"{mode} app",
            api_key=api_key or new_key("app-"),
            reply=reply,
            inputs=declared,
            outputs=list(outputs) or [v.variable for v in declared],
            opening_statement=opening_statement,
            suggested_questions=list(suggested_questions),
            suggested_questions_after_answer=suggested_questions_after_answer,
            speech_to_text=speech_to_text,
            text_to_speech=text_to_speech,
        )
        self.apps_by_key[app.api_key] = app
        return app

    def add_dataset_key(self, api_key: str | None = None) -> str:
        """Add a knowledge key (``dataset-…``) and return it."""
        key = api_key or new_key("dataset-")
        self.dataset_keys.add(key)
        return key

    # --- ways in -----------------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """A sync httpx transport into the emulator: ``httpx.Client(transport=emu.transport())``."""
        if self._loop is None:
            self._loop = LoopThread()
        return EmulatorTransport(self.app, self._loop)

    def async_transport(self) -> AsyncEmulatorTransport:
        """An async httpx transport into the emulator (asyncio)."""
        return AsyncEmulatorTransport(self.app)

    @contextmanager
    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> Generator[str, None, None]:
        """Serve on a real loopback port (random by default); yield the base URL (``…/v1``)."""
        with serve_app(self.app, host=host, port=port) as base_url:
            yield base_url

    def close(self) -> None:
        """Stop the background loop of the sync transport, if one was started."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> DifyEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        modes: dict[str, Any] = {}
        for app in self.apps_by_key.values():
            modes[app.mode] = modes.get(app.mode, 0) + 1
        return f"DifyEmulator(apps={modes})"
