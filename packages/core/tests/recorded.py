"""Real exchanges with Dify 1.13.2 for the builder tests (``data/answers``; see data/README.md)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from difykit_core import HttpRequest, HttpResponse

ANSWERS = Path(__file__).parent / "data" / "answers"


@dataclass(frozen=True)
class Exchange:
    """One recorded request (path below ``/v1``) and Dify's answer to it."""

    method: str
    path: str
    query: dict[str, str]
    request_body: Any
    status: int
    headers: dict[str, str]
    content: bytes
    body: Any
    """The answer's JSON (``None`` for an empty or non-JSON answer)."""

    @property
    def response(self) -> HttpResponse:
        """The answer as a parser receives it."""
        return HttpResponse(self.status, self.headers, self.content)

    @property
    def sent(self) -> tuple[str, str, dict[str, str], Any]:
        """The recorded request's method, path, query (as a dict) and JSON body."""
        return (self.method, self.path, self.query, self.request_body)


def sent(request: HttpRequest) -> tuple[str, str, dict[str, str], Any]:
    """A built request in the shape of :attr:`Exchange.sent` (query parameters must not repeat)."""
    query = dict(request.query)
    assert len(query) == len(request.query), request.query
    return (request.method, request.path, query, request.json)


def recorded(name: str) -> Exchange:
    """The exchange stored as ``data/answers/{name}.json``."""
    raw: dict[str, Any] = json.loads((ANSWERS / f"{name}.json").read_text("utf-8"))
    request = raw["request"]
    body = raw.get("body")
    if "text" in raw:
        content = raw["text"].encode()
    elif "base64" in raw:
        content = base64.b64decode(raw["base64"])
    else:
        content = b"" if body is None else json.dumps(body).encode()
    return Exchange(
        method=request["method"],
        path=request["path"],
        query=request.get("query", {}),
        request_body=request.get("body"),
        status=raw["status"],
        headers=raw["headers"],
        content=content,
        body=body,
    )


def json_answer(body: object, status: int = 200) -> HttpResponse:
    """A JSON answer written by hand, for routes the recordings do not cover."""
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


def dumped(result: BaseModel) -> Any:
    """What a parsed result holds as JSON: every field Dify sent, known or extra, and no other."""
    return result.model_dump(mode="json", exclude_unset=True)
