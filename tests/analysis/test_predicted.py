"""Links predicted from a view's own supply network (candidate source d of the target ranking):
paths of length three between an outside and a local firm, never an existing link, never two
competitors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainscout.analysis.predicted import predicted_links
from chainscout.analysis.targets import TargetParams, rank_targets
from chainscout.graph.view import ChainView

HOME, AWAY = "349900", "320500"


def view(regions: list[str], links: list[tuple[int, int]], segments: int = 0) -> ChainView:
    n = len(regions)
    return ChainView.from_arrays(
        chain=None, home_region=HOME, ids=[f"F{i}" for i in range(n)],
        segment_ids=[f"s{j}" for j in range(segments)],
        member_firm=list(range(n)) if segments else [],
        member_segment=[i % segments for i in range(n)] if segments else [],
        member_share=[1.0] * n if segments else [],
        regions=regions, supplier=[a for a, _ in links], customer=[b for _, b in links],
    )  # fmt: skip


def pairs(v: ChainView, limit: int = 50) -> list[tuple[int, int]]:
    return [(p.supplier, p.customer) for p in predicted_links(v, limit=limit)]


def test_an_outside_supplier_of_firms_like_a_local_one_is_predicted_to_supply_it() -> None:
    # 0 (outside) supplies 1; 2 supplies both 1 and the local firm 3: 3 looks like 0's customer
    v = view([AWAY, AWAY, AWAY, HOME], [(0, 1), (2, 1), (2, 3)])
    assert pairs(v) == [(0, 3)]


def test_an_outside_customer_is_predicted_the_other_way_round() -> None:
    # the local firm 0 supplies 1; 2 supplies 1 and 3 (outside): 0 may supply 3
    v = view([HOME, AWAY, AWAY, AWAY], [(0, 1), (2, 1), (2, 3)])
    assert pairs(v) == [(0, 3)]


def test_competitors_are_not_predicted_to_trade() -> None:
    # 0 (outside) and 1 (local) both supply 2: rivals, not partners
    v = view([AWAY, HOME, AWAY], [(0, 2), (1, 2)])
    assert pairs(v) == []


def test_firms_already_linked_are_not_predicted() -> None:
    v = view([AWAY, AWAY, AWAY, HOME], [(0, 1), (2, 1), (2, 3), (3, 0)])
    assert pairs(v) == []


def test_paths_through_hubs_count_less() -> None:
    # both 0 and 4 reach the local 3 over one path of length three; 4's runs through a hub (5)
    links = [(0, 1), (2, 1), (2, 3), (4, 5), (6, 5), (6, 3)] + [(7 + k, 5) for k in range(6)]
    v = view([AWAY, AWAY, AWAY, HOME, AWAY, AWAY, AWAY] + [AWAY] * 6, links)
    found = predicted_links(v)
    assert [(p.supplier, p.customer) for p in found][:2] == [(0, 3), (4, 3)]
    assert found[0].probability == 1.0 > found[1].probability


@settings(max_examples=60, deadline=None)
@given(
    local=st.lists(st.booleans(), min_size=2, max_size=14),
    links=st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13)), max_size=40),
    limit=st.integers(1, 30),
)
def test_every_prediction_is_a_new_outside_local_pair_strongest_first(
    local: list[bool], links: list[tuple[int, int]], limit: int
) -> None:
    n = len(local)
    edges = sorted({(a, b) for a, b in links if a < n and b < n and a != b})
    v = view([HOME if x else AWAY for x in local], edges)
    found = predicted_links(v, limit=limit)
    assert len(found) <= limit
    strengths = [p.probability for p in found]
    assert strengths == sorted(strengths, reverse=True)
    assert all(0 < s <= 1 for s in strengths) and (not found or strengths[0] == 1.0)
    existing = set(edges)
    for p in found:
        assert local[p.supplier] != local[p.customer]
        assert (p.supplier, p.customer) not in existing
        assert (p.customer, p.supplier) not in existing
    assert found == predicted_links(v, limit=limit)  # deterministic


def test_the_ranking_takes_predicted_links_when_asked_and_says_so() -> None:
    # the outside firm 0 reaches the local 3 only over three links; the prediction adds pull
    v = view([AWAY, AWAY, AWAY, HOME], [(0, 1), (2, 1), (2, 3)], segments=1)
    plain = {t.id: t for t in rank_targets(v, limit=None).rows}
    asked = {t.id: t for t in rank_targets(v, TargetParams(predict_links=5), limit=None).rows}
    assert "predicted" not in plain["F0"].found_by
    assert "predicted" in asked["F0"].found_by
    pull = {f.name: f for f in asked["F0"].factors}["pull"]
    assert pull.value > {f.name: f for f in plain["F0"].factors}["pull"].value
    assert "predicted" in pull.reason


@pytest.mark.parametrize("limit", [0, -1])
def test_no_predictions_asked_none_given(limit: int) -> None:
    assert (
        predicted_links(view([AWAY, AWAY, AWAY, HOME], [(0, 1), (2, 1), (2, 3)]), limit=limit) == []
    )
