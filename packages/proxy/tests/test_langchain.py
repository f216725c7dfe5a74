"""LangChain's ChatOpenAI against the served proxy: invoke, stream, stream_usage."""

from __future__ import annotations

import pytest
from conftest import KEY, Stack
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr


def _chat(stack: Stack, model: str, *, stream_usage: bool | None = None) -> ChatOpenAI:
    # mypy's pydantic plugin takes these fields by name, pyright only by alias (model, base_url,
    # api_key): the names are kept, so mypy checks them, and pyright's reportCallIssue is ignored.
    return ChatOpenAI(
        model_name=model,  # pyright: ignore[reportCallIssue]
        openai_api_base=stack.base_url,  # pyright: ignore[reportCallIssue]
        openai_api_key=SecretStr(KEY),  # pyright: ignore[reportCallIssue]
        max_retries=0,
        stream_usage=stream_usage,
    )


@pytest.mark.parametrize("model", ["chat", "agent", "chatflow", "completion", "workflow"])
def test_invoke_answers_with_usage(stack: Stack, model: str) -> None:
    """invoke() returns the answer and usage metadata for every app mode."""
    reply = _chat(stack, model).invoke("Hello Dify")
    assert isinstance(reply, AIMessage)
    assert "Hello Dify" in str(reply.content)
    assert reply.usage_metadata is not None and reply.usage_metadata["total_tokens"] > 0
    assert reply.response_metadata["finish_reason"] == "stop"


def test_stream_yields_chunks_and_usage_when_asked(stack: Stack) -> None:
    """stream() yields content chunks; with stream_usage=True the usage arrives too."""
    plain = list(_chat(stack, "chatflow").stream("Hello Dify"))
    assert "".join(str(c.content) for c in plain) == "Echo: Hello Dify"
    assert all(c.usage_metadata is None for c in plain)
    counted = list(_chat(stack, "chatflow", stream_usage=True).stream("Hello Dify"))
    total: AIMessageChunk = counted[0]
    for chunk in counted[1:]:
        total = total + chunk
    assert total.usage_metadata is not None and total.usage_metadata["total_tokens"] > 0
    assert total.content == "Echo: Hello Dify"


def test_multi_turn_history_continues_the_conversation(stack: Stack) -> None:
    """A LangChain history resent each turn continues the same Dify conversation."""
    chat = _chat(stack, "chat")
    history: list[HumanMessage | AIMessage] = [HumanMessage("A")]
    first = chat.invoke(history)
    history += [AIMessage(str(first.content)), HumanMessage("B")]
    assert chat.invoke(history).content == "[1] B"
