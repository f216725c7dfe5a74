"""Every SDK operation end to end: ``AsyncDify`` and ``AsyncDifyKnowledge`` against one emulator
served over a real loopback port.

The clients are wrapped so that every ``resource.method`` called is recorded, and a last test
introspects the clients and fails if an SDK method has no end-to-end call here. The async module
is the source: ``scripts/unasync.py`` writes the sync one, so both flavours are checked alike.
"""

from __future__ import annotations

import inspect
import io
import ssl
import uuid
import zipfile
from collections.abc import AsyncGenerator, Generator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypedDict, TypeVar, cast

import httpx
import pytest
from difykit_async import (
    AsyncDify,
    AsyncDifyKnowledge,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    ServerError,
)

# The names users import from difykit_async.types (imported from there on purpose: pyright,
# mypy and the runtime must all see the module's re-exports).
from difykit_async.types import (
    AgentThoughtEvent,
    DocumentMetadataUpdate,
    HumanInputRequiredEvent,
    MessageEvent,
    MetadataCondition,
    MetadataFilter,
    MetadataValue,
    ProcessRule,
    ProcessRules,
    RetrievalModel,
    Segmentation,
    TextChunkEvent,
    WorkflowFinishedEvent,
)
from difykit_core.models.events import AgentMessageEvent, BaseEvent
from difykit_testing import DifyEmulator, EmulatedApp, InputVariable

LONG = " ".join(f"word{i}" for i in range(200))
"""About 200 stream events: paced at 0.05 s, ten seconds unless a stop ends it."""
HANDBOOK = (
    "Staff get 25 days of paid leave a year.\n"
    "The office opens at nine in the morning.\n"
    "Lunch is served in the canteen at noon."
)
LINES = ProcessRule(
    mode="custom",
    rules=ProcessRules(
        pre_processing_rules=[], segmentation=Segmentation(separator="\n", max_tokens=100)
    ),
)
REVIEW_SCRIPT: list[dict[str, Any]] = [
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


class _Embedding(TypedDict):
    embedding_provider_name: str
    embedding_model_name: str
    score_threshold: float


EMBEDDING: _Embedding = {
    "embedding_provider_name": "openai",
    "embedding_model_name": "text-embedding-3-small",
    "score_threshold": 0.9,
}


def _expand(*groups: str) -> frozenset[str]:
    """``"chat.send/stream"`` → ``{"chat.send", "chat.stream"}``, as DESIGN §3 writes them."""
    names: set[str] = set()
    for group in groups:
        resource, _, methods = group.partition(".")
        names.update(f"{resource}.{method}" for method in methods.split("/"))
    return frozenset(names)


DESIGN_APP_KEY = _expand(
    "chat.send/stream/stop",
    "completion.send/stream/stop",
    "workflows.run/stream/stop/get_run/logs/resume",
    "human_input.get/submit",
    "files.upload/preview",
    "end_users.get",
    "audio.to_text/to_speech",
    "feedbacks.create/list",
    "messages.list/suggested",
    "conversations.list/rename/delete/variables/update_variable",
    "app.info/parameters/meta/site",
    "annotations.list/create/update/delete/enable_reply/disable_reply/reply_status",
)
DESIGN_KNOWLEDGE_KEY = _expand(
    "datasets.create/list/get/update/delete/retrieve",
    "documents.create_from_text/create_from_file/update_from_text/update_from_file/list/get"
    "/delete/indexing_status/set_status/download_url/download_zip/wait_until_indexed",
    "chunks.create/list/get/update/delete",
    "child_chunks.create/list/update/delete",
    "tags.list/create/rename/delete/bind/unbind/of_dataset",
    "metadata.create/list/rename/delete/builtin_fields/enable_builtin/disable_builtin"
    "/set_document_metadata",
    "models.list",
    "pipeline.upload_file/datasource_plugins/run_datasource_node/run",
)

# --- recording which SDK methods the scenarios call ---------------------------------------------

EXERCISED: set[str] = set()
"""``resource.method`` names called through the clients, filled as tests run."""

ClientT = TypeVar("ClientT")


class _TrackedResource:
    """A resource whose method calls are recorded as ``resource.method``."""

    def __init__(self, resource: object, name: str) -> None:
        self._resource, self._name = resource, name

    def __getattr__(self, method: str) -> Any:
        bound = getattr(self._resource, method)
        key = f"{self._name}.{method}"

        def call(*args: Any, **kwargs: Any) -> Any:
            EXERCISED.add(key)
            return bound(*args, **kwargs)

        return call


class _TrackedClient:
    """A client whose resources (its cached properties) record the methods called on them."""

    def __init__(self, client: object) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if isinstance(inspect.getattr_static(type(self._client), name, None), cached_property):
            return _TrackedResource(value, name)
        return value


def tracked(client: ClientT) -> ClientT:
    """``client``, recording into :data:`EXERCISED` the methods its resources are called with."""
    return cast(ClientT, _TrackedClient(client))


# --- the one emulator of the module -------------------------------------------------------------

_TLS = ssl.create_default_context()
"""One TLS context for every client (httpx builds a new one per client otherwise: ~70 ms)."""


@dataclass(frozen=True)
class Server:
    """The emulator on its loopback port, its apps, and clients for them."""

    emulator: DifyEmulator
    base_url: str
    chat: EmulatedApp
    agent: EmulatedApp
    chatflow: EmulatedApp
    completion: EmulatedApp
    workflow: EmulatedApp
    review: EmulatedApp
    """A workflow whose run pauses at a Human Input form."""
    annotated: EmulatedApp
    """A chatbot for annotations (annotation reply changes its answers)."""

    @property
    def apps(self) -> tuple[EmulatedApp, ...]:
        return (
            self.chat,
            self.agent,
            self.chatflow,
            self.completion,
            self.workflow,
            self.review,
            self.annotated,
        )

    @asynccontextmanager
    async def dify(self, api_key: str) -> AsyncGenerator[AsyncDify, None]:
        async with httpx.AsyncClient(verify=_TLS) as http:
            yield tracked(AsyncDify(api_key=api_key, base_url=self.base_url, http_client=http))

    @asynccontextmanager
    async def knowledge(
        self, api_key: str | None = None
    ) -> AsyncGenerator[AsyncDifyKnowledge, None]:
        key = api_key or self.emulator.dataset_key
        async with httpx.AsyncClient(verify=_TLS) as http:
            client = AsyncDifyKnowledge(api_key=key, base_url=self.base_url, http_client=http)
            yield tracked(client)

    @contextmanager
    def paced(self, delay: float) -> Generator[None, None, None]:
        """Streams send one event every ``delay`` seconds inside the block."""
        self.emulator.faults.pace(delay=delay)
        try:
            yield
        finally:
            self.emulator.faults.pace()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One emulator for the module, served on a random loopback port, with an app per mode."""
    with DifyEmulator() as emulator:
        add = emulator.add_app
        apps = {
            "chat": add(
                mode="chat",
                suggested_questions_after_answer=True,
                speech_to_text=True,
                text_to_speech=True,
            ),
            "agent": add(mode="agent-chat"),
            "chatflow": add(mode="advanced-chat", suggested_questions_after_answer=True),
            "completion": add(mode="completion"),
            "workflow": add(mode="workflow", inputs=[InputVariable("text", required=True)]),
            "review": add(mode="workflow", name="review", reply=REVIEW_SCRIPT),
            "annotated": add(mode="chat", name="annotated"),
        }
        with emulator.serve() as base_url:
            yield Server(emulator=emulator, base_url=base_url, **apps)


async def download(url: str) -> httpx.Response:
    """What a plain GET of ``url`` answers (signed file links are fetched without the SDK)."""
    async with httpx.AsyncClient(verify=_TLS) as http:
        return await http.get(url)


def unique(prefix: str) -> str:
    """A name no other test uses (the emulator is shared by the whole module)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def answer_of(events: Sequence[BaseEvent]) -> str:
    """The answer the message deltas of a stream add up to."""
    return "".join(e.answer for e in events if isinstance(e, (MessageEvent, AgentMessageEvent)))


def text_of(events: Sequence[BaseEvent]) -> str:
    """The text the ``text_chunk`` deltas of a workflow stream add up to."""
    return "".join(e.data.text for e in events if isinstance(e, TextChunkEvent))


def finished(event: BaseEvent) -> WorkflowFinishedEvent:
    """``event``, which must be a ``workflow_finished``."""
    assert isinstance(event, WorkflowFinishedEvent)
    return event


# --- chat, files, end users ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_chat_answers_keep_files_and_know_end_users(server: Server, tmp_path: Path) -> None:
    """A chatbot answers blocking and streamed alike, keeps files, and knows its end users."""
    user = unique("chatter")
    local = tmp_path / "local.txt"
    local.write_bytes(b"from a path")
    async with server.dify(server.chat.api_key) as dify:
        upload = await dify.files.upload(b"hello file", filename="note.txt", user=user)
        assert (upload.name, upload.size, upload.extension) == ("note.txt", 10, "txt")
        sent = await dify.chat.send(query="Hello Dify", user=user, files=[upload, local])
        assert sent.answer == "Echo: Hello Dify" and sent.mode == "chat"
        assert sent.conversation_id and sent.message_id
        events: list[BaseEvent] = []
        async with dify.chat.stream(
            query="Second turn", user=user, conversation_id=sent.conversation_id
        ) as stream:
            async for event in stream:
                events.append(event)
        assert answer_of(events) == "Echo: Second turn" and events[-1].event == "message_end"
        assert stream.conversation_id == sent.conversation_id and stream.task_id
        collected = await dify.chat.stream(query="Same answer", user=user).collect()
        blocking = await dify.chat.send(query="Same answer", user=user)
        assert collected.answer == blocking.answer == "Echo: Same answer"
        assert collected.metadata.usage == blocking.metadata.usage
        assert collected.conversation_id != blocking.conversation_id
        preview = await dify.files.preview(upload.id, user=user)
        assert preview.content == b"hello file" and (preview.content_type or "").startswith(
            "text/plain"
        )
        attachment = await dify.files.preview(upload.id, user=user, as_attachment=True)
        assert attachment.content == b"hello file" and attachment.filename == "note.txt"
        end_user = await dify.end_users.get(upload.created_by or "")
        assert end_user.session_id == user and end_user.is_anonymous is False
        history = await dify.messages.list(conversation_id=sent.conversation_id, user=user)
        files = [(f.filename, f.url or "") for f in history.data[0].message_files]
        assert [name for name, _ in files] == ["note.txt", "local.txt"]
        signed = [(await download(url)).content for _, url in files]
        assert signed == [b"hello file", b"from a path"]
        assert (await download(upload.source_url or "")).content == b"hello file"
        forged = (upload.source_url or "").replace("sign=", "sign=x")
        assert (await download(forged)).status_code == 403


# --- agent and chatflow -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_agent_streams_thoughts_and_chatflow_stores_its_run(server: Server) -> None:
    """An agent streams thoughts and refuses blocking; a chatflow answers with a stored run."""
    user = unique("agent-user")
    async with server.dify(server.agent.api_key) as dify:
        events: list[BaseEvent] = []
        async with dify.chat.stream(query="plan a trip", user=user) as stream:
            async for event in stream:
                events.append(event)
        assert isinstance(events[0], AgentThoughtEvent) and events[-1].event == "message_end"
        assert answer_of(events) == "Echo: plan a trip"
        collected = await dify.chat.stream(query="plan a trip", user=user).collect()
        assert collected.answer == "Echo: plan a trip"
        with pytest.raises(BadRequestError) as blocking:
            await dify.chat.send(query="plan a trip", user=user)
        assert blocking.value.code == "invalid_param"
        assert blocking.value.message == "Agent Chat App does not support blocking mode"
    async with server.dify(server.chatflow.api_key) as dify:
        sent = await dify.chat.send(query="flow", user=user)
        streamed = await dify.chat.stream(query="flow", user=user).collect()
        assert sent.answer == streamed.answer == "Echo: flow"
        assert sent.workflow_run_id is None and streamed.workflow_run_id  # as Dify answers
        run = await dify.workflows.get_run(streamed.workflow_run_id)
        assert run.status == "succeeded" and run.outputs == {"answer": "Echo: flow", "files": []}


# --- completion ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_completion_stream_collects_to_the_blocking_answer(server: Server) -> None:
    """A completion app's stream collects to what the blocking call answers."""
    user = unique("writer")
    async with server.dify(server.completion.api_key) as dify:
        sent = await dify.completion.send(query="Write a haiku", user=user)
        assert sent.answer == "Echo: Write a haiku" and sent.mode == "completion"
        events: list[BaseEvent] = []
        async with dify.completion.stream(query="Write a haiku", user=user) as stream:
            async for event in stream:
                events.append(event)
        assert answer_of(events) == sent.answer and stream.message_id
        collected = await dify.completion.stream(query="Write a haiku", user=user).collect()
        assert collected.answer == sent.answer
        assert collected.metadata.usage == sent.metadata.usage


# --- stopping paced streams ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_stop_ends_paced_streams(server: Server) -> None:
    """Stopping a paced chat, completion or workflow stream by its task id ends it at once."""
    user = unique("stopper")
    events: list[BaseEvent] = []
    with server.paced(0.05):
        async with server.dify(server.chat.api_key) as dify:
            async with dify.chat.stream(query=LONG, user=user) as chatting:
                events = [await anext(chatting)]
                assert chatting.task_id is not None
                await dify.chat.stop(chatting.task_id, user=user)
                async for event in chatting:
                    events.append(event)
            partial = answer_of(events)
            assert events[-1].event == "message_end" and len(events) < 20
            assert 0 < len(partial) < len(LONG)
            history = await dify.messages.list(
                conversation_id=chatting.conversation_id or "", user=user
            )
            assert [m.answer for m in history.data] == [partial]
        async with server.dify(server.completion.api_key) as dify:
            async with dify.completion.stream(query=LONG, user=user) as writing:
                events = [await anext(writing)]
                assert writing.task_id is not None
                await dify.completion.stop(writing.task_id, user=user)
                async for event in writing:
                    events.append(event)
            assert events[-1].event == "message_end" and len(events) < 20
            assert 0 < len(answer_of(events)) < len(LONG)
        async with server.dify(server.workflow.api_key) as dify:
            async with dify.workflows.stream(inputs={"text": LONG}, user=user) as running:
                events = [await anext(running)]
                assert running.task_id is not None
                await dify.workflows.stop(running.task_id, user=user)
                async for step in running:
                    events.append(step)
            last = finished(events[-1]).data
            assert last.status == "failed" and last.error == "Aborted: User requested stop"
            assert len(events) < 20 and len(text_of(events)) < len(LONG)
            stored = await dify.workflows.get_run(running.workflow_run_id or "")
            assert stored.status == "stopped"


# --- workflows and Human Input ------------------------------------------------------------------


@pytest.mark.anyio
async def test_workflow_runs_stream_are_stored_logged_and_replayed(server: Server) -> None:
    """Workflow runs stream their outputs, are stored, listed in logs page by page, and replayed."""
    user = unique("runner")
    async with server.dify(server.workflow.api_key) as dify:
        run = await dify.workflows.run(inputs={"text": "hello"}, user=user)
        assert run.status == "succeeded" and run.outputs == {"text": "hello"}
        events: list[BaseEvent] = []
        async with dify.workflows.stream(inputs={"text": "hello again"}, user=user) as stream:
            async for event in stream:
                events.append(event)
        assert events[0].event == "workflow_started" and text_of(events) == "hello again"
        assert finished(events[-1]).data.outputs == {"text": "hello again"}
        collected = await dify.workflows.stream(inputs={"text": "hello"}, user=user).collect()
        assert (collected.status, collected.outputs) == (run.status, run.outputs)
        detail = await dify.workflows.get_run(run.workflow_run_id)
        assert detail.id == run.workflow_run_id and detail.outputs == {"text": "hello"}
        logs = await dify.workflows.logs(created_by_end_user_session_id=user, limit=1)
        assert logs.total == 3 and logs.has_more and len(logs.data) == 1
        newest_first = [collected.workflow_run_id, stream.workflow_run_id, run.workflow_run_id]
        assert [log.workflow_run.id async for log in logs if log.workflow_run] == newest_first
        assert (
            await dify.workflows.logs(keyword="AGAIN", created_by_end_user_session_id=user)
        ).total == 1
        async with dify.workflows.resume(run.workflow_run_id, user=user) as replay:
            names = [event.event async for event in replay]
        assert names == ["workflow_finished"]
        with pytest.raises(BadRequestError) as missing:
            await dify.workflows.run(inputs={}, user=user)
        assert missing.value.code == "invalid_param"


@pytest.mark.anyio
async def test_paused_run_resumes_once_its_form_is_answered(server: Server) -> None:
    """A run paused at a Human Input form resumes once the form is answered."""
    user = unique("reviewer")
    async with server.dify(server.review.api_key) as dify:
        tokens: list[str] = []
        async with dify.workflows.stream(user=user) as stream:
            async for event in stream:
                if isinstance(event, HumanInputRequiredEvent) and event.data.form_token:
                    tokens.append(event.data.form_token)
        (token,) = tokens
        run_id = stream.workflow_run_id or ""
        assert (await dify.workflows.get_run(run_id)).status == "paused"
        form = await dify.human_input.get(token)
        assert [a.id for a in form.user_actions] == ["approve", "reject"]
        assert [field.output_variable_name for field in form.inputs] == ["comment"]
        with pytest.raises(BadRequestError) as bad_action:
            await dify.human_input.submit(token, inputs={"comment": "x"}, action="maybe", user=user)
        assert bad_action.value.code == "invalid_form_data"
        await dify.human_input.submit(
            token, inputs={"comment": "ship it"}, action="approve", user=user
        )
        with pytest.raises(ConflictError) as answered:
            await dify.human_input.get(token)
        assert answered.value.code == "human_input_form_submitted"
        resumed = await dify.workflows.resume(run_id, user=user).collect()
        assert resumed.status == "succeeded"
        assert resumed.outputs == {"comment": "ship it", "action": "approve"}
        assert (await dify.workflows.get_run(run_id)).status == "succeeded"


# --- conversations, messages, feedback ----------------------------------------------------------


@pytest.mark.anyio
async def test_conversations_and_messages_page_and_are_edited(server: Server) -> None:
    """Conversations and their messages page by cursor; they are renamed, edited and deleted."""
    user = unique("talker")
    async with server.dify(server.chatflow.api_key) as dify:
        first = await dify.chat.send(query="first question", user=user)
        conversation = first.conversation_id or ""
        await dify.chat.send(query="second question", user=user, conversation_id=conversation)
        third = await dify.chat.send(
            query="third question", user=user, conversation_id=conversation
        )
        other = await dify.chat.send(query="another topic", user=user)
        history = await dify.messages.list(conversation_id=conversation, user=user, limit=1)
        assert history.has_more and [m.answer for m in history.data] == ["Echo: third question"]
        queries = [m.query async for m in history]
        assert queries == ["third question", "second question", "first question"]
        suggested = await dify.messages.suggested(third.message_id or "", user=user)
        assert len(suggested) == 3 and all(q.endswith("?") for q in suggested)
        listed = await dify.conversations.list(user=user, limit=1)
        assert listed.has_more and len(listed.data) == 1
        assert [c.id async for c in listed] == [other.conversation_id, conversation]
        assert (
            await dify.conversations.rename(conversation, name="Renamed", user=user)
        ).name == "Renamed"
        named = await dify.conversations.rename(conversation, auto_generate=True, user=user)
        assert named.name == "first question"
        variables = await dify.conversations.variables(conversation, user=user)
        assert [(v.name, v.value) for v in variables.data] == [("last_query", "third question")]
        updated = await dify.conversations.update_variable(
            conversation, variables.data[0].id, value="set via API", user=user
        )
        assert updated.value == "set via API"
        again = await dify.conversations.variables(
            conversation, user=user, variable_name="last_query"
        )
        assert [v.value async for v in again] == ["set via API"]
        await dify.conversations.delete(conversation, user=user)
        assert [c.id async for c in await dify.conversations.list(user=user)] == [
            other.conversation_id
        ]
        with pytest.raises(NotFoundError) as gone:
            await dify.conversations.delete(conversation, user=user)
        assert (gone.value.status_code, gone.value.code) == (404, "not_found")


@pytest.mark.anyio
async def test_feedback_shows_in_pages_and_history_until_revoked(server: Server) -> None:
    """Ratings show in the app's feedback pages and in the history, and a null rating revokes."""
    user = unique("rater")
    async with server.dify(server.chat.api_key) as dify:
        liked = await dify.chat.send(query="good answer", user=user)
        disliked = await dify.chat.send(query="bad answer", user=user)
        mine = {liked.message_id, disliked.message_id}
        await dify.feedbacks.create(
            liked.message_id or "", rating="like", user=user, content="great"
        )
        await dify.feedbacks.create(disliked.message_id or "", rating="dislike", user=user)
        page = await dify.feedbacks.list(limit=1)
        assert len(page.data) == 1
        ratings = {f.message_id: f.rating async for f in page if f.message_id in mine}
        assert ratings == {liked.message_id: "like", disliked.message_id: "dislike"}
        history = await dify.messages.list(conversation_id=liked.conversation_id or "", user=user)
        assert [m.feedback.rating for m in history.data if m.feedback] == ["like"]
        await dify.feedbacks.create(disliked.message_id or "", rating=None, user=user)
        left = [f.message_id async for f in await dify.feedbacks.list() if f.message_id in mine]
        assert left == [liked.message_id]


# --- audio, the app, annotations ----------------------------------------------------------------


@pytest.mark.anyio
async def test_audio_turns_speech_into_text_and_text_into_speech(server: Server) -> None:
    """Speech becomes text, and text or a message's answer becomes MP3 audio."""
    user = unique("listener")
    async with server.dify(server.chat.api_key) as dify:
        heard = await dify.audio.to_text(b"x" * 210, filename="voice.mp3", user=user)
        assert heard.text == "transcribed 210 bytes"
        spoken = await dify.audio.to_speech(text="Hello there", user=user)
        assert spoken.content_type == "audio/mpeg" and spoken.content.startswith(b"ID3")
        sent = await dify.chat.send(query="read me", user=user)
        answer = await dify.audio.to_speech(message_id=sent.message_id, user=user)
        assert answer.content.startswith(b"ID3")
        with pytest.raises(BadRequestError) as wrong_type:
            await dify.audio.to_text(
                b"x", filename="voice.ogg", content_type="audio/ogg", user=user
            )
        assert (wrong_type.value.status_code, wrong_type.value.code) == (
            415,
            "unsupported_audio_type",
        )


@pytest.mark.anyio
async def test_every_app_describes_its_settings(server: Server) -> None:
    """Every app describes its name, mode, input form, features, tools and WebApp site."""
    for app in server.apps:
        async with server.dify(app.api_key) as dify:
            info = await dify.app.info()
            assert (info.name, info.mode) == (app.name, app.mode)
            parameters = await dify.app.parameters()
            form = [
                field.variable for item in parameters.user_input_form for field in item.values()
            ]
            assert form == [variable.variable for variable in app.inputs]
            assert parameters.speech_to_text is not None
            assert parameters.speech_to_text.enabled is app.speech_to_text
            assert (await dify.app.meta()).tool_icons == {}
            assert (await dify.app.site()).title == app.name


@pytest.mark.anyio
async def test_annotations_page_and_answer_while_reply_is_on(server: Server) -> None:
    """Annotations page by number, and annotation reply answers with them while it is on."""
    user, topic = unique("asker"), unique("faq")
    async with server.dify(server.annotated.api_key) as dify:
        created = [
            await dify.annotations.create(question=f"{topic} {n}?", answer=f"A{n}.")
            for n in range(3)
        ]
        page = await dify.annotations.list(keyword=topic, limit=2)
        assert (page.total, page.has_more, len(page.data)) == (3, True, 2)
        assert [a.id async for a in page] == [a.id for a in reversed(created)]
        question = f"{topic}: what is Dify?"
        updated = await dify.annotations.update(
            created[0].id, question=question, answer="A platform."
        )
        assert (updated.id, updated.question) == (created[0].id, question)
        job = await dify.annotations.enable_reply(**EMBEDDING)
        assert job.job_status == "waiting"
        assert (
            await dify.annotations.reply_status(job.job_id, action="enable")
        ).job_status == "completed"
        assert (await dify.chat.send(query=question, user=user)).answer == "A platform."
        off = await dify.annotations.disable_reply(**EMBEDDING)
        assert (await dify.annotations.reply_status(off.job_id, action="disable")).job_status == (
            "completed"
        )
        assert (await dify.chat.send(query=question, user=user)).answer == f"Echo: {question}"
        await dify.annotations.delete(created[1].id)
        left = [a.id async for a in await dify.annotations.list(keyword=topic)]
        assert left == [created[2].id, created[0].id]
        with pytest.raises(NotFoundError):
            await dify.annotations.delete(created[1].id)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_wrong_calls_raise_dify_errors(server: Server) -> None:
    """Wrong keys and wrong calls raise the SDK's error types with Dify's codes."""
    user = unique("wrong")
    async with server.knowledge(api_key=server.chat.api_key) as kb:
        with pytest.raises(AuthenticationError) as app_key:
            await kb.datasets.list()
        assert (app_key.value.status_code, app_key.value.code) == (401, "unauthorized")
    async with server.dify(server.emulator.dataset_key) as dify:
        with pytest.raises(AuthenticationError) as dataset_key:
            await dify.app.info()
        assert dataset_key.value.status_code == 401
    async with server.dify(server.chat.api_key) as dify:
        with pytest.raises(BadRequestError) as wrong_mode:
            await dify.completion.send(query="hi", user=user)
        assert wrong_mode.value.code == "app_unavailable"
        with pytest.raises(BadRequestError) as not_workflow:
            await dify.workflows.run(user=user)
        assert not_workflow.value.code == "not_workflow_app"
        unattached = await dify.files.upload(b"orphan", filename="orphan.txt", user=user)
        with pytest.raises(NotFoundError) as orphan:
            await dify.files.preview(unattached.id, user=user)
        assert orphan.value.code == "file_not_found"
        with pytest.raises(NotFoundError) as unknown:
            await dify.chat.send(query="hi", user=user, conversation_id=str(uuid.uuid4()))
        assert unknown.value.message == "Conversation Not Exists."
    async with server.knowledge() as kb:
        with pytest.raises(NotFoundError) as no_dataset:
            await kb.datasets.get(str(uuid.uuid4()))
        assert no_dataset.value.code == "not_found"


# --- knowledge: datasets and documents ----------------------------------------------------------


@pytest.mark.anyio
async def test_knowledge_bases_are_created_paged_searched_and_deleted(server: Server) -> None:
    """Knowledge bases are created, paged, read, updated, searched and deleted."""
    prefix = unique("set")
    async with server.knowledge() as kb:
        ids: list[str] = []
        for n in range(3):
            created = await kb.datasets.create(name=f"{prefix}-{n}", indexing_technique="economy")
            ids.append(created.id)
        page = await kb.datasets.list(keyword=prefix, limit=2)
        assert (page.total, page.has_more, len(page.data)) == (3, True, 2)
        assert [d.id async for d in page] == ids[::-1]
        with pytest.raises(ConflictError) as duplicate:
            await kb.datasets.create(name=f"{prefix}-1")
        assert duplicate.value.code == "dataset_name_duplicate"
        updated = await kb.datasets.update(ids[0], name=f"{prefix}-renamed", description="Handbook")
        assert (updated.id, updated.name) == (ids[0], f"{prefix}-renamed")
        got = await kb.datasets.get(ids[0])
        assert (got.name, got.description, got.indexing_technique) == (
            f"{prefix}-renamed",
            "Handbook",
            "economy",
        )
        batch = await kb.documents.create_from_text(
            ids[0], name="handbook.txt", text=HANDBOOK, process_rule=LINES
        )
        await kb.documents.wait_until_indexed(ids[0], batch.batch, poll_interval=0)
        found = await kb.datasets.retrieve(ids[0], query="How many days of leave?")
        assert found.records[0].segment.content == "Staff get 25 days of paid leave a year."
        await kb.datasets.delete(ids[1])
        with pytest.raises(NotFoundError) as gone:
            await kb.datasets.get(ids[1])
        assert gone.value.code == "not_found"
        assert [d.id async for d in await kb.datasets.list(keyword=prefix)] == [ids[2], ids[0]]


@pytest.mark.anyio
async def test_documents_index_update_download_and_delete(server: Server) -> None:
    """Documents from text and files index, page, update, change status, download and delete."""
    async with server.knowledge() as kb:
        ds = (await kb.datasets.create(name=unique("docs"), indexing_technique="economy")).id
        text = await kb.documents.create_from_text(
            ds, name="handbook.txt", text=HANDBOOK, process_rule=LINES
        )
        assert text.document.indexing_status == "waiting"
        progress: list[tuple[int, int]] = []
        status = await kb.documents.wait_until_indexed(
            ds,
            text.batch,
            poll_interval=0,
            on_progress=lambda done, total: progress.append((done, total)),
        )
        assert status.data[0].indexing_status == "completed" and progress[-1] == (3, 3)
        polled = (await kb.documents.indexing_status(ds, text.batch)).data[0]
        assert (polled.id, polled.indexing_status) == (text.document.id, "completed")
        upload = await kb.documents.create_from_file(
            ds, b"Q: Is it open source?\nA: Yes.", filename="faq.md", process_rule=LINES
        )
        await kb.documents.wait_until_indexed(ds, upload.batch, poll_interval=0.01)
        doc, faq = text.document.id, upload.document.id
        page = await kb.documents.list(ds, limit=1)
        assert (page.total, page.has_more) == (2, True)
        assert [d.id async for d in page] == [faq, doc]
        detail = await kb.documents.get(ds, doc)
        assert (detail.name, detail.segment_count) == ("handbook.txt", 3)
        renamed = await kb.documents.update_from_text(
            ds, doc, name="handbook-v2.txt", text="Staff get 30 days of paid leave a year."
        )
        assert renamed.document.id == doc
        await kb.documents.wait_until_indexed(ds, renamed.batch, poll_interval=0)
        assert (await kb.documents.get(ds, doc)).name == "handbook-v2.txt"
        found = await kb.datasets.retrieve(ds, query="days of leave")
        assert found.records[0].segment.content == "Staff get 30 days of paid leave a year."
        replaced = await kb.documents.update_from_file(
            ds, faq, b"Licence: MIT.", filename="faq-v2.txt"
        )
        await kb.documents.wait_until_indexed(ds, replaced.batch, poll_interval=0)
        url = (await kb.documents.download_url(ds, faq)).url
        assert (await download(url)).content == b"Licence: MIT."
        archive = await kb.documents.download_zip(ds, document_ids=[doc, faq])
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
            assert zipped.read("faq-v2.txt") == b"Licence: MIT."
            assert len(zipped.namelist()) == 2
        await kb.documents.set_status(ds, action="disable", document_ids=[faq])
        assert [d.id async for d in await kb.documents.list(ds, status="disabled")] == [faq]
        assert (await kb.datasets.retrieve(ds, query="licence")).records == []
        await kb.documents.set_status(ds, action="enable", document_ids=[faq])
        assert len((await kb.datasets.retrieve(ds, query="licence")).records) == 1
        await kb.documents.delete(ds, faq)
        with pytest.raises(NotFoundError):
            await kb.documents.get(ds, faq)
        assert [d.id async for d in await kb.documents.list(ds)] == [doc]


# --- knowledge: chunks, tags, metadata ----------------------------------------------------------


@pytest.mark.anyio
async def test_chunks_and_child_chunks_are_added_edited_and_deleted(server: Server) -> None:
    """Chunks and child chunks are added, paged, read, edited, found and deleted."""
    async with server.knowledge() as kb:
        ds = (await kb.datasets.create(name=unique("chunks"), indexing_technique="economy")).id
        batch = await kb.documents.create_from_text(
            ds, name="h.txt", text=HANDBOOK, process_rule=LINES
        )
        await kb.documents.wait_until_indexed(ds, batch.batch, poll_interval=0)
        doc = batch.document.id
        added = await kb.chunks.create(ds, doc, segments=["About API keys.", "About billing."])
        assert [c.position for c in added.data] == [4, 5]
        chunk = added.data[0].id
        page = await kb.chunks.list(ds, doc, limit=2)
        assert (page.total, page.has_more) == (5, True)
        assert [c.position async for c in page] == [1, 2, 3, 4, 5]
        assert (await kb.chunks.get(ds, doc, chunk)).data.content == "About API keys."
        changed = await kb.chunks.update(
            ds, doc, chunk, content="Rotate API keys.", keywords=["rotate"]
        )
        assert (changed.data.content, changed.data.keywords) == ("Rotate API keys.", ["rotate"])
        assert (await kb.datasets.retrieve(ds, query="rotate")).records[0].segment.id == chunk
        child = (await kb.child_chunks.create(ds, doc, chunk, content="child one")).data
        await kb.child_chunks.create(ds, doc, chunk, content="child two")
        children = await kb.child_chunks.list(ds, doc, chunk, limit=1)
        assert children.has_more and [c.content async for c in children] == [
            "child one",
            "child two",
        ]
        edited = (await kb.child_chunks.update(ds, doc, chunk, child.id, content="child 1")).data
        assert (edited.id, edited.content) == (child.id, "child 1")
        await kb.child_chunks.delete(ds, doc, chunk, child.id)
        assert [c.content async for c in await kb.child_chunks.list(ds, doc, chunk)] == [
            "child two"
        ]
        await kb.chunks.delete(ds, doc, chunk)
        with pytest.raises(NotFoundError):
            await kb.chunks.get(ds, doc, chunk)
        assert (await kb.chunks.list(ds, doc)).total == 4


@pytest.mark.anyio
async def test_tags_bind_to_knowledge_bases_and_filter_them(server: Server) -> None:
    """Tags are created, renamed, bound to a knowledge base, filter the list, and are deleted."""
    async with server.knowledge() as kb:
        ds = (await kb.datasets.create(name=unique("tagged"))).id
        tag = await kb.tags.create(name=unique("tag"))
        other = await kb.tags.create(name=unique("tag"))
        assert tag.binding_count == "0"
        renamed = await kb.tags.rename(tag.id, name=f"{tag.name}-renamed")
        assert (renamed.id, renamed.name) == (tag.id, f"{tag.name}-renamed")
        assert {t.id: t.name async for t in await kb.tags.list()}[tag.id] == renamed.name
        await kb.tags.bind(ds, tag_ids=[tag.id, other.id])
        assert sorted([t.id async for t in await kb.tags.of_dataset(ds)]) == sorted(
            [tag.id, other.id]
        )
        assert [d.id async for d in await kb.datasets.list(tag_ids=[tag.id])] == [ds]
        await kb.tags.unbind(ds, tag_ids=[other.id])
        assert [t.id async for t in await kb.tags.of_dataset(ds)] == [tag.id]
        await kb.tags.delete(other.id)
        assert other.id not in [t.id async for t in await kb.tags.list()]
        with pytest.raises(NotFoundError):
            await kb.tags.delete(other.id)


@pytest.mark.anyio
async def test_metadata_is_set_on_documents_and_filters_retrieval(server: Server) -> None:
    """Metadata fields are created, renamed, set on documents, filter retrieval and are deleted."""
    async with server.knowledge() as kb:
        ds = (await kb.datasets.create(name=unique("meta"), indexing_technique="economy")).id
        ids: list[str] = []
        for name in ("ada.txt", "bob.txt"):
            batch = await kb.documents.create_from_text(ds, name=name, text="Dify runs workflows.")
            await kb.documents.wait_until_indexed(ds, batch.batch, poll_interval=0)
            ids.append(batch.document.id)
        author = await kb.metadata.create(ds, type="string", name="author")
        year = await kb.metadata.create(ds, type="number", name="year")
        assert author.id and year.id
        writer = await kb.metadata.rename(ds, author.id, name="writer")
        assert (writer.id, writer.name) == (author.id, "writer")
        values = [
            MetadataValue(id=author.id, name="writer", value="Ada"),
            MetadataValue(id=year.id, name="year", value=2024),
        ]
        await kb.metadata.set_document_metadata(
            ds, operation_data=[DocumentMetadataUpdate(document_id=ids[0], metadata_list=values)]
        )
        assert [(f.name, f.count) async for f in await kb.metadata.list(ds)] == [
            ("writer", 1),
            ("year", 1),
        ]
        stored = (await kb.documents.get(ds, ids[0])).doc_metadata or []
        assert [(v.name, v.value) for v in stored][:2] == [("writer", "Ada"), ("year", 2024)]
        by_ada = RetrievalModel(
            search_method="keyword_search",
            top_k=5,
            metadata_filtering_conditions=MetadataFilter(
                conditions=[MetadataCondition(name="writer", comparison_operator="is", value="Ada")]
            ),
        )
        records = (await kb.datasets.retrieve(ds, query="Dify", retrieval_model=by_ada)).records
        assert [r.segment.document_id for r in records] == [ids[0]]
        builtin = await kb.metadata.builtin_fields(ds)
        assert "document_name" in [f.name for f in builtin.fields]
        await kb.metadata.enable_builtin(ds)
        record = (await kb.datasets.retrieve(ds, query="workflows")).records[0]
        assert record.segment.document and record.segment.document.doc_metadata
        assert record.segment.document.doc_metadata["document_name"] in ("ada.txt", "bob.txt")
        await kb.metadata.disable_builtin(ds)
        await kb.metadata.delete(ds, year.id)
        assert [f.name async for f in await kb.metadata.list(ds)] == ["writer"]


# --- knowledge: models and pipelines ------------------------------------------------------------


@pytest.mark.anyio
async def test_models_are_listed_and_pipelines_ingest_documents(server: Server) -> None:
    """Models are listed, and pipelines upload, crawl, run and stream documents into a base."""
    async with server.knowledge() as kb:
        providers = await kb.models.list("text-embedding")
        assert [(p.provider, [m.model for m in p.models]) async for p in providers] == [
            ("difykit-emulator", ["emulator-embedding"])
        ]
        ds = (await kb.datasets.create(name=unique("pipe"), indexing_technique="economy")).id
        uploaded = await kb.pipeline.upload_file(b"Pipelines ingest files.", filename="p.txt")
        assert (uploaded.name, uploaded.size) == ("p.txt", 23)
        nodes = await kb.pipeline.datasource_plugins(ds)
        assert [n.node_id for n in nodes] == ["local-file", "website-crawl"]
        events: list[BaseEvent] = []
        async with kb.pipeline.run_datasource_node(
            ds, "website-crawl", inputs={"url": "https://a.b"}, datasource_type="website_crawl"
        ) as crawl:
            async for event in crawl:
                events.append(event)
        assert [e.event for e in events] == ["datasource_processing", "datasource_completed"]
        crawled = await kb.pipeline.run_datasource_node(
            ds, "website-crawl", inputs={"url": "https://a.b"}, datasource_type="website_crawl"
        ).collect()
        assert crawled.completed == 1 and crawled.data
        run = await kb.pipeline.run(
            ds,
            datasource_type="local_file",
            datasource_info_list=[uploaded],
            start_node_id="local-file",
        )
        assert run.status == "succeeded"
        await kb.documents.wait_until_indexed(ds, str(run.outputs["batch"]), poll_interval=0)
        assert (await kb.datasets.retrieve(ds, query="ingest")).records[0].segment.content == (
            "Pipelines ingest files."
        )
        streamed = await kb.pipeline.stream(
            ds,
            datasource_type="website_crawl",
            datasource_info_list=[{"url": "https://a.b", "title": "AB"}],
            start_node_id="website-crawl",
        ).collect()
        assert streamed.status == "succeeded"
        await kb.documents.wait_until_indexed(ds, str(streamed.outputs["batch"]), poll_interval=0)
        assert sorted([d.name or "" async for d in await kb.documents.list(ds)]) == ["AB", "p.txt"]
        with pytest.raises(ServerError) as failed:
            await kb.pipeline.run(
                ds,
                datasource_type="local_file",
                datasource_info_list=[{"reference": "nope"}],
                start_node_id="local-file",
            )
        assert failed.value.code == "pipeline_run_error"


# --- the module covers the whole SDK ------------------------------------------------------------

COVERAGE_TEST = "test_every_sdk_method_runs_end_to_end"


def _sdk_methods(client: object) -> set[str]:
    """``resource.method`` for every public method of every resource (cached property)."""
    names: set[str] = set()
    for cls in type(client).__mro__:
        for resource_name, attribute in vars(cls).items():
            if not isinstance(attribute, cached_property):
                continue
            resource: object = getattr(client, resource_name)
            names.update(
                f"{resource_name}.{method}"
                for method in dir(type(resource))
                if not method.startswith("_") and callable(getattr(resource, method))
            )
    return names


@pytest.mark.anyio
async def test_every_sdk_method_runs_end_to_end(
    server: Server, request: pytest.FixtureRequest
) -> None:
    """Every method of every resource of both clients was called by a test above."""
    scenario_tests = {name for name in globals() if name.startswith("test_")} - {COVERAGE_TEST}
    selected = {item.name for item in request.session.items if item.path == Path(__file__)}
    if not scenario_tests <= selected:
        pytest.skip("coverage is only known when every scenario of the module runs")
    key, url = server.chat.api_key, server.base_url
    async with httpx.AsyncClient(verify=_TLS) as http:
        app_methods = _sdk_methods(AsyncDify(api_key=key, base_url=url, http_client=http))
        knowledge_methods = _sdk_methods(
            AsyncDifyKnowledge(api_key=key, base_url=url, http_client=http)
        )
    assert app_methods >= DESIGN_APP_KEY
    assert knowledge_methods >= DESIGN_KNOWLEDGE_KEY
    missing = sorted((app_methods | knowledge_methods) - EXERCISED)
    assert not missing, f"SDK methods with no end-to-end test: {missing}"
