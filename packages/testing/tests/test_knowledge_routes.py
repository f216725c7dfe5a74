"""The knowledge-key routes, driven with raw httpx on the emulator's dataset key."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from difykit_testing import DifyEmulator
from emulator_http import (
    aiter_sse,
    async_client,
    client,
    error_of,
    iter_sse,
    json_array,
    sse_frames,
    walk_pages,
)

HANDBOOK = (
    "Staff get 25 days of paid leave a year.\n"
    "The office opens at nine in the morning.\n"
    "Lunch is served in the canteen at noon."
)
LINES: dict[str, Any] = {
    "mode": "custom",
    "rules": {"pre_processing_rules": [], "segmentation": {"separator": "\n", "max_tokens": 100}},
}
DONE = {"completed", "error", "paused"}


@pytest.fixture
def raw(dify_emulator: DifyEmulator) -> Iterator[httpx.Client]:
    """Plain httpx on the emulator's dataset key, in-process."""
    with client(dify_emulator, dify_emulator.dataset_key) as http:
        yield http


def create_dataset(http: httpx.Client, name: str, **fields: Any) -> str:
    """A new knowledge base's id."""
    answer = http.post("/datasets", json={"name": name, **fields})
    assert answer.status_code == 200, answer.text
    dataset_id: str = answer.json()["id"]
    return dataset_id


def create_text(http: httpx.Client, dataset_id: str, *, name: str, text: str, **fields: Any) -> Any:
    """``POST …/document/create-by-text``: the answer's ``document`` and ``batch``."""
    url = f"/datasets/{dataset_id}/document/create-by-text"
    answer = http.post(url, json={"name": name, "text": text, **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()


def create_file(
    http: httpx.Client,
    dataset_id: str,
    content: bytes,
    *,
    filename: str,
    settings: dict[str, Any],
    content_type: str = "text/plain",
) -> httpx.Response:
    """``POST …/document/create-by-file`` with ``settings`` as the ``data`` field's JSON."""
    return http.post(
        f"/datasets/{dataset_id}/document/create-by-file",
        data={"data": json.dumps(settings)},
        files={"file": (filename, content, content_type)},
    )


def wait_until_indexed(http: httpx.Client, dataset_id: str, batch: str) -> list[Any]:
    """Poll the batch's indexing status until every document is done; the answers, in order."""
    answers: list[Any] = []
    for _ in range(20):
        status = http.get(f"/datasets/{dataset_id}/documents/{batch}/indexing-status").json()
        answers.append(status)
        if all(d["indexing_status"] in DONE for d in status["data"]):
            return answers
    pytest.fail(f"batch {batch} still indexing after 20 polls")


def indexed(http: httpx.Client, dataset_id: str, text: str = HANDBOOK, name: str = "a.txt") -> str:
    """The id of a new text document split per line, once indexed."""
    created = create_text(http, dataset_id, name=name, text=text, process_rule=LINES)
    wait_until_indexed(http, dataset_id, created["batch"])
    document_id: str = created["document"]["id"]
    return document_id


def retrieve(http: httpx.Client, dataset_id: str, query: str, **fields: Any) -> list[Any]:
    """The records of ``POST …/retrieve``."""
    answer = http.post(f"/datasets/{dataset_id}/retrieve", json={"query": query, **fields})
    assert answer.status_code == 200, answer.text
    records: list[Any] = answer.json()["records"]
    return records


def segments(http: httpx.Client, dataset_id: str, document_id: str, **params: Any) -> Any:
    """The answer of ``GET …/segments``."""
    return http.get(
        f"/datasets/{dataset_id}/documents/{document_id}/segments", params=params
    ).json()


def test_the_readme_flow_finds_the_right_chunk(raw: httpx.Client) -> None:
    """A text document is split per line, indexed over polls, and retrieval ranks the match top."""
    ds = create_dataset(raw, "Handbook", indexing_technique="economy")
    created = create_text(raw, ds, name="h.txt", text=HANDBOOK, process_rule=LINES)
    assert created["document"]["indexing_status"] == "waiting"
    assert created["document"]["display_status"] == "queuing"
    answers = wait_until_indexed(raw, ds, created["batch"])
    assert answers[-1]["data"][0]["indexing_status"] == "completed"
    progress = [
        (a["data"][0]["completed_segments"], a["data"][0]["total_segments"]) for a in answers
    ]
    assert progress[0] == (0, 0) and progress[-1] == (3, 3) and len(progress) == 5
    answer = raw.post(f"/datasets/{ds}/retrieve", json={"query": "How many days of leave?"}).json()
    assert answer["query"]["content"] == "How many days of leave?"
    best = answer["records"][0]
    assert best["segment"]["content"] == "Staff get 25 days of paid leave a year."
    assert 0 < best["score"] <= 1
    assert best["segment"]["document"]["name"] == "h.txt"
    chunks = segments(raw, ds, created["document"]["id"])["data"]
    assert [c["position"] for c in chunks] == [1, 2, 3]
    assert chunks[0]["word_count"] == len(chunks[0]["content"])
    assert "leave" in chunks[0]["keywords"]


@pytest.mark.anyio
async def test_the_async_transport_runs_the_same_flow(dify_emulator: DifyEmulator) -> None:
    """An async client creates, waits for indexing and retrieves through the async transport."""
    async with async_client(dify_emulator, dify_emulator.dataset_key) as http:
        created = await http.post(
            "/datasets", json={"name": "Async", "indexing_technique": "economy"}
        )
        ds = created.json()["id"]
        doc = await http.post(
            f"/datasets/{ds}/document/create-by-text",
            json={"name": "x", "text": HANDBOOK, "process_rule": LINES},
        )
        batch = doc.json()["batch"]
        for _ in range(20):
            status = await http.get(f"/datasets/{ds}/documents/{batch}/indexing-status")
            if status.json()["data"][0]["indexing_status"] == "completed":
                break
        else:
            pytest.fail("still indexing after 20 polls")
        result = await http.post(f"/datasets/{ds}/retrieve", json={"query": "canteen lunch"})
        best = result.json()["records"][0]
        assert best["segment"]["content"] == "Lunch is served in the canteen at noon."
        listed = (await http.get("/datasets")).json()
        assert [d["name"] for d in listed["data"]] == ["Async"] and not listed["has_more"]


def test_an_app_key_is_refused_on_knowledge_routes(dify_emulator: DifyEmulator) -> None:
    """An app key gets 401 'Access token is invalid'."""
    app = dify_emulator.add_app()
    with client(dify_emulator, app.api_key) as http:
        status, code, message = error_of(http.get("/datasets"))
    assert (status, code) == (401, "unauthorized") and "Access token is invalid" in message


def test_datasets_crud_and_errors_match_dify(raw: httpx.Client) -> None:
    """Create, duplicate (409), get, update, delete (204) and delete again (404), as recorded."""
    created = raw.post("/datasets", json={"name": "kb-1", "indexing_technique": "economy"}).json()
    ds = created["id"]
    assert created["embedding_available"] is None and created.get("doc_form") is None
    assert created["permission"] == "only_me"
    duplicate = raw.post("/datasets", json={"name": "kb-1"})
    assert error_of(duplicate)[:2] == (409, "dataset_name_duplicate")
    missing = raw.post("/datasets", json={"indexing_technique": "economy"})
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_param"
    assert missing.json()["message"].startswith("1 validation error for DatasetCreatePayload\nname")
    got = raw.get(f"/datasets/{ds}").json()
    assert got["embedding_available"] is True
    assert got["retrieval_model_dict"]["search_method"] == "keyword_search"
    updated = raw.patch(
        f"/datasets/{ds}",
        json={
            "name": "kb-renamed",
            "description": "new",
            "retrieval_model": {
                "search_method": "keyword_search",
                "top_k": 3,
                "reranking_enable": False,
                "score_threshold_enabled": False,
            },
        },
    ).json()
    assert updated["name"] == "kb-renamed" and updated["partial_member_list"] == []
    assert updated["external_retrieval_model"] == {
        "top_k": 3,
        "score_threshold": None,
        "score_threshold_enabled": False,
    }
    deleted = raw.delete(f"/datasets/{ds}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    status, code, message = error_of(raw.delete(f"/datasets/{ds}"))
    assert (status, code) == (404, "not_found") and "Dataset not found." in message


def test_dataset_pages_walk_and_filter(raw: httpx.Client) -> None:
    """Pages of two walk all datasets newest first; keyword and tag filters narrow the list."""
    ids = [create_dataset(raw, f"set-{n}") for n in range(5)]
    first = raw.get("/datasets", params={"limit": 2}).json()
    assert first["has_more"] and first["total"] == 5 and len(first["data"]) == 2
    walked = walk_pages(raw, "/datasets", {"limit": 2})
    assert [d["id"] for d in walked] == list(reversed(ids))
    found = raw.get("/datasets", params={"keyword": "SET-3"}).json()["data"]
    assert [d["name"] for d in found] == ["set-3"]
    tag = raw.post("/datasets/tags", json={"name": "blue"}).json()
    bound = raw.post("/datasets/tags/binding", json={"tag_ids": [tag["id"]], "target_id": ids[1]})
    assert bound.status_code == 204
    tagged = raw.get("/datasets", params={"tag_ids": tag["id"]}).json()["data"]
    assert [d["id"] for d in tagged] == [ids[1]]


def test_documents_list_get_and_metadata_views(raw: httpx.Client) -> None:
    """Documents list newest first with keyword and status filters; get honours ``metadata``."""
    ds = create_dataset(raw, "docs", indexing_technique="economy")
    first = indexed(raw, ds, name="alpha.txt")
    second = indexed(raw, ds, name="beta.txt")
    url = f"/datasets/{ds}/documents"

    def listed(**params: str) -> list[Any]:
        documents: list[Any] = raw.get(url, params=params).json()["data"]
        return documents

    assert [d["id"] for d in listed()] == [second, first]
    assert [d["name"] for d in listed(keyword="alp")] == ["alpha.txt"]
    disabled = raw.patch(f"{url}/status/disable", json={"document_ids": [first]})
    assert disabled.json() == {"result": "success"}
    assert [d["id"] for d in listed(status="disabled")] == [first]
    detail = raw.get(f"{url}/{first}").json()
    assert detail["display_status"] == "disabled" and detail["segment_count"] == 3
    assert detail["document_process_rule"]["mode"] == "custom"
    only = raw.get(f"{url}/{first}", params={"metadata": "only"}).json()
    assert set(only) == {"id", "doc_type", "doc_metadata"}
    without = raw.get(f"{url}/{first}", params={"metadata": "without"})
    assert "doc_metadata" not in without.json() and "segment_count" in without.json()
    bad = raw.get(f"{url}/{first}", params={"metadata": "some"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_metadata"
    full = raw.get(f"{url}/{first}", params={"metadata": "all"}).json()
    assert full["data_source_info"]["upload_file"]["name"] == "alpha.txt"


def test_document_deletion_waits_for_indexing(
    raw: httpx.Client, dify_emulator: DifyEmulator
) -> None:
    """Deleting mid-indexing is 400 document_indexing; later 204, then the document is 404."""
    dify_emulator.knowledge.indexing_seconds = None
    ds = create_dataset(raw, "del", indexing_technique="economy")
    doc = create_text(raw, ds, name="d", text=HANDBOOK)
    doc_url = f"/datasets/{ds}/documents/{doc['document']['id']}"
    status = raw.get(f"/datasets/{ds}/documents/{doc['batch']}/indexing-status").json()
    assert status["data"][0]["indexing_status"] == "parsing"
    assert error_of(raw.delete(doc_url)) == (
        400,
        "document_indexing",
        "Cannot delete document during indexing.",
    )
    wait_until_indexed(raw, ds, doc["batch"])
    assert raw.delete(doc_url).status_code == 204
    gone = raw.get(doc_url)
    assert gone.status_code == 404 and "Document not found." in gone.json()["message"]


def test_status_actions_and_a_bad_action(raw: httpx.Client) -> None:
    """Archived and disabled documents leave retrieval; an unknown action is 400 invalid_action."""
    ds = create_dataset(raw, "status", indexing_technique="economy")
    doc = indexed(raw, ds)
    url = f"/datasets/{ds}/documents/status"
    raw.patch(f"{url}/archive", json={"document_ids": [doc]})
    assert retrieve(raw, ds, "leave") == []
    immutable = raw.delete(f"/datasets/{ds}/documents/{doc}")
    assert error_of(immutable)[:2] == (403, "archived_document_immutable")
    raw.patch(f"{url}/un_archive", json={"document_ids": [doc]})
    assert len(retrieve(raw, ds, "leave")) == 1
    bad = raw.patch(f"{url}/explode", json={"document_ids": [doc]})
    assert bad.status_code == 400
    assert bad.json() == {
        "code": "invalid_action",
        "message": "Invalid action: explode. Must be one of "
        "['enable', 'disable', 'archive', 'un_archive']",
        "status": 400,
    }


def test_file_documents_are_created_updated_and_downloaded(raw: httpx.Client) -> None:
    """Files become documents, PATCH replaces a file, and the signed URL and zip give the bytes."""
    ds = create_dataset(raw, "files", indexing_technique="economy")
    faq = b"# FAQ\n\nQ: Is it open source?\nA: Yes."
    answer = create_file(
        raw,
        ds,
        faq,
        filename="faq.md",
        content_type="text/markdown",
        settings={"process_rule": LINES},
    )
    created = answer.json()
    assert created["document"]["name"] == "faq.md"
    assert created["document"]["data_source_type"] == "upload_file"
    document_id = created["document"]["id"]
    wait_until_indexed(raw, ds, created["batch"])
    updated = raw.patch(
        f"/datasets/{ds}/documents/{document_id}",
        data={"data": "{}"},
        files={"file": ("v2.txt", b"v2 text", "text/plain")},
    ).json()
    assert updated["batch"] == created["batch"]
    assert updated["document"]["indexing_status"] == "waiting"
    wait_until_indexed(raw, ds, updated["batch"])
    assert [c["content"] for c in segments(raw, ds, document_id)["data"]] == ["v2 text"]
    text_doc = indexed(raw, ds, text="plain words", name="plain.txt")
    url = raw.get(f"/datasets/{ds}/documents/{document_id}/download").json()["url"]
    fetched = raw.get(url)
    assert fetched.content == b"v2 text" and "attachment" in fetched.headers["content-disposition"]
    assert raw.get(url.replace("sign=", "sign=x")).status_code == 403
    download = raw.post(
        f"/datasets/{ds}/documents/download-zip", json={"document_ids": [document_id, text_doc]}
    )
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == ["plain.txt", "v2.txt"]
        assert archive.read("plain.txt") == b"plain words"


def test_file_upload_errors_use_dify_codes(raw: httpx.Client) -> None:
    """No ``file`` part is 400 no_file_uploaded; a non-document extension is 415."""
    ds = create_dataset(raw, "uploads", indexing_technique="economy")
    url = f"/datasets/{ds}/document/create-by-file"
    data = {"data": '{"indexing_technique": "economy", "process_rule": {"mode": "automatic"}}'}
    no_file = raw.post(url, data=data, files={"other": ("x.txt", b"x", "text/plain")})
    assert no_file.status_code == 400 and no_file.json()["code"] == "no_file_uploaded"
    exe = create_file(
        raw,
        ds,
        b"MZ",
        filename="tool.exe",
        content_type="application/x-msdownload",
        settings={"process_rule": LINES},
    )
    assert error_of(exe)[:2] == (415, "unsupported_file_type")
    no_rule = create_file(raw, ds, b"text", filename="a.txt", settings={})
    assert error_of(no_rule)[0] == 400 and error_of(no_rule)[2] == "process_rule is required."


def test_chunk_crud_and_dify_errors(raw: httpx.Client) -> None:
    """Chunks are added, listed, read, updated and deleted; bad bodies get Dify's odd ``error``."""
    ds = create_dataset(raw, "chunks", indexing_technique="economy")
    doc = indexed(raw, ds)
    url = f"/datasets/{ds}/documents/{doc}/segments"
    batch = raw.post(
        url,
        json={"segments": [{"content": "A manual chunk about API keys."}, {"content": "Second."}]},
    ).json()
    assert [c["position"] for c in batch["data"]] == [4, 5] and batch["doc_form"] == "text_model"
    chunk = batch["data"][0]["id"]
    page = segments(raw, ds, doc, keyword="manual", status="completed", limit=10)
    assert [c["id"] for c in page["data"]] == [chunk] and page["total"] == 1
    got = raw.get(f"{url}/{chunk}").json()
    assert got["data"]["content"] == "A manual chunk about API keys."
    changed = raw.post(
        f"{url}/{chunk}", json={"segment": {"content": "Rotated keys.", "keywords": ["rotate"]}}
    ).json()
    assert changed["data"]["content"] == "Rotated keys." and changed["data"]["keywords"] == [
        "rotate"
    ]
    raw.post(f"{url}/{chunk}", json={"segment": {"enabled": False}})
    disabled = raw.post(f"{url}/{chunk}", json={"segment": {"content": "again"}})
    assert error_of(disabled)[0] == 400
    assert error_of(disabled)[2] == "Can't update disabled segment"
    deleted = raw.delete(f"{url}/{chunk}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = raw.delete(f"{url}/{chunk}")
    assert gone.status_code == 404 and "Segment not found." in gone.json()["message"]
    empty = raw.post(url, json={"segments": []})
    assert empty.status_code == 400 and set(empty.json()) == {"error"}
    assert empty.json()["error"].startswith("1 validation error for SegmentCreatePayload")


def test_chunks_need_an_indexed_enabled_document(
    raw: httpx.Client, dify_emulator: DifyEmulator
) -> None:
    """Adding chunks to a document still indexing is 404, as Dify answers."""
    dify_emulator.knowledge.indexing_seconds = None
    ds = create_dataset(raw, "early", indexing_technique="economy")
    doc = create_text(raw, ds, name="d", text=HANDBOOK)
    answer = raw.post(
        f"/datasets/{ds}/documents/{doc['document']['id']}/segments",
        json={"segments": [{"content": "x"}]},
    )
    assert answer.status_code == 404 and "Document is not completed." in answer.json()["message"]


def test_child_chunk_crud(raw: httpx.Client) -> None:
    """Child chunks are created (customized), listed with total_pages, updated and deleted."""
    ds = create_dataset(raw, "children", indexing_technique="economy")
    doc = indexed(raw, ds)
    parent = segments(raw, ds, doc)["data"][0]["id"]
    url = f"/datasets/{ds}/documents/{doc}/segments/{parent}/child_chunks"
    empty = raw.get(url).json()
    assert empty["data"] == [] and (empty["total"], empty["total_pages"]) == (0, 0)
    child = raw.post(url, json={"content": "child one"}).json()["data"]
    raw.post(url, json={"content": "child two"})
    assert child["type"] == "customized" and child["position"] == 1 and child["word_count"] == 9
    first = raw.get(url, params={"limit": 1}).json()
    assert (first["page"], first["total_pages"], len(first["data"])) == (1, 2, 1)
    walked = walk_pages(raw, url, {"limit": 1})
    assert [c["content"] for c in walked] == ["child one", "child two"]
    renamed = raw.patch(f"{url}/{child['id']}", json={"content": "child 1"}).json()["data"]
    assert renamed["content"] == "child 1"
    assert raw.delete(f"{url}/{child['id']}").status_code == 204
    assert [c["content"] for c in raw.get(url).json()["data"]] == ["child two"]
    assert error_of(raw.delete(f"{url}/{child['id']}"))[0] == 404


def test_hierarchical_documents_retrieve_child_chunks(raw: httpx.Client) -> None:
    """Parent-child documents split children by line and retrieval names the matching child."""
    ds = create_dataset(raw, "parents", indexing_technique="economy")
    rule: dict[str, Any] = {
        "mode": "hierarchical",
        "rules": {
            "pre_processing_rules": [],
            "segmentation": {"separator": "\n\n", "max_tokens": 500},
            "parent_mode": "paragraph",
            "subchunk_segmentation": {"separator": "\n", "max_tokens": 50},
        },
    }
    doc = create_text(
        raw,
        ds,
        name="p",
        text="Alpha one.\nBeta two.\n\nGamma three.",
        doc_form="hierarchical_model",
        process_rule=rule,
    )
    wait_until_indexed(raw, ds, doc["batch"])
    parents = segments(raw, ds, doc["document"]["id"])["data"]
    assert [len(p["child_chunks"]) for p in parents] == [2, 1]
    record = retrieve(raw, ds, "beta")[0]
    assert [c["content"] for c in record["child_chunks"]] == ["Beta two."]


def test_tags_lifecycle(raw: httpx.Client) -> None:
    """Tags are created, refused when duplicated, renamed, bound, listed per dataset and deleted."""
    ds = create_dataset(raw, "tagged")
    tag = raw.post("/datasets/tags", json={"name": "recorded"}).json()
    assert tag["binding_count"] == "0" and tag["type"] == "knowledge"
    duplicate = raw.post("/datasets/tags", json={"name": "recorded"})
    assert duplicate.status_code == 400 and duplicate.json()["message"] == "Tag name already exists"
    missing = raw.post("/datasets/tags", json={})
    assert missing.json()["message"].startswith("1 validation error for TagCreatePayload")
    other = raw.post("/datasets/tags", json={"name": "temp"}).json()
    renamed = raw.patch("/datasets/tags", json={"tag_id": tag["id"], "name": "recorded-renamed"})
    assert renamed.json()["name"] == "recorded-renamed"
    binding = {"tag_ids": [tag["id"], other["id"]], "target_id": ds}
    assert raw.post("/datasets/tags/binding", json=binding).status_code == 204
    assert json_array(raw.get("/datasets/tags"))[1]["binding_count"] == "1"
    bound = raw.get(f"/datasets/{ds}/tags").json()
    assert [t["name"] for t in bound["data"]] == ["temp", "recorded-renamed"]
    assert bound["total"] == 2
    on_dataset = raw.get(f"/datasets/{ds}").json()["tags"]
    assert [t["name"] for t in on_dataset] == ["temp", "recorded-renamed"]
    unbinding = {"tag_ids": [other["id"]], "target_id": ds}
    assert raw.post("/datasets/tags/unbinding", json=unbinding).status_code == 204
    deleted = raw.request("DELETE", "/datasets/tags", json={"tag_id": tag["id"]})
    assert deleted.status_code == 204
    assert [t["name"] for t in json_array(raw.get("/datasets/tags"))] == ["temp"]
    assert raw.get(f"/datasets/{ds}/tags").json()["total"] == 0
    again = raw.request("DELETE", "/datasets/tags", json={"tag_id": tag["id"]})
    assert error_of(again)[0] == 404


def test_metadata_values_filter_retrieval(raw: httpx.Client) -> None:
    """Metadata fields are created (201), set on documents, counted, and filter retrieval."""
    ds = create_dataset(raw, "meta", indexing_technique="economy")
    ada = indexed(raw, ds, text="Dify is an open platform.", name="ada.txt")
    indexed(raw, ds, text="Dify runs workflows.", name="bob.txt")
    url = f"/datasets/{ds}/metadata"
    created = raw.post(url, json={"type": "string", "name": "author"})
    assert created.status_code == 201 and set(created.json()) == {"id", "type", "name"}
    field = raw.patch(f"{url}/{created.json()['id']}", json={"name": "writer"}).json()
    assert field["name"] == "writer"
    year = raw.post(url, json={"type": "number", "name": "year"})
    assert year.status_code == 201
    year_id = year.json()["id"]
    values = [
        {"id": field["id"], "name": "writer", "value": "Ada"},
        {"id": year_id, "name": "year", "value": 2024},
    ]
    operations = {"operation_data": [{"document_id": ada, "metadata_list": values}]}
    assert raw.post(f"/datasets/{ds}/documents/metadata", json=operations).status_code == 200
    fields = raw.get(url).json()["doc_metadata"]
    assert [(f["name"], f["count"]) for f in fields] == [("writer", 1), ("year", 1)]
    stored = raw.get(f"/datasets/{ds}/documents/{ada}").json()["doc_metadata"]
    assert [(v["name"], v["value"]) for v in stored][:2] == [("writer", "Ada"), ("year", 2024)]
    assert raw.get(f"{url}/built-in").json()["fields"][0]["name"] == "document_name"

    def authors(condition: dict[str, Any]) -> list[str]:
        model = {
            "search_method": "keyword_search",
            "top_k": 5,
            "reranking_enable": False,
            "score_threshold_enabled": False,
            "metadata_filtering_conditions": {"conditions": [condition]},
        }
        records = retrieve(raw, ds, "Dify", retrieval_model=model)
        return [r["segment"]["document"]["name"] for r in records]

    writer_is_ada = {"name": "writer", "comparison_operator": "is", "value": "Ada"}
    assert authors(writer_is_ada) == ["ada.txt"]
    assert authors({"name": "year", "comparison_operator": ">", "value": 2030}) == []
    assert authors({"name": "writer", "comparison_operator": "empty"}) == ["bob.txt"]
    assert raw.post(f"{url}/built-in/enable").status_code == 200
    record = retrieve(raw, ds, "workflows")[0]
    assert record["segment"]["document"]["doc_metadata"]["document_name"] == "bob.txt"
    assert raw.post(f"{url}/built-in/disable").status_code == 200
    assert raw.delete(f"{url}/{year_id}").status_code == 204
    assert [f["name"] for f in raw.get(url).json()["doc_metadata"]] == ["writer"]


def test_retrieval_errors_and_alias(raw: httpx.Client) -> None:
    """Semantic search fails on economy data; no query is invalid_param; hit-testing works."""
    ds = create_dataset(raw, "search", indexing_technique="economy")
    indexed(raw, ds)
    semantic = raw.post(
        f"/datasets/{ds}/retrieve",
        json={
            "query": "leave",
            "retrieval_model": {
                "search_method": "semantic_search",
                "top_k": 3,
                "reranking_enable": False,
                "score_threshold_enabled": False,
            },
        },
    )
    assert error_of(semantic)[:2] == (400, "invalid_param")
    missing = raw.post(f"/datasets/{ds}/retrieve", json={})
    assert missing.json()["message"].startswith("1 validation error for HitTestingPayload\nquery")
    alias = raw.post(f"/datasets/{ds}/hit-testing", json={"query": "office"}).json()
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
    raw: httpx.Client, dify_emulator: DifyEmulator
) -> None:
    """``fail_next_indexing`` ends a document in error; otherwise documents finish with time."""
    ds = create_dataset(raw, "failing", indexing_technique="economy")
    dify_emulator.knowledge.fail_next_indexing("Broken PDF.")
    doc = create_text(raw, ds, name="bad", text="x")
    (failed,) = wait_until_indexed(raw, ds, doc["batch"])[-1]["data"]
    assert failed["indexing_status"] == "error" and failed["error"] == "Broken PDF."
    dify_emulator.knowledge.indexing_seconds = 0
    fine = create_text(raw, ds, name="ok", text=HANDBOOK)
    detail = raw.get(f"/datasets/{ds}/documents/{fine['document']['id']}").json()
    assert detail["indexing_status"] == "completed"


def test_models_lists_the_emulated_provider(raw: httpx.Client) -> None:
    """The workspace has one provider with an embedding model and no TTS models."""
    url = "/workspaces/current/models/model-types"
    providers = raw.get(f"{url}/text-embedding").json()["data"]
    assert [p["provider"] for p in providers] == ["difykit-emulator"]
    assert [m["model"] for m in providers[0]["models"]] == ["emulator-embedding"]
    assert raw.get(f"{url}/tts").json()["data"] == []


def test_pipeline_upload_nodes_and_runs(raw: httpx.Client) -> None:
    """Pipeline files upload (201, ISO time), nodes list, node runs stream, and runs index files."""
    ds = create_dataset(raw, "pipe", indexing_technique="economy")
    upload = raw.post(
        "/datasets/pipeline/file-upload",
        files={"file": ("p.txt", b"Pipelines ingest files.", "text/plain")},
    )
    assert upload.status_code == 201
    uploaded = upload.json()
    assert isinstance(uploaded["created_at"], str) and "T" in uploaded["created_at"]
    url = f"/datasets/{ds}/pipeline"
    nodes = raw.get(f"{url}/datasource-plugins").json()
    assert [n["node_id"] for n in nodes] == ["local-file", "website-crawl"]
    crawl = {
        "inputs": {"url": "https://example.com"},
        "datasource_type": "website_crawl",
        "is_published": True,
    }
    with raw.stream("POST", f"{url}/datasource/nodes/website-crawl/run", json=crawl) as stream:
        frames = list(iter_sse(stream))
    assert [f["event"] for f in frames] == ["datasource_processing", "datasource_completed"]
    assert frames[-1]["completed"] == 1
    local: dict[str, Any] = {
        "inputs": {},
        "datasource_type": "local_file",
        "datasource_info_list": [{"reference": uploaded["id"], "name": "p.txt"}],
        "start_node_id": "local-file",
        "is_published": True,
        "response_mode": "blocking",
    }
    ran = raw.post(f"{url}/run", json=local).json()["data"]
    assert ran["status"] == "succeeded"
    wait_until_indexed(raw, ds, str(ran["outputs"]["batch"]))
    records = retrieve(raw, ds, "ingest")
    assert records[0]["segment"]["content"] == "Pipelines ingest files."
    website = {
        **local,
        "datasource_type": "website_crawl",
        "datasource_info_list": [{"url": "https://a.b", "title": "AB"}],
        "start_node_id": "website-crawl",
        "response_mode": "streaming",
    }
    streamed = sse_frames(raw.post(f"{url}/run", json=website).text)
    assert streamed[-1]["event"] == "workflow_finished"
    assert streamed[-1]["data"]["status"] == "succeeded"
    unknown = {**local, "datasource_info_list": [{"reference": "nope"}]}
    assert error_of(raw.post(f"{url}/run", json=unknown))[:2] == (500, "pipeline_run_error")


@pytest.mark.anyio
async def test_async_files_chunks_and_pipeline_stream(dify_emulator: DifyEmulator) -> None:
    """An async client uploads a file document, edits chunks, zips it and streams a pipeline."""
    async with async_client(dify_emulator, dify_emulator.dataset_key) as http:
        created = await http.post(
            "/datasets", json={"name": "async-files", "indexing_technique": "economy"}
        )
        ds = created.json()["id"]
        answer = await http.post(
            f"/datasets/{ds}/document/create-by-file",
            data={"data": json.dumps({"process_rule": LINES})},
            files={"file": ("n.txt", b"one\ntwo", "text/plain")},
        )
        doc = answer.json()
        document_id = doc["document"]["id"]
        for _ in range(20):
            status = await http.get(f"/datasets/{ds}/documents/{doc['batch']}/indexing-status")
            if status.json()["data"][0]["indexing_status"] == "completed":
                break
        url = f"/datasets/{ds}/documents/{document_id}/segments"
        chunks = (await http.get(url)).json()["data"]
        assert [c["content"] for c in chunks] == ["one", "two"]
        assert (await http.delete(f"{url}/{chunks[0]['id']}")).status_code == 204
        assert (await http.get(url)).json()["total"] == 1
        download = await http.post(
            f"/datasets/{ds}/documents/download-zip", json={"document_ids": [document_id]}
        )
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert archive.read("n.txt") == b"one\ntwo"
        upload = await http.post(
            "/datasets/pipeline/file-upload",
            files={"file": ("s.md", b"streamed pipeline", "text/markdown")},
        )
        uploaded = upload.json()
        body: dict[str, Any] = {
            "inputs": {},
            "datasource_type": "local_file",
            "datasource_info_list": [{"reference": uploaded["id"], "name": "s.md"}],
            "start_node_id": "local-file",
            "is_published": True,
            "response_mode": "streaming",
        }
        async with http.stream("POST", f"/datasets/{ds}/pipeline/run", json=body) as stream:
            events = [frame["event"] async for frame in aiter_sse(stream)]
        assert events[0] == "workflow_started" and events[-1] == "workflow_finished"


def test_the_legacy_update_by_file_route_replaces_the_file(raw: httpx.Client) -> None:
    """``POST …/update-by-file`` (deprecated, still routed) re-indexes the new file."""
    ds = create_dataset(raw, "legacy", indexing_technique="economy")
    doc = indexed(raw, ds, text="old words")
    answer = raw.post(
        f"/datasets/{ds}/documents/{doc}/update-by-file",
        files={"file": ("new.txt", b"new words", "text/plain")},
    )
    assert answer.status_code == 200 and answer.json()["document"]["name"] == "new.txt"
    wait_until_indexed(raw, ds, answer.json()["batch"])
    assert [c["content"] for c in segments(raw, ds, doc)["data"]] == ["new words"]
