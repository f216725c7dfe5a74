"""Binding core builders as client methods, keeping the builder's exact signature for the IDE."""

from __future__ import annotations

import functools
import inspect
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


def _transport_of(resource: Resource) -> Transport:
    """The transport a resource's methods send through (read by the descriptors below)."""
    # Python's single underscore means "internal to this module", and these descriptors are
    # Resource's own binding machinery; pyright reads it as "this class and its subclasses".
    return resource._transport  # pyright: ignore[reportPrivateUsage]


def _argument(annotation: object) -> str:
    """``"Call[ChatMessage]"`` → ``"ChatMessage"``: the text inside the outer brackets."""
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    start, end = text.find("["), text.rfind("]")
    return text[start + 1 : end] if 0 <= start < end else text


class _Binding:
    def __init__(self, builder: Callable[..., Any]) -> None:
        self._builder = builder
        self._name = builder.__name__
        self._signature: inspect.Signature | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def _returns(self, inner: str) -> str:
        """What the bound method returns, given what the builder's ``Call[...]`` holds."""
        raise NotImplementedError

    def _bind(self, instance: Resource, method: Callable[..., Any]) -> Any:
        # The builder's parameters and docstring, but the method's own name and return type,
        # so help(dify.chat.send) reads "send(*, query, ...) -> ChatMessage".
        bound: Any = functools.wraps(self._builder)(method)
        owner = type(instance)
        bound.__name__ = self._name
        bound.__qualname__ = f"{owner.__qualname__}.{self._name}"
        bound.__module__ = owner.__module__
        if self._signature is None:
            signature = inspect.signature(self._builder)
            returns = self._returns(_argument(signature.return_annotation))
            self._signature = signature.replace(return_annotation=returns)
        bound.__signature__ = self._signature
        instance.__dict__[self._name] = bound  # later look-ups skip the descriptor
        return bound


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
        execute, builder = _transport_of(instance).execute, self._builder

        async def method(*args: Any, **kwargs: Any) -> Any:
            return await execute(builder(*args, **kwargs))

        return self._bind(instance, method)

    def _returns(self, inner: str) -> str:
        return inner


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
        transport, builder = _transport_of(instance), self._builder

        def method(*args: Any, **kwargs: Any) -> Any:
            return AsyncStream(transport, builder(*args, **kwargs))

        return self._bind(instance, method)

    def _returns(self, inner: str) -> str:
        return f"AsyncStream[{inner}]"


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
        transport, builder = _transport_of(instance), self._builder

        async def method(*args: Any, **kwargs: Any) -> Any:
            call = builder(*args, **kwargs)
            return AsyncPage(transport, call, await transport.execute(call))

        return self._bind(instance, method)

    def _returns(self, inner: str) -> str:
        return f"AsyncPage[{_argument(inner)}]"  # Call[Page[T]]: the page's items
