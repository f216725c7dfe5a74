"""Conversation continuity over the proxy: resent history continues the Dify conversation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import OTHER_KEY, Stack
from difykit_testing import InputVariable
from openai.types.chat import ChatCompletionMessageParam


def _ask(
    stack: Stack,
    messages: list[ChatCompletionMessageParam],
    *,
    key: str | None = None,
    stream: bool = False,
) -> str:
    client = stack.client(key) if key else stack.client()
    if stream:
        chunks = client.chat.completions.create(model="chat", messages=messages, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks)
    completion = client.chat.completions.create(model="chat", messages=messages)
    return completion.choices[0].message.content or ""


def _user(text: str) -> ChatCompletionMessageParam:
    return {"role": "user", "content": text}


def _assistant(text: str) -> ChatCompletionMessageParam:
    return {"role": "assistant", "content": text}


def test_resent_history_continues_the_dify_conversation(stack: Stack) -> None:
    """Turn 2 and 3 continue turn 1's conversation and send only the new message."""
    system: ChatCompletionMessageParam = {"role": "system", "content": "Be brief."}
    first = _ask(stack, [system, _user("A")])
    assert first == "[0] System: Be brief.\n\nUser: A"
    second = _ask(stack, [system, _user("A"), _assistant(first), _user("B")], stream=True)
    assert second == "[1] B"
    history = [system, _user("A"), _assistant(first), _user("B"), _assistant(second), _user("C")]
    assert _ask(stack, history) == "[2] C"
    assert len(stack.apps["chat"].conversations) == 1


def test_edited_turn_starts_a_new_conversation_with_the_history_flattened(stack: Stack) -> None:
    """Editing the last user message (or regenerating) never reuses the advanced conversation."""
    first = _ask(stack, [_user("A")])
    assert _ask(stack, [_user("A"), _assistant(first), _user("B")]) == "[1] B"
    edited = _ask(stack, [_user("A"), _assistant(first), _user("B edited")])
    assert edited == "[0] User: A\n\nAssistant: [0] A\n\nUser: B edited"
    regenerated = _ask(stack, [_user("A"), _assistant(first), _user("B")])
    assert regenerated.startswith("[0] User: A")
    assert len(stack.apps["chat"].conversations) == 3


def test_edited_history_with_last_turn_policy_sends_only_the_new_message(
    make_stack: Callable[..., Stack],
) -> None:
    """history='last': a history Dify has not seen is not flattened."""
    stack = make_stack(history="last")
    assert _ask(stack, [_user("A"), _assistant("made up"), _user("B")]) == "[0] B"


def test_explicit_conversation_id_by_header_or_extra_body(stack: Stack) -> None:
    """X-Dify-Conversation-Id or dify.conversation_id continue that conversation."""
    raw = stack.client().chat.completions.with_raw_response.create(
        model="chat", messages=[_user("A")]
    )
    conversation_id = raw.headers["x-dify-conversation-id"]
    by_header = stack.client().chat.completions.create(
        model="chat",
        messages=[_user("B")],
        extra_headers={"X-Dify-Conversation-Id": conversation_id},
    )
    assert by_header.choices[0].message.content == "[1] B"
    by_body = stack.client().chat.completions.create(
        model="chat",
        messages=[_user("C")],
        extra_body={"dify": {"conversation_id": conversation_id}},
    )
    assert by_body.choices[0].message.content == "[2] C"


def test_two_tenants_never_share_a_conversation(stack: Stack) -> None:
    """The same history under another proxy key starts its own conversation, as another user."""
    first = _ask(stack, [_user("A")])
    other = _ask(stack, [_user("A"), _assistant(first), _user("B")], key=OTHER_KEY)
    assert other.startswith("[0] User: A")
    users = {c.user for c in stack.apps["chat"].conversations.values()}
    assert len(users) == 2


def test_user_field_maps_to_dify_user_and_scopes_conversations(stack: Stack) -> None:
    """OpenAI `user` is the Dify user; another user's identical history does not continue it."""
    client = stack.client()
    first = client.chat.completions.create(model="chat", messages=[_user("A")], user="alice")
    answer = first.choices[0].message.content or ""
    followup = [_user("A"), _assistant(answer), _user("B")]
    bob = client.chat.completions.create(model="chat", messages=followup, user="bob")
    assert (bob.choices[0].message.content or "").startswith("[0] User: A")
    alice = client.chat.completions.create(model="chat", messages=followup, user="alice")
    assert alice.choices[0].message.content == "[1] B"
    assert {c.user for c in stack.apps["chat"].conversations.values()} == {"alice", "bob"}


def test_default_user_is_stable_per_key_never_random(stack: Stack) -> None:
    """Without `user`, every request of one key is the same Dify user."""
    _ask(stack, [_user("A")])
    _ask(stack, [_user("B")])
    assert len(stack.apps["chat"].end_users) == 1


def test_sqlite_store_survives_a_restart(make_stack: Callable[..., Stack], tmp_path: Path) -> None:
    """With the SQLite store, a new proxy process continues a conversation the old one began."""
    path = tmp_path / "conversations.sqlite3"
    stack = make_stack(store="sqlite", store_path=path)
    first = _ask(stack, [_user("A")])
    with stack.proxy(store="sqlite", store_path=path):  # a second proxy, same file
        assert _ask(stack, [_user("A"), _assistant(first), _user("B")]) == "[1] B"
    assert len(stack.apps["chat"].conversations) == 1


def test_memory_store_forgets_on_restart(stack: Stack) -> None:
    """The in-memory store is per process: a new proxy starts a new conversation."""
    first = _ask(stack, [_user("A")])
    with stack.proxy():
        assert _ask(stack, [_user("A"), _assistant(first), _user("B")]).startswith("[0] User: A")


def test_stale_stored_conversation_starts_over(stack: Stack) -> None:
    """A remembered conversation Dify no longer has: a new one, history flattened, no error."""
    first = _ask(stack, [_user("A")])
    stack.apps["chat"].conversations.clear()
    assert _ask(stack, [_user("A"), _assistant(first), _user("B")]).startswith("[0] User: A")


def test_messages_input_passes_the_whole_history_to_the_app(
    make_stack: Callable[..., Stack],
) -> None:
    """messages_input: the whole history as JSON in that input; the query is the new turn."""
    stack = make_stack()
    stack.apps["chatflow"].inputs.append(InputVariable("messages", type="paragraph"))
    apps = {name: {"key": app.api_key} for name, app in stack.apps.items()}
    apps["chatflow"] = {"key": stack.apps["chatflow"].api_key, "messages_input": "messages"}
    with stack.proxy(apps=apps):
        history = [_user("A"), _assistant("R"), _user("B")]
        reply = stack.client().chat.completions.create(model="chatflow", messages=history)
    assert reply.choices[0].message.content == "Echo: B"
    [message] = stack.apps["chatflow"].messages.values()
    assert json.loads(message.inputs["messages"]) == [
        {"role": "user", "content": "A"},
        {"role": "assistant", "content": "R"},
        {"role": "user", "content": "B"},
    ]
