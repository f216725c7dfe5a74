"""Annotations: curated question/answer pairs, and the jobs that switch annotation reply."""

from __future__ import annotations

from ._base import DifyModel

__all__ = ["Annotation", "AnnotationReplyJob"]


class Annotation(DifyModel):
    """A curated answer to a question; with annotation reply on, it answers instead of the model."""

    id: str
    question: str | None = None
    answer: str | None = None
    hit_count: int | None = None
    """How many times it answered a message."""
    created_at: int | None = None


class AnnotationReplyJob(DifyModel):
    """The background job that enables or disables annotation reply."""

    job_id: str
    job_status: str | None = None
    """``waiting``, ``processing``, ``completed`` or ``error`` (an open set)."""
    error_msg: str | None = None
