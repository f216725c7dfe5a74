"""The ``human_input`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import human_input

from difykit_async._binding import Resource, endpoint

__all__ = ["HumanInput"]


class HumanInput(Resource):
    """Human Input forms of paused runs: ``get``, ``submit``."""

    get = endpoint(human_input.get_form)
    submit = endpoint(human_input.submit_form)
