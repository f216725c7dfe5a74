"""Every app-key recording of a real Dify 1.13.2, replayed through the sync and async clients.

For each recording the client must send the recorded method, path, query and JSON body, parse
the recorded answer into its typed result without losing a field, and raise the right error
class with Dify's ``code`` for recorded errors. Streams must yield the recorded events in order.
Recordings the SDK refuses to send (it validates first) are covered by core's mapping tests.
"""

from __future__ import annotations

import pytest
from replay_support import Case, Kind, body, params, path_part, run_async, run_sync, uploaded


def _chat(name: str, kind: Kind = "call") -> Case:
    kwargs = body(name)
    if "files" in kwargs:
        kwargs["files"] = uploaded(kwargs["files"])
    return Case(name, "chat", "stream" if kind == "stream" else "send", kwargs=kwargs, kind=kind)


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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_sync_client_reproduces_recording(case: Case) -> None:
    """The sync client sends what was recorded and reads what Dify answered."""
    run_sync(case)


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_async_client_reproduces_recording(case: Case) -> None:
    """The async client sends what was recorded and reads what Dify answered."""
    await run_async(case)
