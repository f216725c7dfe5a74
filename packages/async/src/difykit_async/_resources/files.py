"""The ``files`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import files

from difykit_async._binding import Resource, endpoint

__all__ = ["Files"]


class Files(Resource):
    """Files: ``upload`` and ``preview``."""

    upload = endpoint(files.upload_file)
    preview = endpoint(files.preview_file)
