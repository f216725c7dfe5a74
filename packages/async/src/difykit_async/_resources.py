"""The app-key resources of :class:`~difykit_async.AsyncDify`: thin tables binding core builders."""

from __future__ import annotations

from difykit_core.operations import chat, conversations, files

from ._binding import Resource, endpoint, page_endpoint, stream_endpoint

__all__ = ["Chat", "Conversations", "Files"]


class Chat(Resource):
    """Chat apps (chatbot, agent, chatflow): ``send``, ``stream``, ``stop``."""

    send = endpoint(chat.send_message)
    stream = stream_endpoint(chat.stream_message)
    stop = endpoint(chat.stop_message)


class Files(Resource):
    """Files: ``upload`` and ``preview``."""

    upload = endpoint(files.upload_file)
    preview = endpoint(files.preview_file)


class Conversations(Resource):
    """Conversations of an end user."""

    list = page_endpoint(conversations.list_conversations)
