"""Import rules read from the source with ``ast``.

No import cycle among the modules of ``difykit_testing``, type-only imports included; and the
emulator's own tests speak raw HTTP, never importing the SDK.

The module graph counts every ``import`` and ``from … import`` statement anywhere in a module
(at the top, in a function, under ``if TYPE_CHECKING:``), relative ones resolved.
``from pkg import name`` points at ``pkg.name`` when that is a module and at ``pkg``
otherwise; a parent package is not counted as imported by its submodules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import difykit_testing

Graph = dict[str, set[str]]


def _module_names(package_dir: Path) -> dict[str, Path]:
    """Every module of the package under ``package_dir``, by dotted name."""
    names: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement of ``module`` may refer to."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph(package_dir: Path) -> Graph:
    """Which modules of the package each of its modules imports."""
    modules = _module_names(package_dir)
    graph: Graph = {}
    for module, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = _imported(node, module, path.name == "__init__.py")
            if isinstance(node, ast.Import):
                edges.update(name for name in names if name in modules)
                continue
            *members, base = names
            submodules = [name for name in members if name in modules]
            edges.update(submodules)
            if len(submodules) < len(members) and base in modules:
                edges.add(base)
        graph[module] = edges
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle of the graph as a path that ends where it starts, or ``None``."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = [start]
        pending = [iter(sorted(graph[start]))]
        while pending:
            target = next(pending[-1], None)
            if target is None:
                done.add(path.pop())
                pending.pop()
            elif target in path:
                return [*path[path.index(target) :], target]
            elif target not in done:
                path.append(target)
                pending.append(iter(sorted(graph[target])))
    return None


def test_difykit_testing_has_no_import_cycle() -> None:
    """No chain of imports among difykit_testing's modules leads back to where it started."""
    graph = import_graph(Path(difykit_testing.__file__).parent)
    assert "difykit_testing._emulator_state" in graph["difykit_testing._requests"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_graph_sees_type_only_and_relative_imports(tmp_path: Path) -> None:
    """A cycle closed by a relative import under ``if TYPE_CHECKING:`` is found."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from ._a import A\n")
    (package / "_a.py").write_text("from .sub import _b\nA = 1\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "_b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .._a import A\n"
    )
    graph = import_graph(package)
    assert graph["pkg"] == {"pkg._a"}
    assert graph["pkg._a"] == {"pkg.sub._b"}
    assert find_cycle(graph) == ["pkg._a", "pkg.sub._b", "pkg._a"]


def test_a_function_level_import_counts_too(tmp_path: Path) -> None:
    """An import inside a function body closes a cycle as much as one at the top."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("import pkg.b\n")
    (package / "b.py").write_text("def late() -> None:\n    from pkg import a\n")
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.b", "pkg.a"]


SDK_PACKAGES = frozenset({"difykit", "difykit_async", "difykit_core"})
SDK_TESTS = frozenset({"test_sdk_end_to_end.py", "test_docs.py"})
"""Test files allowed to use the SDK: the end-to-end suite, and the README examples' runner."""


def _top_level_imports(path: Path) -> set[str]:
    """The top-level package of every absolute import in a Python file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.partition(".")[0])
    return found


def test_the_emulators_own_tests_never_import_the_sdk() -> None:
    """Route, engine and framework tests drive the emulator with httpx, not difykit."""
    tests = Path(__file__).parent
    offenders = {
        path.name: sorted(_top_level_imports(path) & SDK_PACKAGES)
        for path in sorted(tests.glob("*.py"))
        if path.name not in SDK_TESTS and _top_level_imports(path) & SDK_PACKAGES
    }
    assert offenders == {}
