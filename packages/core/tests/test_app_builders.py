"""App-key builders about the app itself: info, files, audio, end users and annotations."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import pytest
from recorded import dumped, json_answer, recorded, sent

from difykit_core import (
    FileDownload,
    FilePart,
    HttpRequest,
    HttpResponse,
    InvalidRequestError,
    ResponseValidationError,
    UploadedFile,
)
from difykit_core.models.annotations import Annotation, AnnotationReplyJob
from difykit_core.models.app import AppInfo, AppMeta, AppParameters, AppSite, ToolIcon
from difykit_core.models.audio import Transcription
from difykit_core.models.end_users import EndUser
from difykit_core.operations import annotations as annotation_builders
from difykit_core.operations import app, audio, end_users, files

USER = "user-abc-123"


def describe(call: Any) -> tuple[str, str, bool, str | None]:
    """A call's operation, key family, replayability and user."""
    return (call.operation, call.key_family, call.replayable, call.user)


# --- app --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "operation", "route", "recording", "model"),
    [
        (app.get_info, "app.info", "/info", "01-chatflow-info", AppInfo),
        (
            app.get_parameters,
            "app.parameters",
            "/parameters",
            "02-chatflow-parameters",
            AppParameters,
        ),
        (app.get_site, "app.site", "/site", "04-chatflow-site", AppSite),
    ],
    ids=["info", "parameters", "site"],
)
def test_app_description_is_a_replayable_get_read_without_loss(
    builder: Any, operation: str, route: str, recording: str, model: type[Any]
) -> None:
    """Info, parameters and site are replayable GETs whose recorded answers parse in full."""
    exchange = recorded(recording)
    call = builder()
    assert call.request == HttpRequest("GET", route)
    assert sent(call.request) == exchange.sent
    assert describe(call) == (operation, "app", True, None)
    result = call.parse(exchange.response)
    assert isinstance(result, model)
    assert dumped(result) == exchange.body


def test_app_info_and_parameters_give_typed_fields() -> None:
    """The chatflow's recorded mode, opening statement and form are typed attributes."""
    info = app.get_info().parse(recorded("01-chatflow-info").response)
    assert (info.name, info.mode, info.tags) == ("echo-chatflow", "advanced-chat", [])
    parameters = app.get_parameters().parse(recorded("02-chatflow-parameters").response)
    assert parameters.opening_statement == "Hello! I echo what you say."
    assert parameters.suggested_questions == ["ping", "hello"]
    assert parameters.file_upload is not None and parameters.file_upload.number_limits == 3
    assert parameters.system_parameters is not None
    assert parameters.system_parameters.file_size_limit == 15
    assert [field.variable for field in parameters.inputs] == ["name"]


def test_app_meta_reads_url_and_emoji_tool_icons() -> None:
    """``GET /meta`` maps tool names to an icon URL or an emoji icon."""
    call = app.get_meta()
    assert call.request == HttpRequest("GET", "/meta")
    assert describe(call) == ("app.meta", "app", True, None)
    body = {
        "tool_icons": {
            "dalle2": "https://cloud.dify.ai/console/api/workspaces/current/tool-provider/builtin/dalle/icon",
            "api_tool": {"background": "#252525", "content": "\U0001f601"},
        }
    }
    meta = call.parse(json_answer(body))
    assert isinstance(meta, AppMeta)
    assert meta.tool_icons["api_tool"] == ToolIcon(background="#252525", content="\U0001f601")
    assert dumped(meta) == body


# --- end users --------------------------------------------------------------------------------


def test_get_end_user_reads_the_recorded_user() -> None:
    """``GET /end-users/{id}`` gives the end user whose session id is the app's user string."""
    exchange = recorded("44-end-user-get")
    call = end_users.get_end_user("fb6bb476-d4c8-4237-8509-183434dbf864")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("end_users.get", "app", True, None)
    user = call.parse(exchange.response)
    assert isinstance(user, EndUser)
    assert (user.session_id, user.type, user.is_anonymous) == (USER, "service-api", False)
    assert user.created_at is not None and user.created_at.year == 2026
    assert dumped(user) == exchange.body


def test_get_end_user_escapes_and_requires_the_id() -> None:
    """The end user id is escaped into the path; an empty one is refused."""
    assert end_users.get_end_user("a/b").request.path == "/end-users/a%2Fb"
    with pytest.raises(InvalidRequestError, match=r"end_users\.get: `end_user_id`"):
        end_users.get_end_user(" ")


# --- files ------------------------------------------------------------------------------------


def test_upload_file_builds_the_recorded_multipart_request() -> None:
    """Recording 08: a multipart POST with the user field and the named, typed file part."""
    exchange = recorded("08-files-upload-text")
    content = b"hello from the recorder\nsecond line\n"
    call = files.upload_file(content, user=USER, filename="hello.txt")
    assert call.request == HttpRequest(
        "POST",
        "/files/upload",
        form=(("user", USER),),
        files=(("file", FilePart("hello.txt", content, "text/plain")),),
    )
    recorded_form = exchange.request_body["multipart/form-data"]
    assert recorded_form["user"] == USER
    assert recorded_form["file"]["content_type"] == "text/plain"
    assert describe(call) == ("files.upload", "app", False, USER)
    uploaded = call.parse(exchange.response)
    assert isinstance(uploaded, UploadedFile)
    assert (uploaded.id, uploaded.size, uploaded.file_type) == (
        "5399ed5d-fbb3-4d5e-8e00-5e74d161bcd7",
        36,
        "document",
    )
    assert dumped(uploaded) == exchange.body  # tenant_id, file_key… are kept as extras


def test_upload_file_without_user_sends_no_user_field() -> None:
    """With no user, the form has no ``user`` field and the path stays unopened."""
    call = files.upload_file("photos/cat.png")
    assert call.request.form == ()
    assert call.request.files == (
        ("file", FilePart("cat.png", PurePath("photos/cat.png"), "image/png")),
    )


def test_upload_file_refuses_what_is_not_a_file() -> None:
    """A value that is neither bytes, a path nor a file raises before building."""
    with pytest.raises(InvalidRequestError):
        files.upload_file(3.14, user=USER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("recording", "as_attachment", "filename"),
    [("29-file-preview", None, None), ("30-file-preview-as-attachment", True, "pixel.png")],
    ids=["inline", "attachment"],
)
def test_preview_file_downloads_the_recorded_bytes(
    recording: str, as_attachment: bool | None, filename: str | None
) -> None:
    """``GET /files/{id}/preview`` sends user and as_attachment and keeps the bytes."""
    exchange = recorded(recording)
    file_id = exchange.path.split("/")[2]
    call = files.preview_file(file_id, user=USER, as_attachment=as_attachment)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("files.preview", "app", True, USER)
    download = call.parse(exchange.response)
    assert download == FileDownload(exchange.content, exchange.headers["content-type"], filename)


def test_preview_file_refuses_an_empty_id() -> None:
    """An empty file id would hit another route and is refused."""
    with pytest.raises(InvalidRequestError, match="`file_id`"):
        files.preview_file("", user=USER)


# --- audio ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content_type", "sent_type"),
    [
        ("memo.MP3", None, "audio/mp3"),
        ("memo.m4a", None, "audio/m4a"),
        ("memo.ogg", None, "audio/ogg"),
        ("memo.mp3", "audio/mpeg", "audio/mpeg"),
        ("memo", None, "application/octet-stream"),
    ],
    ids=["mp3-as-dify-wants", "m4a", "other-audio-guessed", "given-type-kept", "no-extension"],
)
def test_speech_to_text_sends_the_audio_type_dify_accepts(
    filename: str, content_type: str | None, sent_type: str
) -> None:
    """Known audio extensions get Dify's own MIME names unless a content type is given."""
    call = audio.speech_to_text(b"ID3", user=USER, filename=filename, content_type=content_type)
    assert call.request == HttpRequest(
        "POST",
        "/audio-to-text",
        form=(("user", USER),),
        files=(("file", FilePart(filename, b"ID3", sent_type)),),
    )
    assert describe(call) == ("audio.to_text", "app", False, USER)


def test_speech_to_text_reads_the_transcription() -> None:
    """The answer's text is the transcription; no user means no user field."""
    call = audio.speech_to_text("voice/memo.wav")
    assert call.request.form == ()
    assert call.request.files[0][1].content_type == "audio/wav"
    result = call.parse(json_answer({"text": "Hello Dify"}))
    assert result == Transcription(text="Hello Dify")


def test_text_to_speech_sends_only_what_is_given() -> None:
    """``POST /text-to-audio`` carries the given fields; ``message_id`` alone is enough."""
    call = audio.text_to_speech(text="Hello", voice="alloy", user=USER)
    assert call.request == HttpRequest(
        "POST", "/text-to-audio", json={"text": "Hello", "voice": "alloy", "user": USER}
    )
    assert describe(call) == ("audio.to_speech", "app", False, USER)
    by_message = audio.text_to_speech(message_id="bbe22ae0-3878-4ea8-8072-73b4a2911cae")
    assert by_message.request.json == {"message_id": "bbe22ae0-3878-4ea8-8072-73b4a2911cae"}


def test_text_to_speech_needs_text_or_a_message() -> None:
    """With neither ``text`` nor ``message_id`` nothing is built."""
    with pytest.raises(InvalidRequestError, match="give `text` or `message_id`"):
        audio.text_to_speech(voice="alloy", user=USER)
    with pytest.raises(InvalidRequestError):
        audio.text_to_speech(text="", message_id="")


def test_text_to_speech_keeps_the_audio_bytes() -> None:
    """An audio answer is kept as bytes with its type."""
    response = HttpResponse(200, {"content-type": "audio/mpeg"}, b"ID3\x04\x00mp3-frames")
    download = audio.text_to_speech(text="Hi").parse(response)
    assert download == FileDownload(b"ID3\x04\x00mp3-frames", "audio/mpeg", None)


@pytest.mark.parametrize("content", [b"null", b"", b" null\n"])
def test_text_to_speech_json_null_is_no_audio(content: bytes) -> None:
    """Dify's 200 ``null`` (unknown message, empty answer) is an error, not empty audio."""
    response = HttpResponse(200, {"content-type": "application/json"}, content)
    with pytest.raises(ResponseValidationError, match="returned no audio"):
        audio.text_to_speech(message_id="m-1").parse(response)


# --- annotations ------------------------------------------------------------------------------


def test_list_annotations_sends_the_recorded_query_and_reads_the_page() -> None:
    """Recording 36: page, limit and keyword are sent; the page parses in full."""
    exchange = recorded("36-annotations-list")
    call = annotation_builders.list_annotations(page=1, limit=20, keyword="Dify")
    assert call.request == HttpRequest(
        "GET", "/apps/annotations", query=(("page", "1"), ("limit", "20"), ("keyword", "Dify"))
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("annotations.list", "app", True, None)
    page = call.parse(exchange.response)
    assert [(a.question, a.answer, a.hit_count) for a in page.data] == [
        ("What is Dify?", "An LLM app platform.", 0)
    ]
    assert dumped(page) == exchange.body
    assert call.next_page is not None
    assert call.next_page(page) is None  # has_more is false


def test_list_annotations_next_page_keeps_the_filters() -> None:
    """A full page leads to the next page number with the same limit and keyword."""
    call = annotation_builders.list_annotations(limit=1, keyword="Dify")
    page = call.parse(
        json_answer({"data": [{"id": "a-1"}], "has_more": True, "limit": 1, "total": 2, "page": 1})
    )
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (("page", "2"), ("limit", "1"), ("keyword", "Dify"))


def test_create_annotation_posts_the_recorded_pair() -> None:
    """Recording 35: question and answer are posted; the 201 answer is the annotation."""
    exchange = recorded("35-annotation-create")
    call = annotation_builders.create_annotation(
        question="What is Dify?", answer="An LLM app platform."
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("annotations.create", "app", False, None)
    annotation = call.parse(exchange.response)
    assert isinstance(annotation, Annotation)
    assert dumped(annotation) == exchange.body


def test_update_annotation_is_a_replayable_put() -> None:
    """Changing an annotation PUTs both texts to its escaped path and may be retried."""
    call = annotation_builders.update_annotation("d78d/5c1", question="Q?", answer="A.")
    assert call.request == HttpRequest(
        "PUT", "/apps/annotations/d78d%2F5c1", json={"question": "Q?", "answer": "A."}
    )
    assert describe(call) == ("annotations.update", "app", True, None)
    assert (
        call.parse(json_answer({"id": "d78d/5c1", "question": "Q?", "answer": "A."})).id
        == "d78d/5c1"
    )


def test_delete_annotation_is_a_delete_with_an_empty_answer() -> None:
    """Deleting sends no body and reads Dify's 204 as ``None``."""
    call = annotation_builders.delete_annotation("d78df5c1-60e0-44e8-9512-90b93098726b")
    assert call.request == HttpRequest(
        "DELETE", "/apps/annotations/d78df5c1-60e0-44e8-9512-90b93098726b"
    )
    assert describe(call) == ("annotations.delete", "app", False, None)
    assert call.parse(HttpResponse(204, {}, b"")) is None


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (
            lambda: annotation_builders.create_annotation(question="", answer="A."),
            "`question` must not be empty",
        ),
        (
            lambda: annotation_builders.update_annotation("a-1", question="Q?", answer=""),
            "`answer` must not be empty",
        ),
        (
            lambda: annotation_builders.update_annotation("", question="Q?", answer="A."),
            "`annotation_id`",
        ),
        (lambda: annotation_builders.delete_annotation(""), "`annotation_id`"),
        (lambda: annotation_builders.reply_status("", action="enable"), "`job_id`"),
        (
            lambda: annotation_builders.reply_status("j-1", action="toggle"),  # type: ignore[arg-type]
            "'enable' or 'disable'",
        ),
        (
            lambda: annotation_builders.enable_reply(
                embedding_provider_name="", embedding_model_name="m", score_threshold=0.9
            ),
            "`embedding_provider_name` must not be empty",
        ),
        (
            lambda: annotation_builders.disable_reply(
                embedding_provider_name="p",
                embedding_model_name="m",
                score_threshold="high",  # type: ignore[arg-type]
            ),
            "`score_threshold`",
        ),
    ],
    ids=[
        "empty-question",
        "empty-answer",
        "update-without-id",
        "delete-without-id",
        "status-without-job",
        "status-unknown-action",
        "reply-empty-provider",
        "reply-threshold-not-number",
    ],
)
def test_bad_annotation_arguments_raise_before_building(build: Any, mentions: str) -> None:
    """Each invalid annotation argument raises InvalidRequestError naming it."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()


@pytest.mark.parametrize("action", ["enable", "disable"])
def test_annotation_reply_switch_posts_its_settings(action: str) -> None:
    """Enable and disable post the three settings (recording 40's body) and start a job."""
    exchange = recorded("40-annotation-reply-enable")
    builder = (
        annotation_builders.enable_reply
        if action == "enable"
        else annotation_builders.disable_reply
    )
    call = builder(
        embedding_provider_name="openai",
        embedding_model_name="text-embedding-3-small",
        score_threshold=0.9,
    )
    assert call.request == HttpRequest(
        "POST", f"/apps/annotation-reply/{action}", json=exchange.request_body
    )
    assert describe(call) == (f"annotations.{action}_reply", "app", False, None)
    job = call.parse(exchange.response)
    assert job == AnnotationReplyJob(
        job_id="6e323972-ad36-4f75-aef8-826ea1d909e6", job_status="waiting"
    )


def test_annotation_reply_status_reads_the_recorded_job() -> None:
    """Recording 41: the job's status is polled with a replayable GET."""
    exchange = recorded("41-annotation-reply-enable-status")
    call = annotation_builders.reply_status("6e323972-ad36-4f75-aef8-826ea1d909e6", action="enable")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("annotations.reply_status", "app", True, None)
    job = call.parse(exchange.response)
    assert (job.job_status, job.error_msg) == ("completed", "")
    assert dumped(job) == exchange.body
