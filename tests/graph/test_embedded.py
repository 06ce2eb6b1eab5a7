"""The embedded store: round trips, crash safety, idempotent upserts, neighbours and views."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from chainscout.graph import (
    Chain,
    EmbeddedStore,
    Enterprise,
    Feeds,
    GraphBatch,
    InSegment,
    NotFoundError,
    Segment,
    StoreUnavailableError,
    Supplies,
    ValidationFailed,
    open_store,
)
from chainscout.loaders.demo import DemoSpec, build_demo_store, generate_demo


def snapshot(store: EmbeddedStore) -> dict[str, list[dict[str, object]]]:
    """Everything a store holds, as plain rows in a stable order."""
    batches = list(store.export_tables())
    merged = GraphBatch.concat(batches)
    out = {name: t.to_pylist() for name, t in merged.tables().items()}
    out["chains"] = [c.model_dump() for c in store.list_chains()]
    out["regions"] = [r.model_dump() for r in store.list_regions()]
    return out


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    with EmbeddedStore(path) as store:
        build_demo_store(store, DemoSpec(firms=400))
    return path


class TestRoundTrip:
    def test_reopened_store_holds_what_was_written(self, demo_path: Path) -> None:
        data = generate_demo(DemoSpec(firms=400))
        with EmbeddedStore(demo_path, read_only=True) as store:
            held = snapshot(store)
            counts = store.counts()
        assert counts.enterprises == 400
        assert counts.supplies == data.batch.supplies.num_rows
        assert len(held["enterprises"]) == 400
        written = {r["id"]: r for r in data.batch.enterprises.to_pylist()}
        for row in held["enterprises"]:
            expected = written[row["id"]]
            assert row["name"] == expected["name"]
            assert row["region"] == expected["region"]
            assert row["tags"] == sorted(expected["tags"])
            if expected["revenue"] is not None and not np.isnan(expected["revenue"]):
                assert row["revenue"] == expected["revenue"]

    def test_a_second_identical_write_changes_nothing(self, demo_path: Path) -> None:
        data = generate_demo(DemoSpec(firms=400))
        with EmbeddedStore(demo_path) as store:
            before = snapshot(store)
            summary = store.write(data.batch)
            store.upsert_chain(data.chain)
            store.upsert_regions(data.regions)
            assert summary.changed == 0
            assert sum(summary.given.values()) == data.batch.rows
            assert snapshot(store) == before


class TestMerging:
    def test_given_fields_replace_missing_fields_keep_lists_unite(self) -> None:
        with open_store(":memory:") as store:
            store.upsert([Enterprise(id="a", name="甲", revenue=10.0, tags=("专精特新",))])
            summary = store.upsert([Enterprise(id="a", name="甲公司", tags=("上市公司",))])
            assert summary.updated["enterprises"] == 1
            e = store.get_enterprise("a")
            assert (e.name, e.revenue, e.tags) == ("甲公司", 10.0, ("上市公司", "专精特新"))

    def test_a_link_seen_again_adds_its_snapshot_date(self) -> None:
        with open_store(":memory:") as store:
            store.upsert([Enterprise(id="a", name="甲"), Enterprise(id="b", name="乙")])
            store.upsert([Supplies(supplier="a", customer="b", seen=("2020-06-30",))])
            store.upsert([Supplies(supplier="a", customer="b", seen=("2020-12-31",), share=0.2)])
            (link,) = store.supplies_of("a")
            assert [d.isoformat() for d in link.seen] == ["2020-06-30", "2020-12-31"]
            assert link.share == 0.2

    def test_duplicates_inside_one_batch_fold_into_one_link(self) -> None:
        with open_store(":memory:") as store:
            store.upsert([Enterprise(id="a", name="甲"), Enterprise(id="b", name="乙")])
            store.upsert(
                [
                    Supplies(supplier="a", customer="b", seen=("2021-06-30",)),
                    Supplies(supplier="a", customer="b", seen=("2020-06-30",)),
                ]
            )
            assert store.counts().supplies == 1
            assert len(store.supplies_of("b")[0].seen) == 2


class TestBadWrites:
    def test_a_link_to_an_unknown_firm_is_refused_and_nothing_is_written(self) -> None:
        with open_store(":memory:") as store:
            store.upsert([Enterprise(id="a", name="甲")])
            with pytest.raises(ValidationFailed) as info:
                store.upsert(
                    [
                        Enterprise(id="b", name="乙"),
                        Supplies(supplier="a", customer="b"),
                        Supplies(supplier="a", customer="nobody"),
                    ]
                )
            problem = info.value.problems[0]
            assert (problem.file, problem.row, problem.field) == ("supplies", 2, "customer")
            assert "'nobody' is not a known enterprise" in str(info.value)
            assert store.counts().enterprises == 1
            assert store.counts().supplies == 0

    def test_vectorised_checks_name_row_and_field(self) -> None:
        batch = GraphBatch(
            enterprises=pa.table(
                {
                    "id": ["a", "b", "c", "a"],
                    "name": ["甲", "", "丙", "丁"],
                    "revenue": [1.0, -5.0, None, 2.0],
                    "region": ["440300", "440300", "990000", None],
                    "credit_code": [None, "91350100M000100Y43", "91350100M000100Y44", None],
                }
            )
        )
        found = {(p.row, p.field) for p in batch.problems()}
        assert found == {(2, "name"), (2, "revenue"), (3, "region"), (3, "credit_code"), (4, "id")}

    def test_a_membership_in_an_unknown_segment_is_refused(self) -> None:
        with open_store(":memory:") as store:
            store.upsert([Enterprise(id="a", name="甲")])
            with pytest.raises(
                ValidationFailed, match=r"segment 'x\.nowhere' is not in any stored chain"
            ):
                store.upsert([InSegment(enterprise="a", segment="x.nowhere")])


CRASH_CHILD = textwrap.dedent(
    """
    import sys, time
    from chainscout.graph.embedded import EmbeddedStore
    from chainscout.loaders.demo import DemoSpec, generate_demo

    store = EmbeddedStore(sys.argv[1])
    original = EmbeddedStore._write_supplies

    def stall(self, *args, **kwargs):
        original(self, *args, **kwargs)  # enterprises and links are in, uncommitted
        print("in-transaction", flush=True)
        time.sleep(60)

    EmbeddedStore._write_supplies = stall
    store.write(generate_demo(DemoSpec(firms=3000, seed=7)).batch)
    """
)


class TestCrashSafety:
    def test_a_kill_in_the_middle_of_a_write_leaves_the_last_commit(self, demo_path: Path) -> None:
        with EmbeddedStore(demo_path, read_only=True) as store:
            before = snapshot(store)
        with subprocess.Popen(
            [sys.executable, "-c", CRASH_CHILD, str(demo_path)], stdout=subprocess.PIPE, text=True
        ) as child:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "in-transaction"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        with EmbeddedStore(demo_path) as store:
            assert snapshot(store) == before

    def test_a_kill_at_any_moment_leaves_before_or_after(self, tmp_path: Path) -> None:
        path = tmp_path / "s.duckdb"
        script = (
            "import sys; from chainscout.graph.embedded import EmbeddedStore;"
            "from chainscout.loaders.demo import DemoSpec, build_demo_store;"
            "s = EmbeddedStore(sys.argv[1]); print('open', flush=True);"
            "build_demo_store(s, DemoSpec(firms=20000)); s.close(); print('done', flush=True)"
        )
        with subprocess.Popen(
            [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
        ) as child:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "open"
            try:
                child.wait(timeout=0.8)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(timeout=30)
        with EmbeddedStore(path) as store:
            counts = store.counts()
        # the chain and regions commit first; the firms and links commit together, or not at all
        assert (counts.enterprises, counts.supplies > 0) in {(0, False), (20000, True)}


class TestOpening:
    def test_a_missing_store_opened_for_reading_says_what_to_do(self, tmp_path: Path) -> None:
        with pytest.raises(StoreUnavailableError, match="chainscout demo"):
            open_store(tmp_path / "none.duckdb", read_only=True)

    def test_a_store_held_by_another_writer_is_reported_in_use(self, demo_path: Path) -> None:
        script = (
            "import sys, time; from chainscout.graph import open_store;"
            "s = open_store(sys.argv[1]); print('held', flush=True); time.sleep(60)"
        )
        with subprocess.Popen(
            [sys.executable, "-c", script, str(demo_path)], stdout=subprocess.PIPE, text=True
        ) as holder:
            try:
                assert holder.stdout is not None
                assert holder.stdout.readline().strip() == "held"
                with pytest.raises(StoreUnavailableError, match="in use by another process"):
                    open_store(demo_path)
            finally:
                holder.kill()
                holder.wait(timeout=30)

    def test_a_file_that_is_not_a_store_is_named(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.duckdb"
        path.write_text("名单", encoding="utf-8")
        with pytest.raises(StoreUnavailableError, match=r"notes\.duckdb"):
            open_store(path)

    def test_an_unknown_enterprise_is_not_found(self) -> None:
        with open_store(":memory:") as store, pytest.raises(NotFoundError, match="search by name"):
            store.get_enterprise("91350100M000100Y43")


# a -> b -> c -> d (a line), hub h supplies b, c, d and buys from x
HAND_MADE = [
    *(Enterprise(id=i, name=i.upper(), revenue=r) for i, r in
      [("a", 5.0), ("b", 4.0), ("c", 3.0), ("d", 2.0), ("h", 100.0), ("x", 1.0)]),
    Supplies(supplier="a", customer="b"),
    Supplies(supplier="b", customer="c"),
    Supplies(supplier="c", customer="d"),
    Supplies(supplier="h", customer="b"),
    Supplies(supplier="h", customer="c"),
    Supplies(supplier="h", customer="d"),
    Supplies(supplier="x", customer="h"),
]  # fmt: skip


@pytest.fixture
def hand_made() -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(":memory:")
    store.upsert(HAND_MADE)
    yield store
    store.close()


class TestNeighbours:
    @pytest.mark.parametrize(
        ("center", "hops", "direction", "expected"),
        [
            ("b", 1, "out", {"b": 0, "c": 1}),
            ("b", 1, "in", {"b": 0, "a": 1, "h": 1}),
            ("b", 2, "in", {"b": 0, "a": 1, "h": 1, "x": 2}),
            ("a", 3, "out", {"a": 0, "b": 1, "c": 2, "d": 3}),
            ("a", 2, "both", {"a": 0, "b": 1, "c": 2, "h": 2}),
            ("d", 0, "both", {"d": 0}),
        ],
    )
    def test_known_answers(
        self, hand_made: EmbeddedStore, center: str, hops: int, direction: str,
        expected: dict[str, int],
    ) -> None:  # fmt: skip
        result = hand_made.neighbours(center, hops=hops, direction=direction)
        assert {n.id: n.hop for n in result.nodes} == expected
        assert not result.truncated
        ids = set(expected)
        assert all(link.supplier in ids and link.customer in ids for link in result.links)

    def test_links_among_the_reached_firms_are_returned(self, hand_made: EmbeddedStore) -> None:
        result = hand_made.neighbours("c", hops=1, direction="in")
        assert {(x.supplier, x.customer) for x in result.links} == {
            ("b", "c"),
            ("h", "c"),
            ("h", "b"),
        }

    def test_the_budget_keeps_the_largest_firms_and_says_it_cut(
        self, hand_made: EmbeddedStore
    ) -> None:
        result = hand_made.neighbours("d", hops=2, direction="in", budget=2)
        assert [n.id for n in result.nodes] == ["d", "h"]  # h (revenue 100) before c (3)
        assert result.truncated
        result = hand_made.neighbours("d", hops=2, direction="in", budget=3)
        assert [n.id for n in result.nodes] == ["d", "c", "h"]  # hop 2 (b, x) did not fit
        assert result.truncated
        assert not hand_made.neighbours("d", hops=2, direction="in", budget=6).truncated


class TestView:
    def test_a_view_holds_the_chain_firms_links_and_locality(self) -> None:
        chain = Chain(
            id="t",
            name="测试链",
            segments=(
                Segment(id="t.down", chain="t", name="下游"),
                Segment(id="t.up", chain="t", name="上游"),
            ),
            feeds=(Feeds(upstream="t.up", downstream="t.down"),),
        )
        with open_store(":memory:") as store:
            store.upsert_chain(chain)
            store.upsert(
                [
                    Enterprise(id="u1", name="上一", region="440305", revenue=10.0),
                    Enterprise(id="u2", name="上二", region="320500"),
                    Enterprise(id="d1", name="下一", region="440300", tags=("链主",)),
                    Enterprise(id="z", name="链外", region="440300"),
                    InSegment(enterprise="u1", segment="t.up"),
                    InSegment(enterprise="u2", segment="t.up"),
                    InSegment(enterprise="d1", segment="t.down", share=0.6),
                    Supplies(supplier="u1", customer="d1"),
                    Supplies(supplier="u2", customer="d1", seen=("2022-12-31",)),
                    Supplies(supplier="z", customer="d1"),
                ]
            )
            view = store.view("t", "440300")
        assert view.segment_ids == ["t.up", "t.down"]
        assert sorted(view.ids.tolist()) == ["d1", "u1", "u2"]  # z is in no segment of the chain
        local = dict(zip(view.ids.tolist(), view.is_local.tolist(), strict=True))
        assert local == {"u1": True, "u2": False, "d1": True}
        d1 = view.index_of("d1")
        assert sorted(view.ids[view.suppliers_of(d1)].tolist()) == ["u1", "u2"]
        assert view.membership[d1, view.segment_index("t.down")] == pytest.approx(0.6)
        assert view.n_links == 2
        graph = view.to_networkx()
        assert graph.number_of_edges() == 2 and graph.nodes[d1]["id"] == "d1"
        assert np.isnan(view.revenue[view.index_of("u2")])

    def test_views_of_the_demo_match_its_links(self, demo_path: Path) -> None:
        with EmbeddedStore(demo_path, read_only=True) as store:
            view = store.view("nev", "349900")
            links = store.table("supplies")
        pairs = set(zip(links["supplier"].to_pylist(), links["customer"].to_pylist(), strict=True))
        in_view = {
            (view.ids[s], view.ids[c])
            for s, c in zip(view.supplier_of_link.tolist(), view.out_indices.tolist(), strict=True)
        }
        assert in_view == pairs  # every demo firm is in a segment of the chain
        assert 0 < view.is_local.sum() < view.n_firms
        assert view.nbytes() / max(1, view.n_links) < 200


def test_a_store_from_before_projects_still_opens_read_only(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    with EmbeddedStore(path) as store:
        _dated_demo(store)
    db = duckdb.connect(str(path))
    db.execute("DROP TABLE projects")
    db.close()
    with EmbeddedStore(path, read_only=True) as store:
        assert store.list_projects() == []
        assert store.counts().projects == 0 and store.counts().enterprises == 200
        assert store.view("nev", "349900").n_firms == 200


#: The enterprise columns of a store made before the 标准地 indicators and contacts.
OLD_ENTERPRISE_COLUMNS = (
    "nid, id, name, aliases, credit_code, region, address, revenue, employees, tags, industries,"
    " energy_intensity, env_rating, rd_share, source"
)
NEW_FIELDS = ("investment_intensity", "tax_per_mu", "contact", "phone")
DERIVED_LINK_COLUMNS = ("last_seen", "times_seen")
LINK_ARRAYS = ("out_indptr", "out_indices", "link_share", "link_volume", "link_confidence",
               "link_last_seen", "link_times_seen", "in_indptr", "in_indices", "in_links")  # fmt: skip


def _dated_demo(store: EmbeddedStore) -> None:
    """The 200-firm demo, with snapshot dates on some of its links."""
    build_demo_store(store, DemoSpec(firms=200))
    links = store.table("supplies", ["supplier", "customer"]).slice(0, 30).to_pylist()
    store.upsert([
        Supplies(supplier=r["supplier"], customer=r["customer"], since=dt.date(2020, 1, 1),
                 seen=tuple(dt.date(2021 + k, 6, 30) for k in range(i % 4)))
        for i, r in enumerate(links)
    ])  # fmt: skip


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A demo store as the previous version wrote it: enterprises without the newer columns,
    links without the derived ones, no layout table."""
    import duckdb

    path = tmp_path / "old.duckdb"
    with EmbeddedStore(path) as store:
        _dated_demo(store)
    db = duckdb.connect(str(path))
    db.execute(f"CREATE TABLE old_enterprises AS SELECT {OLD_ENTERPRISE_COLUMNS} FROM enterprises")
    db.execute("DROP TABLE enterprises")
    db.execute("ALTER TABLE old_enterprises RENAME TO enterprises")
    db.execute("ALTER TABLE enterprises ADD PRIMARY KEY (id)")
    for column in DERIVED_LINK_COLUMNS:
        db.execute(f"ALTER TABLE supplies DROP COLUMN {column}")
    db.execute("DROP TABLE layout")
    db.close()
    return path


def _columns(path: Path, table: str = "enterprises") -> list[str]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        rows = db.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_a_store_of_the_previous_version_reads_the_links_it_always_did(
    old_store: Path, tmp_path: Path
) -> None:
    with EmbeddedStore(tmp_path / "now.duckdb") as now:
        _dated_demo(now)
        want = now.view("nev", "349900")
    assert want.link_times_seen.any() and (want.link_last_seen > 0).any()
    for read_only in (True, False):  # as it is; then given the derived columns by a writer
        with EmbeddedStore(old_store, read_only=read_only) as store:
            got = store.view("nev", "349900")
        for name in LINK_ARRAYS:
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), name)
        has_derived = set(DERIVED_LINK_COLUMNS) <= set(_columns(old_store, "supplies"))
        assert has_derived is not read_only


def test_a_store_without_the_newer_enterprise_columns_reads_them_as_unknown(
    old_store: Path,
) -> None:
    assert not set(NEW_FIELDS) & set(_columns(old_store))
    with EmbeddedStore(old_store, read_only=True) as store:
        some = store.find_enterprises("", limit=3)
        assert len(some) == 3
        assert all(getattr(e, f) is None for e in some for f in NEW_FIELDS)
        assert store.get_enterprise(some[0].id) == some[0]
        table = store.table("enterprises", ["id", *NEW_FIELDS])
        assert table.num_rows == 200
        assert all(table[f].null_count == 200 for f in NEW_FIELDS)
        exported = GraphBatch.concat(store.export_tables()).enterprises
        assert exported.num_rows == 200 and exported["contact"].null_count == 200
        view = store.view("nev", "349900")
        assert view.n_firms == 200
        assert np.isnan(view.investment_intensity).all() and np.isnan(view.tax_per_mu).all()
    assert not set(NEW_FIELDS) & set(_columns(old_store))  # reading changed nothing


def test_a_store_without_the_newer_enterprise_columns_gains_them_when_opened_for_writing(
    old_store: Path,
) -> None:
    with EmbeddedStore(old_store, read_only=True) as store:
        before = snapshot(store)
        firm = store.find_enterprises("", limit=1)[0]
    with EmbeddedStore(old_store) as store:
        assert snapshot(store) == before  # the firms and links are as they were
        store.upsert([firm.model_copy(update={"tax_per_mu": 25.0, "contact": "张经理"})])
        got = store.get_enterprise(firm.id)
        assert (got.tax_per_mu, got.contact, got.revenue) == (25.0, "张经理", firm.revenue)
    assert set(NEW_FIELDS) <= set(_columns(old_store))
    with EmbeddedStore(old_store, read_only=True) as store:
        assert store.get_enterprise(firm.id).tax_per_mu == 25.0
        view = store.view("nev", "349900")
        assert view.tax_per_mu[view.index_of(firm.id)] == 25.0


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("kind", ["csv", "folder"])
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(
    tmp_path: Path, kind: str, read_only: bool
) -> None:
    # DuckDB would open a CSV as a database in memory, and every write would vanish
    path = tmp_path / "企业名单.csv"
    text = "统一社会信用代码,企业名称\n91440300MA5F000001,深圳甲公司\n"
    if kind == "csv":
        path.write_text(text, encoding="utf-8")
    else:
        path.mkdir()
    with pytest.raises(StoreUnavailableError, match="is not a ChainScout store"):
        open_store(path, read_only=read_only)
    assert path.is_dir() if kind == "folder" else path.read_text(encoding="utf-8") == text
