"""The demo city: deterministic, clearly synthetic, and shaped as promised."""

from __future__ import annotations

import re

import numpy as np
import pytest

from chainscout.analysis.coverage import segment_coverage
from chainscout.graph import open_store
from chainscout.graph.regions import check_region_code
from chainscout.loaders.demo import (
    DEMO_CITY,
    DEMO_SOURCE,
    DemoData,
    DemoSpec,
    build_demo_store,
    generate_demo,
)
from chainscout.loaders.identity import normalise_names


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


def test_the_same_seed_gives_the_same_graph() -> None:
    a, b = generate_demo(), generate_demo()
    for name, table in a.batch.tables().items():
        assert table.equals(b.batch.tables()[name]), name
    other = generate_demo(DemoSpec(seed=1))
    assert not other.batch.enterprises.equals(a.batch.enterprises)


def test_about_two_thousand_firms_a_few_hundred_local(demo: DemoData) -> None:
    data = demo
    firms = data.batch.enterprises
    assert firms.num_rows == 2000
    regions = firms["region"].to_pylist()
    local = [r for r in regions if r.startswith("3499")]
    assert 200 <= len(local) <= 450
    provinces = {r[:2] for r in regions if len(r) == 6 and not r.startswith("3499")}
    assert len(provinces) >= 20  # spread over real provinces
    assert {r for r in regions if len(r) == 2} <= {"JP", "KR", "DE", "US"}
    assert all(check_region_code(r) == r for r in set(regions))


def test_thirty_to_forty_segments_from_ore_to_charging(demo: DemoData) -> None:
    chain = demo.chain
    ordered = [s.id for s in chain.ordered_segments()]
    assert 30 <= len(ordered) <= 40
    assert (
        ordered.index("nev.lithium_ore")
        < ordered.index("nev.cathode")
        < ordered.index("nev.battery_cell")
        < ordered.index("nev.vehicle")
    )
    assert {"nev.charging_service", "nev.recycling"} <= set(ordered)


def test_firms_are_valid_labelled_and_invented(demo: DemoData) -> None:
    batch = demo.batch
    assert batch.problems() == []  # credit codes, regions, shares, no self-loops
    firms = batch.enterprises.to_pylist()
    assert {f["source"] for f in firms} == {DEMO_SOURCE}
    assert len({f["id"] for f in firms}) == len(firms)
    assert all(re.fullmatch(r"[\u4e00-\u9fff（）]+", f["name"]) for f in firms)
    assert DEMO_CITY.name.startswith("星澜市") and "虚构" in DEMO_CITY.name
    tags = [t for f in firms for t in f["tags"]]
    for tag in ("链主", "高新技术企业", "专精特新", "上市公司"):
        assert tag in tags
    leaders = [f for f in firms if "链主" in f["tags"]]
    assert leaders and all(f["region"].startswith("3499") for f in leaders)
    energy = [f["energy_intensity"] for f in firms]
    assert min(energy) >= 0 and max(energy) > 1.0
    assert {f["env_rating"] for f in firms} == {"A", "B", "C", "D"}


def test_links_run_upstream_to_downstream_and_leaders_buy_most(demo: DemoData) -> None:
    data = demo
    with open_store(":memory:") as store:
        build_demo_store(store, DemoSpec())
        view = store.view("nev", DEMO_CITY.code)
    assert 3 * view.n_firms <= view.n_links <= 6 * view.n_firms
    leader = np.flatnonzero(view.tag_bits & 1)
    in_degree = np.diff(view.in_indptr)
    assert in_degree[leader].mean() > 5 * in_degree.mean()
    local_buys = view.is_local[view.out_indices]
    outside_supplier = ~view.is_local[view.supplier_of_link]
    assert 0.3 < (outside_supplier[local_buys]).mean() < 0.95  # local firms buy outside too
    assert data.batch.investments.num_rows > 0


def test_the_city_has_missing_weak_and_strong_segments() -> None:
    with open_store(":memory:") as store:
        build_demo_store(store)
        rows = segment_coverage(store.view("nev", DEMO_CITY.code))
    local_share = {r.segment: r.local_firms / r.firms for r in rows}
    city_share = sum(r.local_firms for r in rows) / sum(r.firms for r in rows)
    assert sum(1 for r in rows if r.local_firms == 0) >= 4  # missing
    assert sum(1 for v in local_share.values() if 0 < v < 0.5 * city_share) >= 3  # weak
    assert sum(1 for v in local_share.values() if v > 1.5 * city_share) >= 3  # strong
    assert all(r.firms > 0 for r in rows)


@pytest.mark.slow
def test_the_generator_scales_to_benchmark_sizes() -> None:
    data = generate_demo(DemoSpec(firms=100_000, links_per_firm=5))
    links = data.batch.supplies.num_rows
    assert data.batch.enterprises.num_rows == 100_000
    assert 4 * 100_000 <= links <= 6 * 100_000


def test_no_two_firms_share_a_name_even_without_the_legal_suffix() -> None:
    # a real register gives no two firms of one place and trade the same name; identity
    # matching would list every such pair for a decision
    names = generate_demo(DemoSpec(firms=60_000)).batch.enterprises["name"]
    assert len(np.unique(np.asarray(normalise_names(names).to_pylist()))) == 60_000
    assert all(
        re.fullmatch(r"\w+(有限公司|股份有限公司|集团有限公司)", n) for n in names.to_pylist()
    )
