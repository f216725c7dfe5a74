"""The generation engine: every app mode blocking and streaming, stops, runs, resumption,
Human Input, validation and stream faults, driven through the real SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import anyio
import httpx
import pytest
from difykit import (
    BadRequestError,
    ConflictError,
    Dify,
    DifyStreamError,
    NotFoundError,
    StreamInterruptedError,
)
from difykit_async import AsyncDify
from difykit_core.models.events import (
    AgentThoughtEvent,
    BaseEvent,
    HumanInputFormFilledEvent,
    HumanInputRequiredEvent,
    MessageEvent,
    WorkflowFinishedEvent,
    WorkflowStartedEvent,
)
from difykit_core.models.workflow import WorkflowRunData
from difykit_testing import DifyEmulator, EmulatedApp, InputVariable

BASE = "http://dify.test/v1"
LONG = " ".join(f"word{i}" for i in range(200))


def sdk(emulator: DifyEmulator, app: EmulatedApp, **options: Any) -> Dify:
    """A sync SDK client for ``app``, in-process."""
    http = httpx.Client(transport=emulator.transport())
    return Dify(api_key=app.api_key, base_url=BASE, http_client=http, **options)


def async_sdk(emulator: DifyEmulator, app: EmulatedApp) -> AsyncDify:
    """An async SDK client for ``app``, in-process."""
    http = httpx.AsyncClient(transport=emulator.async_transport())
    return AsyncDify(api_key=app.api_key, base_url=BASE, http_client=http)


def raw(emulator: DifyEmulator, app: EmulatedApp) -> httpx.Client:
    """A plain httpx client with the app's key, for bodies the SDK would refuse to send."""
    return httpx.Client(
        transport=emulator.transport(),
        base_url=BASE,
        headers={"Authorization": f"Bearer {app.api_key}"},
    )


def sse_events(body: str) -> list[str]:
    """The frames of an SSE body: event names, and ``ping`` for keep-alives."""
    names = []
    for block in body.split("\n\n"):
        if block == "event: ping":
            names.append("ping")
        elif block.startswith("data: "):
            names.append(json.loads(block[6:])["event"])
    return names


def usage_keys(metadata: Any) -> dict[str, Any]:
    """The usage of a message's metadata as plain data."""
    return dict(metadata.usage.model_dump(mode="json"))


def answer_of(events: Iterable[BaseEvent]) -> str:
    """The answer the ``message`` events of a stream add up to."""
    return "".join(e.answer for e in events if isinstance(e, MessageEvent))


def finished(event: BaseEvent) -> WorkflowRunData:
    """The run data of a ``workflow_finished`` event."""
    assert isinstance(event, WorkflowFinishedEvent)
    return event.data


# --- every mode, blocking and streaming ---------------------------------------------------------


def test_chat_streams_message_deltas_then_message_end(dify_emulator: DifyEmulator) -> None:
    """A chatbot streams ``message`` deltas and ``message_end``, and collect() equals send()."""
    app = dify_emulator.add_app(mode="chat")
    dify = sdk(dify_emulator, app)
    with dify.chat.stream(query="hello there", user="u1") as stream:
        events = list(stream)
    assert [e.event for e in events] == ["message"] * 3 + ["message_end"]
    assert answer_of(events) == "Echo: hello there"
    streamed = dify.chat.stream(query="hello there", user="u1").collect()
    blocking = dify.chat.send(query="hello there", user="u1")
    assert streamed.answer == blocking.answer == "Echo: hello there"
    assert usage_keys(streamed.metadata) == usage_keys(blocking.metadata)
    usage = blocking.metadata.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens == 3
    assert usage.total_price is not None and usage.total_price > 0 and usage.currency == "USD"
    assert blocking.mode == "chat" and blocking.conversation_id


def test_chat_stream_has_no_initial_ping_and_dify_envelopes(dify_emulator: DifyEmulator) -> None:
    """Chat frames carry conversation_id, message_id, created_at and task_id, with no ping."""
    app = dify_emulator.add_app(mode="chat", reply="Hi!")
    body = {"query": "q", "inputs": {}, "user": "u1", "response_mode": "streaming"}
    text = raw(dify_emulator, app).post("/chat-messages", json=body).text
    assert text.startswith("data: {")
    first = json.loads(text.split("\n\n")[0][6:])
    assert list(first) == [
        "event",
        "conversation_id",
        "message_id",
        "created_at",
        "task_id",
        "id",
        "answer",
        "from_variable_selector",
    ]


def test_chatflow_streams_the_recorded_event_order(dify_emulator: DifyEmulator) -> None:
    """A chatflow pings, runs start/LLM/answer nodes, then message_end before workflow_finished."""
    app = dify_emulator.add_app(mode="advanced-chat", inputs=["name"])
    body = {
        "query": "hi you",
        "inputs": {"name": "Ada"},
        "user": "u1",
        "response_mode": "streaming",
    }
    names = sse_events(raw(dify_emulator, app).post("/chat-messages", json=body).text)
    assert names == [
        "ping",
        "workflow_started",
        "node_started",
        "node_finished",
        "node_started",
        "message",
        "message",
        "message",
        "node_finished",
        "node_started",
        "node_finished",
        "message_end",
        "workflow_finished",
    ]
    dify = sdk(dify_emulator, app)
    streamed = dify.chat.stream(query="hi you", user="u1", inputs={"name": "Ada"}).collect()
    blocking = dify.chat.send(query="hi you", user="u1", inputs={"name": "Ada"})
    assert streamed.answer == blocking.answer == "Echo: hi you"
    assert streamed.mode == blocking.mode == "advanced-chat"
    assert usage_keys(streamed.metadata) == usage_keys(blocking.metadata)
    run = app.runs[streamed.workflow_run_id or ""]
    assert run.status == "succeeded" and run.total_steps == 3 and run.total_tokens > 0
    assert run.outputs == {"answer": "Echo: hi you", "files": []}


def test_agent_chat_streams_thoughts_and_refuses_blocking(dify_emulator: DifyEmulator) -> None:
    """An agent streams agent_thought and agent_message; blocking (or no mode) is invalid_param."""
    app = dify_emulator.add_app(mode="agent-chat", reply="Sunny today")
    dify = sdk(dify_emulator, app)
    with dify.chat.stream(query="weather?", user="u1") as stream:
        names = [e.event for e in stream]
    assert names == [
        "agent_thought",
        "agent_message",
        "agent_message",
        "agent_thought",
        "message_end",
    ]
    with pytest.raises(BadRequestError) as info:
        dify.chat.send(query="weather?", user="u1")
    assert info.value.code == "invalid_param"
    assert info.value.message == "Agent Chat App does not support blocking mode"
    omitted = raw(dify_emulator, app).post(
        "/chat-messages", json={"query": "x", "inputs": {}, "user": "u1"}
    )
    assert omitted.status_code == 400 and "blocking mode" in omitted.json()["message"]
    message = next(iter(app.messages.values()))
    assert message.answer == "Sunny today" and message.agent_thoughts[0]["thought"] == "Sunny today"


def test_completion_echoes_and_has_no_conversation(dify_emulator: DifyEmulator) -> None:
    """A text generator streams message/message_end without conversation_id and echoes inputs."""
    app = dify_emulator.add_app(mode="completion", inputs=["topic"])
    dify = sdk(dify_emulator, app)
    streamed = dify.completion.stream(inputs={"topic": "otters"}, user="u1").collect()
    blocking = dify.completion.send(inputs={"topic": "otters"}, user="u1")
    assert streamed.answer == blocking.answer == "Echo: otters"
    assert usage_keys(streamed.metadata) == usage_keys(blocking.metadata)
    body = {"inputs": {"topic": "x"}, "query": "q", "user": "u1", "response_mode": "streaming"}
    text = raw(dify_emulator, app).post("/completion-messages", json=body).text
    assert "conversation_id" not in text and sse_events(text)[-1] == "message_end"
    assert app.conversations == {}


def test_workflow_streams_nodes_text_chunks_and_outputs(dify_emulator: DifyEmulator) -> None:
    """A workflow pings, runs start/LLM/end, streams its outputs as text_chunk, then finishes."""
    app = dify_emulator.add_app(
        mode="workflow", inputs=["text", InputVariable("count", type="number")]
    )
    body = {"inputs": {"text": "a b", "count": 2}, "user": "u1", "response_mode": "streaming"}
    names = sse_events(raw(dify_emulator, app).post("/workflows/run", json=body).text)
    assert names[:2] == ["ping", "workflow_started"] and names[-1] == "workflow_finished"
    assert names.count("text_chunk") == 4 and names.count("node_started") == 3
    dify = sdk(dify_emulator, app)
    streamed = dify.workflows.stream(inputs={"text": "a b", "count": 2}, user="u1").collect()
    blocking = dify.workflows.run(inputs={"text": "a b", "count": 2}, user="u1")
    assert streamed.outputs == blocking.outputs == {"text": "a b", "count": 2}
    assert blocking.status == "succeeded" and blocking.data.total_steps == 3
    assert (blocking.data.total_tokens or 0) > 0 and (blocking.data.elapsed_time or 0) > 0
    assert streamed.data.total_tokens == blocking.data.total_tokens


def test_workflow_blocking_has_the_recorded_keys(dify_emulator: DifyEmulator) -> None:
    """A blocking workflow run answers task_id, workflow_run_id and data as recording 78."""
    app = dify_emulator.add_app(mode="workflow", inputs=["text"], outputs=["result"])
    answer = raw(dify_emulator, app).post("/workflows/run", json={"inputs": {}, "user": "u"})
    body = answer.json()
    assert list(body) == ["task_id", "workflow_run_id", "data"]
    assert list(body["data"]) == [
        "id",
        "workflow_id",
        "status",
        "outputs",
        "error",
        "elapsed_time",
        "total_tokens",
        "total_steps",
        "created_at",
        "finished_at",
    ]
    assert body["data"]["outputs"] == {"result": None}


def test_chat_blocking_has_the_recorded_keys(dify_emulator: DifyEmulator) -> None:
    """A blocking chat answer has the key set of recording 05."""
    app = dify_emulator.add_app(mode="advanced-chat")
    body = (
        raw(dify_emulator, app)
        .post("/chat-messages", json={"query": "Hello Dify", "inputs": {}, "user": "u"})
        .json()
    )
    assert list(body) == [
        "event",
        "task_id",
        "id",
        "message_id",
        "conversation_id",
        "mode",
        "answer",
        "metadata",
        "created_at",
    ]
    assert body["answer"] == "Echo: Hello Dify"
    assert list(body["metadata"]) == ["annotation_reply", "retriever_resources", "usage"]


# --- replies and conversations ------------------------------------------------------------------


def test_a_conversation_continues_and_keeps_its_messages(dify_emulator: DifyEmulator) -> None:
    """The first message creates the conversation; conversation_id continues it for its user."""
    seen: list[int] = []

    def reply(query: str, conversation: Any) -> str:
        seen.append(len(conversation.messages))
        return f"#{len(conversation.messages)} {query}"

    app = dify_emulator.add_app(
        mode="advanced-chat", reply=reply, opening_statement="Hello! I echo."
    )
    dify = sdk(dify_emulator, app)
    first = dify.chat.send(query="first question", user="u1")
    second = dify.chat.stream(
        query="second", user="u1", conversation_id=first.conversation_id
    ).collect()
    assert second.conversation_id == first.conversation_id
    assert (first.answer, second.answer) == ("#0 first question", "#1 second")
    conversation = app.conversations[first.conversation_id or ""]
    assert conversation.name == "first question"
    assert conversation.introduction == "Hello! I echo."
    assert [m.query for m in conversation.messages] == ["first question", "second"]
    assert conversation.variables["last_query"].value == "second"
    listed = dify.conversations.list(user="u1")
    assert [c.id for c in listed.data] == [first.conversation_id]
    history = dify.messages.list(conversation_id=first.conversation_id or "", user="u1")
    assert [m.answer for m in history.data] == ["#0 first question", "#1 second"]
    with pytest.raises(NotFoundError) as info:
        dify.chat.send(query="hi", user="intruder", conversation_id=first.conversation_id)
    assert info.value.code == "not_found" and info.value.message == "Conversation Not Exists."


def test_a_scripted_reply_is_streamed_with_envelopes_filled(dify_emulator: DifyEmulator) -> None:
    """A list of event dicts is streamed as given, with ids and the terminal event added."""
    script: list[dict[str, Any]] = [
        {"event": "agent_thought", "thought": "look it up", "tool": "search", "tool_input": "{}"},
        {"event": "agent_message", "answer": "Found "},
        {"event": "agent_message", "answer": "it."},
    ]
    app = dify_emulator.add_app(mode="agent-chat", reply=script)
    dify = sdk(dify_emulator, app)
    with dify.chat.stream(query="find", user="u1") as stream:
        events = list(stream)
    assert [e.event for e in events] == [
        "agent_thought",
        "agent_message",
        "agent_message",
        "message_end",
    ]
    assert all(e.task_id == stream.task_id and e.conversation_id for e in events)
    thought = events[0]
    assert isinstance(thought, AgentThoughtEvent)
    assert thought.tool == "search" and thought.position == 1


def test_a_scripted_error_event_fails_stream_and_blocking(dify_emulator: DifyEmulator) -> None:
    """An ``error`` event ends the stream (DifyStreamError) and is the blocking call's error."""
    script: list[dict[str, Any]] = [
        {"event": "message", "answer": "Partial"},
        {"event": "error", "status": 400, "code": "completion_request_error", "message": "boom"},
    ]
    app = dify_emulator.add_app(mode="chat", reply=script)
    dify = sdk(dify_emulator, app)
    with pytest.raises(DifyStreamError) as stream_error:
        dify.chat.stream(query="q", user="u1").collect()
    assert stream_error.value.code == "completion_request_error"
    with pytest.raises(BadRequestError) as info:
        dify.chat.send(query="q", user="u1")
    assert info.value.code == "completion_request_error" and info.value.message == "boom"


def test_a_failed_node_fails_the_run_with_http_200(dify_emulator: DifyEmulator) -> None:
    """A scripted failed node makes workflow_finished ``failed``; blocking still answers 200."""
    script: list[dict[str, Any]] = [
        {"event": "node_started", "data": {"node_id": "http", "node_type": "http-request"}},
        {
            "event": "node_finished",
            "data": {"node_id": "http", "status": "failed", "error": "Connection refused"},
        },
    ]
    app = dify_emulator.add_app(mode="workflow", reply=script)
    dify = sdk(dify_emulator, app)
    run = dify.workflows.run(user="u1")
    assert run.status == "failed" and run.data.error == "Connection refused"
    assert run.outputs == {}
    streamed = dify.workflows.stream(user="u1").collect()
    assert streamed.status == "failed" and streamed.data.exceptions_count == 1


def test_annotation_reply_answers_a_matching_question(dify_emulator: DifyEmulator) -> None:
    """With annotation reply on, a close question gets the annotation's answer and its id."""
    app = dify_emulator.add_app(mode="chat")
    dify = sdk(dify_emulator, app)
    note = dify.annotations.create(question="What is Dify?", answer="An LLM app platform.")
    assert dify.chat.send(query="What is Dify?", user="u1").answer == "Echo: What is Dify?"
    dify.annotations.enable_reply(
        embedding_provider_name="openai",
        embedding_model_name="text-embedding-3-small",
        score_threshold=0.8,
    )
    hit = dify.chat.stream(query="what is dify", user="u1").collect()
    assert hit.answer == "An LLM app platform."
    assert hit.metadata.annotation_reply is not None
    assert hit.metadata.annotation_reply.id == note.id
    assert dify.chat.send(query="tell me a joke", user="u1").answer == "Echo: tell me a joke"


def test_files_are_checked_and_attached_to_the_message(dify_emulator: DifyEmulator) -> None:
    """Uploaded files attach to the message (preview works); a stranger's upload is refused."""
    app = dify_emulator.add_app(mode="chat")
    dify = sdk(dify_emulator, app)
    uploaded = dify.files.upload(b"hello", filename="note.txt", user="u1")
    message = dify.chat.send(query="see file", user="u1", files=[uploaded])
    stored = app.messages[message.id or ""]
    assert stored.files[0]["upload_file_id"] == uploaded.id
    assert dify.files.preview(uploaded.id, user="u1").content == b"hello"
    with pytest.raises(BadRequestError) as info:
        dify.chat.send(query="see file", user="someone-else", files=[uploaded])
    assert info.value.code == "invalid_param" and info.value.message == "Invalid upload file"


# --- validation ---------------------------------------------------------------------------------


def test_chat_bodies_are_validated_like_dify(dify_emulator: DifyEmulator) -> None:
    """Missing fields, blank query, bad mode or conversation id give Dify's invalid_param."""
    app = dify_emulator.add_app(mode="chat")
    http = raw(dify_emulator, app)

    def error(body: dict[str, Any]) -> tuple[int, str, str]:
        answer = http.post("/chat-messages", json=body)
        data = answer.json()
        return answer.status_code, data["code"], data["message"]

    status, code, message = error({"inputs": {}, "user": "u"})
    assert (status, code) == (400, "invalid_param")
    assert message.startswith("1 validation error for ChatRequestPayload\nquery\n  Field required")
    assert "inputs\n  Field required" in error({"query": "q", "user": "u"})[2]
    assert error({"query": "", "inputs": {}, "user": "u"})[2] == "query is required"
    assert error({"query": "q", "inputs": {}})[2] == "Arg user must be provided."
    assert (
        "Input should be 'blocking' or 'streaming'"
        in error({"query": "q", "inputs": {}, "user": "u", "response_mode": "sync"})[2]
    )
    assert (
        "conversation_id must be a valid UUID"
        in error({"query": "q", "inputs": {}, "user": "u", "conversation_id": "nope"})[2]
    )
    missing = error(
        {"query": "q", "inputs": {}, "user": "u", "conversation_id": str(app.workflow_id)}
    )
    assert missing == (404, "not_found", "Conversation Not Exists.")
    blank = http.post(
        "/chat-messages", json={"query": "q", "inputs": {}, "user": "u", "conversation_id": " "}
    )
    assert blank.status_code == 200


def test_routes_refuse_apps_of_the_wrong_mode(dify_emulator: DifyEmulator) -> None:
    """Each generation route answers Dify's mode-gate code for other app modes."""
    workflow = raw(dify_emulator, dify_emulator.add_app(mode="workflow"))
    chat = raw(dify_emulator, dify_emulator.add_app(mode="chat"))
    body = {"query": "q", "inputs": {}, "user": "u"}
    assert workflow.post("/chat-messages", json=body).json()["code"] == "not_chat_app"
    completion = workflow.post("/completion-messages", json=body).json()
    assert completion == {
        "code": "app_unavailable",
        "message": "App unavailable, please check your app configurations.",
        "status": 400,
    }
    assert chat.post("/workflows/run", json=body).json()["code"] == "not_workflow_app"
    stop = chat.post("/workflows/tasks/abc/stop", json={"user": "u"})
    assert stop.json()["code"] == "not_workflow_app"


def test_declared_workflow_inputs_are_checked(dify_emulator: DifyEmulator) -> None:
    """Required, max_length and number inputs fail with the messages of recordings 89-92."""
    app = dify_emulator.add_app(
        mode="workflow",
        inputs=[
            InputVariable("text", required=True, max_length=5),
            InputVariable("count", type="number"),
        ],
    )
    dify = sdk(dify_emulator, app)
    cases = [
        ({}, "text is required in input form"),
        ({"text": "toolong"}, "text in input form must be less than 5 characters"),
        ({"text": "ok", "count": "many"}, "count in input form must be a valid number"),
    ]
    for inputs, message in cases:
        with pytest.raises(BadRequestError) as info:
            dify.workflows.run(inputs=inputs, user="u1")
        assert (info.value.code, info.value.message) == ("invalid_param", message)
    assert dify.workflows.run(inputs={"text": "ok", "count": "4"}, user="u1").outputs == {
        "text": "ok",
        "count": 4,
    }


def test_a_workflow_version_must_exist(dify_emulator: DifyEmulator) -> None:
    """``/workflows/{id}/run`` runs the app's own workflow id and 404s on any other."""
    app = dify_emulator.add_app(mode="workflow")
    dify = sdk(dify_emulator, app)
    assert dify.workflows.run(user="u1", workflow_id=app.workflow_id).status == "succeeded"
    other = "eeef4ed2-05b8-443d-9c9d-43e9b1894e17"
    with pytest.raises(NotFoundError) as info:
        dify.workflows.run(user="u1", workflow_id=other)
    assert info.value.message == f"Workflow not found with id: {other}"


# --- stop ---------------------------------------------------------------------------------------


def test_stop_ends_a_paced_chat_with_the_partial_answer(dify_emulator: DifyEmulator) -> None:
    """Stopping a paced chat stream ends it with message_end; the message keeps the partial."""
    app = dify_emulator.add_app(mode="chat", reply=LONG)
    dify_emulator.faults.pace(delay=0.05)
    dify = sdk(dify_emulator, app)
    with dify.chat.stream(query="talk", user="u1") as stream:
        events = [next(stream)]
        assert stream.task_id is not None
        dify.chat.stop(stream.task_id, user="u1")
        events += list(stream)
    answer = answer_of(events)
    assert events[-1].event == "message_end" and 0 < len(answer) < len(LONG)
    assert app.messages[stream.message_id or ""].answer == answer
    assert app.tasks[stream.task_id].finished


def test_another_users_stop_is_ignored_by_a_chatbot(dify_emulator: DifyEmulator) -> None:
    """A chatbot's stop from another user answers success but the stream runs to its end."""
    app = dify_emulator.add_app(mode="chat", reply="one two three four five six")
    dify_emulator.faults.pace(delay=0.01)
    dify = sdk(dify_emulator, app)
    with dify.chat.stream(query="talk", user="u1") as stream:
        first = next(stream)
        dify.chat.stop(stream.task_id or "", user="intruder")
        rest = list(stream)
    answer = answer_of([first, *rest])
    assert answer == "one two three four five six"
    dify.chat.stop("unknown-task", user="u1")  # success for unknown tasks too


@pytest.mark.anyio
async def test_stop_ends_a_workflow_as_recorded() -> None:
    """A stopped workflow streams workflow_finished ``failed`` and its stored run is ``stopped``."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="workflow", reply={"story": LONG})
    emulator.faults.pace(delay=0.05)
    dify = async_sdk(emulator, app)
    events: list[BaseEvent] = []

    async def stop(task_id: str) -> None:
        await dify.workflows.stop(task_id, user="anyone")

    async with dify.workflows.stream(user="u1") as stream, anyio.create_task_group() as tasks:
        async for event in stream:
            events.append(event)
            if len(events) == 1:
                tasks.start_soon(stop, stream.task_id or "")
    last = finished(events[-1])
    assert len(events) < 10
    assert last.status == "failed" and last.error == "Aborted: User requested stop"
    run = await dify.workflows.get_run(stream.workflow_run_id or "")
    assert run.status == "stopped" and run.error == "Aborted: User requested stop"


@pytest.mark.anyio
async def test_stop_ends_a_chatflow_for_its_user_and_aborts_for_others() -> None:
    """A chatflow stopped by its user ends ``stopped``; another user's stop aborts it."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="advanced-chat", reply=LONG)
    emulator.faults.pace(delay=0.05)
    dify = async_sdk(emulator, app)
    outcomes: list[tuple[BaseEvent, Any]] = []
    for stopper in ("u1", "intruder"):
        async with dify.chat.stream(query="go", user="u1") as stream:
            async for event in stream:
                if event.event == "message":
                    await dify.chat.stop(stream.task_id or "", user=stopper)
            outcomes.append((event, app.messages[stream.message_id or ""]))
    (mine, kept), (theirs, aborted) = outcomes
    assert finished(mine).status == "stopped"
    assert finished(mine).error == "Stopped by user." and kept.status == "normal"
    assert finished(theirs).status == "failed"
    assert aborted.status == "error"
    assert aborted.error == "Run failed: Aborted: User requested stop"


# --- stored runs, logs, resumption --------------------------------------------------------------


def test_a_stored_run_and_the_logs(dify_emulator: DifyEmulator) -> None:
    """Runs are kept (inputs as a JSON string) and listed newest first with filters and pages."""
    app = dify_emulator.add_app(mode="workflow", inputs=["text"])
    dify = sdk(dify_emulator, app)
    runs = [
        dify.workflows.run(inputs={"text": t}, user=u) for t, u in [("hello", "a"), ("bye", "b")]
    ]
    detail = dify.workflows.get_run(runs[0].workflow_run_id)
    assert detail.status == "succeeded" and detail.outputs == {"text": "hello"}
    assert isinstance(detail.inputs, str) and json.loads(detail.inputs)["text"] == "hello"
    with pytest.raises(NotFoundError) as info:
        dify.workflows.get_run("no-such-run")
    assert info.value.message == "Workflow run not found."
    logs = dify.workflows.logs()
    assert logs.total == 2 and not logs.has_more
    assert [log.workflow_run.id for log in logs.data if log.workflow_run] == [
        runs[1].workflow_run_id,
        runs[0].workflow_run_id,
    ]
    assert dify.workflows.logs(keyword="HELLO").total == 1
    assert dify.workflows.logs(created_by_end_user_session_id="b").total == 1
    assert dify.workflows.logs(status="failed").total == 0
    assert dify.workflows.logs(created_at__after="2999-01-01T00:00:00").total == 0
    assert dify.workflows.logs(created_at__before="2999-01-01T00:00:00").total == 2
    first_page = dify.workflows.logs(limit=1)
    assert first_page.has_more and first_page.total == 2


def test_resuming_a_finished_run_sends_one_workflow_finished(dify_emulator: DifyEmulator) -> None:
    """``/workflow/{id}/events`` on a finished run sends just workflow_finished; others get 404."""
    app = dify_emulator.add_app(mode="workflow")
    dify = sdk(dify_emulator, app)
    run = dify.workflows.run(user="u1")
    with dify.workflows.resume(run.workflow_run_id, user="u1") as stream:
        events = list(stream)
    assert [e.event for e in events] == ["workflow_finished"]
    assert finished(events[0]).status == "succeeded"
    with pytest.raises(NotFoundError):
        dify.workflows.resume(run.workflow_run_id, user="u2").collect()


HUMAN_SCRIPT: list[dict[str, Any]] = [
    {
        "event": "human_input_required",
        "data": {
            "node_id": "review",
            "node_title": "Review",
            "form_content": "Please review:\n\n{{#$output.comment#}}",
            "inputs": ["comment"],
        },
    }
]


def test_human_input_pauses_then_resumes_after_the_form(dify_emulator: DifyEmulator) -> None:
    """A form pauses the run; answering it resumes the run, which the resume stream follows."""
    app = dify_emulator.add_app(mode="workflow", inputs=["topic"], reply=HUMAN_SCRIPT)
    dify = sdk(dify_emulator, app)
    with dify.workflows.stream(inputs={"topic": "v2"}, user="hi") as stream:
        events = list(stream)
    assert [e.event for e in events][-3:] == [
        "node_started",
        "human_input_required",
        "workflow_paused",
    ]
    required = events[-2]
    assert isinstance(required, HumanInputRequiredEvent)
    token = required.data.form_token
    assert token is not None
    run_id = stream.workflow_run_id or ""
    assert dify.workflows.get_run(run_id).status == "paused"
    form = dify.human_input.get(token)
    assert [a.id for a in form.user_actions] == ["approve", "reject"]
    assert form.inputs[0].output_variable_name == "comment"
    with pytest.raises(BadRequestError) as bad_action:
        dify.human_input.submit(token, inputs={"comment": "x"}, action="maybe", user="hi")
    assert bad_action.value.code == "invalid_form_data"
    assert bad_action.value.message == "Invalid action: maybe"
    with pytest.raises(BadRequestError) as missing:
        dify.human_input.submit(token, inputs={}, action="approve", user="hi")
    assert missing.value.message == "Missing required inputs: comment"
    dify.human_input.submit(token, inputs={"comment": "ship it"}, action="approve", user="hi")
    with pytest.raises(ConflictError) as used:
        dify.human_input.get(token)
    assert used.value.code == "human_input_form_submitted"
    with pytest.raises(ConflictError):
        dify.human_input.submit(token, inputs={"comment": "again"}, action="approve", user="hi")
    with dify.workflows.resume(run_id, user="hi") as resumed:
        after = list(resumed)
    assert [e.event for e in after][:4] == [
        "workflow_started",
        "node_started",
        "human_input_form_filled",
        "node_finished",
    ]
    started, filled = after[0], after[2]
    assert isinstance(started, WorkflowStartedEvent) and started.data.reason == "resumption"
    assert isinstance(filled, HumanInputFormFilledEvent)
    assert filled.data["rendered_content"] == "Please review:\n\nship it"
    assert finished(after[-1]).outputs == {"comment": "ship it", "action": "approve"}
    detail = dify.workflows.get_run(run_id)
    assert detail.status == "succeeded" and detail.total_steps == 4  # as recording 221
    again = dify.workflows.resume(run_id, user="hi").collect()
    assert again.status == "succeeded"


@pytest.mark.anyio
async def test_a_resume_stream_waits_for_the_form_answer() -> None:
    """A resume stream opened while paused delivers the resumed events once the form is sent."""
    emulator = DifyEmulator()
    script: list[dict[str, Any]] = [
        *HUMAN_SCRIPT,
        {"event": "text_chunk", "data": {"text": "done"}},
    ]
    app = emulator.add_app(mode="workflow", reply=script)
    dify = async_sdk(emulator, app)
    paused = await dify.workflows.stream(user="hi").collect()
    assert paused.status == "paused"
    token = next(iter(app.forms))
    names: list[str] = []

    async def follow() -> None:
        async with dify.workflows.resume(paused.workflow_run_id, user="hi") as stream:
            names.extend([e.event async for e in stream])

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(follow)
        await anyio.sleep(0.1)
        assert names == []
        await dify.human_input.submit(token, inputs={"comment": "ok"}, action="reject", user="hi")
    assert names[0] == "workflow_started" and names[-2:] == ["text_chunk", "workflow_finished"]
    assert app.runs[paused.workflow_run_id].outputs == {"text": "done"}


def test_a_chatflow_pauses_for_human_input_and_answers_after(dify_emulator: DifyEmulator) -> None:
    """A chatflow pauses (blocking: event workflow_paused) and its answer continues on resume."""
    script: list[dict[str, Any]] = [
        {"event": "message", "answer": "Checking. "},
        *HUMAN_SCRIPT,
        {"event": "message", "answer": "Approved."},
    ]
    app = dify_emulator.add_app(mode="advanced-chat", reply=script)
    dify = sdk(dify_emulator, app)
    paused = dify.chat.send(query="deploy?", user="u1")
    assert paused.event == "workflow_paused" and paused.answer == "Checking. "
    assert paused.data is not None and paused.data["status"] == "paused"
    token = next(iter(app.forms))
    dify.human_input.submit(token, inputs={"comment": "fine"}, action="approve", user="u1")
    resumed = dify.workflows.resume(paused.workflow_run_id or "", user="u1").collect()
    assert resumed.status == "succeeded"
    assert resumed.outputs == {"answer": "Checking. Approved.", "files": []}
    assert app.messages[paused.id or ""].answer == "Checking. Approved."


# --- faults and a real port ---------------------------------------------------------------------


def test_a_cut_stream_raises_stream_interrupted(dify_emulator: DifyEmulator) -> None:
    """A stream cut before its terminal event raises StreamInterruptedError in the SDK."""
    app = dify_emulator.add_app(mode="chat")
    dify_emulator.faults.cut_stream_after(1)
    with pytest.raises(StreamInterruptedError):
        sdk(dify_emulator, app).chat.stream(query="a b c", user="u1").collect()


def test_a_stalled_stream_hits_the_idle_timeout(dify_emulator: DifyEmulator) -> None:
    """A stalled stream (one ping, then silence) trips the SDK's stream idle timeout.

    Over a real port, since httpx enforces read timeouts there.
    """
    app = dify_emulator.add_app(mode="workflow")
    dify_emulator.faults.stall_next_stream(5.0)
    with dify_emulator.serve() as base_url:
        dify = Dify(api_key=app.api_key, base_url=base_url, stream_idle_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(StreamInterruptedError, match=r"no data for 0\.3 s"):
            dify.workflows.stream(user="u1").collect()
        assert time.monotonic() - started < 2.0
        dify.close()


def test_injected_failures_are_retried_by_the_sdk(dify_emulator: DifyEmulator) -> None:
    """A 503 with Retry-After before a generation is retried and then answered."""
    app = dify_emulator.add_app(mode="chat", reply="ok")
    dify_emulator.faults.fail_next(1, status=503, retry_after=0)
    assert sdk(dify_emulator, app, max_retries=1).chat.send(query="q", user="u").answer == "ok"


def test_generation_over_a_real_port(dify_emulator: DifyEmulator) -> None:
    """Streams, stops and Human Input work the same over a loopback port."""
    chat = dify_emulator.add_app(mode="chat", reply=LONG)
    flow = dify_emulator.add_app(mode="workflow", reply=HUMAN_SCRIPT)
    with dify_emulator.serve() as base_url:
        with Dify(api_key=chat.api_key, base_url=base_url) as dify:
            dify_emulator.faults.pace(delay=0.02)
            with dify.chat.stream(query="go", user="u1") as stream:
                next(stream)
                dify.chat.stop(stream.task_id or "", user="u1")
                assert [e.event for e in stream][-1] == "message_end"
            dify_emulator.faults.pace()
        with Dify(api_key=flow.api_key, base_url=base_url) as dify:
            paused = dify.workflows.stream(user="u1").collect()
            token = next(iter(flow.forms))
            dify.human_input.submit(token, inputs={"comment": "x"}, action="approve", user="u1")
            done = dify.workflows.resume(paused.workflow_run_id, user="u1").collect()
            assert done.status == "succeeded"


def test_scripted_events_after_a_form_can_depend_on_the_action(
    dify_emulator: DifyEmulator,
) -> None:
    """Events marked ``if_action`` run only after that action: each button has its own branch."""
    script: list[dict[str, Any]] = [
        *HUMAN_SCRIPT,
        {"event": "text_chunk", "data": {"text": "yes"}, "if_action": "approve"},
        {
            "event": "workflow_finished",
            "data": {"outputs": {"action": "reject"}},
            "if_action": "reject",
        },
    ]
    app = dify_emulator.add_app(mode="workflow", reply=script)
    dify = sdk(dify_emulator, app)
    outputs = {}
    for action in ("approve", "reject"):
        paused = dify.workflows.run(user="hi")
        token = next(t for t, f in app.forms.items() if f.run_id == paused.workflow_run_id)
        dify.human_input.submit(token, inputs={"comment": "ok"}, action=action, user="hi")
        outputs[action] = dify.workflows.get_run(paused.workflow_run_id).outputs
    assert outputs == {"approve": {"text": "yes"}, "reject": {"action": "reject"}}


def test_scripted_loop_and_start_nodes_get_difys_payloads(dify_emulator: DifyEmulator) -> None:
    """A scripted Start node reports the run's inputs; loop events get Dify's payload fields."""
    script: list[dict[str, Any]] = [
        {"event": "workflow_started"},
        {"event": "node_started", "data": {"node_id": "start", "node_type": "start"}},
        {"event": "node_finished", "data": {"node_id": "start"}},
        {"event": "loop_started", "data": {"node_id": "loop", "inputs": {"loop_count": 9, "n": 0}}},
        {"event": "loop_next", "data": {"node_id": "loop"}},
        {"event": "loop_completed", "data": {"node_id": "loop", "outputs": {"n": 2}}},
    ]
    app = dify_emulator.add_app(mode="workflow", inputs=["topic"], reply=script)
    with raw(dify_emulator, app) as client:
        body = {"inputs": {"topic": "t"}, "user": "u1", "response_mode": "streaming"}
        text = client.post("/workflows/run", json=body).text
    events = [json.loads(b[6:]) for b in text.split("\n\n") if b.startswith("data: ")]
    start = events[2]["data"]
    assert start["inputs"]["topic"] == "t" and start["outputs"]["sys.user_id"] == "u1"
    loop_next, completed = events[4]["data"], events[5]["data"]
    assert loop_next["index"] == 1 and loop_next["pre_loop_output"] == {}
    assert completed["outputs"] == {"n": 2, "loop_round": 2}
    assert completed["steps"] == 9 and completed["status"] == "succeeded"
    assert events[-1]["data"]["total_steps"] == 2  # Start and Loop; rounds do not count
