"""File names to MIME types and Dify file types, from a fixed table."""

from __future__ import annotations

import pytest

from difykit_core._mime import dify_file_type, guess_mime_type


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("photo.JPG", "image/jpeg"),
        ("voice.m4a", "audio/mp4"),
        ("clip.mov", "video/quicktime"),
        ("notes.md", "text/markdown"),
        ("sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("https://example.com/a/cat.png?size=large#top", "image/png"),
        (r"C:\Users\ada\report.pdf", "application/pdf"),
        ("archive.tar.gz", "application/octet-stream"),
        ("payload.exe", "application/octet-stream"),
        ("README", "application/octet-stream"),
        ("release.v2/CHANGELOG", "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_guess_mime_type_reads_the_last_extension_of_the_base_name(name: str, mime: str) -> None:
    """The type comes from the base name's extension (any case, URL query and fragment ignored)."""
    assert guess_mime_type(name) == mime


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pixel.png", "image"),
        ("speech.mp3", "audio"),
        ("talk.mp4", "video"),
        ("faq.md", "document"),
        ("https://example.com/slides.PPTX", "document"),
        ("payload.exe", "custom"),
        ("no-extension", "custom"),
    ],
)
def test_dify_file_type_from_the_extension(name: str, kind: str) -> None:
    """A known extension decides Dify's file type; an unknown one is ``custom``."""
    assert dify_file_type(name) == kind


@pytest.mark.parametrize(
    ("mime", "kind"),
    [
        ("image/heic", "image"),
        ("audio/x-aiff", "audio"),
        ("video/x-matroska", "video"),
        ("text/x-rst", "document"),
        ("application/pdf", "document"),
        ("application/zip", "custom"),
        ("", "custom"),
        (None, "custom"),
    ],
)
def test_dify_file_type_falls_back_to_the_mime_type(mime: str | None, kind: str) -> None:
    """Without a known extension, the MIME type's family (or a document MIME type) decides."""
    assert dify_file_type("upload", mime) == kind


def test_extension_wins_over_the_mime_type() -> None:
    """A known extension is trusted even when the MIME type says otherwise."""
    assert dify_file_type("diagram.svg", "application/octet-stream") == "image"
    assert dify_file_type("data.json", "image/png") == "document"
