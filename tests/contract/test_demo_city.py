"""The demo city on each store gives the embedded store's answers: views array by array, reads,
neighbourhoods and exports. Tests here only read ``demo_store`` (built once per module and store)
and compare with ``reference`` (the same city in the embedded store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from chainscout.graph import ChainView, GraphStore
from chainscout.loaders.demo import DEMO_CITY, DemoData

Snap = Callable[[GraphStore], dict[str, Any]]

#: Every array of a view, compared with its dtype and shape.
VIEW_ARRAYS = (
    "ids", "names", "regions", "is_local", "revenue", "employees", "tag_bits",
    "energy_intensity", "env_rating", "rd_share", "investment_intensity", "tax_per_mu",
    "out_indptr", "out_indices", "link_share",
    "link_volume", "link_confidence", "link_last_seen", "link_times_seen", "in_indptr",
    "in_indices", "in_links",
)  # fmt: skip


def assert_same_view(got: ChainView, want: ChainView) -> None:
    assert got.segment_ids == want.segment_ids
    assert got.home_region == want.home_region
    assert got.chain == want.chain
    for name in VIEW_ARRAYS:
        a, b = getattr(got, name), getattr(want, name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), name
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert a.tolist() == b.tolist(), name
    m, n = got.membership, want.membership
    assert (m.shape, m.dtype) == (n.shape, n.dtype)
    for part in ("data", "indices", "indptr"):
        assert getattr(m, part).tolist() == getattr(n, part).tolist(), part


def test_counts_and_meta(demo_store: GraphStore, reference: GraphStore) -> None:
    assert demo_store.counts() == reference.counts()
    assert demo_store.list_meta() == reference.list_meta()
    assert demo_store.list_chains() == reference.list_chains()
    assert demo_store.list_regions() == reference.list_regions()


def test_everything_exported_is_the_same(
    demo_store: GraphStore, reference: GraphStore, snap: Snap
) -> None:
    assert snap(demo_store) == snap(reference)


def test_the_batch_written_comes_back(demo_store: GraphStore, demo_data: DemoData) -> None:
    assert demo_store.table("supplies").num_rows == demo_data.batch.supplies.num_rows
    written = demo_data.batch.enterprises["id"].to_pylist()
    assert demo_store.table("enterprises")["id"].to_pylist() == written


@pytest.mark.parametrize("home", [DEMO_CITY.code, "349901", "340000", "320500", "CN", "DE"])
def test_views_are_identical_array_by_array(
    demo_store: GraphStore, reference: GraphStore, home: str
) -> None:
    assert_same_view(demo_store.view("nev", home), reference.view("nev", home))
    assert demo_store.local_count(home) == reference.local_count(home)


def test_reads_of_every_firm_agree(demo_store: GraphStore, reference: GraphStore) -> None:
    ids = reference.table("enterprises")["id"].to_pylist()
    assert demo_store.get_enterprises(ids[::-1]) == reference.get_enterprises(ids[::-1])
    for firm in ids[::37]:
        assert demo_store.supplies_of(firm) == reference.supplies_of(firm), firm


@pytest.mark.parametrize("text", ["澜", "有限公司", "电池", "集团", "91", "nothing"])
def test_find_agrees(demo_store: GraphStore, reference: GraphStore, text: str) -> None:
    for limit in (1, 20, 1000):
        assert demo_store.find_enterprises(text, limit) == reference.find_enterprises(text, limit)


@pytest.mark.parametrize(
    ("hops", "direction", "budget"),
    [(1, "both", 500), (2, "both", 40), (2, "in", 500), (3, "out", 25), (3, "both", 5000)],
)
def test_neighbourhoods_agree(
    demo_store: GraphStore, reference: GraphStore, hops: int, direction: str, budget: int
) -> None:
    view = reference.view("nev", DEMO_CITY.code)
    degree = np.diff(view.out_indptr) + np.diff(view.in_indptr)
    centres = [str(view.ids[i]) for i in np.argsort(-degree, kind="stable")[:3]]
    centres.append(str(view.ids[0]))
    for centre in centres:
        got = demo_store.neighbours(centre, hops=hops, direction=direction, budget=budget)
        assert got == reference.neighbours(centre, hops=hops, direction=direction, budget=budget)
