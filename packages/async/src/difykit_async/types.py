"""The result, event and request types of Dify's API (``difykit_core.types``, re-exported)."""

from __future__ import annotations

import difykit_core.types as _types

# Star import on purpose: this module mirrors whatever the installed core's ``types`` lists in
# its ``__all__`` (any core in the declared range), so its names are not repeated here.
from difykit_core.types import *  # noqa: F403  # pyright: ignore[reportWildcardImportFromLibrary]

__all__: list[str] = []
__all__ += _types.__all__
