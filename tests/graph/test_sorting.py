"""The linear-time sorts behind views and searches give exactly what numpy's sorts give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainscout.analysis.paths import first_occurrences
from chainscout.graph.view import (
    ChainView,
    Memberships,
    counting_order,
    link_order,
    sort_links,
)

keys = st.lists(st.integers(0, 40), max_size=300)


@settings(max_examples=200, deadline=None)
@given(values=keys)
def test_counting_order_is_a_stable_sort(values: list[int]) -> None:
    arr = np.array(values, dtype=np.int64)
    assert counting_order(arr, 41).tolist() == np.argsort(arr, kind="stable").tolist()


@settings(max_examples=300, deadline=None)
@given(
    links=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=80),
    in_order=st.integers(0, 80),
)
def test_link_order_sorts_links_stably_however_they_come(
    links: list[tuple[int, int]], in_order: int
) -> None:
    # a sorted run, then links as they come: all in order, a few out of it, or most
    pairs = sorted(links[:in_order]) + links[in_order:]
    supplier = np.array([a for a, _ in pairs], dtype=np.int64)
    customer = np.array([b for _, b in pairs], dtype=np.int64)
    order = link_order(supplier, customer, 10)
    got = np.arange(len(pairs)) if order is None else order
    assert got.tolist() == np.lexsort((customer, supplier)).tolist()


@settings(max_examples=200, deadline=None)
@given(values=keys)
def test_first_occurrences_match_numpy_unique(values: list[int]) -> None:
    arr = np.array(values, dtype=np.int64)
    distinct, first = first_occurrences(arr, 41)
    want_distinct, want_first = np.unique(arr, return_index=True)
    assert distinct.tolist() == want_distinct.tolist()
    assert first.tolist() == want_first.tolist()


@settings(max_examples=100, deadline=None)
@given(links=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=60))
def test_a_view_sorts_links_in_any_order_the_same_way(links: list[tuple[int, int]]) -> None:
    def build(pairs: list[tuple[int, int]]) -> ChainView:
        return ChainView.from_arrays(
            chain=None, home_region="349900", ids=[f"F{i}" for i in range(10)], segment_ids=[],
            member_firm=[], member_segment=[], member_share=[],
            supplier=[a for a, _ in pairs], customer=[b for _, b in pairs],
            link_volume=[float(a * 10 + b) for a, b in pairs],
        )  # fmt: skip

    pairs = sorted(set(links))
    shuffled = build(pairs[::-1])
    sorted_view = build(pairs)
    for name in ("out_indptr", "out_indices", "link_volume", "in_indptr", "in_indices", "in_links"):
        want = getattr(sorted_view, name)
        got = getattr(shuffled, name)
        assert (got.dtype, got.tolist()) == (want.dtype, want.tolist()), name
    rows = np.repeat(np.arange(10), np.diff(sorted_view.out_indptr))
    assert list(zip(rows.tolist(), sorted_view.out_indices.tolist(), strict=True)) == pairs
    suppliers_by_customer = [
        sorted_view.in_indices[sorted_view.in_indptr[c] : sorted_view.in_indptr[c + 1]].tolist()
        for c in range(10)
    ]
    assert suppliers_by_customer == [sorted(a for a, b in pairs if b == c) for c in range(10)]


@given(
    links=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=60),
    rows=st.sets(st.integers(0, 9)),
)
def test_links_into_firms_are_the_same_read_from_the_links_or_from_the_csr(
    links: list[tuple[int, int]], rows: set[int]
) -> None:
    view = ChainView.from_arrays(
        chain=None, home_region="349900", ids=[f"F{i}" for i in range(10)], segment_ids=[],
        supplier=[a for a, _ in links], customer=[b for _, b in links],
    )  # fmt: skip
    asked = np.array(sorted(rows), dtype=np.int64)
    degree_before = view.in_degree_of(asked).tolist()
    scanned = view.links_into(asked, build=False).tolist()
    partners = sorted(view.partners_of(asked, build=False).tolist())
    assert not view.has_reverse  # neither question built the customer-side CSR
    pairs = sorted(links)
    assert [pairs[k][1] for k in scanned] == [b for _, b in pairs if b in rows]
    assert scanned == sorted(scanned)
    assert view.links_into(asked).tolist() == scanned
    assert view.has_reverse
    assert sorted(view.partners_of(asked).tolist()) == partners
    assert view.in_degree_of(asked).tolist() == degree_before
    assert degree_before == np.diff(view.in_indptr)[asked].tolist()


def test_parts_made_for_another_number_of_firms_are_refused() -> None:
    def build(**parts: object) -> ChainView:
        return ChainView.from_arrays(
            chain=None, home_region="349900", ids=["a", "b", "c"], segment_ids=["s"], **parts
        )  # type: ignore[arg-type]

    view = build(supplier=[0], customer=[1], member_firm=[0], member_segment=[0],
                 member_share=[1.0])  # fmt: skip
    assert view.n_links == 1 and view.membership_by_segment.shape == (1, 3)
    with pytest.raises(ValueError, match="links sorted for 2 firms"):
        build(links=sort_links(2, [0], [1]))
    with pytest.raises(ValueError, match="memberships of shape"):
        build(supplier=[], customer=[], memberships=Memberships.of(2, 1, [0], [0], [1.0]))
    with pytest.raises(TypeError, match="supplier and customer"):
        build()
