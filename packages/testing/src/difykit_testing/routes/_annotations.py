"""Annotations (``/apps/annotations``) and the annotation-reply switch and its jobs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import new_id
from difykit_testing._requests import app_for, json_body
from difykit_testing._state import AppState, StoredAnnotation
from difykit_testing.routes._common import query_model

__all__ = ["annotation_json", "routes"]

_ACTIONS = ("enable", "disable")


class AnnotationCreatePayload(BaseModel):
    question: str
    answer: str


class AnnotationReplyActionPayload(BaseModel):
    score_threshold: float
    embedding_provider_name: str
    embedding_model_name: str


class AnnotationListQuery(BaseModel):
    page: int = Field(default=1, ge=1)
    limit: int = Field(default=20, ge=1)
    keyword: str = ""


def annotation_json(annotation: StoredAnnotation) -> dict[str, Any]:
    """An annotation as Dify sends it (recording 35)."""
    return {
        "id": annotation.id,
        "question": annotation.question,
        "answer": annotation.answer,
        "hit_count": annotation.hit_count,
        "created_at": annotation.created_at,
    }


def _annotation(app: AppState, request: Request) -> StoredAnnotation:
    annotation = app.annotations.get(str(request.path_params["annotation_id"]))
    if annotation is None:
        raise DifyHTTPError(404, "not_found", "Annotation not found")
    return annotation


async def list_annotations(request: Request) -> JSONResponse:
    """``GET /apps/annotations``: newest first; ``has_more`` is ``len(page) == limit`` (Dify)."""
    app = app_for(request)
    query = query_model(request, AnnotationListQuery)
    keyword = query.keyword.lower()
    matching = [
        a
        for a in reversed(app.annotations.values())
        if keyword in a.question.lower() or keyword in a.answer.lower()
    ]
    start = (query.page - 1) * query.limit
    page = matching[start : start + query.limit]
    return JSONResponse(
        {
            "data": [annotation_json(a) for a in page],
            "has_more": len(page) == query.limit,
            "limit": query.limit,
            "total": len(matching),
            "page": query.page,
        }
    )


async def create_annotation(request: Request) -> JSONResponse:
    """``POST /apps/annotations``: 201 with the new annotation."""
    app = app_for(request)
    payload = await json_body(request, AnnotationCreatePayload)
    annotation = StoredAnnotation(question=payload.question, answer=payload.answer)
    app.annotations[annotation.id] = annotation
    return JSONResponse(annotation_json(annotation), status_code=201)


async def update_annotation(request: Request) -> JSONResponse:
    """``PUT /apps/annotations/{annotation_id}``: a new question and answer."""
    app = app_for(request)
    payload = await json_body(request, AnnotationCreatePayload)
    annotation = _annotation(app, request)
    annotation.question = payload.question
    annotation.answer = payload.answer
    return JSONResponse(annotation_json(annotation))


async def delete_annotation(request: Request) -> Response:
    """``DELETE /apps/annotations/{annotation_id}``: 204 with an empty body."""
    app = app_for(request)
    annotation = _annotation(app, request)
    del app.annotations[annotation.id]
    return Response(status_code=204, media_type="application/json")


async def reply_action(request: Request) -> JSONResponse:
    """``POST /apps/annotation-reply/{action}``: a job that (the emulator at once) completes."""
    app = app_for(request)
    payload = await json_body(request, AnnotationReplyActionPayload)
    action = request.path_params["action"]
    if action not in _ACTIONS:
        raise DifyHTTPError(400, "invalid_param", "Unsupported annotation reply action")
    app.annotation_reply = payload.model_dump() if action == "enable" else None
    job_id = new_id()
    app.annotation_jobs[job_id] = action
    return JSONResponse({"job_id": job_id, "job_status": "waiting"})


async def reply_status(request: Request) -> JSONResponse:
    """``GET /apps/annotation-reply/{action}/status/{job_id}``: ``completed``."""
    app = app_for(request)
    job_id = str(request.path_params["job_id"])
    if app.annotation_jobs.get(job_id) != request.path_params["action"]:
        raise DifyHTTPError(400, "invalid_param", "The job does not exist.")
    return JSONResponse({"job_id": job_id, "job_status": "completed", "error_msg": ""})


def routes() -> list[BaseRoute]:
    """The annotation routes."""
    one = "/apps/annotations/{annotation_id:uuid}"
    return [
        Route("/apps/annotations", list_annotations, methods=["GET"]),
        Route("/apps/annotations", create_annotation, methods=["POST"]),
        Route(one, update_annotation, methods=["PUT"]),
        Route(one, delete_annotation, methods=["DELETE"]),
        Route("/apps/annotation-reply/{action}", reply_action, methods=["POST"]),
        Route(
            "/apps/annotation-reply/{action}/status/{job_id:uuid}",
            reply_status,
            methods=["GET"],
        ),
    ]
