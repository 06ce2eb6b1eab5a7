"""Chain leaders: the ranking, its factors, and a centrality checked against a converged one."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import sparse

from chainscout.analysis.leaders import LeaderWeights, chain_leaders, pagerank

LOCAL, AWAY = "440305", "320500"


def _converged_pagerank(a: np.ndarray, alpha: float = 0.85) -> np.ndarray:
    """PageRank as the solution of its linear system (dense, for small graphs)."""
    n = len(a)
    out = a.sum(axis=1)
    dangling = out == 0
    p = np.where(dangling[:, None], 1.0 / n, a / np.where(dangling, 1, out)[:, None])
    lhs = np.eye(n) - alpha * p.T
    x = np.linalg.solve(lhs, np.full(n, (1 - alpha) / n))
    return x / x.sum()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pagerank_matches_the_converged_solution(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 120
    a = (rng.random((n, n)) < 0.03).astype(float)
    np.fill_diagonal(a, 0)
    a[rng.integers(0, n, 10)] = 0  # some dangling nodes
    pr = pagerank(sparse.csr_array(a))
    assert pr.converged and pr.error < 1e-10
    exact = _converged_pagerank(a)
    # an L1 step below tol leaves at most tol * alpha / (1 - alpha) to go
    assert np.abs(pr.values - exact).sum() < 1e-10 * 0.85 / 0.15
    reference = nx.pagerank(nx.DiGraph(a), tol=1e-13, max_iter=10_000)
    assert np.abs(pr.values - np.array([reference[i] for i in range(n)])).max() < 1e-9
    assert list(np.argsort(-pr.values, kind="stable")[:20]) == list(
        np.argsort(-exact, kind="stable")[:20]
    )


def test_pagerank_reports_when_it_stops_short() -> None:
    a = sparse.csr_array(np.array([[0, 1.0], [1.0, 0]]) + 0)
    pr = pagerank(a, max_iter=1, tol=0.0)
    assert not pr.converged and pr.iterations == 1


def _star(chain_factory, view_factory):
    chain = chain_factory(["up", "down"], [("up", "down")])
    firms = [
        ("hub", LOCAL, {"down": 1.0}),
        ("mid", LOCAL, {"down": 1.0}),
        ("s1", LOCAL, {"up": 1.0}),
        ("s2", LOCAL, {"up": 1.0}),
        ("o1", AWAY, {"up": 1.0}),
        ("o2", AWAY, {"up": 1.0}),
        ("o3", AWAY, {"down": 1.0}),
    ]
    links = [("s1", "hub"), ("s2", "hub"), ("o1", "hub"), ("o2", "hub"), ("hub", "o3"),
             ("s1", "mid")]  # fmt: skip
    revenue = [5000.0, 8000.0, 100.0, 100.0, 300.0, 200.0, 50.0]
    return view_factory(chain, firms, links, revenue=revenue)


def test_leaders_rank_by_size_and_network_position(chain_factory, view_factory) -> None:
    table = chain_leaders(_star(chain_factory, view_factory))
    assert table.local_firms == 4 and table.centrality_converged
    hub = table.rows[0]
    assert hub.id == "hub" and hub.rank == 1
    assert (hub.local_suppliers, hub.outside_suppliers) == (2, 2)
    assert (hub.local_customers, hub.outside_customers) == (0, 1)
    assert hub.centrality_rank == 1
    assert hub.score == pytest.approx(sum(f.contribution for f in hub.factors), abs=1e-5)
    for f in hub.factors:
        assert 0.0 <= f.normalised <= 1.0
        assert f.contribution == pytest.approx(f.weight * f.normalised, abs=1e-6)
    assert [p.id for p in hub.pulls] == ["o3", "o1", "o2", "s1", "s2"][:5] or len(hub.pulls) == 5
    assert {p.role for p in hub.pulls} == {"supplier", "customer"}
    assert "buys from 4 firms (2 local), sells to 1 (0 local)" in hub.reason
    # the largest firm by revenue ranks first when size is all that counts
    by_size = chain_leaders(
        _star(chain_factory, view_factory),
        weights=LeaderWeights(size=1, centrality=0, local=0, outside=0),
    )
    assert by_size.rows[0].id == "mid"


def test_leaders_are_deterministic_and_ties_break_by_id(chain_factory, view_factory) -> None:
    chain = chain_factory(["a"])
    firms = [(f"f{i}", LOCAL, {"a": 1.0}) for i in (3, 1, 2)]
    table = chain_leaders(view_factory(chain, firms, revenue=[10.0, 10.0, 10.0]))
    assert [r.id for r in table.rows] == ["f1", "f2", "f3"]
    view = _star(chain_factory, view_factory)
    assert chain_leaders(view).model_dump_json() == chain_leaders(view).model_dump_json()
    assert len(chain_leaders(view, limit=2).rows) == 2


def test_weights_must_not_all_be_zero() -> None:
    with pytest.raises(ValueError, match="at least one leader weight"):
        LeaderWeights(size=0, centrality=0, local=0, outside=0)


def test_demo_leaders_are_local_and_led_by_anchor_firms(demo_store_path) -> None:
    from chainscout.graph import open_store

    with open_store(demo_store_path, read_only=True) as store:
        view = store.view("nev", "349900")
    table = chain_leaders(view, limit=10)
    assert all(r.region and r.region.startswith("3499") for r in table.rows)
    anchors = {str(view.ids[i]) for i in np.flatnonzero(view.tag_bits & 1)}  # 链主 bit
    assert len(anchors & {r.id for r in table.rows[:10]}) >= 3
    scores = [r.score for r in table.rows]
    assert scores == sorted(scores, reverse=True)
