"""Dataset-key builders for knowledge bases, tags, metadata fields and workspace models."""

from __future__ import annotations

from typing import Any

import pytest
from recorded import dumped, json_answer, recorded, sent

from difykit_core import HttpRequest, InvalidRequestError
from difykit_core._http import HttpMethod
from difykit_core.models.knowledge import (
    Dataset,
    DocumentMetadataUpdate,
    ExternalRetrievalModel,
    KnowledgeTag,
    MetadataCondition,
    MetadataFilter,
    MetadataValue,
    ModelProvider,
    RetrievalModel,
    RetrievalResult,
    SummaryIndexSetting,
)
from difykit_core.operations import datasets, metadata, models, tags

DATASET = "ab042b05-2815-407a-873a-69dff18df45c"


def describe(call: Any) -> tuple[str, str, bool]:
    """A call's operation, key family and replayability (knowledge calls have no user)."""
    assert call.user is None
    return (call.operation, call.key_family, call.replayable)


# --- datasets ---------------------------------------------------------------------------------


def test_create_dataset_posts_the_recorded_name_and_reads_the_dataset() -> None:
    """Recording 100: only the name is sent; the new knowledge base parses in full."""
    exchange = recorded("100-dataset-create-empty-no-technique")
    call = datasets.create_dataset(name="empty-kb")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("datasets.create", "knowledge", False)
    dataset = call.parse(exchange.response)
    assert isinstance(dataset, Dataset)
    assert (dataset.name, dataset.permission, dataset.runtime_mode) == (
        "empty-kb",
        "only_me",
        "general",
    )
    assert dumped(dataset) == exchange.body


def test_create_dataset_sends_every_setting_given() -> None:
    """Typed settings are dumped as JSON, ``None`` ones left out."""
    call = datasets.create_dataset(
        name="support-kb",
        description="Tickets",
        indexing_technique="high_quality",
        permission="all_team_members",
        embedding_model="text-embedding-3-small",
        embedding_model_provider="langgenius/openai/openai",
        retrieval_model=RetrievalModel(search_method="hybrid_search", top_k=4),
        summary_index_setting=SummaryIndexSetting(enable=True, model_name="gpt-4o-mini"),
    )
    assert call.request == HttpRequest(
        "POST",
        "/datasets",
        json={
            "name": "support-kb",
            "description": "Tickets",
            "indexing_technique": "high_quality",
            "permission": "all_team_members",
            "embedding_model": "text-embedding-3-small",
            "embedding_model_provider": "langgenius/openai/openai",
            "retrieval_model": {
                "search_method": "hybrid_search",
                "top_k": 4,
                "reranking_enable": False,
                "score_threshold_enabled": False,
            },
            "summary_index_setting": {"enable": True, "model_name": "gpt-4o-mini"},
        },
    )


def test_create_external_dataset_sends_its_connection() -> None:
    """An external knowledge base names its provider, API and external id."""
    call = datasets.create_dataset(
        name="wiki",
        provider="external",
        external_knowledge_api_id="api-1",
        external_knowledge_id="ext-9",
    )
    assert call.request.json == {
        "name": "wiki",
        "provider": "external",
        "external_knowledge_api_id": "api-1",
        "external_knowledge_id": "ext-9",
    }


@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"name": ""}, "`name` must not be empty"),
        ({"name": "x" * 41}, "`name`: String should have at most 40 characters"),
        ({"name": "kb", "indexing_technique": "fast"}, "`indexing_technique`"),
        ({"name": "kb", "permission": "everyone"}, "`permission`"),
        ({"name": "kb", "description": "d" * 401}, "`description`"),
    ],
    ids=["empty-name", "long-name", "unknown-technique", "unknown-permission", "long-description"],
)
def test_bad_dataset_settings_raise_before_building(fields: dict[str, Any], mentions: str) -> None:
    """Dify's limits and enums are checked before the request exists."""
    with pytest.raises(InvalidRequestError, match=mentions):
        datasets.create_dataset(**fields)


def test_list_datasets_sends_the_recorded_query_and_reads_the_page() -> None:
    """Recording 132: page and limit are sent; both knowledge bases parse in full."""
    exchange = recorded("132-datasets-list")
    call = datasets.list_datasets(page=1, limit=20)
    assert call.request == HttpRequest("GET", "/datasets", query=(("page", "1"), ("limit", "20")))
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("datasets.list", "knowledge", True)
    page = call.parse(exchange.response)
    assert (page.total, page.page, page.has_more, len(page.data)) == (2, 1, False, 2)
    assert dumped(page) == exchange.body
    assert call.next_page is not None
    assert call.next_page(page) is None


@pytest.mark.parametrize(
    ("tag_ids", "sent_tags"),
    [("t-1", [("tag_ids", "t-1")]), (("t-1", "t-2"), [("tag_ids", "t-1"), ("tag_ids", "t-2")])],
    ids=["lone-string", "sequence"],
)
def test_list_datasets_repeats_tag_ids_and_pages_keep_the_filters(
    tag_ids: Any, sent_tags: list[tuple[str, str]]
) -> None:
    """Tag ids repeat the ``tag_ids`` key (a lone id too); the next page keeps every filter."""
    call = datasets.list_datasets(limit=1, keyword="kb", include_all=False, tag_ids=tag_ids)
    filters = (("limit", "1"), ("keyword", "kb"), ("include_all", "false"), *sent_tags)
    assert call.request.query == filters
    page = call.parse(
        json_answer({"data": [{"id": "d-1"}], "has_more": True, "limit": 1, "total": 2, "page": 1})
    )
    assert call.next_page is not None
    following = call.next_page(page)
    assert following is not None
    assert following.request.query == (("page", "2"), *filters)


@pytest.mark.parametrize(
    ("builder", "method", "recording", "operation", "replayable"),
    [
        (datasets.get_dataset, "GET", "134-dataset-get", "datasets.get", True),
        (datasets.delete_dataset, "DELETE", "174-dataset-delete", "datasets.delete", False),
    ],
    ids=["get", "delete"],
)
def test_dataset_by_id_routes(
    builder: Any, method: HttpMethod, recording: str, operation: str, replayable: bool
) -> None:
    """Get and delete address the knowledge base by escaped id; their answers parse."""
    exchange = recorded(recording)
    call = builder(DATASET)
    assert call.request == HttpRequest(method, f"/datasets/{DATASET}")
    assert sent(call.request) == exchange.sent
    assert describe(call) == (operation, "knowledge", replayable)
    result = call.parse(exchange.response)
    assert (dumped(result) if result is not None else None) == exchange.body
    assert builder("a/b").request.path == "/datasets/a%2Fb"
    with pytest.raises(InvalidRequestError, match="`dataset_id`"):
        builder("")


def test_update_dataset_patches_only_what_is_given() -> None:
    """Recording 104: name, description and retrieval settings are PATCHed, replayably."""
    exchange = recorded("104-dataset-update")
    call = datasets.update_dataset(
        DATASET,
        name="recorder-kb-renamed",
        description="updated description",
        retrieval_model=RetrievalModel(search_method="keyword_search", top_k=3),
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("datasets.update", "knowledge", True)
    dataset = call.parse(exchange.response)
    assert dataset.name == "recorder-kb-renamed"
    assert dumped(dataset) == exchange.body


def test_update_dataset_sends_members_and_external_settings() -> None:
    """Member ids become ``{"user_id": …}`` objects; external settings are dumped."""
    call = datasets.update_dataset(
        DATASET,
        permission="partial_members",
        partial_member_list=["acc-1", "acc-2"],
        external_retrieval_model=ExternalRetrievalModel(top_k=3, score_threshold=0.5),
        external_knowledge_id="ext-9",
        external_knowledge_api_id="api-1",
    )
    assert call.request.json == {
        "permission": "partial_members",
        "partial_member_list": [{"user_id": "acc-1"}, {"user_id": "acc-2"}],
        "external_retrieval_model": {"top_k": 3, "score_threshold": 0.5},
        "external_knowledge_id": "ext-9",
        "external_knowledge_api_id": "api-1",
    }
    with pytest.raises(
        InvalidRequestError, match=r"`partial_member_list\.0\.user_id` must not be empty"
    ):
        datasets.update_dataset(DATASET, partial_member_list=[""])
    with pytest.raises(InvalidRequestError, match="`name` must not be empty"):
        datasets.update_dataset(DATASET, name="")


def test_retrieve_posts_the_recorded_query_and_reads_the_records() -> None:
    """Recording 128: the query is posted (replayable: a search changes nothing)."""
    exchange = recorded("128-dataset-retrieve-default-model")
    call = datasets.retrieve_chunks(DATASET, query="API keys")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("datasets.retrieve", "knowledge", True)
    result = call.parse(exchange.response)
    assert isinstance(result, RetrievalResult)
    assert result.query.content == "API keys"
    assert result.records[0].segment.document is not None
    assert dumped(result) == exchange.body


def test_retrieve_sends_a_metadata_filter_and_attachments() -> None:
    """Recording 154's retrieval settings with a metadata filter, plus image ids, are sent."""
    call = datasets.retrieve_chunks(
        DATASET,
        query="Dify",
        retrieval_model=RetrievalModel(
            search_method="keyword_search",
            top_k=5,
            metadata_filtering_conditions=MetadataFilter(
                logical_operator="and",
                conditions=[
                    MetadataCondition(name="writer", comparison_operator="is", value="Ada")
                ],
            ),
        ),
        attachment_ids=("img-1",),
    )
    assert call.request.json == {
        "query": "Dify",
        "retrieval_model": {
            "search_method": "keyword_search",
            "reranking_enable": False,
            "top_k": 5,
            "score_threshold_enabled": False,
            "metadata_filtering_conditions": {
                "logical_operator": "and",
                "conditions": [{"name": "writer", "comparison_operator": "is", "value": "Ada"}],
            },
        },
        "attachment_ids": ["img-1"],
    }


@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"query": ""}, "`query` must not be empty"),
        ({"query": "  "}, "`query` must not be blank"),
        ({"query": "q" * 251}, "`query`: String should have at most 250"),
        ({"query": "q", "attachment_ids": "img-1"}, "`attachment_ids` must be a list"),
        ({"query": "q", "external_retrieval_model": {"top_k": 0}}, "`external_retrieval_model"),
    ],
    ids=["empty", "blank", "too-long", "lone-attachment", "bad-external-top-k"],
)
def test_bad_retrieval_arguments_raise(fields: dict[str, Any], mentions: str) -> None:
    """Retrieval queries are checked for emptiness and length before sending."""
    with pytest.raises(InvalidRequestError, match=mentions):
        datasets.retrieve_chunks(DATASET, **fields)


# --- tags -------------------------------------------------------------------------------------

TAG: dict[str, Any] = {
    "id": "7af455e8-9cb4-4532-b056-5e564b48234c",
    "name": "recorded",
    "type": "knowledge",
    "binding_count": 0,
}


def test_list_tags_reads_the_bare_array_as_one_complete_page() -> None:
    """``GET /datasets/tags`` answers an array; it becomes one complete page."""
    call = tags.list_tags()
    assert call.request == HttpRequest("GET", "/datasets/tags")
    assert describe(call) == ("tags.list", "knowledge", True)
    page = call.parse(json_answer([TAG, {**TAG, "id": "t-2", "binding_count": "3"}]))
    assert [t.binding_count for t in page.data] == [0, "3"]
    assert (page.total, page.has_more) == (2, False)
    assert call.next_page is None


def test_create_and_rename_tag_send_the_name() -> None:
    """Create posts the name; rename PATCHes id and name (replayably); both read the tag."""
    create = tags.create_tag(name="recorded")
    assert create.request == HttpRequest("POST", "/datasets/tags", json={"name": "recorded"})
    assert describe(create) == ("tags.create", "knowledge", False)
    assert create.parse(json_answer(TAG)) == KnowledgeTag.model_validate(TAG)
    rename = tags.rename_tag(TAG["id"], name="recorded-renamed")
    assert rename.request == HttpRequest(
        "PATCH", "/datasets/tags", json={"tag_id": TAG["id"], "name": "recorded-renamed"}
    )
    assert describe(rename) == ("tags.rename", "knowledge", True)
    assert (
        dumped(rename.parse(json_answer({**TAG, "name": "recorded-renamed"})))["name"]
        == "recorded-renamed"
    )


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (lambda: tags.create_tag(name=""), "`name` must not be empty"),
        (lambda: tags.create_tag(name="t" * 51), "`name`: String should have at most 50"),
        (lambda: tags.rename_tag("", name="x"), "`tag_id` must not be empty"),
        (lambda: tags.delete_tag(""), "`tag_id`"),
        (lambda: tags.bind_tags("", tag_ids=["t"]), "`dataset_id`"),
        (lambda: tags.bind_tags(DATASET, tag_ids=[]), "`tag_ids`"),
        (lambda: tags.unbind_tags(DATASET, tag_ids="t-1"), "`tag_ids` must be a list"),
        (lambda: tags.list_dataset_tags(""), "`dataset_id`"),
    ],
    ids=[
        "empty-name",
        "long-name",
        "rename-no-id",
        "delete-no-id",
        "bind-no-dataset",
        "bind-none",
        "unbind-lone",
        "of-dataset-no-id",
    ],
)
def test_bad_tag_arguments_raise(build: Any, mentions: str) -> None:
    """Tag names, ids and lists are checked before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()


def test_delete_tag_sends_the_recorded_id_in_the_body() -> None:
    """Recording 144: ``DELETE /datasets/tags`` with ``{"tag_id": …}``; the 204 reads as None."""
    exchange = recorded("144-dataset-tag-delete")
    call = tags.delete_tag("ff045034-94ec-4501-b0f2-8ba160635c81")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("tags.delete", "knowledge", False)
    assert call.parse(exchange.response) is None


def test_bind_and_unbind_send_the_recorded_body() -> None:
    """Recording 140: tag ids and the dataset as ``target_id``; both are replayable."""
    exchange = recorded("140-dataset-tag-binding")
    tag_ids = ("7af455e8-9cb4-4532-b056-5e564b48234c", "ff045034-94ec-4501-b0f2-8ba160635c81")
    bind = tags.bind_tags(DATASET, tag_ids=tag_ids)
    assert sent(bind.request) == exchange.sent
    assert describe(bind) == ("tags.bind", "knowledge", True)
    assert bind.parse(exchange.response) is None
    unbind = tags.unbind_tags(DATASET, tag_ids=tag_ids[:1])
    assert unbind.request == HttpRequest(
        "POST",
        "/datasets/tags/unbinding",
        json={"tag_ids": list(tag_ids[:1]), "target_id": DATASET, "tag_id": tag_ids[0]},
    )
    assert describe(unbind) == ("tags.unbind", "knowledge", True)


def test_tags_of_a_dataset_read_the_recorded_page() -> None:
    """Recording 141: a dataset's tags (id and name only) are a complete page."""
    exchange = recorded("141-dataset-tags-of-dataset")
    call = tags.list_dataset_tags(DATASET)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("tags.of_dataset", "knowledge", True)
    page = call.parse(exchange.response)
    assert [t.name for t in page.data] == ["temp-tag", "recorded-renamed"]
    assert dumped(page) == exchange.body


# --- metadata ---------------------------------------------------------------------------------


def test_create_and_rename_metadata_field_match_the_recordings() -> None:
    """Recordings 146 and 149: create posts type and name, rename PATCHes the name."""
    created = recorded("146-dataset-metadata-create")
    create = metadata.create_metadata_field(DATASET, type="string", name="author")
    assert sent(create.request) == created.sent
    assert describe(create) == ("metadata.create", "knowledge", False)
    assert dumped(create.parse(created.response)) == created.body
    renamed = recorded("149-dataset-metadata-update")
    rename = metadata.rename_metadata_field(
        DATASET, "632fc694-6afb-4193-97c1-c6f29356bf34", name="writer"
    )
    assert sent(rename.request) == renamed.sent
    assert describe(rename) == ("metadata.rename", "knowledge", True)
    assert rename.parse(renamed.response).name == "writer"


def test_list_metadata_fields_reads_the_recorded_fields() -> None:
    """Recording 148: ``doc_metadata`` is the page's data, nothing else is lost."""
    exchange = recorded("148-dataset-metadata-list")
    call = metadata.list_metadata_fields(DATASET)
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("metadata.list", "knowledge", True)
    page = call.parse(exchange.response)
    assert [f.name for f in page.data] == ["author", "year"]
    assert dumped(page) == {**exchange.body, "data": exchange.body["doc_metadata"], "total": 2}


def test_builtin_fields_list_and_switches() -> None:
    """Recordings 150 and 151: list the built-in fields; enable and disable them replayably."""
    listed = recorded("150-dataset-metadata-built-in-list")
    call = metadata.list_builtin_fields(DATASET)
    assert sent(call.request) == listed.sent
    assert describe(call) == ("metadata.builtin_fields", "knowledge", True)
    assert [f.name for f in call.parse(listed.response).fields] == [
        "document_name",
        "uploader",
        "upload_date",
        "last_update_date",
        "source",
    ]
    enabled = recorded("151-dataset-metadata-built-in-enable")
    enable = metadata.enable_builtin_fields(DATASET)
    assert sent(enable.request) == enabled.sent
    assert describe(enable) == ("metadata.enable_builtin", "knowledge", True)
    assert enable.parse(enabled.response) is None
    disable = metadata.disable_builtin_fields(DATASET)
    assert disable.request == HttpRequest("POST", f"/datasets/{DATASET}/metadata/built-in/disable")
    assert describe(disable) == ("metadata.disable_builtin", "knowledge", True)


def test_delete_metadata_field_matches_the_recording() -> None:
    """Recording 156: DELETE of the field; the 204 reads as None."""
    exchange = recorded("156-dataset-metadata-delete")
    call = metadata.delete_metadata_field(DATASET, "f7685035-00ca-4be5-b856-c4e8afb11740")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("metadata.delete", "knowledge", False)
    assert call.parse(exchange.response) is None


def test_set_document_metadata_posts_the_recorded_values() -> None:
    """Recording 152: one entry per document with its values, replayably."""
    exchange = recorded("152-document-metadata-update")
    call = metadata.set_document_metadata(
        DATASET,
        operation_data=[
            DocumentMetadataUpdate(
                document_id="9734ef2f-e523-4190-bdc8-bf519b4f8ae5",
                metadata_list=[
                    MetadataValue(
                        id="632fc694-6afb-4193-97c1-c6f29356bf34", name="writer", value="Ada"
                    ),
                    MetadataValue(
                        id="f7685035-00ca-4be5-b856-c4e8afb11740", name="year", value=2024
                    ),
                ],
            )
        ],
    )
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("metadata.set_document_metadata", "knowledge", True)
    assert call.parse(exchange.response) is None


@pytest.mark.parametrize(
    ("build", "mentions"),
    [
        (
            lambda: metadata.create_metadata_field(DATASET, type="date", name="d"),  # type: ignore[arg-type]
            "`type`",
        ),
        (lambda: metadata.create_metadata_field(DATASET, type="string", name=""), "`name`"),
        (lambda: metadata.create_metadata_field("", type="string", name="n"), "`dataset_id`"),
        (lambda: metadata.list_metadata_fields(""), "`dataset_id`"),
        (lambda: metadata.rename_metadata_field(DATASET, "", name="n"), "`metadata_id`"),
        (lambda: metadata.delete_metadata_field(DATASET, ""), "`metadata_id`"),
        (lambda: metadata.list_builtin_fields(""), "`dataset_id`"),
        (lambda: metadata.enable_builtin_fields(""), "`dataset_id`"),
        (lambda: metadata.set_document_metadata(DATASET, operation_data=[]), "`operation_data`"),
        (
            lambda: metadata.set_document_metadata(
                DATASET,
                operation_data={"document_id": "d", "metadata_list": []},  # type: ignore[arg-type]
            ),
            "`operation_data` must be a list",
        ),
    ],
    ids=[
        "unknown-type",
        "empty-name",
        "create-no-dataset",
        "list-no-dataset",
        "rename-no-field",
        "delete-no-field",
        "builtin-no-dataset",
        "enable-no-dataset",
        "no-documents",
        "lone-mapping",
    ],
)
def test_bad_metadata_arguments_raise(build: Any, mentions: str) -> None:
    """Metadata field types, names, ids and values are checked before building."""
    with pytest.raises(InvalidRequestError, match=mentions):
        build()


# --- workspace models -------------------------------------------------------------------------

PROVIDER = {
    # The shape Dify documents for GET /workspaces/current/models/model-types/{type}.
    "provider": "langgenius/openai/openai",
    "label": {"en_US": "OpenAI", "zh_Hans": "OpenAI"},
    "icon_small": {"en_US": "https://example.com/openai.svg"},
    "status": "active",
    "models": [
        {
            "model": "text-embedding-3-small",
            "label": {"en_US": "text-embedding-3-small"},
            "model_type": "text-embedding",
            "fetch_from": "predefined-model",
            "model_properties": {"context_size": 8191, "max_chunks": 32},
            "status": "active",
            "deprecated": False,
            "load_balancing_enabled": False,
        }
    ],
}


def test_list_models_reads_the_recorded_empty_list_and_a_provider() -> None:
    """Recording 162 (no providers) is an empty complete page; a provider lists its models."""
    exchange = recorded("162-workspace-models-text-embedding")
    call = models.list_models("text-embedding")
    assert sent(call.request) == exchange.sent
    assert describe(call) == ("models.list", "knowledge", True)
    empty = call.parse(exchange.response)
    assert (empty.data, empty.total, empty.has_more) == ([], 0, False)
    page = call.parse(json_answer({"data": [PROVIDER]}))
    [provider] = page.data
    assert isinstance(provider, ModelProvider)
    assert [m.model for m in provider.models] == ["text-embedding-3-small"]
    assert dumped(page) == {"data": [PROVIDER], "total": 1}
    assert models.list_models("rerank").request.path.endswith("/model-types/rerank")
    with pytest.raises(InvalidRequestError, match="`model_type`"):
        models.list_models("")  # type: ignore[arg-type]
