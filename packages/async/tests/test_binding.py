"""Bound methods: the builder's parameters and docstring, the method's own name and result."""

from __future__ import annotations

import inspect
import pydoc
import re

from difykit_async import AsyncDify, AsyncDifyKnowledge
from difykit_core.operations import chat


def test_help_shows_the_methods_own_name_and_what_it_returns() -> None:
    """help(dify.chat.send) names ``send`` and its result, not the builder nor ``Call[...]``."""
    dify = AsyncDify(api_key="app-x", base_url="http://x/v1")
    text = pydoc.plain(pydoc.render_doc(dify.chat.send))
    assert re.search(r"send\(\s*\*,\s*query: 'str',\s*user: 'str'", text)  # 3.13 wraps it
    assert "-> 'ChatMessage'" in text
    assert "send_message" not in text and "Call[" not in text
    assert dify.chat.send.__name__ == "send"
    assert dify.chat.send.__qualname__.endswith(".send")


def test_streams_and_pages_show_the_clients_own_types() -> None:
    """A stream method returns an AsyncStream, a list method an AsyncPage, as the IDE says."""
    dify = AsyncDify(api_key="app-x", base_url="http://x/v1")
    stream = inspect.signature(dify.chat.stream)
    assert stream.return_annotation == "AsyncStream[ChatEvent, ChatMessage]"
    pages = inspect.signature(dify.conversations.list)
    assert pages.return_annotation == "AsyncPage[Conversation]"
    kb = AsyncDifyKnowledge(api_key="dataset-x", base_url="http://x/v1")
    assert inspect.signature(kb.datasets.get).return_annotation == "Dataset"


def test_the_builders_parameters_and_docstring_are_kept() -> None:
    """Parameters and docs are exactly the builder's, so help() and IDEs show them."""
    dify = AsyncDify(api_key="app-x", base_url="http://x/v1")
    method = inspect.signature(dify.chat.send)
    builder = inspect.signature(chat.send_message)
    assert method.parameters == builder.parameters
    assert dify.chat.send.__doc__ == chat.send_message.__doc__
