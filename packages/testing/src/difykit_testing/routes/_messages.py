"""Messages: ``GET /messages`` (history, backwards cursor) and suggested next questions."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._requests import app_for, require_chat_app
from difykit_testing._state import AppState, StoredMessage
from difykit_testing.routes._common import (
    UUIDStrOrEmpty,
    conversation_for,
    query_model,
    query_user,
)
from difykit_testing.routes._files import signed_file_url

__all__ = ["SUGGESTED_QUESTIONS", "message_for", "message_json", "routes"]

NIL_UUID = "00000000-0000-0000-0000-000000000000"

SUGGESTED_QUESTIONS = (
    "Can you tell me more?",
    "Can you give me an example?",
    "What should I ask next?",
)
"""What ``GET /messages/{id}/suggested`` answers when the feature is on."""

_KINDS = {
    "image": {"jpg", "jpeg", "png", "webp", "gif", "svg"},
    "video": {"mp4", "mov", "mpeg", "webm"},
    "audio": {"mp3", "m4a", "wav", "amr", "mpga"},
}

# GET /v1/messages 404s carry flask-restx's route hint in Dify (recordings 55, 56).
_ROUTE_HINT = (
    " You have requested this URI [/v1/messages] but did you mean /v1/messages or "
    "/v1/chat-messages or /api/messages ?"
)


class MessageListQuery(BaseModel):
    conversation_id: UUIDStrOrEmpty
    first_id: UUIDStrOrEmpty | None = None
    limit: int = Field(default=20, ge=1, le=100)


def _file_kind(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return next((kind for kind, exts in _KINDS.items() if extension in exts), "document")


def _derived_id(*parts: str) -> str:
    """A stable id for a record stored without one (a message's file or agent thought)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, ":".join(parts)))


def message_file_json(
    request: Request, app: AppState, message: StoredMessage, index: int, file: dict[str, Any]
) -> dict[str, Any]:
    """A file of a message as ``GET /messages`` lists it (``message_files``)."""
    upload_id = file.get("upload_file_id")
    stored = app.files.get(upload_id) if isinstance(upload_id, str) else None
    url = file.get("url") or file.get("remote_url")
    if stored is not None:
        name = stored.name
        url = signed_file_url(request, stored)
    else:
        name = str(url or "").rsplit("/", 1)[-1].split("?", 1)[0]
    return {
        "id": file.get("id") or _derived_id(message.id, "file", str(index)),
        "filename": file.get("filename") or name,
        "type": file.get("type") or _file_kind(name),
        "url": url,
        "mime_type": file.get("mime_type") or (stored.mime_type if stored else None),
        "size": file.get("size") or (len(stored.content) if stored else -1),
        "transfer_method": file.get("transfer_method")
        or ("local_file" if stored else "remote_url"),
        "belongs_to": file.get("belongs_to") or "user",
        "upload_file_id": stored.id if stored else None,
    }


def _thought_json(message: StoredMessage, position: int, thought: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": thought.get("id") or _derived_id(message.id, "thought", str(position)),
        "chain_id": thought.get("chain_id"),
        "message_id": message.id,
        "position": thought.get("position") or position,
        "thought": thought.get("thought") or "",
        "tool": thought.get("tool") or "",
        "tool_labels": thought.get("tool_labels") or {},
        "tool_input": thought.get("tool_input") or "",
        "observation": thought.get("observation") or "",
        "files": list(thought.get("files") or []),
        "created_at": thought.get("created_at") or message.created_at,
    }


def message_json(request: Request, app: AppState, message: StoredMessage) -> dict[str, Any]:
    """A message as ``GET /messages`` lists it (the key set of recording 12)."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "parent_message_id": message.parent_message_id or NIL_UUID,
        "inputs": message.inputs,
        "query": message.query,
        "answer": message.answer,
        "feedback": {"rating": message.rating} if message.rating else None,
        "retriever_resources": [],
        "created_at": message.created_at,
        "agent_thoughts": [
            _thought_json(message, i, t) for i, t in enumerate(message.agent_thoughts, start=1)
        ],
        "message_files": [
            message_file_json(request, app, message, i, f) for i, f in enumerate(message.files)
        ],
        "status": message.status,
        "error": message.error,
        "extra_contents": [],
    }


def message_for(app: AppState, message_id: str, user: str) -> StoredMessage:
    """The user's message, or 404 ``not_found`` "Message Not Exists."."""
    message = app.messages.get(message_id)
    if message is None or message.user != user:
        raise DifyHTTPError(404, "not_found", "Message Not Exists.")
    return message


async def list_messages(request: Request) -> JSONResponse:
    """``GET /messages``: the newest ``limit`` messages before ``first_id``, oldest first."""
    app = app_for(request)
    user = query_user(request, app)
    require_chat_app(app)
    query = query_model(request, MessageListQuery)
    if not query.conversation_id:
        return JSONResponse({"limit": query.limit, "has_more": False, "data": []})
    try:
        conversation = conversation_for(app, query.conversation_id, user)
    except DifyHTTPError as exc:
        raise DifyHTTPError(exc.status, exc.code, exc.message + _ROUTE_HINT) from None
    older = list(conversation.messages)
    if query.first_id:
        index = next((i for i, m in enumerate(older) if m.id == query.first_id), None)
        if index is None:
            raise DifyHTTPError(404, "not_found", "First Message Not Exists." + _ROUTE_HINT)
        older = older[:index]
    page = older[-query.limit :]
    return JSONResponse(
        {
            "limit": query.limit,
            "has_more": len(older) > query.limit,
            "data": [message_json(request, app, m) for m in page],
        }
    )


async def suggested(request: Request) -> JSONResponse:
    """``GET /messages/{message_id}/suggested``: three next questions, when the feature is on."""
    app = app_for(request)
    user = query_user(request, app, required=True)
    require_chat_app(app)
    message = message_for(app, str(request.path_params["message_id"]), user)
    if message.conversation_id is not None:
        conversation_for(app, message.conversation_id, user)
    if not app.suggested_questions_after_answer:
        raise DifyHTTPError(400, "bad_request", "Suggested Questions Is Disabled.")
    return JSONResponse({"result": "success", "data": list(SUGGESTED_QUESTIONS)})


def routes() -> list[BaseRoute]:
    """The message routes."""
    return [
        Route("/messages", list_messages, methods=["GET"]),
        Route("/messages/{message_id:uuid}/suggested", suggested, methods=["GET"]),
    ]
