"""Every knowledge-key recording (98-176) of a real Dify 1.13.2, replayed through the client.

For each recording ``AsyncDifyKnowledge`` must send the recorded method, path, query and body,
parse the recorded answer into its typed result without losing a field, and raise the right
error class with Dify's ``code`` for recorded errors.

Recordings the SDK rightly refuses to send (it validates before sending, raising
``InvalidRequestError`` or, for a missing keyword, ``TypeError``), so they cannot be replayed:

- 99-error-dataset-create-missing-name: ``datasets.create`` requires ``name``.
- 112-error-document-create-by-file-no-file: ``documents.create_from_file`` requires ``file``.
- 131-error-dataset-retrieve-missing-query: ``datasets.retrieve`` requires ``query``.
- 145-error-dataset-tag-create-missing-name: ``tags.create`` requires ``name``.

They are checked below as refusals instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from difykit_core import InvalidRequestError
from difykit_core.operations import datasets, documents, tags
from replay_support import (
    RECORDINGS,
    Case,
    Kind,
    body,
    load_recording,
    params,
    path_part,
    run_case,
)

DATASET = path_part("104-dataset-update", 2)
TAG = "7af455e8-9cb4-4532-b056-5e564b48234c"


def _k(
    recording: str,
    resource: str,
    method: str,
    /,
    *,
    ids: tuple[int, ...] = (),
    kind: Kind = "call",
    **kwargs: Any,
) -> Case:
    """A knowledge case whose positional arguments are the recorded path segments ``ids``."""
    args = tuple(path_part(recording, index) for index in ids)
    return Case(
        recording, resource, method, args=args, kwargs=kwargs, kind=kind, client="knowledge"
    )


def _file_content(name: str) -> bytes:
    part = load_recording(name)["request_body"]["multipart/form-data"]["file"]
    return str(part["content_preview"]).encode()


CASES: list[Case] = [
    # datasets
    _k(
        "98-error-dataset-create-duplicate-name",
        "datasets",
        "create",
        **body("98-error-dataset-create-duplicate-name"),
    ),
    _k(
        "100-dataset-create-empty-no-technique",
        "datasets",
        "create",
        **body("100-dataset-create-empty-no-technique"),
    ),
    _k("101-datasets-list", "datasets", "list", kind="page", **params("101-datasets-list")),
    _k(
        "102-datasets-list-keyword",
        "datasets",
        "list",
        kind="page",
        **params("102-datasets-list-keyword"),
    ),
    _k("104-dataset-update", "datasets", "update", ids=(2,), **body("104-dataset-update")),
    _k("105-error-dataset-get-nonexistent", "datasets", "get", ids=(2,)),
    _k("106-error-app-key-on-dataset-endpoint", "datasets", "list", kind="page"),
    _k(
        "128-dataset-retrieve-default-model",
        "datasets",
        "retrieve",
        ids=(2,),
        **body("128-dataset-retrieve-default-model"),
    ),
    Case(
        "129-dataset-hit-testing-alias",
        "datasets",
        "retrieve",
        args=(DATASET,),
        kwargs=body("129-dataset-hit-testing-alias"),
        client="knowledge",
        sent_path=f"/v1/datasets/{DATASET}/retrieve",  # the SDK uses the documented route
    ),
    _k(
        "130-error-dataset-retrieve-semantic-without-embeddings",
        "datasets",
        "retrieve",
        ids=(2,),
        **body("130-error-dataset-retrieve-semantic-without-embeddings"),
    ),
    _k("132-datasets-list", "datasets", "list", kind="page", **params("132-datasets-list")),
    _k("134-dataset-get", "datasets", "get", ids=(2,)),
    _k("142-datasets-list-by-tag", "datasets", "list", kind="page", tag_ids=[TAG]),
    Case(
        "168-datasets-list-by-tag-repeated-param",
        "datasets",
        "list",
        kwargs={"tag_ids": [TAG, TAG]},
        kind="page",
        client="knowledge",
        sent_query={"tag_ids": [TAG, TAG]},  # the recorder lost the repeated parameter
    ),
    _k("174-dataset-delete", "datasets", "delete", ids=(2,)),
    _k("175-error-dataset-delete-again", "datasets", "delete", ids=(2,)),
    _k("176-datasets-list-after-delete", "datasets", "list", kind="page"),
    # documents
    _k("108-document-indexing-status-immediate", "documents", "indexing_status", ids=(2, 4)),
    _k("109-document-indexing-status-completed", "documents", "indexing_status", ids=(2, 4)),
    _k(
        "110-document-create-by-file",
        "documents",
        "create_from_file",
        ids=(2,),
        file=_file_content("110-document-create-by-file"),
        filename="faq.md",
        indexing_technique="economy",
        process_rule={"mode": "automatic"},
    ),
    _k("111-document-indexing-status-file", "documents", "indexing_status", ids=(2, 4)),
    _k(
        "114-documents-list",
        "documents",
        "list",
        ids=(2,),
        kind="page",
        **params("114-documents-list"),
    ),
    _k(
        "115-documents-list-keyword",
        "documents",
        "list",
        ids=(2,),
        kind="page",
        **params("115-documents-list-keyword"),
    ),
    _k("116-document-get", "documents", "get", ids=(2, 4)),
    _k(
        "118-document-update-by-text",
        "documents",
        "update_from_text",
        ids=(2, 4),
        **body("118-document-update-by-text"),
    ),
    _k(
        "158-documents-status-enable",
        "documents",
        "set_status",
        ids=(2,),
        action="enable",
        **body("158-documents-status-enable"),
    ),
    _k(
        "159-error-documents-status-bad-action",
        "documents",
        "set_status",
        ids=(2,),
        action="explode",
        **body("159-error-documents-status-bad-action"),
    ),
    _k("160-document-download", "documents", "download_url", ids=(2, 4)),
    _k(
        "161-documents-download-zip",
        "documents",
        "download_zip",
        ids=(2,),
        **body("161-documents-download-zip"),
    ),
    _k("165-document-delete", "documents", "delete", ids=(2, 4)),
    _k("166-error-document-get-deleted", "documents", "get", ids=(2, 4)),
    # chunks
    _k(
        "119-segments-list",
        "chunks",
        "list",
        ids=(2, 4),
        kind="page",
        **params("119-segments-list"),
    ),
    _k("120-segments-create", "chunks", "create", ids=(2, 4), **body("120-segments-create")),
    _k(
        "121-segments-list-keyword",
        "chunks",
        "list",
        ids=(2, 4),
        kind="page",
        **params("121-segments-list-keyword"),
    ),
    _k("122-segment-get", "chunks", "get", ids=(2, 4, 6)),
    _k("126-error-segment-get-nonexistent", "chunks", "get", ids=(2, 4, 6)),
    _k("164-error-segment-delete-again", "chunks", "delete", ids=(2, 4, 6)),
    # child chunks
    _k(
        "124-child-chunks-list-text-model",
        "child_chunks",
        "list",
        ids=(2, 4, 6),
        kind="page",
        **params("124-child-chunks-list-text-model"),
    ),
    _k(
        "125-child-chunk-create-text-model",
        "child_chunks",
        "create",
        ids=(2, 4, 6),
        **body("125-child-chunk-create-text-model"),
    ),
    _k(
        "169-child-chunk-create",
        "child_chunks",
        "create",
        ids=(2, 4, 6),
        **body("169-child-chunk-create"),
    ),
    _k(
        "170-child-chunks-list",
        "child_chunks",
        "list",
        ids=(2, 4, 6),
        kind="page",
        **params("170-child-chunks-list"),
    ),
    _k(
        "171-child-chunk-update",
        "child_chunks",
        "update",
        ids=(2, 4, 6, 8),
        **body("171-child-chunk-update"),
    ),
    _k("172-child-chunk-delete", "child_chunks", "delete", ids=(2, 4, 6, 8)),
    # tags (1.13.2 answers 400 on create, list and rename: see the recordings' README)
    _k("135-dataset-tag-create", "tags", "create", **body("135-dataset-tag-create")),
    _k(
        "136-error-dataset-tag-create-duplicate-name",
        "tags",
        "create",
        **body("136-error-dataset-tag-create-duplicate-name"),
    ),
    _k("138-dataset-tags-list", "tags", "list", kind="page"),
    _k("139-dataset-tag-update", "tags", "rename", **body("139-dataset-tag-update")),
    _k(
        "140-dataset-tag-binding",
        "tags",
        "bind",
        tag_ids=body("140-dataset-tag-binding")["tag_ids"],
        dataset_id=body("140-dataset-tag-binding")["target_id"],
    ),
    _k("141-dataset-tags-of-dataset", "tags", "of_dataset", ids=(2,), kind="page"),
    _k("144-dataset-tag-delete", "tags", "delete", **body("144-dataset-tag-delete")),
    # metadata
    _k(
        "146-dataset-metadata-create",
        "metadata",
        "create",
        ids=(2,),
        **body("146-dataset-metadata-create"),
    ),
    _k("148-dataset-metadata-list", "metadata", "list", ids=(2,), kind="page"),
    _k(
        "149-dataset-metadata-update",
        "metadata",
        "rename",
        ids=(2, 4),
        **body("149-dataset-metadata-update"),
    ),
    _k("150-dataset-metadata-built-in-list", "metadata", "builtin_fields", ids=(2,)),
    _k("151-dataset-metadata-built-in-enable", "metadata", "enable_builtin", ids=(2,)),
    _k(
        "152-document-metadata-update",
        "metadata",
        "set_document_metadata",
        ids=(2,),
        **body("152-document-metadata-update"),
    ),
    _k(
        "154-dataset-retrieve-with-metadata-filter",
        "datasets",
        "retrieve",
        ids=(2,),
        **body("154-dataset-retrieve-with-metadata-filter"),
    ),
    _k("155-dataset-metadata-built-in-disable", "metadata", "disable_builtin", ids=(2,)),
    _k("156-dataset-metadata-delete", "metadata", "delete", ids=(2, 4)),
    # models
    _k("162-workspace-models-text-embedding", "models", "list", ids=(5,), kind="page"),
]

REFUSED: dict[str, Callable[[], object]] = {
    "99-error-dataset-create-missing-name": lambda: datasets.create_dataset(name=""),
    "112-error-document-create-by-file-no-file": lambda: documents.create_document_from_file(
        DATASET,
        None,  # type: ignore[arg-type]
    ),
    "131-error-dataset-retrieve-missing-query": lambda: datasets.retrieve_chunks(DATASET, query=""),
    "145-error-dataset-tag-create-missing-name": lambda: tags.create_tag(name=""),
}


def test_every_knowledge_recording_is_replayed_or_refused() -> None:
    """Each recording numbered 98-176 is in the replay table or in the refused list."""
    names = {p.stem for p in RECORDINGS.glob("*.json") if 98 <= int(p.stem.split("-", 1)[0]) <= 176}
    covered = {case.name for case in CASES} | set(REFUSED)
    assert names == covered
    assert not {case.name for case in CASES} & set(REFUSED)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_sdk_refuses_what_dify_rejected(name: str) -> None:
    """The requests Dify rejected for a missing field are refused before anything is sent."""
    with pytest.raises(InvalidRequestError):
        REFUSED[name]()


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_client_reproduces_recording(case: Case) -> None:
    """The knowledge client sends what was recorded and reads what Dify answered."""
    await run_case(case)
