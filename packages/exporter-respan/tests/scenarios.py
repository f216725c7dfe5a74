"""Apps and scripted replies shared by the sync and async end-to-end tests."""

from __future__ import annotations

from typing import Any

from difykit_testing import DifyEmulator, EmulatedApp

LLM_USAGE: dict[str, Any] = {
    "prompt_tokens": 20,
    "completion_tokens": 4,
    "total_tokens": 24,
    "total_price": "0.000034",
    "currency": "USD",
    "latency": 0.5,
    "time_to_first_token": 0.25,
}

LOOP_CHATFLOW: list[dict[str, Any]] = [
    {
        "event": "loop_started",
        "data": {"node_id": "loop", "title": "Loop", "inputs": {"loop_count": 2}},
    },
    {
        "event": "node_started",
        "data": {
            "node_id": "inc",
            "node_type": "assigner",
            "title": "Increment",
            "loop_id": "loop",
        },
    },
    {
        "event": "node_finished",
        "data": {
            "node_id": "inc",
            "node_type": "assigner",
            "title": "Increment",
            "loop_id": "loop",
            "execution_metadata": {"loop_id": "loop", "loop_index": 0},
        },
    },
    {"event": "loop_next", "data": {"node_id": "loop", "title": "Loop"}},
    {
        "event": "node_started",
        "data": {
            "node_id": "inc",
            "node_type": "assigner",
            "title": "Increment",
            "loop_id": "loop",
        },
    },
    {
        "event": "node_finished",
        "data": {
            "node_id": "inc",
            "node_type": "assigner",
            "title": "Increment",
            "loop_id": "loop",
            "execution_metadata": {"loop_id": "loop", "loop_index": 1},
        },
    },
    {
        "event": "loop_completed",
        "data": {"node_id": "loop", "title": "Loop", "status": "succeeded"},
    },
    {
        "event": "node_started",
        "data": {"node_id": "llm", "node_type": "llm", "title": "Answer LLM"},
    },
    {"event": "message", "answer": "Counted "},
    {"event": "message", "answer": "to two."},
    {
        "event": "node_finished",
        "data": {
            "node_id": "llm",
            "node_type": "llm",
            "title": "Answer LLM",
            "process_data": {
                "model_provider": "openai",
                "model_name": "gpt-4o-mini",
                "prompts": [{"role": "user", "text": "count"}],
            },
            "outputs": {"text": "Counted to two.", "usage": LLM_USAGE},
            "execution_metadata": {
                "total_tokens": 24,
                "total_price": "0.000034",
                "currency": "USD",
            },
        },
    },
]

AGENT_THOUGHTS: list[dict[str, Any]] = [
    {
        "event": "agent_thought",
        "id": "th-1",
        "position": 1,
        "thought": "I should search",
        "tool": "web_search",
        "tool_input": '{"q": "dify"}',
        "observation": "",
    },
    {
        "event": "agent_thought",
        "id": "th-1",
        "position": 1,
        "thought": "I should search",
        "tool": "web_search",
        "tool_input": '{"q": "dify"}',
        "observation": "Dify is an LLM app platform",
    },
    {"event": "agent_message", "answer": "Dify is "},
    {"event": "agent_message", "answer": "a platform."},
]

MID_STREAM_ERROR: list[dict[str, Any]] = [
    {"event": "message", "answer": "Partial "},
    {
        "event": "error",
        "status": 400,
        "code": "provider_quota_exceeded",
        "message": "Your quota is used up.",
    },
]


def workflow_app(emulator: DifyEmulator, status: str = "succeeded") -> EmulatedApp:
    """A workflow app; its run ends with ``status`` (``failed`` and ``stopped`` carry an error)."""
    if status == "succeeded":
        return emulator.add_app(mode="workflow", inputs=["topic"])
    error = "Node Code failed: division by zero" if status == "failed" else "stopped by user"
    return emulator.add_app(
        mode="workflow",
        inputs=["topic"],
        reply=[
            {
                "event": "node_started",
                "data": {"node_id": "code", "node_type": "code", "title": "Code"},
            },
            {
                "event": "node_finished",
                "data": {
                    "node_id": "code",
                    "node_type": "code",
                    "title": "Code",
                    "status": "failed" if status == "failed" else "stopped",
                    "error": error,
                },
            },
            {"event": "workflow_finished", "data": {"status": status, "error": error}},
        ],
    )
