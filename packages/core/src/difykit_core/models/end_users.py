"""End users: who Dify created for each ``user`` string your app sent."""

from __future__ import annotations

from datetime import datetime

from ._base import DifyModel

__all__ = ["EndUser"]


class EndUser(DifyModel):
    """An end user (``GET /end-users/{id}``).

    Responses name end users by this internal id (``created_by``, ``from_end_user_id``);
    ``session_id`` and ``external_user_id`` hold the ``user`` string your app sent.
    """

    id: str
    tenant_id: str | None = None
    app_id: str | None = None
    type: str | None = None
    """``service-api`` for users created through the Service API."""
    external_user_id: str | None = None
    name: str | None = None
    is_anonymous: bool | None = None
    session_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
