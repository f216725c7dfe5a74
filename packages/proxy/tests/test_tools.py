"""Tool-call emulation (opt-in): OpenAI tools through the prompt, answers read as tool_calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import KEY, Stack
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import SecretStr

WEATHER: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
ASK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Weather in Paris?"}]


def tool_using_model(query: Any, conversation: Any) -> str:
    """Calls get_weather when offered tools; answers from a tool result."""
    turns = len(conversation.messages) if conversation is not None else 0
    if "Tool result" in str(query):
        return f"[{turns}] It is sunny in Paris."
    if "get_weather" in str(query):
        call = {"name": "get_weather", "arguments": {"city": "Paris"}}
        return "```json\n" + json.dumps({"tool_calls": [call]}) + "\n```"
    return f"[{turns}] No tools."


@pytest.fixture
def tools_stack(make_stack: Callable[..., Stack]) -> Stack:
    """A stack with tool emulation on and a chatbot that follows the format."""
    stack = make_stack(tools="emulate")
    stack.apps["chat"].reply = tool_using_model
    return stack


def test_tool_call_round_trip_non_stream(tools_stack: Stack) -> None:
    """The answer is a tool call; the tool result continues the same Dify conversation."""
    client = tools_stack.client()
    first = client.chat.completions.create(model="chat", messages=ASK, tools=[WEATHER])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    followup: list[ChatCompletionMessageParam] = [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 24°C"},
    ]
    second = client.chat.completions.create(model="chat", messages=followup, tools=[WEATHER])
    assert second.choices[0].message.content == "[1] It is sunny in Paris."
    assert second.choices[0].finish_reason == "stop"


def test_tool_call_deltas_carry_an_index(tools_stack: Stack) -> None:
    """Streamed tool calls come as deltas with index, id and name; finish_reason tool_calls."""
    chunks = list(
        tools_stack.client().chat.completions.create(
            model="chat", messages=ASK, tools=[WEATHER], stream=True
        )
    )
    deltas = [d for c in chunks for d in (c.choices[0].delta.tool_calls or [])]
    assert [d.index for d in deltas] == [0]
    assert deltas[0].function is not None and deltas[0].function.name == "get_weather"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_plain_answer_with_tools_offered_is_content(tools_stack: Stack) -> None:
    """An answer that is not the tool format stays an ordinary answer."""
    tools_stack.apps["chat"].reply = "Just text."
    completion = tools_stack.client().chat.completions.create(
        model="chat", messages=ASK, tools=[WEATHER], stream=False
    )
    assert completion.choices[0].message.content == "Just text."
    assert completion.choices[0].finish_reason == "stop"


def test_langchain_bind_tools_reads_the_tool_call(tools_stack: Stack) -> None:
    """ChatOpenAI.bind_tools gets an AIMessage with tool_calls."""
    # mypy's pydantic plugin takes these fields by name, pyright only by alias (model, base_url,
    # api_key): the names are kept, so mypy checks them, and pyright's reportCallIssue is ignored.
    chat = ChatOpenAI(
        model_name="chat",  # pyright: ignore[reportCallIssue]
        openai_api_base=tools_stack.base_url,  # pyright: ignore[reportCallIssue]
        openai_api_key=SecretStr(KEY),  # pyright: ignore[reportCallIssue]
        max_retries=0,
    )
    # langchain-openai's bind_tools leaves parts of its signature bare (tool_choice: dict, type).
    bound = chat.bind_tools([dict(WEATHER)])  # pyright: ignore[reportUnknownMemberType]
    reply = bound.invoke("Weather in Paris?")
    assert [c["name"] for c in reply.tool_calls] == ["get_weather"]
    assert reply.tool_calls[0]["args"] == {"city": "Paris"}


def test_tools_are_ignored_and_reported_when_emulation_is_off(stack: Stack) -> None:
    """Without emulation, tools (auto) are ignored and named in x-difykit-ignored-params."""
    raw = stack.client().chat.completions.with_raw_response.create(
        model="chat", messages=ASK, tools=[WEATHER]
    )
    assert raw.headers["x-difykit-ignored-params"] == "tools"
    assert raw.parse().choices[0].message.content == "[0] Weather in Paris?"
