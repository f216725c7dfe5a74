"""Binding core builders as client methods, keeping the builder's exact signature for the IDE."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from ._pages import AsyncPage
from ._streaming import AsyncStream
from ._transport import Transport

if TYPE_CHECKING:
    from difykit_core import Call, Page, StreamCall
    from difykit_core.models.events import BaseEvent

__all__ = ["Resource", "endpoint", "page_endpoint", "stream_endpoint"]

P = ParamSpec("P")
T = TypeVar("T")
E = TypeVar("E", bound="BaseEvent")
R = TypeVar("R")
_Self = TypeVar("_Self")


class Resource:
    """A group of endpoints of one client (``dify.chat``, ``dify.files``…)."""

    __slots__ = ("__dict__", "_transport")

    def __init__(self, transport: Transport) -> None:
        self._transport = transport


class _Binding:
    def __init__(self, builder: Callable[..., Any]) -> None:
        self._builder = builder
        self._name = builder.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def _bind(self, instance: Resource, method: Callable[..., Any]) -> Any:
        method = functools.wraps(self._builder)(method)
        instance.__dict__[self._name] = method  # later look-ups skip the descriptor
        return method


class endpoint(_Binding, Generic[P, T]):
    """A coroutine method that sends the builder's call and returns its result."""

    def __init__(self, builder: Callable[P, Call[T]]) -> None:
        super().__init__(builder)

    @overload
    def __get__(self: _Self, instance: None, owner: type) -> _Self: ...
    @overload
    def __get__(self, instance: Resource, owner: type) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, instance: Resource | None, owner: type) -> Any:
        if instance is None:
            return self
        execute, builder = instance._transport.execute, self._builder

        async def method(*args: Any, **kwargs: Any) -> Any:
            return await execute(builder(*args, **kwargs))

        return self._bind(instance, method)


class stream_endpoint(_Binding, Generic[P, E, R]):
    """A method that returns the :class:`AsyncStream` of the builder's events."""

    def __init__(self, builder: Callable[P, StreamCall[E, R]]) -> None:
        super().__init__(builder)

    @overload
    def __get__(self: _Self, instance: None, owner: type) -> _Self: ...
    @overload
    def __get__(self, instance: Resource, owner: type) -> Callable[P, AsyncStream[E, R]]: ...
    def __get__(self, instance: Resource | None, owner: type) -> Any:
        if instance is None:
            return self
        transport, builder = instance._transport, self._builder

        def method(*args: Any, **kwargs: Any) -> Any:
            return AsyncStream(transport, builder(*args, **kwargs))

        return self._bind(instance, method)


class page_endpoint(_Binding, Generic[P, T]):
    """A coroutine method returning the first :class:`AsyncPage`; iterating walks the rest."""

    def __init__(self, builder: Callable[P, Call[Page[T]]]) -> None:
        super().__init__(builder)

    @overload
    def __get__(self: _Self, instance: None, owner: type) -> _Self: ...
    @overload
    def __get__(self, instance: Resource, owner: type) -> Callable[P, Awaitable[AsyncPage[T]]]: ...
    def __get__(self, instance: Resource | None, owner: type) -> Any:
        if instance is None:
            return self
        transport, builder = instance._transport, self._builder

        async def method(*args: Any, **kwargs: Any) -> Any:
            call = builder(*args, **kwargs)
            return AsyncPage(transport, call, await transport.execute(call))

        return self._bind(instance, method)
