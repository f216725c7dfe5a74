"""Telling JSON objects and arrays apart in values parsed from requests or scripted by tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

__all__ = ["is_array", "is_object"]


def is_object(value: object) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``value`` is a JSON object: a mapping (its keys are strings, as JSON's are)."""
    return isinstance(value, Mapping)


def is_array(value: object) -> TypeGuard[list[Any]]:
    """Whether ``value`` is a JSON array: a list."""
    return isinstance(value, list)
