"""Chat request builders: the HttpRequest they describe, input validation, and file uploads."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

import pytest

from difykit_core import (
    Call,
    FilePart,
    HttpRequest,
    InvalidRequestError,
    RemoteFile,
    StreamCall,
    UploadedFile,
)
from difykit_core.operations import chat
from difykit_core.operations._generate import chat_protocol

USER = "user-abc-123"


def body_of(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    assert isinstance(request.json, dict)
    return request.json


# --- send / stream / stop -------------------------------------------------------------------------


def test_send_message_builds_a_blocking_post() -> None:
    """send_message describes a blocking POST /chat-messages that is never replayed."""
    call = chat.send_message(query="Hello Dify", user=USER, inputs={"name": "Ada"})
    assert isinstance(call, Call)
    assert call.operation == "chat.send"
    assert (call.request.method, call.request.path) == ("POST", "/chat-messages")
    assert call.request.json == {
        "query": "Hello Dify",
        "user": USER,
        "inputs": {"name": "Ada"},
        "response_mode": "blocking",
    }
    assert call.replayable is False
    assert call.user == USER
    assert call.key_family == "app"
    assert call.uploads == ()


def test_stream_message_builds_a_streaming_post_read_as_chat() -> None:
    """stream_message describes a streaming POST /chat-messages read with the chat protocol."""
    call = chat.stream_message(
        query="Second turn, streamed",
        user=USER,
        conversation_id="d03f895f-69e4-4697-b7b6-75cd6def8025",
    )
    assert isinstance(call, StreamCall)
    assert call.operation == "chat.stream"
    assert (call.request.method, call.request.path) == ("POST", "/chat-messages")
    assert call.request.json == {
        "query": "Second turn, streamed",
        "user": USER,
        "inputs": {},
        "conversation_id": "d03f895f-69e4-4697-b7b6-75cd6def8025",
        "response_mode": "streaming",
    }
    assert call.protocol is chat_protocol()
    assert call.replayable is False


def test_omitted_optionals_are_not_sent_but_inputs_always_is() -> None:
    """Optional fields left out are not sent; ``inputs`` (which Dify requires) is ``{}``."""
    body = body_of(chat.send_message(query="hi", user=USER).request)
    assert set(body) == {"query", "user", "inputs", "response_mode"}
    assert body["inputs"] == {}


def test_given_optionals_are_sent_including_false() -> None:
    """Optional fields that are given are sent, ``auto_generate_name=False`` included."""
    body = body_of(
        chat.stream_message(
            query="hi",
            user=USER,
            conversation_id="c-1",
            auto_generate_name=False,
            workflow_id="wf-7",
        ).request
    )
    assert body["conversation_id"] == "c-1"
    assert body["auto_generate_name"] is False
    assert body["workflow_id"] == "wf-7"


def test_file_inputs_are_serialized_as_dify_file_objects() -> None:
    """Uploaded and remote files in ``inputs`` become Dify's file objects."""
    uploaded = UploadedFile(id="up-1", name="report.pdf", extension="pdf")
    pics: list[UploadedFile | RemoteFile] = [RemoteFile(url="https://example.com/a.png")]
    body = body_of(
        chat.send_message(
            query="summarize",
            user=USER,
            inputs={"doc": uploaded, "pics": pics},
        ).request
    )
    assert body["inputs"] == {
        "doc": {"type": "document", "transfer_method": "local_file", "upload_file_id": "up-1"},
        "pics": [
            {"type": "image", "transfer_method": "remote_url", "url": "https://example.com/a.png"}
        ],
    }


def test_stop_message_builds_a_replayable_post_with_the_user() -> None:
    """stop_message describes POST /chat-messages/{task_id}/stop with ``{"user": …}``."""
    call = chat.stop_message("b16c4d90-917c-4bf3-8153-9d0696ef1fe0", user=USER)
    assert call.operation == "chat.stop"
    assert call.request.method == "POST"
    assert call.request.path == "/chat-messages/b16c4d90-917c-4bf3-8153-9d0696ef1fe0/stop"
    assert call.request.json == {"user": USER}
    assert call.replayable is True


def test_path_ids_are_url_escaped() -> None:
    """A task id with slashes, spaces or ``?`` cannot reach another route."""
    call = chat.stop_message("a/../b c?d=1", user=USER)
    assert call.request.path == "/chat-messages/a%2F..%2Fb%20c%3Fd%3D1/stop"


# --- invalid input --------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [chat.send_message, chat.stream_message])
@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"query": "hi", "user": None}, "user"),
        ({"query": "hi", "user": ""}, "user"),
        ({"query": "", "user": USER}, "query"),
        ({"query": "   \n", "user": USER}, "query"),
        ({"query": None, "user": USER}, "query"),
        ({"query": "hi", "user": USER, "inputs": ["not", "a", "mapping"]}, "inputs"),
        ({"query": "hi", "user": USER, "inputs": {"when": object()}}, "inputs"),
        ({"query": "hi", "user": USER, "conversation_id": 42}, "conversation_id"),
        ({"query": "hi", "user": USER, "files": "cat.png"}, "files"),
        ({"query": "hi", "user": USER, "files": [42]}, "file"),
    ],
    ids=[
        "missing-user",
        "empty-user",
        "empty-query",
        "blank-query",
        "missing-query",
        "inputs-not-mapping",
        "inputs-not-json",
        "conversation-id-not-str",
        "files-not-list",
        "file-of-wrong-type",
    ],
)
def test_bad_input_raises_before_anything_is_built(
    builder: Any, fields: dict[str, Any], mentions: str
) -> None:
    """Invalid arguments raise InvalidRequestError (a ValueError) naming the field."""
    with pytest.raises(InvalidRequestError, match=mentions) as caught:
        builder(**fields)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("builder", [chat.send_message, chat.stream_message])
def test_unknown_keyword_is_a_type_error(builder: Any) -> None:
    """A misspelt keyword is refused by Python, never forwarded to Dify."""
    with pytest.raises(TypeError, match="conversationid"):
        builder(query="hi", user=USER, conversationid="c-1")


@pytest.mark.parametrize(("task_id", "user"), [("", USER), ("  ", USER), ("t-1", "")])
def test_stop_message_refuses_empty_task_id_or_user(task_id: str, user: str) -> None:
    """An empty task id (which would hit another route) or user raises InvalidRequestError."""
    with pytest.raises(InvalidRequestError):
        chat.stop_message(task_id, user=user)


# --- files ----------------------------------------------------------------------------------------


def test_remote_urls_become_remote_url_files() -> None:
    """An http(s) URL in ``files=`` is sent as a remote_url file, typed from its extension."""
    call = chat.send_message(
        query="what is this?",
        user=USER,
        files=["https://example.com/cat.png?size=large", "http://example.com/download"],
    )
    assert call.uploads == ()
    assert body_of(call.request)["files"] == [
        {
            "type": "image",
            "transfer_method": "remote_url",
            "url": "https://example.com/cat.png?size=large",
        },
        {"transfer_method": "remote_url", "url": "http://example.com/download"},
    ]


def test_local_paths_become_upload_calls() -> None:
    """Local paths in ``files=`` become upload calls for the same user, and nothing is opened."""
    call = chat.stream_message(
        query="compare",
        user=USER,
        files=["./photos/a.png", Path("docs") / "report.pdf"],
    )
    assert len(call.uploads) == 2
    first, second = call.uploads
    for upload in call.uploads:
        assert upload.operation == "files.upload"
        assert (upload.request.method, upload.request.path) == ("POST", "/files/upload")
        assert upload.request.form == (("user", USER),)
    assert first.request.files == (
        (
            "file",
            FilePart(
                filename="a.png", content=PurePath("./photos/a.png"), content_type="image/png"
            ),
        ),
    )
    assert second.request.files == (
        (
            "file",
            FilePart(
                filename="report.pdf",
                content=Path("docs") / "report.pdf",
                content_type="application/pdf",
            ),
        ),
    )


@pytest.mark.parametrize("builder", [chat.send_message, chat.stream_message])
def test_with_uploads_fills_the_local_files_in_order(builder: Any) -> None:
    """with_uploads puts each uploaded file where its path was; other files stay in place."""
    call = builder(
        query="look",
        user=USER,
        files=[
            "a.png",
            "https://example.com/b.jpg",
            "c.pdf",
            UploadedFile(id="pre-uploaded", name="d.mp3"),
        ],
    )
    uploaded = [
        UploadedFile(id="up-a", name="a.png", mime_type="image/png"),
        UploadedFile(id="up-c", name="c.pdf", mime_type="application/pdf"),
    ]

    ready = call.with_uploads(uploaded)

    assert body_of(ready.request)["files"] == [
        {"type": "image", "transfer_method": "local_file", "upload_file_id": "up-a"},
        {"type": "image", "transfer_method": "remote_url", "url": "https://example.com/b.jpg"},
        {"type": "document", "transfer_method": "local_file", "upload_file_id": "up-c"},
        {"type": "audio", "transfer_method": "local_file", "upload_file_id": "pre-uploaded"},
    ]
    assert ready.uploads == ()
    assert body_of(ready.request)["query"] == "look"
    assert body_of(ready.request)["response_mode"] == body_of(call.request)["response_mode"]
    assert len(call.uploads) == 2  # the original call is unchanged


def test_with_uploads_without_local_files_is_the_same_call() -> None:
    """A call with nothing to upload is returned unchanged by with_uploads."""
    call = chat.send_message(query="hi", user=USER, files=["https://example.com/a.png"])
    assert call.with_uploads([]) is call
