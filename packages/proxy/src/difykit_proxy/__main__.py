"""``python -m difykit_proxy``: the ``difykit-proxy`` CLI."""

from __future__ import annotations

from ._cli import main

raise SystemExit(main())
