"""The pure OpenAI ⇄ Dify translation: parameters, turns, keys, events → chunks, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
from difykit_core.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    DifyStreamError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from difykit_core.models.common import MessageMetadata, Usage
from difykit_core.models.workflow import WorkflowRunData
from difykit_core.types import (
    AgentThoughtEvent,
    MessageEndEvent,
    MessageEvent,
    TextChunkEvent,
    WorkflowFinishedEvent,
)
from difykit_proxy._openai import ChatCompletionRequest, ChatMessage
from difykit_proxy._translate import (
    Attachment,
    ProxyError,
    StreamTranslator,
    ToolCallOut,
    assistant_reply,
    check_parameters,
    error_body,
    error_from_dify,
    history_key,
    normalize,
    split_turn,
)
from pydantic import JsonValue


def _at(value: object, *path: str | int) -> Any:
    """Walk into nested JSON (tests read chunks by path)."""
    for step in path:
        if isinstance(step, int):
            assert isinstance(value, list), value
            value = cast("list[object]", value)[step]
        else:
            assert isinstance(value, dict), value
            value = cast("dict[str, object]", value)[step]
    return value


def _request(**fields: JsonValue) -> ChatCompletionRequest:
    body: dict[str, JsonValue] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    return ChatCompletionRequest.model_validate(body | fields)


def _messages(*pairs: tuple[str, str]) -> list[ChatMessage]:
    return [ChatMessage(role=role, content=text) for role, text in pairs]


# --- parameters -----------------------------------------------------------------------------------


def test_lenient_policy_reports_ignored_parameters_sorted() -> None:
    """Sampling parameters are ignored and named; honoured ones are not reported."""
    request = _request(temperature=0.5, top_p=1, user="u", stream=True, n=1, logprobs=False)
    assert check_parameters(request, strict=False, emulate_tools=False) == ["temperature", "top_p"]


def test_unknown_fields_are_reported_too() -> None:
    """A field the proxy does not know (a newer SDK's) is reported as ignored."""
    assert check_parameters(_request(verbosity="low"), strict=False, emulate_tools=False) == [
        "verbosity"
    ]


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 3}, "n"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"audio": {"voice": "alloy"}}, "audio"),
        ({"tools": [{"type": "function"}], "tool_choice": "required"}, "tool_choice"),
        ({"tools": [{"type": "function"}], "tool_choice": {"type": "function"}}, "tool_choice"),
        ({"function_call": {"name": "f"}}, "function_call"),
    ],
)
def test_wrong_output_is_always_refused(fields: dict[str, JsonValue], param: str) -> None:
    """n>1, audio, forced tools without emulation: 400 naming the parameter, lenient or not."""
    with pytest.raises(ProxyError) as caught:
        check_parameters(_request(**fields), strict=False, emulate_tools=False)
    assert (caught.value.status, caught.value.param) == (400, param)


def test_strict_policy_refuses_the_first_ignored_parameter() -> None:
    """strict: 400 unsupported_parameter with param set."""
    with pytest.raises(ProxyError) as caught:
        check_parameters(_request(seed=3), strict=True, emulate_tools=False)
    assert (caught.value.code, caught.value.param) == ("unsupported_parameter", "seed")


def test_tools_are_honoured_with_emulation() -> None:
    """With emulation on, tools and a forced tool_choice are accepted, not reported."""
    request = _request(tools=[{"type": "function"}], tool_choice="required")
    assert check_parameters(request, strict=True, emulate_tools=True) == []


# --- turns and keys -------------------------------------------------------------------------------


def test_split_turn_cuts_after_the_last_assistant_message() -> None:
    """prior ends with the last assistant message; new is what follows it."""
    turn = split_turn(_messages(("system", "S"), ("user", "A"), ("assistant", "R"), ("user", "B")))
    assert [m.role for m in turn.prior] == ["system", "user", "assistant"]
    assert [m.text for m in turn.new] == ["B"]
    assert turn.query(continuing=True, history="flatten") == "B"
    assert turn.query(continuing=False, history="last") == "B"
    assert turn.query(continuing=False, history="flatten") == (
        "System: S\n\nUser: A\n\nAssistant: R\n\nUser: B"
    )


def test_a_lone_user_message_is_sent_as_it_is() -> None:
    """One user message: the query is its text, whatever the policy."""
    turn = split_turn(_messages(("user", "Just this")))
    assert turn.query(continuing=False, history="flatten") == "Just this"


def test_split_turn_needs_a_new_user_message() -> None:
    """A history ending with the assistant, or an empty last message, is a 400."""
    with pytest.raises(ProxyError, match="last message"):
        split_turn(_messages(("user", "A"), ("assistant", "R")))
    with pytest.raises(ProxyError, match="empty"):
        split_turn(_messages(("user", "  ")))


def test_normalize_reads_parts_developer_role_and_tool_calls() -> None:
    """List content joins text parts and keeps image URLs; developer is system; args normalized."""
    message = ChatMessage.model_validate(
        {
            "role": "developer",
            "content": [
                {"type": "text", "text": " Look "},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
                {"type": "input_audio", "input_audio": {}},
            ],
        }
    )
    normal = normalize(message)
    assert (normal.role, normal.text) == ("system", "Look")
    assert normal.files == (Attachment("https://x/cat.png"),)
    call = ChatMessage.model_validate(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "function": {"name": "f", "arguments": '{"b": 1, "a": 2}'}}
            ],
        }
    )
    assert normalize(call) == assistant_reply("", [ToolCallOut("other-id", "f", '{"a":2,"b":1}')])


def test_history_keys_differ_by_tenant_app_user_and_messages() -> None:
    """The key changes with anything that identifies the conversation, and only then."""
    messages = split_turn(_messages(("user", "A"), ("assistant", "R"), ("user", "B"))).prior
    base = {"tenant": "t", "app": "a", "user": "u"}
    key = history_key(messages=messages, **base)
    assert key == history_key(messages=messages, **base)
    for field in base:
        assert key != history_key(messages=messages, **(base | {field: "other"}))
    assert key != history_key(messages=messages[:1], **base)


# --- events → chunks ------------------------------------------------------------------------------


def _translator(
    *,
    include_usage: bool = False,
    workflow_output: str | None = None,
    tool_parser: Callable[[str], list[ToolCallOut] | None] | None = None,
) -> StreamTranslator:
    return StreamTranslator(
        completion_id="chatcmpl-1",
        created=7,
        model="m",
        include_usage=include_usage,
        workflow_output=workflow_output,
        tool_parser=tool_parser,
    )


def _end(prompt: int = 3, completion: int = 2) -> MessageEndEvent:
    usage = Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    return MessageEndEvent(metadata=MessageMetadata(usage=usage))


def test_chunks_share_id_and_time_and_end_with_stop() -> None:
    """Role first, content deltas, then finish_reason stop; no usage field unless asked."""
    t = _translator()
    chunks = [t.opening()]
    for piece in ["Hel", "lo"]:
        chunks += t.feed(MessageEvent(answer=piece))
    chunks += t.feed(_end())
    chunks += t.closing()
    assert {_at(c, "id") for c in chunks} == {"chatcmpl-1"}
    assert {_at(c, "created") for c in chunks} == {7}
    deltas = [_at(c, "choices", 0, "delta") for c in chunks]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {},
    ]
    assert _at(chunks[-1], "choices", 0, "finish_reason") == "stop"
    assert all("usage" not in c for c in chunks)


def test_usage_chunk_only_when_asked_and_nothing_after_message_end() -> None:
    """include_usage: null usage, then one choices-empty usage chunk; later text is dropped."""
    t = _translator(include_usage=True)
    t.feed(MessageEvent(answer="A"))
    t.feed(_end())
    assert t.feed(MessageEvent(answer="late")) == []
    *rest, usage = t.closing()
    assert usage["choices"] == [] and usage["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 2,
        "total_tokens": 5,
    }
    assert all(c["usage"] is None for c in rest)
    completion = t.completion()
    assert _at(completion, "choices", 0, "message", "content") == "A"


def test_thoughts_become_reasoning_increments() -> None:
    """Repeated agent_thought events for one id add only what is new."""
    t = _translator()
    first = t.feed(AgentThoughtEvent(id="t", thought="Plan", tool="search", tool_input="{}"))
    again = t.feed(AgentThoughtEvent(id="t", thought="Plan", tool="search", tool_input="{}"))
    later = t.feed(
        AgentThoughtEvent(id="t", thought="Plan", tool="search", tool_input="{}", observation="ok")
    )
    pieces = [_at(c, "choices", 0, "delta", "reasoning_content") for c in first + later]
    assert again == []
    assert "".join(pieces) == t.reasoning == "Plan\n🔧 search({})\n→ ok"


def test_a_thought_repeating_the_answer_is_not_shown_twice() -> None:
    """The final thought of a function-calling agent equals the answer: not repeated."""
    t = _translator()
    t.feed(MessageEvent(answer="The answer."))
    assert t.feed(AgentThoughtEvent(id="t", thought="The answer.")) == []


def test_workflow_output_is_the_answer_when_no_text_streamed() -> None:
    """A workflow with no text_chunk answers its single output; a named output wins."""
    finished = WorkflowFinishedEvent(
        data=WorkflowRunData(status="succeeded", outputs={"summary": "S"}, total_tokens=9)
    )
    t = _translator()
    assert _at(t.feed(finished), 0, "choices", 0, "delta") == {"content": "S"}
    assert t.usage == {"prompt_tokens": 0, "completion_tokens": 9, "total_tokens": 9}
    named = _translator(workflow_output="summary")
    assert named.feed(TextChunkEvent.model_validate({"data": {"text": "draft"}})) == []
    named.feed(finished)
    assert named.content == "S"


def test_failed_workflow_raises_a_stream_error() -> None:
    """workflow_finished failed is an error, not an empty answer."""
    failed = WorkflowFinishedEvent(data=WorkflowRunData(status="failed", error="boom"))
    with pytest.raises(DifyStreamError, match="boom"):
        _translator().feed(failed)


def test_tool_parser_holds_content_and_answers_tool_calls() -> None:
    """With a tool parser, content is held; a parsed call becomes indexed tool_call deltas."""
    calls = [ToolCallOut("call_1", "f", "{}")]
    t = _translator(tool_parser=lambda text: calls if text.startswith("{") else None)
    assert t.feed(MessageEvent(answer='{"tool_calls": []}')) == []
    *_, delta_chunk, finish = t.closing()
    assert _at(delta_chunk, "choices", 0, "delta", "tool_calls", 0, "index") == 0
    assert _at(finish, "choices", 0, "finish_reason") == "tool_calls"
    message = _at(t.completion(), "choices", 0, "message")
    assert message["content"] is None and _at(message, "tool_calls", 0, "id") == "call_1"


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code", "retry"),
    [
        (BadRequestError("bad", status_code=400, code="invalid_param"), 400, "invalid_param", None),
        (
            AuthenticationError("no", status_code=401, code="unauthorized"),
            401,
            "unauthorized",
            None,
        ),
        (RateLimitError("slow", status_code=429, code="too_many"), 429, "too_many", None),
        (ServerError("down", status_code=503, code="unavailable"), 502, "unavailable", "false"),
        (DifyStreamError("x", code="quota", status=400), 400, "quota", "false"),
        (DifyStreamError("x", code=None, status=None), 502, "dify_stream_error", "false"),
        (StreamInterruptedError("cut"), 502, "upstream_interrupted", "false"),
        (APITimeoutError("slow"), 504, "upstream_timeout", "false"),
        (APIConnectionError("refused"), 502, "upstream_unreachable", None),
    ],
)
def test_dify_errors_map_to_openai_errors(
    error: Exception, status: int, code: str, retry: str | None
) -> None:
    """Status kept for 4xx, 502/504 for upstream failures, Dify's code carried, no-retry set."""
    assert isinstance(error, Exception)
    mapped = error_from_dify(error, model="m")  # type: ignore[arg-type]
    assert (mapped.status, mapped.code, mapped.headers.get("x-should-retry")) == (
        status,
        code,
        retry,
    )
    body = error_body(mapped)["error"]
    assert isinstance(body, dict) and set(body) == {"message", "type", "param", "code"}


def test_several_tools_of_one_thought_are_shown_one_by_one() -> None:
    """Dify's `tool1;tool2` with per-tool JSON inputs and observations: one line each."""
    t = _translator()
    t.feed(
        AgentThoughtEvent(
            id="t",
            tool="search;weather",
            tool_input='{"search": {"q": "Paris"}, "weather": {"city": "Paris"}}',
            observation='{"search": "3 hits", "weather": "sunny"}',
        )
    )
    assert t.reasoning.splitlines() == [
        '🔧 search({"q": "Paris"})',
        '🔧 weather({"city": "Paris"})',
        "→ search: 3 hits",
        "→ weather: sunny",
    ]
