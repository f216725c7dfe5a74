"""The ``datasets`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import datasets

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Datasets"]


class Datasets(Resource):
    """Knowledge bases: ``create``, ``list``, ``get``, ``update``, ``delete``, ``retrieve``."""

    create = endpoint(datasets.create_dataset)
    list = page_endpoint(datasets.list_datasets)
    get = endpoint(datasets.get_dataset)
    update = endpoint(datasets.update_dataset)
    delete = endpoint(datasets.delete_dataset)
    retrieve = endpoint(datasets.retrieve_chunks)
