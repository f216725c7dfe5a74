"""``AsyncDify``: the asyncio client for an app key."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

import httpx
from difykit_core.transport import (
    DEFAULT_STREAM_IDLE_TIMEOUT,
    Observer,
    Timeouts,
    client_config,
)

from ._backend import Pool
from ._transport import Transport, user_agent

if TYPE_CHECKING:
    from ._resources.annotations import Annotations
    from ._resources.app import App
    from ._resources.audio import Audio
    from ._resources.chat import Chat
    from ._resources.completion import Completion
    from ._resources.conversations import Conversations
    from ._resources.end_users import EndUsers
    from ._resources.feedbacks import Feedbacks
    from ._resources.files import Files
    from ._resources.human_input import HumanInput
    from ._resources.messages import Messages
    from ._resources.workflows import Workflows

__all__ = ["AsyncDify", "BaseClient"]

_C = TypeVar("_C", bound="BaseClient")


def _checked_http_client(http_client: object) -> httpx.AsyncClient | None:
    """The ``http_client`` option, checked at run time too: an untyped caller can pass anything."""
    if http_client is None or isinstance(http_client, httpx.AsyncClient):
        return http_client
    raise TypeError(f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}")


class BaseClient:
    """Lifecycle and options shared by :class:`AsyncDify` and :class:`AsyncDifyKnowledge`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        observers: Sequence[Observer] = (),
        max_retry_after: float = 60.0,
    ) -> None:
        """Create a client.

        Args:
            api_key: The key; default ``DIFY_API_KEY``.
            base_url: The Service API URL, ending in ``/v1``; default ``DIFY_BASE_URL`` or
                ``https://api.dify.ai/v1``.
            timeout: Seconds for every phase, or a :class:`Timeouts`. The default connects
                within 5 s but reads for up to 300 s, since a blocking answer can take minutes.
            stream_idle_timeout: Seconds of silence after which a stream raises
                ``StreamInterruptedError`` (Dify pings every ~10 s while working).
            max_retries: Retries for failed connections and 429s of any request, and for
                502/503/504 and lost answers of replayable ones (reads and idempotent writes).
                A chat, completion or workflow run is never sent twice once it may have
                reached Dify: a gateway's 5xx or a read timeout can hide a run that started.
            http_client: An ``httpx.AsyncClient`` to share one connection pool between clients
                (it stays open when this client closes).
            observers: Told about every call (see ``difykit_core.Observer``).
            max_retry_after: The longest ``Retry-After`` worth waiting for (seconds); when Dify
                asks for longer, the error is raised at once with its ``retry_after``.

        Raises:
            InvalidRequestError: No key was given or found, or the base URL is not http(s).
            TypeError: An option has the wrong type (the message names it).
            ValueError: An option is out of range, e.g. a timeout of 0 (the message names it).
        """
        config = client_config(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            stream_idle_timeout=stream_idle_timeout,
            max_retries=max_retries,
            observers=observers,
            max_retry_after=max_retry_after,
            clock=time.monotonic,
            wall_clock=time.time,
            jitter=random.random,
        )
        self._transport = Transport(
            config=config, pool=Pool(_checked_http_client(http_client)), user_agent=user_agent()
        )

    @property
    def base_url(self) -> str:
        """The Service API URL."""
        return self._transport.config.base_url

    @property
    def api_key(self) -> str:
        """The key in use."""
        return self._transport.config.api_key

    @property
    def observers(self) -> tuple[Observer, ...]:
        """The observers told about every call (change them with :meth:`with_options`)."""
        return self._transport.config.observers.observers

    def with_options(
        self: _C,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | Timeouts | None = None,
        stream_idle_timeout: float | None = None,
        max_retries: int | None = None,
        observers: Sequence[Observer] | None = None,
        max_retry_after: float | None = None,
    ) -> _C:
        """A sibling client with some options changed, on the same connection pool.

        ``observers`` replaces the observers (``[*client.observers, extra]`` adds one).
        """
        config, pool = self._transport.config, self._transport.pool
        sibling = type(self)(
            api_key=api_key if api_key is not None else config.api_key,
            base_url=base_url if base_url is not None else config.base_url,
            timeout=timeout if timeout is not None else config.timeouts,
            stream_idle_timeout=(
                stream_idle_timeout
                if stream_idle_timeout is not None
                else config.stream_idle_timeout
            ),
            max_retries=max_retries if max_retries is not None else config.retry.max_retries,
            http_client=pool.http,
            observers=observers if observers is not None else config.observers.observers,
            max_retry_after=(
                max_retry_after if max_retry_after is not None else config.retry.max_retry_after
            ),
        )
        sibling._transport.pool = pool.sibling()  # follows this pool, renewals included
        return sibling

    async def aclose(self) -> None:
        """Close the connection pool, unless it was passed in as ``http_client``."""
        await self._transport.pool.aclose()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncDify(BaseClient):
    """Client for one Dify app, with its app key (``app-…``).

    Example::

        async with AsyncDify(api_key="app-…") as dify:
            message = await dify.chat.send(query="Hi", user="u1")
            print(message.answer)
    """

    @cached_property
    def chat(self) -> Chat:
        """Chat apps: ``send``, ``stream``, ``stop``."""
        from ._resources.chat import Chat

        return Chat(self._transport)

    @cached_property
    def completion(self) -> Completion:
        """Completion apps: ``send``, ``stream``, ``stop``."""
        from ._resources.completion import Completion

        return Completion(self._transport)

    @cached_property
    def workflows(self) -> Workflows:
        """Workflow apps: ``run``, ``stream``, ``stop``, ``get_run``, ``logs``, ``resume``."""
        from ._resources.workflows import Workflows

        return Workflows(self._transport)

    @cached_property
    def human_input(self) -> HumanInput:
        """Human Input forms of paused runs: ``get``, ``submit``."""
        from ._resources.human_input import HumanInput

        return HumanInput(self._transport)

    @cached_property
    def files(self) -> Files:
        """Files: ``upload``, ``preview``."""
        from ._resources.files import Files

        return Files(self._transport)

    @cached_property
    def end_users(self) -> EndUsers:
        """End users: ``get``."""
        from ._resources.end_users import EndUsers

        return EndUsers(self._transport)

    @cached_property
    def audio(self) -> Audio:
        """Audio: ``to_text``, ``to_speech``."""
        from ._resources.audio import Audio

        return Audio(self._transport)

    @cached_property
    def feedbacks(self) -> Feedbacks:
        """Feedback on messages: ``create``, ``list``."""
        from ._resources.feedbacks import Feedbacks

        return Feedbacks(self._transport)

    @cached_property
    def messages(self) -> Messages:
        """Messages of conversations: ``list``, ``suggested``."""
        from ._resources.messages import Messages

        return Messages(self._transport)

    @cached_property
    def conversations(self) -> Conversations:
        """Conversations: ``list``, ``rename``, ``delete``, ``variables``, ``update_variable``."""
        from ._resources.conversations import Conversations

        return Conversations(self._transport)

    @cached_property
    def app(self) -> App:
        """The app itself: ``info``, ``parameters``, ``meta``, ``site``."""
        from ._resources.app import App

        return App(self._transport)

    @cached_property
    def annotations(self) -> Annotations:
        """Annotations (``list``, ``create``, ``update``, ``delete``) and annotation reply."""
        from ._resources.annotations import Annotations

        return Annotations(self._transport)
