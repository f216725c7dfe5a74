"""The ``conversations`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import conversations

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Conversations"]


class Conversations(Resource):
    """Conversations of an end user: ``list``, ``rename``, ``delete``, and their variables."""

    list = page_endpoint(conversations.list_conversations)
    rename = endpoint(conversations.rename_conversation)
    delete = endpoint(conversations.delete_conversation)
    variables = page_endpoint(conversations.list_variables)
    update_variable = endpoint(conversations.update_variable)
