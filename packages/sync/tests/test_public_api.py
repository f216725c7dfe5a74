"""The public surface: ``__all__`` is sorted, complete and importable; sync and async are twins."""

from __future__ import annotations

import inspect
from functools import cached_property
from types import ModuleType

import difykit
import difykit_async
import difykit_core
import pytest

PAIRS = [("Dify", "AsyncDify"), ("DifyKnowledge", "AsyncDifyKnowledge")]


@pytest.mark.parametrize("module", [difykit, difykit_async, difykit_core], ids=lambda m: m.__name__)
def test_all_is_sorted_and_importable(module: ModuleType) -> None:
    """Every name in __all__ exists, and __all__ is sorted so diffs stay readable."""
    assert list(module.__all__) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("module", [difykit, difykit_async], ids=lambda m: m.__name__)
def test_all_lists_every_public_name(module: ModuleType) -> None:
    """A public class or function reachable from the package root is listed in __all__."""
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert public <= set(module.__all__)


def _resources(client: type) -> dict[str, type]:
    return {
        name: inspect.signature(attr.func).return_annotation
        for name, attr in vars(client).items()
        if isinstance(attr, cached_property)
    }


def _methods(resource: type) -> dict[str, inspect.Signature]:
    methods = {}
    for name in dir(resource):
        if name.startswith("_"):
            continue
        attr = getattr(resource, name)
        builder = getattr(attr, "_builder", None) or attr
        if callable(builder):
            methods[name] = inspect.signature(builder)
    return methods


@pytest.mark.parametrize(("sync_name", "async_name"), PAIRS)
def test_sync_and_async_clients_are_twins(sync_name: str, async_name: str) -> None:
    """Both clients offer the same resources, methods and parameters."""
    sync_cls = getattr(difykit, sync_name, None)
    async_cls = getattr(difykit_async, async_name, None)
    if sync_cls is None and async_cls is None:
        pytest.skip(f"{sync_name} is not built yet")
    assert sync_cls is not None and async_cls is not None
    sync_resources, async_resources = _resources(sync_cls), _resources(async_cls)
    assert sorted(sync_resources) == sorted(async_resources)
    sync_mod = inspect.getmodule(sync_cls)
    async_mod = inspect.getmodule(async_cls)
    for name in sync_resources:
        sync_res = getattr(sync_cls, name).func.__annotations__["return"]
        async_res = getattr(async_cls, name).func.__annotations__["return"]
        sync_type = eval(sync_res, vars(sync_mod)) if isinstance(sync_res, str) else sync_res
        async_type = eval(async_res, vars(async_mod)) if isinstance(async_res, str) else async_res
        assert _methods(sync_type) == _methods(async_type), name
    for name in ("with_options", "__init__"):
        assert (
            inspect.signature(getattr(sync_cls, name)).parameters.keys()
            == inspect.signature(getattr(async_cls, name)).parameters.keys()
        )


def test_every_bound_method_shows_its_builders_signature_and_docstring() -> None:
    """dify.chat.send has the builder's parameters and docs, so help() and IDEs show them."""
    dify = difykit.Dify(api_key="app-x", base_url="http://x/v1")
    from difykit_core.operations import chat

    assert inspect.signature(dify.chat.send) == inspect.signature(chat.send_message)
    assert dify.chat.send.__doc__ == chat.send_message.__doc__
    dify.close()
