"""The generation engine: every app mode blocking and streaming, stops, runs, resumption,
Human Input, validation and stream faults, driven with raw httpx and SSE frames."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import anyio
import httpx
import pytest
from difykit_testing import DifyEmulator, EmulatedApp, InputVariable
from emulator_http import (
    Frame,
    aiter_sse,
    answer_of,
    async_client,
    client,
    error_of,
    iter_sse,
    sse_frames,
    sse_names,
)

LONG = " ".join(f"word{i}" for i in range(200))


def raw(emulator: DifyEmulator, app: EmulatedApp) -> httpx.Client:
    """A plain httpx client with the app's key, in-process."""
    return client(emulator, app.api_key)


def chat(http: httpx.Client, query: str, *, streaming: bool, **fields: Any) -> httpx.Response:
    """``POST /chat-messages`` for user ``u1`` (unless ``fields`` say otherwise)."""
    mode = "streaming" if streaming else "blocking"
    body: dict[str, Any] = {
        "query": query,
        "user": "u1",
        "inputs": {},
        "response_mode": mode,
        **fields,
    }
    return http.post("/chat-messages", json=body)


def run(http: httpx.Client, *, streaming: bool, **fields: Any) -> httpx.Response:
    """``POST /workflows/run`` for user ``u1`` (unless ``fields`` say otherwise)."""
    mode = "streaming" if streaming else "blocking"
    return http.post(
        "/workflows/run", json={"user": "u1", "inputs": {}, "response_mode": mode, **fields}
    )


def names(frames: Sequence[Frame]) -> list[str]:
    """The event name of each frame."""
    return [f["event"] for f in frames]


def finished(frame: Frame) -> Any:
    """The run data of a ``workflow_finished`` frame."""
    assert frame["event"] == "workflow_finished"
    return frame["data"]


def usage(metadata: Any) -> Any:
    """The usage of a message's metadata."""
    return metadata["usage"]


# --- every mode, blocking and streaming ---------------------------------------------------------


def test_chat_streams_message_deltas_then_message_end(dify_emulator: DifyEmulator) -> None:
    """A chatbot streams ``message`` deltas and ``message_end``; the blocking answer matches."""
    app = dify_emulator.add_app(mode="chat")
    http = raw(dify_emulator, app)
    with http.stream(
        "POST",
        "/chat-messages",
        json={"query": "hello there", "user": "u1", "inputs": {}, "response_mode": "streaming"},
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        frames = list(iter_sse(stream))
    assert names(frames) == ["message"] * 3 + ["message_end"]
    assert answer_of(frames) == "Echo: hello there"
    streamed = sse_frames(chat(http, "hello there", streaming=True).text)
    blocking = chat(http, "hello there", streaming=False).json()
    assert answer_of(streamed) == blocking["answer"] == "Echo: hello there"
    assert usage(streamed[-1]["metadata"]) == usage(blocking["metadata"])
    counted = usage(blocking["metadata"])
    assert counted["prompt_tokens"] > 0 and counted["completion_tokens"] == 3
    assert float(counted["total_price"]) > 0 and counted["currency"] == "USD"
    assert blocking["mode"] == "chat" and blocking["conversation_id"]


def test_chat_stream_has_no_initial_ping_and_dify_envelopes(dify_emulator: DifyEmulator) -> None:
    """Chat frames carry conversation_id, message_id, created_at and task_id, with no ping."""
    app = dify_emulator.add_app(mode="chat", reply="Hi!")
    body: dict[str, Any] = {"query": "q", "inputs": {}, "user": "u1", "response_mode": "streaming"}
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
    http = raw(dify_emulator, app)
    text = chat(http, "hi you", streaming=True, inputs={"name": "Ada"}).text
    assert sse_names(text) == [
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
    streamed = sse_frames(text)
    blocking = chat(http, "hi you", streaming=False, inputs={"name": "Ada"}).json()
    assert answer_of(streamed) == blocking["answer"] == "Echo: hi you"
    assert blocking["mode"] == "advanced-chat"
    (end,) = [f for f in streamed if f["event"] == "message_end"]
    assert usage(end["metadata"]) == usage(blocking["metadata"])
    stored = app.runs[streamed[0]["workflow_run_id"]]
    assert stored.status == "succeeded" and stored.total_steps == 3 and stored.total_tokens > 0
    assert stored.outputs == {"answer": "Echo: hi you", "files": []}


def test_agent_chat_streams_thoughts_and_refuses_blocking(dify_emulator: DifyEmulator) -> None:
    """An agent streams agent_thought and agent_message; blocking (or no mode) is invalid_param."""
    app = dify_emulator.add_app(mode="agent-chat", reply="Sunny today")
    http = raw(dify_emulator, app)
    assert names(sse_frames(chat(http, "weather?", streaming=True).text)) == [
        "agent_thought",
        "agent_message",
        "agent_message",
        "agent_thought",
        "message_end",
    ]
    blocking = chat(http, "weather?", streaming=False)
    assert error_of(blocking) == (
        400,
        "invalid_param",
        "Agent Chat App does not support blocking mode",
    )
    omitted = http.post("/chat-messages", json={"query": "x", "inputs": {}, "user": "u1"})
    assert omitted.status_code == 400 and "blocking mode" in omitted.json()["message"]
    message = next(iter(app.messages.values()))
    assert message.answer == "Sunny today" and message.agent_thoughts[0]["thought"] == "Sunny today"


def test_completion_echoes_and_has_no_conversation(dify_emulator: DifyEmulator) -> None:
    """A text generator streams message/message_end without conversation_id and echoes inputs."""
    app = dify_emulator.add_app(mode="completion", inputs=["topic"])
    http = raw(dify_emulator, app)

    def complete(mode: str) -> httpx.Response:
        body = {"user": "u1", "inputs": {"topic": "otters"}, "response_mode": mode}
        return http.post("/completion-messages", json=body)

    streamed = sse_frames(complete("streaming").text)
    blocking = complete("blocking").json()
    assert answer_of(streamed) == blocking["answer"] == "Echo: otters"
    assert usage(streamed[-1]["metadata"]) == usage(blocking["metadata"])
    body = {"inputs": {"topic": "x"}, "query": "q", "user": "u1", "response_mode": "streaming"}
    text = http.post("/completion-messages", json=body).text
    assert "conversation_id" not in text and sse_names(text)[-1] == "message_end"
    assert app.conversations == {}


def test_workflow_streams_nodes_text_chunks_and_outputs(dify_emulator: DifyEmulator) -> None:
    """A workflow pings, runs start/LLM/end, streams its outputs as text_chunk, then finishes."""
    app = dify_emulator.add_app(
        mode="workflow", inputs=["text", InputVariable("count", type="number")]
    )
    http = raw(dify_emulator, app)
    inputs = {"text": "a b", "count": 2}
    text = run(http, streaming=True, inputs=inputs).text
    events = sse_names(text)
    assert events[:2] == ["ping", "workflow_started"] and events[-1] == "workflow_finished"
    assert events.count("text_chunk") == 4 and events.count("node_started") == 3
    streamed = finished(sse_frames(text)[-1])
    blocking = run(http, streaming=False, inputs=inputs).json()["data"]
    assert streamed["outputs"] == blocking["outputs"] == {"text": "a b", "count": 2}
    assert blocking["status"] == "succeeded" and blocking["total_steps"] == 3
    assert blocking["total_tokens"] > 0 and blocking["elapsed_time"] > 0
    assert streamed["total_tokens"] == blocking["total_tokens"]


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
    http = raw(dify_emulator, app)
    first = chat(http, "first question", streaming=False).json()
    conversation_id = first["conversation_id"]
    second = sse_frames(chat(http, "second", streaming=True, conversation_id=conversation_id).text)
    assert {f["conversation_id"] for f in second if "conversation_id" in f} == {conversation_id}
    assert (first["answer"], answer_of(second)) == ("#0 first question", "#1 second")
    conversation = app.conversations[conversation_id]
    assert conversation.name == "first question"
    assert conversation.introduction == "Hello! I echo."
    assert [m.query for m in conversation.messages] == ["first question", "second"]
    assert conversation.variables["last_query"].value == "second"
    listed = http.get("/conversations", params={"user": "u1"}).json()["data"]
    assert [c["id"] for c in listed] == [conversation_id]
    params = {"conversation_id": conversation_id, "user": "u1"}
    history = http.get("/messages", params=params).json()["data"]
    assert [m["answer"] for m in history] == ["#0 first question", "#1 second"]
    intruder = chat(http, "hi", streaming=False, user="intruder", conversation_id=conversation_id)
    assert error_of(intruder) == (404, "not_found", "Conversation Not Exists.")


def test_a_scripted_reply_is_streamed_with_envelopes_filled(dify_emulator: DifyEmulator) -> None:
    """A list of event dicts is streamed as given, with ids and the terminal event added."""
    script: list[dict[str, Any]] = [
        {"event": "agent_thought", "thought": "look it up", "tool": "search", "tool_input": "{}"},
        {"event": "agent_message", "answer": "Found "},
        {"event": "agent_message", "answer": "it."},
    ]
    app = dify_emulator.add_app(mode="agent-chat", reply=script)
    frames = sse_frames(chat(raw(dify_emulator, app), "find", streaming=True).text)
    assert names(frames) == ["agent_thought", "agent_message", "agent_message", "message_end"]
    task_id = frames[0]["task_id"]
    assert task_id and all(f["task_id"] == task_id and f["conversation_id"] for f in frames)
    thought = frames[0]
    assert thought["tool"] == "search" and thought["position"] == 1


def test_a_scripted_error_event_fails_stream_and_blocking(dify_emulator: DifyEmulator) -> None:
    """An ``error`` event ends the stream and is the blocking call's error answer."""
    script: list[dict[str, Any]] = [
        {"event": "message", "answer": "Partial"},
        {"event": "error", "status": 400, "code": "completion_request_error", "message": "boom"},
    ]
    app = dify_emulator.add_app(mode="chat", reply=script)
    http = raw(dify_emulator, app)
    streamed = chat(http, "q", streaming=True)
    assert streamed.status_code == 200
    frames = sse_frames(streamed.text)
    assert names(frames) == ["message", "error"]
    assert frames[-1]["code"] == "completion_request_error" and frames[-1]["message"] == "boom"
    blocking = chat(http, "q", streaming=False)
    assert error_of(blocking) == (400, "completion_request_error", "boom")


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
    http = raw(dify_emulator, app)
    blocking = run(http, streaming=False)
    assert blocking.status_code == 200
    data = blocking.json()["data"]
    assert data["status"] == "failed" and data["error"] == "Connection refused"
    assert data["outputs"] == {}
    streamed = finished(sse_frames(run(http, streaming=True).text)[-1])
    assert streamed["status"] == "failed" and streamed["exceptions_count"] == 1


def test_annotation_reply_answers_a_matching_question(dify_emulator: DifyEmulator) -> None:
    """With annotation reply on, a close question gets the annotation's answer and its id."""
    app = dify_emulator.add_app(mode="chat")
    http = raw(dify_emulator, app)
    note = http.post(
        "/apps/annotations", json={"question": "What is Dify?", "answer": "An LLM app platform."}
    ).json()
    assert chat(http, "What is Dify?", streaming=False).json()["answer"] == "Echo: What is Dify?"
    http.post(
        "/apps/annotation-reply/enable",
        json={
            "embedding_provider_name": "openai",
            "embedding_model_name": "text-embedding-3-small",
            "score_threshold": 0.8,
        },
    )
    hit = sse_frames(chat(http, "what is dify", streaming=True).text)
    assert answer_of(hit) == "An LLM app platform."
    assert hit[-1]["metadata"]["annotation_reply"]["id"] == note["id"]
    miss = chat(http, "tell me a joke", streaming=False).json()
    assert miss["answer"] == "Echo: tell me a joke"


def test_files_are_checked_and_attached_to_the_message(dify_emulator: DifyEmulator) -> None:
    """Uploaded files attach to the message (preview works); a stranger's upload is refused."""
    app = dify_emulator.add_app(mode="chat")
    http = raw(dify_emulator, app)
    uploaded = http.post(
        "/files/upload", files={"file": ("note.txt", b"hello", "text/plain")}, data={"user": "u1"}
    ).json()
    files = [
        {"type": "document", "transfer_method": "local_file", "upload_file_id": uploaded["id"]}
    ]
    message = chat(http, "see file", streaming=False, files=files).json()
    stored = app.messages[message["id"]]
    assert stored.files[0]["upload_file_id"] == uploaded["id"]
    preview = http.get(f"/files/{uploaded['id']}/preview", params={"user": "u1"})
    assert preview.content == b"hello"
    stranger = chat(http, "see file", streaming=False, user="someone-else", files=files)
    assert error_of(stranger) == (400, "invalid_param", "Invalid upload file")


# --- validation ---------------------------------------------------------------------------------


def test_chat_bodies_are_validated_like_dify(dify_emulator: DifyEmulator) -> None:
    """Missing fields, blank query, bad mode or conversation id give Dify's invalid_param."""
    app = dify_emulator.add_app(mode="chat")
    http = raw(dify_emulator, app)

    def error(body: dict[str, Any]) -> tuple[int, str, str]:
        return error_of(http.post("/chat-messages", json=body))

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
    chatbot = raw(dify_emulator, dify_emulator.add_app(mode="chat"))
    body: dict[str, Any] = {"query": "q", "inputs": {}, "user": "u"}
    assert workflow.post("/chat-messages", json=body).json()["code"] == "not_chat_app"
    completion = workflow.post("/completion-messages", json=body).json()
    assert completion == {
        "code": "app_unavailable",
        "message": "App unavailable, please check your app configurations.",
        "status": 400,
    }
    assert chatbot.post("/workflows/run", json=body).json()["code"] == "not_workflow_app"
    stop = chatbot.post("/workflows/tasks/abc/stop", json={"user": "u"})
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
    http = raw(dify_emulator, app)
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "text is required in input form"),
        ({"text": "toolong"}, "text in input form must be less than 5 characters"),
        ({"text": "ok", "count": "many"}, "count in input form must be a valid number"),
    ]
    for inputs, message in cases:
        assert error_of(run(http, streaming=False, inputs=inputs)) == (
            400,
            "invalid_param",
            message,
        )
    accepted = run(http, streaming=False, inputs={"text": "ok", "count": "4"}).json()
    assert accepted["data"]["outputs"] == {"text": "ok", "count": 4}


def test_a_workflow_version_must_exist(dify_emulator: DifyEmulator) -> None:
    """``/workflows/{id}/run`` runs the app's own workflow id and 404s on any other."""
    app = dify_emulator.add_app(mode="workflow")
    http = raw(dify_emulator, app)
    body: dict[str, Any] = {"user": "u1", "inputs": {}, "response_mode": "blocking"}
    own = http.post(f"/workflows/{app.workflow_id}/run", json=body).json()
    assert own["data"]["status"] == "succeeded"
    other = "eeef4ed2-05b8-443d-9c9d-43e9b1894e17"
    answer = http.post(f"/workflows/{other}/run", json=body)
    assert error_of(answer)[0] == 404
    assert answer.json()["message"] == f"Workflow not found with id: {other}"


# --- stop ---------------------------------------------------------------------------------------


def test_stop_ends_a_paced_chat_with_the_partial_answer(dify_emulator: DifyEmulator) -> None:
    """Stopping a paced chat stream ends it with message_end; the message keeps the partial."""
    app = dify_emulator.add_app(mode="chat", reply=LONG)
    dify_emulator.faults.pace(delay=0.05)
    http = raw(dify_emulator, app)
    body: dict[str, Any] = {
        "query": "talk",
        "user": "u1",
        "inputs": {},
        "response_mode": "streaming",
    }
    with http.stream("POST", "/chat-messages", json=body) as stream:
        frames = iter_sse(stream)
        events = [next(frames)]
        task_id = events[0]["task_id"]
        stopped = http.post(f"/chat-messages/{task_id}/stop", json={"user": "u1"})
        assert stopped.json() == {"result": "success"}
        events += list(frames)
    answer = answer_of(events)
    assert events[-1]["event"] == "message_end" and 0 < len(answer) < len(LONG)
    assert app.messages[events[0]["message_id"]].answer == answer
    assert app.tasks[task_id].finished


def test_another_users_stop_is_ignored_by_a_chatbot(dify_emulator: DifyEmulator) -> None:
    """A chatbot's stop from another user answers success but the stream runs to its end."""
    app = dify_emulator.add_app(mode="chat", reply="one two three four five six")
    dify_emulator.faults.pace(delay=0.01)
    http = raw(dify_emulator, app)
    body: dict[str, Any] = {
        "query": "talk",
        "user": "u1",
        "inputs": {},
        "response_mode": "streaming",
    }
    with http.stream("POST", "/chat-messages", json=body) as stream:
        frames = iter_sse(stream)
        first = next(frames)
        ignored = http.post(f"/chat-messages/{first['task_id']}/stop", json={"user": "intruder"})
        assert ignored.json() == {"result": "success"}
        rest = list(frames)
    assert answer_of([first, *rest]) == "one two three four five six"
    unknown = http.post("/chat-messages/unknown-task/stop", json={"user": "u1"})
    assert unknown.json() == {"result": "success"}  # success for unknown tasks too


@pytest.mark.anyio
async def test_stop_ends_a_workflow_as_recorded() -> None:
    """A stopped workflow streams workflow_finished ``failed`` and its stored run is ``stopped``."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="workflow", reply={"story": LONG})
    emulator.faults.pace(delay=0.05)
    events: list[Frame] = []
    body: dict[str, Any] = {"user": "u1", "inputs": {}, "response_mode": "streaming"}
    async with async_client(emulator, app.api_key) as http:

        async def stop(task_id: str) -> None:
            await http.post(f"/workflows/tasks/{task_id}/stop", json={"user": "anyone"})

        async with (
            http.stream("POST", "/workflows/run", json=body) as stream,
            anyio.create_task_group() as tasks,
        ):
            async for event in aiter_sse(stream):
                events.append(event)
                if len(events) == 1:
                    tasks.start_soon(stop, event["task_id"])
        last = finished(events[-1])
        assert len(events) < 10
        assert last["status"] == "failed" and last["error"] == "Aborted: User requested stop"
        stored = (await http.get(f"/workflows/run/{events[0]['workflow_run_id']}")).json()
    assert stored["status"] == "stopped" and stored["error"] == "Aborted: User requested stop"


@pytest.mark.anyio
async def test_stop_ends_a_chatflow_for_its_user_and_aborts_for_others() -> None:
    """A chatflow stopped by its user ends ``stopped``; another user's stop aborts it."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="advanced-chat", reply=LONG)
    emulator.faults.pace(delay=0.05)
    outcomes: list[tuple[Frame, Any]] = []
    body: dict[str, Any] = {"query": "go", "user": "u1", "inputs": {}, "response_mode": "streaming"}
    async with async_client(emulator, app.api_key) as http:
        for stopper in ("u1", "intruder"):
            frames: list[Frame] = []
            async with http.stream("POST", "/chat-messages", json=body) as stream:
                async for event in aiter_sse(stream):
                    frames.append(event)
                    if event["event"] == "message":
                        url = f"/chat-messages/{event['task_id']}/stop"
                        await http.post(url, json={"user": stopper})
            (message_id,) = {f["message_id"] for f in frames if "message_id" in f}
            outcomes.append((frames[-1], app.messages[message_id]))
    (mine, kept), (theirs, aborted) = outcomes
    assert finished(mine)["status"] == "stopped"
    assert finished(mine)["error"] == "Stopped by user." and kept.status == "normal"
    assert finished(theirs)["status"] == "failed"
    assert aborted.status == "error"
    assert aborted.error == "Run failed: Aborted: User requested stop"


# --- stored runs, logs, resumption --------------------------------------------------------------


def test_a_stored_run_and_the_logs(dify_emulator: DifyEmulator) -> None:
    """Runs are kept (inputs as a JSON string) and listed newest first with filters and pages."""
    app = dify_emulator.add_app(mode="workflow", inputs=["text"])
    http = raw(dify_emulator, app)
    runs = [
        run(http, streaming=False, inputs={"text": t}, user=u).json()
        for t, u in [("hello", "a"), ("bye", "b")]
    ]
    detail = http.get(f"/workflows/run/{runs[0]['workflow_run_id']}").json()
    assert detail["status"] == "succeeded" and detail["outputs"] == {"text": "hello"}
    assert isinstance(detail["inputs"], str) and json.loads(detail["inputs"])["text"] == "hello"
    unknown = http.get("/workflows/run/no-such-run")
    assert error_of(unknown)[0] == 404 and unknown.json()["message"] == "Workflow run not found."

    def logs(**params: Any) -> Any:
        return http.get("/workflows/logs", params=params).json()

    everything = logs()
    assert everything["total"] == 2 and not everything["has_more"]
    assert [log["workflow_run"]["id"] for log in everything["data"]] == [
        runs[1]["workflow_run_id"],
        runs[0]["workflow_run_id"],
    ]
    assert logs(keyword="HELLO")["total"] == 1
    assert logs(created_by_end_user_session_id="b")["total"] == 1
    assert logs(status="failed")["total"] == 0
    assert logs(created_at__after="2999-01-01T00:00:00")["total"] == 0
    assert logs(created_at__before="2999-01-01T00:00:00")["total"] == 2
    first_page = logs(limit=1)
    assert first_page["has_more"] and first_page["total"] == 2 and len(first_page["data"]) == 1


def test_resuming_a_finished_run_sends_one_workflow_finished(dify_emulator: DifyEmulator) -> None:
    """``/workflow/{id}/events`` on a finished run sends just workflow_finished; others get 404."""
    app = dify_emulator.add_app(mode="workflow")
    http = raw(dify_emulator, app)
    run_id = run(http, streaming=False).json()["workflow_run_id"]
    resumed = http.get(f"/workflow/{run_id}/events", params={"user": "u1"})
    assert resumed.headers["content-type"].startswith("text/event-stream")
    frames = sse_frames(resumed.text)
    assert names(frames) == ["workflow_finished"]
    assert finished(frames[0])["status"] == "succeeded"
    other = http.get(f"/workflow/{run_id}/events", params={"user": "u2"})
    assert error_of(other)[0] == 404


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
    http = raw(dify_emulator, app)
    frames = sse_frames(run(http, streaming=True, inputs={"topic": "v2"}, user="hi").text)
    assert names(frames)[-3:] == ["node_started", "human_input_required", "workflow_paused"]
    token = frames[-2]["data"]["form_token"]
    assert token
    run_id = frames[0]["workflow_run_id"]
    assert http.get(f"/workflows/run/{run_id}").json()["status"] == "paused"
    form_url = f"/form/human_input/{token}"
    form = http.get(form_url).json()
    assert [a["id"] for a in form["user_actions"]] == ["approve", "reject"]
    assert form["inputs"][0]["output_variable_name"] == "comment"

    def submit(inputs: dict[str, Any], action: str) -> httpx.Response:
        return http.post(form_url, json={"inputs": inputs, "action": action, "user": "hi"})

    bad_action = submit({"comment": "x"}, "maybe")
    assert error_of(bad_action) == (400, "invalid_form_data", "Invalid action: maybe")
    missing = submit({}, "approve")
    assert error_of(missing)[2] == "Missing required inputs: comment"
    assert submit({"comment": "ship it"}, "approve").status_code == 200
    used = http.get(form_url)
    assert error_of(used)[:2] == (412, "human_input_form_submitted")
    assert error_of(submit({"comment": "again"}, "approve"))[0] == 412
    after = sse_frames(http.get(f"/workflow/{run_id}/events", params={"user": "hi"}).text)
    assert names(after)[:4] == [
        "workflow_started",
        "node_started",
        "human_input_form_filled",
        "node_finished",
    ]
    started, filled = after[0], after[2]
    assert started["data"]["reason"] == "resumption"
    assert filled["data"]["rendered_content"] == "Please review:\n\nship it"
    assert finished(after[-1])["outputs"] == {"comment": "ship it", "action": "approve"}
    detail = http.get(f"/workflows/run/{run_id}").json()
    assert detail["status"] == "succeeded" and detail["total_steps"] == 4  # as recording 221
    again = sse_frames(http.get(f"/workflow/{run_id}/events", params={"user": "hi"}).text)
    assert finished(again[-1])["status"] == "succeeded"


@pytest.mark.anyio
async def test_a_resume_stream_waits_for_the_form_answer() -> None:
    """A resume stream opened while paused delivers the resumed events once the form is sent."""
    emulator = DifyEmulator()
    script: list[dict[str, Any]] = [
        *HUMAN_SCRIPT,
        {"event": "text_chunk", "data": {"text": "done"}},
    ]
    app = emulator.add_app(mode="workflow", reply=script)
    events: list[str] = []
    async with async_client(emulator, app.api_key) as http:
        body: dict[str, Any] = {"user": "hi", "inputs": {}, "response_mode": "streaming"}
        paused = sse_frames((await http.post("/workflows/run", json=body)).text)
        assert paused[-1]["event"] == "workflow_paused"
        run_id = paused[0]["workflow_run_id"]
        token = next(iter(app.forms))

        async def follow() -> None:
            url = f"/workflow/{run_id}/events"
            async with http.stream("GET", url, params={"user": "hi"}) as stream:
                events.extend([f["event"] async for f in aiter_sse(stream)])

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(follow)
            await anyio.sleep(0.1)
            assert events == []
            answer = {"inputs": {"comment": "ok"}, "action": "reject", "user": "hi"}
            await http.post(f"/form/human_input/{token}", json=answer)
    assert events[0] == "workflow_started" and events[-2:] == ["text_chunk", "workflow_finished"]
    assert app.runs[run_id].outputs == {"text": "done"}


def test_a_chatflow_pauses_for_human_input_and_answers_after(dify_emulator: DifyEmulator) -> None:
    """A chatflow pauses (blocking: event workflow_paused) and its answer continues on resume."""
    script: list[dict[str, Any]] = [
        {"event": "message", "answer": "Checking. "},
        *HUMAN_SCRIPT,
        {"event": "message", "answer": "Approved."},
    ]
    app = dify_emulator.add_app(mode="advanced-chat", reply=script)
    http = raw(dify_emulator, app)
    paused = chat(http, "deploy?", streaming=False).json()
    assert paused["event"] == "workflow_paused" and paused["answer"] == "Checking. "
    assert paused["data"]["status"] == "paused"
    token = next(iter(app.forms))
    answer = {"inputs": {"comment": "fine"}, "action": "approve", "user": "u1"}
    assert http.post(f"/form/human_input/{token}", json=answer).status_code == 200
    resumed = http.get(f"/workflow/{paused['workflow_run_id']}/events", params={"user": "u1"})
    done = finished(sse_frames(resumed.text)[-1])
    assert done["status"] == "succeeded"
    assert done["outputs"] == {"answer": "Checking. Approved.", "files": []}
    assert app.messages[paused["id"]].answer == "Checking. Approved."


# --- faults and a real port ---------------------------------------------------------------------


def test_a_cut_stream_ends_before_its_terminal_event(dify_emulator: DifyEmulator) -> None:
    """A stream cut after one event ends there: no message_end, nothing after the cut."""
    app = dify_emulator.add_app(mode="chat")
    dify_emulator.faults.cut_stream_after(1)
    http = raw(dify_emulator, app)
    cut = chat(http, "a b c", streaming=True)
    assert cut.status_code == 200 and names(sse_frames(cut.text)) == ["message"]
    whole = sse_frames(chat(http, "a b c", streaming=True).text)
    assert names(whole)[-1] == "message_end"  # the cut applies to the next stream only


def test_a_stalled_stream_hits_the_idle_timeout(dify_emulator: DifyEmulator) -> None:
    """A stalled stream (one ping, then silence) trips a client's read timeout.

    Over a real port, where httpx enforces read timeouts on the socket.
    """
    app = dify_emulator.add_app(mode="workflow")
    dify_emulator.faults.stall_next_stream(5.0)
    body: dict[str, Any] = {"user": "u1", "inputs": {}, "response_mode": "streaming"}
    with dify_emulator.serve() as base_url:
        headers = {"Authorization": f"Bearer {app.api_key}"}
        timeout = httpx.Timeout(10.0, read=0.3)
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as http:
            started = time.monotonic()
            with http.stream("POST", "/workflows/run", json=body) as stream:
                lines = stream.iter_lines()
                assert next(lines) == "event: ping"
                with pytest.raises(httpx.ReadTimeout):
                    list(lines)
            assert time.monotonic() - started < 2.0


def test_injected_failures_answer_before_the_generation(dify_emulator: DifyEmulator) -> None:
    """A 503 with Retry-After answers the next request; the one after it is generated."""
    app = dify_emulator.add_app(mode="chat", reply="ok")
    dify_emulator.faults.fail_next(1, status=503, retry_after=0)
    http = raw(dify_emulator, app)
    failed = chat(http, "q", streaming=False, user="u")
    assert error_of(failed)[:2] == (503, "service_unavailable")
    assert failed.headers["retry-after"] == "0"
    assert chat(http, "q", streaming=False, user="u").json()["answer"] == "ok"
    assert len(app.messages) == 1  # the failed request generated nothing


def test_generation_over_a_real_port(dify_emulator: DifyEmulator) -> None:
    """Streams, stops and Human Input work the same over a loopback port."""
    chatbot = dify_emulator.add_app(mode="chat", reply=LONG)
    flow = dify_emulator.add_app(mode="workflow", reply=HUMAN_SCRIPT)
    with dify_emulator.serve() as base_url:
        headers = {"Authorization": f"Bearer {chatbot.api_key}"}
        with httpx.Client(base_url=base_url, headers=headers) as http:
            dify_emulator.faults.pace(delay=0.02)
            body: dict[str, Any] = {
                "query": "go",
                "user": "u1",
                "inputs": {},
                "response_mode": "streaming",
            }
            with http.stream("POST", "/chat-messages", json=body) as stream:
                frames = iter_sse(stream)
                task_id = next(frames)["task_id"]
                http.post(f"/chat-messages/{task_id}/stop", json={"user": "u1"})
                assert names(list(frames))[-1] == "message_end"
            dify_emulator.faults.pace()
        headers = {"Authorization": f"Bearer {flow.api_key}"}
        with httpx.Client(base_url=base_url, headers=headers) as http:
            paused = sse_frames(run(http, streaming=True).text)
            token = next(iter(flow.forms))
            answer = {"inputs": {"comment": "x"}, "action": "approve", "user": "u1"}
            assert http.post(f"/form/human_input/{token}", json=answer).status_code == 200
            url = f"/workflow/{paused[0]['workflow_run_id']}/events"
            done = sse_frames(http.get(url, params={"user": "u1"}).text)
            assert finished(done[-1])["status"] == "succeeded"


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
    http = raw(dify_emulator, app)
    outputs = {}
    for action in ("approve", "reject"):
        run_id = run(http, streaming=False, user="hi").json()["workflow_run_id"]
        token = next(t for t, f in app.forms.items() if f.run_id == run_id)
        answer = {"inputs": {"comment": "ok"}, "action": action, "user": "hi"}
        http.post(f"/form/human_input/{token}", json=answer)
        outputs[action] = http.get(f"/workflows/run/{run_id}").json()["outputs"]
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
    with raw(dify_emulator, app) as http:
        body = {"inputs": {"topic": "t"}, "user": "u1", "response_mode": "streaming"}
        events = sse_frames(http.post("/workflows/run", json=body).text)
    start = events[2]["data"]
    assert start["inputs"]["topic"] == "t" and start["outputs"]["sys.user_id"] == "u1"
    loop_next, completed = events[4]["data"], events[5]["data"]
    assert loop_next["index"] == 1 and loop_next["pre_loop_output"] == {}
    assert completed["outputs"] == {"n": 2, "loop_round": 2}
    assert completed["steps"] == 9 and completed["status"] == "succeeded"
    assert events[-1]["data"]["total_steps"] == 2  # Start and Loop; rounds do not count
