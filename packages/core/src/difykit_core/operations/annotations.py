"""Builders for annotations (curated answers) and the annotation-reply switch."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from difykit_core._call import Call
from difykit_core.errors import InvalidRequestError
from difykit_core.models._base import RequestModel
from difykit_core.models.annotations import Annotation, AnnotationReplyJob
from difykit_core.models.pages import Page

from ._build import (
    build_body,
    call,
    empty_parser,
    model_parser,
    numbered_next,
    path,
    query,
    require,
)

__all__ = [
    "AnnotationReplySettings",
    "AnnotationRequest",
    "create_annotation",
    "delete_annotation",
    "disable_reply",
    "enable_reply",
    "list_annotations",
    "reply_status",
    "update_annotation",
]

ReplyAction = Literal["enable", "disable"]

_parse_annotations = model_parser(Page[Annotation])
_parse_annotation = model_parser(Annotation)
_parse_job = model_parser(AnnotationReplyJob)


class AnnotationRequest(RequestModel):
    """Body of ``POST /apps/annotations`` and ``PUT /apps/annotations/{id}``."""

    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)


class AnnotationReplySettings(RequestModel):
    """Body of ``POST /apps/annotation-reply/{action}`` (Dify needs all three, even to disable)."""

    embedding_provider_name: str = Field(min_length=1)
    embedding_model_name: str = Field(min_length=1)
    score_threshold: float


def list_annotations(
    *, page: int | None = None, limit: int | None = None, keyword: str | None = None
) -> Call[Page[Annotation]]:
    """List the app's annotations (``GET /apps/annotations``).

    Iterating the returned page walks the following pages.

    Args:
        page: The page number, from 1.
        limit: Page size (Dify's default: 20).
        keyword: Only annotations whose question or answer contains it.
    """

    def fetch(number: int) -> Call[Page[Annotation]]:
        return list_annotations(page=number, limit=limit, keyword=keyword)

    return call(
        "annotations.list",
        "GET",
        "/apps/annotations",
        _parse_annotations,
        params=query(page=page, limit=limit, keyword=keyword),
        next_page=numbered_next(fetch),
    )


def create_annotation(*, question: str, answer: str) -> Call[Annotation]:
    """Add an annotation (``POST /apps/annotations``).

    Args:
        question: The question it answers.
        answer: The answer to give.
    """
    body = build_body(
        AnnotationRequest, "annotations.create", {"question": question, "answer": answer}
    )
    return call(
        "annotations.create",
        "POST",
        "/apps/annotations",
        _parse_annotation,
        json=body.model_dump(mode="json"),
    )


def update_annotation(annotation_id: str, *, question: str, answer: str) -> Call[Annotation]:
    """Change an annotation (``PUT /apps/annotations/{annotation_id}``).

    Args:
        annotation_id: The annotation's id.
        question: The new question.
        answer: The new answer.
    """
    require("annotations.update", annotation_id=annotation_id)
    body = build_body(
        AnnotationRequest, "annotations.update", {"question": question, "answer": answer}
    )
    return call(
        "annotations.update",
        "PUT",
        path("/apps/annotations/{annotation_id}", annotation_id=annotation_id),
        _parse_annotation,
        json=body.model_dump(mode="json"),
        replayable=True,
    )


def delete_annotation(annotation_id: str) -> Call[None]:
    """Delete an annotation (``DELETE /apps/annotations/{annotation_id}``).

    Args:
        annotation_id: The annotation's id.
    """
    require("annotations.delete", annotation_id=annotation_id)
    return call(
        "annotations.delete",
        "DELETE",
        path("/apps/annotations/{annotation_id}", annotation_id=annotation_id),
        empty_parser,
    )


def _reply(
    action: ReplyAction,
    embedding_provider_name: str,
    embedding_model_name: str,
    score_threshold: float,
) -> Call[AnnotationReplyJob]:
    operation = f"annotations.{action}_reply"
    body = build_body(
        AnnotationReplySettings,
        operation,
        {
            "embedding_provider_name": embedding_provider_name,
            "embedding_model_name": embedding_model_name,
            "score_threshold": score_threshold,
        },
    )
    return call(
        operation,
        "POST",
        path("/apps/annotation-reply/{action}", action=action),
        _parse_job,
        json=body.model_dump(mode="json"),
    )


def enable_reply(
    *, embedding_provider_name: str, embedding_model_name: str, score_threshold: float
) -> Call[AnnotationReplyJob]:
    """Turn annotation reply on: matching questions get the annotation's answer.

    ``POST /apps/annotation-reply/enable`` starts a background job; follow it with
    ``reply_status(job.job_id, action="enable")``.

    Args:
        embedding_provider_name: The embedding model's provider (e.g. ``openai``).
        embedding_model_name: The embedding model (e.g. ``text-embedding-3-small``).
        score_threshold: How similar a question must be to an annotation's (0 to 1).
    """
    return _reply("enable", embedding_provider_name, embedding_model_name, score_threshold)


def disable_reply(
    *, embedding_provider_name: str, embedding_model_name: str, score_threshold: float
) -> Call[AnnotationReplyJob]:
    """Turn annotation reply off (``POST /apps/annotation-reply/disable``).

    Dify requires the same settings as to enable it. Follow the job with
    ``reply_status(job.job_id, action="disable")``.

    Args:
        embedding_provider_name: The embedding model's provider.
        embedding_model_name: The embedding model.
        score_threshold: The similarity threshold (0 to 1).
    """
    return _reply("disable", embedding_provider_name, embedding_model_name, score_threshold)


def reply_status(job_id: str, *, action: ReplyAction) -> Call[AnnotationReplyJob]:
    """The status of an annotation-reply job (``GET /apps/annotation-reply/{action}/status/{id}``).

    Args:
        job_id: The ``job_id`` that ``enable_reply`` or ``disable_reply`` returned.
        action: ``enable`` or ``disable``, as the job was started.
    """
    require("annotations.reply_status", job_id=job_id)
    if action not in ("enable", "disable"):
        raise InvalidRequestError(
            f"annotations.reply_status: `action` must be 'enable' or 'disable', not {action!r}"
        )
    return call(
        "annotations.reply_status",
        "GET",
        path("/apps/annotation-reply/{action}/status/{job_id}", action=action, job_id=job_id),
        _parse_job,
    )
