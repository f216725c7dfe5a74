"""Every error class the openai client maps, from the matching Dify failure, as OpenAI JSON."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openai
import pytest
from conftest import KEY, Stack
from difykit_proxy import create_app, load_settings
from openai.types.chat import ChatCompletionMessageParam

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello Dify"}]


def _warm(stack: Stack, model: str = "chat") -> None:
    """Cache the app's /info and /parameters so the next fault hits the generation."""
    stack.client().models.retrieve(model)


def test_wrong_proxy_key_is_authentication_error(stack: Stack) -> None:
    """A key the proxy does not know: 401 invalid_api_key, and Dify is never called."""
    with pytest.raises(openai.AuthenticationError) as caught:
        stack.client(key="sk-wrong").chat.completions.create(model="chat", messages=HELLO)
    assert caught.value.code == "invalid_api_key"
    assert stack.recorder.requests == []


def test_dify_refusing_the_app_key_is_authentication_error(stack: Stack) -> None:
    """Dify's 401 for the app key comes back as 401 with Dify's code."""
    _warm(stack)
    stack.emulator.faults.fail_next(
        status=401, code="unauthorized", message="Access token is invalid"
    )
    with pytest.raises(openai.AuthenticationError) as caught:
        stack.client().chat.completions.create(model="chat", messages=HELLO)
    assert caught.value.code == "unauthorized"
    assert "Access token is invalid" in caught.value.message


def test_dify_invalid_param_is_bad_request_with_its_code(stack: Stack) -> None:
    """Dify's 400 invalid_param: BadRequestError carrying code invalid_param."""
    _warm(stack)
    stack.emulator.faults.fail_next(status=400, code="invalid_param", message="query is too long")
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="chat", messages=HELLO, stream=True)
    assert caught.value.code == "invalid_param"
    assert caught.value.type == "invalid_request_error"


def test_dify_not_found_and_unknown_model_are_not_found(stack: Stack) -> None:
    """An unknown model (param model) and Dify's 404 are both NotFoundError."""
    with pytest.raises(openai.NotFoundError) as caught:
        stack.client().chat.completions.create(model="gpt-4o", messages=HELLO)
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    _warm(stack)
    stack.emulator.faults.fail_next(status=404, code="not_found", message="App not found")
    with pytest.raises(openai.NotFoundError) as caught:
        stack.client().chat.completions.create(model="chat", messages=HELLO)
    assert caught.value.code == "not_found"


def test_dify_429_is_rate_limit_with_retry_after(stack: Stack) -> None:
    """Dify's 429 is RateLimitError; its Retry-After is passed on."""
    _warm(stack)
    stack.emulator.faults.fail_next(
        3, status=429, code="too_many_requests", message="Too many requests", retry_after=7
    )
    with pytest.raises(openai.RateLimitError) as caught:
        stack.client().chat.completions.create(model="chat", messages=HELLO)
    assert caught.value.code == "too_many_requests"
    assert caught.value.response.headers["retry-after"] == "7"


def test_dify_5xx_is_internal_server_error_without_sdk_retries(stack: Stack) -> None:
    """Dify's 500 is InternalServerError; x-should-retry false stops the SDK from resending."""
    _warm(stack)
    stack.emulator.faults.fail_next(5, status=500, code="internal_server_error", message="boom")
    with pytest.raises(openai.InternalServerError) as caught:
        stack.client(max_retries=2).chat.completions.create(model="chat", messages=HELLO)
    assert caught.value.status_code == 502
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert stack.recorder.paths().count("/v1/chat-messages") == 1


def test_mid_stream_error_event_raises_api_error(stack: Stack) -> None:
    """An error event after content: the stream carries {"error": …} and the client raises."""
    stack.apps["chat"].reply = [
        {"event": "message", "answer": "Partial "},
        {"event": "error", "code": "completion_request_error", "message": "model crashed"},
    ]
    stream = stack.client().chat.completions.create(model="chat", messages=HELLO, stream=True)
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content or "")
    assert "".join(seen) == "Partial "
    assert "model crashed" in caught.value.message
    assert caught.value.code == "completion_request_error"


def test_error_event_before_content_is_a_real_status(stack: Stack) -> None:
    """An error event as the first event is an HTTP error, not a 200 stream."""
    stack.apps["chat"].reply = [
        {"event": "error", "status": 400, "code": "provider_quota_exceeded", "message": "quota"},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="chat", messages=HELLO, stream=True)
    assert caught.value.code == "provider_quota_exceeded"


def test_failed_workflow_is_an_error(stack: Stack) -> None:
    """A workflow that ends failed is an error, never an empty answer."""
    stack.apps["workflow"].reply = [
        {"event": "node_started", "data": {"node_id": "code"}},
        {
            "event": "node_finished",
            "data": {"node_id": "code", "status": "failed", "error": "bad code"},
        },
    ]
    with pytest.raises(openai.InternalServerError) as caught:
        stack.client().chat.completions.create(model="workflow", messages=HELLO)
    assert caught.value.code == "workflow_failed"


def test_cut_stream_is_a_mid_stream_error(stack: Stack) -> None:
    """Dify's stream ending before its end: the client raises, never a silent short answer."""
    stack.client().models.retrieve("chatflow")
    stack.emulator.faults.cut_stream_after(4)
    with pytest.raises(openai.APIError) as caught:
        list(stack.client().chat.completions.create(model="chatflow", messages=HELLO, stream=True))
    assert caught.value.code == "upstream_interrupted"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": "chat"}, "messages", "invalid_request"),
        ({"model": "chat", "messages": HELLO, "n": 2}, "n", "unsupported_value"),
        (
            {"model": "chat", "messages": HELLO, "modalities": ["text", "audio"]},
            "modalities",
            "unsupported_value",
        ),
        (
            {
                "model": "chat",
                "messages": HELLO,
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "tool_choice": "required",
            },
            "tool_choice",
            "unsupported_value",
        ),
        (
            {"model": "chat", "messages": [{"role": "assistant", "content": "hi"}]},
            "messages",
            "invalid_messages",
        ),
    ],
)
def test_invalid_requests_are_openai_400s(
    stack: Stack, body: dict[str, object], param: str, code: str
) -> None:
    """Validation and policy failures: 400, OpenAI's error shape, param and code set."""
    response = httpx.post(
        f"{stack.base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")


def test_strict_mode_refuses_ignored_parameters(make_stack: Callable[..., Stack]) -> None:
    """parameters='strict': a sampling parameter is a 400 unsupported_parameter naming it."""
    make = make_stack
    stack = make(parameters="strict")
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="chat", messages=HELLO, temperature=0.1)
    assert (caught.value.code, caught.value.param) == ("unsupported_parameter", "temperature")


def test_body_limit_and_bad_json_and_unknown_route(make_stack: Callable[..., Stack]) -> None:
    """A body over the limit is 413, bad JSON 400, an unknown route 404: all OpenAI JSON."""
    make = make_stack
    stack = make(max_body_bytes=1000)
    auth = {"Authorization": f"Bearer {KEY}"}
    big = {"model": "chat", "messages": [{"role": "user", "content": "x" * 2000}]}
    too_large = httpx.post(f"{stack.base_url}/chat/completions", json=big, headers=auth)
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "request_too_large"
    bad = httpx.post(f"{stack.base_url}/chat/completions", content=b"{nope", headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    missing = httpx.get(f"{stack.base_url}/nothing", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_health_needs_no_key_and_calls_no_upstream(stack: Stack) -> None:
    """GET /health answers without a key and without calling Dify."""
    response = httpx.get(stack.base_url.removesuffix("/v1") + "/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert stack.recorder.requests == []


@pytest.mark.anyio
async def test_unexpected_failure_is_a_500_proxy_error(caplog: pytest.LogCaptureFixture) -> None:
    """An exception nothing maps is a logged 500 ``proxy_error`` that the SDK does not resend."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug")

    settings = load_settings(
        None,
        env_file=None,
        proxy_keys=[KEY],
        apps={"chat": "app-unused"},
        dify_base_url="http://dify.test/v1",
    )
    app = create_app(settings, transport=httpx.MockTransport(broken))
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client,
    ):
        response = await client.get("/v1/models/chat", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "proxy_error"
    assert response.headers["x-should-retry"] == "false"
    assert "unexpected error on GET /v1/models/chat" in caplog.text
