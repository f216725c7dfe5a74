"""The models a workspace offers (``models.list``), e.g. to pick an embedding model."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from difykit_core._json import JsonValue
from difykit_core.models._base import DifyModel

__all__ = ["I18nText", "ModelProvider", "ModelType", "ProviderModel"]

ModelType: TypeAlias = Literal[
    "text-embedding", "rerank", "llm", "tts", "speech2text", "moderation"
]
"""The kind of model ``models.list`` lists."""


class I18nText(DifyModel):
    """A label in several languages."""

    en_US: str | None = None
    zh_Hans: str | None = None


class ProviderModel(DifyModel):
    """One model of a provider.

    ``status`` is ``active`` when usable (``no-configure``, ``quota-exceeded``,
    ``no-permission``… otherwise; an open set).
    """

    model: str
    label: I18nText | None = None
    model_type: str | None = None
    features: list[str] | None = None
    fetch_from: str | None = None
    model_properties: dict[str, JsonValue] | None = None
    status: str | None = None
    deprecated: bool | None = None
    load_balancing_enabled: bool | None = None
    has_invalid_load_balancing_configs: bool | None = None


class ModelProvider(DifyModel):
    """A model provider of the workspace and its models of the requested type."""

    provider: str
    label: I18nText | None = None
    icon_small: I18nText | None = None
    icon_small_dark: I18nText | None = None
    status: str | None = None
    tenant_id: str | None = None
    models: list[ProviderModel] = Field(default_factory=list)
