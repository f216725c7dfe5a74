"""Per-call Respan parameters: what a caller may set, and the whitelist that reaches Respan.

``respan_params`` may be respan-sdk's ``RespanParams`` / ``RespanLogParams`` (only the fields
the caller set are read, so the SDK's non-``None`` defaults such as ``field_name`` never leak),
a plain mapping, or difykit's own :class:`RespanParams` dataclass. Whatever the form, only the
keys in :data:`FORWARDED` are kept; the rest is dropped with one debug log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import cast

__all__ = ["FORWARDED", "RespanParams", "params_dict"]

logger = logging.getLogger("difykit.respan")

FORWARDED: frozenset[str] = frozenset(
    {
        "trace_unique_id",
        "trace_name",
        "span_unique_id",
        "span_parent_id",
        "span_name",
        "span_workflow_name",
        "session_identifier",
        "customer_identifier",
        "customer_params",
        "metadata",
        "properties",
        "custom_identifier",
        "group_identifier",
        "trace_group_identifier",
        "disable_log",
        "prompt_unit_price",
        "completion_unit_price",
        "environment",
        "sample",
    }
)
"""The parameters forwarded to Respan (respan-notes §6.1), plus difykit's ``sample``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RespanParams:
    """Respan parameters for one call or a block of calls (every field optional).

    Example::

        client.chat_messages(req, respan_params=RespanParams(session_identifier="s-1"))
    """

    trace_unique_id: str | None = None
    """Put the call in this trace (default: each call is its own trace)."""
    trace_name: str | None = None
    span_unique_id: str | None = None
    """The root span's id (default: derived from the trace and the call)."""
    span_parent_id: str | None = None
    """Nest the call's root span under a span of yours."""
    span_name: str | None = None
    span_workflow_name: str | None = None
    session_identifier: str | None = None
    """Default: Dify's ``conversation_id``."""
    customer_identifier: str | None = None
    """Default: Dify's ``user``."""
    customer_params: Mapping[str, object] | None = None
    metadata: Mapping[str, object] | None = None
    """Merged into the log's metadata (values become strings)."""
    properties: Mapping[str, object] | None = None
    custom_identifier: str | None = None
    group_identifier: str | None = None
    trace_group_identifier: str | None = None
    prompt_unit_price: float | None = None
    completion_unit_price: float | None = None
    environment: str | None = None
    disable_log: bool | None = None
    """``True``: send nothing for this call."""
    sample: bool | None = None
    """Force the sampling decision for this call (``True`` keeps it, ``False`` drops it)."""


def params_dict(params: object) -> dict[str, object]:
    """The whitelisted, explicitly set parameters of ``params``.

    Args:
        params: ``None``, a mapping, a :class:`RespanParams`, or a pydantic model such as
            respan-sdk's ``RespanParams``/``RespanLogParams`` (its set fields only).

    Returns:
        A new dict holding only the keys of :data:`FORWARDED` whose value is not ``None``.

    Raises:
        TypeError: ``params`` is none of the accepted forms.
    """
    if params is None:
        return {}
    raw: Mapping[str, object]
    if isinstance(params, Mapping):
        raw = cast("Mapping[str, object]", params)  # any other key is not in FORWARDED: dropped
    elif isinstance(params, RespanParams):
        raw = {f.name: getattr(params, f.name) for f in fields(params)}
    elif callable(getattr(params, "model_dump", None)):
        raw = _model_fields(params)
    else:
        raise TypeError(
            "respan_params must be a dict, a difykit_exporter_respan.RespanParams or a "
            f"respan-sdk params model, not {type(params).__name__}"
        )
    kept = {k: v for k, v in raw.items() if k in FORWARDED and v is not None}
    dropped = sorted(str(k) for k, v in raw.items() if k not in FORWARDED and v is not None)
    if dropped:
        logger.debug("respan_params: not forwarded to Respan: %s", ", ".join(dropped))
    return kept


def _model_fields(model: object) -> dict[str, object]:
    """The fields a pydantic model was given (never its defaults)."""
    dumped: object = model.model_dump()  # type: ignore[attr-defined]  # checked by the caller
    if not isinstance(dumped, Mapping):
        return {}
    fields_given = cast("Mapping[str, object]", dumped)  # model_dump: a dict keyed by field names
    given: object = getattr(model, "model_fields_set", None)
    if isinstance(given, (set, frozenset)):
        return {k: v for k, v in fields_given.items() if k in given}
    return dict(fields_given)
