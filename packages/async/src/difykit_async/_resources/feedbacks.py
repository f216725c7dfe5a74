"""The ``feedbacks`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import feedbacks

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Feedbacks"]


class Feedbacks(Resource):
    """Feedback on messages: ``create``, ``list``."""

    create = endpoint(feedbacks.create_feedback)
    list = page_endpoint(feedbacks.list_feedbacks)
