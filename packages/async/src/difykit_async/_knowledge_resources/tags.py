"""The ``tags`` resource of ``AsyncDifyKnowledge``, its builders bound."""

from __future__ import annotations

from collections.abc import Sequence

from difykit_core.operations import tags

from difykit_async._binding import Resource, endpoint, page_endpoint

__all__ = ["Tags"]


class Tags(Resource):
    """Knowledge tags: ``list``, ``create``, ``rename``, ``delete``, ``bind``, ``unbind``…"""

    list = page_endpoint(tags.list_tags)
    create = endpoint(tags.create_tag)
    rename = endpoint(tags.rename_tag)
    delete = endpoint(tags.delete_tag)
    bind = endpoint(tags.bind_tags)
    of_dataset = page_endpoint(tags.list_dataset_tags)

    async def unbind(self, dataset_id: str, *, tag_ids: Sequence[str]) -> None:
        """Take tags off a knowledge base (``POST /datasets/tags/unbinding``), one call per tag.

        Dify 1.13 reads only one tag per call (``tag_id``), newer versions a list; one call per
        tag works on both. The calls are checked before the first is sent.

        Args:
            dataset_id: The knowledge base's id.
            tag_ids: The tags to remove.

        Raises:
            InvalidRequestError: ``dataset_id`` is empty, or ``tag_ids`` is empty or not a list.
        """
        tags.unbind_tags(dataset_id, tag_ids=tag_ids)  # checks the whole request first
        for tag_id in tag_ids:
            await self._transport.execute(tags.unbind_tags(dataset_id, tag_ids=[tag_id]))
