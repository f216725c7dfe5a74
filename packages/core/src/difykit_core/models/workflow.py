"""Workflow runs: the blocking result, run details, logs, and the payloads of workflow events."""

from __future__ import annotations

from difykit_core._json import JsonValue

from ._base import DifyModel

__all__ = [
    "HumanInputAction",
    "NodeExecution",
    "WorkflowLog",
    "WorkflowLogRun",
    "WorkflowRun",
    "WorkflowRunData",
    "WorkflowRunDetail",
]


class WorkflowRunData(DifyModel):
    """The state of a workflow run (``data`` of a blocking run and of ``workflow_finished``).

    ``status`` is one of ``running``, ``succeeded``, ``failed``, ``stopped``,
    ``partial-succeeded`` or ``paused`` (an open set: later Dify versions may add more).
    A failed run is not an HTTP error: check ``status`` and ``error``.
    """

    id: str | None = None
    """The run id (``workflow_paused`` gives ``workflow_run_id`` instead)."""
    workflow_run_id: str | None = None
    workflow_id: str | None = None
    status: str
    outputs: dict[str, JsonValue] | None = None
    error: str | None = None
    elapsed_time: float | None = None
    total_tokens: int | None = None
    total_steps: int | None = None
    created_at: int | None = None
    finished_at: int | None = None
    exceptions_count: int | None = None
    created_by: dict[str, JsonValue] | None = None
    files: list[JsonValue] | None = None
    paused_nodes: list[JsonValue] | None = None
    reasons: list[JsonValue] | None = None


class WorkflowRun(DifyModel):
    """Result of ``workflows.run()`` (and of ``workflows.stream(...).collect()``)."""

    task_id: str | None = None
    workflow_run_id: str
    data: WorkflowRunData

    @property
    def status(self) -> str:
        """The run's status (``succeeded``, ``failed``, ``stopped``, ``paused``…)."""
        return self.data.status

    @property
    def outputs(self) -> dict[str, JsonValue]:
        """The run's outputs (empty when it failed or paused)."""
        return self.data.outputs or {}


class WorkflowRunDetail(DifyModel):
    """A stored workflow run (``GET /workflows/run/{id}``).

    ``inputs`` is an object on some Dify versions and a JSON string on others; both are kept.
    """

    id: str
    workflow_id: str | None = None
    status: str
    inputs: dict[str, JsonValue] | str | None = None
    outputs: dict[str, JsonValue] | str | None = None
    error: str | None = None
    total_steps: int | None = None
    total_tokens: int | None = None
    created_at: int | None = None
    finished_at: int | None = None
    elapsed_time: float | None = None


class WorkflowLogRun(DifyModel):
    """The run inside a workflow log entry."""

    id: str
    version: str | None = None
    status: str | None = None
    triggered_from: str | None = None
    error: str | None = None
    elapsed_time: float | None = None
    total_tokens: int | None = None
    total_steps: int | None = None
    created_at: int | None = None
    finished_at: int | None = None
    exceptions_count: int | None = None


class WorkflowLog(DifyModel):
    """One entry of ``GET /workflows/logs``."""

    id: str
    workflow_run: WorkflowLogRun | None = None
    details: JsonValue = None
    created_from: str | None = None
    created_by_role: str | None = None
    created_by_account: dict[str, JsonValue] | None = None
    created_by_end_user: dict[str, JsonValue] | None = None
    created_at: int | None = None


class NodeExecution(DifyModel):
    """A node execution inside node, iteration and loop events (``data``)."""

    id: str | None = None
    node_id: str | None = None
    node_type: str | None = None
    title: str | None = None
    index: int | None = None
    predecessor_node_id: str | None = None
    inputs: dict[str, JsonValue] | None = None
    process_data: dict[str, JsonValue] | None = None
    outputs: dict[str, JsonValue] | None = None
    status: str | None = None
    """``running``, ``succeeded``, ``failed``, ``exception``, ``stopped``, ``retry``… (open set)."""
    error: str | None = None
    elapsed_time: float | None = None
    execution_metadata: dict[str, JsonValue] | None = None
    created_at: int | None = None
    finished_at: int | None = None
    iteration_id: str | None = None
    loop_id: str | None = None
    retry_index: int | None = None


class HumanInputAction(DifyModel):
    """A button of a Human Input form."""

    id: str
    title: str | None = None
    button_style: str | None = None
