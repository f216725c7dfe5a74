"""A call loads only what it uses: its resource's operations and models, not the others'."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAM = """
import asyncio, json, sys, httpx
from difykit_async import AsyncDify
CHAT_OK = {"event": "message", "id": "m1", "message_id": "m1", "answer": "hi", "metadata": {}}
async def main():
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json=CHAT_OK))
    http = httpx.AsyncClient(transport=answer)
    dify = AsyncDify(api_key="app-x", base_url="http://dify.test/v1", http_client=http)
    await dify.chat.send(query="q", user="u")
ran = main()  # a coroutine here; already done in the sync twin
if asyncio.iscoroutine(ran):
    asyncio.run(ran)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_blocking_chat_call_loads_only_the_chat_operations() -> None:
    """``chat.send`` loads the chat operations, not the other resources' nor the event models."""
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], check=True, capture_output=True, text=True
    ).stdout
    loaded = set(json.loads(out))
    operations = {m.rpartition(".")[2] for m in loaded if m.startswith("difykit_core.operations.")}
    assert "chat" in operations
    assert not operations & {"annotations", "conversations", "workflows", "audio", "datasets"}
    assert "difykit_core.models.events" not in loaded
    assert "difykit_async._resources.chat" in loaded
    assert not {m for m in loaded if m.startswith("difykit_async._resources.")} - {
        "difykit_async._resources.chat"
    }
