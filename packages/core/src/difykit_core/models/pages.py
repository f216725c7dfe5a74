"""List pages: cursor pages (``last_id``/``first_id``) and numbered pages (``page``/``limit``)."""

from __future__ import annotations

from typing import Generic, TypeVar

from ._base import DifyModel

__all__ = ["Page"]

ItemT = TypeVar("ItemT")


class Page(DifyModel, Generic[ItemT]):
    """One page of a list.

    ``total`` and ``page`` are set only by the lists that have them (datasets, documents,
    annotations, workflow logs…); cursor lists (conversations, messages) give ``has_more``.
    Dify's page lists compute ``has_more`` as ``len(data) == limit``, so the page after an
    exactly full last page may be empty.
    """

    data: list[ItemT]
    has_more: bool = False
    limit: int | None = None
    total: int | None = None
    page: int | None = None
    total_pages: int | None = None
