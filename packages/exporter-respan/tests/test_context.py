"""``respan_context``: parameters for a block of calls, merged when nested, per task."""

from __future__ import annotations

import asyncio

import pytest
from difykit_core import current_call_context
from difykit_exporter_respan import RespanParams, respan_context
from difykit_exporter_respan._context import CONTEXT_KEY, current_respan_params


def test_nested_blocks_merge_and_restore() -> None:
    """The inner value wins; metadata and properties merge key by key; leaving restores."""
    with respan_context(customer_identifier="c-outer", metadata={"a": 1, "b": 1}):
        with respan_context(
            RespanParams(session_identifier="s"), metadata={"b": 2}, properties={"x": 1}
        ) as inner:
            assert dict(inner) == {
                "customer_identifier": "c-outer",
                "session_identifier": "s",
                "metadata": {"a": 1, "b": 2},
                "properties": {"x": 1},
            }
            assert current_call_context()[CONTEXT_KEY] == inner
        assert current_respan_params() == {
            "customer_identifier": "c-outer",
            "metadata": {"a": 1, "b": 1},
        }
    assert current_respan_params() == {}


def test_only_whitelisted_parameters_enter_the_context() -> None:
    """Keys Respan must not receive (a naive dump's ``field_name``…) are dropped."""
    with respan_context({"field_name": "data: ", "trace_unique_id": "t"}) as params:
        assert dict(params) == {"trace_unique_id": "t"}


def test_unknown_params_type_is_a_type_error() -> None:
    """A value that is neither a dict, a dataclass nor a model is refused."""
    with pytest.raises(TypeError, match="respan_params must be"):
        respan_context(["not", "params"])


@pytest.mark.anyio
async def test_async_blocks_are_per_task() -> None:
    """``async with`` works and each task sees only its own block."""
    seen: dict[str, object] = {}

    async def task(name: str) -> None:
        async with respan_context(session_identifier=name):
            await asyncio.sleep(0)
            seen[name] = current_respan_params().get("session_identifier")

    await asyncio.gather(task("one"), task("two"))
    assert seen == {"one": "one", "two": "two"}
    assert current_respan_params() == {}
