"""Installed, ChainScout is one package, `chainscout`: no generic top-level module leaks out."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT  # type: ignore[import-not-found]


def python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, **env}, check=False,
    )  # fmt: skip


def test_the_layers_import_under_chainscout_and_graph_does_not(tmp_path: Path) -> None:
    ok = python("import chainscout.graph, chainscout.loaders, chainscout.analysis", tmp_path)
    assert ok.returncode == 0, ok.stderr
    for name in ("graph", "api", "loaders", "analysis", "viz", "cli"):
        bad = python(f"import {name}", tmp_path)
        assert bad.returncode != 0 and "ModuleNotFoundError" in bad.stderr, name


#: Libraries that take a large part of a second each to import, and that a command on an
#: embedded store never uses: the Neo4j driver, the web framework, pandas, scipy's statistics.
HEAVY = ("neo4j", "fastapi", "pandas", "scipy.stats")


@pytest.mark.parametrize(
    "modules",
    ["chainscout.cli", "chainscout.graph, chainscout.analysis.targets, chainscout.loaders.table"],
)
def test_commands_start_without_the_libraries_only_some_of_them_need(
    modules: str, tmp_path: Path
) -> None:
    code = f"import sys, {modules}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    started = python(code, tmp_path)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]"


def test_the_neo4j_store_is_still_there_when_asked_for(tmp_path: Path) -> None:
    asked = python(
        "import sys, chainscout.graph as g; print('neo4j' in sys.modules,"
        " g.Neo4jStore.__module__, g.Neo4jSettings.__name__, 'neo4j' in sys.modules)",
        tmp_path,
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.split() == ["False", "chainscout.graph.neo4j", "Neo4jSettings", "True"]


@pytest.mark.slow
def test_a_built_wheel_holds_only_chainscout_and_runs(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("chainscout-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"chainscout", next(t for t in tops if t.endswith(".dist-info"))}
    assert "chainscout/graph/model.py" in names
    assert "chainscout/loaders/templates/nev.json" in names
    assert not any(n.startswith("chainscout/tests/") or "/.venv/" in n for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "chainscout = chainscout.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    where = python(
        "import chainscout; print(chainscout.__file__)", tmp_path, PYTHONPATH=str(target)
    )
    assert where.stdout.strip().startswith(str(target)), where.stderr
    script = subprocess.run(
        [str(target / "bin" / "chainscout"), "--version"], capture_output=True, text=True,
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)}, check=False,
    )  # fmt: skip
    assert script.returncode == 0 and script.stdout.startswith("chainscout "), script.stderr
    module = subprocess.run(
        [sys.executable, "-m", "chainscout", "--version"], capture_output=True, text=True,
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)}, check=False,
    )  # fmt: skip
    assert module.returncode == 0 and module.stdout.startswith("chainscout ")
