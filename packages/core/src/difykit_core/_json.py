"""JSON value types shared by request and response models."""

from __future__ import annotations

from typing import TypeAlias

from pydantic import JsonValue

__all__ = ["JsonObject", "JsonValue"]

JsonObject: TypeAlias = dict[str, JsonValue]
"""A JSON object."""
