"""The ``pipeline`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import pipeline

from difykit_async._binding import Resource, endpoint, stream_endpoint

__all__ = ["Pipeline"]


class Pipeline(Resource):
    """Knowledge pipelines: ``upload_file``, ``datasource_plugins``, ``run_datasource_node``,
    ``run`` and ``stream``."""

    upload_file = endpoint(pipeline.upload_pipeline_file)
    datasource_plugins = endpoint(pipeline.list_datasource_plugins)
    run_datasource_node = stream_endpoint(pipeline.run_datasource_node)
    run = endpoint(pipeline.run_pipeline)
    stream = stream_endpoint(pipeline.stream_pipeline)
