"""Bulk writes: a first write into empty tables, and link ends passed dictionary-encoded."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainscout.graph import EmbeddedStore, GraphBatch, ValidationFailed
from chainscout.graph.tables import _blank, plain_strings
from chainscout.loaders.demo import DemoSpec, generate_demo


def _rows(store: EmbeddedStore) -> dict[str, list[dict[str, object]]]:
    merged = GraphBatch.concat(list(store.export_tables()))
    return {name: t.to_pylist() for name, t in merged.tables().items()}


def _keys(store: EmbeddedStore) -> set[tuple[str, str]]:
    rows = store._db.execute(
        "SELECT table_name, constraint_type FROM duckdb_constraints()"
        " WHERE table_name IN ('enterprises', 'supplies') AND constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    return {(str(t), str(c)) for t, c in rows}


def _encoded(supplies: pa.Table) -> pa.Table:
    """The same links with both ends dictionary-encoded over one dictionary."""
    ends = pa.concat_arrays(
        [supplies["supplier"].combine_chunks(), supplies["customer"].combine_chunks()]
    )
    values = pc.unique(ends)
    n = supplies.num_rows
    at = pc.index_in(ends, value_set=values)
    table = supplies
    for i, name in enumerate(("supplier", "customer")):
        coded = pa.DictionaryArray.from_arrays(at[i * n : (i + 1) * n], values)
        table = table.set_column(table.schema.get_field_index(name), name, coded)
    return table


@pytest.fixture(scope="module")
def batch() -> GraphBatch:
    data = generate_demo(DemoSpec(firms=300))
    return GraphBatch(enterprises=data.batch.enterprises, supplies=data.batch.supplies)


def test_a_first_write_stores_what_an_upsert_stores(tmp_path: Path, batch: GraphBatch) -> None:
    # the upsert store gets one firm and one link first, so that the batch meets non-empty
    # tables there
    ends = batch.supplies.slice(0, 1).to_pylist()[0]
    is_end = pc.is_in(batch.enterprises["id"], pa.array([ends["supplier"], ends["customer"]]))
    first = GraphBatch(enterprises=batch.enterprises.filter(is_end),
                       supplies=batch.supplies.slice(0, 1))  # fmt: skip
    with EmbeddedStore(tmp_path / "bulk.duckdb") as bulk, EmbeddedStore(":memory:") as upsert:
        summary = bulk.write(batch)
        upsert.write(first)
        upsert.write(batch)
        assert summary.new["enterprises"] == batch.enterprises.num_rows
        assert summary.new["supplies"] == batch.supplies.num_rows
        assert summary.updated["enterprises"] == summary.updated["supplies"] == 0
        # nids differ (the upsert store numbered two firms first); what is stored does not
        assert sorted(_rows(bulk)["enterprises"], key=str) == sorted(
            _rows(upsert)["enterprises"], key=str
        )
        assert sorted(_rows(bulk)["supplies"], key=str) == sorted(
            _rows(upsert)["supplies"], key=str
        )
        assert _keys(bulk) == {("enterprises", "PRIMARY KEY")}
    with EmbeddedStore(tmp_path / "bulk.duckdb") as reopened:
        assert reopened.counts().supplies == batch.supplies.num_rows
        assert reopened.write(batch).changed == 0  # the same batch again changes nothing


def test_a_failed_first_write_leaves_the_empty_store_as_it_was(
    tmp_path: Path, batch: GraphBatch
) -> None:
    bad = batch.supplies.slice(0, 5).to_pylist()
    bad[-1]["customer"] = "no such firm"
    with EmbeddedStore(tmp_path / "fail.duckdb") as store:
        with pytest.raises(ValidationFailed, match="no such firm"):
            store.write(
                GraphBatch(
                    enterprises=batch.enterprises,
                    supplies=pa.Table.from_pylist(bad, schema=batch.supplies.schema),
                )
            )
        assert store.counts().enterprises == 0 and store.counts().supplies == 0
        assert _keys(store) == {("enterprises", "PRIMARY KEY")}
        store.write(batch)
        assert store.counts().supplies == batch.supplies.num_rows


def test_links_stay_one_row_per_pair_without_a_key(tmp_path: Path, batch: GraphBatch) -> None:
    # links carry no primary key: the writes themselves keep one row per (supplier, customer)
    half = batch.supplies.num_rows // 2
    twice = pa.concat_tables([batch.supplies.slice(0, half), batch.supplies.slice(0, 10)])
    with EmbeddedStore(tmp_path / "pairs.duckdb") as store:
        store.write(GraphBatch(enterprises=batch.enterprises, supplies=twice))
        store.write(GraphBatch(supplies=batch.supplies.slice(half // 2)))
        store.write(GraphBatch(supplies=batch.supplies))
        rows, pairs = store._db.execute(
            "SELECT count(*), count(DISTINCT (src, dst)) FROM supplies"
        ).fetchone() or (0, 0)
        assert rows == pairs == batch.supplies.num_rows == store.counts().supplies


def test_encoded_link_ends_store_the_same_links(batch: GraphBatch) -> None:
    coded = GraphBatch(enterprises=batch.enterprises, supplies=_encoded(batch.supplies))
    assert pa.types.is_dictionary(coded.supplies.schema.field("supplier").type)
    assert plain_strings(coded.supplies).equals(batch.supplies)
    assert coded.problems() == []
    with EmbeddedStore(":memory:") as a, EmbeddedStore(":memory:") as b:
        a.write(batch)
        b.write(coded)
        assert _rows(a) == _rows(b)
        again = GraphBatch(supplies=_encoded(batch.supplies.slice(0, 50)))
        assert b.write(again).changed == 0


def test_encoded_link_ends_are_checked_like_text() -> None:
    supplies = pa.table(
        {
            "supplier": ["a", " ", "a", "b"],
            "customer": ["b", "a", "a", "\u3000"],
            "confidence": ["reported"] * 4,
        }
    )
    plain = GraphBatch(supplies=supplies)
    coded = GraphBatch(supplies=_encoded(plain.supplies))
    found = [(p.row, p.field, p.reason) for p in coded.problems()]
    assert found == [(p.row, p.field, p.reason) for p in plain.problems()]
    assert [(r, f) for r, f, _ in found] == [(2, "supplier"), (3, "customer"), (4, "customer")]
    both = GraphBatch.concat([plain, coded])
    assert both.supplies.num_rows == 8 and not pa.types.is_dictionary(
        both.supplies.schema.field("supplier").type
    )


@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \t\n\u3000\u00a0\u2003ab,", max_size=5))))
def test_blank_is_empty_after_trimming(values: list[str | None]) -> None:
    col = pa.array(values, pa.string())
    trimmed = pc.or_(pc.is_null(col), pc.equal(pc.utf8_trim_whitespace(col), ""))
    assert _blank(col).to_pylist() == pc.fill_null(trimmed, True).to_pylist()


@given(st.lists(st.integers(min_value=0, max_value=5), max_size=30), st.booleans())
def test_nids_of_encoded_ends_agree_with_a_lookup_per_end(picks: list[int], same: bool) -> None:
    from chainscout.graph.embedded import _nids_of

    ids = pa.array(["a", "b", "c", "d"], pa.string())
    nids = pa.array([7, 3, 9, 1], pa.int32())
    # a dictionary that is the stored ids in their order, or another one (with an unknown id)
    values = ids if same else pa.array(["d", "x", "b", "a", "c", "b2"], pa.string())
    at = pa.array([p % len(values) for p in picks], pa.int32())
    coded = pa.DictionaryArray.from_arrays(at, values)
    seen: list[tuple[pa.Array, pa.Array]] = []
    expected = nids.take(pc.index_in(coded.cast(pa.string()), value_set=ids)).to_pylist()
    assert _nids_of(coded, ids, nids, seen).to_pylist() == expected
    assert _nids_of(coded, ids, nids, seen).to_pylist() == expected  # the second column
    assert len(seen) == 1


def test_table_columns_are_those_of_the_whole_table(tmp_path: Path) -> None:
    from chainscout.graph.errors import BadInputError

    demo = generate_demo(DemoSpec(firms=60, links_per_firm=2.0))
    with EmbeddedStore(tmp_path / "s.duckdb") as store:
        store.write(GraphBatch(enterprises=demo.batch.enterprises, supplies=demo.batch.supplies))
        cols = ["id", "name", "aliases", "credit_code"]
        assert store.table("enterprises", cols).equals(store.table("enterprises").select(cols))
        assert store.table("supplies", ["customer"]).equals(
            store.table("supplies").select(["customer"])
        )
        with pytest.raises(BadInputError):
            store.table("enterprises", ["nid"])
