"""The emulator's in-memory state for knowledge bases (filled in by the knowledge routes)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KnowledgeState"]


@dataclass
class KnowledgeState:
    """Datasets, documents, chunks, tags and metadata of the emulated workspace."""
