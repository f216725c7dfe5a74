"""Replay of real Dify recordings (tests/data/recordings, copied from shared/) over MockTransport.

Imported by the test modules (``pythonpath = ["tests"]``). The recordings live once, in
``packages/async/tests/data``; the generated sync copy of this module reads them there too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import httpx
import pytest
from difykit_async import AsyncDify, AsyncDifyKnowledge
from difykit_core import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DifyError,
    FileDownload,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RemoteFile,
    ServerError,
    StreamInterruptedError,
    UploadedFile,
)
from pydantic import BaseModel

RECORDINGS = Path(__file__).resolve().parents[2] / "async" / "tests" / "data" / "recordings"
"""The one copy of the recordings (``packages/async/tests/data``), found from either package."""


def load_recording(name: str) -> dict[str, Any]:
    """A recording by its file name without ``.json`` (e.g. ``05-chat-messages-…``)."""
    data: dict[str, Any] = json.loads((RECORDINGS / f"{name}.json").read_text("utf-8"))
    return data


def recorded_body(recording: dict[str, Any]) -> bytes:
    """The recorded response body as bytes."""
    if "response_raw" in recording:
        return str(recording["response_raw"]).encode()
    if "response_body_text" in recording:
        return str(recording["response_body_text"]).encode()
    if "response_body_base64" in recording:
        import base64

        return base64.b64decode(recording["response_body_base64"])
    body = recording.get("response_body")
    return b"" if body is None else json.dumps(body).encode()


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes, size: int) -> None:
        self._chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


@dataclass
class Replay:
    """Answers every request with one recording's response, remembering the requests."""

    recording: dict[str, Any]
    chunk_size: int = 7
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        rec = self.recording
        headers = {
            k: v
            for k, v in rec["response_headers"].items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        }
        return httpx.Response(
            rec["status"], headers=headers, stream=_Chunks(recorded_body(rec), self.chunk_size)
        )

    def http_client(self) -> httpx.AsyncClient:
        """An HTTP client whose every request gets the recorded answer."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


Kind = Literal["call", "stream", "page"]

CLIENTS: dict[str, Callable[..., Any]] = {"app": AsyncDify, "knowledge": AsyncDifyKnowledge}

ERRORS: dict[int, type[APIStatusError]] = {
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
}


@dataclass(frozen=True)
class Case:
    """One recording and the client call that should reproduce it."""

    name: str
    resource: str
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    kind: Kind = "call"
    client: str = "app"
    raises: type[DifyError] | None = None
    """Expected error when it is not the one the recorded status maps to."""
    sent_path: str | None = None
    """The path the SDK sends, where it rightly differs from the recorded one (a web-app
    recording read as the answer of the Service API route)."""
    sent_query: dict[str, Any] | None = None
    """The query the SDK sends, where it rightly differs from the recorded one."""
    sent_body: dict[str, Any] | None = None
    """The JSON body the SDK sends, where it rightly differs from the recorded one."""


def body(
    name: str, *, drop: tuple[str, ...] = ("response_mode",), **override: Any
) -> dict[str, Any]:
    """The recorded JSON body as keyword arguments."""
    fields = dict(load_recording(name)["request_body"] or {})
    for key in drop:
        fields.pop(key, None)
    fields.update(override)
    return fields


def params(name: str, **override: Any) -> dict[str, Any]:
    """The recorded query as keyword arguments."""
    fields = dict(load_recording(name)["query"])
    fields.update(override)
    return fields


def path_part(name: str, index: int) -> str:
    """A segment of the recorded path (``/v1/a/b`` → index 2 is ``b``)."""
    return str(load_recording(name)["path"]).split("/")[index + 1]


def uploaded(files: list[dict[str, Any]]) -> list[UploadedFile | RemoteFile]:
    """The recorded ``files`` as the objects a user passes."""
    out: list[UploadedFile | RemoteFile] = []
    for f in files:
        if f["transfer_method"] == "local_file":
            ext = {"image": "png", "document": "txt"}.get(f["type"], "bin")
            out.append(UploadedFile(id=f["upload_file_id"], name=f"file.{ext}"))
        else:
            out.append(RemoteFile(url=f["url"], type=f["type"]))
    return out


# --- checks -----------------------------------------------------------------------------------


def assert_keys_kept(recorded: object, parsed: object, where: str = "$") -> None:
    """Every key Dify sent is still there after parsing (recursively)."""
    if isinstance(recorded, dict):
        assert isinstance(parsed, dict), f"{where}: expected an object, got {parsed!r}"
        # Both are JSON objects: a recording, and a model_dump(mode="json").
        parsed_object = cast("dict[str, object]", parsed)
        for key, value in cast("dict[str, object]", recorded).items():
            assert key in parsed_object, f"{where}.{key} was lost"
            assert_keys_kept(value, parsed_object[key], f"{where}.{key}")
    elif isinstance(recorded, list) and isinstance(parsed, list):
        recorded_items, parsed_items = cast("list[object]", recorded), cast("list[object]", parsed)
        assert len(recorded_items) == len(parsed_items), (
            f"{where}: {len(recorded_items)} items became {len(parsed_items)}"
        )
        for i, (r, p) in enumerate(zip(recorded_items, parsed_items, strict=True)):
            assert_keys_kept(r, p, f"{where}[{i}]")


def check_request(request: httpx.Request, rec: dict[str, Any]) -> None:
    assert request.method == rec["method"]
    assert request.url.path == rec["path"]
    sent_query: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        sent_query.setdefault(key, []).append(value)
    recorded_query: dict[str, object] = rec["query"]
    expected_query = {
        k: [
            str(x).lower() if isinstance(x, bool) else str(x)
            for x in (cast("list[object]", v) if isinstance(v, list) else [v])
        ]
        for k, v in recorded_query.items()
    }
    assert sent_query == expected_query
    recorded = rec.get("request_body")
    if isinstance(recorded, dict) and "multipart/form-data" in recorded:
        assert request.headers["content-type"].startswith("multipart/form-data")
        content = request.read()
        form = cast("dict[str, object]", recorded["multipart/form-data"])
        for field_name, part in form.items():
            assert f'name="{field_name}"'.encode() in content
            if isinstance(part, dict):  # a file: same name and type as recorded
                file = cast("dict[str, str]", part)
                assert f'filename="{file["filename"]}"'.encode() in content
                assert f"Content-Type: {file['content_type']}".encode() in content
    elif isinstance(recorded, dict):
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.read()) == recorded


def check_result(result: Any, rec: dict[str, Any], kind: Kind) -> None:
    if isinstance(result, FileDownload):
        assert result.content == recorded_body(rec)
        return
    recorded = rec.get("response_body")
    if result is None:
        assert recorded in (None, {}, {"result": "success"})
        return
    if isinstance(result, list):  # a bare list Dify wraps in ``data`` (suggested questions)
        assert isinstance(recorded, dict)
        assert result == recorded["data"]
        return
    if kind == "page":
        result = result.raw
    assert isinstance(result, BaseModel)
    assert_keys_kept(recorded, result.model_dump(mode="json"))


def recorded_events(rec: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for frame in str(rec["response_raw"]).split("\n\n"):
        for line in frame.splitlines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    return events


def check_events(events: list[Any], rec: dict[str, Any]) -> None:
    expected = recorded_events(rec)
    assert [e.event for e in events] == [e["event"] for e in expected]
    for parsed, raw in zip(events, expected, strict=True):
        assert_keys_kept(raw, parsed.model_dump(mode="json"))


def expected_error(case: Case, rec: dict[str, Any]) -> type[DifyError] | None:
    if case.raises is not None:
        return case.raises
    if rec["status"] >= 400:
        return ERRORS.get(rec["status"], APIStatusError)
    if case.kind == "stream" and not recorded_events(rec):
        return StreamInterruptedError
    return None


def check_error(error: DifyError, rec: dict[str, Any]) -> None:
    if isinstance(error, APIStatusError):
        assert error.status_code == rec["status"]
        body = rec.get("response_body")
        code = cast("dict[str, object]", body).get("code") if isinstance(body, dict) else None
        assert error.code == code


def expected_request(case: Case, rec: dict[str, Any]) -> dict[str, Any]:
    """The recording, with the path, query and body the SDK sends where they rightly differ."""
    expected = dict(rec)
    if case.sent_path is not None:
        expected["path"] = case.sent_path
    if case.sent_query is not None:
        expected["query"] = case.sent_query
    if case.sent_body is not None:
        expected["request_body"] = case.sent_body
    return expected


def api_key_for(rec: dict[str, Any]) -> str:
    auth = rec["request_headers"].get("authorization", "Bearer app-test")
    return "dataset-test" if "dataset-" in auth else "app-test"


def make_client(case: Case, rec: dict[str, Any], replay: Replay) -> Any:
    """The case's client (app or knowledge), answering over ``replay``, without retries."""
    return CLIENTS[case.client](
        api_key=api_key_for(rec),
        base_url="http://127.0.0.1:5001/v1",
        http_client=replay.http_client(),
        max_retries=0,
    )


async def run_case(case: Case) -> None:
    """Replay one case through the client and check request, result or error."""
    rec = load_recording(case.name)
    replay = Replay(rec)
    client = make_client(case, rec, replay)
    method = getattr(getattr(client, case.resource), case.method)
    error = expected_error(case, rec)

    async def run() -> Any:
        if case.kind == "stream":
            return [event async for event in method(*case.args, **case.kwargs)]
        return await method(*case.args, **case.kwargs)

    if error is not None:
        with pytest.raises(error) as info:
            await run()
        check_error(info.value, rec)
    else:
        result = await run()
        if case.kind == "stream":
            check_events(result, rec)
        else:
            check_result(result, rec, case.kind)
    check_request(replay.requests[0], expected_request(case, rec))
