"""Gap rules on small hand-made chains with known answers, and on the demo city."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chainscout.analysis.gaps import GapRule, GapStatus, GapThresholds, gap_table
from chainscout.graph import open_store
from chainscout.graph.view import ChainView

LOCAL, AWAY = "440305", "320500"


def firms(segment: str, local: int, away: int, prefix: str | None = None) -> list:
    p = prefix or segment
    return [(f"{p}-l{i}", LOCAL, {segment: 1.0}) for i in range(local)] + [
        (f"{p}-o{i}", AWAY, {segment: 1.0}) for i in range(away)
    ]


def test_zero_local_firms_is_missing(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"], [("a", "b")])
    view = view_factory(chain, firms("a", 0, 37) + firms("b", 3, 3))
    row = gap_table(view).rows[0]
    assert (row.segment, row.status, row.rule) == ("a", GapStatus.MISSING, GapRule.NO_LOCAL_FIRM)
    assert row.reason == "no local firm among 37 nationally"
    assert row.reason_zh == "本地无企业（全国共37家）"
    assert row.lq is None and row.local_firms == 0 and row.firms == 37


def test_segment_without_any_firm_is_missing_for_lack_of_data(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"])
    row = gap_table(view_factory(chain, firms("b", 2, 2))).rows[0]
    assert (row.status, row.rule, row.firms) == (GapStatus.MISSING, GapRule.NO_DATA, 0)


def test_pool_abroad_is_worldwide(chain_factory, view_factory) -> None:
    chain = chain_factory(["a"])
    view = view_factory(chain, [("x", "DE", {"a": 1.0}), ("y", AWAY, {"a": 1.0})])
    assert gap_table(view).rows[0].reason == "no local firm among 2 worldwide"


def _threshold_view(chain_factory, view_factory) -> ChainView:
    # a: 2 of 10 local (0.2); b: 4 of 5 local (0.8); chain 6 of 15 (0.4): LQ a 0.5, b 2.0
    chain = chain_factory(["a", "b"], [("a", "b")])
    return view_factory(chain, firms("a", 2, 8) + firms("b", 4, 1))


def test_lq_exactly_at_the_weak_threshold_is_not_weak(chain_factory, view_factory) -> None:
    table = gap_table(_threshold_view(chain_factory, view_factory))
    a, b = table.rows
    assert table.size_basis == "share" and table.chain_local_share == 0.4
    assert a.lq == pytest.approx(0.5) and b.lq == pytest.approx(2.0)
    assert (a.status, a.rule) == (GapStatus.PRESENT, GapRule.IN_BETWEEN)
    assert a.reason.startswith("LQ 0.50 between 0.5 and 1.5")
    assert (b.status, b.rule) == (GapStatus.STRONG, GapRule.HIGH_LQ)
    # with the threshold just above its LQ, the same segment is weak
    weak = gap_table(_threshold_view(chain_factory, view_factory), GapThresholds(weak_lq=0.501))
    assert weak.rows[0].status is GapStatus.WEAK
    assert weak.rows[0].reason.startswith("LQ 0.50 < 0.501")


def test_lq_exactly_at_the_strong_threshold_is_strong(chain_factory, view_factory) -> None:
    view = _threshold_view(chain_factory, view_factory)
    at = gap_table(view, GapThresholds(strong_lq=2.0)).rows[1]
    assert (at.status, at.rule) == (GapStatus.STRONG, GapRule.HIGH_LQ)
    assert at.reason.startswith("LQ 2.00 ≥ 2 with 4 local firms")
    above = gap_table(view, GapThresholds(strong_lq=2.001)).rows[1]
    assert above.status is GapStatus.PRESENT


def test_strong_needs_enough_local_firms(chain_factory, view_factory) -> None:
    view = _threshold_view(chain_factory, view_factory)
    row = gap_table(view, GapThresholds(strong_min_firms=5)).rows[1]
    assert (row.status, row.rule) == (GapStatus.PRESENT, GapRule.IN_BETWEEN)
    assert "but only 4 local firms (strong needs 5" in row.reason


def test_few_local_firms_is_weak(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"])
    view = view_factory(chain, firms("a", 1, 1) + firms("b", 1, 9))
    row = gap_table(view).rows[0]
    assert (row.status, row.rule) == (GapStatus.WEAK, GapRule.FEW_LOCAL_FIRMS)
    assert row.reason == "only 1 local firm among 2 (fewer than 2)"
    assert gap_table(view, GapThresholds(weak_min_firms=1)).rows[0].rule is not (
        GapRule.FEW_LOCAL_FIRMS
    )


def test_low_lq_reason_carries_its_numbers(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"])
    view = view_factory(chain, firms("a", 2, 18) + firms("b", 8, 2))
    row = gap_table(view).rows[0]
    # a: 2/20 = 10%; chain 10/30 = 33.3%: LQ 0.30
    assert (row.status, row.rule) == (GapStatus.WEAK, GapRule.LOW_LQ)
    assert row.reason == "LQ 0.30 < 0.5 (2 local firms, 10.0% of the pool vs 33.3% chain-wide)"


def test_segment_with_sub_segments_counts_each_firm_once(chain_factory, view_factory) -> None:
    chain = chain_factory(["p", ("p1", "p"), ("p2", "p"), "q"], [("p1", "q"), ("p2", "q")])
    rows = [
        ("both", LOCAL, {"p1": 0.6, "p2": 0.6}),  # in two sub-segments: once in the parent, at 1
        ("l1", LOCAL, {"p1": 1.0}),
        ("l2", LOCAL, {"p1": 1.0}),
        ("o1", AWAY, {"p2": 1.0}),
        ("o2", AWAY, {"p2": 1.0}),
        ("direct", AWAY, {"p": 0.5}),  # in the parent itself
        *firms("q", 1, 3),
    ]
    table = gap_table(view_factory(chain, rows))
    by = {r.segment: r for r in table.rows}
    p = by["p"]
    assert (p.firms, p.local_firms) == (6, 3)
    assert p.size == pytest.approx(1 + 1 + 1 + 1 + 1 + 0.5)
    assert p.local_size == pytest.approx(3.0)
    assert p.sub_segments == ["p1", "p2"]
    assert by["p1"].parent == "p" and by["p1"].level == 1
    assert (by["p1"].firms, by["p1"].local_firms) == (3, 3)
    # chain totals count each firm once (shares over top segments capped at 1)
    assert table.chain_firms == 10 and table.chain_local_firms == 4
    assert table.chain_local_share == pytest.approx(4 / 9.5, abs=1e-6)
    assert p.reason.endswith("; sub-segments: 1 weak, 1 strong") or "sub-segments:" in p.reason
    statuses = {by["p1"].status.value, by["p2"].status.value}
    for s in statuses:
        assert f"1 {s}" in p.reason or f"2 {s}" in p.reason


def test_revenue_basis_when_revenue_is_known(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"])
    rows = firms("a", 2, 2) + firms("b", 2, 2)
    revenue = [100.0, 100.0, 600.0, 200.0, 10.0, float("nan"), 50.0, 40.0]
    table = gap_table(view_factory(chain, rows, revenue=revenue))
    a, b = table.rows
    assert table.size_basis == "revenue"
    assert (a.size, a.local_size) == (1000.0, 200.0)
    assert (b.size, b.local_size) == (100.0, 10.0)
    assert b.revenue_known == 0.75
    assert (
        gap_table(view_factory(chain, rows, revenue=revenue), size_basis="share").rows[0].size
        == 4.0
    )


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValidationError, match="must not exceed"):
        GapThresholds(weak_lq=2.0, strong_lq=1.0)
    with pytest.raises(ValidationError):
        GapThresholds(weak_min_firms=0)


def test_same_input_same_result_whatever_the_firm_order(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", ("a1", "a"), "b", "c"], [("a1", "b"), ("b", "c")])
    rng = np.random.default_rng(7)
    rows = []
    for i in range(60):
        seg = ["a1", "b", "c", "a"][i % 4]
        rows.append((f"f{i:02d}", LOCAL if rng.random() < 0.3 else AWAY, {seg: 1.0}))
    revenue = rng.uniform(1, 100, len(rows)).round(1).tolist()
    first = gap_table(view_factory(chain, rows, revenue=revenue))
    again = gap_table(view_factory(chain, rows, revenue=revenue))
    assert first.model_dump_json() == again.model_dump_json()
    perm = rng.permutation(len(rows))
    shuffled = gap_table(
        view_factory(chain, [rows[i] for i in perm], revenue=[revenue[i] for i in perm])
    )
    for a, b in zip(first.rows, shuffled.rows, strict=True):
        assert (a.segment, a.status, a.rule, a.firms, a.local_firms, a.reason) == (
            b.segment, b.status, b.rule, b.firms, b.local_firms, b.reason
        )  # fmt: skip
        assert a.size == pytest.approx(b.size) and a.local_size == pytest.approx(b.local_size)


segment_counts = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=2, max_size=6)


def _counts_view(counts: list[tuple[int, int]]) -> ChainView:
    ids, regions, mf, ms = [], [], [], []
    for s, (loc, away) in enumerate(counts):
        for k in range(loc + away):
            ids.append(f"s{s}-{k}")
            regions.append(LOCAL if k < loc else AWAY)
            mf.append(len(ids) - 1)
            ms.append(s)
    return ChainView.from_arrays(
        chain=None, home_region="440300", ids=ids, regions=regions,
        segment_ids=[f"s{s}" for s in range(len(counts))], member_firm=mf, member_segment=ms,
        member_share=[1.0] * len(ids), supplier=[], customer=[],
    )  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(segment_counts, st.floats(0.05, 1.0), st.floats(0.0, 0.5))
def test_rules_hold_and_raising_weak_lq_only_adds_weak_segments(
    counts: list[tuple[int, int]], weak_lq: float, step: float
) -> None:
    view = _counts_view(counts)
    low = gap_table(view, GapThresholds(weak_lq=weak_lq, strong_lq=2.0))
    high = gap_table(view, GapThresholds(weak_lq=min(2.0, weak_lq + step), strong_lq=2.0))
    for r, (loc, away) in zip(low.rows, counts, strict=True):
        assert (r.local_firms, r.firms) == (loc, loc + away)
        assert (r.status is GapStatus.MISSING) == (loc == 0)
        if r.pool_share is not None:
            assert 0.0 <= r.pool_share <= 1.0
        if r.status is GapStatus.WEAK and r.rule is GapRule.LOW_LQ:
            assert r.lq is not None and r.lq < weak_lq
        if r.status is GapStatus.STRONG:
            assert r.lq is not None and r.lq >= 2.0 - 1e-9 and r.local_firms >= 3
    weak_low = {r.segment for r in low.rows if r.status is GapStatus.WEAK}
    weak_high = {r.segment for r in high.rows if r.status is GapStatus.WEAK}
    assert weak_low <= weak_high
    assert sum(low.status_counts.values()) == len(counts)


_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?")


def test_demo_city_shows_every_status_and_reasons_match_numbers(demo_store_path: Path) -> None:
    with open_store(demo_store_path, read_only=True) as store:
        view = store.view("nev", "349900")
    table = gap_table(view)
    assert all(table.status_counts[s.value] >= 1 for s in GapStatus), table.status_counts
    share = table.chain_local_share
    assert share is not None
    for r in table.rows:
        if r.rule is GapRule.NO_LOCAL_FIRM:
            assert r.local_firms == 0
            assert re.fullmatch(rf"no local firm among {r.firms} (nationally|worldwide)", r.reason)
            continue
        if r.rule is GapRule.FEW_LOCAL_FIRMS:
            assert r.reason.startswith(f"only {r.local_firms} local firm")
            assert f"among {r.firms} " in r.reason
            continue
        assert r.lq is not None and r.pool_share is not None
        lq_text = re.search(r"LQ (\d+\.\d+)", r.reason)
        assert lq_text is not None
        digits = len(lq_text.group(1).split(".")[1])
        assert float(lq_text.group(1)) == pytest.approx(round(r.lq, digits), abs=1e-12)
        assert f"{r.local_firms} local firms" in r.reason
        assert f"{r.pool_share:.1%} of the pool" in r.reason
        assert f"{share:.1%} chain-wide" in r.reason
        assert r.lq == pytest.approx(r.pool_share / share, rel=1e-4)
        th = table.thresholds
        if r.status is GapStatus.WEAK:
            assert r.lq < th.weak_lq
        elif r.status is GapStatus.STRONG:
            assert r.lq >= th.strong_lq and r.local_firms >= th.strong_min_firms
        else:
            assert r.lq >= th.weak_lq
