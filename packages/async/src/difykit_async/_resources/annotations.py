"""The ``annotations`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import annotations as annotation_ops

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Annotations"]


class Annotations(Resource):
    """Annotations (``list``, ``create``, ``update``, ``delete``) and annotation reply
    (``enable_reply``, ``disable_reply``, ``reply_status``)."""

    list = page_endpoint(annotation_ops.list_annotations)
    create = endpoint(annotation_ops.create_annotation)
    update = endpoint(annotation_ops.update_annotation)
    delete = endpoint(annotation_ops.delete_annotation)
    enable_reply = endpoint(annotation_ops.enable_reply)
    disable_reply = endpoint(annotation_ops.disable_reply)
    reply_status = endpoint(annotation_ops.reply_status)
