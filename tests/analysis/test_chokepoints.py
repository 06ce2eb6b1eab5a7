"""Chokepoints: single-source and concentrated segments, and firms that cut the chain."""

from __future__ import annotations

import pytest

from chainscout.analysis.chokepoints import chokepoints

LOCAL, AWAY = "440305", "320500"


def test_a_single_source_segment_is_found(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b", "c"], [("a", "b"), ("b", "c")])
    firms = [("a1", AWAY, {"a": 1.0}), ("a2", AWAY, {"a": 1.0}), ("only_b", AWAY, {"b": 1.0}),
             ("c1", LOCAL, {"c": 1.0})]  # fmt: skip
    links = [("a1", "only_b"), ("a2", "only_b"), ("only_b", "c1")]
    report = chokepoints(view_factory(chain, firms, links))
    by = {s.segment: s for s in report.segments}
    assert by["b"].single_source and by["b"].concentrated
    assert by["b"].reason == "single source: only_b is the only firm"
    assert not by["a"].single_source


def test_one_selling_firm_makes_a_single_source(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"], [("a", "b")])
    firms = [("a1", AWAY, {"a": 1.0}), ("a2", AWAY, {"a": 1.0}), ("b1", LOCAL, {"b": 1.0})]
    report = chokepoints(view_factory(chain, firms, [("a1", "b1")]))
    a = report.segments[0]
    assert (a.firms, a.suppliers, a.single_source) == (2, 1, True)
    assert a.reason.startswith("single source: only one firm sells in the view")


def test_hhi_of_known_sizes(chain_factory, view_factory) -> None:
    chain = chain_factory(["a"])
    firms = [(f"f{i}", AWAY, {"a": 1.0}) for i in range(4)]
    report = chokepoints(view_factory(chain, firms, revenue=[60.0, 20.0, 10.0, 10.0]))
    seg = report.segments[0]
    assert seg.hhi == pytest.approx(0.36 + 0.04 + 0.01 + 0.01)
    assert seg.top_firm == "f0" and seg.top_share == 0.6 and seg.concentrated
    even = chokepoints(view_factory(chain, firms, revenue=[25.0] * 4), hhi_threshold=0.3)
    assert even.segments[0].hhi == 0.25 and not even.segments[0].concentrated


def test_removing_a_bridge_firm_cuts_downstream(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b", "c"], [("a", "b"), ("b", "c")])
    firms = [
        ("a1", AWAY, {"a": 1.0}),
        ("a2", AWAY, {"a": 1.0}),
        ("b1", LOCAL, {"b": 1.0}),
        ("b2", AWAY, {"b": 1.0}),
        ("c1", LOCAL, {"c": 1.0}),
        ("c2", AWAY, {"c": 1.0}),
    ]
    # b2 buys from a but sells to no one: every path from a to c runs through b1
    links = [("a1", "b1"), ("a2", "b1"), ("a1", "b2"), ("b1", "c1"), ("b1", "c2")]
    report = chokepoints(view_factory(chain, firms, links))
    assert [f.id for f in report.firms] == ["b1"]
    cuts = [(c.upstream, c.downstream, c.downstream_firms) for c in report.firms[0].cuts]
    assert cuts == [("a", "c", 2), ("b", "c", 2)]
    assert report.firms[0].local and "every supply path" in report.firms[0].reason
    # a second bridge removes the chokepoint
    report2 = chokepoints(view_factory(chain, firms, [*links, ("b2", "c2")]))
    assert report2.firms == []


def test_only_reachable_downstream_firm_is_not_a_cut(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"], [("a", "b")])
    firms = [("a1", AWAY, {"a": 1.0}), ("a2", AWAY, {"a": 1.0}), ("b1", LOCAL, {"b": 1.0})]
    report = chokepoints(view_factory(chain, firms, [("a1", "b1"), ("a2", "b1")]))
    assert report.firms == []


def test_firm_budget_skips_the_firm_check_and_says_so(chain_factory, view_factory) -> None:
    chain = chain_factory(["a", "b"], [("a", "b")])
    firms = [("a1", AWAY, {"a": 1.0}), ("b1", LOCAL, {"b": 1.0})]
    report = chokepoints(view_factory(chain, firms, [("a1", "b1")]), firm_budget=1)
    assert not report.firms_checked and report.note and "budget" in report.note


def test_chokepoints_are_deterministic(demo_store_path) -> None:
    from chainscout.graph import open_store

    with open_store(demo_store_path, read_only=True) as store:
        view = store.view("nev", "349900")
    first = chokepoints(view)
    assert first.model_dump_json() == chokepoints(view).model_dump_json()
    assert any(s.concentrated for s in first.segments)
