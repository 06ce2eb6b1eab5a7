"""Kept views: a read-only store answers from its cache exactly as from its tables, never
from a cache made before a write, and still answers when the cache is damaged or unwritable."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from chainscout.cli import main
from chainscout.graph import EmbeddedStore, Enterprise, InSegment
from chainscout.graph.viewcache import prune
from chainscout.loaders.demo import DEMO_CITY, build_demo_store

from .conftest import field_values  # type: ignore[import-not-found]

HOMES = [DEMO_CITY.code, "340000", "CN"]


def kept_folders(cache: Path) -> list[Path]:
    return (
        sorted(p for p in cache.iterdir() if (p / "view.json").exists()) if cache.exists() else []
    )


@pytest.mark.parametrize("home", HOMES)
def test_a_kept_view_is_the_view_field_by_field(
    demo_store_path: Path, tmp_path: Path, home: str
) -> None:
    with EmbeddedStore(demo_store_path, read_only=True) as plain:
        want = field_values(plain.view("nev", home))
    for _ in range(2):  # made and kept, then read back
        with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
            got = store.view("nev", home)
            assert field_values(got) == want
    assert len(kept_folders(tmp_path)) == 1


def test_one_kept_view_serves_every_home_region(demo_store_path: Path, tmp_path: Path) -> None:
    # made for the whole country first, then read back for the demo city (where the demo's
    # projects in production make their outside firms local) and for its province
    homes = ["CN", DEMO_CITY.code, "340000"]
    with EmbeddedStore(demo_store_path, read_only=True) as plain:
        want = {home: field_values(plain.view("nev", home)) for home in homes}
        landed = plain.view("nev", DEMO_CITY.code)
    by_code = landed.is_local & ~np.char.startswith(landed.regions.astype(str), DEMO_CITY.code[:4])
    assert by_code.any(), "the demo should have a landed outside firm"
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
        for home in homes:
            assert field_values(store.view("nev", home)) == want[home]
    assert len(kept_folders(tmp_path)) == 1


def test_the_second_read_comes_from_the_cache(demo_store_path: Path, tmp_path: Path) -> None:
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
        store.view("nev", DEMO_CITY.code)
    folder = kept_folders(tmp_path)[0]
    ids = np.load(folder / "ids.offsets.npy")
    np.save(folder / "revenue.npy", np.full(len(ids) - 1, 7.0))  # mark the kept copy
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
        assert set(store.view("nev", DEMO_CITY.code).revenue.tolist()) == {7.0}


def test_a_write_makes_the_kept_view_unused(tmp_path: Path) -> None:
    path, cache = tmp_path / "s.duckdb", tmp_path / "cache"
    with EmbeddedStore(path) as store:
        build_demo_store(store)
    with EmbeddedStore(path, read_only=True, view_cache=cache) as store:
        before = store.view("nev", DEMO_CITY.code)
    segment = before.segment_ids[0]
    with EmbeddedStore(path) as store:
        store.upsert([
            Enterprise(id="新入驻企业", name="新入驻电池材料有限公司", region=DEMO_CITY.code),
            InSegment(enterprise="新入驻企业", segment=segment),
        ])  # fmt: skip
    with EmbeddedStore(path, read_only=True, view_cache=cache) as store:
        after = store.view("nev", DEMO_CITY.code)
    assert after.n_firms == before.n_firms + 1
    assert "新入驻电池材料有限公司" in after.names.tolist()
    assert bool(after.is_local[after.index_of("新入驻企业")])


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "view.json").write_text("{not json", encoding="utf-8"),
        lambda f: (f / "out_indices.npy").unlink(),
        lambda f: (f / "names.data.npy").write_bytes(b"\x93NUMPY broken"),
        lambda f: (f / "view.json").write_text(
            json.dumps({**json.loads((f / "view.json").read_text("utf-8")), "format": 0}), "utf-8"
        ),
    ],
    ids=["bad json", "missing array", "broken array", "older format"],
)
def test_a_damaged_kept_view_is_made_again(
    demo_store_path: Path, tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    with EmbeddedStore(demo_store_path, read_only=True) as plain:
        want = field_values(plain.view("nev", DEMO_CITY.code))
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
        store.view("nev", DEMO_CITY.code)
    damage(kept_folders(tmp_path)[0])
    for _ in range(2):  # made again from the tables, then read back from the new copy
        with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
            assert field_values(store.view("nev", DEMO_CITY.code)) == want


def test_an_unwritable_cache_still_answers(demo_store_path: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=blocked / "views") as store:
        assert store.view("nev", DEMO_CITY.code).n_firms > 0


def test_a_store_open_for_writing_keeps_nothing(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "s.duckdb", view_cache=tmp_path / "cache") as store:
        build_demo_store(store)
        store.view("nev", DEMO_CITY.code)
    assert kept_folders(tmp_path / "cache") == []


def test_only_the_most_recently_used_are_kept(demo_store_path: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    stores = [tmp_path / f"copy-{i}.duckdb" for i in range(3)]  # a folder for each store
    for path in stores:
        shutil.copyfile(demo_store_path, path)
        with EmbeddedStore(path, read_only=True, view_cache=cache, view_cache_keep=2) as s:
            s.view("nev", DEMO_CITY.code)
    assert len(kept_folders(cache)) == 2
    newest = max(kept_folders(cache), key=lambda p: (p / "view.json").stat().st_mtime_ns)
    prune(cache, 1)
    assert kept_folders(cache) == [newest]


def run_json(capsys: pytest.CaptureFixture[str], args: list[str]) -> object:
    try:
        main(args)
    except SystemExit as exit_:
        assert not exit_.code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_targets_twice_from_the_cli_agree(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    cache = tmp_path / "views"
    monkeypatch.setenv("CHAINSCOUT_VIEW_CACHE", str(cache))
    args = ["targets", "--store", str(demo_store_path), "--chain", "nev", "--region", DEMO_CITY.code,
            "--format", "json"]  # fmt: skip
    first = run_json(capsys, args)
    assert len(kept_folders(cache)) == 1
    assert run_json(capsys, args) == first
    monkeypatch.setenv("CHAINSCOUT_VIEW_CACHE", "off")
    assert run_json(capsys, args) == first


def test_a_kept_view_that_cannot_be_touched_still_serves(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
        want = field_values(store.view("nev", DEMO_CITY.code))

    def refuse(*_: object) -> None:
        raise PermissionError("read-only folder")

    monkeypatch.setattr("chainscout.graph.viewcache.os.utime", refuse)
    with EmbeddedStore(demo_store_path, read_only=True, view_cache=tmp_path) as store:
        assert field_values(store.view("nev", DEMO_CITY.code)) == want
