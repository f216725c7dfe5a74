"""POST /v1/responses with the real openai client: answers, streams, previous_response_id."""

from __future__ import annotations

import openai
import pytest
from conftest import OTHER_KEY, Stack


def test_responses_create_answers_with_usage(stack: Stack) -> None:
    """A Responses call gets the answer as output_text, with usage and Dify's ids."""
    response = stack.client().responses.create(model="chat", input="Hello Dify")
    assert response.output_text == "[0] Hello Dify"
    assert response.status == "completed" and response.id.startswith("resp_")
    assert response.usage is not None and response.usage.total_tokens > 0


def test_agent_reasoning_is_a_reasoning_item(stack: Stack) -> None:
    """Agent thoughts come as a reasoning output item before the message."""
    response = stack.client().responses.create(model="agent", input="Hello Dify")
    kinds = [item.type for item in response.output]
    assert kinds == ["reasoning", "message"]
    assert "web_search" in str(response.output[0])


def test_previous_response_id_continues_the_conversation(stack: Stack) -> None:
    """previous_response_id continues that Dify conversation; the instructions go first."""
    client = stack.client()
    first = client.responses.create(model="chat", input="A", instructions="Be brief.")
    assert first.output_text == "[0] System: Be brief.\n\nUser: A"
    second = client.responses.create(model="chat", input="B", previous_response_id=first.id)
    assert second.output_text == "[1] B"
    third = client.responses.create(model="chat", input="C", previous_response_id=second.id)
    assert third.output_text == "[2] C"
    assert len(stack.apps["chat"].conversations) == 1


def test_previous_response_cannot_fork_or_cross_tenants(stack: Stack) -> None:
    """A response already continued, or another key's, is a 404 previous_response_not_found."""
    client = stack.client()
    first = client.responses.create(model="chat", input="A")
    with pytest.raises(openai.NotFoundError) as other:
        stack.client(OTHER_KEY).responses.create(
            model="chat", input="B", previous_response_id=first.id
        )
    assert other.value.param == "previous_response_id"
    client.responses.create(model="chat", input="B", previous_response_id=first.id)
    with pytest.raises(openai.NotFoundError) as fork:
        client.responses.create(model="chat", input="B2", previous_response_id=first.id)
    assert fork.value.code == "previous_response_not_found"


def test_streamed_response_events(stack: Stack) -> None:
    """A streamed response: created, deltas in order, completed with the whole text."""
    stream = stack.client().responses.create(model="chatflow", input="Hello Dify", stream=True)
    events = list(stream)
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "Echo: Hello Dify" and len(deltas) > 1
    assert [e.sequence_number for e in events] == list(range(len(events)))
    done = events[-1]
    assert done.type == "response.completed" and done.response.output_text == "Echo: Hello Dify"


def test_streamed_failure_is_an_error_event_then_failed(stack: Stack) -> None:
    """A Dify error mid-stream: an error event, then response.failed with the code."""
    stack.apps["chat"].reply = [
        {"event": "message", "answer": "Partial "},
        {"event": "error", "code": "completion_request_error", "message": "model crashed"},
    ]
    events = list(stack.client().responses.create(model="chat", input="Hi", stream=True))
    assert [e.type for e in events][-2:] == ["error", "response.failed"]
    error, failed = events[-2:]
    assert error.type == "error" and error.code == "completion_request_error"
    assert failed.type == "response.failed" and failed.response.error is not None
    assert failed.response.error.code == "server_error"
    assert "model crashed [completion_request_error]" in failed.response.error.message


def test_input_messages_with_an_image(stack: Stack) -> None:
    """Message items with input_text and input_image parts reach Dify as query and file."""
    response = stack.client().responses.create(
        model="chat",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {
                        "type": "input_image",
                        "image_url": "https://example.com/cat.png",
                        "detail": "auto",
                    },
                ],
            }
        ],
    )
    assert response.output_text == "[0] What is this?"
    [message] = stack.apps["chat"].messages.values()
    assert [f["transfer_method"] for f in message.files] == ["remote_url"]


def test_unsupported_input_items_are_a_400(stack: Stack) -> None:
    """Tool outputs and other non-message items: 400 unsupported_input, param input."""
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().responses.create(
            model="chat",
            input=[{"type": "function_call_output", "call_id": "c1", "output": "42"}],
        )
    assert (caught.value.code, caught.value.param) == ("unsupported_input", "input")
