"""``SyncPage``: one page of a list that, iterated, walks every following page lazily."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from ._transport import Transport

if TYPE_CHECKING:
    from difykit_core import Call, Page

__all__ = ["SyncPage"]

T = TypeVar("T")


class SyncPage(Generic[T]):
    """A page of results; ``for item in page`` yields its items and those of the next pages.

    Pages are fetched only as iteration reaches them. ``data`` is this page's items only.
    """

    def __init__(self, transport: Transport, call: Call[Page[T]], page: Page[T]) -> None:
        self._transport = transport
        self._call = call
        self.raw = page
        """The page as Dify sent it (extra fields included)."""

    @property
    def data(self) -> list[T]:
        """This page's items."""
        return self.raw.data

    @property
    def has_more(self) -> bool:
        """Whether Dify says more items follow."""
        return self.raw.has_more

    @property
    def limit(self) -> int | None:
        """The page size."""
        return self.raw.limit

    @property
    def total(self) -> int | None:
        """The total number of items, for lists that report it."""
        return self.raw.total

    @property
    def page(self) -> int | None:
        """This page's number, for page/limit lists."""
        return self.raw.page

    def next_page(self) -> SyncPage[T] | None:
        """Fetch the following page, or ``None`` at the end."""
        if self._call.next_page is None:
            return None
        call = self._call.next_page(self.raw)
        if call is None:
            return None
        return SyncPage(self._transport, call, self._transport.execute(call))

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page and each following page."""
        page: SyncPage[T] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    def __repr__(self) -> str:
        return f"SyncPage(data=<{len(self.data)} items>, has_more={self.has_more})"
