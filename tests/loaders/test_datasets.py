"""The real public datasets (ChainKG, GDES), where the shared data folder is present."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainscout.graph import GraphStore, open_store
from chainscout.loaders.chainkg import load_chainkg
from chainscout.loaders.gdes import load_gdes

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CHAINKG = DATA / "chainkg"
GDES = DATA / "gdes"


def _need(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the real datasets live beside the repository")


@pytest.fixture(scope="module")
def chainkg_store() -> Iterator[GraphStore]:
    _need(CHAINKG)
    with open_store(":memory:") as store:
        store.__dict__["_report"] = load_chainkg(store, CHAINKG)
        yield store


def test_chainkg_figures(chainkg_store: GraphStore) -> None:
    report = chainkg_store.__dict__["_report"]
    counts = chainkg_store.counts()
    assert report.counts["company_lines"] == 4654
    assert counts.enterprises == report.counts["companies"] == 4586
    # industry.json holds 511 records; its last line has no line break, so `wc -l` says 510
    assert counts.industries == 511
    assert report.rejected_by_reason["unknown_company"] == 103
    assert report.rejected_by_reason["self_loop"] == 108
    assert report.rejected_by_reason["ambiguous_company"] > 0
    assert counts.makes > 50_000 and counts.product_links > 100_000
    assert counts.industry_links == report.counts["industry_links"] > 5000
    assert sum(report.region_rules.values()) + report.regions_unresolved == 4586
    assert report.region_rules["name_prefix"] > 2900


def test_chainkg_contract(chainkg_store: GraphStore) -> None:
    firm = chainkg_store.get_enterprise("stock:301079")
    assert firm.name == "邵阳维克液压股份有限公司" and "邵阳液压" in firm.aliases
    assert "上市公司" in firm.tags and firm.region == "430500"
    assert all(len(code) == 6 for code in firm.industries)
    industries = {r["code"]: r for r in chainkg_store.table("industries").to_pylist()}
    assert industries["110000"]["level"] == 1 and industries["110100"]["parent"] == "110000"
    assert industries["110101"]["level"] == 3 and industries["110101"]["scheme"] == "SW2021"
    makes = chainkg_store.table("makes")
    shares = [s for s in makes["share"].to_pylist() if s is not None]
    assert min(shares) >= 0 and max(shares) <= 1
    relations = set(chainkg_store.table("product_links")["relation"].to_pylist())
    assert relations == {"upstream_material", "subtype", "downstream"}
    products = makes["product"].to_pylist()
    assert any("\n" in p for p in products)


def test_chainkg_reload_changes_nothing(chainkg_store: GraphStore) -> None:
    assert load_chainkg(chainkg_store, CHAINKG).changed == 0


@pytest.mark.slow
def test_gdes_all_snapshots(tmp_path: Path) -> None:
    _need(GDES)
    with open_store(tmp_path / "g.duckdb") as store:
        report = load_gdes(store, GDES, report_path=tmp_path / "r.csv")
        assert report.counts["snapshots"] == 16
        assert report.counts["firms"] == store.counts().enterprises == 87_969
        assert report.rejected_by_reason == {"self_loop": report.counts["self_loops"]}
        assert report.counts["self_loops"] > 0
        assert store.counts().supplies == report.counts["links"]
        link = store.table("supplies").slice(0, 1).to_pylist()[0]
        assert link["seen"] and link["since"] == min(link["seen"])
        assert load_gdes(store, GDES).changed == 0
    assert "self_loop" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")


def test_cli_chainkg_then_info(tmp_path: Path, isolated_config: Path) -> None:
    _need(CHAINKG)
    from typer.testing import CliRunner

    from chainscout.cli import app

    db = str(tmp_path / "kg.duckdb")
    runner = CliRunner()
    result = runner.invoke(
        app, ["load", "chainkg", str(CHAINKG), "--store", db, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["load"]["counts"]["companies"] == 4586
    result = runner.invoke(app, ["info", "--store", db, "--format", "json"])
    info = json.loads(result.stdout)
    assert info["counts"]["enterprises"] == 4586
    assert info["enterprise_regions"]["province"] > 2900
    assert "chainkg" in info["enterprise_regions"]["rules"]
