"""Every check of the workspace: ``uv run nox`` runs them all.

Sessions: ``tests`` (per package, each in an env holding only that package and its declared
dependencies, so an undeclared sibling import fails), ``lint`` (ruff, and the sync twin that
``scripts/unasync.py`` generates is current), ``typecheck`` (mypy --strict and pyright strict
on src and tests, per package, and pyright's ``--verifytypes`` score of the public API),
``docs`` (mypy on README
code blocks and examples/; the blocks also run, in the difykit-testing tests),
``build`` (``uv build --no-sources``, the LICENSE and metadata of each wheel and sdist checked,
then each wheel installed alone in a fresh venv and imported); ``bench`` (not by default)
writes BENCHMARKS.md. Tests run on the default Python and on the oldest and newest supported
ones when this machine has them (pyenv users:
``export PYENV_VERSION=3.11.7:3.10.13:3.12.1:3.13.0``); missing ones are left out, not failed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.5.1"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint", "typecheck", "docs", "build"]

ROOT = Path(__file__).parent
PACKAGES = {
    "core": "difykit-core",
    "sync": "difykit",
    "async": "difykit-async",
    "testing": "difykit-testing",
    "proxy": "difykit-proxy",
    "exporter-respan": "difykit-exporter-respan",
}
IMPORTS = {
    "core": "difykit_core",
    "sync": "difykit",
    "async": "difykit_async",
    "testing": "difykit_testing",
    "proxy": "difykit_proxy",
    "exporter-respan": "difykit_exporter_respan",
}
SUPPORTED = nox.project.python_versions(nox.project.load_toml("packages/core/pyproject.toml"))
DEFAULT = f"{sys.version_info.major}.{sys.version_info.minor}"


def _runs(version: str) -> bool:
    exe = shutil.which(f"python{version}")
    if exe is None:
        return False
    return subprocess.run([exe, "-c", ""], capture_output=True, check=False).returncode == 0


TEST_PYTHONS = [
    v for v in dict.fromkeys([SUPPORTED[0], DEFAULT, SUPPORTED[-1]]) if v == DEFAULT or _runs(v)
]


def _sync(session: nox.Session, package: str, *groups: str) -> None:
    """Install one workspace package (and only what it declares) into the session's venv."""
    venv = session.virtualenv.location
    args = ["uv", "sync", "--locked", "--no-default-groups", f"--package={PACKAGES[package]}"]
    args += [f"--group={g}" for g in groups]
    session.run_install(*args, f"--python={venv}", env={"UV_PROJECT_ENVIRONMENT": venv})


@nox.session(python=TEST_PYTHONS)
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """Run one package's tests in an env holding only it and its declared dependencies."""
    _sync(session, package, "test")
    coverage: list[str] = []
    if package == "core":  # STYLE.md §10: the core needs 100% branch coverage
        coverage = [
            "--cov=difykit_core",
            "--cov-branch",
            "--cov-fail-under=100",
            "--cov-report=term-missing:skip-covered",
        ]
    session.run("pytest", f"packages/{package}/tests", "-q", *coverage, *session.posargs)


@nox.session(python=DEFAULT)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole workspace."""
    venv = session.virtualenv.location
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--only-group=lint",
        f"--python={venv}",
        env={"UV_PROJECT_ENVIRONMENT": venv},
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # difykit (sync) and its tests are generated from difykit_async: fail when they are stale.
    session.run("python", "scripts/unasync.py", "--check")


@nox.session(python=DEFAULT)
@nox.parametrize("package", list(PACKAGES))
def typecheck(session: nox.Session, package: str) -> None:
    """mypy --strict (pydantic plugin) on one package's src and tests, pyright strict on its src,
    and the type completeness of its public API."""
    _sync(session, package, "test")
    session.run(
        "mypy",
        f"packages/{package}/src",
        f"packages/{package}/tests",
        env={"MYPYPATH": f"packages/{package}/tests"},
    )
    _pyright_strict(session, package)
    if package in VERIFY_TYPES:
        _verify_types(session, IMPORTS[package])


def _pyright_strict(session: nox.Session, package: str) -> None:
    """basedpyright in strict mode on the package's ``src`` and ``tests`` (STYLE §8), in the
    session's venv (the tests folder is on the path, as pytest's ``pythonpath`` puts it)."""
    session.install("basedpyright>=1.20")
    config = Path(session.create_tmp()) / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "reportUnnecessaryTypeIgnoreComment": True,
                "pythonVersion": "3.10",
                "include": [
                    str(Path(f"packages/{package}/src").resolve()),
                    str(Path(f"packages/{package}/tests").resolve()),
                ],
                "extraPaths": [str(Path(f"packages/{package}/tests").resolve())],
            }
        )
    )
    python = Path(session.virtualenv.location) / "bin" / "python"
    session.run("basedpyright", "--project", str(config), "--pythonpath", str(python))


VERIFY_TYPES = list(IMPORTS)
"""Packages whose public API must be ≥ MIN_TYPE_COMPLETENESS typed for pyright's users."""
MIN_TYPE_COMPLETENESS = 0.95


def _verify_types(session: nox.Session, module: str) -> None:
    """``pyright --verifytypes``: the share of the public API whose types a checker knows.

    basedpyright ships pyright with a Node.js wheel, so nothing is downloaded at run time.
    Types that come from other distributions (pydantic, httpx) are not counted.
    """
    session.install("basedpyright>=1.20")
    out = session.run(
        "basedpyright",
        "--verifytypes",
        module,
        "--ignoreexternal",
        "--outputjson",
        silent=True,
        success_codes=[0, 1],  # 1: some symbols are not fully typed; the score decides
    )
    report = json.loads(str(out))["typeCompleteness"]
    score = float(report["completenessScore"])
    session.log(f"{module}: type completeness {score:.1%} (needs {MIN_TYPE_COMPLETENESS:.0%})")
    if score < MIN_TYPE_COMPLETENESS:
        session.run("basedpyright", "--verifytypes", module, "--ignoreexternal", success_codes=[1])
        session.error(f"{module} is {score:.1%} type-complete, under {MIN_TYPE_COMPLETENESS:.0%}")


def _readme_blocks(target: Path) -> list[str]:
    """Write every ```python block of the READMEs to ``target`` as modules; return their paths."""
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for readme in [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]:
        blocks = re.findall(r"```python\n(.*?)```", readme.read_text("utf-8"), re.S)
        slug = "root" if readme.parent == ROOT else readme.parent.name
        for index, block in enumerate(blocks):
            path = target / f"readme_{slug}_{index}.py"
            path.write_text(block, "utf-8")
            paths.append(str(path))
    return paths


@nox.session(python=DEFAULT)
def docs(session: nox.Session) -> None:
    """mypy --strict on every README code block and on examples/."""
    venv = session.virtualenv.location  # every package: READMEs show the proxy and exporter too
    session.run_install(
        *("uv", "sync", "--locked", "--all-packages", "--no-default-groups", "--group=test"),
        f"--python={venv}",
        env={"UV_PROJECT_ENVIRONMENT": venv},
    )
    with tempfile.TemporaryDirectory() as tmp:
        blocks = _readme_blocks(Path(tmp))
        session.run("mypy", "--strict", *blocks, "examples")


@nox.session(python=DEFAULT, venv_backend="none")
def build(session: nox.Session) -> None:
    """Build each package with --no-sources, install each wheel alone in a fresh venv, import it."""
    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp) / "dist"
        for dist_name in PACKAGES.values():
            session.run(
                "uv", "build", "--package", dist_name, "--no-sources", "--out-dir", str(dist), "-q"
            )
        _check_licenses(session, dist)
        for package, dist_name in PACKAGES.items():
            venv = Path(tmp) / f"venv-{package}"
            python = venv / "bin" / "python"
            session.run("uv", "venv", "-q", "--python", sys.executable, str(venv))
            wheel = next(dist.glob(f"{dist_name.replace('-', '_')}-*.whl"))
            # Siblings come from the wheels just built (they are not on PyPI yet); others from PyPI.
            session.run(
                "uv",
                "pip",
                "install",
                "-q",
                "--python",
                str(python),
                "--find-links",
                str(dist),
                str(wheel),
            )
            session.run(
                str(python), "-c", f"import {IMPORTS[package]} as m; print(m.__name__, 'imports')"
            )


LICENSED = list(IMPORTS)
"""Packages whose wheel and sdist must carry the repository's LICENSE (a copy in the package dir,
since an sdist holds only its own directory)."""


METADATA_FIELDS = [
    "License-Expression: MIT",
    "License-File: LICENSE",
    "Author: ",
    "Project-URL: Homepage, ",
    "Project-URL: Source, ",
    "Project-URL: Issues, ",
    "Project-URL: Changelog, ",
]
"""Lines every licensed package's wheel METADATA starts one of (PyPI shows them)."""


def _check_licenses(session: nox.Session, dist: Path) -> None:
    """Each package's LICENSE is the root one, its wheel and sdist contain it, and its wheel's
    metadata names the license, the authors and the project's URLs."""
    license_text = (ROOT / "LICENSE").read_bytes()
    for package in LICENSED:
        name = PACKAGES[package].replace("-", "_")
        if (ROOT / "packages" / package / "LICENSE").read_bytes() != license_text:
            session.error(f"packages/{package}/LICENSE differs from LICENSE: copy it again")
        with zipfile.ZipFile(next(dist.glob(f"{name}-*.whl"))) as wheel:
            found = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
            if not found or wheel.read(found[0]) != license_text:
                session.error(f"the {PACKAGES[package]} wheel does not carry LICENSE")
            metadata = wheel.read(found[0].replace("licenses/LICENSE", "METADATA")).decode()
            for field in METADATA_FIELDS:
                if not re.search(rf"^{re.escape(field)}", metadata, re.M):
                    session.error(f"the {PACKAGES[package]} wheel's METADATA lacks {field!r}")
        with tarfile.open(next(dist.glob(f"{name}-*.tar.gz"))) as sdist:
            member = next((m for m in sdist.getmembers() if m.name.endswith("/LICENSE")), None)
            extracted = sdist.extractfile(member) if member is not None else None
            if extracted is None or extracted.read() != license_text:
                session.error(f"the {PACKAGES[package]} sdist does not carry LICENSE")
    session.log(f"LICENSE, authors and URLs are in the wheel and sdist of {', '.join(LICENSED)}")


BENCH_PEERS = [
    "dify-client-python==1.0.3",
    "dify-python-sdk==0.1.16",
    "dify-client==0.1.10",
    "dify-oapi2==1.1.2",
]
"""The peer SDKs `nox -s bench` measures beside difykit (PyPI names, exact pins)."""
BENCH_PEER_DEPS = [
    "httpx-sse==0.4.3",
    "strenum==0.5.0",
    "aiofiles==25.1.0",
    "requests==2.34.2",
    "urllib3==2.8.0",
    "charset-normalizer==3.5.3",
]
"""Their dependencies beyond httpx and pydantic (which the venv already holds)."""


@nox.session(python=DEFAULT, default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks of DESIGN.md §8 (difykit vs raw httpx / bare parsing); writes BENCHMARKS.md."""
    venv = session.virtualenv.location
    # Every package with its test group: the proxy and exporter benches need the emulator,
    # the openai client and the peers side by side.
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--all-packages",
        "--no-default-groups",
        "--group=test",
        f"--python={venv}",
        env={"UV_PROJECT_ENVIRONMENT": venv},
    )
    # The peers, pinned, each in its own folder (three import as ``dify_client``); their
    # dependencies go into the venv. A failed install leaves its folder empty and
    # benchmarks/_peers.py gives that peer a row saying so.
    session.run_install("uv", "pip", "install", f"--python={venv}", *BENCH_PEER_DEPS)
    for peer in BENCH_PEERS:
        target = Path(venv) / "peers" / peer.partition("==")[0]
        shutil.rmtree(target, ignore_errors=True)
        session.run_install(
            *("uv", "pip", "install", "--no-deps", f"--python={venv}", f"--target={target}", peer),
            success_codes=[0, 1, 2],
        )
    session.run("python", "benchmarks/run.py", env={"DIFYKIT_BENCH_PEERS": f"{venv}/peers"})
