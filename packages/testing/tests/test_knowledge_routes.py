"""The knowledge-key routes, driven through the real SDK (``DifyKnowledge``) and raw httpx."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from difykit import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DifyKnowledge,
    IndexingError,
    NotFoundError,
    ServerError,
)
from difykit.types import (
    DocumentMetadataUpdate,
    MetadataCondition,
    MetadataFilter,
    MetadataValue,
    ProcessRule,
    ProcessRules,
    RetrievalModel,
    Segmentation,
)
from difykit_async import AsyncDifyKnowledge
from difykit_testing import DifyEmulator

BASE_URL = "http://dify.test/v1"
HANDBOOK = (
    "Staff get 25 days of paid leave a year.\n"
    "The office opens at nine in the morning.\n"
    "Lunch is served in the canteen at noon."
)
LINES = ProcessRule(
    mode="custom",
    rules=ProcessRules(
        pre_processing_rules=[], segmentation=Segmentation(separator="\n", max_tokens=100)
    ),
)


@pytest.fixture
def kb(dify_emulator: DifyEmulator) -> Iterator[DifyKnowledge]:
    """A knowledge client on the emulator's dataset key."""
    http = httpx.Client(transport=dify_emulator.transport())
    with DifyKnowledge(
        api_key=dify_emulator.dataset_key, base_url=BASE_URL, http_client=http
    ) as client:
        yield client
    http.close()


@pytest.fixture
def raw(dify_emulator: DifyEmulator) -> Iterator[httpx.Client]:
    """Plain httpx on the dataset key, for what the SDK refuses to send."""
    headers = {"Authorization": f"Bearer {dify_emulator.dataset_key}"}
    with httpx.Client(
        transport=dify_emulator.transport(), base_url=BASE_URL, headers=headers
    ) as client:
        yield client


def _indexed(kb: DifyKnowledge, dataset_id: str, text: str = HANDBOOK, name: str = "a.txt") -> str:
    batch = kb.documents.create_from_text(dataset_id, name=name, text=text, process_rule=LINES)
    kb.documents.wait_until_indexed(dataset_id, batch.batch, poll_interval=0)
    return batch.document.id


def test_the_readme_flow_finds_the_right_chunk(kb: DifyKnowledge) -> None:
    """A text document is split per line, indexed over polls, and retrieval ranks the match top."""
    ds = kb.datasets.create(name="Handbook", indexing_technique="economy")
    created = kb.documents.create_from_text(ds.id, name="h.txt", text=HANDBOOK, process_rule=LINES)
    assert created.document.indexing_status == "waiting"
    assert created.document.display_status == "queuing"
    progress: list[tuple[int, int]] = []
    status = kb.documents.wait_until_indexed(
        ds.id, created.batch, poll_interval=0, on_progress=lambda a, b: progress.append((a, b))
    )
    assert status.data[0].indexing_status == "completed"
    assert progress[0] == (0, 0) and progress[-1] == (3, 3) and len(progress) == 5
    result = kb.datasets.retrieve(ds.id, query="How many days of leave?")
    assert result.query.content == "How many days of leave?"
    best = result.records[0]
    assert best.segment.content == "Staff get 25 days of paid leave a year."
    assert best.score is not None and 0 < best.score <= 1
    assert best.segment.document is not None and best.segment.document.name == "h.txt"
    chunks = kb.chunks.list(ds.id, created.document.id)
    assert [c.position for c in chunks] == [1, 2, 3]
    assert chunks.data[0].word_count == len(chunks.data[0].content or "")
    assert "leave" in (chunks.data[0].keywords or [])


@pytest.mark.anyio
async def test_the_async_client_runs_the_same_flow(dify_emulator: DifyEmulator) -> None:
    """AsyncDifyKnowledge creates, waits for indexing and retrieves through the async transport."""
    async with httpx.AsyncClient(transport=dify_emulator.async_transport()) as http:
        kb = AsyncDifyKnowledge(
            api_key=dify_emulator.dataset_key, base_url=BASE_URL, http_client=http
        )
        ds = await kb.datasets.create(name="Async", indexing_technique="economy")
        doc = await kb.documents.create_from_text(
            ds.id, name="x", text=HANDBOOK, process_rule=LINES
        )
        await kb.documents.wait_until_indexed(ds.id, doc.batch, poll_interval=0)
        result = await kb.datasets.retrieve(ds.id, query="canteen lunch")
        assert result.records[0].segment.content == "Lunch is served in the canteen at noon."
        assert [d.name async for d in await kb.datasets.list()] == ["Async"]


def test_an_app_key_is_refused_on_knowledge_routes(dify_emulator: DifyEmulator) -> None:
    """An app key gets 401 'Access token is invalid', raised as AuthenticationError."""
    app = dify_emulator.add_app()
    http = httpx.Client(transport=dify_emulator.transport())
    kb = DifyKnowledge(api_key=app.api_key, base_url=BASE_URL, http_client=http)
    with pytest.raises(AuthenticationError) as info:
        kb.datasets.list()
    assert info.value.code == "unauthorized" and "Access token is invalid" in str(info.value)
    http.close()


def test_datasets_crud_and_errors_match_dify(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Create, duplicate (409), get, update, delete (204) and delete again (404), as recorded."""
    ds = kb.datasets.create(name="kb-1", indexing_technique="economy")
    assert ds.embedding_available is None and ds.doc_form is None and ds.permission == "only_me"
    with pytest.raises(ConflictError) as info:
        kb.datasets.create(name="kb-1")
    assert info.value.code == "dataset_name_duplicate"
    missing = raw.post("/datasets", json={"indexing_technique": "economy"})
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_param"
    assert missing.json()["message"].startswith("1 validation error for DatasetCreatePayload\nname")
    got = kb.datasets.get(ds.id)
    assert got.embedding_available is True
    assert got.retrieval_model_dict is not None
    assert got.retrieval_model_dict.search_method == "keyword_search"
    updated = kb.datasets.update(
        ds.id,
        name="kb-renamed",
        description="new",
        retrieval_model=RetrievalModel(search_method="keyword_search", top_k=3),
    )
    assert updated.name == "kb-renamed" and updated.partial_member_list == []
    assert updated.external_retrieval_model == {
        "top_k": 3,
        "score_threshold": None,
        "score_threshold_enabled": False,
    }
    kb.datasets.delete(ds.id)
    with pytest.raises(NotFoundError) as gone:
        kb.datasets.delete(ds.id)
    assert gone.value.code == "not_found" and "Dataset not found." in str(gone.value)


def test_dataset_pages_walk_and_filter(kb: DifyKnowledge) -> None:
    """Pages of two walk all datasets newest first; keyword and tag filters narrow the list."""
    ids = [kb.datasets.create(name=f"set-{n}").id for n in range(5)]
    first = kb.datasets.list(limit=2)
    assert first.has_more and first.total == 5 and len(first.data) == 2
    assert [d.id for d in first] == list(reversed(ids))
    assert [d.name for d in kb.datasets.list(keyword="SET-3")] == ["set-3"]
    tag = kb.tags.create(name="blue")
    kb.tags.bind(ids[1], tag_ids=[tag.id])
    assert [d.id for d in kb.datasets.list(tag_ids=[tag.id])] == [ids[1]]


def test_documents_list_get_and_metadata_views(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Documents list newest first with keyword and status filters; get honours ``metadata``."""
    ds = kb.datasets.create(name="docs", indexing_technique="economy")
    first = _indexed(kb, ds.id, name="alpha.txt")
    second = _indexed(kb, ds.id, name="beta.txt")
    assert [d.id for d in kb.documents.list(ds.id)] == [second, first]
    assert [d.name for d in kb.documents.list(ds.id, keyword="alp")] == ["alpha.txt"]
    kb.documents.set_status(ds.id, action="disable", document_ids=[first])
    assert [d.id for d in kb.documents.list(ds.id, status="disabled")] == [first]
    detail = kb.documents.get(ds.id, first)
    assert detail.display_status == "disabled" and detail.segment_count == 3
    assert (
        detail.document_process_rule is not None and detail.document_process_rule.mode == "custom"
    )
    only = raw.get(f"/datasets/{ds.id}/documents/{first}", params={"metadata": "only"}).json()
    assert set(only) == {"id", "doc_type", "doc_metadata"}
    without = raw.get(f"/datasets/{ds.id}/documents/{first}", params={"metadata": "without"})
    assert "doc_metadata" not in without.json() and "segment_count" in without.json()
    bad = raw.get(f"/datasets/{ds.id}/documents/{first}", params={"metadata": "some"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_metadata"
    assert (
        raw.get(f"/datasets/{ds.id}/documents/{first}", params={"metadata": "all"}).json()[
            "data_source_info"
        ]["upload_file"]["name"]
        == "alpha.txt"
    )


def test_document_deletion_waits_for_indexing(
    kb: DifyKnowledge, dify_emulator: DifyEmulator
) -> None:
    """Deleting mid-indexing is 400 document_indexing; later 204, then the document is 404."""
    dify_emulator.knowledge.indexing_seconds = None
    ds = kb.datasets.create(name="del", indexing_technique="economy")
    doc = kb.documents.create_from_text(ds.id, name="d", text=HANDBOOK)
    kb.documents.indexing_status(ds.id, doc.batch)  # now parsing
    with pytest.raises(BadRequestError) as info:
        kb.documents.delete(ds.id, doc.document.id)
    assert info.value.code == "document_indexing"
    assert info.value.message == "Cannot delete document during indexing."
    kb.documents.wait_until_indexed(ds.id, doc.batch, poll_interval=0)
    kb.documents.delete(ds.id, doc.document.id)
    with pytest.raises(NotFoundError) as gone:
        kb.documents.get(ds.id, doc.document.id)
    assert "Document not found." in str(gone.value)


def test_status_actions_and_a_bad_action(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Archived and disabled documents leave retrieval; an unknown action is 400 invalid_action."""
    ds = kb.datasets.create(name="status", indexing_technique="economy")
    doc = _indexed(kb, ds.id)
    kb.documents.set_status(ds.id, action="archive", document_ids=[doc])
    assert kb.datasets.retrieve(ds.id, query="leave").records == []
    with pytest.raises(APIStatusError) as info:
        kb.documents.delete(ds.id, doc)
    assert info.value.status_code == 403 and info.value.code == "archived_document_immutable"
    kb.documents.set_status(ds.id, action="un_archive", document_ids=[doc])
    assert len(kb.datasets.retrieve(ds.id, query="leave").records) == 1
    bad = raw.patch(f"/datasets/{ds.id}/documents/status/explode", json={"document_ids": [doc]})
    assert bad.status_code == 400
    assert bad.json() == {
        "code": "invalid_action",
        "message": "Invalid action: explode. Must be one of "
        "['enable', 'disable', 'archive', 'un_archive']",
        "status": 400,
    }


def test_file_documents_are_created_updated_and_downloaded(
    kb: DifyKnowledge, raw: httpx.Client
) -> None:
    """Files become documents, PATCH replaces a file, and the signed URL and zip give the bytes."""
    ds = kb.datasets.create(name="files", indexing_technique="economy")
    created = kb.documents.create_from_file(
        ds.id, b"# FAQ\n\nQ: Is it open source?\nA: Yes.", filename="faq.md", process_rule=LINES
    )
    assert created.document.name == "faq.md" and created.document.data_source_type == "upload_file"
    kb.documents.wait_until_indexed(ds.id, created.batch, poll_interval=0)
    updated = kb.documents.update_from_file(
        ds.id, created.document.id, b"v2 text", filename="v2.txt"
    )
    assert updated.batch == created.batch and updated.document.indexing_status == "waiting"
    kb.documents.wait_until_indexed(ds.id, updated.batch, poll_interval=0)
    assert [c.content for c in kb.chunks.list(ds.id, created.document.id)] == ["v2 text"]
    text_doc = _indexed(kb, ds.id, text="plain words", name="plain.txt")
    url = kb.documents.download_url(ds.id, created.document.id).url
    fetched = raw.get(url)
    assert fetched.content == b"v2 text" and "attachment" in fetched.headers["content-disposition"]
    assert raw.get(url.replace("sign=", "sign=x")).status_code == 403
    download = kb.documents.download_zip(ds.id, document_ids=[created.document.id, text_doc])
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == ["plain.txt", "v2.txt"]
        assert archive.read("plain.txt") == b"plain words"


def test_file_upload_errors_use_dify_codes(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """No ``file`` part is 400 no_file_uploaded; a non-document extension is 415."""
    ds = kb.datasets.create(name="uploads", indexing_technique="economy")
    url = f"/datasets/{ds.id}/document/create-by-file"
    data = {"data": '{"indexing_technique": "economy", "process_rule": {"mode": "automatic"}}'}
    no_file = raw.post(url, data=data, files={"other": ("x.txt", b"x", "text/plain")})
    assert no_file.status_code == 400 and no_file.json()["code"] == "no_file_uploaded"
    with pytest.raises(BadRequestError) as info:
        kb.documents.create_from_file(ds.id, b"MZ", filename="tool.exe", process_rule=LINES)
    assert info.value.status_code == 415 and info.value.code == "unsupported_file_type"
    with pytest.raises(BadRequestError) as rule:
        kb.documents.create_from_file(ds.id, b"text", filename="a.txt")
    assert rule.value.message == "process_rule is required."


def test_chunk_crud_and_dify_errors(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Chunks are added, listed, read, updated and deleted; bad bodies get Dify's odd ``error``."""
    ds = kb.datasets.create(name="chunks", indexing_technique="economy")
    doc = _indexed(kb, ds.id)
    batch = kb.chunks.create(ds.id, doc, segments=["A manual chunk about API keys.", "Second."])
    assert [c.position for c in batch.data] == [4, 5] and batch.doc_form == "text_model"
    chunk = batch.data[0]
    page = kb.chunks.list(ds.id, doc, keyword="manual", status="completed", limit=10)
    assert [c.id for c in page] == [chunk.id] and page.total == 1
    assert kb.chunks.get(ds.id, doc, chunk.id).data.content == "A manual chunk about API keys."
    changed = kb.chunks.update(ds.id, doc, chunk.id, content="Rotated keys.", keywords=["rotate"])
    assert changed.data.content == "Rotated keys." and changed.data.keywords == ["rotate"]
    kb.chunks.update(ds.id, doc, chunk.id, enabled=False)
    with pytest.raises(BadRequestError) as disabled:
        kb.chunks.update(ds.id, doc, chunk.id, content="again")
    assert disabled.value.message == "Can't update disabled segment"
    kb.chunks.delete(ds.id, doc, chunk.id)
    with pytest.raises(NotFoundError) as gone:
        kb.chunks.delete(ds.id, doc, chunk.id)
    assert "Segment not found." in str(gone.value)
    empty = raw.post(f"/datasets/{ds.id}/documents/{doc}/segments", json={"segments": []})
    assert empty.status_code == 400 and set(empty.json()) == {"error"}
    assert empty.json()["error"].startswith("1 validation error for SegmentCreatePayload")


def test_chunks_need_an_indexed_enabled_document(
    kb: DifyKnowledge, dify_emulator: DifyEmulator
) -> None:
    """Adding chunks to a document still indexing is 404, as Dify answers."""
    dify_emulator.knowledge.indexing_seconds = None
    ds = kb.datasets.create(name="early", indexing_technique="economy")
    doc = kb.documents.create_from_text(ds.id, name="d", text=HANDBOOK)
    with pytest.raises(NotFoundError) as info:
        kb.chunks.create(ds.id, doc.document.id, segments=["x"])
    assert "Document is not completed." in str(info.value)


def test_child_chunk_crud(kb: DifyKnowledge) -> None:
    """Child chunks are created (customized), listed with total_pages, updated and deleted."""
    ds = kb.datasets.create(name="children", indexing_technique="economy")
    doc = _indexed(kb, ds.id)
    parent = kb.chunks.list(ds.id, doc).data[0].id
    empty = kb.child_chunks.list(ds.id, doc, parent)
    assert empty.data == [] and not empty.has_more
    child = kb.child_chunks.create(ds.id, doc, parent, content="child one").data
    kb.child_chunks.create(ds.id, doc, parent, content="child two")
    assert child.type == "customized" and child.position == 1 and child.word_count == 9
    first = kb.child_chunks.list(ds.id, doc, parent, limit=1)
    assert first.has_more and [c.content for c in first] == ["child one", "child two"]
    renamed = kb.child_chunks.update(ds.id, doc, parent, child.id, content="child 1").data
    assert renamed.content == "child 1"
    kb.child_chunks.delete(ds.id, doc, parent, child.id)
    assert [c.content for c in kb.child_chunks.list(ds.id, doc, parent)] == ["child two"]
    with pytest.raises(NotFoundError):
        kb.child_chunks.delete(ds.id, doc, parent, child.id)


def test_hierarchical_documents_retrieve_child_chunks(kb: DifyKnowledge) -> None:
    """Parent-child documents split children by line and retrieval names the matching child."""
    ds = kb.datasets.create(name="parents", indexing_technique="economy")
    rule = ProcessRule(
        mode="hierarchical",
        rules=ProcessRules(
            pre_processing_rules=[],
            segmentation=Segmentation(separator="\n\n", max_tokens=500),
            parent_mode="paragraph",
            subchunk_segmentation=Segmentation(separator="\n", max_tokens=50),
        ),
    )
    doc = kb.documents.create_from_text(
        ds.id,
        name="p",
        text="Alpha one.\nBeta two.\n\nGamma three.",
        doc_form="hierarchical_model",
        process_rule=rule,
    )
    kb.documents.wait_until_indexed(ds.id, doc.batch, poll_interval=0)
    parents = kb.chunks.list(ds.id, doc.document.id).data
    assert [len(p.child_chunks or []) for p in parents] == [2, 1]
    record = kb.datasets.retrieve(ds.id, query="beta").records[0]
    assert record.child_chunks is not None
    assert [c.content for c in record.child_chunks] == ["Beta two."]


def test_tags_lifecycle(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Tags are created, refused when duplicated, renamed, bound, listed per dataset and deleted."""
    ds = kb.datasets.create(name="tagged")
    tag = kb.tags.create(name="recorded")
    assert tag.binding_count == "0" and tag.type == "knowledge"
    duplicate = raw.post("/datasets/tags", json={"name": "recorded"})
    assert duplicate.status_code == 400 and duplicate.json()["message"] == "Tag name already exists"
    missing = raw.post("/datasets/tags", json={})
    assert missing.json()["message"].startswith("1 validation error for TagCreatePayload")
    other = kb.tags.create(name="temp")
    assert kb.tags.rename(tag.id, name="recorded-renamed").name == "recorded-renamed"
    kb.tags.bind(ds.id, tag_ids=[tag.id, other.id])
    assert raw.get("/datasets/tags").json()[1]["binding_count"] == "1"
    bound = kb.tags.of_dataset(ds.id)
    assert [t.name for t in bound] == ["temp", "recorded-renamed"] and bound.total == 2
    assert [t.name for t in kb.datasets.get(ds.id).tags or []] == ["temp", "recorded-renamed"]
    kb.tags.unbind(ds.id, tag_ids=[other.id])
    kb.tags.delete(tag.id)
    assert [t.name for t in kb.tags.list()] == ["temp"]
    assert kb.tags.of_dataset(ds.id).total == 0
    with pytest.raises(NotFoundError):
        kb.tags.delete(tag.id)


def test_metadata_values_filter_retrieval(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Metadata fields are created (201), set on documents, counted, and filter retrieval."""
    ds = kb.datasets.create(name="meta", indexing_technique="economy")
    ada = _indexed(kb, ds.id, text="Dify is an open platform.", name="ada.txt")
    _indexed(kb, ds.id, text="Dify runs workflows.", name="bob.txt")
    created = raw.post(f"/datasets/{ds.id}/metadata", json={"type": "string", "name": "author"})
    assert created.status_code == 201 and set(created.json()) == {"id", "type", "name"}
    field = kb.metadata.rename(ds.id, created.json()["id"], name="writer")
    year = kb.metadata.create(ds.id, type="number", name="year")
    assert field.id is not None and year.id is not None
    kb.metadata.set_document_metadata(
        ds.id,
        operation_data=[
            DocumentMetadataUpdate(
                document_id=ada,
                metadata_list=[
                    MetadataValue(id=field.id, name="writer", value="Ada"),
                    MetadataValue(id=year.id, name="year", value=2024),
                ],
            )
        ],
    )
    fields = kb.metadata.list(ds.id)
    assert [(f.name, f.count) for f in fields] == [("writer", 1), ("year", 1)]
    values = kb.documents.get(ds.id, ada).doc_metadata or []
    assert [(v.name, v.value) for v in values][:2] == [("writer", "Ada"), ("year", 2024)]
    assert kb.metadata.builtin_fields(ds.id).fields[0].name == "document_name"

    def authors(condition: MetadataCondition) -> list[str | None]:
        model = RetrievalModel(
            search_method="keyword_search",
            top_k=5,
            metadata_filtering_conditions=MetadataFilter(conditions=[condition]),
        )
        records = kb.datasets.retrieve(ds.id, query="Dify", retrieval_model=model).records
        return [r.segment.document.name for r in records if r.segment.document]

    assert authors(MetadataCondition(name="writer", comparison_operator="is", value="Ada")) == [
        "ada.txt"
    ]
    assert authors(MetadataCondition(name="year", comparison_operator=">", value=2030)) == []
    assert authors(MetadataCondition(name="writer", comparison_operator="empty")) == ["bob.txt"]
    kb.metadata.enable_builtin(ds.id)
    record = kb.datasets.retrieve(ds.id, query="workflows").records[0]
    assert record.segment.document is not None
    assert (record.segment.document.doc_metadata or {})["document_name"] == "bob.txt"
    kb.metadata.disable_builtin(ds.id)
    kb.metadata.delete(ds.id, year.id)
    assert [f.name for f in kb.metadata.list(ds.id)] == ["writer"]


def test_retrieval_errors_and_alias(kb: DifyKnowledge, raw: httpx.Client) -> None:
    """Semantic search fails on economy data; no query is invalid_param; hit-testing works."""
    ds = kb.datasets.create(name="search", indexing_technique="economy")
    _indexed(kb, ds.id)
    with pytest.raises(BadRequestError) as info:
        kb.datasets.retrieve(
            ds.id,
            query="leave",
            retrieval_model=RetrievalModel(search_method="semantic_search", top_k=3),
        )
    assert info.value.code == "invalid_param"
    missing = raw.post(f"/datasets/{ds.id}/retrieve", json={})
    assert missing.json()["message"].startswith("1 validation error for HitTestingPayload\nquery")
    alias = raw.post(f"/datasets/{ds.id}/hit-testing", json={"query": "office"}).json()
    assert alias["records"][0]["segment"]["content"].startswith("The office")
    assert set(alias["records"][0]) == {
        "segment",
        "child_chunks",
        "score",
        "tsne_position",
        "files",
        "summary",
    }
    assert "updated_at" not in alias["records"][0]["segment"]


def test_indexing_can_fail_and_finish_on_its_own(
    kb: DifyKnowledge, dify_emulator: DifyEmulator
) -> None:
    """``fail_next_indexing`` ends a document in error; otherwise documents finish with time."""
    ds = kb.datasets.create(name="failing", indexing_technique="economy")
    dify_emulator.knowledge.fail_next_indexing("Broken PDF.")
    doc = kb.documents.create_from_text(ds.id, name="bad", text="x")
    with pytest.raises(IndexingError) as info:
        kb.documents.wait_until_indexed(ds.id, doc.batch, poll_interval=0)
    assert info.value.error == "Broken PDF."
    dify_emulator.knowledge.indexing_seconds = 0
    fine = kb.documents.create_from_text(ds.id, name="ok", text=HANDBOOK)
    assert kb.documents.get(ds.id, fine.document.id).indexing_status == "completed"


def test_models_lists_the_emulated_provider(kb: DifyKnowledge) -> None:
    """The workspace has one provider with an embedding model and no TTS models."""
    providers = kb.models.list("text-embedding")
    assert [p.provider for p in providers] == ["difykit-emulator"]
    assert [m.model for m in providers.data[0].models] == ["emulator-embedding"]
    assert kb.models.list("tts").data == []


def test_pipeline_upload_nodes_and_runs(kb: DifyKnowledge) -> None:
    """Pipeline files upload (201, ISO time), nodes list, node runs stream, and runs index files."""
    ds = kb.datasets.create(name="pipe", indexing_technique="economy")
    uploaded = kb.pipeline.upload_file(b"Pipelines ingest files.", filename="p.txt")
    assert isinstance(uploaded.created_at, str) and "T" in uploaded.created_at
    nodes = kb.pipeline.datasource_plugins(ds.id)
    assert [n.node_id for n in nodes] == ["local-file", "website-crawl"]
    with kb.pipeline.run_datasource_node(
        ds.id,
        "website-crawl",
        inputs={"url": "https://example.com"},
        datasource_type="website_crawl",
    ) as stream:
        completed = stream.collect()
    assert completed.completed == 1
    run = kb.pipeline.run(
        ds.id,
        datasource_type="local_file",
        datasource_info_list=[uploaded],
        start_node_id="local-file",
    )
    assert run.status == "succeeded"
    batch = str(run.outputs["batch"])
    kb.documents.wait_until_indexed(ds.id, batch, poll_interval=0)
    assert kb.datasets.retrieve(ds.id, query="ingest").records[0].segment.content == (
        "Pipelines ingest files."
    )
    streamed = kb.pipeline.stream(
        ds.id,
        datasource_type="website_crawl",
        datasource_info_list=[{"url": "https://a.b", "title": "AB"}],
        start_node_id="website-crawl",
    ).collect()
    assert streamed.status == "succeeded"
    with pytest.raises(ServerError) as info:
        kb.pipeline.run(
            ds.id,
            datasource_type="local_file",
            datasource_info_list=[{"reference": "nope"}],
            start_node_id="local-file",
        )
    assert info.value.code == "pipeline_run_error"


@pytest.mark.anyio
async def test_async_files_chunks_and_pipeline_stream(dify_emulator: DifyEmulator) -> None:
    """The async client uploads a file document, edits chunks, zips it and streams a pipeline."""
    async with httpx.AsyncClient(transport=dify_emulator.async_transport()) as http:
        kb = AsyncDifyKnowledge(
            api_key=dify_emulator.dataset_key, base_url=BASE_URL, http_client=http
        )
        ds = await kb.datasets.create(name="async-files", indexing_technique="economy")
        doc = await kb.documents.create_from_file(
            ds.id, b"one\ntwo", filename="n.txt", process_rule=LINES
        )
        await kb.documents.wait_until_indexed(ds.id, doc.batch, poll_interval=0)
        chunks = await kb.chunks.list(ds.id, doc.document.id)
        assert [c.content for c in chunks.data] == ["one", "two"]
        await kb.chunks.delete(ds.id, doc.document.id, chunks.data[0].id)
        assert (await kb.chunks.list(ds.id, doc.document.id)).total == 1
        download = await kb.documents.download_zip(ds.id, document_ids=[doc.document.id])
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert archive.read("n.txt") == b"one\ntwo"
        uploaded = await kb.pipeline.upload_file(b"streamed pipeline", filename="s.md")
        async with kb.pipeline.stream(
            ds.id,
            datasource_type="local_file",
            datasource_info_list=[uploaded],
            start_node_id="local-file",
        ) as stream:
            events = [event.event async for event in stream]
        assert events[0] == "workflow_started" and events[-1] == "workflow_finished"


def test_the_legacy_update_by_file_route_replaces_the_file(
    kb: DifyKnowledge, raw: httpx.Client
) -> None:
    """``POST …/update-by-file`` (deprecated, still routed) re-indexes the new file."""
    ds = kb.datasets.create(name="legacy", indexing_technique="economy")
    doc = _indexed(kb, ds.id, text="old words")
    answer = raw.post(
        f"/datasets/{ds.id}/documents/{doc}/update-by-file",
        files={"file": ("new.txt", b"new words", "text/plain")},
    )
    assert answer.status_code == 200 and answer.json()["document"]["name"] == "new.txt"
    kb.documents.wait_until_indexed(ds.id, answer.json()["batch"], poll_interval=0)
    assert [c.content for c in kb.chunks.list(ds.id, doc)] == ["new words"]
