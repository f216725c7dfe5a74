"""The earlier exporter's request shapes → difykit keyword arguments.

``chat_messages``, ``completion_messages`` and ``run_workflows`` take a request model of
``dify-client-python`` (``ChatRequest``, ``CompletionRequest``, ``WorkflowsRunRequest``), of
difykit (``difykit_core.operations.chat.ChatRequest``…), or a dict with Dify's field names.
``response_mode`` decides blocking or streaming (difykit's models have none: blocking).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal, cast

__all__ = ["Kind", "request_arguments"]

logger = logging.getLogger("difykit.respan")

Kind = Literal["chat", "completion", "workflow"]

_ACCEPTED: dict[Kind, frozenset[str]] = {
    "chat": frozenset(
        {"query", "user", "inputs", "conversation_id", "files", "auto_generate_name", "workflow_id"}
    ),
    "completion": frozenset({"query", "user", "inputs", "files"}),
    "workflow": frozenset({"user", "inputs", "files", "workflow_id"}),
}
_EMPTY_MEANS_ABSENT = frozenset({"conversation_id", "files", "query"})
_IGNORED = frozenset({"conversation_id"})
"""Fields an earlier request model may carry that the target call has no use for."""


def request_arguments(req: object, kind: Kind) -> tuple[dict[str, object], bool]:
    """The keyword arguments of the difykit call for ``req``, and whether to stream.

    Args:
        req: A request model of either library, or a mapping of Dify's fields.
        kind: Which call it is for.

    Returns:
        ``(arguments, streaming)``.

    Raises:
        TypeError: ``req`` is neither a model nor a mapping, or has a field the call does
            not take.
    """
    fields = _fields(req)
    mode = fields.pop("response_mode", None)
    streaming = str(getattr(mode, "value", mode)) == "streaming"
    accepted = _ACCEPTED[kind]
    arguments: dict[str, object] = {}
    for key, value in fields.items():
        if value is None or (key in _EMPTY_MEANS_ABSENT and value in ("", [], {})):
            continue
        if key not in accepted:
            if key in _IGNORED:
                logger.debug("%s request: %s is not used by this call; ignored", kind, key)
                continue
            raise TypeError(f"{kind} request: unexpected field {key!r}")
        arguments[key] = value
    return arguments, streaming


def _fields(req: object) -> dict[str, object]:
    if isinstance(req, Mapping):
        return {str(k): v for k, v in cast("Mapping[object, object]", req).items()}
    dump = getattr(req, "model_dump", None)
    if callable(dump):
        dumped = dump(mode="json", exclude_none=True)
        if isinstance(dumped, Mapping):
            return {str(k): v for k, v in cast("Mapping[object, object]", dumped).items()}
    raise TypeError(
        "req must be a request model (dify-client-python or difykit) or a dict of Dify's "
        f"fields, not {type(req).__name__}"
    )
