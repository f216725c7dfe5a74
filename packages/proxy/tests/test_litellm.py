"""LiteLLM's ``openai/`` provider against the served proxy: completion, stream, async.

LiteLLM runs in a child process: it leaves event loops and sockets of its own open at exit,
which would otherwise be reported against this test session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import KEY, Stack

SCRIPT = """
import asyncio, json, sys, warnings
warnings.simplefilter("ignore")
import litellm

base_url, key = sys.argv[1], sys.argv[2]
hello = [{"role": "user", "content": "Hello Dify"}]
common = {"api_base": base_url, "api_key": key, "messages": hello}
reply = litellm.completion(model="openai/chatflow", **common)
chunks = litellm.completion(model="openai/chatflow", stream=True, **common)
streamed = [c.choices[0].delta.content or "" for c in chunks]
later = asyncio.run(litellm.acompletion(model="openai/completion", **common))
print(json.dumps({
    "answer": reply.choices[0].message.content,
    "tokens": reply.usage.total_tokens,
    "streamed": streamed,
    "async_answer": later.choices[0].message.content,
}))
"""


def test_litellm_openai_provider_completes_streams_and_awaits(stack: Stack) -> None:
    """completion, stream=True and acompletion through ``openai/<alias>`` get the app's answer."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # never fetch the price list
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, stack.base_url, KEY],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["answer"] == "Echo: Hello Dify"
    assert result["tokens"] > 0
    assert len(result["streamed"]) > 1 and "".join(result["streamed"]) == "Echo: Hello Dify"
    assert "Hello Dify" in result["async_answer"]
