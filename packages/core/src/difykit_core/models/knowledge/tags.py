"""Knowledge tags: labels that group knowledge bases."""

from __future__ import annotations

from difykit_core.models._base import DifyModel

__all__ = ["KnowledgeTag"]


class KnowledgeTag(DifyModel):
    """A knowledge-type tag (``tags.list``, ``tags.create``, and a dataset's ``tags``).

    ``binding_count`` (how many knowledge bases carry the tag) is a string in Dify's docs and
    ``null`` or a number on some servers; ``tags.of_dataset`` gives only ``id`` and ``name``.
    """

    id: str
    name: str | None = None
    type: str | None = None
    """``knowledge`` for these tags."""
    binding_count: int | str | None = None
