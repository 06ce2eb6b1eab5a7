"""Target ranking, introducer paths and what-if on hand-made graphs with known answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from chainscout.analysis import targets as targets_module
from chainscout.analysis.paths import introducer_paths, path_between
from chainscout.analysis.targets import (
    EntryThresholds,
    PredictedLink,
    TargetParams,
    TargetWeights,
    _best_segment,
    rank_targets,
    weight_sensitivity,
)
from chainscout.analysis.whatif import what_if
from chainscout.cli import main
from chainscout.graph import (
    Chain,
    EmbeddedStore,
    Enterprise,
    Feeds,
    InSegment,
    Segment,
    Supplies,
    open_store,
)
from chainscout.graph.view import ChainView
from chainscout.loaders.demo import DEMO_CITY, build_demo_store, generate_demo

HOME = "440300"  # 深圳市
CHAIN = Chain(
    id="t",
    name="测试链",
    segments=(
        Segment(id="t.ore", chain="t", name="矿"),
        Segment(id="t.part", chain="t", name="部件"),
        Segment(id="t.car", chain="t", name="整车"),
    ),
    feeds=(
        Feeds(upstream="t.ore", downstream="t.part"),
        Feeds(upstream="t.part", downstream="t.car"),
    ),
)

# Local: car maker LEAD (a 链主) and part maker P1, both in 深圳. Outside:
#   A  ore, supplies LEAD directly        (missing segment, trades with a leader)
#   B  ore, no link at all                (missing segment only)
#   C  part, supplies P1                  (part segment: one local firm of four -> weak or so)
#   D  ore, energy hungry, supplies LEAD  (excluded by an energy threshold)
#   E1 -> E2 -> E3 -> E4 -> LEAD: E4 is 1 hop, E1 is 4 hops away
FIRMS = [
    ("LEAD", "本地整车", "440305", "t.car", 500000.0, ("链主", "上市公司"), 0.1),
    ("P1", "本地部件", "440306", "t.part", 20000.0, (), 0.2),
    ("A", "甲矿业", "320500", "t.ore", 30000.0, ("高新技术企业",), 0.9),
    ("B", "乙矿业", "110100", "t.ore", 30000.0, (), 0.5),
    ("C", "丙部件", "310100", "t.part", 10000.0, (), 0.3),
    ("D", "丁矿业", "150200", "t.ore", 80000.0, (), 1.2),
    ("E4", "戊四", "330100", "t.part", 5000.0, (), None),
    ("E3", "戊三", "330100", "t.part", 5000.0, (), 0.2),
    ("E2", "戊二", "330100", "t.part", 5000.0, (), 0.2),
    ("E1", "戊一", "330100", "t.part", 5000.0, (), 0.2),
]
LINKS = [("A", "LEAD"), ("C", "P1"), ("D", "LEAD"), ("P1", "LEAD"),
         ("E4", "LEAD"), ("E3", "E4"), ("E2", "E3"), ("E1", "E2")]  # fmt: skip


@pytest.fixture(scope="module")
def store() -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(":memory:")
    s.upsert_chain(CHAIN)
    items: list[object] = []
    for fid, name, region, seg, revenue, tags, energy in FIRMS:
        items.append(
            Enterprise(
                id=fid,
                name=name,
                region=region,
                revenue=revenue,
                tags=tags,
                energy_intensity=energy,
            )
        )
        items.append(InSegment(enterprise=fid, segment=seg))
    items += [Supplies(supplier=a, customer=b) for a, b in LINKS]
    s.upsert(items)  # type: ignore[arg-type]
    yield s
    s.close()


@pytest.fixture(scope="module")
def view(store: EmbeddedStore) -> ChainView:
    return store.view("t", HOME)


def by_id(ranking: object) -> dict[str, object]:
    return {t.id: t for t in ranking.rows}  # type: ignore[attr-defined]


class TestRanking:
    def test_order_and_factor_values(self, view: ChainView) -> None:
        ranking = rank_targets(view, TargetParams(leaders=0), limit=None)
        ids = [t.id for t in ranking.rows]
        assert "LEAD" not in ids and "P1" not in ids  # local firms are never targets
        assert ids.index("A") < ids.index("B")  # same segment; A trades with the leader
        a, b = by_id(ranking)["A"], by_id(ranking)["B"]
        fa = {f.name: f for f in a.factors}  # type: ignore[attr-defined]
        fb = {f.name: f for f in b.factors}  # type: ignore[attr-defined]
        assert fa["gap"].value == fb["gap"].value == 1.0  # ore is missing
        assert fa["pull"].value == pytest.approx(3 / 6)  # one link to a 链主 counts 3
        assert fb["pull"].value == 0.0
        assert "chain leader" in fa["pull"].reason and "本地整车" in fa["pull"].reason
        assert a.found_by == ["gap", "trades_with_local"]  # type: ignore[attr-defined]
        assert b.found_by == ["gap"]  # type: ignore[attr-defined]
        assert "missing" in fa["gap"].reason and "no local firm" in fa["gap"].reason

    def test_contributions_add_up_to_the_score(self, view: ChainView) -> None:
        for t in rank_targets(view, limit=None).rows:
            assert sum(f.contribution for f in t.factors) == pytest.approx(t.score, abs=1e-9)
            assert all(0.0 <= f.value <= 1.0 for f in t.factors)

    @settings(max_examples=15, deadline=None)
    @given(st.lists(st.floats(min_value=0, max_value=10), min_size=6, max_size=6).filter(
        lambda w: sum(w) > 0.01))  # fmt: skip
    def test_any_weights_give_scores_in_0_1_that_add_up(self, weights: list[float]) -> None:
        with open_store(":memory:") as s:
            _fill(s)
            v = s.view("t", HOME)
        names = ("gap", "pull", "demand", "quality", "related", "region")
        params = TargetParams(weights=TargetWeights(**dict(zip(names, weights, strict=True))),
                              target_regions=("长三角",))  # fmt: skip
        ranking = rank_targets(v, params, limit=None, with_paths=False)
        assert sum(ranking.weights.values()) == pytest.approx(1.0, abs=1e-3)  # shown rounded
        scores = [t.score for t in ranking.rows]
        assert scores == sorted(scores, reverse=True)
        for t in ranking.rows:
            assert -1e-9 <= t.score <= 1 + 1e-9
            assert sum(f.contribution for f in t.factors) == pytest.approx(t.score, abs=1e-9)

    def test_the_same_input_gives_the_same_ranking(self, view: ChainView) -> None:
        one = rank_targets(view, limit=None).model_dump()
        two = rank_targets(view, limit=None).model_dump()
        assert one == two

    def test_ties_are_broken_by_revenue_then_id(self) -> None:
        with open_store(":memory:") as s:
            s.upsert_chain(CHAIN)
            s.upsert([
                Enterprise(id="z", name="同一", region="320500", revenue=100.0),
                Enterprise(id="y", name="同二", region="320500", revenue=100.0),
                Enterprise(id="x", name="同三", region="320500", revenue=900.0),
                InSegment(enterprise="z", segment="t.ore"),
                InSegment(enterprise="y", segment="t.ore"),
                InSegment(enterprise="x", segment="t.ore"),
            ])  # fmt: skip
            v = s.view("t", HOME)
        params = TargetParams(weights=TargetWeights(gap=1, pull=0, demand=0, quality=0,
                                                    related=0, region=0))  # fmt: skip
        assert [t.id for t in rank_targets(v, params).rows] == ["x", "y", "z"]

    def test_a_segment_filter_keeps_only_its_firms(self, view: ChainView) -> None:
        ranking = rank_targets(view, TargetParams(segment="t.part"), limit=None)
        assert {t.segment for t in ranking.rows} == {"t.part"}

    def test_target_regions_prefer_or_filter(self, view: ChainView) -> None:
        prefer = rank_targets(view, TargetParams(target_regions=("长三角",)), limit=None)
        region = {t.id: {f.name: f.value for f in t.factors}["region"] for t in prefer.rows}
        assert region["A"] == 1.0 and region["B"] == 0.0  # 苏州 vs 北京
        only = rank_targets(
            view, TargetParams(target_regions=("yrd",), only_target_regions=True), limit=None
        )
        assert {t.region[:2] for t in only.rows if t.region} <= {"31", "32", "33", "34"}
        assert rank_targets(view, limit=None).notes  # no preference: said so

    def test_predicted_links_make_candidates_and_say_so(self, view: ChainView) -> None:
        b, lead = view.index_of("B"), view.index_of("LEAD")
        ranking = rank_targets(
            view, predicted=[PredictedLink(supplier=b, customer=lead, probability=0.9)], limit=None
        )
        row = by_id(ranking)["B"]
        assert "predicted" in row.found_by  # type: ignore[attr-defined]
        assert {f.name: f.value for f in row.factors}["pull"] == pytest.approx(0.9 / 3.9, abs=1e-4)  # type: ignore[attr-defined]


class TestThresholds:
    def test_an_excluded_firm_says_which_threshold_it_failed(self, view: ChainView) -> None:
        ranking = rank_targets(
            view, TargetParams(thresholds=EntryThresholds(max_energy_intensity=0.8)), limit=None
        )
        assert "D" not in by_id(ranking)
        (d,) = [e for e in ranking.excluded if e.id == "D"]
        assert d.failed == ["energy intensity 1.2 tce/万元 exceeds 0.8"]
        assert "A" not in by_id(ranking)  # 0.9 > 0.8
        assert ranking.ranked + len(ranking.excluded) == ranking.candidates

    def test_unknown_values_are_kept_with_a_warning_unless_asked(self, view: ChainView) -> None:
        kept = rank_targets(
            view, TargetParams(thresholds=EntryThresholds(max_energy_intensity=5)), limit=None
        )
        assert by_id(kept)["E4"].warnings == ["energy intensity unknown: not screened"]  # type: ignore[attr-defined]
        strict = rank_targets(
            view,
            TargetParams(thresholds=EntryThresholds(max_energy_intensity=5, exclude_unknown=True)),
            limit=None,
        )
        assert "E4" not in by_id(strict)
        assert any(e.id == "E4" and "unknown" in e.failed[0] for e in strict.excluded)

    def test_high_tech_required(self, view: ChainView) -> None:
        ranking = rank_targets(
            view, TargetParams(thresholds=EntryThresholds(require_high_tech=True)), limit=None
        )
        assert [t.id for t in ranking.rows] == ["A"]


#: Outside firms of the missing ore segment with their 标准地 indicators (万元/亩): investment
#: intensity and tax per mu; NaN is unknown. AT sits exactly on the minimums used below.
LAND = [
    ("LOW", 250.0, 12.0),
    ("AT", 300.0, 20.0),
    ("HIGH", 480.0, 35.5),
    ("UNKNOWN", np.nan, np.nan),
]
MINIMUMS = [
    ("min_investment_intensity", 300.0, "investment intensity",
     "investment intensity 250 万元/亩 is below 300"),
    ("min_tax_per_mu", 20.0, "tax per mu", "tax per mu 12 万元/亩 is below 20"),
]  # fmt: skip


@pytest.fixture(scope="module")
def land_view() -> ChainView:
    """The local car maker L, and the firms of :data:`LAND`, each supplying L."""
    ids = ["L", *[f for f, _, _ in LAND]]
    return ChainView.from_arrays(
        chain=CHAIN, home_region=HOME, ids=ids, regions=["440305"] + ["320500"] * len(LAND),
        segment_ids=[s.id for s in CHAIN.ordered_segments()],
        member_firm=list(range(len(ids))), member_segment=[2] + [0] * len(LAND),
        member_share=[1.0] * len(ids),
        supplier=list(range(1, len(ids))), customer=[0] * len(LAND),
        revenue=[90000.0] + [10000.0] * len(LAND),
        investment_intensity=[500.0, *[v for _, v, _ in LAND]],
        tax_per_mu=[60.0, *[t for _, _, t in LAND]],
    )  # fmt: skip


class TestStandardLandThresholds:
    @pytest.mark.parametrize(("name", "least", "what", "reason"), MINIMUMS)
    def test_a_firm_below_a_minimum_is_excluded_saying_so(
        self, land_view: ChainView, name: str, least: float, what: str, reason: str
    ) -> None:
        thresholds = EntryThresholds.model_validate({name: least})
        ranking = rank_targets(land_view, TargetParams(thresholds=thresholds), limit=None)
        assert [(e.id, e.failed) for e in ranking.excluded] == [("LOW", [reason])]
        assert sorted(by_id(ranking)) == ["AT", "HIGH", "UNKNOWN"]  # a minimum itself passes
        assert by_id(ranking)["UNKNOWN"].warnings == [f"{what} unknown: not screened"]  # type: ignore[attr-defined]
        assert by_id(ranking)["HIGH"].warnings == []  # type: ignore[attr-defined]

    @pytest.mark.parametrize(("name", "least", "what", "reason"), MINIMUMS)
    def test_an_unknown_value_is_excluded_when_asked(
        self, land_view: ChainView, name: str, least: float, what: str, reason: str
    ) -> None:
        thresholds = EntryThresholds.model_validate({name: least, "exclude_unknown": True})
        ranking = rank_targets(land_view, TargetParams(thresholds=thresholds), limit=None)
        assert sorted((e.id, *e.failed) for e in ranking.excluded) == [
            ("LOW", reason), ("UNKNOWN", f"{what} unknown (unknown values are excluded)")
        ]  # fmt: skip
        assert sorted(by_id(ranking)) == ["AT", "HIGH"]

    def test_both_minimums_list_every_rule_failed(self, land_view: ChainView) -> None:
        thresholds = EntryThresholds.parse("min_investment_intensity=300,min_tax_per_mu=20")
        ranking = rank_targets(land_view, TargetParams(thresholds=thresholds), limit=None)
        assert [(e.id, e.failed) for e in ranking.excluded] == [("LOW", [r for *_, r in MINIMUMS])]
        assert by_id(ranking)["UNKNOWN"].warnings == [  # type: ignore[attr-defined]
            "investment intensity unknown: not screened", "tax per mu unknown: not screened"
        ]  # fmt: skip

    @pytest.mark.parametrize(
        "text",
        ["min_tax_per_mu=-1", "min_investment_intensity=inf", "min_tax_per_mu=nan",
         "min_investment_intensity=lots"],
    )  # fmt: skip
    def test_a_minimum_must_be_a_finite_amount_of_0_or_more(self, text: str) -> None:
        with pytest.raises(ValueError, match=text.split("=")[0]):
            EntryThresholds.parse(text)


class TestIntroducers:
    def test_the_shortest_path_from_a_local_firm(self, view: ChainView) -> None:
        paths = introducer_paths(view, [view.index_of(i) for i in ("A", "C", "E3")],
                                 leaders=[view.index_of("LEAD")])  # fmt: skip
        a = paths[view.index_of("A")]
        assert (a.introducer_id, a.hops, a.introducer_is_leader) == ("LEAD", 1, True)
        assert a.text == "本地整车 ← buys from ← 甲矿业"
        c = paths[view.index_of("C")]
        assert (c.introducer_id, c.hops) == ("P1", 1)  # P1 directly, not LEAD in two
        e3 = paths[view.index_of("E3")]
        assert e3.firms == ["LEAD", "E4", "E3"] and e3.hops == 2

    @pytest.mark.parametrize("direct", ["inferred", "predicted"])
    def test_a_reported_path_beats_a_shorter_one_through_uncertain_links(self, direct: str) -> None:
        from chainscout.graph.view import CONFIDENCE_CODES

        # local L sells to T directly by an uncertain link, and by reported links through X;
        # T sells to U, so within 2 links only the uncertain link reaches U
        v = ChainView.from_arrays(
            chain=None, home_region="440300", ids=["L", "T", "U", "X"],
            names=["本地厂", "目标厂", "远方厂", "中间商"],
            regions=["440305", "320500", "320500", "320500"],
            member_firm=[0, 1, 2, 3], member_segment=[0, 0, 0, 0], member_share=[1.0] * 4,
            supplier=[0, 0, 3, 1], customer=[1, 3, 1, 2], segment_ids=["s"],
            link_confidence=[CONFIDENCE_CODES[direct], 0, 0, 0],
        )  # fmt: skip
        paths = introducer_paths(v, [1, 2], max_hops=2)
        t, u = paths[1], paths[2]
        assert (t.firms, [s.confidence for s in t.steps]) == (["L", "X", "T"], ["reported"] * 2)
        assert t.text == "本地厂 → sells to → 中间商 → sells to → 目标厂"
        assert u.hops == 2 and u.steps[0].confidence == direct
        assert u.text.startswith(f"本地厂 → sells to ({direct}) → 目标厂")

    def test_no_path_beyond_three_hops(self, view: ChainView) -> None:
        paths = introducer_paths(view, [view.index_of("E1"), view.index_of("E2")])
        assert view.index_of("E1") not in paths  # four links away
        assert paths[view.index_of("E2")].hops == 3
        ranking = rank_targets(view, limit=None)
        assert by_id(ranking)["E1"].introducer is None  # type: ignore[attr-defined]
        assert by_id(ranking)["E2"].introducer.hops == 3  # type: ignore[attr-defined]

    def test_path_between_any_two_firms(self, view: ChainView) -> None:
        found = path_between(view, view.index_of("A"), view.index_of("P1"))
        assert found is not None and found.firms == ["A", "LEAD", "P1"]
        assert path_between(view, view.index_of("B"), view.index_of("A")) is None


class TestWhatIf:
    def test_landing_a_firm_fills_the_missing_segment(self, view: ChainView) -> None:
        result = what_if(view, ["A"], rank=True)
        (change,) = [c for c in result.changes if c.segment == "t.ore"]
        assert change.before == "missing" and change.after != "missing"
        assert change.local_firms_after == 1
        assert result.targets_after is not None
        assert "A" not in by_id(result.targets_after)  # a landed firm is no longer a target
        assert view.is_local[view.index_of("A")] == False  # noqa: E712  (the view is unchanged)

    def test_landing_a_firm_outside_the_view_is_an_error(self, view: ChainView) -> None:
        from chainscout.graph.errors import NotFoundError

        with pytest.raises(NotFoundError, match="nobody"):
            what_if(view, ["nobody"])


def test_sensitivity_reports_every_factor_both_ways(view: ChainView) -> None:
    moves = weight_sensitivity(view, TargetParams(target_regions=("长三角",)), top=5)
    assert set(moves) == {f"{f} {d}" for f in ("gap", "pull", "demand", "quality", "related",
                                               "region") for d in ("up", "down")}  # fmt: skip
    assert all(v["left_top"] >= 0 and v["max_move"] >= 0 for v in moves.values())


@pytest.mark.parametrize("move", ["demand down", "related down", "pull up", "gap up"])
def test_sensitivity_names_the_firms_that_enter_and_leave_the_top(move: str) -> None:
    with open_store(":memory:") as s:
        build_demo_store(s)
        v = s.view("nev", DEMO_CITY.code)
    factor, direction = move.split()
    moved = TargetWeights().as_dict()
    moved[factor] *= 1.5 if direction == "up" else 0.5
    today = [t.id for t in rank_targets(v, TargetParams(), limit=None).rows]
    after = [t.id for t in rank_targets(v, TargetParams(weights=TargetWeights(**moved))).rows]
    got = weight_sensitivity(v, TargetParams(), top=5)[move]
    entered = [(e["id"], e["rank_before"], e["rank_after"]) for e in got["entered"]]
    assert entered == [(f, today.index(f) + 1, r + 1) for r, f in enumerate(after[:5])
                       if f not in today[:5]]  # fmt: skip
    assert [e["id"] for e in got["left"]] == [f for f in today[:5] if f not in after[:5]]
    assert got["left_top"] == len(got["left"]) == len(entered)
    assert got["max_move"] == max(abs(today.index(f) - r) for r, f in enumerate(after[:5]))


def test_on_the_demo_city_top_targets_fill_gaps_and_trade_with_locals() -> None:
    with open_store(":memory:") as s:
        build_demo_store(s)
        v = s.view("nev", DEMO_CITY.code)
    ranking = rank_targets(v, TargetParams(thresholds=EntryThresholds(max_energy_intensity=1.0)))
    top = ranking.rows[:10]
    assert all(t.segment_status in ("missing", "weak") for t in top)
    assert all("trades_with_local" in t.found_by for t in top)
    assert sum(1 for t in top if t.introducer and t.introducer.introducer_is_leader) >= 3
    excluded = [e for e in ranking.excluded if e.failed[0].startswith("energy intensity")]
    assert excluded and "exceeds 1" in excluded[0].failed[0]


@pytest.fixture(scope="module")
def demo_view() -> ChainView:
    with open_store(":memory:") as s:
        build_demo_store(s)
        return s.view("nev", DEMO_CITY.code)


@settings(max_examples=15, deadline=None)
@given(
    limit=st.integers(min_value=0, max_value=400),
    gap=st.floats(min_value=0.0, max_value=5.0),
    quality=st.floats(min_value=0.0, max_value=5.0),
)
def test_a_shorter_list_is_the_head_of_the_full_ranking(
    demo_view: ChainView, limit: int, gap: float, quality: float
) -> None:
    """Showing 20 of a long list is a partial sort: its rows, ranks and scores must be the
    first 20 of the full ranking, ties (many on the demo city) included."""
    params = TargetParams(
        weights=TargetWeights(gap=gap, pull=1.0, demand=0.5, quality=quality, related=0.5),
        thresholds=EntryThresholds(max_energy_intensity=1.0),
    )
    full = rank_targets(demo_view, params, limit=None, with_paths=False)
    head = rank_targets(demo_view, params, limit=limit, with_paths=False)
    assert [(t.id, t.rank, t.score) for t in head.rows] == [
        (t.id, t.rank, t.score) for t in full.rows[:limit]
    ]
    assert head.ranked == full.ranked and head.excluded == full.excluded


def _fill(s: EmbeddedStore) -> None:
    s.upsert_chain(CHAIN)
    items: list[object] = []
    for fid, name, region, seg, revenue, tags, energy in FIRMS:
        items.append(Enterprise(id=fid, name=name, region=region, revenue=revenue, tags=tags,
                                energy_intensity=energy))  # fmt: skip
        items.append(InSegment(enterprise=fid, segment=seg))
    items += [Supplies(supplier=a, customer=b) for a, b in LINKS]
    s.upsert(items)  # type: ignore[arg-type]


class TestCommands:
    @pytest.fixture
    def demo(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert self.run(capsys, "demo", "--format", "json")[0] == 0

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        code = 0
        try:
            main(list(args))
        except SystemExit as done:
            code = int(done.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    def test_targets_as_json_csv_and_table(
        self, demo: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        args = ["--limit", "5", "--thresholds", "max_energy_intensity=1.0", "--excluded"]
        code, out, _ = self.run(capsys, "targets", "--format", "json", *args)
        payload = json.loads(out)
        assert code == 0 and len(payload["rows"]) == 5
        assert payload["rows"][0]["factors"][0]["reason"]
        assert payload["excluded"] and payload["thresholds"]["max_energy_intensity"] == 1.0
        code, out, _ = self.run(capsys, "targets", "--limit", "3", "--format", "csv")
        lines = out.strip().splitlines()
        assert code == 0 and lines[0].startswith("rank,id,name") and len(lines) == 4
        code, out, _ = self.run(capsys, "targets", "--limit", "3", "--weights", "fill,region=0.2",
                                "--target-regions", "gba")  # fmt: skip
        assert code == 0 and "introducer" in out

    def test_targets_with_predicted_links(
        self, demo: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        def found(*args: str) -> int:
            code, out, _ = self.run(capsys, "targets", "--limit", "2000", "--format", "json", *args)
            assert code == 0
            return sum("predicted" in row["found_by"] for row in json.loads(out)["rows"])

        assert found() == 0 < found("--predict-links", "50") <= 50

    def test_targets_xlsx(
        self, demo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        from openpyxl import load_workbook

        out_file = tmp_path / "targets.xlsx"
        code, _, _ = self.run(capsys, "targets", "--format", "xlsx", "-o", str(out_file),
                              "--limit", "7", "--lang", "zh")  # fmt: skip
        assert code == 0
        wb = load_workbook(out_file)
        sheet = wb.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("排名", "企业代码", "企业名称") and len(rows) == 8
        assert wb.sheetnames[1].startswith("excluded")

    @pytest.mark.parametrize(
        ("lang", "id_header", "contact_headers"),
        [("en", "id", ("contact", "phone")), ("zh", "企业代码", ("联系人", "联系电话"))],
    )
    def test_the_workbook_carries_the_stored_contact_of_each_target(
        self, demo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        lang: str, id_header: str, contact_headers: tuple[str, str],
    ) -> None:  # fmt: skip
        from openpyxl import load_workbook

        stored = {f["id"]: (f["contact"], f["phone"])
                  for f in generate_demo().batch.enterprises.to_pylist()}  # fmt: skip
        out_file = tmp_path / "targets.xlsx"
        code, _, _ = self.run(capsys, "targets", "--format", "xlsx", "-o", str(out_file),
                              "--limit", "40", "--lang", lang)  # fmt: skip
        assert code == 0
        header, *rows = load_workbook(out_file).worksheets[0].iter_rows(values_only=True)
        at = [header.index(h) for h in (id_header, *contact_headers)]
        got = {r[at[0]]: (r[at[1]], r[at[2]]) for r in rows}
        assert len(got) == 40 and got == {i: stored[i] for i in got}
        assert any(c is not None for c, _ in got.values())  # some targets name a contact
        assert any(c is None for c, _ in got.values())  # and the others leave it empty

    def test_the_csv_carries_the_stored_contacts_too(
        self, demo: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        import csv
        import io

        stored = {f["id"]: (f["contact"] or "", f["phone"] or "")
                  for f in generate_demo().batch.enterprises.to_pylist()}  # fmt: skip
        code, out, _ = self.run(capsys, "targets", "--format", "csv", "--limit", "40")
        rows = list(csv.DictReader(io.StringIO(out)))
        assert code == 0 and len(rows) == 40
        assert all((r["contact"], r["phone"]) == stored[r["id"]] for r in rows)
        assert any(r["phone"] for r in rows)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--weights", "gap=-1"], "--weights"),
            (["--weights", "nosuch"], "no weight preset 'nosuch'"),
            (["--thresholds", "min_env_rating=E"], "--thresholds"),
            (["--target-regions", "990000"], "no province has code 99"),
            (["--format", "xlsx"], "pass -o"),
            (["--segment", "nev.nowhere"], "nev.nowhere"),
            (["--thresholds", "min_tax=1"], "no threshold 'min_tax'; thresholds: max_energy"),
            (["-o", "targets.csv"], "-o writes csv, json or xlsx"),
            (["--weights", "gap=inf"], "gap: Input should be a finite number"),
            (["--target-regions", "粤港澳"], "or a preset: 京津冀 (jjj)"),
            (["--only-target-regions"], "--only-target-regions filters to --target-regions"),
        ],
    )
    def test_bad_options_are_explained(
        self, demo: None, capsys: pytest.CaptureFixture[str], args: list[str], message: str
    ) -> None:
        code, _, err = self.run(capsys, "targets", *args)
        assert code == 2 and message in err and "Traceback" not in err

    @pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
    def test_targets_written_with_o_leave_stdout_empty(
        self, demo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
    ) -> None:
        out_file = tmp_path / f"targets.{fmt}"
        code, out, err = self.run(capsys, "targets", "--limit", "4", "--format", fmt,
                                  "-o", str(out_file))  # fmt: skip
        assert code == 0 and out == "" and "Wrote 4 targets" in err
        if fmt != "xlsx":
            _, printed, _ = self.run(capsys, "targets", "--limit", "4", "--format", fmt)
            assert out_file.read_text(encoding="utf-8") == printed

    def test_an_output_file_that_cannot_be_written_is_explained(
        self, demo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        for fmt in ("csv", "xlsx"):
            code, _, err = self.run(capsys, "targets", "--format", fmt,
                                    "-o", str(tmp_path / "a-file" / f"t.{fmt}"))  # fmt: skip
            assert code == 2 and "cannot write" in err and "Traceback" not in err

    def test_path_and_whatif(self, demo: None, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = self.run(capsys, "targets", "--limit", "1", "--format", "json")
        top = json.loads(out)["rows"][0]
        intro = top["introducer"]
        code, out, _ = self.run(capsys, "path", intro["introducer_id"], top["id"],
                                "--format", "json")  # fmt: skip
        found = json.loads(out)["path"]
        assert code == 0 and found["firms"][-1] == top["id"]
        assert found["introducer_is_leader"] == intro["introducer_is_leader"]
        code, out, _ = self.run(capsys, "path", intro["introducer_name"], top["name"])
        assert code == 0 and top["name"] in out  # exact names are accepted too
        code, _, err = self.run(capsys, "path", top["name"][:4], top["id"])
        assert code == 2 and f"names like it: {top['name']}" in err.replace("\n", "")
        code, out, _ = self.run(capsys, "whatif", "--land", top["id"], "--limit", "5",
                                "--format", "json")  # fmt: skip
        result = json.loads(out)
        assert code == 0 and any(c["segment"] == top["segment"] for c in result["changes"])
        assert top["id"] not in [t["id"] for t in result["targets_after"]["rows"]]
        (gone,) = [m for m in result["ranking_changes"] if m["id"] == top["id"]]
        assert (gone["rank_before"], gone["rank_after"], gone["reason"]) == (
            1, None, "landed: now a local firm")  # fmt: skip
        code, out, _ = self.run(capsys, "whatif", "--land", top["id"], "--limit", "5")
        assert code == 0 and "landed: now a local" in out


@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 4), st.sampled_from([0.2, 0.5, 1.0])),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.sampled_from([0.0, 0.4, 0.7, 1.0]), min_size=5, max_size=5),
)
def test_a_firm_in_several_segments_is_placed_by_the_rule(
    entries: list[tuple[int, int, float]], gap_values: list[float]
) -> None:
    # highest gap value, then highest share, then the most upstream segment: the same by the
    # maxima over each firm's entries as by sorting them
    firm, seg, share = (np.array(x) for x in zip(*entries, strict=True))
    membership = sparse.csr_array((share, (firm, seg)), shape=(8, 5))
    membership.sum_duplicates()
    rows = np.arange(8, dtype=np.int64)
    gap = np.array(gap_values)
    expected = []
    for r in range(8):
        cells = membership[[r], :].toarray()[0]
        held = [c for c in range(5) if cells[c] > 0]
        expected.append(min(held, key=lambda c: (-gap[c], -cells[c], c)) if held else 0)
    assert _best_segment(membership, rows, gap).tolist() == expected
    unsorted = membership.copy()
    unsorted.has_sorted_indices = False
    assert _best_segment(unsorted, rows, gap).tolist() == expected


def test_scores_are_the_same_worked_out_on_several_threads(
    demo_view: ChainView, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = rank_targets(demo_view, limit=None).model_dump()
    monkeypatch.setattr(targets_module, "_THREADS_FROM", 0)  # the demo city has fewer candidates
    assert rank_targets(demo_view, limit=None).model_dump() == one
