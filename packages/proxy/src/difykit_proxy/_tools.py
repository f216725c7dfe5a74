"""Tool-call emulation (opt-in, best effort): OpenAI ``tools`` through a prompt.

A Dify app has no client-side tools, so with ``tools = "emulate"`` the proxy appends the tool
list and an answer format to the query, and reads an answer that is only
``{"tool_calls": [{"name": …, "arguments": {…}}]}`` as OpenAI ``tool_calls``. Whether the
app's model follows the format is up to the model and the app's own prompt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from pydantic import JsonValue

from ._translate import ToolCallOut

__all__ = ["parse_tool_calls", "tool_names", "tool_prompt"]


def _function(tool: Mapping[str, JsonValue]) -> Mapping[str, JsonValue]:
    function = tool.get("function")
    return function if isinstance(function, Mapping) else tool


def tool_names(tools: Sequence[Mapping[str, JsonValue]]) -> list[str]:
    """The function names of OpenAI ``tools``."""
    names = [_function(t).get("name") for t in tools]
    return [n for n in names if isinstance(n, str) and n]


def tool_prompt(
    tools: Sequence[Mapping[str, JsonValue]], tool_choice: str | Mapping[str, JsonValue] | None
) -> str:
    """The instructions appended to the query: the tools, the answer format, the choice."""
    lines = [
        "You can call these tools. To call one or more, answer with ONLY this JSON and "
        'nothing else: {"tool_calls": [{"name": "<tool name>", "arguments": {<arguments>}}]}',
        "Otherwise, answer normally.",
        "Tools:",
    ]
    for tool in tools:
        function = _function(tool)
        schema = json.dumps(function.get("parameters") or {}, separators=(",", ":"))
        description = function.get("description") or ""
        lines.append(f"- {function.get('name')}: {description} Parameters: {schema}")
    if tool_choice == "required":
        lines.append("You must call at least one tool now.")
    elif isinstance(tool_choice, Mapping):
        name = _function(tool_choice).get("name")
        lines.append(f"You must call the tool {name!r} now.")
    return "\n".join(lines)


def _json_object(text: str) -> JsonValue:
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`")
        body = body.split("\n", 1)[1] if "\n" in body else body
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start or body[:start].strip():
        return None
    try:
        parsed: JsonValue = json.loads(body[start : end + 1])
    except ValueError:
        return None
    return parsed


def parse_tool_calls(
    text: str, *, names: Sequence[str], new_id: Callable[[], str]
) -> list[ToolCallOut] | None:
    """The tool calls an answer makes, or ``None`` when it is an ordinary answer.

    Only an answer that is a ``{"tool_calls": [...]}`` object naming declared tools counts.
    """
    parsed = _json_object(text)
    if not isinstance(parsed, dict):
        return None
    calls = parsed.get("tool_calls")
    if not isinstance(calls, list) or not calls:
        return None
    out: list[ToolCallOut] = []
    for call in calls:
        if not isinstance(call, dict) or call.get("name") not in names:
            return None
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        out.append(ToolCallOut(new_id(), str(call["name"]), arguments))
    return out
