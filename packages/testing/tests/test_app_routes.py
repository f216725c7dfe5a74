"""App-key routes: app info, conversations, messages, feedback, annotations, end users, audio."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from difykit import BadRequestError, Dify, NotFoundError
from difykit_async import AsyncDify
from difykit_testing import DifyEmulator, EmulatedApp, InputVariable
from difykit_testing._state import AppMode, Conversation, StoredMessage, Variable
from difykit_testing.routes import _audio

RECORDINGS = Path(__file__).resolve().parents[2] / "sync" / "tests" / "data" / "recordings"
BASE_URL = "http://dify.test/v1"


def recorded(number: int) -> Any:
    """The response body of a real Dify recording."""
    (path,) = RECORDINGS.glob(f"{number:02d}-*.json")
    return json.loads(path.read_text(encoding="utf-8"))["response_body"]


@pytest.fixture
def emu() -> Iterator[DifyEmulator]:
    with DifyEmulator() as emulator:
        yield emulator


def sdk(emu: DifyEmulator, app: EmulatedApp) -> Dify:
    return Dify(
        api_key=app.api_key,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=emu.transport()),
        max_retries=0,
    )


def raw(emu: DifyEmulator, app: EmulatedApp) -> httpx.Client:
    return httpx.Client(
        transport=emu.transport(),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {app.api_key}"},
    )


def conversation(
    app: EmulatedApp,
    user: str,
    queries: Sequence[str] = ("hello",),
    *,
    created_at: int | None = None,
    updated_at: int | None = None,
) -> Conversation:
    """A conversation with one echoed message per query, stored as the chat route would."""
    conv = Conversation(
        app_id=app.id,
        user=user,
        name=queries[0] if queries else "New conversation",
        inputs={"name": "Ada"},
        introduction=app.opening_statement,
    )
    if created_at is not None:
        conv.created_at = created_at
    if updated_at is not None:
        conv.updated_at = updated_at
    for query in queries:
        message = StoredMessage(
            conversation_id=conv.id,
            query=query,
            answer=f"Echo: {query}",
            inputs=dict(conv.inputs),
            user=user,
        )
        conv.messages.append(message)
        app.messages[message.id] = message
    app.conversations[conv.id] = conv
    app.end_user(user)
    return conv


def chat_app(emu: DifyEmulator, mode: AppMode = "advanced-chat", **settings: Any) -> EmulatedApp:
    return emu.add_app(mode=mode, opening_statement="Hello! I echo what you say.", **settings)


# --- app information ---------------------------------------------------------------------------


def test_parameters_of_a_chatflow_equal_the_recording(emu: DifyEmulator) -> None:
    """/parameters of an app set up like the recorded chatflow answers recording 02's body."""
    app = emu.add_app(
        mode="advanced-chat",
        opening_statement="Hello! I echo what you say.",
        suggested_questions=["ping", "hello"],
        inputs=[InputVariable("name", max_length=64)],
    )
    assert raw(emu, app).get("/parameters").json() == recorded(2)
    parameters = sdk(emu, app).app.parameters()
    assert [field.variable for field in parameters.inputs] == ["name"]
    assert parameters.inputs[0].type == "text-input"


def test_parameters_of_a_workflow_equal_the_recording(emu: DifyEmulator) -> None:
    """A workflow's text and number inputs give recording 76's user_input_form."""
    app = emu.add_app(
        mode="workflow",
        inputs=[
            InputVariable("text", required=True, max_length=256),
            InputVariable("count", type="number"),
        ],
    )
    assert raw(emu, app).get("/parameters").json() == recorded(76)


def test_parameters_reflect_features_and_every_control(emu: DifyEmulator) -> None:
    """Enabled features and select, paragraph and file controls show in /parameters."""
    app = emu.add_app(
        mode="chat",
        suggested_questions_after_answer=True,
        speech_to_text=True,
        text_to_speech=True,
        inputs=[
            InputVariable("tone", type="select", options=["dry", "warm"], default="dry"),
            InputVariable("notes", type="paragraph", label="Notes", max_length=1000),
            InputVariable("doc", type="file", required=True),
        ],
    )
    parameters = sdk(emu, app).app.parameters()
    assert parameters.suggested_questions_after_answer is not None
    assert parameters.suggested_questions_after_answer.enabled
    assert parameters.speech_to_text is not None and parameters.speech_to_text.enabled
    assert parameters.text_to_speech is not None and parameters.text_to_speech.enabled
    tone, notes, doc = parameters.inputs
    assert (tone.type, tone.options, tone.default) == ("select", ["dry", "warm"], "dry")
    assert (notes.label, notes.max_length) == ("Notes", 1000)
    assert doc.type == "file" and doc.required
    form = raw(emu, app).get("/parameters").json()["user_input_form"]
    assert form[2]["file"]["allowed_file_upload_methods"] == ["local_file", "remote_url"]


def test_meta_and_site_have_the_recorded_shapes(emu: DifyEmulator) -> None:
    """/meta has no tool icons and /site has recording 04's keys with the app's name as title."""
    app = emu.add_app(mode="workflow", name="echo")
    dify = sdk(emu, app)
    assert dify.app.meta().tool_icons == {}
    body = raw(emu, app).get("/site").json()
    assert list(body) == list(recorded(4))
    assert dify.app.site().title == "echo"


# --- conversations ------------------------------------------------------------------------------


def test_conversations_walk_pages_per_user(emu: DifyEmulator) -> None:
    """The SDK walks last_id pages of the user's conversations, newest update first."""
    app = chat_app(emu)
    mine = [conversation(app, "u1", updated_at=100 + i) for i in range(5)]
    conversation(app, "someone-else")
    dify = sdk(emu, app)
    first = dify.conversations.list(user="u1", limit=2)
    assert first.has_more and first.limit == 2
    assert [c.id for c in first] == [c.id for c in reversed(mine)]
    oldest = dify.conversations.list(user="u1", sort_by="created_at", limit=100)
    assert [c.id for c in oldest.data] == [c.id for c in mine] and not oldest.has_more
    item = raw(emu, app).get("/conversations", params={"user": "u1", "limit": 1}).json()
    assert list(item) == list(recorded(15)) and list(item["data"][0]) == list(
        recorded(15)["data"][0]
    )
    assert item["data"][0]["introduction"] == "Hello! I echo what you say."


def test_conversations_sort_and_cursor_errors(emu: DifyEmulator) -> None:
    """sort_by orders by either time; an unknown last_id or bad limit gets Dify's errors."""
    app = chat_app(emu)
    a = conversation(app, "u1", created_at=1, updated_at=30)
    b = conversation(app, "u1", created_at=2, updated_at=20)
    c = conversation(app, "u1", created_at=3, updated_at=10)
    dify = sdk(emu, app)
    assert [x.id for x in dify.conversations.list(user="u1", sort_by="-created_at")] == [
        c.id,
        b.id,
        a.id,
    ]
    assert [x.id for x in dify.conversations.list(user="u1", sort_by="updated_at")] == [
        c.id,
        b.id,
        a.id,
    ]
    after = dify.conversations.list(user="u1", sort_by="created_at", last_id=a.id)
    assert [x.id for x in after.data] == [b.id, c.id]
    with pytest.raises(NotFoundError) as info:
        dify.conversations.list(user="u2", last_id=a.id)
    assert (info.value.code, info.value.message) == ("not_found", "Last Conversation Not Exists.")
    answer = raw(emu, app).get("/conversations", params={"limit": 101})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_param"
    assert answer.json()["message"].startswith("1 validation error for ConversationListQuery")


def test_conversation_routes_need_a_chat_app(emu: DifyEmulator) -> None:
    """A workflow app gets recording 62's not_chat_app on every conversation route."""
    app = emu.add_app(mode="workflow")
    client = raw(emu, app)
    answer = client.get("/conversations", params={"user": "user-abc-123"})
    assert (answer.status_code, answer.json()) == (400, recorded(62))
    assert client.get("/messages", params={"conversation_id": ""}).json() == recorded(62)
    with pytest.raises(BadRequestError) as info:
        sdk(emu, app).conversations.list(user="u1")
    assert info.value.code == "not_chat_app"


def test_rename_by_name_or_from_the_first_query(emu: DifyEmulator) -> None:
    """Rename sets the name, auto_generate takes the first query, neither is invalid_param."""
    app = chat_app(emu)
    conv = conversation(app, "u1", ["What is the weather like today?", "And tomorrow?"])
    conv.name = "New conversation"
    dify = sdk(emu, app)
    renamed = dify.conversations.rename(conv.id, name="Renamed conversation", user="u1")
    assert renamed.name == "Renamed conversation" and renamed.inputs == {"name": "Ada"}
    body = raw(emu, app).post(f"/conversations/{conv.id}/name", json={"name": "x", "user": "u1"})
    assert list(body.json()) == list(recorded(16))
    generated = dify.conversations.rename(conv.id, auto_generate=True, user="u1")
    assert generated.name == "What is the weather like today?"
    answer = raw(emu, app).post(f"/conversations/{conv.id}/name", json={"user": "u1"})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_param"
    assert "name is required when auto_generate is false" in answer.json()["message"]
    with pytest.raises(NotFoundError) as info:
        dify.conversations.rename(conv.id, name="stolen", user="u2")
    assert info.value.message == "Conversation Not Exists."


def test_delete_answers_204_and_forgets_the_conversation(emu: DifyEmulator) -> None:
    """DELETE answers 204 with no body; the conversation and its messages are gone after it."""
    app = chat_app(emu)
    keep = conversation(app, "user-abc-123")
    gone = conversation(app, "user-abc-123", ["bye"])
    client = raw(emu, app)
    answer = client.request("DELETE", f"/conversations/{gone.id}", json={"user": "user-abc-123"})
    assert (answer.status_code, answer.content) == (204, b"")
    assert gone.messages[0].id not in app.messages
    dify = sdk(emu, app)
    assert [c.id for c in dify.conversations.list(user="user-abc-123")] == [keep.id]
    with pytest.raises(NotFoundError) as info:
        dify.conversations.delete(gone.id, user="user-abc-123")
    assert (info.value.code, info.value.message) == ("not_found", "Conversation Not Exists.")
    assert client.delete(f"/conversations/{keep.id}").status_code == 415  # no JSON body
    assert client.delete("/conversations/not-a-uuid").status_code == 404  # Flask's HTML page


def _typed_variables(conv: Conversation) -> dict[str, Variable]:
    for variable in (
        Variable("profile", "object", {"name": "anon", "level": 1}, "an object"),
        Variable("tags", "array[string]", ["a", "b"], "string array"),
        Variable("scores", "array[number]", [1, 2.5], "number array"),
        Variable("counter", "number", 10, "last loop result"),
    ):
        conv.variables[variable.name] = variable
    return conv.variables


def test_variables_render_values_like_python_str(emu: DifyEmulator) -> None:
    """Variable values come back as Python str() renderings, as in recording 190."""
    app = chat_app(emu)
    conv = conversation(app, "chat-loop-user")
    _typed_variables(conv)
    body = raw(emu, app).get(
        f"/conversations/{conv.id}/variables", params={"user": "chat-loop-user"}
    )
    expected = recorded(190)
    assert [(v["name"], v["value_type"], v["value"]) for v in body.json()["data"]] == [
        (v["name"], v["value_type"], v["value"]) for v in expected["data"]
    ]
    assert list(body.json()["data"][0]) == list(expected["data"][0])
    assert {k: body.json()[k] for k in ("limit", "has_more")} == {"limit": 20, "has_more": False}


def test_variables_filter_and_walk_pages(emu: DifyEmulator) -> None:
    """variable_name filters (Dify 1.13 answers 500 there) and last_id pages walk all."""
    app = chat_app(emu)
    conv = conversation(app, "u1")
    _typed_variables(conv)
    dify = sdk(emu, app)
    only = dify.conversations.variables(conv.id, user="u1", variable_name="tags")
    assert [v.name for v in only.data] == ["tags"] and only.data[0].value == "['a', 'b']"
    walked = dify.conversations.variables(conv.id, user="u1", limit=3)
    assert walked.has_more and [v.name for v in walked] == ["profile", "tags", "scores", "counter"]
    with pytest.raises(NotFoundError):
        dify.conversations.variables(conv.id, user="u2")
    bad = raw(emu, app).get(
        f"/conversations/{conv.id}/variables", params={"user": "u1", "variable_name": "a;b"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_param"


@pytest.mark.parametrize(
    ("name", "value", "rendered", "recording"),
    [
        ("counter", 42, "42", 191),
        ("counter", 3.5, "3.5", None),
        ("profile", {"name": "Ada", "level": 3, "tags": ["x"]}, None, 194),
        ("profile", ["not", "an", "object"], None, 195),
        ("tags", ["red", "green"], None, 196),
        ("tags", "red", None, 198),
        ("scores", [3, 4.5], None, 199),
        ("scores", ["x"], None, 200),
    ],
)
def test_variable_updates_are_type_checked(
    emu: DifyEmulator, name: str, value: Any, rendered: str | None, recording: int | None
) -> None:
    """PUT checks the value against value_type with recordings 191-200's answers."""
    app = chat_app(emu)
    conv = conversation(app, "chat-loop-user")
    variable = _typed_variables(conv)[name]
    answer = raw(emu, app).put(
        f"/conversations/{conv.id}/variables/{variable.id}",
        json={"value": value, "user": "chat-loop-user"},
    )
    expected = recorded(recording) if recording else None
    if expected is not None and "code" in expected:
        assert (answer.status_code, answer.json()) == (400, expected)
        return
    assert answer.status_code == 200
    body = answer.json()
    assert body["value"] == (rendered if expected is None else expected["value"])
    if expected is not None:
        assert list(body) == list(expected)
        assert {k: body[k] for k in ("name", "value_type", "description")} == {
            k: expected[k] for k in ("name", "value_type", "description")
        }


def test_variable_update_errors(emu: DifyEmulator) -> None:
    """A wrong type is recording 21's bad_request; an unknown variable is not_found."""
    app = chat_app(emu)
    conv = conversation(app, "user-abc-123")
    last_query = Variable("last_query", "string", "(none)", "last user query")
    conv.variables[last_query.name] = last_query
    dify = sdk(emu, app)
    with pytest.raises(BadRequestError) as info:
        dify.conversations.update_variable(conv.id, last_query.id, value=42, user="user-abc-123")
    assert (info.value.code, info.value.message) == ("bad_request", recorded(21)["message"])
    updated = dify.conversations.update_variable(
        conv.id, last_query.id, value="set via API", user="user-abc-123"
    )
    assert updated.value == "set via API" and last_query.value == "set via API"
    with pytest.raises(NotFoundError) as missing:
        dify.conversations.update_variable(conv.id, conv.id, value="x", user="user-abc-123")
    assert missing.value.message == "Conversation Variable Not Exists."


# --- messages -----------------------------------------------------------------------------------


def test_messages_page_backwards_in_chronological_order(emu: DifyEmulator) -> None:
    """The first page holds the newest messages oldest first; first_id pages walk back."""
    app = chat_app(emu)
    conv = conversation(app, "u1", [f"q{i}" for i in range(5)])
    dify = sdk(emu, app)
    first = dify.messages.list(conversation_id=conv.id, user="u1", limit=2)
    assert [m.query for m in first.data] == ["q3", "q4"] and first.has_more
    assert [m.query for m in first] == ["q3", "q4", "q1", "q2", "q0"]
    everything = dify.messages.list(conversation_id=conv.id, user="u1")
    assert [m.query for m in everything.data] == [f"q{i}" for i in range(5)]
    assert not everything.has_more
    older = dify.messages.list(conversation_id=conv.id, user="u1", first_id=conv.messages[1].id)
    assert [m.query for m in older.data] == ["q0"]


def test_message_objects_have_the_recorded_keys(emu: DifyEmulator) -> None:
    """A listed message, files included, has recording 12's keys and the nil parent id."""
    app = chat_app(emu)
    conv = conversation(app, "user-abc-123", ["Here is a document"])
    upload = raw(emu, app).post(
        "/files/upload",
        files={"file": ("hello.txt", b"hello", "text/plain")},
        data={"user": "user-abc-123"},
    )
    conv.messages[0].files.append(
        {"type": "document", "transfer_method": "local_file", "upload_file_id": upload.json()["id"]}
    )
    params = {"conversation_id": conv.id, "user": "user-abc-123"}
    body = raw(emu, app).get("/messages", params=params).json()
    expected = recorded(12)
    assert list(body) == list(expected)
    (message,) = body["data"]
    assert list(message) == list(expected["data"][2])
    assert message["parent_message_id"] == "00000000-0000-0000-0000-000000000000"
    (file,) = message["message_files"]
    assert list(file) == list(expected["data"][2]["message_files"][0])
    assert (file["filename"], file["mime_type"], file["size"]) == ("hello.txt", "text/plain", 5)
    again = raw(emu, app).get("/messages", params=params).json()["data"][0]["message_files"][0]
    assert again["id"] == file["id"]


def test_messages_errors_match_the_recordings(emu: DifyEmulator) -> None:
    """Another user's or an unknown conversation, and an unknown first_id, are 404 not_found."""
    app = chat_app(emu)
    conv = conversation(app, "user-abc-123")
    client = raw(emu, app)
    other = client.get("/messages", params={"conversation_id": conv.id, "user": "someone-else"})
    assert (other.status_code, other.json()) == (404, recorded(55))
    dify = sdk(emu, app)
    with pytest.raises(NotFoundError) as info:
        dify.messages.list(conversation_id=conv.id, user="user-abc-123", first_id=app.id)
    assert info.value.message.startswith("First Message Not Exists.")
    missing = client.get("/messages", params={"user": "u1"})
    assert (
        missing.status_code == 400
        and "conversation_id\n  Field required" in (missing.json()["message"])
    )
    not_uuid = client.get("/messages", params={"conversation_id": "nope"})
    assert "must be a valid UUID" in not_uuid.json()["message"]


def test_suggested_questions(emu: DifyEmulator) -> None:
    """Suggested questions need the feature (recording 26), the message and a user."""
    disabled = chat_app(emu)
    conv = conversation(disabled, "user-abc-123")
    answer = raw(emu, disabled).get(
        f"/messages/{conv.messages[0].id}/suggested", params={"user": "user-abc-123"}
    )
    assert (answer.status_code, answer.json()) == (400, recorded(26))
    enabled = chat_app(emu, mode="chat", suggested_questions_after_answer=True)
    conv = conversation(enabled, "u1")
    dify = sdk(emu, enabled)
    questions = dify.messages.suggested(conv.messages[0].id, user="u1")
    assert len(questions) == 3 and all(q.endswith("?") for q in questions)
    with pytest.raises(NotFoundError) as info:
        dify.messages.suggested(conv.messages[0].id, user="u2")
    assert info.value.message == "Message Not Exists."
    no_user = raw(emu, enabled).get(f"/messages/{conv.messages[0].id}/suggested")
    assert no_user.json() == {
        "code": "invalid_param",
        "message": "Arg user must be provided.",
        "status": 400,
    }


# --- feedback -----------------------------------------------------------------------------------


def test_feedback_like_list_and_revoke(emu: DifyEmulator) -> None:
    """Likes show in /app/feedbacks newest first (recording 24's shape) and null revokes."""
    app = chat_app(emu)
    conv = conversation(app, "user-abc-123", ["Hello Dify", "Second turn"])
    first, second = conv.messages
    dify = sdk(emu, app)
    dify.feedbacks.create(first.id, rating="like", user="user-abc-123", content="great echo")
    dify.feedbacks.create(second.id, rating="dislike", user="user-abc-123", content="meh")
    body = raw(emu, app).get("/app/feedbacks", params={"page": 1, "limit": 20}).json()
    expected = recorded(24)
    assert list(body) == ["data"] and list(body["data"][0]) == list(expected["data"][0])
    assert [f["rating"] for f in body["data"]] == ["dislike", "like"]
    newest = body["data"][0]
    assert newest["from_end_user_id"] == app.end_user("user-abc-123").id
    assert datetime.fromisoformat(newest["created_at"]).tzinfo is None
    listed = dify.feedbacks.list(limit=1)
    assert [f.rating for f in listed] == ["dislike", "like"]
    history = dify.messages.list(conversation_id=conv.id, user="user-abc-123")
    assert [m.feedback.rating if m.feedback else None for m in history.data] == ["like", "dislike"]
    dify.feedbacks.create(second.id, rating=None, user="user-abc-123")
    assert [f.message_id for f in dify.feedbacks.list()] == [first.id]
    again = raw(emu, app).post(
        f"/messages/{second.id}/feedbacks", json={"rating": None, "user": "user-abc-123"}
    )
    assert again.status_code == 400 and again.json()["code"] == "invalid_param"


def test_feedback_errors(emu: DifyEmulator) -> None:
    """An unknown message is recording 58; a missing user or a bad rating is invalid_param."""
    app = chat_app(emu)
    conv = conversation(app, "user-abc-123")
    client = raw(emu, app)
    unknown = client.post(
        f"/messages/{app.id}/feedbacks", json={"rating": "like", "user": "user-abc-123"}
    )
    assert (unknown.status_code, unknown.json()) == (404, recorded(58))
    url = f"/messages/{conv.messages[0].id}/feedbacks"
    assert client.post(url, json={"rating": "like"}).json()["message"] == (
        "Arg user must be provided."
    )
    bad = client.post(url, json={"rating": "love", "user": "user-abc-123"})
    assert bad.status_code == 400 and "MessageFeedbackPayload" in bad.json()["message"]


# --- annotations --------------------------------------------------------------------------------


def test_annotations_crud(emu: DifyEmulator) -> None:
    """Create (201), list with keyword, update and delete (204) answer recordings 34-39."""
    app = emu.add_app(mode="chat")
    client = raw(emu, app)
    empty = client.get("/apps/annotations", params={"page": 1, "limit": 20})
    assert empty.json() == recorded(34)
    created = client.post(
        "/apps/annotations", json={"question": "What is Dify?", "answer": "An LLM app platform."}
    )
    assert created.status_code == 201 and list(created.json()) == list(recorded(35))
    dify = sdk(emu, app)
    other = dify.annotations.create(question="Unrelated", answer="Nothing here")
    found = client.get("/apps/annotations", params={"page": 1, "limit": 20, "keyword": "dify"})
    assert list(found.json()) == list(recorded(36))
    assert [a["id"] for a in found.json()["data"]] == [created.json()["id"]]
    updated = dify.annotations.update(other.id, question="Changed?", answer="Yes.")
    assert (updated.question, updated.answer) == ("Changed?", "Yes.")
    deleted = client.delete(f"/apps/annotations/{created.json()['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = client.delete(f"/apps/annotations/{created.json()['id']}")
    assert (again.status_code, again.json()) == (404, recorded(39))
    with pytest.raises(NotFoundError):
        dify.annotations.update(created.json()["id"], question="q", answer="a")
    missing = client.post("/apps/annotations", json={"question": "q"})
    assert missing.status_code == 400 and "AnnotationCreatePayload" in missing.json()["message"]


def test_annotation_pages_report_has_more_when_full(emu: DifyEmulator) -> None:
    """Like Dify, an exactly full last page says has_more and the next page is empty."""
    app = emu.add_app(mode="chat")
    dify = sdk(emu, app)
    for i in range(4):
        dify.annotations.create(question=f"q{i}", answer=f"a{i}")
    first = dify.annotations.list(limit=2)
    assert (first.total, first.page, first.has_more) == (4, 1, True)
    assert [a.question for a in first] == ["q3", "q2", "q1", "q0"]
    last = dify.annotations.list(page=3, limit=2)
    assert last.data == [] and not last.has_more


def test_annotation_reply_jobs(emu: DifyEmulator) -> None:
    """Enable/disable answer a waiting job whose status is completed (recordings 40-42)."""
    app = emu.add_app(mode="advanced-chat")
    dify = sdk(emu, app)
    settings = {
        "embedding_provider_name": "openai",
        "embedding_model_name": "text-embedding-3-small",
        "score_threshold": 0.9,
    }
    job = raw(emu, app).post("/apps/annotation-reply/enable", json=settings)
    assert list(job.json()) == list(recorded(40)) and job.json()["job_status"] == "waiting"
    status = dify.annotations.reply_status(job.json()["job_id"], action="enable")
    assert status.model_dump() == {**recorded(41), "job_id": job.json()["job_id"]}
    assert raw(emu, app).get("/parameters").json()["annotation_reply"] == {"enabled": True}
    off = dify.annotations.disable_reply(
        embedding_provider_name="openai",
        embedding_model_name="text-embedding-3-small",
        score_threshold=0.9,
    )
    assert off.job_status == "waiting"
    assert dify.annotations.reply_status(off.job_id, action="disable").job_status == "completed"
    assert raw(emu, app).get("/parameters").json()["annotation_reply"] == {"enabled": False}
    with pytest.raises(BadRequestError) as info:
        dify.annotations.reply_status(job.json()["job_id"], action="disable")
    assert (info.value.code, info.value.message) == ("invalid_param", "The job does not exist.")
    incomplete = raw(emu, app).post("/apps/annotation-reply/disable", json={"score_threshold": 1})
    assert (
        incomplete.status_code == 400
        and "embedding_provider_name" in (incomplete.json()["message"])
    )


# --- end users ----------------------------------------------------------------------------------


def test_end_users_are_created_on_first_sight(emu: DifyEmulator) -> None:
    """A user string seen by any route becomes an end user with recording 44's shape."""
    app = chat_app(emu)
    dify = sdk(emu, app)
    dify.conversations.list(user="user-abc-123")
    end_user = app.end_user("user-abc-123")
    body = raw(emu, app).get(f"/end-users/{end_user.id}").json()
    assert list(body) == list(recorded(44))
    assert (body["session_id"], body["external_user_id"], body["is_anonymous"]) == (
        "user-abc-123",
        "user-abc-123",
        False,
    )
    fetched = dify.end_users.get(end_user.id)
    assert fetched.created_at is not None and fetched.created_at.tzinfo is None
    unknown = raw(emu, app).get(f"/end-users/{app.id}")
    assert (unknown.status_code, unknown.json()) == (404, recorded(45))


# --- audio --------------------------------------------------------------------------------------


def test_audio_disabled_answers_like_dify(emu: DifyEmulator) -> None:
    """Disabled speech-to-text and text-to-speech answer recordings 31 and 32."""
    app = chat_app(emu)
    client = raw(emu, app)
    stt = client.post(
        "/audio-to-text",
        files={"file": ("a.mp3", b"\xff\xfb" * 105, "audio/mp3")},
        data={"user": "user-abc-123"},
    )
    assert (stt.status_code, stt.json()) == (400, recorded(31))
    tts = client.post("/text-to-audio", json={"text": "hello", "user": "user-abc-123"})
    assert (tts.status_code, tts.json()) == (400, recorded(32))


def test_speech_to_text(emu: DifyEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enabled STT transcribes mp3/m4a/wav/amr/mpga, refusing other types (415) and size (413)."""
    app = emu.add_app(mode="chat", speech_to_text=True)
    dify = sdk(emu, app)
    assert dify.audio.to_text(b"x" * 210, filename="a.mp3", user="u1").text == (
        "transcribed 210 bytes"
    )
    with pytest.raises(BadRequestError) as info:
        dify.audio.to_text(b"x", filename="a.ogg", content_type="audio/ogg", user="u1")
    assert (info.value.status_code, info.value.code) == (415, "unsupported_audio_type")
    monkeypatch.setattr(_audio, "AUDIO_LIMIT", 10)
    with pytest.raises(BadRequestError) as big:
        dify.audio.to_text(b"x" * 11, filename="a.wav", user="u1")
    assert (big.value.status_code, big.value.code) == (413, "audio_too_large")
    no_file = raw(emu, app).post("/audio-to-text", files={"user": (None, "u1")})
    assert no_file.status_code == 400 and no_file.json()["code"] == "bad_request_key_error"


def test_text_to_speech(emu: DifyEmulator) -> None:
    """Enabled TTS answers audio/mpeg for text or a message's answer, null for unknown ids."""
    app = emu.add_app(mode="chat", text_to_speech=True)
    conv = conversation(app, "u1")
    dify = sdk(emu, app)
    speech = dify.audio.to_speech(text="Hello there", user="u1")
    assert speech.content_type == "audio/mpeg" and speech.content.startswith(b"ID3")
    assert dify.audio.to_speech(message_id=conv.messages[0].id).content.startswith(b"ID3")
    unknown = raw(emu, app).post("/text-to-audio", json={"message_id": app.id})
    assert (unknown.status_code, unknown.content) == (200, b"null")
    no_text = raw(emu, app).post("/text-to-audio", json={"voice": "alloy"})
    assert no_text.json()["message"] == "Text is required"


# --- async client -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_async_client_walks_conversations_and_messages() -> None:
    """AsyncDify pages through conversations and messages and maps Dify's errors."""
    emulator = DifyEmulator()
    app = chat_app(emulator)
    convs = [conversation(app, "u1", ["a", "b", "c"], updated_at=i) for i in range(3)]
    async with httpx.AsyncClient(transport=emulator.async_transport()) as http:
        dify = AsyncDify(api_key=app.api_key, base_url=BASE_URL, http_client=http)
        page = await dify.conversations.list(user="u1", limit=2)
        assert [c.id async for c in page] == [c.id for c in reversed(convs)]
        messages = await dify.messages.list(conversation_id=convs[0].id, user="u1", limit=1)
        assert [m.query async for m in messages] == ["c", "b", "a"]
        await dify.feedbacks.create(convs[0].messages[0].id, rating="like", user="u1")
        assert [f.rating async for f in await dify.feedbacks.list()] == ["like"]
        with pytest.raises(NotFoundError) as info:
            await dify.conversations.delete(convs[0].id, user="u2")
        assert info.value.code == "not_found"


# --- through /chat-messages ---------------------------------------------------------------------


def test_chat_messages_feed_the_history_routes(emu: DifyEmulator) -> None:
    """Conversations and messages made by /chat-messages are listed, rated and renamed."""
    app = chat_app(emu, inputs=[InputVariable("name")], suggested_questions_after_answer=True)
    dify = sdk(emu, app)
    upload = dify.files.upload(b"hello", filename="hello.txt", user="u1")
    first = dify.chat.send(query="Hello Dify", user="u1", inputs={"name": "Ada"}, files=[upload])
    assert first.conversation_id is not None
    second = dify.chat.stream(
        query="Second turn", user="u1", conversation_id=first.conversation_id
    ).collect()
    other = dify.chat.send(query="Elsewhere", user="u1")
    listed = dify.conversations.list(user="u1")
    assert [c.id for c in listed.data] == [other.conversation_id, first.conversation_id]
    history = dify.messages.list(conversation_id=first.conversation_id, user="u1")
    assert [(m.query, m.answer) for m in history.data] == [
        ("Hello Dify", first.answer),
        ("Second turn", second.answer),
    ]
    (file,) = history.data[0].message_files
    assert (file.filename, file.upload_file_id) == ("hello.txt", upload.id)
    assert dify.files.preview(upload.id, user="u1").content == b"hello"
    assert len(dify.messages.suggested(second.message_id or "", user="u1")) == 3
    dify.feedbacks.create(second.message_id or "", rating="like", user="u1")
    assert [f.message_id for f in dify.feedbacks.list()] == [second.message_id]
    renamed = dify.conversations.rename(first.conversation_id, auto_generate=True, user="u1")
    assert renamed.name == "Hello Dify"
    variables = dify.conversations.variables(first.conversation_id, user="u1")
    assert [(v.name, v.value) for v in variables.data] == [("last_query", "Second turn")]
    dify.conversations.delete(first.conversation_id, user="u1")
    assert [c.id for c in dify.conversations.list(user="u1")] == [other.conversation_id]
    with pytest.raises(NotFoundError):
        dify.chat.send(query="again", user="u1", conversation_id=first.conversation_id)
