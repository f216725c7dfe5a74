"""``ObserverSet``: a client's observers, checked once and called safely.

Built once per client: it checks each observer has the five hooks, reads its ``event_kinds``,
and pre-computes who wants which event, so a stream with no subscriber for ``message`` pays one
dictionary look-up per event and nothing more. A hook that raises is logged (the first time
per observer and hook at ERROR with its traceback, later ones at DEBUG) and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ._observer import CallEnd, CallInfo, Observer
    from .models.events import BaseEvent

__all__ = ["ObserverSet"]

logger = logging.getLogger("difykit")

_HOOKS = ("on_start", "on_event", "on_end", "on_error", "on_cancel")

EventHook = Callable[["CallInfo", Any, float], None]


class ObserverSet:
    """The observers of one client, with their event subscriptions resolved."""

    __slots__ = ("_all_events", "_by_kind", "_reported", "observers", "wants_events")

    def __init__(self, observers: Sequence[Observer] = ()) -> None:
        """Check and index ``observers``.

        Raises:
            TypeError: An observer lacks a hook (or its ``event_kinds`` is not a collection of
                strings).
        """
        self.observers: tuple[Observer, ...] = tuple(observers)
        kinds_of: list[tuple[Observer, frozenset[str] | None]] = []
        for observer in self.observers:
            missing = [hook for hook in _HOOKS if not callable(getattr(observer, hook, None))]
            if missing:
                raise TypeError(
                    f"observer {observer!r} lacks {', '.join(missing)}: observers implement "
                    "difykit_core.Observer (subclass it to inherit no-op hooks)"
                )
            kinds_of.append((observer, _event_kinds(observer)))
        every = [observer for observer, kinds in kinds_of if kinds is None]
        named = {kind for _, kinds in kinds_of if kinds is not None for kind in kinds}
        some = {
            kind: [o for o, kinds in kinds_of if kinds is None or kind in kinds] for kind in named
        }
        self._all_events = tuple(every)
        self._by_kind = {kind: tuple(subscribers) for kind, subscribers in some.items()}
        self.wants_events: bool = bool(every or some)
        """Whether any observer wants any event (streams skip all dispatch otherwise)."""
        self._reported: set[tuple[int, str]] = set()

    def __bool__(self) -> bool:
        return bool(self.observers)

    def __len__(self) -> int:
        return len(self.observers)

    def start(self, call: CallInfo) -> None:
        """Tell every observer the call starts."""
        self._notify("on_start", call)

    def subscribers(self, kind: str) -> tuple[Observer, ...]:
        """The observers that want events named ``kind``."""
        return self._by_kind.get(kind, self._all_events)

    def event(
        self, call: CallInfo, event: BaseEvent, elapsed: float, to: tuple[Observer, ...]
    ) -> None:
        """Give one event to the observers ``to`` (from :meth:`subscribers`)."""
        for observer in to:
            try:
                observer.on_event(call, event, elapsed)  # type: ignore[arg-type]  # a union member
            except Exception as exc:  # an observer must never break the call
                self._report(observer, "on_event", exc)

    def end(self, call: CallInfo, end: CallEnd) -> None:
        """Tell every observer the call succeeded."""
        self._notify("on_end", call, end)

    def error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        """Tell every observer the call failed."""
        self._notify("on_error", call, error, end)

    def cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        """Tell every observer the caller stopped the call."""
        self._notify("on_cancel", call, reason, end)

    def _notify(self, hook: str, *args: object) -> None:
        for observer in self.observers:
            try:
                getattr(observer, hook)(*args)
            except Exception as exc:  # an observer must never break the call
                self._report(observer, hook, exc)

    def _report(self, observer: Observer, hook: str, exc: Exception) -> None:
        key = (id(observer), hook)
        if key in self._reported:
            logger.debug("observer %r raised again in %s: %r", observer, hook, exc)
            return
        self._reported.add(key)
        logger.error(
            "observer %r raised in %s; difykit ignores it (logged once per observer and hook)",
            observer,
            hook,
            exc_info=exc,
        )


def _event_kinds(observer: Observer) -> frozenset[str] | None:
    kinds: object = getattr(observer, "event_kinds", None)
    if kinds is None:
        return None
    if isinstance(kinds, str) or not isinstance(kinds, Collection):
        raise TypeError(
            f"observer {observer!r}: event_kinds must be a collection of event names "
            f"(e.g. frozenset({{'node_finished'}})) or None, not {kinds!r}"
        )
    given = frozenset(cast("Collection[object]", kinds))
    names = frozenset(name for name in given if isinstance(name, str))
    if len(names) != len(given):
        raise TypeError(f"observer {observer!r}: event_kinds must hold strings, not {kinds!r}")
    return names
