"""Builders for Human Input forms: read a paused run's form, and answer it."""

from __future__ import annotations

from pydantic import Field

from difykit_core._call import Call
from difykit_core._json import JsonObject
from difykit_core.models._base import RequestModel
from difykit_core.models.human_input import HumanInputForm

from ._build import (
    Inputs,
    build_body,
    call,
    empty_parser,
    model_parser,
    path,
    require,
    serialize_inputs,
)

__all__ = ["HumanInputSubmission", "get_form", "submit_form"]

_parse_form = model_parser(HumanInputForm)


class HumanInputSubmission(RequestModel):
    """Body of ``POST /form/human_input/{form_token}``."""

    inputs: JsonObject = Field(default_factory=dict)
    action: str = Field(min_length=1)
    user: str = Field(min_length=1)


def get_form(form_token: str) -> Call[HumanInputForm]:
    """Get a Human Input form (``GET /form/human_input/{form_token}``).

    The token is the ``form_token`` of a ``human_input_required`` event. Dify 1.13 and
    older have no such route (404).

    Args:
        form_token: The form's token.
    """
    require("human_input.get", form_token=form_token)
    return call(
        "human_input.get",
        "GET",
        path("/form/human_input/{form_token}", form_token=form_token),
        _parse_form,
    )


def submit_form(form_token: str, *, inputs: Inputs, action: str, user: str) -> Call[None]:
    """Answer a Human Input form; the paused run resumes (``POST /form/human_input/{token}``).

    Follow the resumed run with ``workflows.resume``. A form answered or expired already
    raises :class:`~difykit_core.errors.ConflictError` (412).

    Args:
        form_token: The form's token.
        inputs: A value for each form input, by ``output_variable_name``; file inputs take
            uploaded or remote files.
        action: The ``id`` of the chosen button (``user_actions``).
        user: The end user answering.
    """
    require("human_input.submit", form_token=form_token)
    body = build_body(
        HumanInputSubmission,
        "human_input.submit",
        {"inputs": serialize_inputs(inputs), "action": action, "user": user},
    )
    return call(
        "human_input.submit",
        "POST",
        path("/form/human_input/{form_token}", form_token=form_token),
        empty_parser,
        json=body.model_dump(mode="json"),
        user=user,
    )
