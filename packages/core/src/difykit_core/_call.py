"""``Call`` and ``StreamCall``: a request description plus the pure code that reads its answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from ._http import HttpRequest, HttpResponse
from .errors import KeyFamily, ResponseValidationError, error_from_response

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._stream import StreamProtocol
    from .models.events import BaseEvent
    from .models.files import UploadedFile

__all__ = ["Call", "StreamCall"]

T = TypeVar("T")
E = TypeVar("E", bound="BaseEvent")
R = TypeVar("R")


@dataclass(slots=True, kw_only=True)
class Operation:
    """What :class:`Call` and :class:`StreamCall` share: the request and how to send it."""

    operation: str
    """The endpoint's name, e.g. ``"chat.send"`` (what observers and errors report)."""
    request: HttpRequest
    key_family: KeyFamily = "app"
    user: str | None = None
    replayable: bool = False
    """Whether sending it twice is harmless, so it may be retried after a lost answer."""
    uploads: tuple[Call[UploadedFile], ...] = ()
    """Local files to upload first; their results go to :meth:`with_uploads`."""
    complete: Callable[[Sequence[UploadedFile]], HttpRequest] | None = None

    def with_uploads(self, uploaded: Sequence[UploadedFile]) -> Self:
        """The same call with its local files replaced by their uploaded versions."""
        if self.complete is None:
            return self
        return replace(self, request=self.complete(uploaded), uploads=(), complete=None)

    def raise_for_status(self, response: HttpResponse, *, api_key: str | None = None) -> None:
        """Raise the mapped :class:`~difykit_core.errors.APIStatusError` for a non-2xx answer."""
        if not 200 <= response.status_code < 300:
            raise error_from_response(
                response.status_code,
                response.headers,
                response.content,
                key_family=self.key_family,
                api_key=api_key,
                route=(self.request.method, self.request.path),
            )


@dataclass(slots=True, kw_only=True)
class Call(Operation, Generic[T]):
    """A request and the parser of its answer (treat as immutable, like ``HttpRequest``)."""

    parser: Callable[[HttpResponse], T]
    next_page: Callable[[T], Call[T] | None] | None = None
    """For lists: the call that fetches the page after a given page, or ``None`` at the end."""
    legacy: Call[T] | None = None
    """The same operation on the route an older Dify serves, sent instead when the server
    answers 405 (and from then on by that client), e.g. ``POST …/update-by-file`` on 1.13."""

    def parse(self, response: HttpResponse, *, api_key: str | None = None, base_url: str = "") -> T:
        """Turn Dify's answer into the result, raising the mapped error for an error answer."""
        self.raise_for_status(response, api_key=api_key)
        try:
            return self.parser(response)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ResponseValidationError(
                f"{self.operation}: the answer of {self.request.method} "
                f"{base_url}{self.request.path} (HTTP {response.status_code}) does not match "
                f"the expected shape; is base_url a Dify Service API? {exc}"
            ) from exc


@dataclass(slots=True, kw_only=True)
class StreamCall(Operation, Generic[E, R]):
    """A streaming request: how to read its events and how to collect them into a result."""

    protocol: StreamProtocol[E, R]
