"""Images in messages: http URLs as remote files, data URLs uploaded, limits checked first."""

from __future__ import annotations

import base64

import openai
import pytest
from conftest import Stack
from openai.types.chat import ChatCompletionContentPartParam, ChatCompletionMessageParam

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()
DATA_URL = f"data:image/png;base64,{PNG}"


def _message(*urls: str) -> list[ChatCompletionMessageParam]:
    parts: list[ChatCompletionContentPartParam] = [{"type": "text", "text": "What is this?"}]
    parts.extend({"type": "image_url", "image_url": {"url": url}} for url in urls)
    return [{"role": "user", "content": parts}]


def test_data_url_is_uploaded_and_http_url_sent_as_remote(stack: Stack) -> None:
    """A data URL is uploaded as the same user; an http URL goes as remote_url; both reach Dify."""
    completion = stack.client().chat.completions.create(
        model="chat", messages=_message(DATA_URL, "https://example.com/cat.jpg"), user="erin"
    )
    assert completion.choices[0].message.content == "[0] What is this?"
    app = stack.apps["chat"]
    [uploaded] = app.files.values()
    assert uploaded.user == "erin" and uploaded.mime_type == "image/png"
    assert uploaded.content.startswith(b"\x89PNG")
    [message] = app.messages.values()
    methods = sorted(f["transfer_method"] for f in message.files)
    assert methods == ["local_file", "remote_url"]
    assert all(f["type"] == "image" for f in message.files)


def test_too_many_images_are_refused_before_anything_is_sent(stack: Stack) -> None:
    """More images than the app's number_limits: 400 too_many_files, no upload, no message."""
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="chat", messages=_message(*[DATA_URL] * 4))
    assert caught.value.code == "too_many_files"
    assert "/v1/files/upload" not in stack.recorder.paths()


def test_app_without_file_upload_refuses_images(stack: Stack) -> None:
    """An app with file upload off: 400 files_not_allowed."""
    stack.apps["chat"].file_upload = False
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(model="chat", messages=_message(DATA_URL))
    assert caught.value.code == "files_not_allowed"


def test_broken_data_url_is_a_400(stack: Stack) -> None:
    """A data URL that is not base64: 400 invalid_file_data."""
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(
            model="chat", messages=_message("data:image/png;base64,@@@")
        )
    assert caught.value.code == "invalid_file_data"


def test_document_file_part_is_uploaded_as_a_document(stack: Stack) -> None:
    """A `file` part (base64 PDF) is uploaded under its name and sent as a document."""
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    content: list[ChatCompletionContentPartParam] = [
        {"type": "text", "text": "Summarize"},
        {
            "type": "file",
            "file": {"file_data": f"data:application/pdf;base64,{pdf}", "filename": "report.pdf"},
        },
    ]
    completion = stack.client().chat.completions.create(
        model="chat", messages=[{"role": "user", "content": content}]
    )
    assert completion.choices[0].message.content == "[0] Summarize"
    [uploaded] = stack.apps["chat"].files.values()
    assert (uploaded.name, uploaded.mime_type) == ("report.pdf", "application/pdf")
    [message] = stack.apps["chat"].messages.values()
    assert [f["type"] for f in message.files] == ["document"]


def test_audio_is_refused_by_an_app_that_takes_images_and_documents(stack: Stack) -> None:
    """input_audio to an app whose allowed types exclude audio: 400 before any upload."""
    audio = base64.b64encode(b"RIFF....WAVE").decode()
    content: list[ChatCompletionContentPartParam] = [
        {"type": "text", "text": "Transcribe"},
        {"type": "input_audio", "input_audio": {"data": audio, "format": "wav"}},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        stack.client().chat.completions.create(
            model="chat", messages=[{"role": "user", "content": content}]
        )
    assert caught.value.code == "file_type_not_allowed"
    assert "/v1/files/upload" not in stack.recorder.paths()
