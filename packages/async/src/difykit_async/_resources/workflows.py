"""The ``workflows`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import workflows

from difykit_async._binding import Resource, endpoint, page_endpoint, stream_endpoint

__all__ = ["Workflows"]


class Workflows(Resource):
    """Workflow apps: ``run``, ``stream``, ``stop``, ``get_run``, ``logs``, ``resume``."""

    run = endpoint(workflows.run_workflow)
    stream = stream_endpoint(workflows.stream_workflow)
    stop = endpoint(workflows.stop_workflow)
    get_run = endpoint(workflows.get_run)
    logs = page_endpoint(workflows.list_logs)
    resume = stream_endpoint(workflows.resume_workflow)
