"""Human Input forms: what a paused workflow asks a person to fill in."""

from __future__ import annotations

from pydantic import Field

from difykit_core._json import JsonValue

from ._base import DifyModel
from .workflow import HumanInputAction

__all__ = ["HumanInputField", "HumanInputForm"]


class HumanInputField(DifyModel):
    """One input of a Human Input form."""

    type: str | None = None
    """``paragraph``, ``select``, ``file``, ``file-list``… (an open set)."""
    output_variable_name: str | None = None
    """The key to use in ``inputs`` when submitting."""
    default: dict[str, JsonValue] | None = None
    option_source: dict[str, JsonValue] | None = None
    allowed_file_types: list[str] | None = None
    allowed_file_extensions: list[str] | None = None
    allowed_file_upload_methods: list[str] | None = None
    number_limits: int | None = None


class HumanInputForm(DifyModel):
    """A Human Input form waiting for an answer (``GET /form/human_input/{form_token}``)."""

    form_content: str | None = None
    """The form's text (markdown)."""
    inputs: list[HumanInputField] = Field(default_factory=list)
    resolved_default_values: dict[str, JsonValue] = Field(default_factory=dict)
    user_actions: list[HumanInputAction] = Field(default_factory=list)
    """The buttons; submit one of their ``id`` as ``action``."""
    expiration_time: int | None = None
    """When the form expires (epoch seconds)."""
