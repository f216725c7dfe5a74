"""The package surface: lazy root names, ``types``, and the observer protocol."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

import difykit_core
from difykit_core import CallEnd, CallInfo, DifyError, HttpRequest, Observer
from difykit_core import types as dify_types
from difykit_core.models import knowledge
from difykit_core.models.events import MessageEvent, StreamEvent
from difykit_core.models.knowledge.pipeline import DatasourceEvent

# --- lazy root names --------------------------------------------------------------------------


SOURCES = [
    importlib.import_module(f"difykit_core.{name}")
    for name in (
        "_call",
        "_context",
        "_http",
        "_json",
        "_observer",
        "_retry",
        "_sse",
        "_stream",
        "errors",
    )
] + [importlib.import_module(f"difykit_core.models.{name}") for name in ("files", "pages")]


@pytest.mark.parametrize("name", difykit_core.__all__)
def test_every_root_name_resolves_to_its_defining_object(name: str) -> None:
    """Each name of ``__all__`` loads on first use, is its source module's object, and is kept."""
    [source] = [module for module in SOURCES if name in module.__all__]
    value = getattr(difykit_core, name)
    assert value is getattr(source, name)
    assert vars(difykit_core)[name] is value  # cached: __getattr__ runs once per name


def test_unknown_root_attribute_is_an_attribute_error() -> None:
    """A name the package does not export raises AttributeError (so hasattr and imports work)."""
    missing = "ChatClient"
    with pytest.raises(AttributeError, match="has no attribute 'ChatClient'"):
        getattr(difykit_core, missing)
    assert not hasattr(difykit_core, "errors_from_response")
    with pytest.raises(ImportError):
        exec("from difykit_core import NotAThing", {})


def test_private_module_names_are_not_exported_lazily() -> None:
    """A helper's name such as ``KeyFamily`` (in errors, not in ``__all__``) is not reachable."""
    private = "KeyFamily"
    with pytest.raises(AttributeError):
        getattr(difykit_core, private)


def test_dir_lists_exactly_the_public_names_sorted() -> None:
    """``dir(difykit_core)`` is ``__all__``, sorted, so completion shows only the public API."""
    assert dir(difykit_core) == sorted(difykit_core.__all__)
    assert len(set(difykit_core.__all__)) == len(difykit_core.__all__)


# --- types ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", dify_types.__all__)
def test_every_types_name_is_importable(name: str) -> None:
    """Each name ``difykit_core.types`` lists is importable from it and comes from the models."""
    namespace: dict[str, object] = {}
    exec(f"from difykit_core.types import {name}", namespace)
    value = namespace[name]
    assert value is getattr(dify_types, name)
    if inspect.isclass(value):
        assert value.__module__.startswith("difykit_core.models.")


def test_types_re_exports_the_whole_knowledge_api() -> None:
    """Every knowledge model and alias is in ``types.__all__``, which has no duplicates."""
    assert set(knowledge.__all__) <= set(dify_types.__all__)
    assert len(set(dify_types.__all__)) == len(dify_types.__all__)


# --- observer protocol ------------------------------------------------------------------------


class _Recorder:
    """An observer written without inheriting from Observer."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_start(self, call: CallInfo) -> None:
        self.seen.append(f"start {call.operation}")

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None:
        self.seen.append(f"event {event.event}")

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        self.seen.append(f"end {end.result}")

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        self.seen.append(f"error {error}")

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        self.seen.append(f"cancel {reason}")


class _NoCancel:
    """The four hooks of protocol v1: not an observer any more."""

    def on_start(self, call: CallInfo) -> None: ...

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None: ...

    def on_end(self, call: CallInfo, end: CallEnd) -> None: ...

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None: ...


def test_a_class_with_the_five_hooks_is_an_observer() -> None:
    """Observer is runtime-checkable: any object with the five hooks passes isinstance."""
    recorder = _Recorder()
    assert isinstance(recorder, Observer)
    observer: Observer = recorder
    info = CallInfo("chat.stream", HttpRequest("POST", "/chat-messages"), "u-1", 1.0, True)
    end = CallEnd(elapsed=0.2, attempts=1, status_code=200, result="done")
    observer.on_start(info)
    observer.on_event(info, MessageEvent(event="message", answer="Hi"), 0.1)
    observer.on_end(info, end)
    observer.on_error(info, DifyError("boom"), end)
    observer.on_cancel(info, "closed", end)
    assert recorder.seen == [
        "start chat.stream",
        "event message",
        "end done",
        "error boom",
        "cancel closed",
    ]


def test_a_class_missing_a_hook_is_not_an_observer() -> None:
    """An object lacking ``on_cancel`` (or any hook) fails the isinstance check."""
    assert not isinstance(_NoCancel(), Observer)
    assert not isinstance(object(), Observer)


def test_subclassing_observer_inherits_no_op_hooks() -> None:
    """A subclass of Observer overrides only what it needs; the other hooks do nothing."""

    class OnlyEnds(Observer):
        def __init__(self) -> None:
            self.ends: list[object] = []

        def on_end(self, call: CallInfo, end: CallEnd) -> None:
            self.ends.append(end.result)

    observer = OnlyEnds()
    info = CallInfo("app.info", HttpRequest("GET", "/info"), None, 1.0)
    end = CallEnd(elapsed=0.1, attempts=1)
    observer.on_start(info)
    observer.on_event(info, MessageEvent(event="message", answer="x"), 0.0)
    observer.on_error(info, DifyError("x"), end)
    observer.on_cancel(info, "closed", end)
    observer.on_end(info, CallEnd(elapsed=0.1, attempts=1, result="ok"))
    assert observer.ends == ["ok"]
    Observer.on_end(observer, info, end)  # the inherited default does nothing
    assert observer.ends == ["ok"]


def test_call_info_is_frozen_and_not_streaming_by_default() -> None:
    """CallInfo is immutable and describes a non-streaming call unless told otherwise."""
    info = CallInfo(
        operation="datasets.retrieve",
        request=HttpRequest("POST", "/datasets/ds/retrieve"),
        user=None,
        started_at=1795285524.5,
    )
    assert info.streaming is False
    assert info.app is None
    assert dict(info.context) == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.operation = "other"  # type: ignore[misc]
