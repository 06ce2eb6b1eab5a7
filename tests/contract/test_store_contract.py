"""The store contract: every operation gives the same results, order and numbers on each store.

Each test takes ``store`` (an empty store) and runs once per kind of store (see conftest.py);
expected values are written out, so both stores must give exactly them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from chainscout.graph import (
    BadInputError,
    Chain,
    Enterprise,
    Feeds,
    GraphBatch,
    GraphStore,
    Industry,
    IndustryLink,
    InSegment,
    InvestsIn,
    Makes,
    NotFoundError,
    ProductLink,
    ProductRelation,
    Region,
    Segment,
    StoreUnavailableError,
    Supplies,
    ValidationFailed,
    open_store,
)

Snap = Callable[[GraphStore], dict[str, Any]]

CHAIN = Chain(
    id="c",
    name="测试链",
    segments=(
        Segment(id="c.up", chain="c", name="上游", keywords=("矿",)),
        Segment(id="c.mid", chain="c", name="中游"),
        Segment(id="c.down", chain="c", name="下游", name_en="Downstream"),
    ),
    feeds=(
        Feeds(upstream="c.up", downstream="c.mid"),
        Feeds(upstream="c.mid", downstream="c.down", coefficient=0.5),
    ),
)

#: CHAIN as a store gives it back: FEEDS edges sorted by (upstream, downstream).
SORTED_CHAIN = CHAIN.model_copy(update={"feeds": CHAIN.feeds[::-1]})

#: Text that breaks queries built from strings: quotes, backslashes, Cypher, Chinese.
NASTY = [
    'O\'Brien "Holdings"',
    "back\\slash\\\\",
    "'}) DETACH DELETE n //",
    '"}) MATCH (m) DETACH DELETE m RETURN 1 //',
    "$param {x: 1} `tick`",
    "宁德时代新能源科技股份有限公司",
    "line\nbreak\ttab",
]


def firms(*ids: str, **fields: Any) -> list[Enterprise]:
    return [Enterprise(id=i, name=f"{i}公司", **fields) for i in ids]


def small_graph(store: GraphStore) -> None:
    """Five firms, a chain, links of every kind."""
    store.upsert_chain(CHAIN)
    store.upsert(
        [
            Enterprise(id="a", name="甲", region="349901", revenue=50.0, tags=("链主",)),
            Enterprise(id="b", name="乙", region="320500", revenue=80.0),
            Enterprise(id="c", name="丙", region="349900", revenue=None),
            Enterprise(id="d", name="丁", region="DE", revenue=80.0, aliases=("Dee",)),
            Enterprise(id="e", name="戊", region="110100", revenue=10.0),
            Supplies(supplier="b", customer="a", share=0.3, seen=(dt.date(2020, 6, 30),)),
            Supplies(supplier="c", customer="a", confidence="inferred"),
            Supplies(supplier="d", customer="b", since=dt.date(2019, 1, 1)),
            Supplies(supplier="e", customer="d", volume=12.5),
            Supplies(supplier="a", customer="e", confidence="predicted"),
            InSegment(enterprise="a", segment="c.down"),
            InSegment(enterprise="b", segment="c.mid", share=0.6),
            InSegment(enterprise="b", segment="c.up", share=0.4),
            InSegment(enterprise="c", segment="c.mid"),
            InSegment(enterprise="d", segment="c.up"),
            InvestsIn(investor="a", investee="c", share=0.51),
            InvestsIn(investor="b", investee="c"),
            Makes(enterprise="a", product="整车", share=0.9),
            Makes(enterprise="b", product="电池"),
            ProductLink(product="整车", related="电池", relation=ProductRelation.UPSTREAM_MATERIAL),
            ProductLink(product="电池", related="整车", relation=ProductRelation.DOWNSTREAM),
            Industry(code="C36", name="汽车制造业", scheme="GB4754"),
            Industry(code="C3612", name="新能源车整车制造", level=4, parent="C36"),
            IndustryLink(industry="C36", upstream="C38", weight=3.0),
        ]
    )
    store.upsert_regions(
        [
            Region(code="CN", name="中国", level="country"),
            Region(code="349900", name="星澜市", level="city", parent="340000"),
            Region(code="349901", name="临港区", level="county", parent="349900"),
        ]
    )


class TestEmptyStore:
    def test_a_new_store_holds_nothing_but_its_schema_version(self, store: GraphStore) -> None:
        counts = store.counts()
        assert all(v == 0 for v in counts.model_dump().values())
        assert store.list_meta() == {"schema_version": "1"}
        assert store.list_chains() == []
        assert store.list_regions() == []
        assert list(store.export_tables()) == [] or all(b.rows == 0 for b in store.export_tables())

    def test_unknown_things_are_not_found(self, store: GraphStore) -> None:
        with pytest.raises(NotFoundError, match="enterprise"):
            store.get_enterprise("nobody")
        with pytest.raises(NotFoundError, match="enterprise"):
            store.supplies_of("nobody")
        with pytest.raises(NotFoundError, match="enterprise"):
            store.neighbours("nobody")
        with pytest.raises(NotFoundError, match="chain"):
            store.get_chain("nope")
        with pytest.raises(NotFoundError, match="chain"):
            store.view("nope", "349900")
        with pytest.raises(NotFoundError, match="region"):
            store.get_region("999999")
        assert store.get_enterprises(["x", "y"]) == []
        assert store.find_enterprises("x") == []
        assert store.get_meta("nothing") is None


class TestUpserts:
    def test_summary_counts_and_a_repeat_changes_nothing(
        self, store: GraphStore, snap: Snap
    ) -> None:
        store.upsert_chain(CHAIN)
        items = [
            *firms("a", "b", "c"),
            Supplies(supplier="a", customer="b"),
            Supplies(supplier="b", customer="c", seen=(dt.date(2021, 1, 1),)),
            InSegment(enterprise="a", segment="c.up"),
            InvestsIn(investor="a", investee="c", share=0.2),
            Makes(enterprise="a", product="锂矿"),
            ProductLink(product="锂矿", related="碳酸锂", relation=ProductRelation.DOWNSTREAM),
            Industry(code="B09", name="有色金属矿采选业"),
            IndustryLink(industry="C32", upstream="B09"),
        ]
        first = store.upsert(items)
        ones = {
            "enterprises": 3, "supplies": 2, "memberships": 1, "investments": 1, "makes": 1,
            "product_links": 1, "industries": 1, "industry_links": 1,
        }  # fmt: skip
        assert first.given == ones
        assert first.new == ones
        assert first.updated == dict.fromkeys(ones, 0)
        before = snap(store)
        second = store.upsert(items)
        assert second.given == ones
        assert second.new == dict.fromkeys(ones, 0)
        assert second.changed == 0
        assert snap(store) == before

    def test_only_tables_with_rows_are_counted_as_new_or_updated(self, store: GraphStore) -> None:
        summary = store.upsert(firms("a"))
        assert summary.given == {
            "enterprises": 1, "supplies": 0, "memberships": 0, "investments": 0, "makes": 0,
            "product_links": 0, "industries": 0, "industry_links": 0,
        }  # fmt: skip
        assert summary.new == {"enterprises": 1}
        assert summary.updated == {"enterprises": 0}

    def test_enterprise_merge_given_replace_missing_keep_lists_unite(
        self, store: GraphStore
    ) -> None:
        store.upsert(
            [
                Enterprise(
                    id="a", name="甲", revenue=10.0, employees=5, tags=("专精特新", "上市公司"),
                    aliases=("乙", "甲甲"), region="440300", env_rating="B",
                )
            ]
        )  # fmt: skip
        summary = store.upsert(
            [Enterprise(id="a", name="甲公司", tags=("链主",), aliases=("丙",), rd_share=0.1)]
        )
        assert summary.updated == {"enterprises": 1}
        assert summary.new == {"enterprises": 0}
        e = store.get_enterprise("a")
        assert e.name == "甲公司"
        assert (e.revenue, e.employees, e.region, e.env_rating, e.rd_share) == (
            10.0, 5, "440300", "B", 0.1
        )  # fmt: skip
        assert e.tags == ("上市公司", "专精特新", "链主")
        assert e.aliases == ("丙", "乙", "甲甲")
        assert store.upsert([Enterprise(id="a", name="甲公司")]).changed == 0

    def test_lists_are_stored_sorted_from_the_first_write(self, store: GraphStore) -> None:
        store.upsert([Enterprise(id="a", name="甲", aliases=("z", "b", "a"))])
        assert store.get_enterprise("a").aliases == ("a", "b", "z")
        assert store.table("enterprises")["tags"].to_pylist() == [[]]
        assert store.upsert([Enterprise(id="a", name="甲", aliases=("z", "b"))]).changed == 0

    def test_link_merge_seen_united_since_earliest_most_credible_confidence(
        self, store: GraphStore
    ) -> None:
        store.upsert(firms("a", "b"))
        store.upsert(
            [
                Supplies(
                    supplier="a", customer="b", share=0.2, volume=5.0, source="年报",
                    since=dt.date(2020, 1, 1), seen=(dt.date(2020, 6, 30),),
                    confidence="predicted",
                )
            ]
        )  # fmt: skip
        summary = store.upsert(
            [
                Supplies(
                    supplier="a", customer="b", share=0.3, since=dt.date(2021, 1, 1),
                    seen=(dt.date(2020, 12, 31), dt.date(2020, 6, 30)), confidence="inferred",
                )
            ]
        )  # fmt: skip
        assert summary.updated == {"supplies": 1, "enterprises": 0} or summary.updated == {
            "supplies": 1
        }
        (link,) = store.supplies_of("a")
        assert link.share == 0.3
        assert link.volume == 5.0
        assert link.source == "年报"
        assert link.since == dt.date(2020, 1, 1)
        assert link.seen == (dt.date(2020, 6, 30), dt.date(2020, 12, 31))
        assert link.confidence == "inferred"
        again = store.upsert([Supplies(supplier="a", customer="b", confidence="predicted")])
        assert again.changed == 0
        assert store.supplies_of("b")[0].confidence == "inferred"

    def test_duplicate_links_in_one_batch_fold_into_one(self, store: GraphStore) -> None:
        store.upsert(firms("a", "b"))
        summary = store.upsert(
            [
                Supplies(supplier="a", customer="b", share=0.1, source="甲源",
                         seen=(dt.date(2021, 6, 30),), confidence="predicted"),
                Supplies(supplier="a", customer="b", share=0.4, source="乙源",
                         since=dt.date(2018, 5, 1), seen=(dt.date(2020, 6, 30),)),
                Supplies(supplier="a", customer="b", since=dt.date(2019, 5, 1)),
            ]
        )  # fmt: skip
        assert summary.given["supplies"] == 3
        assert summary.new["supplies"] == 1
        assert store.counts().supplies == 1
        (link,) = store.supplies_of("a")
        assert (link.share, link.source, link.since, link.confidence) == (
            0.4, "甲源", dt.date(2018, 5, 1), "reported"
        )  # fmt: skip
        assert link.seen == (dt.date(2020, 6, 30), dt.date(2021, 6, 30))

    def test_membership_share_replaces_investment_and_product_share_keep(
        self, store: GraphStore
    ) -> None:
        store.upsert_chain(CHAIN)
        store.upsert(
            [
                *firms("a", "b"),
                InSegment(enterprise="a", segment="c.up", share=0.5),
                InvestsIn(investor="a", investee="b", share=0.3),
                Makes(enterprise="a", product="锂矿", share=0.7),
            ]
        )
        summary = store.upsert(
            [
                InSegment(enterprise="a", segment="c.up", share=0.8),
                InvestsIn(investor="a", investee="b"),
                Makes(enterprise="a", product="锂矿"),
            ]
        )
        assert summary.updated == {"memberships": 1, "investments": 0, "makes": 0}
        assert summary.new == {"memberships": 0, "investments": 0, "makes": 0}
        assert store.table("memberships").to_pylist() == [
            {"enterprise": "a", "segment": "c.up", "share": 0.8}
        ]
        assert store.table("investments").to_pylist() == [
            {"investor": "a", "investee": "b", "share": 0.3}
        ]
        assert store.table("makes").to_pylist() == [
            {"enterprise": "a", "product": "锂矿", "share": 0.7}
        ]
        changed = store.upsert([InvestsIn(investor="a", investee="b", share=0.4)])
        assert changed.updated == {"investments": 1}

    def test_plain_tables_last_row_wins(self, store: GraphStore) -> None:
        store.upsert([Industry(code="C36", name="汽车", parent="C"), IndustryLink(
            industry="C36", upstream="C38", weight=1.0)])  # fmt: skip
        summary = store.upsert(
            [
                Industry(code="C36", name="汽车制造业"),
                IndustryLink(industry="C36", upstream="C38"),
                IndustryLink(industry="C36", upstream="C33", weight=2.0),
            ]
        )
        assert summary.updated == {"industries": 1, "industry_links": 1}
        assert summary.new == {"industries": 0, "industry_links": 1}
        assert store.table("industries").to_pylist() == [
            {"code": "C36", "name": "汽车制造业", "level": 1, "parent": None, "scheme": None}
        ]
        assert store.table("industry_links").to_pylist() == [
            {"industry": "C36", "upstream": "C33", "weight": 2.0},
            {"industry": "C36", "upstream": "C38", "weight": None},
        ]
        assert store.counts().industries == 1

    def test_loading_the_same_graph_twice_keeps_every_count(
        self, store: GraphStore, snap: Snap
    ) -> None:
        small_graph(store)
        before = snap(store)
        small_graph(store)
        assert snap(store) == before
        assert before["counts"].model_dump() == {
            "enterprises": 5, "supplies": 5, "memberships": 5, "investments": 2, "chains": 1,
            "segments": 3, "feeds": 2, "regions": 3, "makes": 2, "product_links": 2,
            "industries": 2, "industry_links": 1, "projects": 0,
        }  # fmt: skip

    def test_meta_is_replaced_and_listed(self, store: GraphStore) -> None:
        store.set_meta("home_region", "349900")
        store.set_meta("home_region", "440300")
        store.set_meta("a", NASTY[2])
        assert store.get_meta("home_region") == "440300"
        assert store.list_meta() == {
            "a": NASTY[2], "home_region": "440300", "schema_version": "1"
        }  # fmt: skip


class TestBadWrites:
    def test_unknown_firms_and_segments_are_refused_naming_each(
        self, store: GraphStore, snap: Snap
    ) -> None:
        store.upsert_chain(CHAIN)
        store.upsert(firms("a", "b"))
        before = snap(store)
        with pytest.raises(ValidationFailed) as info:
            store.upsert(
                [
                    *firms("new"),
                    Supplies(supplier="a", customer="new"),
                    Supplies(supplier="ghost", customer="b"),
                    Supplies(supplier="a", customer="phantom"),
                    InSegment(enterprise="new", segment="c.nowhere"),
                    InSegment(enterprise="nobody", segment="c.up"),
                    InvestsIn(investor="a", investee="nobody"),
                    Makes(enterprise="x", product="锂"),
                ]
            )
        got = [(p.file, p.row, p.field, p.value, p.reason) for p in info.value.problems]
        assert got == [
            ("supplies", 2, "supplier", "ghost",
             "supplier 'ghost' is not a known enterprise (load it first)"),
            ("supplies", 3, "customer", "phantom",
             "customer 'phantom' is not a known enterprise (load it first)"),
            ("memberships", 2, "enterprise", "nobody",
             "enterprise 'nobody' is not a known enterprise (load it first)"),
            ("memberships", 1, "segment", "c.nowhere",
             "segment 'c.nowhere' is not in any stored chain (load the chain first)"),
            ("investments", 1, "investee", "nobody",
             "investee 'nobody' is not a known enterprise (load it first)"),
            ("makes", 1, "enterprise", "x",
             "enterprise 'x' is not a known enterprise (load it first)"),
        ]  # fmt: skip
        assert "nothing was written" in str(info.value)
        assert snap(store) == before

    def test_rows_that_fail_the_checks_write_nothing(self, store: GraphStore, snap: Snap) -> None:
        store.upsert(firms("a"))
        before = snap(store)
        bad = GraphBatch(
            enterprises=pa.table({"id": ["b", "b"], "name": ["乙", ""], "revenue": [-1.0, 2.0]})
        )
        with pytest.raises(ValidationFailed) as info:
            store.write(bad)
        assert [(p.row, p.field) for p in info.value.problems] == [
            (1, "revenue"), (2, "id"), (2, "name")
        ]  # fmt: skip
        assert snap(store) == before

    def test_a_segment_id_of_another_chain_is_refused(self, store: GraphStore, snap: Snap) -> None:
        store.upsert_chain(CHAIN)
        before = snap(store)
        other = Chain(id="o", name="他链", segments=(Segment(id="c.up", chain="o", name="重复"),))
        with pytest.raises(BadInputError, match="already belongs to chain 'c'"):
            store.upsert_chain(other)
        assert snap(store) == before

    def test_a_read_only_store_refuses_writes(
        self, backend: str, store: GraphStore, tmp_path: Path
    ) -> None:
        location = store.location
        if backend == "embedded":
            location = str(tmp_path / "store.duckdb")
            open_store(location).close()
        with open_store(location, read_only=True) as ro:
            assert ro.counts().enterprises == 0
            with pytest.raises(StoreUnavailableError, match="read-only"):
                ro.upsert(firms("a"))
            with pytest.raises(StoreUnavailableError, match="read-only"):
                ro.set_meta("k", "v")


#: A firm with the 标准地 indicators and a contact, and one without them.
LAND = [
    Enterprise(id="a", name="甲", investment_intensity=320.5, tax_per_mu=28.0,
               contact="张经理", phone="0571-88001234"),
    Enterprise(id="b", name="乙"),
]  # fmt: skip


class TestStandardLandAndContacts:
    def test_the_fields_round_trip_through_every_read(self, store: GraphStore) -> None:
        store.upsert_chain(CHAIN)
        store.upsert([*LAND, InSegment(enterprise="a", segment="c.up"),
                      InSegment(enterprise="b", segment="c.up")])  # fmt: skip
        assert store.get_enterprises(["a", "b"]) == LAND
        assert [e.id for e in store.find_enterprises("甲")] == ["a"]
        cols = ["id", "investment_intensity", "tax_per_mu", "contact", "phone"]
        assert store.table("enterprises", cols).to_pylist() == [
            {"id": "a", "investment_intensity": 320.5, "tax_per_mu": 28.0, "contact": "张经理",
             "phone": "0571-88001234"},
            {"id": "b", "investment_intensity": None, "tax_per_mu": None, "contact": None,
             "phone": None},
        ]  # fmt: skip
        exported = GraphBatch.concat(store.export_tables()).enterprises
        assert exported.select(cols).equals(store.table("enterprises", cols))
        v = store.view("c", "349900")
        assert v.ids.tolist() == ["a", "b"]
        np.testing.assert_array_equal(v.investment_intensity, [320.5, np.nan])
        np.testing.assert_array_equal(v.tax_per_mu, [28.0, np.nan])

    @pytest.mark.parametrize(
        ("field", "stored", "given"),
        [
            ("investment_intensity", 300.0, 450.0),
            ("tax_per_mu", 20.0, 12.5),
            ("contact", "张经理", "李主任"),
            ("phone", "0571-88001234", "021-86660000"),
        ],
    )
    def test_a_given_value_replaces_a_missing_one_keeps(
        self, store: GraphStore, field: str, stored: object, given: object
    ) -> None:
        store.upsert([Enterprise.model_validate({"id": "a", "name": "甲", field: stored})])
        assert store.upsert([Enterprise(id="a", name="甲")]).changed == 0
        assert getattr(store.get_enterprise("a"), field) == stored
        summary = store.upsert([Enterprise.model_validate({"id": "a", "name": "甲", field: given})])
        assert summary.updated == {"enterprises": 1}
        assert getattr(store.get_enterprise("a"), field) == given

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("investment_intensity", -1.0),
            ("investment_intensity", float("inf")),
            ("tax_per_mu", -0.1),
            ("tax_per_mu", float("nan")),
        ],
    )
    def test_a_negative_or_endless_amount_per_mu_is_refused(
        self, store: GraphStore, snap: Snap, column: str, value: float
    ) -> None:
        before = snap(store)
        bad = GraphBatch(enterprises=pa.table({"id": ["a", "b"], "name": ["甲", "乙"],
                                               column: [10.0, value]}))  # fmt: skip
        with pytest.raises(ValidationFailed) as info:
            store.write(bad)
        assert [(p.row, p.field) for p in info.value.problems] == [(2, column)]
        assert "must be a finite number, 0 or more" in info.value.problems[0].reason
        assert snap(store) == before


class TestText:
    @pytest.mark.parametrize("text", NASTY)
    def test_names_and_ids_round_trip_unchanged(self, store: GraphStore, text: str) -> None:
        store.upsert_chain(
            Chain(id=text, name=text, segments=(Segment(id=text + ".s", chain=text, name=text),))
        )
        store.upsert(
            [
                Enterprise(
                    id=text,
                    name=text,
                    aliases=(text,),
                    address=text,
                    source=text,
                    contact=text,
                    phone=text,
                ),
                Enterprise(id="plain", name="普通"),
                Supplies(supplier=text, customer="plain", source=text),
                InSegment(enterprise=text, segment=text + ".s"),
                Makes(enterprise=text, product=text),
            ]
        )
        store.set_meta(text, text)
        e = store.get_enterprise(text)
        assert (e.id, e.name, e.aliases, e.address, e.source) == (text, text, (text,), text, text)
        assert (e.contact, e.phone) == (text, text)
        assert [x.id for x in store.find_enterprises(text)] == [text]
        assert store.supplies_of("plain")[0].source == text
        assert store.get_chain(text).segments[0].name == text
        assert store.get_meta(text) == text
        assert store.table("makes")["product"].to_pylist() == [text]
        assert store.counts().enterprises == 2
        assert store.counts().segments == 1


class TestReads:
    def test_get_and_find(self, store: GraphStore) -> None:
        small_graph(store)
        assert [e.id for e in store.get_enterprises(["e", "zz", "a", "e"])] == ["e", "a", "e"]
        # exact id first, then revenue descending (unknown last), then id
        assert [e.id for e in store.find_enterprises("")] == ["b", "d", "a", "e", "c"]
        assert [e.id for e in store.find_enterprises("", limit=2)] == ["b", "d"]
        assert [e.id for e in store.find_enterprises("c")] == ["c"]
        assert [e.id for e in store.find_enterprises("Dee")] == ["d"]
        assert store.get_enterprise("a") == Enterprise(
            id="a", name="甲", region="349901", revenue=50.0, tags=("链主",)
        )

    def test_supplies_of_lists_both_directions_in_order(self, store: GraphStore) -> None:
        small_graph(store)
        assert [(s.supplier, s.customer) for s in store.supplies_of("a")] == [
            ("a", "e"), ("b", "a"), ("c", "a")
        ]  # fmt: skip
        link = store.supplies_of("b")[0]
        assert link == Supplies(supplier="b", customer="a", share=0.3, seen=(dt.date(2020, 6, 30),))

    def test_chains(self, store: GraphStore) -> None:
        small_graph(store)
        store.upsert_chain(
            Chain(id="b", name="乙链", segments=(Segment(id="b.1", chain="b", name="一"),))
        )
        assert [c.id for c in store.list_chains()] == ["b", "c"]
        assert store.get_chain("c") == SORTED_CHAIN

    def test_a_smaller_chain_replaces_and_keeps_memberships(
        self, store: GraphStore, snap: Snap
    ) -> None:
        small_graph(store)
        smaller = Chain(
            id="c",
            name="测试链二",
            segments=(CHAIN.segments[2], CHAIN.segments[1]),
            feeds=(Feeds(upstream="c.mid", downstream="c.down"),),
        )
        store.upsert_chain(smaller)
        assert store.get_chain("c") == smaller
        counts = store.counts()
        assert (counts.segments, counts.feeds, counts.memberships) == (2, 1, 5)
        assert len(snap(store)["memberships"]) == 5
        with pytest.raises(ValidationFailed, match=r"c\.up"):
            store.upsert([InSegment(enterprise="a", segment="c.up")])
        store.upsert_chain(CHAIN)
        assert store.get_chain("c") == SORTED_CHAIN
        assert store.upsert([InSegment(enterprise="d", segment="c.up")]).changed == 0

    def test_regions(self, store: GraphStore) -> None:
        small_graph(store)
        assert [r.code for r in store.list_regions()] == ["349900", "349901", "CN"]
        assert store.get_region(" cn ").name == "中国"
        store.upsert_regions([Region(code="349900", name="星澜", level="city")])
        assert store.get_region("349900") == Region(code="349900", name="星澜", level="city")
        store.upsert_regions([])

    def test_local_count(self, store: GraphStore) -> None:
        small_graph(store)
        assert store.local_count("349900") == 2
        assert store.local_count("349901") == 1
        assert store.local_count("340000") == 2
        assert store.local_count("CN") == 4
        assert store.local_count("DE") == 1
        with pytest.raises(ValueError):
            store.local_count("nowhere")

    def test_tables_and_export(self, store: GraphStore) -> None:
        small_graph(store)
        assert store.table("supplies").select(["supplier", "customer"]).to_pylist() == [
            {"supplier": s, "customer": c}
            for s, c in [("a", "e"), ("b", "a"), ("c", "a"), ("d", "b"), ("e", "d")]
        ]
        assert store.table("memberships").to_pylist()[:3] == [
            {"enterprise": "a", "segment": "c.down", "share": 1.0},
            {"enterprise": "b", "segment": "c.mid", "share": 0.6},
            {"enterprise": "b", "segment": "c.up", "share": 0.4},
        ]
        assert store.table("product_links").to_pylist() == [
            {"product": "整车", "related": "电池", "relation": "upstream_material"},
            {"product": "电池", "related": "整车", "relation": "downstream"},
        ]
        with pytest.raises(BadInputError, match="no table 'nope'"):
            store.table("nope")
        batches = list(store.export_tables(batch_rows=2))
        assert all(b.rows <= 2 for b in batches)
        merged = GraphBatch.concat(batches)
        for name, table in merged.tables().items():
            assert table.equals(store.table(name)), name


class TestNeighbours:
    def test_hops_directions_and_links(self, store: GraphStore) -> None:
        small_graph(store)
        n = store.neighbours("a", hops=1)
        assert [(x.id, x.hop) for x in n.nodes] == [("a", 0), ("b", 1), ("c", 1), ("e", 1)]
        assert [(x.supplier, x.customer, x.confidence) for x in n.links] == [
            ("a", "e", "predicted"), ("b", "a", "reported"), ("c", "a", "inferred")
        ]  # fmt: skip
        assert not n.truncated
        assert [x.id for x in store.neighbours("a", hops=1, direction="in").nodes] == [
            "a", "b", "c"
        ]  # fmt: skip
        assert [x.id for x in store.neighbours("a", hops=2, direction="out").nodes] == [
            "a", "e", "d"
        ]  # fmt: skip
        assert [(x.id, x.hop) for x in store.neighbours("a", hops=0).nodes] == [("a", 0)]

    def test_budget_keeps_the_largest_and_says_truncated(self, store: GraphStore) -> None:
        small_graph(store)
        n = store.neighbours("a", hops=2, budget=3)
        # hop 1 candidates by revenue: b (80), e (10), c (unknown) -> b and e kept
        assert [(x.id, x.hop) for x in n.nodes] == [("a", 0), ("b", 1), ("e", 1)]
        assert n.truncated
        assert n.budget == 3
        full = store.neighbours("a", hops=3, budget=5)
        assert [(x.id, x.hop) for x in full.nodes] == [
            ("a", 0), ("b", 1), ("c", 1), ("e", 1), ("d", 2)
        ]  # fmt: skip
        assert not full.truncated
        assert store.neighbours("a", hops=1, budget=1).truncated

    def test_bad_arguments(self, store: GraphStore) -> None:
        small_graph(store)
        with pytest.raises(BadInputError, match="hops"):
            store.neighbours("a", hops=-1)
        with pytest.raises(BadInputError, match="budget"):
            store.neighbours("a", budget=0)
        with pytest.raises(ValueError):
            store.neighbours("a", direction="sideways")


class TestView:
    def test_small_view(self, store: GraphStore) -> None:
        small_graph(store)
        v = store.view("c", "349900")
        assert v.ids.tolist() == ["a", "b", "c", "d"]
        assert v.is_local.tolist() == [True, False, True, False]
        assert v.segment_ids == ["c.up", "c.mid", "c.down"]
        assert v.membership.toarray().tolist() == [
            [0, 0, 1], [0.4, 0.6, 0], [0, 1, 0], [1, 0, 0]
        ]  # fmt: skip
        assert [v.customers_of(i).tolist() for i in range(4)] == [[], [0], [0], [1]]
        assert v.link_times_seen.tolist() == [1, 0, 0]
        assert v.link_last_seen.tolist() == [
            (dt.date(2020, 6, 30) - dt.date(1970, 1, 1)).days, -1,
            (dt.date(2019, 1, 1) - dt.date(1970, 1, 1)).days,
        ]  # fmt: skip
        with pytest.raises(BadInputError, match="home region"):
            store.view("c", "nowhere")

    def test_later_snapshots_move_a_links_last_sighting(self, store: GraphStore) -> None:
        small_graph(store)
        store.upsert([
            Supplies(supplier="b", customer="a", seen=(dt.date(2021, 6, 30), dt.date(2020, 6, 30))),
            Supplies(supplier="d", customer="b", seen=(dt.date(2018, 6, 30),)),
        ])  # fmt: skip
        v = store.view("c", "349900")
        assert v.link_times_seen.tolist() == [2, 0, 1]
        assert v.link_last_seen.tolist() == [
            (dt.date(2021, 6, 30) - dt.date(1970, 1, 1)).days, -1,
            (dt.date(2018, 6, 30) - dt.date(1970, 1, 1)).days,
        ]  # fmt: skip
