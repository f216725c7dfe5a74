"""The README's openai snippet runs as printed against a served proxy."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import openai
from conftest import KEY, Stack

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_snippet_streams_the_agent_answer(stack: Stack) -> None:
    """The snippet (demo URL, key and model swapped for the test stack's) prints the answer."""
    [block] = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    code = (
        block.replace("http://127.0.0.1:8000/v1", stack.base_url)
        .replace("sk-difykit-demo", KEY)
        .replace('"dify-agent"', '"agent"')
    )
    output = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(output):
        exec(compile(code, str(README), "exec"), namespace)
    client = namespace["client"]
    assert isinstance(client, openai.OpenAI)
    client.close()
    assert output.getvalue() == "I searched for Hello and found 3 results. Here is the gist."
