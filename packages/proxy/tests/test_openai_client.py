"""The real openai client (sync and async, stream and not) against the served proxy, every mode."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import openai
import pytest
from conftest import KEY, MODES, Stack
from difykit_testing import InputVariable
from openai.types.chat import ChatCompletionMessageParam

EXPECTED = {
    "chat": "[0] Hello Dify",
    "agent": "I searched for Hello Dify and found 3 results. Here is the gist.",
    "chatflow": "Echo: Hello Dify",
    "completion": "Echo: Hello Dify",
    "workflow": "Hello Dify",
}
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello Dify"}]


@pytest.mark.parametrize("model", MODES)
def test_sync_non_stream_answers_for_every_mode(stack: Stack, model: str) -> None:
    """A blocking request gets the whole answer, usage and Dify's ids, for every app mode."""
    raw = stack.client().chat.completions.with_raw_response.create(model=model, messages=HELLO)
    completion = raw.parse()
    assert completion.choices[0].message.content == EXPECTED[model]
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.object == "chat.completion"
    assert completion.model == model
    assert completion.created > 0
    assert completion.usage is not None and completion.usage.total_tokens > 0
    assert raw.headers["x-dify-task-id"]
    if model in ("chat", "agent", "chatflow"):
        assert raw.headers["x-dify-conversation-id"]
        assert completion.id == f"chatcmpl-{raw.headers['x-dify-message-id']}"


@pytest.mark.parametrize("model", MODES)
def test_sync_stream_forwards_chunks_for_every_mode(stack: Stack, model: str) -> None:
    """A streamed answer: one id and time, role first, content deltas, finish_reason stop."""
    chunks = list(stack.client().chat.completions.create(model=model, messages=HELLO, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == EXPECTED[model]
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert all(c.usage is None for c in chunks)
    if model != "workflow" and model != "completion":
        assert sum(1 for c in chunks if c.choices[0].delta.content) > 1  # really streamed


@pytest.mark.anyio
@pytest.mark.parametrize("model", MODES)
async def test_async_client_stream_and_not(stack: Stack, model: str) -> None:
    """The async client gets the same answer streamed and not."""
    async with stack.aclient() as client:
        completion = await client.chat.completions.create(model=model, messages=HELLO)
        stream = await client.chat.completions.create(model=model, messages=HELLO, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert completion.choices[0].message.content == text == EXPECTED[model]


def test_include_usage_adds_one_usage_chunk_with_empty_choices(stack: Stack) -> None:
    """stream_options.include_usage: usage null on every chunk, then a choices-empty usage chunk."""
    chunks = list(
        stack.client().chat.completions.create(
            model="chatflow",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None and c.choices for c in chunks[:-1])


def test_agent_thoughts_arrive_as_reasoning_content(stack: Stack) -> None:
    """An agent's thought and tool call come as reasoning_content, streamed and not."""
    completion = stack.client().chat.completions.create(model="agent", messages=HELLO)
    reasoning = (completion.choices[0].message.model_extra or {})["reasoning_content"]
    assert "I should search for this first." in reasoning
    assert "web_search" in reasoning and "3 results found" in reasoning
    chunks = list(
        stack.client().chat.completions.create(model="agent", messages=HELLO, stream=True)
    )
    streamed = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "") for c in chunks
    )
    assert streamed == reasoning
    assert "web_search" not in (completion.choices[0].message.content or "")


def test_agent_thoughts_inline_or_off(make_stack: Callable[..., Stack]) -> None:
    """thoughts='inline' puts them in <think> before the answer; 'off' drops them."""
    make = make_stack
    inline = make(thoughts="inline")
    content = inline.client().chat.completions.create(model="agent", messages=HELLO)
    text = content.choices[0].message.content or ""
    assert text.startswith("<think>\nI should search") and "</think>\n\nI searched" in text
    off = make(thoughts="off")
    message = off.client().chat.completions.create(model="agent", messages=HELLO).choices[0].message
    assert message.content == EXPECTED["agent"]
    assert "reasoning_content" not in (message.model_extra or {})


def test_chatflow_node_titles_are_shown_when_asked(make_stack: Callable[..., Stack]) -> None:
    """show_nodes puts each node's title in reasoning_content as the node starts."""
    make = make_stack
    stack = make(show_nodes=True)
    message = stack.client().chat.completions.create(model="chatflow", messages=HELLO)
    reasoning = (message.choices[0].message.model_extra or {})["reasoning_content"]
    assert "▸ Start" in reasoning and "▸ LLM" in reasoning


def test_message_replace_replaces_content_and_finishes_content_filter(stack: Stack) -> None:
    """Dify's moderation (message_replace) replaces the answer: finish_reason content_filter."""
    stack.apps["chat"].reply = [
        {"event": "message", "answer": "something bad"},
        {"event": "message_replace", "answer": "Sorry, I cannot answer that."},
    ]
    completion = stack.client().chat.completions.create(model="chat", messages=HELLO)
    assert completion.choices[0].message.content == "Sorry, I cannot answer that."
    assert completion.choices[0].finish_reason == "content_filter"


def test_message_file_becomes_markdown(stack: Stack) -> None:
    """A message_file event is shown as a markdown image with an absolute URL."""
    stack.apps["chat"].reply = [
        {"event": "message", "answer": "Here:"},
        {
            "event": "message_file",
            "id": "f1",
            "type": "image",
            "belongs_to": "assistant",
            "url": "/files/tools/f1.png?sign=x",
        },
    ]
    content = (
        stack.client()
        .chat.completions.create(model="chat", messages=HELLO)
        .choices[0]
        .message.content
    )
    origin = stack.dify_url.removesuffix("/v1")
    assert content is not None and f"![image]({origin}/files/tools/f1.png?sign=x)" in content


def test_ignored_parameters_are_reported_in_a_header(stack: Stack) -> None:
    """Sampling parameters are ignored (Dify fixes them) and named in x-difykit-ignored-params."""
    raw = stack.client().chat.completions.with_raw_response.create(
        model="chat", messages=HELLO, temperature=0.2, max_tokens=10, seed=1
    )
    assert raw.headers["x-difykit-ignored-params"] == "max_tokens,seed,temperature"


def test_models_list_and_get(stack: Stack) -> None:
    """GET /v1/models lists every app; GET /v1/models/{id} returns one or 404."""
    client = stack.client()
    models = client.models.list()
    assert [m.id for m in models.data] == MODES
    assert all(m.created > 0 and m.owned_by.startswith("dify:") for m in models.data)
    assert client.models.retrieve("workflow").owned_by == "dify:workflow"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("nope")
    assert caught.value.code == "model_not_found"


def test_workflow_takes_inputs_from_dify_extension(stack: Stack) -> None:
    """extra_body dify.inputs reaches the workflow run alongside the message."""
    stack.apps["workflow"].inputs.append(InputVariable("lang"))
    stack.apps["workflow"].reply = lambda inputs, _: {"text": json.dumps(inputs, sort_keys=True)}
    completion = stack.client().chat.completions.create(
        model="workflow", messages=HELLO, extra_body={"dify": {"inputs": {"lang": "fr"}}}
    )
    assert json.loads(completion.choices[0].message.content or "") == {
        "lang": "fr",
        "text": "Hello Dify",
    }


def test_workflow_with_several_text_inputs_needs_a_mapping(stack: Stack) -> None:
    """A workflow with two unfilled text inputs: 400 naming them, nothing run."""
    stack.apps["workflow"].inputs.append(InputVariable("lang"))
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="workflow", messages=HELLO)
    assert caught.value.code == "ambiguous_input"
    assert "text, lang" in caught.value.message
    assert "/v1/workflows/run" not in stack.recorder.paths()


def test_required_input_missing_is_a_clear_400(stack: Stack) -> None:
    """A required input the request cannot fill: 400 with param dify.inputs.<name>."""
    stack.apps["chatflow"].inputs.append(InputVariable("company", required=True))
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="chatflow", messages=HELLO)
    assert caught.value.param == "dify.inputs.company"
    completion = stack.client().chat.completions.create(
        model="chatflow", messages=HELLO, extra_body={"dify": {"inputs": {"company": "Acme"}}}
    )
    assert completion.choices[0].message.content == "Echo: Hello Dify"


def test_quiet_stream_gets_keepalive_comments(make_stack: Callable[..., Stack]) -> None:
    """While Dify is quiet mid-answer, the proxy sends SSE comments (clients ignore them)."""
    stack = make_stack(ping_interval=1)
    stack.client().models.retrieve("chat")
    stack.emulator.faults.pace(chunks=2, delay=0.7)
    body = {"model": "chat", "messages": HELLO, "stream": True}
    lines: list[str] = []
    with httpx.stream(
        "POST",
        f"{stack.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert any(line.startswith(":") for line in lines)
    assert lines[-1] == "data: [DONE]"


def test_models_named_by_info_and_unreachable_apps_left_out(stack: Stack) -> None:
    """dify_api_keys apps are named by /info; a key Dify refuses is left out of the list."""
    keys = ["app-unknown-key", stack.apps["agent"].api_key]
    with stack.proxy(apps={}, dify_api_keys=keys):
        client = stack.client()
        assert [m.id for m in client.models.list().data] == ["Agent"]
        reply = client.chat.completions.create(model="Agent", messages=HELLO)
    assert reply.choices[0].message.content == EXPECTED["agent"]


@pytest.mark.anyio
async def test_concurrent_streams_each_get_their_own_answer(stack: Stack) -> None:
    """Fifty concurrent streams over one pool: every answer is its own request's, no errors."""
    async with stack.aclient() as client:

        async def ask(i: int) -> str:
            stream = await client.chat.completions.create(
                model="chatflow",
                messages=[{"role": "user", "content": f"question {i}"}],
                stream=True,
                user=f"user-{i}",
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

        answers = await asyncio.gather(*(ask(i) for i in range(50)))
    assert answers == [f"Echo: question {i}" for i in range(50)]
