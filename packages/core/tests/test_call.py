"""``Call`` and ``StreamCall``: status checks, parsing errors, and filling in uploads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from difykit_core import (
    APIStatusError,
    AuthenticationError,
    HttpResponse,
    NotFoundError,
    ResponseValidationError,
    UploadedFile,
)
from difykit_core.operations import app, chat, datasets, workflows

DATA = Path(__file__).parent / "data"
ERRORS: dict[str, dict[str, Any]] = {
    r["recording"]: r for r in json.loads((DATA / "errors.json").read_text("utf-8"))
}


def error_answer(recording: str) -> HttpResponse:
    """A recorded error answer (JSON bodies were stored parsed, others as text)."""
    error = ERRORS[recording]
    content = json.dumps(error["body"]).encode() if "body" in error else error["text"].encode()
    return HttpResponse(error["status"], {"content-type": error["content_type"]}, content)


def test_app_key_on_a_knowledge_route_says_a_dataset_key_is_needed() -> None:
    """A 401 from a knowledge call made with an app key names the key family it needs."""
    call = datasets.list_datasets()
    with pytest.raises(AuthenticationError) as caught:
        call.parse(error_answer("106-error-app-key-on-dataset-endpoint"), api_key="app-123")
    assert caught.value.code == "unauthorized"
    assert caught.value.hint is not None
    assert "knowledge key (dataset-…)" in caught.value.hint
    assert "other kind" in caught.value.hint


def test_dataset_key_on_an_app_route_says_an_app_key_is_needed() -> None:
    """A 401 from an app call made with a dataset key names the app key family."""
    with pytest.raises(AuthenticationError, match=r"an app key \(app-…\)"):
        app.get_info().parse(
            error_answer("49-error-dataset-key-on-app-endpoint"), api_key="dataset-123"
        )


def test_stream_call_raises_the_mapped_error_before_reading_events() -> None:
    """A streaming call's error answer raises its status's error class."""
    call = workflows.resume_workflow("run-1", user="u")
    with pytest.raises(NotFoundError) as caught:
        call.raise_for_status(error_answer("214-error-service-api-workflow-events"))
    assert (caught.value.status_code, caught.value.code) == (404, None)  # an HTML page


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_status_is_a_success(status: int) -> None:
    """Every 2xx status passes the status check, whatever the body."""
    workflows.resume_workflow("run-1", user="u").raise_for_status(
        HttpResponse(status, {}, b"not json")
    )


@pytest.mark.parametrize("status", [199, 300, 304])
def test_statuses_outside_2xx_are_errors(status: int) -> None:
    """1xx and 3xx answers that reach a parser are errors, not results."""
    with pytest.raises(APIStatusError, match=str(status)):
        app.get_info().parse(HttpResponse(status, {}, b""))


def test_answer_of_the_wrong_shape_is_a_response_validation_error() -> None:
    """A 200 body that does not fit the model raises ResponseValidationError naming the call."""
    response = HttpResponse(200, {"content-type": "application/json"}, b'{"workflow_run_id": 7}')
    with pytest.raises(ResponseValidationError) as caught:
        workflows.run_workflow(user="u").parse(response, base_url="http://x.test/v1")
    assert str(caught.value).startswith(
        "workflows.run: the answer of POST http://x.test/v1/workflows/run (HTTP 200) does not match"
    )
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize("body", [b'{"foo": 1}', b"{}"])
def test_a_json_answer_without_a_message_id_is_not_a_message(body: bytes) -> None:
    """A 200 JSON from something that is not Dify does not become an empty ChatMessage."""
    response = HttpResponse(200, {"content-type": "application/json"}, body)
    with pytest.raises(ResponseValidationError, match="no message id"):
        chat.send_message(query="Hi", user="u").parse(response)


def test_a_message_with_unknown_extra_fields_is_still_accepted() -> None:
    """Dify adding fields never breaks parsing; only the defining id is required."""
    body = b'{"event": "message", "task_id": "t", "answer": "Hi", "new_field": 1}'
    message = chat.send_message(query="Hi", user="u").parse(HttpResponse(200, {}, body))
    assert message.answer == "Hi"


def test_stream_call_without_local_files_is_returned_as_is_by_with_uploads() -> None:
    """with_uploads on a stream with nothing to upload returns the very same call."""
    call = workflows.stream_workflow(user="u", files=["https://example.com/a.pdf"])
    assert call.uploads == ()
    assert call.with_uploads([]) is call


def test_stream_call_with_local_files_gets_the_uploaded_ids() -> None:
    """with_uploads on a workflow stream puts the uploaded file where the path was."""
    call = workflows.stream_workflow(user="u", files=["notes.md"])
    ready = call.with_uploads([UploadedFile(id="up-1", name="notes.md")])
    assert ready.request.json == {
        "user": "u",
        "inputs": {},
        "response_mode": "streaming",
        "files": [{"type": "document", "transfer_method": "local_file", "upload_file_id": "up-1"}],
    }
    assert (ready.uploads, ready.protocol) == ((), call.protocol)
