"""What the API tests share: the demo city in a store file, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainscout.graph import EmbeddedStore
from chainscout.loaders.demo import DemoSpec, build_demo_store

#: Firms in the demo city of the API tests.
FIRMS = 800


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city in a store file; tests that write copy it first."""
    path = tmp_path_factory.mktemp("api") / "demo.duckdb"
    with EmbeddedStore(path) as store:
        build_demo_store(store, DemoSpec(firms=FIRMS))
    return path
