"""Builder for the workspace's models (dataset key)."""

from __future__ import annotations

from difykit_core._call import Call
from difykit_core.models.knowledge.models import ModelProvider, ModelType
from difykit_core.models.pages import Page
from difykit_core.operations._build import path, require
from difykit_core.operations._knowledge import knowledge_call, page_parser

__all__ = ["list_models"]

_parse_providers = page_parser(Page[ModelProvider])


def list_models(model_type: ModelType) -> Call[Page[ModelProvider]]:
    """The workspace's models of one type, by provider (``GET …/models/model-types/{type}``).

    Use it to pick the ``embedding_model`` and ``embedding_model_provider`` of a knowledge
    base (``model_type="text-embedding"``) or a rerank model (``"rerank"``).

    Args:
        model_type: ``text-embedding``, ``rerank``, ``llm``, ``tts``, ``speech2text`` or
            ``moderation``.
    """
    require("models.list", model_type=model_type)
    return knowledge_call(
        "models.list",
        "GET",
        path("/workspaces/current/models/model-types/{type}", type=model_type),
        _parse_providers,
    )
