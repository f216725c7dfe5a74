"""The helpers every builder uses: bodies, paths, queries, parsers, pages, files and inputs."""

from __future__ import annotations

import io
from pathlib import Path, PurePath
from typing import Any

import pytest
from pydantic import Field
from recorded import json_answer, recorded

from difykit_core import FilePart, HttpResponse, InvalidRequestError, Page, RemoteFile, UploadedFile
from difykit_core.models._base import DifyModel, RequestModel
from difykit_core.operations import _knowledge
from difykit_core.operations._build import (
    binary_parser,
    build_body,
    cursor_next,
    file_part,
    numbered_next,
    path,
    query,
    resolve_files,
    serialize_inputs,
)


class _Item(DifyModel):
    id: str


class _Body(RequestModel):
    name: str = Field(min_length=1)
    size: int
    tags: list[str] = Field(default_factory=list)


# --- bodies, paths, queries -------------------------------------------------------------------


def test_build_body_reports_every_problem_in_one_short_message() -> None:
    """Missing, empty and mistyped fields are all named, with the operation, in one error."""
    with pytest.raises(InvalidRequestError) as caught:
        build_body(_Body, "things.create", {"name": "", "tags": "solo"})
    assert str(caught.value) == (
        "things.create: `name` must not be empty; `size` is required; "
        "`tags`: Input should be a valid list"
    )


def test_build_body_refuses_unknown_fields() -> None:
    """A misspelt body field is refused rather than sent."""
    with pytest.raises(InvalidRequestError, match="`sise`: Extra inputs are not permitted"):
        build_body(_Body, "things.create", {"name": "a", "size": 1, "sise": 2})


def test_path_escapes_every_parameter() -> None:
    """Slashes, ``?``, ``#``, ``%`` and spaces in an id cannot change the route."""
    assert path("/a/{x}/b/{y}", x="../c?d#e", y="100% sure") == "/a/..%2Fc%3Fd%23e/b/100%25%20sure"


def test_query_drops_none_writes_booleans_and_repeats_lists_in_order() -> None:
    """Query pairs keep the argument order; lists and tuples repeat their key."""
    assert query(
        page=2, keyword=None, include_all=True, archived=False, tag_ids=["t1", "t2"], ids=("a",)
    ) == (
        ("page", "2"),
        ("include_all", "true"),
        ("archived", "false"),
        ("tag_ids", "t1"),
        ("tag_ids", "t2"),
        ("ids", "a"),
    )
    assert query(flags=[True, 0]) == (("flags", "true"), ("flags", "0"))
    assert query() == ()


# --- binary answers ---------------------------------------------------------------------------


def test_binary_answer_keeps_bytes_type_and_rfc_5987_file_name() -> None:
    """Recording 30's ``filename*=UTF-8''pixel.png`` gives the file name; the bytes are kept."""
    exchange = recorded("30-file-preview-as-attachment")
    download = binary_parser(exchange.response)
    assert download.filename == "pixel.png"
    assert download.content_type == "application/octet-stream"
    assert download.content == exchange.content
    assert download.content.startswith(b"\x89PNG")


def test_binary_answer_reads_a_plain_file_name() -> None:
    """Recording 161's ``filename=….zip`` gives the zip's name."""
    download = binary_parser(recorded("161-documents-download-zip").response)
    assert download.filename == "8ead073f885244f195683c8e5f2383d9.zip"
    assert download.content_type == "application/zip"
    assert download.content.startswith(b"PK\x03\x04")


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ('attachment; filename="quarterly report.pdf"', "quarterly report.pdf"),
        ("attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf", "报告.pdf"),
        ("inline", None),
    ],
)
def test_binary_answer_file_name_forms(disposition: str, filename: str | None) -> None:
    """Quoted and percent-encoded names are decoded; a disposition without a name gives none."""
    response = HttpResponse(200, {"content-disposition": disposition}, b"%PDF")
    assert binary_parser(response).filename == filename


def test_binary_answer_without_headers_has_no_type_or_name() -> None:
    """Recording 29's bare text preview keeps its type; no headers at all give ``None``s."""
    preview = binary_parser(recorded("29-file-preview").response)
    assert (preview.content, preview.content_type, preview.filename) == (
        b"hello from the recorder\nsecond line\n",
        "text/plain; charset=utf-8",
        None,
    )
    bare = binary_parser(HttpResponse(200, {}, b"x"))
    assert (bare.content_type, bare.filename) == (None, None)


# --- next-page functions ----------------------------------------------------------------------


def _page(ids: list[str], **fields: Any) -> Page[Any]:
    return Page[_Item].model_validate({"data": [{"id": i} for i in ids], **fields})


def _cursor_calls(*, backwards: bool = False) -> tuple[list[str], Any]:
    asked: list[str] = []

    def fetch(cursor: str) -> Any:
        asked.append(cursor)
        return f"call after {cursor}"

    return asked, cursor_next(fetch, backwards=backwards)


def test_cursor_pages_continue_after_the_last_item() -> None:
    """A cursor list asks for the page after its last item while ``has_more``."""
    asked, next_page = _cursor_calls()
    assert next_page(_page(["c1", "c2"], has_more=True)) == "call after c2"
    assert asked == ["c2"]


def test_backward_cursor_pages_continue_before_the_first_item() -> None:
    """The messages list walks back from the first (oldest) message of the page."""
    asked, next_page = _cursor_calls(backwards=True)
    assert next_page(_page(["m1", "m2"], has_more=True)) == "call after m1"
    assert asked == ["m1"]


def test_cursor_pages_stop_without_more_or_without_items() -> None:
    """No ``has_more``, or an empty page despite it, ends a cursor list."""
    asked, next_page = _cursor_calls()
    assert next_page(_page(["c1"], has_more=False)) is None
    assert next_page(_page([], has_more=True)) is None
    assert asked == []


def _numbered_calls() -> tuple[list[int], Any]:
    asked: list[int] = []

    def fetch(number: int) -> Any:
        asked.append(number)
        return f"page {number}"

    return asked, numbered_next(fetch)


def test_numbered_pages_follow_total_pages_when_given() -> None:
    """With ``total_pages``, the next page is asked for until the last one."""
    asked, next_page = _numbered_calls()
    assert next_page(_page(["a"], page=2, total_pages=3, has_more=False)) == "page 3"
    assert next_page(_page(["a"], page=3, total_pages=3, has_more=True)) is None
    assert next_page(_page(["a"], total_pages=2)) == "page 2"  # no page number: it was page 1
    assert asked == [3, 2]


def test_numbered_pages_follow_has_more_otherwise() -> None:
    """Without ``total_pages``, ``has_more`` decides; an empty page always ends the list."""
    asked, next_page = _numbered_calls()
    assert next_page(_page(["a"], page=1, has_more=True)) == "page 2"
    assert next_page(_page(["a"], has_more=True)) == "page 2"
    assert next_page(_page(["a"], page=4, has_more=False)) is None
    assert next_page(_page([], page=4, has_more=True, total_pages=9)) is None
    assert asked == [2, 2]


# --- multipart file parts ---------------------------------------------------------------------


def test_path_string_becomes_a_pure_path_named_after_its_base_name() -> None:
    """A path string is not opened: it becomes a PurePath the transport opens when sending."""
    assert file_part("docs/faq.md") == FilePart("faq.md", PurePath("docs/faq.md"), "text/markdown")


def test_path_object_is_kept_and_names_can_be_overridden() -> None:
    """A Path is kept as given; ``filename`` and ``content_type`` override the guesses."""
    part = file_part(Path("scan.bin"), filename="scan.pdf", content_type="application/x-scan")
    assert part == FilePart("scan.pdf", Path("scan.bin"), "application/x-scan")


@pytest.mark.parametrize("data", [b"PNGDATA", bytearray(b"PNGDATA"), memoryview(b"PNGDATA")])
def test_bytes_like_content_becomes_bytes(data: Any) -> None:
    """bytes, bytearray and memoryview are copied to bytes, named ``upload.bin`` by default."""
    assert file_part(data) == FilePart("upload.bin", b"PNGDATA", "application/octet-stream")
    assert file_part(data, filename="p.png").content_type == "image/png"


def test_open_file_is_kept_and_named_after_its_name(tmp_path: Path) -> None:
    """An open file is passed through unread; its ``name`` (a path) gives the file name."""
    (tmp_path / "memo.wav").write_bytes(b"RIFF")
    with (tmp_path / "memo.wav").open("rb") as handle:
        part = file_part(handle)
        assert (part.filename, part.content, part.content_type) == ("memo.wav", handle, "audio/wav")
        assert handle.tell() == 0


def test_open_file_without_a_name_is_upload_bin() -> None:
    """A BytesIO has no name: the part is ``upload.bin`` unless ``filename`` is given."""
    buffer = io.BytesIO(b"x")
    assert file_part(buffer).filename == "upload.bin"
    assert file_part(buffer, filename="x.csv").content_type == "text/csv"


def test_file_of_another_type_or_without_a_name_is_refused() -> None:
    """Neither bytes, path nor file raises; so does a path that names a directory."""
    with pytest.raises(InvalidRequestError, match="not int"):
        file_part(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="needs a name"):
        file_part("uploads/")


# --- inputs and files= ------------------------------------------------------------------------


def test_inputs_keep_json_values_and_turn_files_into_file_objects() -> None:
    """JSON values pass through; a file or a list of files becomes Dify's file objects."""
    upload = UploadedFile(id="up-1", name="a.png")
    remote = RemoteFile(url="https://example.com/b.mp3")
    inputs: dict[str, Any] = {
        "n": 3,
        "tags": ["x", 1.5, None],
        "meta": {"a": [True]},
        "one": upload,
        "many": [upload, remote],
        "none": [],
    }
    assert serialize_inputs(inputs) == {
        "n": 3,
        "tags": ["x", 1.5, None],
        "meta": {"a": [True]},
        "one": upload.to_input(),
        "many": [upload.to_input(), remote.to_input()],
        "none": [],
    }
    assert serialize_inputs(None) == {}


@pytest.mark.parametrize(
    "value",
    [
        [UploadedFile(id="up-1"), "not a file"],
        {1: "int key"},
        {"deep": [{"when": object()}]},
        ("a", "tuple"),
        Path("a.txt"),
    ],
    ids=["files-mixed-with-text", "non-string-key", "nested-object", "tuple", "path"],
)
def test_inputs_that_are_not_json_are_refused_by_name(value: object) -> None:
    """A value that is neither JSON nor files raises, naming the input and its type."""
    with pytest.raises(InvalidRequestError, match=r"`inputs\['field'\]` is a"):
        serialize_inputs({"field": value})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), -float("inf"), [1.0, float("nan")], {"deep": [float("inf")]}],
    ids=["nan", "inf", "-inf", "in-a-list", "nested"],
)
def test_nan_and_infinity_in_inputs_are_refused_not_sent_as_null(value: object) -> None:
    """JSON has no NaN or infinity: pydantic would send null, so the input is refused by name."""
    with pytest.raises(InvalidRequestError, match=r"`inputs\['field'\]` holds NaN or infinity"):
        serialize_inputs({"field": value})  # type: ignore[dict-item]
    assert serialize_inputs({"field": 1.5}) == {"field": 1.5}


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_request_float_that_is_nan_or_infinite_is_refused(value: float) -> None:
    """A request model's float field refuses NaN and infinity instead of sending null."""
    from difykit_core.operations import annotations

    with pytest.raises(InvalidRequestError, match="score_threshold"):
        annotations.enable_reply(
            embedding_provider_name="p", embedding_model_name="m", score_threshold=value
        )


def test_files_split_into_file_objects_and_local_paths() -> None:
    """Uploaded, remote and URL files become objects; local paths leave a gap to fill."""
    upload = UploadedFile(id="up-1", name="a.pdf")
    objects, local = resolve_files(
        [upload, "https://example.com/c.png", "d.txt", RemoteFile(url="https://x.io/e.mp4")]
    )
    assert objects == [
        upload.to_input(),
        {"type": "image", "transfer_method": "remote_url", "url": "https://example.com/c.png"},
        None,
        {"type": "video", "transfer_method": "remote_url", "url": "https://x.io/e.mp4"},
    ]
    assert local == [(2, "d.txt")]
    assert resolve_files(None) == ([], [])


@pytest.mark.parametrize(
    "files",
    ["a.png", b"a.png", Path("a.png"), UploadedFile(id="u"), RemoteFile(url="https://a")],
    ids=["str", "bytes", "path", "uploaded", "remote"],
)
def test_a_lone_file_instead_of_a_list_is_refused(files: Any) -> None:
    """``files=`` takes a list; a single file or string is a slip caught before sending."""
    with pytest.raises(InvalidRequestError, match="must be a list"):
        resolve_files(files)


# --- knowledge helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["a", b"a", {"a": 1}, 3, None], ids=["str", "bytes", "mapping", "int", "none"]
)
def test_as_list_refuses_strings_mappings_and_scalars(value: object) -> None:
    """A lone string, bytes, mapping or scalar where a list belongs raises naming it."""
    with pytest.raises(InvalidRequestError, match=r"ops\.do: `ids` must be a list"):
        _knowledge.as_list("ops.do", "ids", value)


def test_as_list_accepts_any_other_iterable() -> None:
    """Tuples, sets and generators are read into a list."""
    assert _knowledge.as_list("ops.do", "ids", ("a", "b")) == ["a", "b"]
    assert _knowledge.as_list("ops.do", "ids", (x for x in "cd")) == ["c", "d"]


def test_not_blank_refuses_only_whitespace() -> None:
    """Whitespace-only text raises; empty text and non-text are left to the request model."""
    with pytest.raises(InvalidRequestError, match="`query` must not be blank"):
        _knowledge.not_blank("datasets.retrieve", "query", " \n\t")
    for value in ("", None, 3, "ok"):
        _knowledge.not_blank("datasets.retrieve", "query", value)


def test_page_parser_fills_has_more_from_total_pages_when_asked() -> None:
    """Child chunk pages have no ``has_more``: page < total_pages means more; a sent one stays."""
    parse = _knowledge.page_parser(Page[_Item], fill_has_more=True)
    assert parse(json_answer({"data": [{"id": "a"}], "page": 1, "total_pages": 3})).has_more
    assert not parse(json_answer({"data": [{"id": "a"}], "page": 3, "total_pages": 3})).has_more
    assert not parse(json_answer({"data": [], "total_pages": None})).has_more
    sent = parse(
        json_answer({"data": [{"id": "a"}], "page": 1, "total_pages": 3, "has_more": False})
    )
    assert sent.has_more is False


def test_page_parser_counts_an_unpaginated_list_as_complete() -> None:
    """A list with no total, limit or page is everything: ``total`` is its length."""
    parse = _knowledge.page_parser(Page[_Item])
    assert parse(json_answer({"data": [{"id": "a"}, {"id": "b"}]})).total == 2
    assert parse(json_answer({"data": [{"id": "a"}], "limit": 20})).total is None


def test_a_file_list_input_may_be_any_sequence_of_files_and_type_checks_inline() -> None:
    """An inline list or tuple of remote files is a file-list input (no annotation needed)."""
    from difykit_core.models.files import RemoteFile
    from difykit_core.operations._build import serialize_inputs

    one = RemoteFile(url="https://x.test/a.png")
    expected = [{"transfer_method": "remote_url", "url": "https://x.test/a.png", "type": "image"}]
    assert serialize_inputs({"photos": [one]}) == {"photos": expected}
    assert serialize_inputs({"photos": (one,)}) == {"photos": expected}


def test_rename_refuses_a_name_that_is_not_a_string() -> None:
    """A non-string name is a clear InvalidRequestError, not an AttributeError from inside."""
    import pytest

    from difykit_core.errors import InvalidRequestError
    from difykit_core.operations.conversations import rename_conversation

    with pytest.raises(InvalidRequestError):
        rename_conversation("c1", name=7)  # type: ignore[arg-type]
