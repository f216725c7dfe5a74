"""Every app-key recording of a real Dify 1.13.2, replayed through the client.

For each recording the client must send the recorded method, path, query and JSON body, parse
the recorded answer into its typed result without losing a field, and raise the right error
class with Dify's ``code`` for recorded errors. Streams must yield the recorded events in order.
Recordings the SDK refuses to send (it validates first) are covered by core's mapping tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from difykit_async import AsyncDify
from difykit_core import StreamInterruptedError
from replay_support import (
    Case,
    Kind,
    Replay,
    body,
    load_recording,
    params,
    path_part,
    run_case,
    uploaded,
)


def _chat(name: str, kind: Kind = "call") -> Case:
    kwargs = body(name)
    if "files" in kwargs:
        kwargs["files"] = uploaded(kwargs["files"])
    return Case(name, "chat", "stream" if kind == "stream" else "send", kwargs=kwargs, kind=kind)


def _workflow(name: str, kind: Kind = "call", **override: Any) -> Case:
    kwargs = body(name, **override)
    if "files" in kwargs:
        kwargs["files"] = uploaded(kwargs["files"])
    method = "stream" if kind == "stream" else "run"
    return Case(name, "workflows", method, kwargs=kwargs, kind=kind)


def _posted(name: str, resource: str, method: str, *ids: int, **override: Any) -> Case:
    """A call whose path ids are the recorded path's segments ``ids`` and whose keyword
    arguments are the recorded JSON body."""
    args = tuple(path_part(name, i) for i in ids)
    return Case(name, resource, method, args=args, kwargs=body(name, **override))


def _got(
    name: str, resource: str, method: str, *ids: int, kind: Kind = "call", **override: Any
) -> Case:
    """A call whose path ids are the recorded path's segments ``ids`` and whose keyword
    arguments are the recorded query."""
    args = tuple(path_part(name, i) for i in ids)
    return Case(name, resource, method, args=args, kwargs=params(name, **override), kind=kind)


def _upload(name: str, content: bytes) -> Case:
    """A file upload of ``content`` under the recorded file name and user."""
    form = load_recording(name)["request_body"]["multipart/form-data"]
    kwargs = {"user": form["user"], "filename": form["file"]["filename"]}
    return Case(name, "files", "upload", args=(content,), kwargs=kwargs)


CASES: list[Case] = [
    # chat
    _chat("05-chat-messages-blocking-new-conversation"),
    _chat("06-chat-messages-streaming-continue", "stream"),
    _chat("10-chat-messages-blocking-with-image-file"),
    _chat("11-chat-messages-blocking-with-document-file"),
    _chat("46-error-bad-api-key"),
    _chat("54-error-nonexistent-conversation-streaming", "stream"),
    _chat("61-error-wrong-mode-chat-on-workflow-app"),
    _chat("70-error-chat-with-nonexistent-file"),
    _chat("182-chat-messages-loop-streaming", "stream"),
    _chat("184-chat-messages-loop-streaming-stopped", "stream"),
    _chat("186-chat-messages-loop-streaming-stop-wrong-user", "stream"),
    Case(
        "28-chat-messages-stop-unknown-task",
        "chat",
        "stop",
        args=(path_part("28-chat-messages-stop-unknown-task", 2),),
        kwargs=body("28-chat-messages-stop-unknown-task"),
    ),
    Case(
        "185-chat-messages-stop-running-task",
        "chat",
        "stop",
        args=(path_part("185-chat-messages-stop-running-task", 2),),
        kwargs=body("185-chat-messages-stop-running-task"),
    ),
    Case(
        "188-chat-messages-stop-after-wrong-user",
        "chat",
        "stop",
        args=(path_part("188-chat-messages-stop-after-wrong-user", 2),),
        kwargs=body("188-chat-messages-stop-after-wrong-user"),
    ),
    # files
    Case(
        "08-files-upload-text",
        "files",
        "upload",
        args=(b"hello from the recorder\nsecond line\n",),
        kwargs={"user": "user-abc-123", "filename": "hello.txt"},
    ),
    Case(
        "09-files-upload-png",
        "files",
        "upload",
        args=(b"\x89PNG\r\n\x1a\n",),
        kwargs={"user": "user-abc-123", "filename": "pixel.png"},
    ),
    Case(
        "64-error-file-upload-too-large",
        "files",
        "upload",
        args=(b"a" * 1024,),
        kwargs={"user": "user-abc-123", "filename": "big.txt"},
    ),
    _upload("65-error-file-upload-image-too-large", b"\x89PNG\r\n\x1a\n" + b"\0" * 1024),
    _upload("68-file-upload-odd-extension", b"MZ" + b"\0" * 62),
    _upload("94-files-upload-workflow-app", b"# Notes\n\nfor the workflow\n"),
    Case(
        "29-file-preview",
        "files",
        "preview",
        args=(path_part("29-file-preview", 2),),
        kwargs=params("29-file-preview"),
    ),
    Case(
        "30-file-preview-as-attachment",
        "files",
        "preview",
        args=(path_part("30-file-preview-as-attachment", 2),),
        kwargs=params("30-file-preview-as-attachment", as_attachment=True),
    ),
    Case(
        "69-error-file-preview-nonexistent",
        "files",
        "preview",
        args=(path_part("69-error-file-preview-nonexistent", 2),),
        kwargs=params("69-error-file-preview-nonexistent"),
    ),
    # conversations
    Case(
        "14-conversations-list",
        "conversations",
        "list",
        kwargs=params("14-conversations-list"),
        kind="page",
    ),
    Case(
        "15-conversations-list-paged",
        "conversations",
        "list",
        kwargs=params("15-conversations-list-paged"),
        kind="page",
    ),
    Case(
        "62-error-wrong-mode-conversations-on-workflow-app",
        "conversations",
        "list",
        kwargs=params("62-error-wrong-mode-conversations-on-workflow-app"),
        kind="page",
    ),
    Case(
        "74-conversations-list-after-delete",
        "conversations",
        "list",
        kwargs=params("74-conversations-list-after-delete"),
        kind="page",
    ),
    _posted("16-conversation-rename", "conversations", "rename", 2),
    _posted("72-conversation-delete", "conversations", "delete", 2),
    _got("18-conversation-variables-list", "conversations", "variables", 2, kind="page"),
    _got("19-conversation-variables-filter-by-name", "conversations", "variables", 2, kind="page"),
    _got("190-conversation-variables-list-typed", "conversations", "variables", 2, kind="page"),
    _got(
        "201-conversation-variables-list-after-updates",
        "conversations",
        "variables",
        2,
        kind="page",
    ),
    *(
        _posted(name, "conversations", "update_variable", 2, 4)
        for name in (
            "20-conversation-variable-update",
            "21-conversation-variable-update-wrong-type",
            "191-conversation-variable-update-number-right",
            "192-conversation-variable-update-number-right-float",
            "194-conversation-variable-update-object-right",
            "195-conversation-variable-update-object-wrong-array",
            "196-conversation-variable-update-array-string-right",
            "198-conversation-variable-update-array-string-wrong-scalar",
            "199-conversation-variable-update-array-number-right",
            "200-conversation-variable-update-array-number-wrong-strings",
            "202-conversation-variable-update-number-right-int-again",
        )
    ),
    # messages
    _got("12-messages-list", "messages", "list", kind="page"),
    _got("55-error-conversation-of-other-user", "messages", "list", kind="page"),
    _got("56-error-messages-nonexistent-conversation", "messages", "list", kind="page"),
    _got("189-messages-list-after-stops", "messages", "list", kind="page"),
    _got("26-message-suggested-disabled", "messages", "suggested", 2),
    # feedbacks
    _posted("22-message-feedback-like", "feedbacks", "create", 2),
    _posted("25-message-feedback-revoke", "feedbacks", "create", 2),
    _posted("58-error-feedback-nonexistent-message", "feedbacks", "create", 2),
    _got("24-app-feedbacks-list", "feedbacks", "list", kind="page"),
    # app
    _got("01-chatflow-info", "app", "info"),
    _got("75-workflow-info", "app", "info"),
    _got("48-error-malformed-authorization", "app", "info"),
    _got("49-error-dataset-key-on-app-endpoint", "app", "info"),
    _got("02-chatflow-parameters", "app", "parameters"),
    _got("76-workflow-parameters", "app", "parameters"),
    _got("04-chatflow-site", "app", "site"),
    # end users
    _got("44-end-user-get", "end_users", "get", 2),
    _got("45-end-user-get-nonexistent", "end_users", "get", 2),
    # audio
    Case(
        "31-audio-to-text-disabled",
        "audio",
        "to_text",
        args=(b"ID3" + b"\0" * 207,),
        kwargs={"user": "user-abc-123", "filename": "a.mp3"},
    ),
    _posted("32-text-to-audio-disabled", "audio", "to_speech"),
    # annotations
    _got("34-annotations-list-empty", "annotations", "list", kind="page"),
    _got("36-annotations-list", "annotations", "list", kind="page"),
    _posted("35-annotation-create", "annotations", "create"),
    _got("38-annotation-delete", "annotations", "delete", 3),
    _got("39-annotation-delete-nonexistent", "annotations", "delete", 3),
    _posted("40-annotation-reply-enable", "annotations", "enable_reply"),
    _posted("42-annotation-reply-disable", "annotations", "disable_reply"),
    _got(
        "41-annotation-reply-enable-status",
        "annotations",
        "reply_status",
        5,
        action=path_part("41-annotation-reply-enable-status", 3),
    ),
    # completion (the recordings are of apps of other modes, which Dify refuses)
    _posted("59-error-wrong-mode-completion-on-chatflow", "completion", "send"),
    _posted("96-error-workflow-key-on-completion", "completion", "send"),
    # workflows: blocking runs (a failed or paused run is HTTP 200, not an error)
    _workflow("60-error-wrong-mode-workflow-run-on-chatflow"),
    _workflow("78-workflows-run-blocking"),
    Case(
        "80-workflows-run-default-response-mode",
        "workflows",
        "run",
        kwargs=body("80-workflows-run-default-response-mode"),
        # Dify's default is blocking; the SDK always says so.
        sent_body={
            **body("80-workflows-run-default-response-mode"),
            "response_mode": "blocking",
        },
    ),
    _workflow(
        "88-error-workflows-run-nonexistent-version",
        workflow_id=path_part("88-error-workflows-run-nonexistent-version", 2),
    ),
    _workflow("89-error-workflows-run-missing-required-input"),
    _workflow("91-error-workflows-run-input-too-long"),
    _workflow("92-error-workflows-run-wrong-input-type"),
    _workflow("95-workflows-run-with-files"),
    _workflow("178-workflows-run-loop-blocking"),
    _workflow("205-workflows-run-http-fail-retry-blocking"),
    _workflow("209-workflows-run-http-fail-default-value-blocking"),
    _workflow("230-workflows-run-human-input-blocking"),
    # workflows: streams end at workflow_finished (any status) or workflow_paused
    _workflow("79-workflows-run-streaming", "stream"),
    _workflow("90-error-workflows-run-missing-required-input-streaming", "stream"),
    _workflow("179-workflows-run-loop-streaming-stopped", "stream"),
    _workflow("204-workflows-run-http-fail-plain-streaming", "stream"),
    _workflow("206-workflows-run-http-fail-retry-streaming", "stream"),
    _workflow("208-workflows-run-http-fail-branch-streaming", "stream"),
    _workflow("210-workflows-run-http-fail-default-value-streaming", "stream"),
    _workflow("211-workflows-run-human-input-streaming-paused", "stream"),
    _workflow("225-workflows-run-human-input-streaming-paused-2", "stream"),
    _posted("86-workflows-stop-finished-task", "workflows", "stop", 3),
    _posted("180-workflows-stop-running-task", "workflows", "stop", 3),
    *(
        _got(name, "workflows", "get_run", 3)
        for name in (
            "81-workflows-run-get",
            "82-workflows-run-get-streamed",
            "181-workflows-run-get-stopped",
            "212-workflows-run-get-paused",
            "221-workflows-run-get-resumed",
            "228-workflows-run-get-resumed-rejected",
        )
    ),
    _got("84-workflows-logs", "workflows", "logs", kind="page"),
    _got("85-workflows-logs-filtered", "workflows", "logs", kind="page"),
    Case(
        "214-error-service-api-workflow-events",
        "workflows",
        "resume",
        args=(path_part("214-error-service-api-workflow-events", 2),),
        kwargs={"user": "hi-user"},
        kind="stream",
        # The recorder left out ``user``, which Dify requires; 1.13.2 has no such route anyway
        # and answers an HTML 404 (NotFoundError, code None).
        sent_query={"user": "hi-user"},
    ),
    # Not replayed:
    # - 50-error-missing-query-field: the SDK requires `query` (InvalidRequestError, nothing sent).
    # - 51-error-missing-inputs-field: the SDK always sends `inputs` (`{}` when none).
    # - 52-error-invalid-response-mode: `response_mode` is set by send/stream, never by the user.
    # - 66-error-file-upload-empty-filename: the SDK never sends an empty file name (bytes
    #   without a name are sent as "upload.bin").
    # - 71-error-unknown-route: no SDK method calls /v1/does-not-exist (the same HTML 404 is
    #   replayed by 214, as workflows.resume here and as human_input.get in WEB_CASES).
    # - 215, 216, 224: web-app passport and web-app auth errors (/api/...), not the Service API.
    # - 218, 219, 220, 222, 226, 229: web-app routes (/api/...), not the Service API; their
    #   answers are read as Service API answers in WEB_CASES below.
]


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_client_reproduces_recording(case: Case) -> None:
    """The client sends what was recorded and reads what Dify answered."""
    await run_case(case)


# --- web-app recordings read as Service API answers ----------------------------------------------
# Dify 1.13.2 serves Human Input forms and run events only to the web app (/api/...); newer
# versions add the Service API routes with the same answers [D]. These cases send the Service
# API request and read the recorded web-app answer.

_TOKEN = path_part("220-web-form-human-input-submit", 3)
_RESUMED_RUN = path_part("226-web-workflow-events-resume", 2)


def _submit(name: str) -> Case:
    fields = body(name)
    sent = {**fields, "user": "hi-user"}
    return Case(
        name,
        "human_input",
        "submit",
        args=(_TOKEN,),
        kwargs=sent,
        sent_path=f"/v1/form/human_input/{_TOKEN}",
        sent_body=sent,
    )


def _resume(name: str) -> Case:
    return Case(
        name,
        "workflows",
        "resume",
        args=(_RESUMED_RUN,),
        kwargs={"user": "hi-user"},
        kind="stream",
        sent_path=f"/v1/workflow/{_RESUMED_RUN}/events",
        sent_query={"user": "hi-user"},
    )


WEB_CASES: list[Case] = [
    _submit("220-web-form-human-input-submit"),
    _submit("218-web-form-human-input-submit-bad-action"),
    _submit("219-web-form-human-input-submit-missing-input"),
    Case(
        "222-web-form-human-input-get-after-submit",
        "human_input",
        "get",
        args=(_TOKEN,),
        sent_path=f"/v1/form/human_input/{_TOKEN}",
    ),
    _resume("226-web-workflow-events-resume"),
    _resume("229-web-workflow-events-finished-run"),
    # 1.13.2 answers the Service API form route (recording 213, kept aside) with the same HTML
    # 404 as the events route (214).
    Case(
        "214-error-service-api-workflow-events",
        "human_input",
        "get",
        args=(_TOKEN,),
        sent_path=f"/v1/form/human_input/{_TOKEN}",
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize("case", WEB_CASES, ids=lambda c: f"{c.name}-as-{c.resource}.{c.method}")
async def test_client_reads_web_app_answers(case: Case) -> None:
    """The client sends the Service API request and reads the web app's answer."""
    await run_case(case)


@pytest.mark.anyio
async def test_resume_with_continue_on_pause_reads_past_workflow_paused() -> None:
    """With continue_on_pause, workflow_paused no longer ends the stream: only
    workflow_finished does, so a body that stops at the pause is an interrupted stream."""
    replay = Replay(load_recording("211-workflows-run-human-input-streaming-paused"))
    dify = AsyncDify(
        api_key="app-test",
        base_url="http://127.0.0.1:5001/v1",
        http_client=replay.http_client(),
        max_retries=0,
    )
    stream = dify.workflows.resume("r1", user="hi-user", continue_on_pause=True)
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError):
        async for event in stream:
            seen.append(event.event)
    assert seen[-2:] == ["human_input_required", "workflow_paused"]
    assert dict(replay.requests[0].url.params) == {"user": "hi-user", "continue_on_pause": "true"}
    paused = [event.event async for event in dify.workflows.resume("r1", user="hi-user")]
    assert paused[-1] == "workflow_paused"
