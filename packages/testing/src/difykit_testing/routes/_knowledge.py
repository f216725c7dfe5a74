"""Every knowledge-key route (datasets, documents, chunks, tags, metadata, models, pipeline)."""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    """The knowledge routes, fixed paths (``/datasets/tags``…) before ``/datasets/{id}``."""
    from . import _chunks, _datasets, _documents, _metadata, _pipeline, _tags

    return [
        *_tags.routes(),
        *_pipeline.routes(),
        *_datasets.routes(),
        *_documents.routes(),
        *_chunks.routes(),
        *_metadata.routes(),
    ]
