"""Multi-source search over supply links: the hops networkx finds, parents one hop nearer over
the link named, and ties broken as documented."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chainscout.analysis import paths
from chainscout.analysis.paths import Reach, neighbourhood, reach
from chainscout.graph.view import ChainView

N = 12


def view(
    links: list[tuple[int, int]], local: list[bool], reported: list[bool], isolated: int = 0
) -> ChainView:
    """``N`` firms with ``links`` among them, then ``isolated`` firms without a link."""
    return ChainView.from_arrays(
        chain=None, home_region="349900", ids=[f"F{i:05d}" for i in range(N + isolated)],
        segment_ids=[], member_firm=[], member_segment=[], member_share=[],
        regions=["349900" if x else "320500" for x in local] + ["320500"] * isolated,
        supplier=[a for a, _ in links], customer=[b for _, b in links],
        link_confidence=[0 if r else 1 for r in reported],
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.sets(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=40),
    local=st.lists(st.booleans(), min_size=N, max_size=N),
    reported=st.lists(st.booleans(), min_size=40, max_size=40),
    max_hops=st.integers(1, 3),
    reported_only=st.booleans(),
)
def test_reach_finds_the_shortest_hops_and_valid_parents(
    pairs: set[tuple[int, int]], local: list[bool], reported: list[bool], max_hops: int,
    reported_only: bool,
) -> None:  # fmt: skip
    links = sorted((a, b) for a, b in pairs if a != b)
    v = view(links, local, reported[: len(links)])
    by_rows, by_scan = (
        _search(v, max_hops, reported_only, scan_share) for scan_share in (10.0, 0.0)
    )
    assert not v.has_reverse  # in-links were read from a pass over the links
    _ = v.in_indptr  # builds the customer-side CSR: rows expand through it from now on
    by_csr = _search(v, max_hops, reported_only, 10.0)
    for a, b, c in zip(by_rows, by_scan, by_csr, strict=True):  # the ways of expanding agree
        assert a.tolist() == b.tolist() == c.tolist()
    hops, parent, via = by_rows
    g = nx.Graph()
    g.add_nodes_from(range(N))
    sup = v.supplier_of_link
    for k in range(v.n_links):
        if not reported_only or v.link_confidence[k] == 0:
            g.add_edge(int(sup[k]), int(v.out_indices[k]))
    g.add_node("sources")
    g.add_edges_from(("sources", i) for i in range(N) if v.is_local[i])
    dist = nx.single_source_shortest_path_length(g, "sources", cutoff=max_hops + 1)
    for i in range(N):
        want = dist.get(i, -1) - 1 if i in dist else -1
        assert hops[i] == (want if want <= max_hops else -1), i
        if hops[i] > 0:
            p, k = int(parent[i]), int(via[i])
            assert hops[p] == hops[i] - 1
            assert {int(sup[k]), int(v.out_indices[k])} == {i, p}
            if reported_only:
                assert v.link_confidence[k] == 0
        else:
            assert parent[i] == -1 and via[i] == -1


def _search(v: ChainView, max_hops: int, reported_only: bool, scan_share: float) -> Reach:
    """``reach`` from the local firms, expanding each hop through the frontier's rows
    (``scan_share`` above 1) or by a scan over all links (``scan_share`` 0)."""
    saved = paths.SCAN_SHARE
    paths.SCAN_SHARE = scan_share
    try:
        return reach(v, v.is_local, max_hops, reported_only=reported_only)
    finally:
        paths.SCAN_SHARE = saved


def test_at_equal_distance_the_lowest_supplying_frontier_firm_is_the_parent() -> None:
    # local 0 and 1 both reach 2: 1 supplies 2, 2 supplies 0 -> the supplying frontier wins
    for scan_share in (10.0, 0.0):
        v = view([(1, 2), (2, 0)], [True, True] + [False] * (N - 2), [True, True])
        hops, parent, _ = _search(v, 1, False, scan_share)
        assert hops[2] == 1 and parent[2] == 1
        # two supplying frontier firms: the lower row wins
        v = view([(0, 2), (1, 2)], [True, True] + [False] * (N - 2), [True, True])
        hops, parent, _ = _search(v, 1, False, scan_share)
        assert parent[2] == 0 and np.all(hops[3:] == -1)


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.sets(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=40),
    firm=st.integers(0, N - 1),
    hops=st.integers(1, 3),
    isolated=st.sampled_from([0, 5000]),  # a small neighbourhood in a large view, or not
)
def test_a_neighbourhood_is_every_firm_within_its_hops_nearest_first(
    pairs: set[tuple[int, int]], firm: int, hops: int, isolated: int
) -> None:
    links = sorted((a, b) for a, b in pairs if a != b)
    v = view(links, [False] * N, [True] * len(links), isolated)
    rows, hop_of = neighbourhood(v, firm, hops)
    g = nx.Graph()
    g.add_nodes_from(range(N))
    g.add_edges_from(links)
    dist = nx.single_source_shortest_path_length(g, firm, cutoff=hops)
    want = sorted(dist, key=lambda i: (dist[i], i))
    assert rows.tolist() == want
    assert hop_of.tolist() == [dist[i] for i in want]
