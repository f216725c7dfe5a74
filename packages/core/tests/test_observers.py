"""``ObserverSet`` and the call context: checked observers, safe hooks, subscriptions."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from difykit_core import HttpRequest, call_context, current_call_context
from difykit_core.models.events import MessageEvent, StreamEvent
from difykit_core.models.knowledge.pipeline import DatasourceEvent
from difykit_core.transport import CallEnd, CallInfo, Observer, ObserverSet

INFO = CallInfo("chat.send", HttpRequest("POST", "/chat-messages"), "u", 1.0)
END = CallEnd(elapsed=0.1, attempts=1, status_code=200, result="ok")
EVENT = MessageEvent(event="message", answer="x")


class Raising(Observer):
    """Raises in every hook."""

    def on_start(self, call: CallInfo) -> None:
        raise RuntimeError("start broke")

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None:
        raise RuntimeError("event broke")

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        raise RuntimeError("end broke")

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        raise RuntimeError("error broke")

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        raise RuntimeError("cancel broke")


class Counting(Observer):
    """Counts hook calls."""

    def __init__(self) -> None:
        self.hooks: list[str] = []

    def on_start(self, call: CallInfo) -> None:
        self.hooks.append("start")

    def on_event(
        self, call: CallInfo, event: StreamEvent | DatasourceEvent, elapsed: float
    ) -> None:
        self.hooks.append("event")

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        self.hooks.append("end")

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        self.hooks.append("error")

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        self.hooks.append("cancel")


def test_an_observer_that_raises_is_logged_once_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each hook's first failure is logged at ERROR with its traceback, repeats at DEBUG only."""
    caplog.set_level(logging.DEBUG, logger="difykit")
    counting = Counting()
    observers = ObserverSet([Raising(), counting])
    for _ in range(2):
        observers.start(INFO)
        observers.event(INFO, EVENT, 0.0, observers.subscribers("message"))
        observers.end(INFO, END)
        observers.error(INFO, ValueError("x"), END)
        observers.cancel(INFO, "closed", END)
    assert counting.hooks == ["start", "event", "end", "error", "cancel"] * 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage().split(" raised in ")[1].split(";")[0] for r in errors] == [
        "on_start",
        "on_event",
        "on_end",
        "on_error",
        "on_cancel",
    ]
    assert all(r.exc_info is not None for r in errors)
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) == 5


def test_a_keyboard_interrupt_in_an_observer_is_not_swallowed() -> None:
    """Only Exceptions are contained: Ctrl-C inside an observer still stops the program."""

    class Interrupting(Observer):
        def on_start(self, call: CallInfo) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ObserverSet([Interrupting()]).start(INFO)


def test_an_object_missing_hooks_is_refused_naming_them() -> None:
    """A v1 observer (no on_cancel) is a TypeError at construction, naming the missing hook."""

    class V1:
        def on_start(self, call: CallInfo) -> None: ...

        def on_event(self, call: CallInfo, event: Any, elapsed: float) -> None: ...

        def on_end(self, call: CallInfo, end: CallEnd) -> None: ...

        def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None: ...

    with pytest.raises(TypeError, match=r"lacks on_cancel: observers implement"):
        ObserverSet([V1()])  # type: ignore[list-item]


@pytest.mark.parametrize("kinds", ["message", 3, frozenset({1})])
def test_event_kinds_must_be_a_collection_of_names(kinds: object) -> None:
    """A string, a number or non-string members are refused with a TypeError."""
    observer = Counting()
    observer.event_kinds = kinds  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="event_kinds must"):
        ObserverSet([observer])


def test_subscriptions_route_each_kind_to_its_observers() -> None:
    """Observers without event_kinds get every kind; others only theirs; empty gets none."""
    every, nodes, none = Counting(), Counting(), Counting()
    nodes.event_kinds = ["node_finished"]  # type: ignore[attr-defined]
    none.event_kinds = ()  # type: ignore[attr-defined]
    observers = ObserverSet([every, nodes, none])
    assert observers.subscribers("message") == (every,)
    assert observers.subscribers("node_finished") == (every, nodes)
    assert observers.wants_events
    assert len(observers) == 3 and observers


def test_no_subscriber_means_no_event_dispatch_at_all() -> None:
    """When every observer has empty event_kinds, streams skip dispatch entirely."""
    quiet = Counting()
    quiet.event_kinds = frozenset()  # type: ignore[attr-defined]
    assert not ObserverSet([quiet]).wants_events
    assert not ObserverSet([]).wants_events
    assert not ObserverSet()


def test_call_context_merges_nested_blocks_and_restores_on_exit() -> None:
    """Inner values win, outer ones stay, and leaving a block restores the outer context."""
    assert dict(current_call_context()) == {}
    with call_context(tenant="acme", trace="a") as outer:
        assert dict(outer) == {"tenant": "acme", "trace": "a"}
        with call_context(trace="b"):
            assert dict(current_call_context()) == {"tenant": "acme", "trace": "b"}
        assert dict(current_call_context()) == {"tenant": "acme", "trace": "a"}
    assert dict(current_call_context()) == {}


def test_call_context_is_read_only_and_per_thread() -> None:
    """The captured mapping cannot be changed, and another thread does not see the block."""
    seen: list[dict[str, object]] = []
    with call_context(tenant="acme") as context:
        with pytest.raises(TypeError):
            context["tenant"] = "other"  # type: ignore[index]
        thread = threading.Thread(target=lambda: seen.append(dict(current_call_context())))
        thread.start()
        thread.join()
    assert seen == [{}]
