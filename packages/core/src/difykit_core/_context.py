"""Per-call context: values a wrapper attaches to the calls made inside a block.

A call captures the context when it is made (a stream: when the method returns it), so a stream
iterated elsewhere keeps the context it was made in. Observers read it as ``CallInfo.context``.
That is how per-call parameters (the Respan exporter's ``respan_params``) travel without any
change to the SDK's method signatures.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

__all__ = ["call_context", "current_call_context"]

_EMPTY: Mapping[str, object] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("difykit_call_context", default=_EMPTY)


@contextmanager
def call_context(**values: object) -> Generator[Mapping[str, object], None, None]:
    """Attach ``values`` to every call made inside the block (sync or async code).

    Nested blocks merge, the inner value winning for a key; leaving a block restores the outer
    context. Each asyncio task and thread sees its own.

    Example::

        with call_context(tenant="acme"):
            dify.chat.send(query="Hi", user="u1")  # observers see call.context["tenant"]
    """
    merged = MappingProxyType({**_CONTEXT.get(), **values})
    token = _CONTEXT.set(merged)
    try:
        yield merged
    finally:
        _CONTEXT.reset(token)


def current_call_context() -> Mapping[str, object]:
    """The context a call made now would capture (read-only)."""
    return _CONTEXT.get()
