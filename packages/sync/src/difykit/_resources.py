"""The app-key resources of :class:`~difykit.Dify`: thin tables binding core builders."""

from __future__ import annotations

from difykit_core.operations import annotations as annotation_ops  # `annotations` is taken
from difykit_core.operations import (
    app,
    audio,
    chat,
    completion,
    conversations,
    end_users,
    feedbacks,
    files,
    human_input,
    messages,
    workflows,
)

from ._binding import Resource, endpoint, page_endpoint, stream_endpoint

__all__ = [
    "Annotations",
    "App",
    "Audio",
    "Chat",
    "Completion",
    "Conversations",
    "EndUsers",
    "Feedbacks",
    "Files",
    "HumanInput",
    "Messages",
    "Workflows",
]


class Chat(Resource):
    """Chat apps (chatbot, agent, chatflow): ``send``, ``stream``, ``stop``."""

    send = endpoint(chat.send_message)
    stream = stream_endpoint(chat.stream_message)
    stop = endpoint(chat.stop_message)


class Completion(Resource):
    """Completion apps (text generators): ``send``, ``stream``, ``stop``."""

    send = endpoint(completion.send_message)
    stream = stream_endpoint(completion.stream_message)
    stop = endpoint(completion.stop_message)


class Workflows(Resource):
    """Workflow apps: ``run``, ``stream``, ``stop``, ``get_run``, ``logs``, ``resume``."""

    run = endpoint(workflows.run_workflow)
    stream = stream_endpoint(workflows.stream_workflow)
    stop = endpoint(workflows.stop_workflow)
    get_run = endpoint(workflows.get_run)
    logs = page_endpoint(workflows.list_logs)
    resume = stream_endpoint(workflows.resume_workflow)


class HumanInput(Resource):
    """Human Input forms of paused runs: ``get``, ``submit``."""

    get = endpoint(human_input.get_form)
    submit = endpoint(human_input.submit_form)


class Files(Resource):
    """Files: ``upload`` and ``preview``."""

    upload = endpoint(files.upload_file)
    preview = endpoint(files.preview_file)


class EndUsers(Resource):
    """End users: ``get``."""

    get = endpoint(end_users.get_end_user)


class Audio(Resource):
    """Audio: ``to_text`` (speech to text) and ``to_speech`` (text to speech)."""

    to_text = endpoint(audio.speech_to_text)
    to_speech = endpoint(audio.text_to_speech)


class Feedbacks(Resource):
    """Feedback on messages: ``create``, ``list``."""

    create = endpoint(feedbacks.create_feedback)
    list = page_endpoint(feedbacks.list_feedbacks)


class Messages(Resource):
    """Messages of conversations: ``list`` (history), ``suggested``."""

    list = page_endpoint(messages.list_messages)
    suggested = endpoint(messages.suggested_questions)


class Conversations(Resource):
    """Conversations of an end user: ``list``, ``rename``, ``delete``, and their variables."""

    list = page_endpoint(conversations.list_conversations)
    rename = endpoint(conversations.rename_conversation)
    delete = endpoint(conversations.delete_conversation)
    variables = page_endpoint(conversations.list_variables)
    update_variable = endpoint(conversations.update_variable)


class App(Resource):
    """The app itself: ``info``, ``parameters``, ``meta``, ``site``."""

    info = endpoint(app.get_info)
    parameters = endpoint(app.get_parameters)
    meta = endpoint(app.get_meta)
    site = endpoint(app.get_site)


class Annotations(Resource):
    """Annotations (``list``, ``create``, ``update``, ``delete``) and annotation reply
    (``enable_reply``, ``disable_reply``, ``reply_status``)."""

    list = page_endpoint(annotation_ops.list_annotations)
    create = endpoint(annotation_ops.create_annotation)
    update = endpoint(annotation_ops.update_annotation)
    delete = endpoint(annotation_ops.delete_annotation)
    enable_reply = endpoint(annotation_ops.enable_reply)
    disable_reply = endpoint(annotation_ops.disable_reply)
    reply_status = endpoint(annotation_ops.reply_status)
