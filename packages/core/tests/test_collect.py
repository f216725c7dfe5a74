"""Collectors: a stream turned into the result the blocking call would have returned."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from difykit_core import StreamInterruptedError
from difykit_core.models.events import WorkflowStartedEvent
from difykit_core.models.messages import ChatMessage, CompletionMessage
from difykit_core.models.workflow import WorkflowRun
from difykit_core.operations._generate import (
    chat_protocol,
    completion_protocol,
    workflow_protocol,
)

DATA = Path(__file__).parent / "data"
RECORDINGS: dict[str, Any] = json.loads((DATA / "recordings.json").read_text("utf-8"))

TASK = "task-1"
CONVERSATION = "conversation-1"
MESSAGE = "message-1"

USAGE = {
    "prompt_tokens": 12,
    "prompt_unit_price": "0.001",
    "prompt_price_unit": "0.001",
    "prompt_price": "0.0000120",
    "completion_tokens": 3,
    "completion_unit_price": "0.002",
    "completion_price_unit": "0.001",
    "completion_price": "0.0000060",
    "total_tokens": 15,
    "total_price": "0.0000180",
    "currency": "USD",
    "latency": 0.52,
}
RESOURCE = {"position": 1, "dataset_id": "ds-1", "document_name": "faq.md", "score": 0.87}


def transcript(name: str) -> bytes:
    """The raw body of a recorded stream."""
    return (DATA / f"{name}.sse").read_bytes()


def frame(payload: dict[str, Any]) -> bytes:
    """One ``data:`` frame as Dify writes it."""
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def chat(event: str, **fields: Any) -> dict[str, Any]:
    """A chat-family event with the usual envelope."""
    return {
        "event": event,
        "task_id": TASK,
        "conversation_id": CONVERSATION,
        "message_id": MESSAGE,
        "created_at": 1795285524,
        **fields,
    }


def collect_chat(raw: bytes) -> ChatMessage:
    """Read a chat stream and collect it, as a client's ``collect()`` does."""
    protocol = chat_protocol()
    reader, collector = protocol.reader(), protocol.collector()
    for event in reader.feed(raw):
        collector.add(event)
    reader.finish()
    return collector.result(reader)


def collect_completion(raw: bytes) -> CompletionMessage:
    """Read a completion stream and collect it."""
    protocol = completion_protocol()
    reader, collector = protocol.reader(), protocol.collector()
    for event in reader.feed(raw):
        collector.add(event)
    reader.finish()
    return collector.result(reader)


def collect_workflow(raw: bytes) -> WorkflowRun:
    """Read a workflow stream and collect it."""
    protocol = workflow_protocol()
    reader, collector = protocol.reader(), protocol.collector()
    for event in reader.feed(raw):
        collector.add(event)
    reader.finish()
    return collector.result(reader)


# --- chat -----------------------------------------------------------------------------------------


def test_chat_answer_is_the_concatenated_deltas() -> None:
    """The collected answer is every ``message`` delta joined in order."""
    result = collect_chat(
        frame(chat("message", id=MESSAGE, answer="Hel"))
        + frame(chat("message", id=MESSAGE, answer="lo, "))
        + frame(chat("message", id=MESSAGE, answer="world"))
        + frame(chat("message_end", id=MESSAGE))
    )
    assert result.answer == "Hello, world"
    assert result.mode == "chat"
    assert result.event == "message"
    assert (result.task_id, result.conversation_id) == (TASK, CONVERSATION)
    assert result.id == result.message_id == MESSAGE
    assert result.created_at == 1795285524
    assert result.data is None


def test_message_replace_replaces_the_answer_so_far() -> None:
    """Output moderation's message_replace discards the deltas before it."""
    result = collect_chat(
        frame(chat("message", answer="something "))
        + frame(chat("message", answer="unsafe"))
        + frame(chat("message_replace", answer="[redacted]", reason="output_moderation"))
        + frame(chat("message_end", id=MESSAGE))
    )
    assert result.answer == "[redacted]"


def test_usage_citations_and_files_come_from_message_end() -> None:
    """metadata (usage, retriever resources) and files of the result are message_end's."""
    files = [{"related_id": "f1", "type": "image", "url": "http://127.0.0.1:5001/f1.png"}]
    result = collect_chat(
        frame(chat("message", answer="42"))
        + frame(
            chat(
                "message_end",
                id=MESSAGE,
                metadata={"usage": USAGE, "retriever_resources": [RESOURCE]},
                files=files,
            )
        )
    )
    usage = result.metadata.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 3, 15)
    assert usage.total_price == Decimal("0.0000180")
    assert usage.currency == "USD"
    assert [r.document_name for r in result.metadata.retriever_resources] == ["faq.md"]
    assert result.files == files


def test_message_id_comes_from_message_end_when_no_envelope_had_it() -> None:
    """Without message_id in the envelope, the result takes message_end's id."""
    result = collect_chat(
        frame({"event": "message", "task_id": TASK, "answer": "x"})
        + frame({"event": "message_end", "task_id": TASK, "id": "from-end"})
    )
    assert result.id == result.message_id == "from-end"


def test_new_agent_closing_message_is_not_appended_to_its_deltas() -> None:
    """New Agent sends agent_message deltas then one full ``message``: the answer appears once."""
    result = collect_chat(
        frame(chat("agent_thought", id="t1", position=1, thought="", tool="search"))
        + frame(chat("agent_message", id=MESSAGE, answer="The answer "))
        + frame(chat("agent_message", id=MESSAGE, answer="is 42."))
        + frame(chat("message", id=MESSAGE, answer="The answer is 42."))
        + frame(chat("message_end", id=MESSAGE))
    )
    assert result.answer == "The answer is 42."
    assert result.mode == "agent-chat"


def test_agent_chat_deltas_are_concatenated() -> None:
    """An agent-chat stream (agent_message deltas only) collects to the joined deltas."""
    result = collect_chat(
        frame(chat("agent_message", answer="Hi "))
        + frame(chat("agent_message", answer="there"))
        + frame(chat("message_end", id=MESSAGE))
    )
    assert result.answer == "Hi there"
    assert result.mode == "agent-chat"


def test_chatflow_stream_collects_like_the_blocking_answer() -> None:
    """Recording 06 collected matches blocking recording 05's shape: answer, ids and usage."""
    blocking_recording = RECORDINGS["05-chat-messages-blocking-new-conversation"]
    blocking = ChatMessage.model_validate(blocking_recording["response_body"])
    request = RECORDINGS["06-chat-messages-streaming-continue"]["request_body"]
    raw = transcript("06-chat-messages-streaming-continue")
    end = next(
        json.loads(line[6:])
        for line in raw.split(b"\n")
        if line.startswith(b'data: {"event":"message_end"')
    )

    result = collect_chat(raw)

    # The echo chatflow answers "Echo: <query>", streamed or not.
    assert blocking.answer == "Echo: " + blocking_recording["request_body"]["query"]
    assert result.answer == "Echo: " + request["query"]
    # 06 continued the conversation 05 started.
    assert result.conversation_id == request["conversation_id"] == blocking.conversation_id
    assert result.message_id == result.id == end["message_id"]
    assert result.task_id == end["task_id"]
    assert (
        (result.event, result.mode)
        == (blocking.event, blocking.mode)
        == ("message", "advanced-chat")
    )
    assert result.metadata.usage is not None
    assert blocking.metadata.usage is not None
    assert result.metadata.usage.model_dump(mode="json") == end["metadata"]["usage"]
    assert result.metadata.usage.model_fields_set == blocking.metadata.usage.model_fields_set
    assert result.metadata.model_fields_set == blocking.metadata.model_fields_set
    blocking_fields = blocking.model_dump(exclude_none=True).keys()
    assert blocking_fields <= result.model_dump(exclude_none=True).keys()


def test_chatflow_loop_stream_collects_its_answer() -> None:
    """Recording 182 (a loop before the Answer node) collects to "Counted to 20"."""
    result = collect_chat(transcript("182-chat-messages-loop-streaming"))
    assert result.answer == "Counted to 20"
    assert result.data is not None
    assert result.data["status"] == "succeeded"


@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("184-chat-messages-loop-streaming-stopped", "stopped", "Stopped by user."),
        (
            "186-chat-messages-loop-streaming-stop-wrong-user",
            "failed",
            "Aborted: User requested stop",
        ),
    ],
)
def test_stopped_chatflow_collects_an_empty_answer_and_the_run(
    name: str, status: str, error: str
) -> None:
    """A chatflow stopped mid-run (no message_end) collects to an empty answer and the run's end."""
    raw = transcript(name)
    result = collect_chat(raw)
    assert result.answer == ""
    assert result.metadata.usage is None
    assert result.data is not None
    assert (result.data["status"], result.data["error"]) == (status, error)
    assert result.workflow_run_id == result.data["id"]
    assert result.conversation_id == RECORDINGS[name]["request_body"]["conversation_id"]


def test_paused_chatflow_is_reported_as_workflow_paused() -> None:
    """A chatflow that paused at Human Input collects to ``event == "workflow_paused"``."""
    run = "run-1"
    result = collect_chat(
        frame(chat("workflow_started", workflow_run_id=run, data={"id": run}))
        + frame(chat("message", answer="Before the form. "))
        + frame(
            chat(
                "workflow_paused",
                workflow_run_id=run,
                data={"workflow_run_id": run, "status": "paused", "paused_nodes": ["review"]},
            )
        )
    )
    assert result.event == "workflow_paused"
    assert result.answer == "Before the form. "
    assert result.workflow_run_id == run
    assert result.data == {"workflow_run_id": run, "status": "paused", "paused_nodes": ["review"]}


# --- completion -----------------------------------------------------------------------------------


def test_completion_stream_collects_to_a_completion_message() -> None:
    """A completion stream collects to its joined answer, usage and ids, with mode completion."""
    base = {"task_id": TASK, "message_id": MESSAGE, "created_at": 1795285600}
    result = collect_completion(
        frame({**base, "event": "message", "id": MESSAGE, "answer": "Once upon "})
        + frame({**base, "event": "message", "id": MESSAGE, "answer": "a time"})
        + frame({**base, "event": "message_end", "id": MESSAGE, "metadata": {"usage": USAGE}})
    )
    assert isinstance(result, CompletionMessage)
    assert not isinstance(result, ChatMessage)
    assert result.answer == "Once upon a time"
    assert (result.mode, result.event, result.task_id, result.id) == (
        "completion",
        "message",
        TASK,
        MESSAGE,
    )
    assert result.metadata.usage is not None
    assert result.metadata.usage.total_tokens == 15


# --- workflow -------------------------------------------------------------------------------------


def test_workflow_stream_collects_like_the_blocking_run() -> None:
    """Recording 79 collects to the outputs and status blocking recording 78 gives its inputs."""
    blocking_recording = RECORDINGS["78-workflows-run-blocking"]
    blocking = WorkflowRun.model_validate(blocking_recording["response_body"])
    inputs = RECORDINGS["79-workflows-run-streaming"]["request_body"]["inputs"]

    result = collect_workflow(transcript("79-workflows-run-streaming"))

    # The echo workflow outputs its inputs as result/count, streamed or not.
    blocking_inputs = blocking_recording["request_body"]["inputs"]
    assert blocking.outputs == {
        "result": blocking_inputs["text"],
        "count": blocking_inputs["count"],
    }
    assert result.outputs == {"result": inputs["text"], "count": inputs["count"]}
    assert result.status == blocking.status == "succeeded"
    assert result.workflow_run_id == result.data.id == "fb6fe631-7d80-4914-8c5e-fb95961ded7e"
    assert result.task_id == "ec87f046-2120-4f8a-b7c0-f526a2917665"
    assert blocking.data.model_fields_set <= result.data.model_fields_set


@pytest.mark.parametrize(
    ("name", "status", "outputs"),
    [
        ("179-workflows-run-loop-streaming-stopped", "failed", {}),
        ("204-workflows-run-http-fail-plain-streaming", "failed", {}),
        (
            "208-workflows-run-http-fail-branch-streaming",
            "partial-succeeded",
            {
                "error_message": "[Errno 111] Connection refused",
                "error_type": "HttpRequestNodeError",
            },
        ),
    ],
)
def test_failed_and_stopped_workflows_collect_their_final_state(
    name: str, status: str, outputs: dict[str, Any]
) -> None:
    """A stopped or failed workflow stream collects to workflow_finished's status and outputs."""
    result = collect_workflow(transcript(name))
    assert result.status == status
    assert result.outputs == outputs
    if name.startswith("179"):
        assert result.data.error == "Aborted: User requested stop"


@pytest.mark.parametrize(
    "name",
    [
        "211-workflows-run-human-input-streaming-paused",
        "225-workflows-run-human-input-streaming-paused-2",
    ],
)
def test_paused_workflow_collects_the_pause(name: str) -> None:
    """A run paused at Human Input collects to status paused with its paused nodes and run id."""
    raw = transcript(name)
    paused = json.loads(raw.rstrip().rsplit(b"\n", 1)[-1][6:])
    assert paused["event"] == "workflow_paused"

    result = collect_workflow(raw)

    assert result.status == "paused"
    assert result.data.paused_nodes == ["review"]
    assert result.workflow_run_id == paused["workflow_run_id"] == paused["data"]["workflow_run_id"]
    assert result.task_id == paused["task_id"]
    assert result.data.reasons is not None
    assert len(result.data.reasons) == 1


def test_workflow_collector_without_an_end_raises() -> None:
    """Asking a workflow collector for its result before workflow_finished raises."""
    collector = workflow_protocol().collector()
    collector.add(WorkflowStartedEvent(task_id=TASK))
    with pytest.raises(StreamInterruptedError):
        collector.result(workflow_protocol().reader())


def test_workflow_event_without_a_task_id_keeps_the_one_seen_before() -> None:
    """A resumed run's finishing event may lack ``task_id``; the run keeps the earlier one."""
    import json

    protocol = workflow_protocol()
    reader, collector = protocol.reader(), protocol.collector()
    frames = [
        {"event": "workflow_started", "task_id": TASK, "workflow_run_id": "run-1"},
        {
            "event": "workflow_finished",
            "workflow_run_id": "run-1",
            "data": {"id": "run-1", "status": "succeeded", "outputs": {"answer": 42}},
        },
    ]
    for event in reader.feed(
        b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames)
    ):
        collector.add(event)
    reader.finish()

    result = collector.result(reader)

    assert (result.task_id, result.workflow_run_id, result.outputs) == (
        TASK,
        "run-1",
        {"answer": 42},
    )
