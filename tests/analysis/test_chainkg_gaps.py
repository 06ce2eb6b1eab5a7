"""The power-battery template on ChainKG's listed companies, home 安徽 then 广东.

The segment counts are recomputed here straight from the raw JSON files with plain loops (the
mapping rules of ``analysis.mapping`` applied by hand); only the firms' regions are taken from
the store, as the ChainKG loader resolved them from the full names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainscout.analysis.gaps import GapStatus, gap_table
from chainscout.analysis.mapping import map_firms
from chainscout.graph import open_store
from chainscout.graph.regions import is_within
from chainscout.loaders.chains import builtin_chain

CHAINKG = Path(__file__).resolve().parents[3] / "shared" / "data" / "chainkg"
CHECKED = ("nev.battery_cell", "nev.vehicle", "nev.tyre", "nev.chassis", "nev.magnet",
           "nev.lithium_salt", "nev.cathode")  # fmt: skip

pytestmark = pytest.mark.slow


def _lines(name: str) -> Iterator[dict]:
    with (CHAINKG / name).open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@pytest.fixture(scope="module")
def chainkg_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CHAINKG / "company.json").is_file():
        pytest.skip(f"ChainKG data not found at {CHAINKG} (the shared data folder is absent)")
    try:
        from chainscout.loaders.chainkg import load_chainkg
    except ImportError:
        pytest.skip("ChainKG loader not available (chainscout.loaders.chainkg)")
    path = tmp_path_factory.mktemp("chainkg") / "chainkg.duckdb"
    chain = builtin_chain("nev")
    with open_store(path) as store:
        load_chainkg(store, CHAINKG)
        result = map_firms(
            chain, makes=store.table("makes"), enterprises=store.table("enterprises")
        )
        store.upsert_chain(chain)
        store.upsert([m.to_model() for m in result.memberships])
    return path


def _independent_counts() -> dict[str, set[str]]:
    """Stock codes per segment of the nev template, from the raw files."""
    chain = builtin_chain("nev")
    short_to_codes: dict[str, set[str]] = {}
    listed: set[str] = set()
    for obj in _lines("company.json"):
        code = re.match(r"\d{6}", str(obj.get("code", "")).strip())
        if code:
            listed.add(code.group(0))
        if code and str(obj.get("name", "")).strip():
            short_to_codes.setdefault(obj["name"].strip(), set()).add(code.group(0))
    products: dict[str, dict[str, float | None]] = {}
    for obj in _lines("company_product.json"):
        codes = short_to_codes.get(str(obj.get("company_name", "")).strip(), set())
        product = str(obj.get("product_name", "")).strip()
        if len(codes) != 1 or not product:
            continue
        try:
            weight: float | None = float(obj.get("rel_weight"))
        except (TypeError, ValueError):
            continue
        if weight != weight:
            weight = None
        elif weight is not None:
            weight = min(1.0, max(0.0, weight))
        products.setdefault(next(iter(codes)), {})[product] = weight
    industries: dict[str, set[str]] = {}
    for obj in _lines("company_industry.json"):
        code = re.match(r"\d{6}", str(obj.get("company_code", "")))
        if code and code.group(0) in listed:  # 103 rows name a company that is not listed
            industries.setdefault(code.group(0), set()).add(str(obj.get("industry_code")))

    def best_segments(product: str) -> list[str]:
        best, hits = 0, []
        for seg in chain.segments:
            for kw in seg.keywords:
                exact = kw.startswith("=")
                if (product == kw[1:]) if exact else (kw in product):
                    score = 10_000 + len(kw) if exact else len(kw)
                    if score > best:
                        best, hits = score, [seg.id]
                    elif score == best and seg.id not in hits:
                        hits.append(seg.id)
        return hits

    out: dict[str, set[str]] = {s.id: set() for s in chain.segments}
    placed: set[str] = set()
    for code, made in products.items():
        n = len(made)
        shares = {p: (1.0 / n if w is None else w) for p, w in made.items()}
        for product, share in shares.items():
            segs = best_segments(product)
            if segs:
                placed.add(code)
            if share > 0:
                for s in segs:
                    out[s].add(code)
    for code, codes in industries.items():
        if code in placed:
            continue
        for seg in chain.segments:
            if codes & set(seg.industry_codes):
                out[seg.id].add(code)
    return out


@pytest.fixture(scope="module")
def expected() -> dict[str, set[str]]:
    return _independent_counts()


@pytest.mark.parametrize("home", ["340000", "440000"])
def test_gap_counts_match_the_raw_files(chainkg_store: Path, expected, home: str) -> None:
    with open_store(chainkg_store, read_only=True) as store:
        view = store.view("nev", home)
        ents = store.table("enterprises")
    region = dict(zip(ents["id"].to_pylist(), ents["region"].to_pylist(), strict=True))
    rows = {r.segment: r for r in gap_table(view).rows}
    for seg in CHECKED:
        firms = expected[seg]
        local = {c for c in firms if is_within(region.get(f"stock:{c}"), home)}
        assert (rows[seg].firms, rows[seg].local_firms) == (len(firms), len(local)), seg
    assert sum(len(expected[s]) > 0 for s in CHECKED) == len(CHECKED)


def test_anhui_and_guangdong_get_different_gap_tables(chainkg_store: Path) -> None:
    with open_store(chainkg_store, read_only=True) as store:
        anhui = gap_table(store.view("nev", "340000"))
        guangdong = gap_table(store.view("nev", "440000"))
    a = [(r.segment, r.status, r.local_firms) for r in anhui.rows]
    g = [(r.segment, r.status, r.local_firms) for r in guangdong.rows]
    assert a != g
    assert [r.firms for r in anhui.rows] == [r.firms for r in guangdong.rows]  # the same pool
    assert guangdong.chain_local_firms > anhui.chain_local_firms
    assert sum(r.status is not GapStatus.MISSING for r in guangdong.rows) > sum(
        r.status is not GapStatus.MISSING for r in anhui.rows
    )


def test_chain_build_around_lithium_carbonate_on_chainkg(chainkg_store: Path) -> None:
    from chainscout.analysis.derive import derive_chain

    with open_store(chainkg_store, read_only=True) as store:
        derived = derive_chain(
            store.table("product_links"), focal="碳酸锂", makes=store.table("makes"),
            enterprises=store.table("enterprises"), chain_id="li",
        )  # fmt: skip
    names = {n.name for n in derived.nodes}
    assert "碳酸锂" in names and len(names) >= 4
    assert derived.dropped, "ChainKG's product chain is noisy: something must be pruned"
    assert len(derived.chain.ordered_segments()) == len(derived.chain.segments)
