"""Fixtures of the loader tests: a fresh store and an isolated CLI configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainscout.graph import GraphStore, open_store


@pytest.fixture
def store() -> Iterator[GraphStore]:
    with open_store(":memory:") as s:
        yield s


@pytest.fixture
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI's config and data folder at a temporary folder."""
    monkeypatch.setenv("CHAINSCOUT_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CHAINSCOUT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path
