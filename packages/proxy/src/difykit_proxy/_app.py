"""``create_app(settings)``: the Starlette application (routes, auth, errors, lifespan).

The lifespan owns one ``httpx.AsyncClient`` for every app, the app registry and the
conversation store. Every error, validation included, is OpenAI's error JSON.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from typing import Any

import httpx
from difykit_core.errors import DifyError
from pydantic import ValidationError
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._completion import Completion, Services, dumps
from ._openai import ChatCompletionRequest
from ._registry import App, AppRegistry
from ._responses import (
    TOOL_FIELDS,
    ResponsesEmitter,
    ResponsesRequest,
    response_key,
    to_chat_request,
)
from ._settings import ProxySettings
from ._store import ConversationStore, MemoryStore, SQLiteStore
from ._translate import Json, ProxyError, check_parameters, error_body

__all__ = ["create_app"]

log = logging.getLogger("difykit_proxy")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _authenticate(request: Request) -> str:
    """The tenant (a digest of the proxy key); every configured key is compared in constant time."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    matched = False
    for key in _services(request).settings.proxy_keys:
        matched |= hmac.compare_digest(token.encode(), key.encode())
    if not token or not matched:
        raise ProxyError(
            401,
            "Invalid or missing proxy key (send Authorization: Bearer <key>).",
            code="invalid_api_key",
        )
    return hashlib.sha256(token.encode()).hexdigest()


async def _json_body(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    too_large = ProxyError(
        413, f"The request body is larger than {limit} bytes.", code="request_too_large"
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    try:
        return json.loads(body)
    except ValueError:
        raise ProxyError(400, "The request body is not valid JSON.", code="invalid_json") from None


def _validation_error(exc: ValidationError) -> ProxyError:
    first = exc.errors()[0]
    param = ".".join(str(p) for p in first["loc"]) or None
    return ProxyError(400, f"{param}: {first['msg']}", code="invalid_request", param=param)


async def _disconnected(request: Request) -> None:
    """Return when the client hangs up (the body is read, so the next message says so)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _counted(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Count a completion handler's answers in ``/metrics`` (by model, status, stream)."""

    @functools.wraps(handler)
    async def counted(request: Request) -> Response:
        return await _count(request, handler)

    return counted


async def _count(request: Request, handler: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status_code
        return response
    except ProxyError as exc:
        status = exc.status
        raise
    finally:
        if status != 401:  # unauthenticated requests are not counted
            completion: Completion | None = getattr(request.state, "completion", None)
            # only configured model names become labels (no cardinality from client input)
            model = (completion.model_name if completion else None) or "unknown"
            stream = bool(completion and completion.request.stream)
            seconds = time.perf_counter() - started
            _services(request).metrics.request(
                model=model, status=status, stream=stream, seconds=seconds
            )


@_counted
async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions`` (stream and not)."""
    tenant = _authenticate(request)
    services = _services(request)
    settings = services.settings
    raw = await _json_body(request, settings.max_body_bytes)
    try:
        body = ChatCompletionRequest.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    ignored = check_parameters(
        body, strict=settings.parameters == "strict", emulate_tools=settings.tools == "emulate"
    )
    if ignored:
        log.debug("model %s: ignored parameters %s", body.model, ignored)
    completion = Completion(
        services,
        body,
        tenant=tenant,
        conversation_header=request.headers.get("x-dify-conversation-id"),
    )
    request.state.completion = completion
    await completion.open()
    headers = completion.headers(ignored)
    if body.stream:
        return EventSourceResponse(
            completion.chunks(),
            # a client gone before the first chunk was pulled: close and stop all the same
            background=BackgroundTask(completion.aclose),
            ping=settings.ping_interval,
            headers=headers | {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    result = await _collect_watching(request, completion)
    if result is None:  # the client left
        return Response(status_code=499)
    return JSONResponse(result, headers=headers)


async def _collect_watching(request: Request, completion: Completion) -> Json | None:
    """Collect the answer while watching for the client to leave (``None``: it left).

    Plain asyncio tasks: an anyio task group costs ~0.1 ms a request here. A hang-up
    cancels the collection, which closes upstream and stops the Dify task.
    """
    collecting = asyncio.ensure_future(completion.collect())
    watching = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({collecting, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watching.cancel()
        if not collecting.done():
            collecting.cancel()
            await asyncio.gather(collecting, return_exceptions=True)
            await completion.aclose()
    return None if collecting.cancelled() else collecting.result()


@_counted
async def responses(request: Request) -> Response:
    """``POST /v1/responses``: the same completion, answered in the Responses API's shape.

    ``previous_response_id`` continues that response's Dify conversation (once: a Dify
    conversation is linear, so a second branch from one response is refused).
    """
    tenant = _authenticate(request)
    services = _services(request)
    settings = services.settings
    raw = await _json_body(request, settings.max_body_bytes)
    try:
        body = ResponsesRequest.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    previous: str | None = None
    previous_key: str | None = None
    if body.previous_response_id:
        previous_key = response_key(tenant, body.previous_response_id)
        previous = await services.store.take(previous_key)
        if previous is None:
            raise ProxyError(
                404,
                f"Previous response {body.previous_response_id!r} is unknown, expired, or already "
                "continued (a Dify conversation is linear: continue from its latest response).",
                code="previous_response_not_found",
                param="previous_response_id",
            )
    chat = to_chat_request(body, conversation_id=previous)
    ignored = check_parameters(chat, strict=settings.parameters == "strict", emulate_tools=False)
    ignored = sorted({*ignored, *(k for k in (body.model_extra or {}) if k in TOOL_FIELDS)})
    completion = Completion(services, chat, tenant=tenant)
    request.state.completion = completion
    try:
        await completion.open()
    except BaseException:
        if previous_key is not None and previous is not None:
            # the turn never reached Dify: the response stays continuable
            await services.store.put(previous_key, previous)
        raise
    translator = completion.translator
    response_id = "resp_" + translator.completion_id.removeprefix("chatcmpl-")
    if body.store is not False:
        completion.also_remember.append(response_key(tenant, response_id))
    emitter = ResponsesEmitter(response_id, translator, body)
    headers = completion.headers(ignored)
    if not body.stream:
        if await _collect_watching(request, completion) is None:
            return Response(status_code=499)
        return JSONResponse(emitter.response(), headers=headers)

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            for kind, event in emitter.opening():
                yield {"event": kind, "data": dumps(event)}
            async with aclosing(completion.relay()) as relayed:
                async for chunks in relayed:
                    for kind, event in emitter.feed(chunks):
                        yield {"event": kind, "data": dumps(event)}
            for kind, event in emitter.closing():
                yield {"event": kind, "data": dumps(event)}
        except DifyError as exc:
            for kind, event in emitter.failure(completion.failed(exc)):
                yield {"event": kind, "data": dumps(event)}
        finally:
            await completion.aclose()

    return EventSourceResponse(
        events(),
        background=BackgroundTask(completion.aclose),
        ping=settings.ping_interval,
        headers=headers | {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _model(app: App) -> dict[str, Any]:
    return {
        "id": app.name,
        "object": "model",
        "created": app.created,
        "owned_by": f"dify:{app.mode}",
    }


async def list_models(request: Request) -> Response:
    """``GET /v1/models``: every reachable app."""
    _authenticate(request)
    apps = await _services(request).registry.list()
    return JSONResponse({"object": "list", "data": [_model(a) for a in apps]})


async def get_model(request: Request) -> Response:
    """``GET /v1/models/{id}``."""
    _authenticate(request)
    app = await _services(request).registry.resolve(str(request.path_params["model"]))
    return JSONResponse(_model(app))


async def metrics(request: Request) -> Response:
    """``GET /metrics``: Prometheus text (needs a proxy key, like every route but /health)."""
    _authenticate(request)
    text = _services(request).metrics.render()
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")


async def health(request: Request) -> Response:
    """``GET /health``: no upstream call, no key."""
    return JSONResponse({"status": "ok"})


async def _error(request: Request, exc: Exception) -> Response:
    """Every exception handler: an OpenAI error JSON, whatever failed."""
    if isinstance(exc, ProxyError):
        return _proxy_error(request, exc)
    if isinstance(exc, HTTPException):
        return _http_error(request, exc)
    return _server_error(request)


def _proxy_error(request: Request, exc: ProxyError) -> Response:
    if exc.status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return JSONResponse(error_body(exc), status_code=exc.status, headers=exc.headers)


def _http_error(request: Request, exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    error = ProxyError(
        exc.status_code, f"{request.method} {request.url.path}: {exc.detail}", code=code
    )
    return JSONResponse(error_body(error), status_code=exc.status_code, headers=exc.headers)


def _server_error(request: Request) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    error = ProxyError(500, "The proxy failed unexpectedly.", code="proxy_error")
    return JSONResponse(error_body(error), status_code=500, headers={"x-should-retry": "false"})


def _store(settings: ProxySettings) -> ConversationStore:
    if settings.store == "sqlite":
        return SQLiteStore(settings.store_path, ttl=settings.store_ttl)
    return MemoryStore(ttl=settings.store_ttl, max_entries=settings.store_max_entries)


def create_app(
    settings: ProxySettings,
    *,
    store: ConversationStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The proxy as an ASGI application.

    Args:
        settings: Keys, apps, upstream and policies (see :class:`ProxySettings`).
        store: A conversation store (default: from ``settings.store``).
        transport: An httpx transport to Dify (tests: an emulator's ``async_transport()``).
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None, None]:
        limits = httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=min(settings.max_connections, 256),
        )
        async with httpx.AsyncClient(limits=limits, transport=transport) as http:
            services = Services(
                settings=settings,
                registry=AppRegistry(settings, http),
                store=store or _store(settings),
            )
            app.state.services = services
            try:
                yield
            finally:
                await services.drain(settings.stop_timeout)
                await services.store.aclose()

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ProxyError: _error, HTTPException: _error, Exception: _error},
    )
