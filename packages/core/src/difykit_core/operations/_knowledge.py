"""What the knowledge-API builders share: bodies, dataset-key calls, list parsers, multipart."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from difykit_core._call import Call
from difykit_core._http import FilePart, HttpMethod, HttpRequest, HttpResponse
from difykit_core._json import JsonObject, JsonValue
from difykit_core.errors import InvalidRequestError
from difykit_core.models.pages import Page
from difykit_core.operations._build import build_body, call

__all__ = [
    "array_page_parser",
    "as_list",
    "body",
    "knowledge_call",
    "multipart_call",
    "not_blank",
    "page_parser",
]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def body(model: type[BaseModel], operation: str, **fields: Any) -> JsonObject:
    """Validate a request body (``None`` means "leave out") and dump it as JSON."""
    present = {k: v for k, v in fields.items() if v is not None}
    return build_body(model, operation, present).model_dump(mode="json", exclude_none=True)


def as_list(operation: str, name: str, value: object) -> list[Any]:
    """A list argument as a list, refusing a lone string or mapping (a common slip)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidRequestError(f"{operation}: `{name}` must be a list")
    return list(cast("Iterable[object]", value))


def not_blank(operation: str, name: str, value: object) -> None:
    """Refuse a string of only whitespace (an empty one is left to the request model)."""
    if isinstance(value, str) and value and not value.strip():
        raise InvalidRequestError(f"{operation}: `{name}` must not be blank")


def knowledge_call(
    operation: str,
    method: HttpMethod,
    url: str,
    parser: Callable[[HttpResponse], T],
    *,
    json: JsonValue | None = None,
    params: tuple[tuple[str, str], ...] = (),
    replayable: bool | None = None,
    next_page: Callable[[T], Call[T] | None] | None = None,
) -> Call[T]:
    """A call to a knowledge route: a 401 then says it needs a dataset key."""
    return call(
        operation,
        method,
        url,
        parser,
        key_family="knowledge",
        json=json,
        params=params,
        replayable=replayable,
        next_page=next_page,
    )


def multipart_call(
    operation: str,
    method: HttpMethod,
    url: str,
    parser: Callable[[HttpResponse], T],
    *,
    file: FilePart,
    data: JsonObject | None = None,
) -> Call[T]:
    """A multipart knowledge call: the ``file`` part, and ``data`` as a JSON string field.

    Dify reads ``data`` with ``json.loads(request.form["data"])``, so it is one form field
    holding JSON, not one field per setting.
    """
    form = () if data is None else (("data", json.dumps(data)),)
    return Call(
        operation=operation,
        request=HttpRequest(method=method, path=url, form=form, files=(("file", file),)),
        parser=parser,
        key_family="knowledge",
    )


def page_parser(
    model: type[Page[M]], *, fill_has_more: bool = False
) -> Callable[[HttpResponse], Page[M]]:
    """Parse a page; with ``fill_has_more``, derive ``has_more`` from ``page``/``total_pages``.

    Child chunk lists send ``total_pages`` and no ``has_more``.
    """
    validate = model.model_validate_json

    def parse(response: HttpResponse) -> Page[M]:
        page = validate(response.content)
        if fill_has_more and "has_more" not in page.model_fields_set:
            page.has_more = (page.page or 1) < (page.total_pages or 0)
        if page.total is None and page.limit is None and page.page is None:
            page.total = len(page.data)  # an unpaginated list: the page is everything
        return page

    return parse


def array_page_parser(model: type[Page[M]]) -> Callable[[HttpResponse], Page[M]]:
    """Parse a bare JSON array (tags, datasource plugins) into one complete page."""
    validate = model.model_validate

    def parse(response: HttpResponse) -> Page[M]:
        items = json.loads(response.content)
        if not isinstance(items, list):
            raise ValueError(f"expected a JSON array, got {type(items).__name__}")
        rows = cast("list[JsonValue]", items)  # a JSON array
        return validate({"data": rows, "has_more": False, "total": len(rows)})

    return parse
