"""A view reads the same whatever order a store's rows lie in.

A store keeps its firms in id order and its links by supplier id, then customer id: the order
of a view's rows, so that the view of a store loaded in one go is read as stored, without
sorting. Later loads leave rows out of that order (new firms among the old ids, rows DuckDB
moves when it updates them, links loaded in pieces); a view must then sort them itself and come
out the same."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from chainscout.cli.copy import copy_store
from chainscout.graph import EmbeddedStore, GraphBatch
from chainscout.loaders.demo import DEMO_CITY, DemoData, DemoSpec, generate_demo

from .conftest import field_values  # type: ignore[import-not-found]

HOMES = [DEMO_CITY.code, "340000", "CN"]


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate_demo(DemoSpec(firms=400))


def _pieces(data: DemoData) -> list[GraphBatch]:
    """The demo batch as later loads bring it: firms in three pieces of mixed ids, the first
    with a wrong revenue that the whole firm table then corrects, and links in two pieces,
    the second half first."""
    firms, links = data.batch.enterprises, data.batch.supplies
    shuffled = firms.take(pa.array(list(range(0, firms.num_rows, 2))
                                   + list(range(1, firms.num_rows, 2))))  # fmt: skip
    third = firms.num_rows // 3
    first = shuffled.slice(0, third)
    wrong = pc.add(first["revenue"], 1.0)  # unknown stays unknown: a load never clears a field
    first = first.set_column(first.schema.get_field_index("revenue"), "revenue", wrong)
    half = links.num_rows // 2
    return [
        GraphBatch(enterprises=first),
        GraphBatch(enterprises=shuffled.slice(third, third)),
        GraphBatch(enterprises=shuffled.slice(2 * third)),
        GraphBatch(enterprises=firms, supplies=links.slice(half)),
        GraphBatch(supplies=links.slice(0, half), memberships=data.batch.memberships),
    ]


def _store(path: Path, data: DemoData, batches: list[GraphBatch]) -> EmbeddedStore:
    store = EmbeddedStore(path)
    store.upsert_chain(data.chain)
    store.upsert_regions(data.regions)
    for batch in batches:
        store.write(batch)
    return store


@pytest.mark.parametrize("home", HOMES)
def test_a_store_loaded_in_pieces_reads_the_views_of_one_loaded_at_once(
    tmp_path: Path, data: DemoData, home: str
) -> None:
    whole_batch = GraphBatch(enterprises=data.batch.enterprises, supplies=data.batch.supplies,
                             memberships=data.batch.memberships)  # fmt: skip
    with (
        _store(tmp_path / "whole.duckdb", data, [whole_batch]) as whole,
        _store(tmp_path / "pieces.duckdb", data, _pieces(data)) as pieces,
    ):
        # the first is read as stored, the second is not: both ways give the same view
        assert whole._firms_in_id_order() and not pieces._firms_in_id_order()
        assert field_values(pieces.view("nev", home)) == field_values(whole.view("nev", home))


def test_new_firms_after_the_stored_ids_keep_the_store_in_id_order(
    tmp_path: Path, data: DemoData
) -> None:
    firms = data.batch.enterprises.sort_by("id")
    half = firms.num_rows // 2
    batches = [GraphBatch(enterprises=firms.slice(0, half)),
               GraphBatch(enterprises=firms.slice(half))]  # fmt: skip
    with _store(tmp_path / "later.duckdb", data, batches) as store:
        assert store._firms_in_id_order()
        store.write(GraphBatch(enterprises=firms.slice(0, 1)))  # nothing changed: nothing moved
        assert store._firms_in_id_order()


def test_reordering_a_store_loaded_in_pieces_keeps_its_rows_and_reads_as_stored(
    tmp_path: Path, data: DemoData
) -> None:
    with _store(tmp_path / "pieces.duckdb", data, _pieces(data)) as pieces:
        before = GraphBatch.concat(list(pieces.export_tables())).tables()
        views = {home: field_values(pieces.view("nev", home)) for home in HOMES}
        assert pieces.reorder()
        assert pieces._firms_in_id_order()
        assert GraphBatch.concat(list(pieces.export_tables())).tables() == before
        assert {home: field_values(pieces.view("nev", home)) for home in HOMES} == views
        assert not pieces.reorder()  # in order now: nothing to do
        assert pieces.counts().enterprises == data.batch.enterprises.num_rows


def test_a_copy_written_in_batches_is_laid_out_as_one_load(tmp_path: Path, data: DemoData) -> None:
    whole_batch = GraphBatch(enterprises=data.batch.enterprises, supplies=data.batch.supplies,
                             memberships=data.batch.memberships)  # fmt: skip
    with (
        _store(tmp_path / "pieces.duckdb", data, _pieces(data)) as pieces,
        EmbeddedStore(tmp_path / "copy.duckdb") as copied,
        _store(tmp_path / "whole.duckdb", data, [whole_batch]) as whole,
    ):
        copy_store(pieces, copied, batch_rows=50)  # many batches, ids interleaved
        assert copied._firms_in_id_order()
        for home in HOMES:
            assert field_values(copied.view("nev", home)) == field_values(whole.view("nev", home))
