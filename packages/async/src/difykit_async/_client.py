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
    from . import _resources as r

__all__ = ["AsyncDify"]

_C = TypeVar("_C", bound="_BaseClient")


class _BaseClient:
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
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        self._transport = Transport(config=config, pool=Pool(http_client), user_agent=user_agent())

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


class AsyncDify(_BaseClient):
    """Client for one Dify app, with its app key (``app-…``).

    Example::

        async with AsyncDify(api_key="app-…") as dify:
            message = await dify.chat.send(query="Hi", user="u1")
            print(message.answer)
    """

    @cached_property
    def chat(self) -> r.Chat:
        """Chat apps: ``send``, ``stream``, ``stop``."""
        from . import _resources as r

        return r.Chat(self._transport)

    @cached_property
    def completion(self) -> r.Completion:
        """Completion apps: ``send``, ``stream``, ``stop``."""
        from . import _resources as r

        return r.Completion(self._transport)

    @cached_property
    def workflows(self) -> r.Workflows:
        """Workflow apps: ``run``, ``stream``, ``stop``, ``get_run``, ``logs``, ``resume``."""
        from . import _resources as r

        return r.Workflows(self._transport)

    @cached_property
    def human_input(self) -> r.HumanInput:
        """Human Input forms of paused runs: ``get``, ``submit``."""
        from . import _resources as r

        return r.HumanInput(self._transport)

    @cached_property
    def files(self) -> r.Files:
        """Files: ``upload``, ``preview``."""
        from . import _resources as r

        return r.Files(self._transport)

    @cached_property
    def end_users(self) -> r.EndUsers:
        """End users: ``get``."""
        from . import _resources as r

        return r.EndUsers(self._transport)

    @cached_property
    def audio(self) -> r.Audio:
        """Audio: ``to_text``, ``to_speech``."""
        from . import _resources as r

        return r.Audio(self._transport)

    @cached_property
    def feedbacks(self) -> r.Feedbacks:
        """Feedback on messages: ``create``, ``list``."""
        from . import _resources as r

        return r.Feedbacks(self._transport)

    @cached_property
    def messages(self) -> r.Messages:
        """Messages of conversations: ``list``, ``suggested``."""
        from . import _resources as r

        return r.Messages(self._transport)

    @cached_property
    def conversations(self) -> r.Conversations:
        """Conversations: ``list``, ``rename``, ``delete``, ``variables``, ``update_variable``."""
        from . import _resources as r

        return r.Conversations(self._transport)

    @cached_property
    def app(self) -> r.App:
        """The app itself: ``info``, ``parameters``, ``meta``, ``site``."""
        from . import _resources as r

        return r.App(self._transport)

    @cached_property
    def annotations(self) -> r.Annotations:
        """Annotations (``list``, ``create``, ``update``, ``delete``) and annotation reply."""
        from . import _resources as r

        return r.Annotations(self._transport)
