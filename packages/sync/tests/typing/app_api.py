"""What a user's IDE sees for the app resources. Never run; checked by ``mypy --strict``."""

from __future__ import annotations

from difykit import Dify, Stream, SyncPage
from difykit_async import AsyncDify, AsyncPage, AsyncStream
from difykit_core.models.annotations import Annotation, AnnotationReplyJob
from difykit_core.models.app import AppInfo, AppMeta, AppParameters, AppSite
from difykit_core.models.audio import Transcription
from difykit_core.models.conversations import Conversation, ConversationVariable, Message
from difykit_core.models.end_users import EndUser
from difykit_core.models.events import CompletionEvent, WorkflowEvent
from difykit_core.models.feedback import Feedback
from difykit_core.models.files import FileDownload
from difykit_core.models.human_input import HumanInputForm
from difykit_core.models.messages import CompletionMessage
from difykit_core.models.workflow import WorkflowLog, WorkflowRun, WorkflowRunDetail
from typing_extensions import assert_type


def sync_usage(dify: Dify) -> None:
    assert_type(dify.completion.send(inputs={"a": 1}, user="u"), CompletionMessage)
    assert_type(dify.completion.stream(user="u"), Stream[CompletionEvent, CompletionMessage])
    assert_type(dify.completion.stop("t", user="u"), None)
    assert_type(dify.workflows.run(inputs={}, user="u", workflow_id="w"), WorkflowRun)
    assert_type(dify.workflows.stream(user="u"), Stream[WorkflowEvent, WorkflowRun])
    assert_type(
        dify.workflows.resume("r", user="u", continue_on_pause=True),
        Stream[WorkflowEvent, WorkflowRun],
    )
    assert_type(dify.workflows.stop("t", user="u"), None)
    assert_type(dify.workflows.get_run("r"), WorkflowRunDetail)
    assert_type(dify.workflows.logs(status="failed"), SyncPage[WorkflowLog])
    assert_type(dify.human_input.get("tok"), HumanInputForm)
    assert_type(dify.human_input.submit("tok", inputs={}, action="a", user="u"), None)
    assert_type(dify.end_users.get("e"), EndUser)
    assert_type(dify.audio.to_text(b"x", filename="a.mp3"), Transcription)
    assert_type(dify.audio.to_speech(text="hi"), FileDownload)
    assert_type(dify.feedbacks.create("m", rating=None, user="u"), None)
    assert_type(dify.feedbacks.list(), SyncPage[Feedback])
    assert_type(dify.messages.list(conversation_id="c"), SyncPage[Message])
    assert_type(dify.messages.suggested("m", user="u"), list[str])
    assert_type(dify.conversations.rename("c", name="n"), Conversation)
    assert_type(dify.conversations.delete("c", user="u"), None)
    assert_type(dify.conversations.variables("c"), SyncPage[ConversationVariable])
    assert_type(dify.conversations.update_variable("c", "v", value=[1, "a"]), ConversationVariable)
    assert_type(dify.app.info(), AppInfo)
    assert_type(dify.app.parameters(), AppParameters)
    assert_type(dify.app.meta(), AppMeta)
    assert_type(dify.app.site(), AppSite)
    assert_type(dify.annotations.list(keyword="k"), SyncPage[Annotation])
    assert_type(dify.annotations.create(question="q", answer="a"), Annotation)
    assert_type(dify.annotations.update("i", question="q", answer="a"), Annotation)
    assert_type(dify.annotations.delete("i"), None)
    assert_type(
        dify.annotations.enable_reply(
            embedding_provider_name="p", embedding_model_name="m", score_threshold=0.5
        ),
        AnnotationReplyJob,
    )
    assert_type(dify.annotations.reply_status("j", action="enable"), AnnotationReplyJob)


async def async_usage(dify: AsyncDify) -> None:
    assert_type(await dify.workflows.run(user="u"), WorkflowRun)
    assert_type(dify.workflows.resume("r", user="u"), AsyncStream[WorkflowEvent, WorkflowRun])
    assert_type(await dify.messages.list(conversation_id="c"), AsyncPage[Message])
    assert_type(await dify.app.parameters(), AppParameters)
