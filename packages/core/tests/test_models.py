"""Models with behaviour: computed properties, file objects, and Dify's renamed fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from recorded import recorded

from difykit_core import RemoteFile, UploadedFile
from difykit_core.models.app import AppParameters, UserInputField
from difykit_core.models.knowledge import LocalFileSource, MetadataFieldPage, PipelineFile
from difykit_core.models.workflow import WorkflowRun

# --- app parameters ---------------------------------------------------------------------------


def test_parameters_inputs_list_the_form_variables_in_order() -> None:
    """``inputs`` flattens Dify's ``[{control: field}]`` form, keeping each field's settings."""
    parameters = AppParameters.model_validate(recorded("76-workflow-parameters").body)
    assert [(f.variable, f.type, f.required, f.max_length) for f in parameters.inputs] == [
        ("text", "text-input", True, 256),
        ("count", "number", False, None),
    ]


def test_parameters_inputs_take_the_control_as_type_when_the_field_has_none() -> None:
    """Older Dify fields carry no ``type``: the control key fills it, the form is unchanged."""
    parameters = AppParameters.model_validate(
        {
            "user_input_form": [
                {"paragraph": {"variable": "bio", "label": "Bio", "required": False}},
                {"select": {"variable": "tone", "options": ["dry", "warm"], "type": "select"}},
            ]
        }
    )
    assert parameters.inputs == [
        UserInputField(variable="bio", label="Bio", required=False, type="paragraph"),
        UserInputField(variable="tone", options=["dry", "warm"], type="select"),
    ]
    assert parameters.user_input_form[0]["paragraph"].type is None


# --- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"name": "hello.txt", "extension": "txt", "mime_type": "text/plain"}, "document"),
        ({"extension": "png"}, "image"),
        ({"name": "recording", "mime_type": "audio/ogg"}, "audio"),
        ({"mime_type": "video/webm"}, "video"),
        ({"name": "payload.exe", "mime_type": "application/octet-stream"}, "custom"),
        ({}, "custom"),
    ],
    ids=["name", "extension-only", "mime-type", "mime-type-only", "unknown", "nothing"],
)
def test_uploaded_file_type_from_name_extension_or_mime_type(
    fields: dict[str, Any], kind: str
) -> None:
    """An uploaded file's Dify type comes from its name, else its extension, else its MIME type."""
    file = UploadedFile(id="f-1", **fields)
    assert file.file_type == kind
    assert file.to_input() == {
        "type": kind,
        "transfer_method": "local_file",
        "upload_file_id": "f-1",
    }


def test_recorded_upload_is_a_document_input() -> None:
    """Recording 08's uploaded text file becomes a ``document`` file object."""
    file = UploadedFile.model_validate(recorded("08-files-upload-text").body)
    assert file.to_input() == {
        "type": "document",
        "transfer_method": "local_file",
        "upload_file_id": "5399ed5d-fbb3-4d5e-8e00-5e74d161bcd7",
    }


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            RemoteFile(url="https://example.com/cat.webp"),
            {
                "type": "image",
                "transfer_method": "remote_url",
                "url": "https://example.com/cat.webp",
            },
        ),
        (
            RemoteFile(url="https://example.com/download?id=7", type="document"),
            {
                "type": "document",
                "transfer_method": "remote_url",
                "url": "https://example.com/download?id=7",
            },
        ),
        (
            RemoteFile(url="https://example.com/blob"),
            {"transfer_method": "remote_url", "url": "https://example.com/blob"},
        ),
        (
            RemoteFile(url="https://example.com/model.bin", type="custom"),
            {
                "type": "custom",
                "transfer_method": "remote_url",
                "url": "https://example.com/model.bin",
            },
        ),
    ],
    ids=["guessed", "given", "unknown-left-out", "custom-given"],
)
def test_remote_file_input_types_only_what_is_known(
    file: RemoteFile, expected: dict[str, str]
) -> None:
    """A remote file's type is the given one or the guessed one; an unknown one is left to Dify."""
    assert file.to_input() == expected


# --- knowledge --------------------------------------------------------------------------------


def test_metadata_page_reads_doc_metadata_as_data_and_dumps_both() -> None:
    """Recording 148's ``doc_metadata`` is the page's ``data``; dumps give it under both names."""
    body = recorded("148-dataset-metadata-list").body
    page = MetadataFieldPage.model_validate(body)
    assert [(f.name, f.type, f.count) for f in page.data] == [
        ("author", "string", 0),
        ("year", "number", 0),
    ]
    assert page.built_in_field_enabled is False
    dumped = page.model_dump(mode="json", exclude_unset=True)
    assert dumped["doc_metadata"] == dumped["data"] == body["doc_metadata"]


def test_metadata_page_with_data_or_from_a_page_is_taken_as_is() -> None:
    """A body that already has ``data``, or an existing page, is not rewritten."""
    page = MetadataFieldPage.model_validate({"data": [{"id": "m-1", "name": "writer"}]})
    assert [f.id for f in page.doc_metadata] == ["m-1"]
    assert MetadataFieldPage.model_validate(page) is page


def test_metadata_page_that_is_not_an_object_is_left_to_validation() -> None:
    """A body that is not a JSON object is not renamed but refused by the page's validation."""
    with pytest.raises(ValidationError, match="MetadataFieldPage"):
        MetadataFieldPage.model_validate(["doc_metadata"])


def test_pipeline_file_points_a_local_file_source_at_itself() -> None:
    """``to_source`` gives the local-file item of ``pipeline.run`` for the uploaded file."""
    file = PipelineFile(id="8c7f-file", name="faq.md", extension="md")
    assert file.to_source() == LocalFileSource(reference="8c7f-file", name="faq.md")
    assert PipelineFile(id="x").to_source().model_dump(exclude_none=True) == {"reference": "x"}


# --- workflow ---------------------------------------------------------------------------------


def test_workflow_run_status_and_outputs_come_from_its_data() -> None:
    """Recording 78's run reads its status and outputs; a paused run has no outputs."""
    run = WorkflowRun.model_validate(recorded("78-workflows-run-blocking").body)
    assert (run.status, run.outputs) == ("succeeded", {"result": "hello workflow", "count": 3})
    paused = WorkflowRun.model_validate(
        {"workflow_run_id": "r", "data": {"status": "paused", "outputs": None}}
    )
    assert (paused.status, paused.outputs) == ("paused", {})
