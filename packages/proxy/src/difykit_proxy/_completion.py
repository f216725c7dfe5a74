"""One chat completion in flight: plan the Dify call, open the stream, relay or collect it.

:class:`Completion` wires the pure pieces (:mod:`._translate`, :mod:`._tools`) to the I/O
(registry, conversation store, uploads, the upstream stream). Upstream always streams; a
non-stream request collects the same events. A completion that does not reach its end (the
client hung up, or the proxy is stopping) closes the upstream stream and asks Dify to stop
the task with the same ``user``, in the background, within ``stop_timeout``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import anyio
from difykit_async import AsyncStream
from difykit_core.errors import DifyError, NotFoundError
from difykit_core.models.events import BaseEvent
from difykit_core.types import RemoteFile, UploadedFile
from pydantic import JsonValue

from ._files import check_files, prepare_files
from ._metrics import Metrics
from ._openai import ChatCompletionRequest
from ._registry import App, AppRegistry
from ._settings import ProxySettings
from ._store import ConversationStore
from ._tools import parse_tool_calls, tool_names, tool_prompt
from ._translate import (
    Json,
    ProxyError,
    StreamTranslator,
    ToolCallOut,
    Turn,
    assistant_reply,
    error_from_dify,
    history_key,
    split_turn,
)

__all__ = ["Completion", "Services"]

log = logging.getLogger("difykit_proxy")

CHAT_MODES = frozenset({"chat", "agent-chat", "advanced-chat"})
_TEXT_CONTROLS = frozenset({"text-input", "paragraph", "select"})
_FILE_CONTROLS = frozenset({"file", "file-list"})


@dataclass
class Services:
    """What every request shares: settings, apps, the conversation store, background tasks."""

    settings: ProxySettings
    registry: AppRegistry
    store: ConversationStore
    metrics: Metrics = field(default_factory=Metrics)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background (kept referenced until it ends)."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for background work (stop calls) to end."""
        if self.background:
            await asyncio.wait(list(self.background), timeout=timeout)


def _tool_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def dumps(value: Json) -> str:
    """Compact JSON for an SSE ``data:`` line."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text_inputs(app: App) -> list[str]:
    return [
        item.variable
        for entry in app.parameters.user_input_form
        for control, item in entry.items()
        if control in _TEXT_CONTROLS
    ]


def _required_inputs(app: App) -> list[str]:
    return [
        item.variable
        for entry in app.parameters.user_input_form
        for control, item in entry.items()
        if item.required and control not in _FILE_CONTROLS
    ]


def _fill_inputs(app: App, inputs: dict[str, JsonValue], query: str) -> None:
    """Put the user's message in the input variable that takes it (workflow, completion)."""
    if app.mode not in ("workflow", "completion"):
        return
    names = _text_inputs(app)
    target = app.config.input
    unfilled = [n for n in names if n not in inputs]
    if target is None and "query" in names:
        target = "query"
    if target is None and app.mode == "workflow":
        if len(unfilled) == 1:
            target = unfilled[0]
        elif not names and not inputs:
            raise ProxyError(
                400,
                f"The Dify workflow {app.name!r} has no text input for the message; "
                'send its inputs as extra_body={"dify": {"inputs": {...}}}.',
                code="no_text_input",
                param="messages",
            )
        elif len(unfilled) > 1:
            raise ProxyError(
                400,
                f"The Dify workflow {app.name!r} has several text inputs ({', '.join(unfilled)}); "
                "set apps.<name>.input on the proxy, or send the others in dify.inputs.",
                code="ambiguous_input",
                param="dify.inputs",
            )
    if target is not None:
        inputs.setdefault(target, query)


class Completion:
    """One ``POST /v1/chat/completions``: :meth:`open`, then :meth:`chunks` or :meth:`collect`."""

    def __init__(
        self,
        services: Services,
        request: ChatCompletionRequest,
        *,
        tenant: str,
        conversation_header: str | None = None,
    ) -> None:
        """Prepare a completion (nothing is sent until :meth:`open`).

        Args:
            services: The shared registry, store and settings.
            request: The validated request.
            tenant: A digest of the proxy key that authorized it.
            conversation_header: ``X-Dify-Conversation-Id``, if sent.
        """
        self.services = services
        self.request = request
        self.tenant = tenant
        self._conversation_header = conversation_header
        self._taken: tuple[str, str] | None = None
        self.stream: AsyncStream[Any, Any] | None = None
        self._first: BaseEvent | None = None
        self._translator: StreamTranslator | None = None
        self.turn: Turn | None = None
        self.model_name: str | None = None
        """The model's name once it resolved to an app."""
        self.also_remember: list[str] = []
        """More store keys for the conversation after the answer (Responses ids)."""

    @property
    def translator(self) -> StreamTranslator:
        """The translator of the answer's events into chunks (set by :meth:`open`).

        Raises:
            RuntimeError: :meth:`open` has not completed.
        """
        if self._translator is None:
            raise RuntimeError("the completion is not open: await Completion.open() first")
        return self._translator

    # --- planning ----------------------------------------------------------------------------

    def _user(self) -> str:
        request, settings = self.request, self.services.settings
        named = (request.dify.user if request.dify else None) or request.user
        named = named or request.safety_identifier or settings.default_user
        return named or f"difykit-proxy-{self.tenant[:16]}"

    async def _conversation(self, app: App, turn: Turn, user: str) -> str | None:
        explicit = (self.request.dify.conversation_id if self.request.dify else None) or (
            self._conversation_header
        )
        if explicit or app.mode not in CHAT_MODES or app.config.messages_input:
            return explicit
        if not turn.prior:
            return None
        key = history_key(tenant=self.tenant, app=app.identity, user=user, messages=turn.prior)
        found = await self.services.store.take(key)
        if found is not None:
            self._taken = (key, found)
        return found

    def _query(self, app: App, turn: Turn, *, continuing: bool) -> str:
        if app.config.messages_input:
            continuing = True  # the history travels in the input variable
        query = turn.query(continuing=continuing, history=self.services.settings.history)
        if self._emulating_tools():
            query = (
                f"{query}\n\n---\n{tool_prompt(self.request.tools or [], self.request.tool_choice)}"
            )
        return query

    def _emulating_tools(self) -> bool:
        return self.services.settings.tools == "emulate" and bool(self.request.tools)

    async def open(self) -> None:
        """Resolve the app and conversation, upload files, open the upstream stream.

        Raises:
            ProxyError: The request cannot be served, or Dify refused it before answering.
        """
        request, settings = self.request, self.services.settings
        self.app = app = await self.services.registry.resolve(request.model)
        self.model_name = app.name
        self.user = user = self._user()
        self.turn = turn = split_turn(request.messages)
        conversation_id = await self._conversation(app, turn, user)
        try:
            checked = check_files(turn.files, app.parameters, model=app.name)
            files = await prepare_files(checked, client=app.client, user=user, model=app.name)
            try:
                stream = await self._start(app, turn, user, conversation_id, files)
            except NotFoundError:
                if self._taken is None:  # Dify: 404 not_found "Conversation Not Exists."
                    raise
                self._taken = None  # the stored conversation is gone: start a new one
                stream = await self._start(app, turn, user, None, files)
        except DifyError as exc:
            await self._restore()
            raise error_from_dify(exc, model=app.name) from exc
        except BaseException:
            await self._restore()
            raise
        ident = stream.message_id or stream.workflow_run_id or stream.task_id or uuid.uuid4().hex
        base = urlsplit(settings.dify_base_url)
        parser: Callable[[str], list[ToolCallOut] | None] | None = None
        if self._emulating_tools():
            parser = partial(
                parse_tool_calls, names=tool_names(request.tools or []), new_id=_tool_call_id
            )

        self._translator = StreamTranslator(
            completion_id=f"chatcmpl-{ident}",
            created=int(time.time()),
            model=app.name,
            thoughts=settings.thoughts,
            include_usage=bool(
                request.stream and request.stream_options and request.stream_options.include_usage
            ),
            show_nodes=settings.show_nodes,
            workflow_output=app.config.output,
            files_base=f"{base.scheme}://{base.netloc}",
            tool_parser=parser,
        )

    async def _start(
        self,
        app: App,
        turn: Turn,
        user: str,
        conversation_id: str | None,
        files: list[UploadedFile | RemoteFile],
    ) -> AsyncStream[Any, Any]:
        """Open the upstream stream and read its first event; the stream is also ``self.stream``."""
        query = self._query(app, turn, continuing=conversation_id is not None)
        inputs: dict[str, JsonValue] = dict(self.request.dify.inputs) if self.request.dify else {}
        _fill_inputs(app, inputs, query)
        if app.config.messages_input:
            history = [{"role": m.role, "content": m.text} for m in (*turn.prior, *turn.new)]
            inputs[app.config.messages_input] = json.dumps(history, ensure_ascii=False)
        if conversation_id is None:
            missing = [name for name in _required_inputs(app) if inputs.get(name) in (None, "")]
            if missing:
                raise ProxyError(
                    400,
                    f"The Dify app {app.name!r} requires the input {missing[0]!r}; "
                    'send it as extra_body={"dify": {"inputs": {...}}}.',
                    code="missing_required_input",
                    param=f"dify.inputs.{missing[0]}",
                )
        client = app.client
        stream: AsyncStream[Any, Any]
        if app.mode in CHAT_MODES:
            stream = client.chat.stream(
                query=query,
                user=user,
                inputs=inputs,
                conversation_id=conversation_id,
                files=files or None,
            )
        elif app.mode == "completion":
            stream = client.completion.stream(
                user=user, inputs=inputs, query=query, files=files or None
            )
        else:
            stream = client.workflows.stream(user=user, inputs=inputs, files=files or None)
        await stream.__aenter__()
        self.stream = stream
        try:
            self._first = await self._next()
        except BaseException:
            self.stream = None
            with anyio.CancelScope(shield=True):
                await stream.aclose()
            raise
        return stream

    async def _restore(self) -> None:
        """Put back a taken conversation when the turn never reached Dify."""
        if self._taken is not None:
            key, conversation_id = self._taken
            self._taken = None
            await self.services.store.put(key, conversation_id)

    # --- relaying ----------------------------------------------------------------------------

    async def _next(self) -> BaseEvent | None:
        """The next upstream event (``None``: the stream ended).

        Raises:
            RuntimeError: The upstream stream was never opened or is already closed.
        """
        stream = self.stream
        if stream is None:
            raise RuntimeError("the upstream stream is not open: the completion has ended")
        try:
            event: BaseEvent = await stream.__anext__()
        except StopAsyncIteration:
            return None
        return event

    def headers(self, ignored: list[str]) -> dict[str, str]:
        """Response headers: Dify's ids as known after the first event, and ignored params."""
        stream = self.stream
        headers: dict[str, str] = {}
        if stream is not None:
            ids = {
                "x-dify-conversation-id": stream.conversation_id,
                "x-dify-message-id": stream.message_id,
                "x-dify-task-id": stream.task_id,
                "x-dify-workflow-run-id": stream.workflow_run_id,
            }
            headers.update({k: v for k, v in ids.items() if v})
        if ignored:
            headers["x-difykit-ignored-params"] = ",".join(ignored)
        return headers

    async def _remember(self) -> None:
        """Store the conversation under the history that now includes the answer."""
        stream, translator, turn = self.stream, self._translator, self.turn
        if stream is None or translator is None or turn is None or self.app.mode not in CHAT_MODES:
            return
        conversation_id = stream.conversation_id
        if not conversation_id:
            return
        for key in self.also_remember:
            await self.services.store.put(key, conversation_id)
        if self.app.config.messages_input:
            return
        reply = assistant_reply(translator.content, translator.tool_calls)
        messages = [*turn.prior, *turn.new, reply]
        key = history_key(
            tenant=self.tenant, app=self.app.identity, user=self.user, messages=messages
        )
        await self.services.store.put(key, conversation_id)

    async def _events(self) -> AsyncIterator[list[Json]]:
        """The chunks of each event, up to the end of the content."""
        translator = self.translator
        event = self._first
        while event is not None:
            yield translator.feed(event)
            if translator.ended:
                return
            event = await self._next()

    async def relay(self) -> AsyncGenerator[list[Json], None]:
        """The chat chunks of each Dify event up to the end of the content, then the closing
        chunks (the conversation is remembered just before those).

        A :class:`~difykit_core.errors.DifyError` raised from here ended the run upstream.
        Leaving early (a hang-up, a cancel) closes upstream and stops the Dify task.
        """
        translator = self.translator
        ended = False
        try:
            async for chunks in self._events():
                yield chunks
            closing = translator.closing()
            await self._remember()
            ended = True
            yield closing
        except DifyError:
            ended = True  # the run ended upstream
            raise
        finally:
            await self._end(ended)

    async def chunks(self) -> AsyncIterator[str]:
        """The SSE ``data`` payloads of a streamed answer, ``[DONE]`` last.

        A failure after the first byte becomes an ``{"error": {...}}`` payload.
        """
        translator = self.translator
        metrics = self.services.metrics
        metrics.streams_open += 1
        try:
            yield dumps(translator.opening())
            async with aclosing(self.relay()) as relayed:
                async for chunks in relayed:
                    for chunk in chunks:
                        yield dumps(chunk)
            yield "[DONE]"
        except DifyError as exc:
            yield dumps(translator.error_chunk(self.failed(exc)))
        finally:
            metrics.streams_open -= 1
            await self._end(False)  # never started relaying: close and stop all the same

    def failed(self, exc: DifyError) -> ProxyError:
        """A failure after the stream started: logged, counted, mapped."""
        log.warning("model %s: failed mid-stream: %s", self.app.name, exc)
        error = error_from_dify(exc, model=self.app.name)
        self.services.metrics.stream_error(model=self.app.name, code=error.code or "error")
        return error

    async def collect(self) -> Json:
        """The whole answer as one ``chat.completion`` (aggregated from the stream).

        Raises:
            ProxyError: Dify failed before the end (its error, mapped).
        """
        translator = self.translator
        try:
            async with aclosing(self.relay()) as relayed:
                async for _ in relayed:
                    pass
        except DifyError as exc:
            raise error_from_dify(exc, model=self.app.name) from exc
        finally:
            await self._end(False)
        return translator.completion()

    async def aclose(self) -> None:
        """Release the upstream stream of a completion that will not be relayed."""
        await self._end(False)

    async def _end(self, ended: bool) -> None:
        stream, self.stream = self.stream, None
        if stream is None:
            return
        if not ended:
            self._stop_in_background(stream)
        with anyio.CancelScope(shield=True):
            await stream.aclose()

    def _stop_in_background(self, stream: AsyncStream[Any, Any]) -> None:
        task_id, app, user = stream.task_id, self.app, self.user
        if not task_id:
            return
        timeout, metrics = self.services.settings.stop_timeout, self.services.metrics

        async def stop() -> None:
            result = "timeout"
            with anyio.move_on_after(timeout):
                try:
                    if app.mode in CHAT_MODES:
                        await app.client.chat.stop(task_id, user=user)
                    elif app.mode == "completion":
                        await app.client.completion.stop(task_id, user=user)
                    else:
                        await app.client.workflows.stop(task_id, user=user)
                    result = "stopped"
                    log.info("model %s: client left; task stopped", app.name)
                except DifyError as exc:
                    result = "failed"
                    log.info("model %s: client left; stop failed: %s", app.name, exc)
            metrics.stop(model=app.name, result=result)

        self.services.spawn(stop())
