"""error_from_response: every recorded Dify error, and every documented code, to its exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from difykit_core import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DifyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from difykit_core.errors import error_from_response

DATA = Path(__file__).parent / "data"
RECORDED: list[dict[str, Any]] = json.loads((DATA / "errors.json").read_text("utf-8"))

EXPECTED_CLASS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    413: BadRequestError,
    415: BadRequestError,
    429: RateLimitError,
    500: ServerError,
    502: ServerError,
    503: ServerError,
    504: ServerError,
}


def content_of(recording: dict[str, Any]) -> bytes:
    """The body bytes Dify sent (JSON bodies were stored parsed)."""
    if "body" in recording:
        return json.dumps(recording["body"]).encode()
    text: str = recording["text"]
    return text.encode()


def envelope(status: int, code: str, message: str = "Something went wrong.") -> bytes:
    """Dify's error envelope."""
    return json.dumps({"code": code, "message": message, "status": status}).encode()


@pytest.mark.parametrize("recording", RECORDED, ids=[r["recording"] for r in RECORDED])
def test_recorded_error_maps_to_its_class_keeping_dify_fields(recording: dict[str, Any]) -> None:
    """Each recorded error becomes its status's class with Dify's code, message, status and body."""
    status: int = recording["status"]
    content = content_of(recording)
    headers = {"content-type": recording["content_type"]}

    error = error_from_response(status, headers, content)

    assert type(error) is EXPECTED_CLASS[status]
    assert isinstance(error, DifyError)
    assert error.status_code == status
    assert error.body == content
    assert error.headers == headers
    body = json.loads(content) if recording["content_type"].startswith("application/json") else None
    if body is not None:
        assert error.code == body["code"]
        assert error.message == body["message"]
        assert body["code"] in str(error)
    else:
        assert error.code is None


def test_recorded_errors_cover_every_status_family() -> None:
    """The recordings hold 400, 401, 404, 409, 412, 413 and 500 errors (the suite needs them)."""
    assert {r["status"] for r in RECORDED} >= {400, 401, 404, 409, 412, 413, 500}


def test_html_404_has_no_code_and_a_readable_message() -> None:
    """Flask's HTML 404 for an unknown route gives code None and a message that is not HTML."""
    [recording] = [r for r in RECORDED if r["recording"] == "71-error-unknown-route"]
    error = error_from_response(404, {"content-type": "text/html"}, content_of(recording))
    assert isinstance(error, NotFoundError)
    assert error.code is None
    assert "<" not in error.message
    assert "HTML" in error.message
    assert error.body.startswith(b"<!doctype html>")


def test_plain_text_error_body_becomes_the_message() -> None:
    """A non-JSON, non-HTML body (a proxy's text) is kept as the message, code None."""
    error = error_from_response(502, {}, b"  Bad Gateway\n")
    assert isinstance(error, ServerError)
    assert (error.code, error.message) == (None, "Bad Gateway")


def test_empty_error_body_gets_a_placeholder_message() -> None:
    """An empty error body still gives a readable message."""
    error = error_from_response(503, {}, b"")
    assert isinstance(error, ServerError)
    assert error.code is None
    assert error.message == "(empty body)"


def test_error_key_body_maps_to_invalid_param() -> None:
    """Chunk creation's ``{"error": "..."}`` body is a BadRequestError with code invalid_param."""
    text = "1 validation error for SegmentCreatePayload\nsegments\n  Field required"
    error = error_from_response(400, {}, json.dumps({"error": text}).encode())
    assert isinstance(error, BadRequestError)
    assert error.code == "invalid_param"
    assert error.message == text


def test_json_body_that_is_not_an_object_is_kept_as_text() -> None:
    """A JSON array or string body is not Dify's envelope: code None, the text as message."""
    error = error_from_response(400, {}, b'["oops"]')
    assert isinstance(error, BadRequestError)
    assert (error.code, error.message) == (None, '["oops"]')


@pytest.mark.parametrize("status", [400, 429])
def test_concurrency_limit_is_a_rate_limit_error_whatever_its_status(status: int) -> None:
    """Dify's "Too many requests…" concurrency limit is a RateLimitError, even when sent as 400."""
    message = (
        "Too many requests. Please try again later. The current maximum concurrent requests "
        "allowed for 5fdcef41-a42c-4994-a615-f9225e7b4c48 is 2."
    )
    code = "invalid_param" if status == 400 else "too_many_requests"
    error = error_from_response(status, {}, envelope(status, code, message))
    assert isinstance(error, RateLimitError)
    assert error.code == code
    assert error.status_code == status


def test_other_400_is_not_a_rate_limit_error() -> None:
    """A 400 whose message merely mentions requests stays a BadRequestError."""
    error = error_from_response(400, {}, envelope(400, "invalid_param", "Invalid requests field"))
    assert type(error) is BadRequestError


def test_401_with_a_dataset_key_on_an_app_route_mentions_the_app_key() -> None:
    """A 401 on an app route called with a dataset key says an app key is needed."""
    [recording] = [r for r in RECORDED if r["recording"] == "49-error-dataset-key-on-app-endpoint"]
    error = error_from_response(
        401, {}, content_of(recording), key_family="app", api_key="dataset-abc123"
    )
    assert isinstance(error, AuthenticationError)
    assert error.code == "unauthorized"
    assert error.hint is not None
    assert "app key" in error.hint
    assert "other kind" in error.hint
    assert "app key" in str(error)


def test_401_with_an_app_key_on_a_knowledge_route_mentions_the_knowledge_key() -> None:
    """A 401 on a knowledge route called with an app key says a knowledge key is needed."""
    [recording] = [r for r in RECORDED if r["recording"] == "106-error-app-key-on-dataset-endpoint"]
    error = error_from_response(
        401, {}, content_of(recording), key_family="knowledge", api_key="app-abc123"
    )
    assert error.hint is not None
    assert "knowledge key" in error.hint
    assert "other kind" in error.hint


def test_401_with_a_key_of_the_right_family_suggests_checking_it() -> None:
    """A 401 with a key of the right family suggests the key is unknown or disabled."""
    error = error_from_response(
        401, {}, envelope(401, "unauthorized"), key_family="app", api_key="app-wrong"
    )
    assert error.hint is not None
    assert "other kind" not in error.hint
    assert "enabled" in error.hint


def test_non_401_errors_carry_no_key_hint() -> None:
    """Only a 401 gets a key hint; without a key family no hint is given at all."""
    forbidden = error_from_response(
        403, {}, envelope(403, "forbidden"), key_family="app", api_key="dataset-x"
    )
    unauthorized = error_from_response(401, {}, envelope(401, "unauthorized"))
    assert forbidden.hint is None
    assert unauthorized.hint is None
    assert str(unauthorized) == "401 unauthorized: Something went wrong."


# dify-api-notes §2.2: every documented (status, code) pair.
CODE_TABLE: list[tuple[int, str]] = [
    (400, "invalid_param"),
    (400, "bad_request"),
    (400, "app_unavailable"),
    (400, "not_chat_app"),
    (400, "not_workflow_app"),
    (400, "not_completion_app"),
    (400, "conversation_completed"),
    (400, "provider_not_initialize"),
    (400, "provider_quota_exceeded"),
    (400, "model_currently_not_support"),
    (400, "completion_request_error"),
    (400, "agent_not_published"),
    (400, "no_file_uploaded"),
    (400, "too_many_files"),
    (400, "filename_not_exists_error"),
    (400, "file_extension_blocked"),
    (400, "no_audio_uploaded"),
    (400, "provider_not_support_speech_to_text"),
    (400, "speech_to_text_disabled"),
    (400, "invalid_form_data"),
    (400, "dataset_not_initialized"),
    (400, "invalid_action"),
    (400, "invalid_metadata"),
    (400, "document_indexing"),
    (400, "document_already_finished"),
    (401, "unauthorized"),
    (403, "forbidden"),
    (403, "workflow_version_execution_not_allowed"),
    (403, "archived_document_immutable"),
    (403, "file_access_denied"),
    (404, "not_found"),
    (404, "end_user_not_found"),
    (404, "file_not_found"),
    (404, "human_input_form_not_found"),
    (409, "dataset_name_duplicate"),
    (409, "dataset_in_use"),
    (412, "human_input_form_submitted"),
    (412, "human_input_form_expired"),
    (413, "file_too_large"),
    (413, "audio_too_large"),
    (415, "unsupported_file_type"),
    (415, "unsupported_audio_type"),
    (415, "unsupported_media_type"),
    (429, "rate_limit_error"),
    (429, "too_many_requests"),
    (500, "internal_server_error"),
    (500, "unknown"),
    (500, "pipeline_run_error"),
]


@pytest.mark.parametrize(("status", "code"), CODE_TABLE, ids=[f"{s}-{c}" for s, c in CODE_TABLE])
def test_documented_code_round_trips(status: int, code: str) -> None:
    """Each documented code maps to its status's class and keeps code, message and status."""
    message = f"Message for {code}."
    content = envelope(status, code, message)
    error = error_from_response(status, {"content-type": "application/json"}, content)
    assert type(error) is EXPECTED_CLASS[status]
    assert (error.status_code, error.code, error.message, error.body) == (
        status,
        code,
        message,
        content,
    )
    assert str(error) == f"{status} {code}: {message}"


@pytest.mark.parametrize("status", [408, 418])
def test_unlisted_client_status_is_a_plain_api_status_error(status: int) -> None:
    """A 4xx without its own class is an APIStatusError (not mistaken for a narrower class)."""
    error = error_from_response(status, {}, envelope(status, "method_not_allowed"))
    assert type(error) is APIStatusError
    assert error.code == "method_not_allowed"


def test_a_405_says_the_server_does_not_serve_the_route() -> None:
    """405 (Dify 1.13 on the spec's PATCH route) is a BadRequestError naming method and path."""
    error = error_from_response(
        405,
        {"content-type": "application/json"},
        envelope(405, "method_not_allowed"),
        route=("PATCH", "/datasets/ds/documents/doc"),
    )
    assert type(error) is BadRequestError
    assert "does not serve PATCH /datasets/ds/documents/doc; it may be older than the route" in str(
        error
    )


def test_an_html_404_names_the_missing_route_and_the_likely_cause() -> None:
    """An HTML 404 (an unknown route) says which route and that the server may be older."""
    page = b"<!doctype html><title>404 Not Found</title>"
    error = error_from_response(404, {}, page, route=("GET", "/form/human_input/tok"))
    assert type(error) is NotFoundError
    assert "no route GET /form/human_input/tok" in str(error)
    assert "older than the route" in str(error)


def test_a_json_404_keeps_difys_own_message_without_a_route_hint() -> None:
    """A 404 in Dify's envelope (a missing conversation) is not blamed on the route."""
    error = error_from_response(404, {}, envelope(404, "not_found"), route=("GET", "/messages"))
    assert error.hint is None
