"""The ``models`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import models

from difykit_async._binding import Resource, page_endpoint

__all__ = ["Models"]


class Models(Resource):
    """The workspace's models: ``list`` (e.g. embedding models for a knowledge base)."""

    list = page_endpoint(models.list_models)
