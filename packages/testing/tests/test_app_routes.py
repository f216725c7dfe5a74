"""App-key routes: app info, conversations, messages, feedback, annotations, end users, audio."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from difykit_testing import DifyEmulator, EmulatedApp, InputVariable
from difykit_testing._state import AppMode, Conversation, StoredMessage, Variable
from difykit_testing.routes import _audio
from emulator_http import (
    answer_of,
    async_client,
    client,
    error_of,
    sse_frames,
    walk_cursor,
    walk_pages,
)

_HOMES = [
    Path(__file__).resolve().parents[2] / sdk / "tests" / "data" / "recordings"
    for sdk in ("async", "sync")
]
RECORDINGS = next((home for home in _HOMES if home.is_dir()), _HOMES[0])
"""Real Dify recordings, kept with the SDK's tests (in ``packages/async``, once ``sync``)."""


def recorded(number: int) -> Any:
    """The response body of a real Dify recording."""
    (path,) = RECORDINGS.glob(f"{number:02d}-*.json")
    return json.loads(path.read_text(encoding="utf-8"))["response_body"]


@pytest.fixture
def emu() -> Iterator[DifyEmulator]:
    with DifyEmulator() as emulator:
        yield emulator


def raw(emu: DifyEmulator, app: EmulatedApp) -> httpx.Client:
    """A plain httpx client with the app's key, in-process."""
    return client(emu, app.api_key)


def ids(items: Sequence[Any]) -> list[str]:
    """The ``id`` of each listed JSON object."""
    return [item["id"] for item in items]


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
    """An app of ``mode`` with an opening statement."""
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
    body = raw(emu, app).get("/parameters").json()
    assert body == recorded(2)
    (control,) = body["user_input_form"]
    assert list(control) == ["text-input"] and control["text-input"]["variable"] == "name"


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
    parameters = raw(emu, app).get("/parameters").json()
    assert parameters["suggested_questions_after_answer"]["enabled"] is True
    assert parameters["speech_to_text"]["enabled"] is True
    assert parameters["text_to_speech"]["enabled"] is True
    tone, notes, doc = parameters["user_input_form"]
    assert list(tone) == ["select"] and list(notes) == ["paragraph"] and list(doc) == ["file"]
    assert (tone["select"]["options"], tone["select"]["default"]) == (["dry", "warm"], "dry")
    assert (notes["paragraph"]["label"], notes["paragraph"]["max_length"]) == ("Notes", 1000)
    assert doc["file"]["type"] == "file" and doc["file"]["required"] is True
    assert doc["file"]["allowed_file_upload_methods"] == ["local_file", "remote_url"]


def test_meta_and_site_have_the_recorded_shapes(emu: DifyEmulator) -> None:
    """/meta has no tool icons and /site has recording 04's keys with the app's name as title."""
    app = emu.add_app(mode="workflow", name="echo")
    http = raw(emu, app)
    assert http.get("/meta").json() == {"tool_icons": {}}
    body = http.get("/site").json()
    assert list(body) == list(recorded(4))
    assert body["title"] == "echo"


# --- conversations ------------------------------------------------------------------------------


def test_conversations_walk_pages_per_user(emu: DifyEmulator) -> None:
    """last_id pages walk the user's conversations, newest update first."""
    app = chat_app(emu)
    mine = [conversation(app, "u1", updated_at=100 + i) for i in range(5)]
    conversation(app, "someone-else")
    http = raw(emu, app)
    first = http.get("/conversations", params={"user": "u1", "limit": 2}).json()
    assert first["has_more"] and first["limit"] == 2 and len(first["data"]) == 2
    walked = walk_cursor(http, "/conversations", {"user": "u1", "limit": 2})
    assert ids(walked) == [c.id for c in reversed(mine)]
    oldest = http.get(
        "/conversations", params={"user": "u1", "sort_by": "created_at", "limit": 100}
    ).json()
    assert ids(oldest["data"]) == [c.id for c in mine] and not oldest["has_more"]
    item = http.get("/conversations", params={"user": "u1", "limit": 1}).json()
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
    http = raw(emu, app)

    def listed(**params: str) -> list[str]:
        body = http.get("/conversations", params={"user": "u1", **params}).json()
        return ids(body["data"])

    assert listed(sort_by="-created_at") == [c.id, b.id, a.id]
    assert listed(sort_by="updated_at") == [c.id, b.id, a.id]
    assert listed(sort_by="created_at", last_id=a.id) == [b.id, c.id]
    other = http.get("/conversations", params={"user": "u2", "last_id": a.id})
    assert error_of(other) == (404, "not_found", "Last Conversation Not Exists.")
    answer = http.get("/conversations", params={"limit": 101})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_param"
    assert answer.json()["message"].startswith("1 validation error for ConversationListQuery")


def test_conversation_routes_need_a_chat_app(emu: DifyEmulator) -> None:
    """A workflow app gets recording 62's not_chat_app on every conversation route."""
    app = emu.add_app(mode="workflow")
    http = raw(emu, app)
    answer = http.get("/conversations", params={"user": "user-abc-123"})
    assert (answer.status_code, answer.json()) == (400, recorded(62))
    assert http.get("/messages", params={"conversation_id": ""}).json() == recorded(62)
    assert error_of(http.get("/conversations", params={"user": "u1"}))[:2] == (
        400,
        "not_chat_app",
    )


def test_rename_by_name_or_from_the_first_query(emu: DifyEmulator) -> None:
    """Rename sets the name, auto_generate takes the first query, neither is invalid_param."""
    app = chat_app(emu)
    conv = conversation(app, "u1", ["What is the weather like today?", "And tomorrow?"])
    conv.name = "New conversation"
    http = raw(emu, app)
    url = f"/conversations/{conv.id}/name"
    renamed = http.post(url, json={"name": "Renamed conversation", "user": "u1"}).json()
    assert renamed["name"] == "Renamed conversation" and renamed["inputs"] == {"name": "Ada"}
    body = http.post(url, json={"name": "x", "user": "u1"})
    assert list(body.json()) == list(recorded(16))
    generated = http.post(url, json={"auto_generate": True, "user": "u1"}).json()
    assert generated["name"] == "What is the weather like today?"
    answer = http.post(url, json={"user": "u1"})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_param"
    assert "name is required when auto_generate is false" in answer.json()["message"]
    stolen = http.post(url, json={"name": "stolen", "user": "u2"})
    assert error_of(stolen) == (404, "not_found", "Conversation Not Exists.")


def test_delete_answers_204_and_forgets_the_conversation(emu: DifyEmulator) -> None:
    """DELETE answers 204 with no body; the conversation and its messages are gone after it."""
    app = chat_app(emu)
    keep = conversation(app, "user-abc-123")
    gone = conversation(app, "user-abc-123", ["bye"])
    http = raw(emu, app)
    user = {"user": "user-abc-123"}
    answer = http.request("DELETE", f"/conversations/{gone.id}", json=user)
    assert (answer.status_code, answer.content) == (204, b"")
    assert gone.messages[0].id not in app.messages
    assert ids(http.get("/conversations", params=user).json()["data"]) == [keep.id]
    again = http.request("DELETE", f"/conversations/{gone.id}", json=user)
    assert error_of(again) == (404, "not_found", "Conversation Not Exists.")
    assert http.delete(f"/conversations/{keep.id}").status_code == 415  # no JSON body
    assert http.delete("/conversations/not-a-uuid").status_code == 404  # Flask's HTML page


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
    http = raw(emu, app)
    url = f"/conversations/{conv.id}/variables"
    only = http.get(url, params={"user": "u1", "variable_name": "tags"}).json()["data"]
    assert [v["name"] for v in only] == ["tags"] and only[0]["value"] == "['a', 'b']"
    first = http.get(url, params={"user": "u1", "limit": 3}).json()
    assert first["has_more"] and len(first["data"]) == 3
    walked = walk_cursor(http, url, {"user": "u1", "limit": 3})
    assert [v["name"] for v in walked] == ["profile", "tags", "scores", "counter"]
    assert error_of(http.get(url, params={"user": "u2"}))[:2] == (404, "not_found")
    bad = http.get(url, params={"user": "u1", "variable_name": "a;b"})
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
    http = raw(emu, app)
    url = f"/conversations/{conv.id}/variables/{last_query.id}"
    wrong = http.put(url, json={"value": 42, "user": "user-abc-123"})
    assert error_of(wrong) == (400, "bad_request", recorded(21)["message"])
    updated = http.put(url, json={"value": "set via API", "user": "user-abc-123"})
    assert updated.json()["value"] == "set via API" and last_query.value == "set via API"
    missing = http.put(
        f"/conversations/{conv.id}/variables/{conv.id}",
        json={"value": "x", "user": "user-abc-123"},
    )
    assert error_of(missing) == (404, "not_found", "Conversation Variable Not Exists.")


# --- messages -----------------------------------------------------------------------------------


def test_messages_page_backwards_in_chronological_order(emu: DifyEmulator) -> None:
    """The first page holds the newest messages oldest first; first_id pages walk back."""
    app = chat_app(emu)
    conv = conversation(app, "u1", [f"q{i}" for i in range(5)])
    http = raw(emu, app)
    params = {"conversation_id": conv.id, "user": "u1"}
    first = http.get("/messages", params={**params, "limit": 2}).json()
    assert [m["query"] for m in first["data"]] == ["q3", "q4"] and first["has_more"]
    walked = walk_cursor(http, "/messages", {**params, "limit": 2}, cursor="first_id")
    assert [m["query"] for m in walked] == ["q3", "q4", "q1", "q2", "q0"]
    everything = http.get("/messages", params=params).json()
    assert [m["query"] for m in everything["data"]] == [f"q{i}" for i in range(5)]
    assert not everything["has_more"]
    older = http.get("/messages", params={**params, "first_id": conv.messages[1].id}).json()
    assert [m["query"] for m in older["data"]] == ["q0"]


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
    http = raw(emu, app)
    other = http.get("/messages", params={"conversation_id": conv.id, "user": "someone-else"})
    assert (other.status_code, other.json()) == (404, recorded(55))
    unknown_first = http.get(
        "/messages",
        params={"conversation_id": conv.id, "user": "user-abc-123", "first_id": app.id},
    )
    status, code, message = error_of(unknown_first)
    assert (status, code) == (404, "not_found")
    assert message.startswith("First Message Not Exists.")
    missing = http.get("/messages", params={"user": "u1"})
    assert (
        missing.status_code == 400
        and "conversation_id\n  Field required" in (missing.json()["message"])
    )
    not_uuid = http.get("/messages", params={"conversation_id": "nope"})
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
    http = raw(emu, enabled)
    url = f"/messages/{conv.messages[0].id}/suggested"
    body = http.get(url, params={"user": "u1"}).json()
    assert body["result"] == "success"
    questions = body["data"]
    assert len(questions) == 3 and all(q.endswith("?") for q in questions)
    stranger = http.get(url, params={"user": "u2"})
    assert error_of(stranger) == (404, "not_found", "Message Not Exists.")
    assert http.get(url).json() == {
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
    http = raw(emu, app)
    for message, rating, content in ((first, "like", "great echo"), (second, "dislike", "meh")):
        sent = http.post(
            f"/messages/{message.id}/feedbacks",
            json={"rating": rating, "user": "user-abc-123", "content": content},
        )
        assert sent.json() == {"result": "success"}
    body = http.get("/app/feedbacks", params={"page": 1, "limit": 20}).json()
    expected = recorded(24)
    assert list(body) == ["data"] and list(body["data"][0]) == list(expected["data"][0])
    assert [f["rating"] for f in body["data"]] == ["dislike", "like"]
    newest = body["data"][0]
    assert newest["from_end_user_id"] == app.end_user("user-abc-123").id
    assert datetime.fromisoformat(newest["created_at"]).tzinfo is None
    listed = walk_pages(http, "/app/feedbacks", {"limit": 1})
    assert [f["rating"] for f in listed] == ["dislike", "like"]
    params = {"conversation_id": conv.id, "user": "user-abc-123"}
    history = http.get("/messages", params=params).json()["data"]
    no_feedback: dict[str, Any] = {}
    assert [(m["feedback"] or no_feedback).get("rating") for m in history] == ["like", "dislike"]
    revoked = http.post(
        f"/messages/{second.id}/feedbacks", json={"user": "user-abc-123", "rating": None}
    )
    assert revoked.status_code == 200
    assert [f["message_id"] for f in http.get("/app/feedbacks").json()["data"]] == [first.id]
    again = http.post(
        f"/messages/{second.id}/feedbacks", json={"rating": None, "user": "user-abc-123"}
    )
    assert again.status_code == 400 and again.json()["code"] == "invalid_param"


def test_feedback_errors(emu: DifyEmulator) -> None:
    """An unknown message is recording 58; a missing user or a bad rating is invalid_param."""
    app = chat_app(emu)
    conv = conversation(app, "user-abc-123")
    http = raw(emu, app)
    unknown = http.post(
        f"/messages/{app.id}/feedbacks", json={"rating": "like", "user": "user-abc-123"}
    )
    assert (unknown.status_code, unknown.json()) == (404, recorded(58))
    url = f"/messages/{conv.messages[0].id}/feedbacks"
    assert http.post(url, json={"rating": "like"}).json()["message"] == (
        "Arg user must be provided."
    )
    bad = http.post(url, json={"rating": "love", "user": "user-abc-123"})
    assert bad.status_code == 400 and "MessageFeedbackPayload" in bad.json()["message"]


# --- annotations --------------------------------------------------------------------------------


def test_annotations_crud(emu: DifyEmulator) -> None:
    """Create (201), list with keyword, update and delete (204) answer recordings 34-39."""
    app = emu.add_app(mode="chat")
    http = raw(emu, app)
    empty = http.get("/apps/annotations", params={"page": 1, "limit": 20})
    assert empty.json() == recorded(34)
    created = http.post(
        "/apps/annotations", json={"question": "What is Dify?", "answer": "An LLM app platform."}
    )
    assert created.status_code == 201 and list(created.json()) == list(recorded(35))
    other = http.post("/apps/annotations", json={"question": "Unrelated", "answer": "Nothing here"})
    assert other.status_code == 201
    found = http.get("/apps/annotations", params={"page": 1, "limit": 20, "keyword": "dify"})
    assert list(found.json()) == list(recorded(36))
    assert ids(found.json()["data"]) == [created.json()["id"]]
    updated = http.put(
        f"/apps/annotations/{other.json()['id']}", json={"question": "Changed?", "answer": "Yes."}
    ).json()
    assert (updated["question"], updated["answer"]) == ("Changed?", "Yes.")
    deleted = http.delete(f"/apps/annotations/{created.json()['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    again = http.delete(f"/apps/annotations/{created.json()['id']}")
    assert (again.status_code, again.json()) == (404, recorded(39))
    gone = http.put(
        f"/apps/annotations/{created.json()['id']}", json={"question": "q", "answer": "a"}
    )
    assert error_of(gone)[:2] == (404, "not_found")
    missing = http.post("/apps/annotations", json={"question": "q"})
    assert missing.status_code == 400 and "AnnotationCreatePayload" in missing.json()["message"]


def test_annotation_pages_report_has_more_when_full(emu: DifyEmulator) -> None:
    """Like Dify, an exactly full last page says has_more and the next page is empty."""
    app = emu.add_app(mode="chat")
    http = raw(emu, app)
    for i in range(4):
        http.post("/apps/annotations", json={"question": f"q{i}", "answer": f"a{i}"})
    first = http.get("/apps/annotations", params={"limit": 2}).json()
    assert (first["total"], first["page"], first["has_more"]) == (4, 1, True)
    second = http.get("/apps/annotations", params={"page": 2, "limit": 2}).json()
    assert second["has_more"] and len(second["data"]) == 2
    walked = walk_pages(http, "/apps/annotations", {"limit": 2})
    assert [a["question"] for a in walked] == ["q3", "q2", "q1", "q0"]
    last = http.get("/apps/annotations", params={"page": 3, "limit": 2}).json()
    assert last["data"] == [] and not last["has_more"]


def test_annotation_reply_jobs(emu: DifyEmulator) -> None:
    """Enable/disable answer a waiting job whose status is completed (recordings 40-42)."""
    app = emu.add_app(mode="advanced-chat")
    http = raw(emu, app)
    settings = {
        "embedding_provider_name": "openai",
        "embedding_model_name": "text-embedding-3-small",
        "score_threshold": 0.9,
    }
    job = http.post("/apps/annotation-reply/enable", json=settings)
    assert list(job.json()) == list(recorded(40)) and job.json()["job_status"] == "waiting"
    job_id = job.json()["job_id"]
    status = http.get(f"/apps/annotation-reply/enable/status/{job_id}").json()
    assert status == {**recorded(41), "job_id": job_id}
    assert http.get("/parameters").json()["annotation_reply"] == {"enabled": True}
    off = http.post("/apps/annotation-reply/disable", json=settings).json()
    assert off["job_status"] == "waiting"
    off_status = http.get(f"/apps/annotation-reply/disable/status/{off['job_id']}").json()
    assert off_status["job_status"] == "completed"
    assert http.get("/parameters").json()["annotation_reply"] == {"enabled": False}
    crossed = http.get(f"/apps/annotation-reply/disable/status/{job_id}")
    assert error_of(crossed) == (400, "invalid_param", "The job does not exist.")
    incomplete = http.post("/apps/annotation-reply/disable", json={"score_threshold": 1})
    assert (
        incomplete.status_code == 400
        and "embedding_provider_name" in (incomplete.json()["message"])
    )


# --- end users ----------------------------------------------------------------------------------


def test_end_users_are_created_on_first_sight(emu: DifyEmulator) -> None:
    """A user string seen by any route becomes an end user with recording 44's shape."""
    app = chat_app(emu)
    http = raw(emu, app)
    assert http.get("/conversations", params={"user": "user-abc-123"}).status_code == 200
    end_user = app.end_user("user-abc-123")
    body = http.get(f"/end-users/{end_user.id}").json()
    assert list(body) == list(recorded(44))
    assert (body["session_id"], body["external_user_id"], body["is_anonymous"]) == (
        "user-abc-123",
        "user-abc-123",
        False,
    )
    assert datetime.fromisoformat(body["created_at"]).tzinfo is None
    unknown = http.get(f"/end-users/{app.id}")
    assert (unknown.status_code, unknown.json()) == (404, recorded(45))


# --- audio --------------------------------------------------------------------------------------


def test_audio_disabled_answers_like_dify(emu: DifyEmulator) -> None:
    """Disabled speech-to-text and text-to-speech answer recordings 31 and 32."""
    app = chat_app(emu)
    http = raw(emu, app)
    stt = http.post(
        "/audio-to-text",
        files={"file": ("a.mp3", b"\xff\xfb" * 105, "audio/mp3")},
        data={"user": "user-abc-123"},
    )
    assert (stt.status_code, stt.json()) == (400, recorded(31))
    tts = http.post("/text-to-audio", json={"text": "hello", "user": "user-abc-123"})
    assert (tts.status_code, tts.json()) == (400, recorded(32))


def test_speech_to_text(emu: DifyEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enabled STT transcribes mp3/m4a/wav/amr/mpga, refusing other types (415) and size (413)."""
    app = emu.add_app(mode="chat", speech_to_text=True)
    http = raw(emu, app)

    def transcribe(content: bytes, filename: str, content_type: str) -> httpx.Response:
        files = {"file": (filename, content, content_type)}
        return http.post("/audio-to-text", files=files, data={"user": "u1"})

    heard = transcribe(b"x" * 210, "a.mp3", "audio/mp3")
    assert heard.json() == {"text": "transcribed 210 bytes"}
    assert error_of(transcribe(b"x", "a.ogg", "audio/ogg"))[:2] == (415, "unsupported_audio_type")
    monkeypatch.setattr(_audio, "AUDIO_LIMIT", 10)
    assert error_of(transcribe(b"x" * 11, "a.wav", "audio/wav"))[:2] == (413, "audio_too_large")
    no_file = http.post("/audio-to-text", files={"user": (None, "u1")})
    assert no_file.status_code == 400 and no_file.json()["code"] == "bad_request_key_error"


def test_text_to_speech(emu: DifyEmulator) -> None:
    """Enabled TTS answers audio/mpeg for text or a message's answer, null for unknown ids."""
    app = emu.add_app(mode="chat", text_to_speech=True)
    conv = conversation(app, "u1")
    http = raw(emu, app)
    speech = http.post("/text-to-audio", json={"text": "Hello there", "user": "u1"})
    assert speech.headers["content-type"] == "audio/mpeg" and speech.content.startswith(b"ID3")
    spoken = http.post("/text-to-audio", json={"message_id": conv.messages[0].id})
    assert spoken.content.startswith(b"ID3")
    unknown = http.post("/text-to-audio", json={"message_id": app.id})
    assert (unknown.status_code, unknown.content) == (200, b"null")
    no_text = http.post("/text-to-audio", json={"voice": "alloy"})
    assert no_text.json()["message"] == "Text is required"


# --- async transport ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_async_transport_walks_conversations_and_messages() -> None:
    """Async clients page through conversations and messages and get Dify's errors."""
    emulator = DifyEmulator()
    app = chat_app(emulator)
    convs = [conversation(app, "u1", ["a", "b", "c"], updated_at=i) for i in range(3)]
    async with async_client(emulator, app.api_key) as http:
        walked: list[str] = []
        params: dict[str, Any] = {"user": "u1", "limit": 2}
        while True:
            page = (await http.get("/conversations", params=params)).json()
            walked += ids(page["data"])
            if not page["has_more"]:
                break
            params["last_id"] = page["data"][-1]["id"]
        assert walked == [c.id for c in reversed(convs)]
        queries: list[str] = []
        params = {"conversation_id": convs[0].id, "user": "u1", "limit": 1}
        while True:
            page = (await http.get("/messages", params=params)).json()
            queries += [m["query"] for m in page["data"]]
            if not page["has_more"]:
                break
            params["first_id"] = page["data"][0]["id"]
        assert queries == ["c", "b", "a"]
        liked = await http.post(
            f"/messages/{convs[0].messages[0].id}/feedbacks", json={"rating": "like", "user": "u1"}
        )
        assert liked.status_code == 200
        feedbacks = (await http.get("/app/feedbacks")).json()["data"]
        assert [f["rating"] for f in feedbacks] == ["like"]
        stranger = await http.request(
            "DELETE", f"/conversations/{convs[0].id}", json={"user": "u2"}
        )
        assert error_of(stranger)[:2] == (404, "not_found")


# --- through /chat-messages ---------------------------------------------------------------------


def test_chat_messages_feed_the_history_routes(emu: DifyEmulator) -> None:
    """Conversations and messages made by /chat-messages are listed, rated and renamed."""
    app = chat_app(emu, inputs=[InputVariable("name")], suggested_questions_after_answer=True)
    http = raw(emu, app)
    upload = http.post(
        "/files/upload", files={"file": ("hello.txt", b"hello", "text/plain")}, data={"user": "u1"}
    ).json()
    attached = {"type": "document", "transfer_method": "local_file", "upload_file_id": upload["id"]}
    ask: dict[str, Any] = {"user": "u1", "inputs": {}, "response_mode": "blocking"}
    first = http.post(
        "/chat-messages",
        json={**ask, "query": "Hello Dify", "inputs": {"name": "Ada"}, "files": [attached]},
    ).json()
    conversation_id = first["conversation_id"]
    assert conversation_id
    frames = sse_frames(
        http.post(
            "/chat-messages",
            json={
                **ask,
                "query": "Second turn",
                "conversation_id": conversation_id,
                "response_mode": "streaming",
            },
        ).text
    )
    (end,) = [f for f in frames if f["event"] == "message_end"]
    second_answer, second_id = answer_of(frames), end["message_id"]
    other = http.post("/chat-messages", json={**ask, "query": "Elsewhere"}).json()
    listed = http.get("/conversations", params={"user": "u1"}).json()["data"]
    assert ids(listed) == [other["conversation_id"], conversation_id]
    params = {"conversation_id": conversation_id, "user": "u1"}
    history = http.get("/messages", params=params).json()["data"]
    assert [(m["query"], m["answer"]) for m in history] == [
        ("Hello Dify", first["answer"]),
        ("Second turn", second_answer),
    ]
    (file,) = history[0]["message_files"]
    assert (file["filename"], file["upload_file_id"]) == ("hello.txt", upload["id"])
    preview = http.get(f"/files/{upload['id']}/preview", params={"user": "u1"})
    assert preview.content == b"hello"
    suggested = http.get(f"/messages/{second_id}/suggested", params={"user": "u1"}).json()
    assert len(suggested["data"]) == 3
    http.post(f"/messages/{second_id}/feedbacks", json={"rating": "like", "user": "u1"})
    feedbacks = http.get("/app/feedbacks").json()["data"]
    assert [f["message_id"] for f in feedbacks] == [second_id]
    renamed = http.post(
        f"/conversations/{conversation_id}/name", json={"auto_generate": True, "user": "u1"}
    ).json()
    assert renamed["name"] == "Hello Dify"
    variables = http.get(f"/conversations/{conversation_id}/variables", params={"user": "u1"})
    assert [(v["name"], v["value"]) for v in variables.json()["data"]] == [
        ("last_query", "Second turn")
    ]
    deleted = http.request("DELETE", f"/conversations/{conversation_id}", json={"user": "u1"})
    assert deleted.status_code == 204
    remaining = http.get("/conversations", params={"user": "u1"}).json()["data"]
    assert ids(remaining) == [other["conversation_id"]]
    again = http.post(
        "/chat-messages", json={**ask, "query": "again", "conversation_id": conversation_id}
    )
    assert error_of(again)[:2] == (404, "not_found")
