"""``respan_context``: Respan parameters for every call made inside a block.

Built on :func:`difykit_core.call_context`: the parameters travel in the per-call context under
the key :data:`CONTEXT_KEY`, captured when a call is made, so a stream iterated elsewhere (another
task, another thread) keeps the parameters of the block it was made in.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import cast

from difykit_core import call_context, current_call_context

from ._params import params_dict

__all__ = ["CONTEXT_KEY", "current_respan_params", "merge_params", "respan_context"]

CONTEXT_KEY = "respan"
"""Where the Respan parameters live in ``CallInfo.context``."""

_MERGED = ("metadata", "properties")


def merge_params(outer: Mapping[str, object], inner: Mapping[str, object]) -> dict[str, object]:
    """``inner`` over ``outer``; ``metadata`` and ``properties`` are merged key by key."""
    merged = {**outer, **inner}
    for key in _MERGED:
        a, b = outer.get(key), inner.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            merged[key] = {**a, **b}
    return merged


def current_respan_params() -> Mapping[str, object]:
    """The Respan parameters a call made now would carry."""
    value = current_call_context().get(CONTEXT_KEY)
    # set by respan_context: a params_dict, keyed by field names
    return cast("Mapping[str, object]", value) if isinstance(value, Mapping) else {}


class respan_context:  # lower case, like contextlib's context managers
    """Set Respan parameters for the calls made inside a ``with`` (or ``async with``) block.

    Nested blocks merge (the inner value wins; ``metadata`` and ``properties`` merge key by
    key). Each thread and asyncio task sees its own, and a call keeps the parameters of the
    block it was made in.

    Example::

        with respan_context(session_identifier="s-1", metadata={"tenant": "acme"}):
            dify.chat.send(query="Hi", user="u1")

    Args:
        params: A :class:`RespanParams`, a respan-sdk params model or a dict, merged under the
            keyword arguments.
        **values: Any field of :class:`RespanParams` (``trace_unique_id``,
            ``session_identifier``, ``customer_identifier``, ``metadata``, ``disable_log``…).

    Raises:
        TypeError: ``params`` is not one of the accepted forms.
    """

    __slots__ = ("_cm", "_values")

    def __init__(self, params: object = None, /, **values: object) -> None:
        self._values = merge_params(params_dict(params), params_dict(values))
        self._cm: AbstractContextManager[Mapping[str, object]] | None = None

    def __enter__(self) -> Mapping[str, object]:
        merged = merge_params(current_respan_params(), self._values)
        self._cm = call_context(**{CONTEXT_KEY: merged})
        self._cm.__enter__()
        return merged

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> Mapping[str, object]:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
