"""The ``app`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import app

from difykit_async._binding import Resource, endpoint

__all__ = ["App"]


class App(Resource):
    """The app itself: ``info``, ``parameters``, ``meta``, ``site``."""

    info = endpoint(app.get_info)
    parameters = endpoint(app.get_parameters)
    meta = endpoint(app.get_meta)
    site = endpoint(app.get_site)
