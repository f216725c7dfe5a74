"""``AsyncPage``: one page of a list that, iterated, walks every following page lazily."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Generic, TypeVar

from ._transport import Transport

if TYPE_CHECKING:
    from difykit_core import Call, Page

__all__ = ["AsyncPage"]

T = TypeVar("T")


class AsyncPage(Generic[T]):
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

    async def next_page(self) -> AsyncPage[T] | None:
        """Fetch the following page, or ``None`` at the end."""
        if self._call.next_page is None:
            return None
        call = self._call.next_page(self.raw)
        if call is None:
            return None
        return AsyncPage(self._transport, call, await self._transport.execute(call))

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        """This page and each following page."""
        page: AsyncPage[T] | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item

    def __repr__(self) -> str:
        return f"AsyncPage(data=<{len(self.data)} items>, has_more={self.has_more})"
