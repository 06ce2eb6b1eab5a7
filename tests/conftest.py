"""Fixtures every test shares: settings isolated in a temporary folder, the shared datasets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

#: The repository root (the `chainscout` package) and the shared datasets beside it.
ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point config, data and cache folders into a temporary folder: no test reads or writes the
    user's own ChainScout settings or stores."""
    home = tmp_path_factory.mktemp("chainscout-home")
    monkeypatch.setenv("CHAINSCOUT_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("CHAINSCOUT_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("CHAINSCOUT_CACHE_DIR", str(home / "cache"))
    for name in (
        "CHAINSCOUT_STORE",
        "CHAINSCOUT_HOME_REGION",
        "CHAINSCOUT_CHAIN",
        "CHAINSCOUT_LANG",
        "CHAINSCOUT_VIEW_CACHE",
        "CHAINSCOUT_VIEW_CACHE_KEEP",
    ):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city's store (default size), built once for the session: open it read-only."""
    from chainscout.graph import open_store
    from chainscout.loaders.demo import build_demo_store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with open_store(path) as store:
        build_demo_store(store)
    return path


def shared_dataset(name: str) -> Path:
    """The folder of a shared dataset, or skip the test saying why."""
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(
            f"shared dataset {name!r} not found at ../shared/data/{name} beside the repository"
        )
    return folder
