"""``EmulatorState``: what the routes see of an emulator, and nothing more.

``DifyEmulator`` owns one and puts it on its Starlette app's state; routes read it with
:func:`difykit_testing._requests.emulator_state`. This module imports nothing from
``_emulator.py`` (nor any route), so routes and the emulator do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._faults import Faults
from ._knowledge_state import KnowledgeState
from ._state import AppState

__all__ = ["EmulatorState"]


@dataclass
class EmulatorState:
    """The emulated workspace as the routes need it: apps by key, knowledge, faults."""

    apps_by_key: dict[str, AppState] = field(default_factory=dict)
    """Each app under its app key (``app-…``); its conversations, files and runs live on it."""
    dataset_keys: set[str] = field(default_factory=set)
    """The knowledge keys (``dataset-…``) the knowledge routes accept."""
    knowledge: KnowledgeState = field(default_factory=KnowledgeState)
    """Datasets, documents, chunks, tags, metadata and their files."""
    faults: Faults = field(default_factory=Faults)
    """Fault injection, read by the streaming routes (pacing, cuts, stalls, split)."""
