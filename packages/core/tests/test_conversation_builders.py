"""App-key builders around conversations: conversations, variables, messages, feedback, forms."""

from __future__ import annotations

from typing import Any

import pytest
from recorded import dumped, json_answer, recorded, sent

from difykit_core import HttpRequest, InvalidRequestError, RemoteFile, UploadedFile
from difykit_core.models.conversations import Conversation, ConversationVariable, Message
from difykit_core.models.human_input import HumanInputForm
from difykit_core.operations import conversations, feedbacks, human_input, messages

USER = "user-abc-123"
CONVERSATION = "d03f895f-69e4-4697-b7b6-75cd6def8025"


def describe(call: Any) -> tuple[str, str, bool, str | None]:
    """A call's operation, key family, replayability and user."""
    return (call.operation, call.key_family, call.replayable, call.user)


# --- conversations ----------------------------------------------------------------------------


def test_list_conversations_sends_the_recorded_query_and_reads_the_page() -> None:
    """Recording 14: user, limit and sort order are sent; both conversations parse in full."""
    exchange = recorded("14-conversations-list")
    call = conversations.list_conversations(user=USER, limit=20, sort_by="-updated_at")
    assert call.request == HttpRequest(
        "GET",
        "/conversations",
        query=(("user", USER), ("limit", "20"), ("sort_by", "-updated_at")),
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("conversations.list", "app", True, USER)
    page = call.parse(exchange.response)
    assert all(isinstance(c, Conversation) for c in page.data)
    assert page.data[1].name == "新しい会話 \u2013 unicode ✓"
    assert dumped(page) == exchange.body
    assert call.next_page is not None
    assert call.next_page(page) is None


def test_conversation_pages_continue_after_the_last_one_with_the_same_filters() -> None:
    """Recording 15 (one of more): the next call starts after its conversation, same filters."""
    exchange = recorded("15-conversations-list-paged")
    call = conversations.list_conversations(user=USER, limit=1, sort_by="created_at")
    page = call.parse(exchange.response)
    assert page.has_more is True
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (
        ("user", USER),
        ("last_id", CONVERSATION),
        ("limit", "1"),
        ("sort_by", "created_at"),
    )
    assert following.next_page is not None  # and so on, page after page


def test_rename_conversation_posts_the_recorded_body() -> None:
    """Recording 16: name, ``auto_generate=False`` and user are posted; the result is parsed."""
    exchange = recorded("16-conversation-rename")
    call = conversations.rename_conversation(
        CONVERSATION, name="Renamed conversation", auto_generate=False, user=USER
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("conversations.rename", "app", False, USER)
    conversation = call.parse(exchange.response)
    assert conversation.name == "Renamed conversation"
    assert dumped(conversation) == exchange.body


def test_rename_conversation_can_let_dify_choose_the_name() -> None:
    """``auto_generate=True`` needs no name and sends only what is given."""
    call = conversations.rename_conversation("c/1", auto_generate=True)
    assert call.request == HttpRequest(
        "POST", "/conversations/c%2F1/name", json={"auto_generate": True}
    )
    assert call.user is None


@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({}, "give a non-empty `name`"),
        ({"name": "   "}, "give a non-empty `name`"),
        ({"name": "", "auto_generate": False}, "give a non-empty `name`"),
    ],
    ids=["nothing", "blank-name", "empty-name-no-auto"],
)
def test_rename_conversation_needs_a_name_or_auto_generate(
    fields: dict[str, Any], mentions: str
) -> None:
    """Without a usable name or ``auto_generate=True`` nothing is built."""
    with pytest.raises(InvalidRequestError, match=mentions):
        conversations.rename_conversation(CONVERSATION, **fields)


def test_delete_conversation_sends_the_user_in_a_json_body() -> None:
    """Recording 72: DELETE with ``{"user": …}``; the 204 answer reads as ``None``."""
    exchange = recorded("72-conversation-delete")
    call = conversations.delete_conversation("389848ee-a364-4fc3-b15a-587a02e5b9e3", user=USER)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("conversations.delete", "app", False, USER)
    assert call.parse(exchange.response) is None


def test_delete_conversation_without_user_still_sends_a_json_object() -> None:
    """Older Dify versions fail on a DELETE without a body, so ``{}`` is sent."""
    call = conversations.delete_conversation(CONVERSATION)
    assert call.request == HttpRequest("DELETE", f"/conversations/{CONVERSATION}", json={})


@pytest.mark.parametrize(
    "build",
    [
        lambda: conversations.rename_conversation("", name="x"),
        lambda: conversations.delete_conversation(""),
        lambda: conversations.list_variables(" "),
        lambda: conversations.update_variable(CONVERSATION, "", value=1),
        lambda: conversations.update_variable("", "v-1", value=1),
    ],
    ids=["rename", "delete", "variables", "update-no-variable", "update-no-conversation"],
)
def test_conversation_builders_refuse_empty_ids(build: Any) -> None:
    """An empty conversation or variable id raises before anything is built."""
    with pytest.raises(InvalidRequestError, match="must be a non-empty string"):
        build()


# --- conversation variables -------------------------------------------------------------------


@pytest.mark.parametrize(
    "recording", ["18-conversation-variables-list", "190-conversation-variables-list-typed"]
)
def test_list_variables_reads_every_variable_as_sent(recording: str) -> None:
    """Variables parse in full, with Dify's string renderings of objects and arrays kept."""
    exchange = recorded(recording)
    conversation_id = exchange.path.split("/")[2]
    call = conversations.list_variables(conversation_id, user=exchange.query["user"])
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("conversations.variables", "app", True, exchange.query["user"])
    page = call.parse(exchange.response)
    assert all(isinstance(v, ConversationVariable) for v in page.data)
    assert dumped(page) == exchange.body


def test_typed_variables_keep_difys_python_renderings() -> None:
    """Recording 190: an object variable's value is the string Dify sent, not parsed JSON."""
    page = conversations.list_variables("c").parse(
        recorded("190-conversation-variables-list-typed").response
    )
    assert {v.name: (v.value_type, v.value) for v in page.data} == {
        "profile": ("object", "{'name': 'anon', 'level': 1}"),
        "tags": ("array[string]", "['a', 'b']"),
        "scores": ("array[number]", "[1, 2.5]"),
        "counter": ("number", "10"),
    }


def test_variable_pages_continue_after_the_last_variable() -> None:
    """A page with more leads to the variables after its last one, filters kept."""
    call = conversations.list_variables(CONVERSATION, user=USER, limit=1, variable_name="x")
    page = call.parse(
        json_answer({"limit": 1, "has_more": True, "data": [{"id": "v-1", "name": "x"}]})
    )
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request == HttpRequest(
        "GET",
        f"/conversations/{CONVERSATION}/variables",
        query=(("user", USER), ("last_id", "v-1"), ("limit", "1"), ("variable_name", "x")),
    )


def test_update_variable_puts_the_recorded_value() -> None:
    """Recording 20: value and user are PUT, replayably; the updated variable is parsed."""
    exchange = recorded("20-conversation-variable-update")
    call = conversations.update_variable(
        CONVERSATION, "e49b1d4f-cd6f-411e-9563-beae2b49b62c", value="set via API", user=USER
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("conversations.update_variable", "app", True, USER)
    variable = call.parse(exchange.response)
    assert variable.value == "set via API"
    assert dumped(variable) == exchange.body


@pytest.mark.parametrize(
    "value",
    [None, 0, [3, 4.5], {"name": "Ada", "tags": ["x"]}],
    ids=["null", "zero", "list", "dict"],
)
def test_update_variable_sends_any_json_value_even_null(value: Any) -> None:
    """The value is always sent (``null`` included); the user only when given."""
    call = conversations.update_variable("c", "v", value=value)
    assert call.request.json == {"value": value}


# --- messages ---------------------------------------------------------------------------------


def test_list_messages_sends_the_recorded_query_and_reads_the_history() -> None:
    """Recording 12: the conversation's messages parse in full, files and all."""
    exchange = recorded("12-messages-list")
    call = messages.list_messages(conversation_id=CONVERSATION, user=USER, limit=20)
    assert call.request.query == (
        ("conversation_id", CONVERSATION),
        ("user", USER),
        ("limit", "20"),
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("messages.list", "app", True, USER)
    page = call.parse(exchange.response)
    assert all(isinstance(m, Message) for m in page.data)
    assert page.data[0].answer == "Echo: Hello Dify"
    assert dumped(page) == exchange.body
    assert call.next_page is not None
    assert call.next_page(page) is None


def test_message_pages_walk_back_from_the_oldest_message() -> None:
    """A page with more leads to the messages before its first (oldest) one."""
    call = messages.list_messages(conversation_id=CONVERSATION, limit=2)
    page = call.parse(
        json_answer({"limit": 2, "has_more": True, "data": [{"id": "m-3"}, {"id": "m-4"}]})
    )
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (
        ("conversation_id", CONVERSATION),
        ("first_id", "m-3"),
        ("limit", "2"),
    )


def test_list_messages_needs_a_conversation() -> None:
    """An empty conversation id raises before building."""
    with pytest.raises(InvalidRequestError, match="`conversation_id`"):
        messages.list_messages(conversation_id="")


def test_suggested_questions_reads_the_list() -> None:
    """``GET /messages/{id}/suggested`` gives the questions as a list of strings."""
    call = messages.suggested_questions("bbe22ae0-3878-4ea8-8072-73b4a2911cae", user=USER)
    assert call.request == HttpRequest(
        "GET",
        "/messages/bbe22ae0-3878-4ea8-8072-73b4a2911cae/suggested",
        query=(("user", USER),),
    )
    assert describe(call) == ("messages.suggested", "app", True, USER)
    answer = {"result": "success", "data": ["What else can you echo?", "Why echo?"]}
    assert call.parse(json_answer(answer)) == ["What else can you echo?", "Why echo?"]
    assert call.parse(json_answer({"result": "success"})) == []


@pytest.mark.parametrize(("message_id", "user"), [("", USER), ("m-1", "")])
def test_suggested_questions_needs_message_and_user(message_id: str, user: str) -> None:
    """Both the message id and the user are required."""
    with pytest.raises(InvalidRequestError):
        messages.suggested_questions(message_id, user=user)


# --- feedback ---------------------------------------------------------------------------------


def test_create_feedback_posts_the_recorded_rating() -> None:
    """Recording 22: a like with a comment; Dify's ``{"result": "success"}`` reads as None."""
    exchange = recorded("22-message-feedback-like")
    call = feedbacks.create_feedback(
        "bbe22ae0-3878-4ea8-8072-73b4a2911cae", rating="like", user=USER, content="great echo"
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("feedbacks.create", "app", False, USER)
    assert call.parse(exchange.response) is None


def test_revoking_feedback_sends_a_null_rating() -> None:
    """Recording 25: ``rating=None`` is sent as ``null`` (which revokes), not left out."""
    exchange = recorded("25-message-feedback-revoke")
    call = feedbacks.create_feedback("af58d899-2d8c-489a-a045-bb26dd93b150", rating=None, user=USER)
    assert sent(call.request) == exchange.sent


@pytest.mark.parametrize(
    ("message_id", "rating", "user", "mentions"),
    [
        ("", "like", USER, "`message_id`"),
        ("m", "love", USER, "`rating`"),
        ("m", "like", "", "`user`"),
    ],
    ids=["no-message", "unknown-rating", "no-user"],
)
def test_bad_feedback_raises_before_building(
    message_id: str, rating: Any, user: str, mentions: str
) -> None:
    """An empty message id or user, or a rating other than like/dislike, is refused."""
    with pytest.raises(InvalidRequestError, match=mentions):
        feedbacks.create_feedback(message_id, rating=rating, user=user)


def test_list_feedbacks_reads_the_recorded_page_and_fills_paging() -> None:
    """Recording 24 has no paging fields: page and limit are filled, a short page is the last."""
    exchange = recorded("24-app-feedbacks-list")
    call = feedbacks.list_feedbacks(page=1, limit=20)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("feedbacks.list", "app", True, None)
    page = call.parse(exchange.response)
    assert [f.rating for f in page.data] == ["like", "dislike"]
    assert dumped(page) == {**exchange.body, "page": 1, "limit": 20, "has_more": False}
    assert call.next_page is not None
    assert call.next_page(page) is None


def test_full_feedback_page_leads_to_the_next_one() -> None:
    """A page as long as the limit may have a successor, asked for with the same limit."""
    exchange = recorded("24-app-feedbacks-list")
    call = feedbacks.list_feedbacks(limit=2)
    assert call.request.query == (("limit", "2"),)
    page = call.parse(exchange.response)
    assert (page.page, page.limit, page.has_more) == (1, 2, True)
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (("page", "2"), ("limit", "2"))


def test_feedback_pages_default_to_difys_limit_of_twenty() -> None:
    """Without a limit, a page of 20 counts as full and the next page is asked without one."""
    call = feedbacks.list_feedbacks()
    assert call.request.query == ()
    page = call.parse(json_answer({"data": [{"id": f"f-{i}"} for i in range(20)]}))
    assert (page.page, page.limit, page.has_more) == (1, 20, True)
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (("page", "2"),)


# --- human input forms ------------------------------------------------------------------------

FORM_TOKEN = "PYvlEaTQp0W8PiWdzd7SI8"
FORM: dict[str, object] = {
    # The form of recording 211's ``human_input_required`` event, as GET /form/… gives it.
    "form_content": "Please review: release v2\n\n{{#$output.comment#}}",
    "inputs": [
        {
            "type": "paragraph",
            "output_variable_name": "comment",
            "default": {"type": "constant", "selector": [], "value": "looks good"},
        }
    ],
    "resolved_default_values": {},
    "user_actions": [
        {"id": "approve", "title": "Approve", "button_style": "primary"},
        {"id": "reject", "title": "Reject", "button_style": "default"},
    ],
    "expiration_time": 1795290879,
}


def test_get_form_reads_the_inputs_and_buttons() -> None:
    """``GET /form/human_input/{token}`` gives the form's inputs and actions in full."""
    call = human_input.get_form(FORM_TOKEN)
    assert call.request == HttpRequest("GET", f"/form/human_input/{FORM_TOKEN}")
    assert describe(call) == ("human_input.get", "app", True, None)
    form = call.parse(json_answer(FORM))
    assert isinstance(form, HumanInputForm)
    assert [i.output_variable_name for i in form.inputs] == ["comment"]
    assert [a.id for a in form.user_actions] == ["approve", "reject"]
    assert dumped(form) == FORM


def test_submit_form_posts_inputs_action_and_user() -> None:
    """Recording 220's inputs and action are posted with the user; files become file objects."""
    exchange = recorded("220-web-form-human-input-submit")
    call = human_input.submit_form(
        FORM_TOKEN, inputs=exchange.request_body["inputs"], action="approve", user="hi-user"
    )
    assert call.request == HttpRequest(
        "POST",
        f"/form/human_input/{FORM_TOKEN}",
        json={**exchange.request_body, "user": "hi-user"},
    )
    assert describe(call) == ("human_input.submit", "app", False, "hi-user")
    assert call.parse(exchange.response) is None
    links: list[UploadedFile | RemoteFile] = [RemoteFile(url="https://a.io/b.pdf")]
    with_file = human_input.submit_form(
        FORM_TOKEN,
        inputs={"proof": UploadedFile(id="up-1", name="a.png"), "link": links},
        action="approve",
        user="hi-user",
    )
    assert with_file.request.json == {
        "inputs": {
            "proof": {"type": "image", "transfer_method": "local_file", "upload_file_id": "up-1"},
            "link": [
                {"type": "document", "transfer_method": "remote_url", "url": "https://a.io/b.pdf"}
            ],
        },
        "action": "approve",
        "user": "hi-user",
    }


@pytest.mark.parametrize(
    ("token", "action", "user", "mentions"),
    [
        ("", "approve", "u", "`form_token`"),
        ("t", "", "u", "`action`"),
        ("t", "approve", "", "`user`"),
    ],
    ids=["no-token", "no-action", "no-user"],
)
def test_submit_form_refuses_missing_parts(
    token: str, action: str, user: str, mentions: str
) -> None:
    """An empty token, action or user raises before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        human_input.submit_form(token, inputs={}, action=action, user=user)
    if not token:
        with pytest.raises(InvalidRequestError, match=mentions):
            human_input.get_form(token)
