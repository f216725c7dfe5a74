"""``ProxySettings``: environment, ``.env`` and a TOML file, with OpenDify's names accepted.

Precedence: arguments, then the environment, then ``.env``, then the TOML file (``--config``).
Every field also reads a ``DIFYKIT_PROXY_<NAME>`` variable; OpenDify's ``VALID_API_KEYS``,
``DIFY_API_KEYS``, ``DIFY_API_BASE``, ``TIMEOUT``, ``SERVER_HOST`` and ``SERVER_PORT`` work
unchanged. :func:`load_settings` turns any invalid value into one :class:`SettingsError` line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["AppConfig", "ProxySettings", "SettingsError", "load_settings"]


class SettingsError(Exception):
    """Invalid settings; the message is one line naming the setting and what is wrong."""


class AppConfig(BaseModel):
    """One Dify app behind the proxy (a value of ``apps``)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)
    """The app's API key (``app-…``)."""
    mode: Literal["chat", "agent-chat", "advanced-chat", "completion", "workflow"] | None = None
    """Route as this mode instead of the one ``/info`` reports."""
    input: str | None = None
    """Workflow or completion: the input variable that receives the user's message."""
    output: str | None = None
    """Workflow: the output variable that is the answer (default: the single output)."""
    messages_input: str | None = None
    """An input variable that receives the whole ``messages`` list as JSON, for apps built to
    read it; each request is then a new Dify conversation and the query is the new turn."""


def _env(name: str, *others: str) -> AliasChoices:
    return AliasChoices(name, f"DIFYKIT_PROXY_{name.upper()}", *others)


def _split(value: Any) -> Any:
    """A comma- or whitespace-separated string (OpenDify's style) or a JSON list, as a list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]
    return value


class ProxySettings(BaseSettings):
    """Every setting of the proxy (see the README's settings table)."""

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )
    toml_file: ClassVar[Path | None] = None

    proxy_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("proxy_keys", "VALID_API_KEYS")
    )
    """Keys clients send as ``Authorization: Bearer …`` (comma-separated in the environment)."""
    apps: Annotated[dict[str, AppConfig], NoDecode] = Field(
        default_factory=dict, validation_alias=_env("apps", "DIFY_APPS")
    )
    """Model name → app (a key, or a table with ``key``, ``mode``, ``input``, ``output``)."""
    dify_api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("dify_api_keys", "DIFY_API_KEYS")
    )
    """App keys whose model name is the app's ``/info`` name (OpenDify's way)."""
    dify_base_url: str = Field(
        "https://api.dify.ai/v1",
        validation_alias=_env("dify_base_url", "DIFY_API_BASE", "DIFY_BASE_URL"),
    )
    """Dify's Service API URL, ending in ``/v1``. Never chosen by a client."""
    timeout: float = Field(300.0, gt=0, validation_alias=_env("timeout", "TIMEOUT"))
    """Seconds to wait for Dify to answer (each read of a stream too)."""
    host: str = Field("127.0.0.1", validation_alias=_env("host", "SERVER_HOST"))
    """Address the CLI binds."""
    port: int = Field(8000, ge=0, le=65535, validation_alias=_env("port", "SERVER_PORT"))
    """Port the CLI binds."""
    store: Literal["memory", "sqlite"] = Field("memory", validation_alias=_env("store"))
    """Where conversation ids are remembered: ``memory`` or ``sqlite``."""
    store_path: Path = Field(Path("difykit-proxy.sqlite3"), validation_alias=_env("store_path"))
    """The SQLite file (``store = "sqlite"``)."""
    store_ttl: float = Field(7 * 86400.0, gt=0, validation_alias=_env("store_ttl"))
    """Seconds a remembered conversation stays reachable."""
    store_max_entries: int = Field(100_000, gt=0, validation_alias=_env("store_max_entries"))
    """Entries the in-memory store keeps (least recently used go first)."""
    history: Literal["flatten", "last"] = Field("flatten", validation_alias=_env("history"))
    """A history Dify has not seen (edit, regenerate, new client): sent as a transcript
    (``flatten``) or only its last turn (``last``)."""
    thoughts: Literal["reasoning", "inline", "off"] = Field(
        "reasoning", validation_alias=_env("thoughts")
    )
    """Agent thoughts and tool calls as ``reasoning_content``, inline ``<think>``, or off."""
    show_nodes: bool = Field(False, validation_alias=_env("show_nodes"))
    """Show chatflow/workflow node titles as they start, the same way as thoughts."""
    parameters: Literal["lenient", "strict"] = Field("lenient", validation_alias=_env("parameters"))
    """``lenient`` ignores (and reports) sampling parameters; ``strict`` answers 400."""
    tools: Literal["off", "emulate"] = Field("off", validation_alias=_env("tools"))
    """``emulate``: best-effort prompt-based tool calls for OpenAI ``tools``."""
    default_user: str | None = Field(None, validation_alias=_env("default_user"))
    """Dify ``user`` when a request names none (default: one per proxy key)."""
    info_ttl: float = Field(300.0, gt=0, validation_alias=_env("info_ttl"))
    """Seconds an app's ``/info`` and ``/parameters`` are cached."""
    max_body_bytes: int = Field(20 * 1024 * 1024, gt=0, validation_alias=_env("max_body_bytes"))
    """Largest request body accepted (images included)."""
    max_connections: int = Field(1024, gt=0, validation_alias=_env("max_connections"))
    """Connections to Dify the shared pool may open."""
    upstream_retries: int = Field(0, ge=0, le=10, validation_alias=_env("upstream_retries"))
    """Retries of failed connections and 429s to Dify (the client usually retries too)."""
    stop_timeout: float = Field(5.0, gt=0, validation_alias=_env("stop_timeout"))
    """Seconds the stop call after a client disconnect may take."""
    ping_interval: int = Field(15, ge=1, validation_alias=_env("ping_interval"))
    """Seconds between keepalive comments on a quiet stream."""
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", validation_alias=_env("log_level")
    )
    """Log level (keys and bodies are logged only at ``debug``)."""

    @field_validator("proxy_keys", "dify_api_keys", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("apps", mode="before")
    @classmethod
    def _parse_apps(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                value = json.loads(text)
            else:  # alias=key,alias2=key2
                pairs = [item.split("=", 1) for item in _split(text)]
                if any(len(pair) != 2 for pair in pairs):
                    raise ValueError("expected alias=app-key pairs separated by commas, or JSON")
                value = {alias.strip(): key.strip() for alias, key in pairs}
        if isinstance(value, dict):
            # any dict (JSON, TOML, or an argument): pydantic checks the keys and values next
            apps = cast("dict[object, object]", value)
            return {k: {"key": v} if isinstance(v, str) else v for k, v in apps.items()}
        return value

    @field_validator("dify_base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL, like https://api.dify.ai/v1")
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, environment, ``.env``, then the TOML file given to :func:`load_settings`."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if cls.toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_file))
        return tuple(sources)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = ".".join(str(part) for part in first["loc"]) or "settings"
    field = ProxySettings.model_fields.get(str(first["loc"][0])) if first["loc"] else None
    names = loc
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        env = [c for c in field.validation_alias.choices if isinstance(c, str) and c.isupper()]
        names = f"{loc} ({' / '.join(env)})" if env else loc
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(error.errors()) - 1} more)" if len(error.errors()) > 1 else ""
    return f"invalid setting {names}: {message}{more}"


def _check_toml_keys(path: Path) -> None:
    """A TOML key that names no setting is a typo: say so (the environment may hold anything)."""
    if not path.is_file():
        raise SettingsError(f"config file not found: {path}")
    try:  # pydantic-settings reads it (tomllib, or tomli before 3.11)
        data = TomlConfigSettingsSource(ProxySettings, toml_file=path).toml_data
    except (OSError, ValueError) as exc:  # TOMLDecodeError and UnicodeDecodeError are both
        raise SettingsError(f"cannot read {path}: {exc}".splitlines()[0]) from None
    known = set(ProxySettings.model_fields)
    unknown = sorted(key for key in data if key not in known)
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]!r} in {path} (known: see the README)")


def load_settings(
    config: str | Path | None = None, *, env_file: str | Path | None = ".env", **overrides: object
) -> ProxySettings:
    """Read the settings (arguments, environment, ``.env``, the TOML ``config``) and check them.

    Args:
        config: A TOML file; its keys are the field names (``[apps.<name>]`` tables for apps).
        env_file: The dotenv file to read (``None``: none).
        **overrides: Field values that win over every source.

    Raises:
        SettingsError: A value is invalid, the TOML file is missing or unreadable, or no app
            or proxy key is configured. The message is one line naming the setting.
    """
    toml_file = Path(config) if config is not None else None
    if toml_file is not None:
        _check_toml_keys(toml_file)

    class _Settings(ProxySettings):
        pass

    _Settings.toml_file = toml_file
    # pydantic validates each value; the typed __init__ (mypy's pydantic plugin) wants Any here
    values: dict[str, Any] = dict(overrides)
    try:
        # pyright builds __init__ from the fields (dataclass_transform) and misses BaseSettings'
        # documented _env_file; mypy's pydantic plugin knows it
        loaded = _Settings(_env_file=env_file, **values)  # pyright: ignore[reportCallIssue]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except (ValueError, OSError) as exc:  # TOML syntax, unreadable file
        raise SettingsError(f"cannot read the settings: {exc}".splitlines()[0]) from None
    settings: ProxySettings = loaded
    if not settings.proxy_keys:
        raise SettingsError(
            "invalid setting proxy_keys (VALID_API_KEYS): at least one proxy key is required, "
            "so that only your clients can use the apps"
        )
    if not settings.apps and not settings.dify_api_keys:
        raise SettingsError(
            "invalid setting apps (DIFY_APPS) / dify_api_keys (DIFY_API_KEYS): no Dify app is "
            "configured"
        )
    return settings
