"""The ``--demo`` apps: an emulated Dify with one app of each mode, and their model names."""

from __future__ import annotations

import json
from typing import Any

from difykit_testing import DifyEmulator

__all__ = ["DEMO_KEY", "demo_emulator"]

DEMO_KEY = "sk-difykit-demo"
"""The proxy key the demo accepts (it listens on loopback only by default)."""


def _agent_reply(query: Any, conversation: Any) -> list[dict[str, Any]]:
    """An agent that thinks, calls a (pretend) search tool, then answers word by word."""
    tool_input = json.dumps({"query": str(query)})
    thought = {
        "event": "agent_thought",
        "id": "thought-1",
        "position": 1,
        "thought": "I should search for this first.",
        "tool": "web_search",
        "tool_input": tool_input,
    }
    answer = f"I searched for {query!s} and found 3 results. Here is the gist."
    words = answer.split(" ")
    deltas = [
        {"event": "agent_message", "answer": w + (" " if i < len(words) - 1 else "")}
        for i, w in enumerate(words)
    ]
    return [thought, {**thought, "observation": "3 results found"}, *deltas]


def demo_emulator() -> tuple[DifyEmulator, dict[str, str]]:
    """An emulator with one app of each mode; returns it and model name → app key."""
    emulator = DifyEmulator()
    apps = {
        "dify-chat": emulator.add_app(mode="chat", name="Demo Chatbot"),
        "dify-agent": emulator.add_app(mode="agent-chat", name="Demo Agent", reply=_agent_reply),
        "dify-chatflow": emulator.add_app(mode="advanced-chat", name="Demo Chatflow"),
        "dify-completion": emulator.add_app(mode="completion", name="Demo Text Generator"),
        "dify-workflow": emulator.add_app(
            mode="workflow",
            name="Demo Workflow",
            inputs=["text"],
            reply=lambda inputs, _: {"text": f"Workflow result: {inputs.get('text')}"},
        ),
    }
    return emulator, {name: app.api_key for name, app in apps.items()}
