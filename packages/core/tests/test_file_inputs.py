"""``files=`` takes Dify's own file dicts, validated, and never reads a mapping as paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from difykit_core import InvalidRequestError
from difykit_core.operations import chat, workflows
from difykit_core.operations._build import dify_file_object
from difykit_core.types import DifyFile

REMOTE: DifyFile = {
    "type": "image",
    "transfer_method": "remote_url",
    "url": "https://x.test/cat.png",
}
LOCAL: DifyFile = {"type": "document", "transfer_method": "local_file", "upload_file_id": "f-1"}


def test_dify_shaped_dicts_are_sent_as_dify_wrote_them() -> None:
    """The two shapes of Dify's docs (recordings 10, 11, 95) go out unchanged, nothing uploaded."""
    call = chat.send_message(query="Hi", user="u", files=[REMOTE, LOCAL])
    assert isinstance(call.request.json, dict)
    assert call.request.json["files"] == [REMOTE, LOCAL]
    assert call.uploads == ()


def test_a_workflow_takes_dify_shaped_dicts_too() -> None:
    """Workflow runs accept the same dicts in ``files``."""
    call = workflows.stream_workflow(inputs={}, user="u", files=[LOCAL])
    assert isinstance(call.request.json, dict)
    assert call.request.json["files"] == [LOCAL]


def test_a_single_dict_as_files_is_refused_and_never_read_as_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dict instead of a list is an error, even when its keys name files in the cwd."""
    monkeypatch.chdir(tmp_path)
    for key in REMOTE:
        (tmp_path / key).write_text("secret")
    with pytest.raises(InvalidRequestError, match=r"wrap it: files=\[\{\.\.\.\}\]"):
        chat.send_message(query="Hi", user="u", files=REMOTE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({**REMOTE, "transfer_method": "upload"}, "transfer_method must be"),
        ({"type": "image", "url": "https://x.test/a.png"}, "transfer_method must be"),
        ({**REMOTE, "type": "picture"}, "type must be one of"),
        ({**REMOTE, "upload_file_id": "f-1"}, r"unknown key\(s\) upload_file_id"),
        ({**LOCAL, "url": "https://x.test/a.pdf"}, r"unknown key\(s\) url"),
        (
            {"type": "document", "transfer_method": "local_file"},
            "needs a non-empty 'upload_file_id'",
        ),
        ({**REMOTE, "url": "  "}, "needs a non-empty 'url'"),
        ({**REMOTE, "url": "file:///etc/passwd"}, "must start with http"),
        ({**LOCAL, "upload_file_id": 7}, "needs a non-empty 'upload_file_id'"),
    ],
)
def test_a_malformed_dify_dict_is_refused_naming_the_problem(item: Any, words: str) -> None:
    """Bad keys or values fail before anything is sent, with the file's index."""
    with pytest.raises(InvalidRequestError, match=words) as caught:
        chat.send_message(query="Hi", user="u", files=["https://x.test/ok.png", item])
    assert str(caught.value).startswith("files[1]")


def test_dify_file_object_returns_only_the_keys_dify_reads() -> None:
    """The checked object has exactly type, transfer_method and the key of its method."""
    assert dify_file_object(LOCAL) == LOCAL
    assert dify_file_object(REMOTE, 3) == REMOTE
