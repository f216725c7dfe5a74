"""Finished calls made by hand, for tests of the pipeline that need no Dify at all."""

from __future__ import annotations

import time

from difykit_core.models.messages import ChatMessage
from difykit_core.transport import AppIdentity, CallEnd, CallInfo, HttpRequest
from difykit_exporter_respan._record import CallRecord

APP = AppIdentity(base_url="http://dify.test/v1", key_fingerprint="app-…0000")


def chat_call(
    query: str = "Hi", *, user: str = "u1", context: dict[str, object] | None = None
) -> CallInfo:
    """A ``chat.send`` call as an observer sees it."""
    request = HttpRequest("POST", "/chat-messages", json={"query": query, "user": user})
    return CallInfo("chat.send", request, user, time.time(), False, APP, context or {})


def chat_end(answer: str = "Hello", *, message_id: str = "m-1") -> CallEnd:
    """The end of a successful ``chat.send``."""
    result = ChatMessage(id=message_id, message_id=message_id, answer=answer, mode="chat")
    return CallEnd(elapsed=0.01, attempts=1, status_code=200, result=result)


def chat_record(index: int = 0, **context: object) -> CallRecord:
    """A finished ``chat.send`` whose query is ``q<index>``."""
    call = chat_call(f"q{index}", context=dict(context))
    return CallRecord(call, "end", chat_end(message_id=f"m-{index}"))
