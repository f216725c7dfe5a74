"""The ``chat`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import chat

from difykit_async._binding import Resource, endpoint, stream_endpoint

__all__ = ["Chat"]


class Chat(Resource):
    """Chat apps (chatbot, agent, chatflow): ``send``, ``stream``, ``stop``."""

    send = endpoint(chat.send_message)
    stream = stream_endpoint(chat.stream_message)
    stop = endpoint(chat.stop_message)
