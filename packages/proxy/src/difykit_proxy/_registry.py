"""The app registry: model names → Dify apps, with their mode and parameters cached (TTL).

Apps come from ``apps`` (an alias per app) and ``dify_api_keys`` (named by their ``/info``
name, as OpenDify does). One :class:`~difykit_async.AsyncDify` per app key, all on the
proxy's shared ``httpx.AsyncClient``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import httpx
from difykit_async import AsyncDify
from difykit_core.errors import DifyError
from difykit_core.models.app import AppInfo, AppParameters

from ._settings import AppConfig, ProxySettings
from ._translate import ProxyError, error_from_dify

__all__ = ["App", "AppRegistry"]

log = logging.getLogger("difykit_proxy")

_MODES = frozenset({"chat", "agent-chat", "advanced-chat", "completion", "workflow"})


@dataclass(frozen=True)
class App:
    """One Dify app as a model: its name, mode, parameters and client."""

    name: str
    """The model id clients send."""
    mode: str
    """``chat``, ``agent-chat``, ``advanced-chat``, ``completion`` or ``workflow``."""
    config: AppConfig
    parameters: AppParameters
    client: AsyncDify
    created: int
    """When the proxy first saw the app (unix seconds; the model's ``created``)."""

    @property
    def identity(self) -> str:
        """A digest of the app key (conversation-store keys hold no key)."""
        return hashlib.sha256(self.config.key.encode()).hexdigest()[:32]


@dataclass
class _Described:
    info: AppInfo
    parameters: AppParameters
    expires: float


class AppRegistry:
    """Resolves model names to apps; ``/info`` and ``/parameters`` are cached ``info_ttl``."""

    def __init__(
        self,
        settings: ProxySettings,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the registry (nothing is fetched until a model is asked for).

        Args:
            settings: The apps, base URL, timeout and cache TTL.
            http: The shared pool every app client uses.
            clock: Monotonic seconds (the cache's clock).
        """
        self._settings = settings
        self._clock = clock
        self._configs: dict[str, AppConfig] = dict(settings.apps)
        self._unnamed = [AppConfig(key=k) for k in settings.dify_api_keys]
        self._clients: dict[str, AsyncDify] = {}
        self._cache: dict[str, _Described] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self._created = int(time.time())
        self._http = http

    def client(self, key: str) -> AsyncDify:
        """The client of one app key, on the shared pool."""
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = AsyncDify(
                api_key=key,
                base_url=self._settings.dify_base_url,
                timeout=self._settings.timeout,
                stream_idle_timeout=max(self._settings.timeout, 60.0),
                max_retries=self._settings.upstream_retries,
                http_client=self._http,
            )
        return client

    async def _describe(self, config: AppConfig) -> _Described:
        key = config.key
        cached = self._cache.get(key)
        if cached is not None and cached.expires > self._clock():
            return cached
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            cached = self._cache.get(key)
            if cached is not None and cached.expires > self._clock():
                return cached
            client = self.client(key)
            info = await client.app.info()
            parameters = await client.app.parameters()
            described = _Described(info, parameters, self._clock() + self._settings.info_ttl)
            self._cache[key] = described
            return described

    def _app(self, name: str, config: AppConfig, described: _Described) -> App:
        mode = config.mode or described.info.mode or ""
        if mode not in _MODES:
            raise ProxyError(
                502,
                f"Dify app {name!r} has mode {mode!r}, which the proxy cannot route "
                "(set apps.<name>.mode)",
                code="unknown_app_mode",
            )
        return App(name, mode, config, described.parameters, self.client(config.key), self._created)

    async def resolve(self, model: str) -> App:
        """The app named ``model``.

        Raises:
            ProxyError: 404 ``model_not_found`` (``param: "model"``), or Dify's refusal of the
                app key, mapped.
        """
        config = self._configs.get(model)
        if config is not None:
            try:
                return self._app(model, config, await self._describe(config))
            except DifyError as exc:
                raise error_from_dify(exc, model=model) from exc
        failures: list[DifyError] = []
        for config in self._unnamed:  # one app Dify refuses must not hide the others
            try:
                described = await self._describe(config)
            except DifyError as exc:
                failures.append(exc)
                continue
            if described.info.name == model:
                return self._app(model, config, described)
        if failures:  # the model may be an app whose name could not be read
            raise error_from_dify(failures[0], model=model) from failures[0]
        raise ProxyError(
            404,
            f"The model {model!r} does not exist on this proxy (GET /v1/models lists them).",
            code="model_not_found",
            param="model",
        )

    async def list(self) -> list[App]:
        """Every app that can be reached now (apps Dify refuses are logged and left out)."""
        apps: list[App] = []
        entries: list[tuple[str | None, AppConfig]] = list(self._configs.items())
        entries += [(None, c) for c in self._unnamed]
        for name, config in entries:
            try:
                described = await self._describe(config)
                named = name or described.info.name or f"app-{config.key[-6:]}"
                apps.append(self._app(named, config, described))
            except (DifyError, ProxyError) as exc:
                log.warning("app %s left out of /v1/models: %s", name or "(by key)", exc)
        unique: dict[str, App] = {}
        for app in apps:
            unique.setdefault(app.name, app)
        return list(unique.values())
