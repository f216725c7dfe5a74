"""difykit-proxy: every Dify app behind an OpenAI-compatible Chat Completions endpoint.

``create_app(settings)`` builds the Starlette application; ``load_settings()`` reads the
settings (environment, ``.env``, TOML; OpenDify's names work unchanged); the
``difykit-proxy`` CLI serves it, and ``difykit-proxy --demo`` serves it in front of an
embedded Dify emulator.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from ._app import create_app
from ._settings import AppConfig, ProxySettings, SettingsError, load_settings
from ._store import ConversationStore, MemoryStore, SQLiteStore

__all__ = [
    "AppConfig",
    "ConversationStore",
    "MemoryStore",
    "ProxySettings",
    "SQLiteStore",
    "SettingsError",
    "__version__",
    "create_app",
    "load_settings",
]

__version__ = _version("difykit-proxy")
