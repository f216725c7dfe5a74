"""The earlier exporter's surface on difykit clients: ``create_client`` and friends.

``RespanDifyClient`` *is* a :class:`difykit.Dify` (every resource, typed) with a
:class:`RespanObserver` attached, plus the earlier exporter's ``chat_messages``,
``completion_messages`` and ``run_workflows`` taking a request model or dict and
``respan_params=``. ``RespanAsyncDifyClient`` is the :class:`difykit_async.AsyncDify` twin with
``achat_messages``, ``acompletion_messages`` and ``arun_workflows``. ``create_client`` accepts a
difykit client or a ``dify-client-python`` ``Client``/``AsyncClient`` (its key and base URL are
read; calls go through difykit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar, overload

import httpx
from difykit import Dify, DifyKnowledge, Stream
from difykit_async import AsyncDify, AsyncDifyKnowledge, AsyncStream
from difykit_core.transport import DEFAULT_STREAM_IDLE_TIMEOUT, Observer, Timeouts

from ._context import respan_context
from ._observer import RespanObserver
from ._requests import request_arguments

if TYPE_CHECKING:
    from difykit_core.models.events import ChatEvent, CompletionEvent, WorkflowEvent
    from difykit_core.models.messages import ChatMessage, CompletionMessage
    from difykit_core.models.workflow import WorkflowRun

__all__ = [
    "RespanAsyncDifyClient",
    "RespanDifyClient",
    "attach_observer",
    "create_async_client",
    "create_client",
]

_K = TypeVar("_K", DifyKnowledge, AsyncDifyKnowledge, Dify, AsyncDify)
_D = TypeVar("_D", Dify, AsyncDify)


def attach_observer(client: _K, observer: Observer) -> _K:
    """A sibling of ``client`` (same key, options and connection pool) that also tells
    ``observer`` about its calls; ``client`` itself is unchanged."""
    if observer in client.observers:
        return client
    return client.with_options(observers=[*client.observers, observer])


def _joined(observers: Sequence[Observer], more: Sequence[Observer]) -> list[Observer]:
    """``observers``, then those of ``more`` not among them (each observer is told once)."""
    return [*observers, *(o for o in more if o not in observers)]


def _observer(
    api_key: str | None, endpoint: str | None, observer: RespanObserver | None
) -> RespanObserver:
    return observer if observer is not None else RespanObserver(api_key, endpoint=endpoint)


def _dify_key_and_base(
    client: object, key: str | None, base: str | None, *, accepted: str
) -> tuple[str | None, str | None]:
    """The Dify key and base URL: those given, else those of a dify-client-python ``client``.

    Raises:
        TypeError: ``client`` is neither ``None`` nor a dify-client-python client.
    """
    if client is None:
        return key, base
    legacy_key, legacy_base = getattr(client, "api_key", None), getattr(client, "api_base", None)
    if not isinstance(legacy_key, str) or not (legacy_base is None or isinstance(legacy_base, str)):
        raise TypeError(f"client must be {accepted}, not {type(client).__name__}")
    return key or legacy_key, base or legacy_base


# The SDK derives a client from another only through ``with_options``, which builds
# ``type(client)(api_key=<the Dify key>, ...)``. That cannot build these classes (their
# ``api_key`` is the Respan key, as in the earlier exporter), nor turn a plain ``Dify`` into one.
# A client's whole state is its transport (key, options, observers, pool), so these two
# helpers move it between a plain client and a wrapper: the only private access to the SDK.
# Their two ignores: reportPrivateUsage, as just said; reportAttributeAccessIssue, as pyright
# does not check a constrained TypeVar one constraint at a time (mypy does) and so pairs a
# Dify with an AsyncDify's transport.


def _plain(client: _D, base: type[_D]) -> _D:
    """A plain ``base`` client on ``client``'s transport (its key, options, observers, pool)."""
    plain = base.__new__(base)
    plain._transport = client._transport  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue]
    return plain


def _adopt(wrapper: _D, client: _D, observers: Sequence[Observer]) -> None:
    """Make ``wrapper`` a sibling of ``client`` (its key, options, observers and pool) that
    tells ``observers`` too."""
    sibling = client.with_options(observers=_joined(client.observers, observers))
    wrapper._transport = sibling._transport  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue]


class RespanDifyClient(Dify):
    """A :class:`difykit.Dify` whose every call is logged to Respan.

    Example::

        dify = RespanDifyClient(dify_api_key="app-…", api_key="rk-…")
        dify.chat.send(query="Hi", user="u1")  # the whole difykit surface
        dify.chat_messages({"query": "Hi", "user": "u1", "response_mode": "blocking"})

    Args:
        api_key: The Respan key; default ``RESPAN_API_KEY``.
        dify_api_key: The Dify app key; default the client's, else ``DIFY_API_KEY``.
        dify_api_base: The Dify Service API URL (same as ``base_url``).
        client: A difykit :class:`~difykit.Dify` (its key, options, pool and observers are
            used) or a ``dify-client-python`` ``Client`` (its key and base URL are used).
        endpoint: The Respan ingest URL (default ``RESPAN_ENDPOINT`` or Respan's).
        observer: A :class:`RespanObserver` to use instead of making one.
        base_url: The Dify Service API URL.
        timeout: Dify request timeouts (see :class:`difykit.Dify`).
        stream_idle_timeout: See :class:`difykit.Dify`.
        max_retries: See :class:`difykit.Dify`.
        http_client: See :class:`difykit.Dify`.
        observers: More observers, told about every call too.
        max_retry_after: See :class:`difykit.Dify`.

    Raises:
        InvalidRequestError: No Dify key was given or found.
    """

    respan: RespanObserver
    """The observer that logs this client's calls (``flush()``, ``stats()``…)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        dify_api_key: str | None = None,
        dify_api_base: str | None = None,
        client: Dify | object | None = None,
        endpoint: str | None = None,
        observer: RespanObserver | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
        observers: Sequence[Observer] = (),
        max_retry_after: float = 60.0,
    ) -> None:
        self.respan = respan = _observer(api_key, endpoint, observer)
        if isinstance(client, Dify):
            _adopt(self, client, [*observers, respan])
            return
        key, base = _dify_key_and_base(
            client,
            dify_api_key,
            base_url or dify_api_base,
            accepted="a difykit Dify or a dify-client-python Client",
        )
        super().__init__(
            api_key=key,
            base_url=base,
            timeout=timeout,
            stream_idle_timeout=stream_idle_timeout,
            max_retries=max_retries,
            http_client=http_client,
            observers=_joined(observers, [respan]),
            max_retry_after=max_retry_after,
        )

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        stream_idle_timeout: float | None = None,
        max_retries: int | None = None,
        observers: Sequence[Observer] | None = None,
        max_retry_after: float | None = None,
    ) -> RespanDifyClient:
        """A sibling with some options changed, on the same pool and Respan observer.

        The options are those of :meth:`difykit.Dify.with_options` (``api_key`` is the Dify
        key); :attr:`respan` stays attached even when ``observers`` replaces the list.
        """
        sibling = _plain(self, Dify).with_options(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            stream_idle_timeout=stream_idle_timeout,
            max_retries=max_retries,
            observers=observers,
            max_retry_after=max_retry_after,
        )
        return RespanDifyClient(client=sibling, observer=self.respan)

    def chat_messages(
        self, req: object, *, respan_params: object = None
    ) -> ChatMessage | Stream[ChatEvent, ChatMessage]:
        """Send a chat message (the earlier exporter's method).

        Args:
            req: A ``ChatRequest`` (dify-client-python or difykit) or a dict of Dify's fields;
                ``response_mode="streaming"`` returns a stream of typed events.
            respan_params: Respan parameters for this call (see :class:`RespanParams`).

        Raises:
            DifyError: What :meth:`difykit.Dify.chat` raises.
        """
        arguments, streaming = request_arguments(req, "chat")
        with respan_context(respan_params):
            if streaming:
                return self.chat.stream(**arguments)  # type: ignore[arg-type]  # checked by the builder
            return self.chat.send(**arguments)  # type: ignore[arg-type]  # checked by the builder

    def completion_messages(
        self, req: object, *, respan_params: object = None
    ) -> CompletionMessage | Stream[CompletionEvent, CompletionMessage]:
        """Generate a completion (the earlier exporter's method); see :meth:`chat_messages`.

        Raises:
            DifyError: What :meth:`difykit.Dify.completion` raises.
        """
        arguments, streaming = request_arguments(req, "completion")
        with respan_context(respan_params):
            if streaming:
                return self.completion.stream(**arguments)  # type: ignore[arg-type]  # checked by the builder
            return self.completion.send(**arguments)  # type: ignore[arg-type]  # checked by the builder

    def run_workflows(
        self, req: object, *, respan_params: object = None
    ) -> WorkflowRun | Stream[WorkflowEvent, WorkflowRun]:
        """Run a workflow (the earlier exporter's method); see :meth:`chat_messages`.

        Raises:
            DifyError: What :meth:`difykit.Dify.workflows` raises.
        """
        arguments, streaming = request_arguments(req, "workflow")
        with respan_context(respan_params):
            if streaming:
                return self.workflows.stream(**arguments)  # type: ignore[arg-type]  # checked by the builder
            return self.workflows.run(**arguments)  # type: ignore[arg-type]  # checked by the builder


class RespanAsyncDifyClient(AsyncDify):
    """A :class:`difykit_async.AsyncDify` whose every call is logged to Respan.

    The async twin of :class:`RespanDifyClient` (same arguments; ``client`` may be an
    ``AsyncDify`` or a ``dify-client-python`` ``AsyncClient``), with ``achat_messages``,
    ``acompletion_messages`` and ``arun_workflows``.

    Raises:
        InvalidRequestError: No Dify key was given or found.
    """

    respan: RespanObserver
    """The observer that logs this client's calls (``aflush()``, ``stats()``…)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        dify_api_key: str | None = None,
        dify_api_base: str | None = None,
        client: AsyncDify | object | None = None,
        endpoint: str | None = None,
        observer: RespanObserver | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        observers: Sequence[Observer] = (),
        max_retry_after: float = 60.0,
    ) -> None:
        self.respan = respan = _observer(api_key, endpoint, observer)
        if isinstance(client, AsyncDify):
            _adopt(self, client, [*observers, respan])
            return
        key, base = _dify_key_and_base(
            client,
            dify_api_key,
            base_url or dify_api_base,
            accepted="a difykit AsyncDify or a dify-client-python AsyncClient",
        )
        super().__init__(
            api_key=key,
            base_url=base,
            timeout=timeout,
            stream_idle_timeout=stream_idle_timeout,
            max_retries=max_retries,
            http_client=http_client,
            observers=_joined(observers, [respan]),
            max_retry_after=max_retry_after,
        )

    def with_options(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        stream_idle_timeout: float | None = None,
        max_retries: int | None = None,
        observers: Sequence[Observer] | None = None,
        max_retry_after: float | None = None,
    ) -> RespanAsyncDifyClient:
        """A sibling with some options changed, on the same pool and Respan observer.

        The options are those of :meth:`difykit_async.AsyncDify.with_options` (``api_key`` is
        the Dify key); :attr:`respan` stays attached even when ``observers`` replaces the list.
        """
        sibling = _plain(self, AsyncDify).with_options(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            stream_idle_timeout=stream_idle_timeout,
            max_retries=max_retries,
            observers=observers,
            max_retry_after=max_retry_after,
        )
        return RespanAsyncDifyClient(client=sibling, observer=self.respan)

    async def achat_messages(
        self, req: object, *, respan_params: object = None
    ) -> ChatMessage | AsyncStream[ChatEvent, ChatMessage]:
        """Send a chat message (the earlier exporter's method).

        Args:
            req: A ``ChatRequest`` (dify-client-python or difykit) or a dict of Dify's fields;
                ``response_mode="streaming"`` returns an async stream of typed events.
            respan_params: Respan parameters for this call (see :class:`RespanParams`).

        Raises:
            DifyError: What :meth:`difykit_async.AsyncDify.chat` raises.
        """
        arguments, streaming = request_arguments(req, "chat")
        with respan_context(respan_params):
            if streaming:
                return self.chat.stream(**arguments)  # type: ignore[arg-type]  # checked by the builder
            return await self.chat.send(**arguments)  # type: ignore[arg-type]  # checked by the builder

    async def acompletion_messages(
        self, req: object, *, respan_params: object = None
    ) -> CompletionMessage | AsyncStream[CompletionEvent, CompletionMessage]:
        """Generate a completion (the earlier exporter's method); see :meth:`achat_messages`.

        Raises:
            DifyError: What :meth:`difykit_async.AsyncDify.completion` raises.
        """
        arguments, streaming = request_arguments(req, "completion")
        with respan_context(respan_params):
            if streaming:
                return self.completion.stream(**arguments)  # type: ignore[arg-type]  # checked by the builder
            return await self.completion.send(**arguments)  # type: ignore[arg-type]  # checked by the builder

    async def arun_workflows(
        self, req: object, *, respan_params: object = None
    ) -> WorkflowRun | AsyncStream[WorkflowEvent, WorkflowRun]:
        """Run a workflow (the earlier exporter's method); see :meth:`achat_messages`.

        Raises:
            DifyError: What :meth:`difykit_async.AsyncDify.workflows` raises.
        """
        arguments, streaming = request_arguments(req, "workflow")
        with respan_context(respan_params):
            if streaming:
                return self.workflows.stream(**arguments)  # type: ignore[arg-type]  # checked by the builder
            return await self.workflows.run(**arguments)  # type: ignore[arg-type]  # checked by the builder


@overload
def create_client(  # type: ignore[overload-overlap]  # a DifyKnowledge is an object too
    *,
    client: DifyKnowledge,
    api_key: str | None = None,
    endpoint: str | None = None,
    observer: RespanObserver | None = None,
) -> DifyKnowledge: ...
@overload
def create_client(
    *,
    client: Dify | object | None = None,
    api_key: str | None = None,
    endpoint: str | None = None,
    observer: RespanObserver | None = None,
    dify_api_key: str | None = None,
    dify_api_base: str | None = None,
) -> RespanDifyClient: ...
def create_client(
    *,
    client: object = None,
    api_key: str | None = None,
    endpoint: str | None = None,
    observer: RespanObserver | None = None,
    dify_api_key: str | None = None,
    dify_api_base: str | None = None,
) -> RespanDifyClient | DifyKnowledge:
    """``client`` with every call logged to Respan (the earlier exporter's entry point).

    Args:
        client: A difykit ``Dify`` or ``DifyKnowledge``, or a ``dify-client-python``
            ``Client`` (its key and base URL are used; calls go through difykit). ``None``:
            build one from ``dify_api_key`` (or ``DIFY_API_KEY``).
        api_key: The Respan key; default ``RESPAN_API_KEY``.
        endpoint: The Respan ingest URL (default ``RESPAN_ENDPOINT`` or Respan's).
        observer: A :class:`RespanObserver` to use instead of making one.
        dify_api_key: The Dify app key when no ``client`` is given.
        dify_api_base: The Dify Service API URL when no ``client`` is given.

    Returns:
        A :class:`RespanDifyClient` (a ``Dify``), or for a ``DifyKnowledge`` a sibling
        ``DifyKnowledge`` on the same pool with the observer attached.

    Raises:
        InvalidRequestError: No Dify key was given or found.
    """
    if isinstance(client, DifyKnowledge):
        return attach_observer(client, _observer(api_key, endpoint, observer))
    return RespanDifyClient(
        api_key=api_key,
        endpoint=endpoint,
        observer=observer,
        client=client,
        dify_api_key=dify_api_key,
        dify_api_base=dify_api_base,
    )


@overload
def create_async_client(  # type: ignore[overload-overlap]  # an AsyncDifyKnowledge is an object too
    *,
    client: AsyncDifyKnowledge,
    api_key: str | None = None,
    endpoint: str | None = None,
    observer: RespanObserver | None = None,
) -> AsyncDifyKnowledge: ...
@overload
def create_async_client(
    *,
    client: AsyncDify | object | None = None,
    api_key: str | None = None,
    endpoint: str | None = None,
    observer: RespanObserver | None = None,
    dify_api_key: str | None = None,
    dify_api_base: str | None = None,
) -> RespanAsyncDifyClient: ...
def create_async_client(
    *,
    client: object = None,
    api_key: str | None = None,
    endpoint: str | None = None,
    observer: RespanObserver | None = None,
    dify_api_key: str | None = None,
    dify_api_base: str | None = None,
) -> RespanAsyncDifyClient | AsyncDifyKnowledge:
    """The async twin of :func:`create_client` (``AsyncDify``, ``AsyncDifyKnowledge`` or a
    ``dify-client-python`` ``AsyncClient``).

    Raises:
        InvalidRequestError: No Dify key was given or found.
    """
    if isinstance(client, AsyncDifyKnowledge):
        return attach_observer(client, _observer(api_key, endpoint, observer))
    return RespanAsyncDifyClient(
        api_key=api_key,
        endpoint=endpoint,
        observer=observer,
        client=client,
        dify_api_key=dify_api_key,
        dify_api_base=dify_api_base,
    )
