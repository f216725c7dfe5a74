"""Base classes for Dify's response and request models."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["DifyModel", "RequestModel"]


class DifyModel(BaseModel):
    """A response object from Dify.

    Fields Dify adds in later versions are kept (``extra="allow"``): they show up in
    ``model_extra`` and ``model_dump()``, so nothing Dify sends is lost, and nothing new
    breaks validation.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow", protected_namespaces=(), defer_build=True
    )


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, instances are immutable, and a float must be
    finite (JSON has no NaN or infinity: pydantic would send them as null)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid", frozen=True, protected_namespaces=(), defer_build=True, allow_inf_nan=False
    )
