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


@pytest.mark.parametrize("module", [difykit, difykit_async, difykit_core], ids=lambda m: m.__name__)
def test_all_lists_every_public_name(module: ModuleType) -> None:
    """Every name the lazy root can load is in __all__, and nothing public is left out."""
    helpers = {"TYPE_CHECKING", "annotations"}
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name not in helpers
    }
    assert public <= set(module.__all__)
    lazy: set[str] = set(module._WHERE) | (
        {n for n in module.__all__ if n.endswith("Error")} if module is difykit_core else set[str]()
    )
    assert set(module.__all__) == lazy


@pytest.mark.parametrize("name", ["difykit", "difykit_async", "difykit_core"])
def test_importing_the_package_loads_neither_pydantic_models_nor_httpx(name: str) -> None:
    """``import difykit`` is cheap: models and HTTP load when a client or call needs them."""
    import subprocess
    import sys

    code = f"import sys, {name}; print('pydantic.main' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def _resources(client: object) -> dict[str, type]:
    """Resource name → resource class, by reading each cached property of a client."""
    return {
        name: type(getattr(client, name))
        for name, attr in vars(type(client)).items()
        if isinstance(attr, cached_property)
    }


def _methods(resource: type) -> dict[str, inspect.Signature]:
    methods: dict[str, inspect.Signature] = {}
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
    sync_resources = _resources(sync_cls(api_key="app-x"))
    async_resources = _resources(async_cls(api_key="app-x"))
    assert sorted(sync_resources) == sorted(async_resources)
    for name, sync_type in sync_resources.items():
        assert _methods(sync_type) == _methods(async_resources[name]), name
    for name in ("with_options", "__init__"):
        assert (
            inspect.signature(getattr(sync_cls, name)).parameters.keys()
            == inspect.signature(getattr(async_cls, name)).parameters.keys()
        )


def test_every_bound_method_shows_its_builders_signature_and_docstring() -> None:
    """dify.chat.send has the builder's parameters and docs, and returns what it returns."""
    dify = difykit.Dify(api_key="app-x", base_url="http://x/v1")
    from difykit_core.operations import chat

    method, builder = inspect.signature(dify.chat.send), inspect.signature(chat.send_message)
    assert method.parameters == builder.parameters
    assert method.return_annotation == "ChatMessage"  # not the builder's Call[ChatMessage]
    assert dify.chat.send.__doc__ == chat.send_message.__doc__
    dify.close()
