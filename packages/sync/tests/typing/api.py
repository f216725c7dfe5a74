"""What a user's IDE and type checker see. Never run; checked by ``mypy --strict``."""

from __future__ import annotations

from difykit import Dify, Stream, SyncPage
from difykit_async import AsyncDify, AsyncPage, AsyncStream
from difykit_core.models.conversations import Conversation
from difykit_core.models.events import ChatEvent
from difykit_core.models.files import FileDownload, UploadedFile
from difykit_core.models.messages import ChatMessage
from typing_extensions import assert_type


def sync_usage(dify: Dify) -> None:
    assert_type(dify.chat.send(query="Hi", user="u1"), ChatMessage)
    stream = dify.chat.stream(query="Hi", user="u1", conversation_id="c1")
    assert_type(stream, Stream[ChatEvent, ChatMessage])
    with stream as events:
        for event in events:
            assert_type(event, ChatEvent)
            if event.event == "message":
                print(event.task_id)
    assert_type(stream.collect(), ChatMessage)
    assert_type(stream.task_id, str | None)
    page = dify.conversations.list(user="u1", limit=10)
    assert_type(page, SyncPage[Conversation])
    for conversation in page:
        assert_type(conversation, Conversation)
    assert_type(dify.files.upload(b"data", user="u1", filename="a.txt"), UploadedFile)
    assert_type(dify.files.preview("f1"), FileDownload)
    assert_type(dify.chat.stop("t1", user="u1"), None)
    sibling = dify.with_options(api_key="app-other")
    assert_type(sibling, Dify)


async def async_usage(dify: AsyncDify) -> None:
    assert_type(await dify.chat.send(query="Hi", user="u1"), ChatMessage)
    stream = dify.chat.stream(query="Hi", user="u1")
    assert_type(stream, AsyncStream[ChatEvent, ChatMessage])
    async with stream as events:
        async for event in events:
            assert_type(event, ChatEvent)
    assert_type(await stream.collect(), ChatMessage)
    page = await dify.conversations.list(user="u1")
    assert_type(page, AsyncPage[Conversation])
    async for conversation in page:
        assert_type(conversation, Conversation)
