"""Every analysis gives the same answer on each store: the gap table, coverage, leakage,
chokepoints, chain leaders, target rankings (with their excluded firms and a target-region
preset), weight sensitivity, introducer paths, neighbourhoods and what-if are computed from a view
of the store under test and from the same view of the embedded store, and the typed results must
be equal: values, order and number.

Two graphs are compared: the demo city (``demo_store`` against ``reference``), from the city, its
province and the whole country; and the real ChainKG listed companies mapped onto the built-in
``nev`` template (power batteries), from 安徽 (340000) and 广东 (440000); ChainKG has no links
between firms, so paths are compared on the demo city only. Each test also checks that what it
compares is not empty, so that two empty answers cannot pass for agreement.

ChainKG is read from ``../shared/data/chainkg`` beside the repository; where that folder is absent
the ChainKG tests skip, saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from chainscout.analysis.chokepoints import chokepoints
from chainscout.analysis.coverage import segment_coverage
from chainscout.analysis.gaps import GapStatus, GapThresholds, SizeBasis, gap_table
from chainscout.analysis.leaders import chain_leaders
from chainscout.analysis.leakage import leakage_table
from chainscout.analysis.mapping import map_firms
from chainscout.analysis.paths import neighbourhood, path_between
from chainscout.analysis.targets import (
    EntryThresholds,
    TargetParams,
    TargetWeights,
    rank_targets,
    weight_sensitivity,
)
from chainscout.analysis.whatif import what_if
from chainscout.graph import EmbeddedStore, GraphBatch, GraphStore
from chainscout.graph.model import Chain, InSegment
from chainscout.graph.view import ChainView
from chainscout.loaders.chainkg import load_chainkg
from chainscout.loaders.chains import builtin_chain
from chainscout.loaders.demo import DEMO_CITY

#: The shared datasets sit beside the repository (the repository root is the package).
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CHAIN = "nev"
DEMO_HOMES = [DEMO_CITY.code, "340000", "CN"]
CHAINKG_HOMES = ["340000", "440000"]

#: Ranking parameters as the CLI and the API build them from their options.
RANKINGS = {
    "defaults": TargetParams(),
    "energy-threshold": TargetParams(thresholds=EntryThresholds.parse("max_energy_intensity=0.8")),
    "strict-thresholds": TargetParams(
        thresholds=EntryThresholds.parse(
            "max_energy_intensity=0.8,min_env_rating=B,exclude_unknown=true"
        )
    ),
    "yrd-preferred": TargetParams(
        weights=TargetWeights.parse("fill,region=0.2"), target_regions=("长三角",)
    ),
    "gba-only": TargetParams(target_regions=("gba", "310000"), only_target_regions=True),
}
GAP_OPTIONS: dict[str, tuple[GapThresholds, SizeBasis | None]] = {
    "defaults": (GapThresholds(), None),
    "tight": (GapThresholds(weak_lq=0.8, strong_lq=1.2, weak_min_firms=3), None),
    "share-basis": (GapThresholds(), "share"),
}


ViewOf = Callable[[GraphStore, str], ChainView]


def statuses(view: ChainView) -> set[GapStatus]:
    return {r.status for r in gap_table(view).rows}


@pytest.fixture(scope="module")
def view_of() -> ViewOf:
    """``store.view("nev", home)``, read once per store and home in the module (analyses only
    read views, and a view takes Neo4j a few tenths of a second to extract)."""
    views: dict[tuple[GraphStore, str], ChainView] = {}

    def view(store: GraphStore, home: str) -> ChainView:
        if (store, home) not in views:
            views[store, home] = store.view(CHAIN, home)
        return views[store, home]

    return view


# -- the demo city --------------------------------------------------------------------------


@pytest.mark.parametrize("options", list(GAP_OPTIONS))
@pytest.mark.parametrize("home", DEMO_HOMES)
def test_gap_tables_agree(
    demo_store: GraphStore, reference: GraphStore, home: str, options: str, view_of: ViewOf
) -> None:
    thresholds, basis = GAP_OPTIONS[options]
    got = gap_table(view_of(demo_store, home), thresholds, size_basis=basis)
    want = gap_table(view_of(reference, home), thresholds, size_basis=basis)
    assert got == want
    assert want.rows and want.chain_local_firms > 0
    assert segment_coverage(view_of(demo_store, home)) == segment_coverage(view_of(reference, home))


def test_the_demo_city_has_every_gap_status(reference: GraphStore, view_of: ViewOf) -> None:
    assert statuses(view_of(reference, DEMO_CITY.code)) == set(GapStatus)


@pytest.mark.parametrize("home", DEMO_HOMES)
def test_leaders_agree(
    demo_store: GraphStore, reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    for limit in (5, 1000):
        got = chain_leaders(view_of(demo_store, home), limit=limit)
        want = chain_leaders(view_of(reference, home), limit=limit)
        assert got == want
        assert want.rows and want.centrality_converged
    assert any(r.pulls for r in want.rows)


@pytest.mark.parametrize("ranking", list(RANKINGS))
@pytest.mark.parametrize("home", DEMO_HOMES)
def test_target_rankings_agree(
    demo_store: GraphStore, reference: GraphStore, home: str, ranking: str, view_of: ViewOf
) -> None:
    params = RANKINGS[ranking]
    view, ref = view_of(demo_store, home), view_of(reference, home)
    for limit in (20, None):  # the CLI's page and the API's whole ranking
        got, want = rank_targets(view, params, limit=limit), rank_targets(ref, params, limit=limit)
        assert got == want
    assert want.ranked + len(want.excluded) == want.candidates
    assert want.rows or ranking == "gba-only"
    if ranking == "strict-thresholds":
        assert want.excluded and all(e.failed for e in want.excluded)
    if want.rows and home != "CN":
        assert any(t.introducer is not None for t in want.rows)


@pytest.mark.parametrize("home", DEMO_HOMES)
def test_thresholds_exclude_the_same_firms_for_the_same_reasons(
    demo_store: GraphStore, reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    params = RANKINGS["energy-threshold"]
    got = rank_targets(view_of(demo_store, home), params, limit=None).excluded
    want = rank_targets(view_of(reference, home), params, limit=None).excluded
    assert got == want
    assert want or home == "CN"  # the country attracts from abroad: few candidates
    assert all(any("energy intensity" in f for f in e.failed) for e in want)


@pytest.mark.parametrize("home", DEMO_HOMES)
def test_weight_sensitivity_agrees(
    demo_store: GraphStore, reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    params = RANKINGS["yrd-preferred"]
    got = weight_sensitivity(view_of(demo_store, home), params, top=20)
    want = weight_sensitivity(view_of(reference, home), params, top=20)
    assert got == want
    assert len(want) == 12


@pytest.mark.parametrize("home", DEMO_HOMES)
def test_leakage_and_chokepoints_agree(
    demo_store: GraphStore, reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    view, ref = view_of(demo_store, home), view_of(reference, home)
    assert leakage_table(view) == leakage_table(ref)
    assert any(r.leakage is not None for r in leakage_table(ref).rows)
    for hhi in (0.25, 0.1):
        got, want = chokepoints(view, hhi_threshold=hhi), chokepoints(ref, hhi_threshold=hhi)
        assert got == want
        assert want.segments


def _path_pairs(view: ChainView) -> list[tuple[str, str]]:
    """Firm pairs to join: the best targets with their introducers, both ways round, and the
    best targets with each other (often farther apart than the hops allowed)."""
    top = rank_targets(view, limit=8).rows
    pairs = [(t.introducer.introducer_id, t.id) for t in top if t.introducer is not None]
    pairs += [(b, a) for a, b in pairs]
    pairs += [(a.id, b.id) for a, b in pairwise(top)]
    return pairs


@pytest.mark.parametrize("max_hops", [1, 3])
@pytest.mark.parametrize("home", DEMO_HOMES)
def test_paths_between_firms_agree(
    demo_store: GraphStore, reference: GraphStore, home: str, max_hops: int, view_of: ViewOf
) -> None:
    view, ref = view_of(demo_store, home), view_of(reference, home)
    pairs = _path_pairs(ref)
    found = 0
    for source, target in pairs:  # as `chainscout path SOURCE TARGET` calls it
        a, b = view.rows_of([source, target])
        got = path_between(view, a, b, max_hops=max_hops)
        a, b = ref.rows_of([source, target])
        want = path_between(ref, a, b, max_hops=max_hops)
        assert got == want, (source, target)
        found += want is not None
    assert found > 0 if max_hops == 3 else found < len(pairs)


@pytest.mark.parametrize(("hops", "budget"), [(1, None), (2, 60), (3, None)])
def test_neighbourhoods_of_leaders_agree(
    demo_store: GraphStore, reference: GraphStore, hops: int, budget: int | None, view_of: ViewOf
) -> None:
    view, ref = view_of(demo_store, DEMO_CITY.code), view_of(reference, DEMO_CITY.code)
    leaders = [r.id for r in chain_leaders(ref, limit=3).rows]
    for firm in leaders:
        got_rows, got_hops = neighbourhood(view, view.rows_of([firm])[0], hops, budget=budget)
        want_rows, want_hops = neighbourhood(ref, ref.rows_of([firm])[0], hops, budget=budget)
        assert view.ids[got_rows].tolist() == ref.ids[want_rows].tolist()
        assert got_hops.tolist() == want_hops.tolist()
        assert len(want_rows) > 1 and int(np.max(want_hops)) >= 1


@pytest.mark.parametrize("home", DEMO_HOMES)
def test_what_if_landing_the_best_targets_agrees(
    demo_store: GraphStore, reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    ref = view_of(reference, home)
    land = [t.id for t in rank_targets(ref, limit=3).rows]
    land.append(chain_leaders(ref, limit=1).rows[0].id)  # already local: reported, not landed
    got = what_if(view_of(demo_store, home), land, rank=True, limit=20)
    want = what_if(ref, land, rank=True, limit=20)
    assert got == want
    assert want.already_local == land[-1:]
    before = sum(r.local_firms for r in want.gaps_before.rows)
    assert sum(r.local_firms for r in want.gaps_after.rows) > before
    assert want.targets_after is not None and want.targets_after.rows
    assert want.changes or home == "CN"


# -- ChainKG: real listed companies, the nev template ------------------------------------------


def chainkg_folder() -> Path:
    """The ChainKG dataset, or skip the test saying where it was looked for."""
    folder = SHARED_DATA / "chainkg"
    if not (folder / "company.json").is_file():
        pytest.skip("ChainKG data not found at ../shared/data/chainkg beside the repository")
    return folder


def map_template(store: GraphStore) -> tuple[Chain, list[InSegment]]:
    """Map the store's firms onto the built-in nev template, as ``chainscout chain map nev``."""
    chain = builtin_chain(CHAIN)
    result = map_firms(chain, makes=store.table("makes"), enterprises=store.table("enterprises"))
    return chain, [m.to_model() for m in result.memberships]


@pytest.fixture(scope="module")
def chainkg_reference() -> Iterator[GraphStore]:
    """ChainKG as ``chainscout load chainkg`` then ``chainscout chain map nev`` leave it, in
    the embedded store: what every store must answer."""
    with EmbeddedStore(":memory:") as s:
        load_chainkg(s, chainkg_folder())
        chain, memberships = map_template(s)
        s.upsert_chain(chain)
        s.upsert(memberships)
        yield s


@pytest.fixture(scope="module")
def chainkg_store(module_store: GraphStore, chainkg_reference: GraphStore) -> GraphStore:
    """The mapped ChainKG firms in each kind of store: what the loader wrote of the firms, the
    template and the memberships (everything a chain view reads). Products and product links are
    left out; they only decide the memberships, which are mapped once, in the reference."""
    loaded = GraphBatch.concat(chainkg_reference.export_tables())
    module_store.write(GraphBatch(enterprises=loaded.enterprises, supplies=loaded.supplies))
    module_store.upsert_chain(chainkg_reference.get_chain(CHAIN))
    module_store.write(GraphBatch(memberships=loaded.memberships))
    return module_store


def test_chainkg_firms_and_memberships_arrive(
    chainkg_store: GraphStore, chainkg_reference: GraphStore
) -> None:
    got, want = chainkg_store.counts(), chainkg_reference.counts()
    assert (got.enterprises, got.memberships, got.segments) == (
        want.enterprises,
        want.memberships,
        want.segments,
    )
    assert want.enterprises > 4000 and want.memberships > 500


@pytest.mark.parametrize("home", CHAINKG_HOMES)
def test_chainkg_views_and_gap_tables_agree(
    chainkg_store: GraphStore, chainkg_reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    view, ref = view_of(chainkg_store, home), view_of(chainkg_reference, home)
    assert view.ids.tolist() == ref.ids.tolist()
    assert view.is_local.tolist() == ref.is_local.tolist()
    for thresholds, basis in GAP_OPTIONS.values():
        got = gap_table(view, thresholds, size_basis=basis)
        assert got == gap_table(ref, thresholds, size_basis=basis)
    assert segment_coverage(view) == segment_coverage(ref)
    assert len(statuses(ref)) >= 3  # missing, weak and present at least


@pytest.mark.parametrize("home", CHAINKG_HOMES)
def test_chainkg_leaders_agree(
    chainkg_store: GraphStore, chainkg_reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    got = chain_leaders(view_of(chainkg_store, home), limit=1000)
    want = chain_leaders(view_of(chainkg_reference, home), limit=1000)
    assert got == want
    assert len(want.rows) >= 10


@pytest.mark.parametrize("ranking", ["defaults", "strict-thresholds", "yrd-preferred"])
@pytest.mark.parametrize("home", CHAINKG_HOMES)
def test_chainkg_target_rankings_agree(
    chainkg_store: GraphStore,
    chainkg_reference: GraphStore,
    home: str,
    ranking: str,
    view_of: ViewOf,
) -> None:
    params = RANKINGS[ranking]
    got = rank_targets(view_of(chainkg_store, home), params, limit=None)
    want = rank_targets(view_of(chainkg_reference, home), params, limit=None)
    assert got == want
    assert want.candidates > 100
    if ranking == "strict-thresholds":  # listed companies report no energy intensity
        assert want.excluded and not want.rows
    else:
        assert len({t.segment_status for t in want.rows}) >= 2


@pytest.mark.parametrize("home", CHAINKG_HOMES)
def test_chainkg_what_if_leakage_and_chokepoints_agree(
    chainkg_store: GraphStore, chainkg_reference: GraphStore, home: str, view_of: ViewOf
) -> None:
    view, ref = view_of(chainkg_store, home), view_of(chainkg_reference, home)
    land = [t.id for t in rank_targets(ref, limit=3).rows]
    got, want = what_if(view, land, rank=True), what_if(ref, land, rank=True)
    assert got == want
    assert want.landed == land and want.changes
    assert leakage_table(view) == leakage_table(ref)
    assert chokepoints(view) == chokepoints(ref)
    assert chokepoints(ref).segments
