"""Documents: create and update (text or file), list, get, delete, indexing status, status
actions, and downloads (a signed URL per document, a zip of several)."""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid
import zipfile
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from difykit_testing._errors import DifyHTTPError
from difykit_testing._ids import now
from difykit_testing._knowledge_state import (
    DOCUMENT_EXTENSIONS,
    Dataset,
    Document,
    KnowledgeFile,
    KnowledgeState,
)
from difykit_testing._knowledge_state import ProcessRule as StoredRule
from difykit_testing._requests import emulator_state, json_body
from difykit_testing.routes._datasets import RetrievalModel
from difykit_testing.routes._knowledge_views import (
    dataset_for,
    document_detail_json,
    document_json,
    no_content,
    page_params,
    path_id,
)

__all__ = ["routes"]

_DOC_FORMS = ("text_model", "qa_model", "hierarchical_model")
_ACTIONS = ("enable", "disable", "archive", "un_archive")
_UPLOAD_LIMIT = 15 * 1024 * 1024
_DISPLAY_ALIASES = {"active": "available", "enabled": "available"}
_DISPLAY_STATUSES = {"queuing", "indexing", "paused", "error", "available", "disabled", "archived"}


class PreProcessingRule(BaseModel):
    id: str
    enabled: bool


class Segmentation(BaseModel):
    separator: str = "\n"
    max_tokens: int | None = None
    chunk_overlap: int = 0


class Rule(BaseModel):
    pre_processing_rules: list[PreProcessingRule] | None = None
    segmentation: Segmentation | None = None
    parent_mode: Literal["full-doc", "paragraph"] | None = None
    subchunk_segmentation: Segmentation | None = None


class ProcessRule(BaseModel):
    mode: Literal["automatic", "custom", "hierarchical"]
    rules: Rule | None = None


def _doc_form(value: str) -> str:
    if value not in _DOC_FORMS:
        raise ValueError("Invalid doc_form.")
    return value


class DocumentTextCreatePayload(BaseModel):
    name: str
    text: str
    process_rule: ProcessRule | None = None
    original_document_id: str | None = None
    doc_form: str = "text_model"
    doc_language: str = "English"
    indexing_technique: Literal["high_quality", "economy"] | None = None
    retrieval_model: RetrievalModel | None = None
    embedding_model: str | None = None
    embedding_model_provider: str | None = None

    _check_doc_form = field_validator("doc_form")(_doc_form)


class DocumentTextUpdate(BaseModel):
    name: str | None = None
    text: str | None = None
    process_rule: ProcessRule | None = None
    doc_form: str = "text_model"
    doc_language: str = "English"
    retrieval_model: RetrievalModel | None = None

    _check_doc_form = field_validator("doc_form")(_doc_form)

    @model_validator(mode="after")
    def _name_with_text(self) -> DocumentTextUpdate:
        if self.text is not None and self.name is None:
            raise ValueError("name is required when text is provided")
        return self


class KnowledgeConfig(BaseModel):
    """The ``data`` field of the multipart routes (Dify validates it with this class)."""

    indexing_technique: Literal["high_quality", "economy"] | None = None
    process_rule: ProcessRule | None = None
    retrieval_model: RetrievalModel | None = None
    doc_form: str = "text_model"
    doc_language: str = "English"
    embedding_model: str | None = None
    embedding_model_provider: str | None = None
    original_document_id: str | None = None
    duplicate: bool = True
    name: str | None = None

    _check_doc_form = field_validator("doc_form")(_doc_form)


class DocumentStatusPayload(BaseModel):
    document_ids: list[str] = Field(default_factory=list)


class DocumentBatchDownloadZipPayload(BaseModel):
    document_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


def _invalid(message: str) -> DifyHTTPError:
    return DifyHTTPError(400, "invalid_param", message)


def _check_rule(rule: ProcessRule | None) -> None:
    """Dify's ``process_rule_args_validate``."""
    if rule is None or rule.mode == "automatic":
        return
    rules = rule.rules
    if rules is None:
        raise _invalid("Process rule rules is required")
    if rules.pre_processing_rules is None:
        raise _invalid("Process rule pre_processing_rules is required")
    if rules.segmentation is None:
        raise _invalid("Process rule segmentation is required")
    if not rules.segmentation.separator:
        raise _invalid("Process rule segmentation separator is required")
    full_doc = rule.mode == "hierarchical" and rules.parent_mode == "full-doc"
    if not full_doc and not rules.segmentation.max_tokens:
        raise _invalid("Process rule segmentation max_tokens is required")


def _stored_rule(dataset: Dataset, rule: ProcessRule | None, *, required: bool) -> StoredRule:
    """A new stored rule for ``rule``, else the dataset's latest (else automatic or 400)."""
    _check_rule(rule)
    if rule is None:
        if dataset.latest_process_rule is not None:
            return dataset.latest_process_rule
        if required:
            raise _invalid("process_rule is required.")
        rule = ProcessRule(mode="automatic")
    rules = None if rule.mode == "automatic" or rule.rules is None else rule.rules
    stored = StoredRule(
        dataset_id=dataset.id,
        mode=rule.mode,
        rules=None if rules is None else rules.model_dump(mode="json"),
    )
    dataset.process_rules.append(stored)
    return stored


def _settle_dataset(
    dataset: Dataset,
    *,
    indexing_technique: str | None,
    doc_form: str,
    retrieval_model: RetrievalModel | None,
    embedding: tuple[str | None, str | None],
) -> None:
    """The first document fixes the dataset's technique, form and retrieval settings."""
    technique = indexing_technique or dataset.indexing_technique
    if not technique:
        raise _invalid("indexing_technique is required.")
    if dataset.doc_form and dataset.doc_form != doc_form:
        raise _invalid("doc_form is different from the dataset doc_form.")
    if dataset.indexing_technique is None:
        dataset.indexing_technique = technique
        if retrieval_model is not None:
            dataset.retrieval_model = retrieval_model.model_dump(mode="json")
        if technique == "high_quality":
            dataset.embedding_model = embedding[0] or "emulator-embedding"
            dataset.embedding_model_provider = embedding[1] or "difykit-emulator"


def _batch_json(state: KnowledgeState, dataset: Dataset, document: Document) -> JSONResponse:
    return JSONResponse(
        {"document": document_json(state, dataset, document), "batch": document.batch}
    )


def _text_file(state: KnowledgeState, name: str, text: str) -> KnowledgeFile:
    return KnowledgeFile(
        name=name[:200],
        content=text.encode(),
        mime_type="text/plain",
        created_by=state.owner_id,
        extension="txt",
    )


async def create_by_text(request: Request) -> JSONResponse:
    """``POST …/document/create-by-text``: queue a text document; ``{document, batch}``."""
    state, dataset = dataset_for(request)
    payload = await json_body(request, DocumentTextCreatePayload)
    _check_rule(payload.process_rule)
    _settle_dataset(
        dataset,
        indexing_technique=payload.indexing_technique,
        doc_form=payload.doc_form,
        retrieval_model=payload.retrieval_model,
        embedding=(payload.embedding_model, payload.embedding_model_provider),
    )
    if payload.original_document_id:
        document = _updatable(dataset, payload.original_document_id)
        document.process_rule = _stored_rule(dataset, payload.process_rule, required=False)
        file = _text_file(state, payload.name, payload.text)
        state.requeue(document, file=file, name=payload.name)
        return _batch_json(state, dataset, document)
    rule = _stored_rule(dataset, payload.process_rule, required=False)
    document = state.add_document(
        dataset,
        name=payload.name,
        file=_text_file(state, payload.name, payload.text),
        process_rule=rule,
        doc_form=payload.doc_form,
        doc_language=payload.doc_language,
    )
    return _batch_json(state, dataset, document)


def _settings(form: FormData) -> dict[str, Any]:
    """The ``data`` field: a JSON object (a bad one is Dify's ``invalid_param``)."""
    raw = form.get("data")
    if raw is None:
        return {}
    try:
        data = json.loads(raw if isinstance(raw, str) else "")
    except ValueError as exc:
        raise _invalid(str(exc)) from None
    except RecursionError:
        raise _invalid("data is nested too deeply") from None
    if not isinstance(data, dict):
        raise _invalid("data must be a JSON object")
    return cast("dict[str, Any]", data)  # json.loads: an object's keys are strings


async def _upload(state: KnowledgeState, form: FormData) -> KnowledgeFile | None:
    """The ``file`` part as a stored upload (``None`` if there is none), checked as Dify
    checks dataset uploads."""
    files = [(key, value) for key, value in form.multi_items() if isinstance(value, UploadFile)]
    if not any(key == "file" for key, _ in files):
        return None
    if len(files) > 1:
        raise DifyHTTPError(400, "too_many_files", "Only one file is allowed.")
    part = files[0][1]
    if not part.filename:
        raise DifyHTTPError(
            400, "filename_not_exists_error", "The specified filename does not exist."
        )
    content = await part.read()
    stored = KnowledgeFile(
        name=part.filename,
        content=content,
        mime_type=part.content_type or "application/octet-stream",
        created_by=state.owner_id,
    )
    if stored.extension not in DOCUMENT_EXTENSIONS:
        raise DifyHTTPError(415, "unsupported_file_type", "File type not allowed.")
    if len(content) > _UPLOAD_LIMIT:
        raise DifyHTTPError(
            413, "file_too_large", f"File size exceeded. {len(content)} > {_UPLOAD_LIMIT}"
        )
    return stored


def _config(data: dict[str, Any]) -> KnowledgeConfig:
    try:
        return KnowledgeConfig.model_validate(data)
    except ValidationError as exc:
        raise _invalid(str(exc)) from None


async def create_by_file(request: Request) -> JSONResponse:
    """``POST …/document/create-by-file``: multipart ``file`` plus ``data`` (a JSON string)."""
    state, dataset = dataset_for(request)
    async with request.form() as form:
        data = _settings(form)
        data.setdefault("doc_form", dataset.doc_form or "text_model")
        if not (data.get("indexing_technique") or dataset.indexing_technique):
            raise _invalid("indexing_technique is required.")
        file = await _upload(state, form)
    if file is None:
        raise DifyHTTPError(400, "no_file_uploaded", "Please upload your file.")
    config = _config(data)
    _check_rule(config.process_rule)
    if config.process_rule is None and dataset.latest_process_rule is None:
        raise _invalid("process_rule is required.")
    _settle_dataset(
        dataset,
        indexing_technique=config.indexing_technique,
        doc_form=config.doc_form,
        retrieval_model=config.retrieval_model,
        embedding=(config.embedding_model, config.embedding_model_provider),
    )
    rule = _stored_rule(dataset, config.process_rule, required=True)
    document = state.add_document(
        dataset,
        name=file.name,
        file=file,
        process_rule=rule,
        doc_form=config.doc_form,
        doc_language=config.doc_language,
    )
    return _batch_json(state, dataset, document)


def _updatable(dataset: Dataset, document_id: str) -> Document:
    document = dataset.document(document_id)
    if document.display_status != "available":
        raise _invalid("Document is not available")
    return document


async def update_by_text(request: Request) -> JSONResponse:
    """``POST …/documents/{id}/update-by-text``: new text or settings; re-indexed."""
    state, dataset = dataset_for(request)
    payload = await json_body(request, DocumentTextUpdate)
    document = _updatable(dataset, path_id(request, "document_id"))
    document.process_rule = _stored_rule(dataset, payload.process_rule, required=False)
    file = None
    if payload.text:
        file = _text_file(state, payload.name or document.name, payload.text)
    state.requeue(document, file=file, name=payload.name)
    document.doc_language = payload.doc_language
    return _batch_json(state, dataset, document)


async def update_by_file(request: Request) -> JSONResponse:
    """``PATCH …/documents/{id}`` (and ``POST …/update-by-file``): an optional new file."""
    state, dataset = dataset_for(request)
    async with request.form() as form:
        data = _settings(form)
        file = await _upload(state, form)
    config = _config(data)
    document = _updatable(dataset, path_id(request, "document_id"))
    document.process_rule = _stored_rule(dataset, config.process_rule, required=False)
    state.requeue(document, file=file, name=file.name if file is not None else None)
    return _batch_json(state, dataset, document)


def _display_filter(status: str | None) -> str | None:
    if not status:
        return None
    normalized = _DISPLAY_ALIASES.get(status, status)
    return normalized if normalized in _DISPLAY_STATUSES else None


async def list_documents(request: Request) -> JSONResponse:
    """``GET …/documents``: newest first; ``keyword`` (in the name), ``status`` (display)."""
    state, dataset = dataset_for(request)
    page, limit = page_params(request)
    keyword = request.query_params.get("keyword")
    status = _display_filter(request.query_params.get("status"))
    documents = sorted(
        dataset.documents.values(), key=lambda d: (d.created_at, d.position), reverse=True
    )
    if keyword:
        documents = [d for d in documents if keyword in d.name]
    if status:
        documents = [d for d in documents if d.display_status == status]
    size = min(limit, 100)
    window = documents[(page - 1) * size : page * size]
    return JSONResponse(
        {
            "data": [document_json(state, dataset, d) for d in window],
            "has_more": len(window) == limit,
            "limit": limit,
            "total": len(documents),
            "page": page,
        }
    )


async def get_document(request: Request) -> JSONResponse:
    """``GET …/documents/{id}?metadata=all|only|without``."""
    state, dataset = dataset_for(request)
    document = dataset.document(path_id(request, "document_id"))
    metadata = request.query_params.get("metadata", "all")
    if metadata not in ("all", "only", "without"):
        raise DifyHTTPError(400, "invalid_metadata", f"Invalid metadata value: {metadata}")
    return JSONResponse(document_detail_json(state, dataset, document, metadata))


async def delete_document(request: Request) -> Response:
    """``DELETE …/documents/{id}``: 204; 403 when archived; 400 while indexing."""
    state, dataset = dataset_for(request)
    document = dataset.document(path_id(request, "document_id"), "Document Not Exists.")
    if document.archived:
        raise DifyHTTPError(
            403, "archived_document_immutable", "The archived document is not editable."
        )
    state.delete_document(dataset, document)
    return no_content()


async def indexing_status(request: Request) -> JSONResponse:
    """``GET …/documents/{batch}/indexing-status``: each call moves the batch one step on."""
    state, dataset = dataset_for(request)
    documents = state.batch(dataset, request.path_params["batch"])
    data: list[dict[str, Any]] = []
    for document in documents:
        state.advance(dataset, document)
        data.append(
            {
                "id": document.id,
                "indexing_status": document.indexing_status,
                "processing_started_at": document.processing_started_at,
                "parsing_completed_at": document.parsing_completed_at,
                "cleaning_completed_at": document.cleaning_completed_at,
                "splitting_completed_at": document.splitting_completed_at,
                "completed_at": document.completed_at,
                "paused_at": None,
                "error": document.error,
                "stopped_at": document.stopped_at,
                "completed_segments": sum(
                    1 for s in document.segments if s.completed_at is not None
                ),
                "total_segments": len(document.segments),
            }
        )
    return JSONResponse({"data": data})


def _apply_action(state: KnowledgeState, document: Document, action: str) -> None:
    if action == "enable" and not document.enabled:
        document.enabled, document.disabled_at, document.disabled_by = True, None, None
    elif action == "disable":
        if document.indexing_status != "completed":
            raise DifyHTTPError(
                400, "invalid_action", f"Document: {document.name} is not completed."
            )
        if document.enabled:
            document.enabled, document.disabled_at = False, now()
            document.disabled_by = state.owner_id
    elif action in ("archive", "un_archive"):
        document.archived = action == "archive"
    document.updated_at = now()


async def set_status(request: Request) -> JSONResponse:
    """``PATCH …/documents/status/{action}``: enable, disable, archive or un_archive."""
    state, dataset = dataset_for(request)
    action = request.path_params["action"]
    if action not in _ACTIONS:
        raise DifyHTTPError(
            400,
            "invalid_action",
            f"Invalid action: {action}. Must be one of {list(_ACTIONS)}",
        )
    payload = await json_body(request, DocumentStatusPayload)
    for document_id in payload.document_ids:
        document = dataset.documents.get(document_id)
        if document is not None:
            _apply_action(state, document, action)
    return JSONResponse({"result": "success"})


def _signed_url(request: Request, state: KnowledgeState, file: KnowledgeFile) -> str:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    sign = state.file_signature(file.id, timestamp, nonce)
    url = request.url_for("knowledge_file_preview", file_id=file.id)
    query = {"timestamp": timestamp, "nonce": nonce, "sign": sign, "as_attachment": "true"}
    return str(url.include_query_params(**query))


async def download_url(request: Request) -> JSONResponse:
    """``GET …/documents/{id}/download``: ``{url}``, a signed link to the original file."""
    state, dataset = dataset_for(request)
    document = dataset.document(path_id(request, "document_id"))
    return JSONResponse({"url": _signed_url(request, state, document.file)})


async def file_preview(request: Request) -> Response:
    """The signed URL of a document's file (no key needed; a bad signature gets 403).

    Dify serves these under ``/files``, outside ``/v1``; the emulator only answers under
    ``/v1``, so its links point to ``/v1/datasets/files/{file_id}/file-preview``.
    """
    state = emulator_state(request).knowledge
    file = state.files.get(path_id(request, "file_id"))
    params = request.query_params
    expected = state.file_signature(
        path_id(request, "file_id"), params.get("timestamp", ""), params.get("nonce", "")
    )
    if file is None:
        raise DifyHTTPError(404, "not_found", "File not found")
    if not secrets.compare_digest(params.get("sign", ""), expected):
        raise DifyHTTPError(403, "forbidden", "Invalid request.")
    headers: dict[str, str] = {}
    if params.get("as_attachment", "").lower() == "true":
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{file.name}"
    return Response(file.content, media_type=file.mime_type, headers=headers)


def _unique(name: str, seen: dict[str, int]) -> str:
    """The name, or ``stem (2).ext`` when an earlier file of the zip has it."""
    count = seen[name] = seen.get(name, 0) + 1
    if count == 1:
        return name
    stem, dot, extension = name.rpartition(".")
    return f"{stem} ({count}).{extension}" if dot and stem else f"{name} ({count})"


async def download_zip(request: Request) -> Response:
    """``POST …/documents/download-zip``: the documents' original files in one zip."""
    _state, dataset = dataset_for(request)
    payload = await json_body(request, DocumentBatchDownloadZipPayload)
    files = [dataset.document(str(i)).file for i in payload.document_ids]
    buffer = io.BytesIO()
    seen: dict[str, int] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.writestr(_unique(file.name, seen), file.content)
    headers = {"Content-Disposition": f"attachment; filename={uuid.uuid4().hex}.zip"}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)


def routes() -> list[BaseRoute]:
    """The document routes (with Dify's legacy underscore aliases)."""
    base = "/datasets/{dataset_id:uuid}"
    doc = base + "/documents/{document_id:uuid}"
    return [
        Route(base + "/document/create-by-text", create_by_text, methods=["POST"]),
        Route(base + "/document/create_by_text", create_by_text, methods=["POST"]),
        Route(base + "/document/create-by-file", create_by_file, methods=["POST"]),
        Route(base + "/document/create_by_file", create_by_file, methods=["POST"]),
        Route(base + "/documents", list_documents, methods=["GET"]),
        Route(base + "/documents/download-zip", download_zip, methods=["POST"]),
        Route(base + "/documents/status/{action}", set_status, methods=["PATCH"]),
        Route(base + "/documents/{batch}/indexing-status", indexing_status, methods=["GET"]),
        Route(doc, get_document, methods=["GET"]),
        Route(doc, update_by_file, methods=["PATCH"]),
        Route(doc, delete_document, methods=["DELETE"]),
        Route(doc + "/update-by-text", update_by_text, methods=["POST"]),
        Route(doc + "/update_by_text", update_by_text, methods=["POST"]),
        Route(doc + "/update-by-file", update_by_file, methods=["POST"]),
        Route(doc + "/update_by_file", update_by_file, methods=["POST"]),
        Route(doc + "/download", download_url, methods=["GET"]),
        Route(
            "/datasets/files/{file_id:uuid}/file-preview",
            file_preview,
            methods=["GET"],
            name="knowledge_file_preview",
        ),
    ]
