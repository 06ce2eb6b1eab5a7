"""The chain commands end to end: demo store, gaps, leaders, chains, chain map, chain build."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from chainscout.cli import main
from chainscout.graph import Enterprise, Makes, ProductLink, open_store
from chainscout.loaders.chains import read_chain


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHAINSCOUT_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CHAINSCOUT_DATA_DIR", str(tmp_path / "data"))
    for var in ("CHAINSCOUT_STORE", "CHAINSCOUT_HOME_REGION", "CHAINSCOUT_CHAIN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CHAINSCOUT_LANG", "en")
    monkeypatch.setenv("COLUMNS", "250")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    assert done.value.code in (0, None), captured.err
    return captured.out


def test_after_demo_gaps_needs_no_flags(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "demo", "--firms", "800")
    table = run(capsys, "gaps")
    assert "chain gaps" in table and "missing" in table and "no local firm among" in table
    payload = json.loads(run(capsys, "gaps", "--format", "json"))
    assert payload["chain"] == "nev" and payload["home_region"] == "349900"
    assert len(payload["rows"]) == 37
    rows = list(csv.DictReader(io.StringIO(run(capsys, "gaps", "--format", "csv"))))
    assert [r["segment"] for r in rows] == [r["segment"] for r in payload["rows"]]
    assert {r["status"] for r in rows} <= {"missing", "weak", "present", "strong"}
    zh = list(csv.DictReader(io.StringIO(run(capsys, "gaps", "--format", "csv", "--lang", "zh"))))
    assert any("本地无企业" in r["reason"] for r in zh)
    assert "缺链" in run(capsys, "gaps", "--lang", "zh")
    strict = json.loads(run(capsys, "gaps", "--format", "json", "--weak-lq", "0.9"))
    weak = lambda p: sum(r["status"] == "weak" for r in p["rows"])  # noqa: E731
    assert weak(strict) >= weak(payload)


def test_leaders_and_other_tables(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "demo", "--firms", "800")
    payload = json.loads(run(capsys, "leaders", "--format", "json", "--limit", "5"))
    assert len(payload["rows"]) == 5 and payload["centrality_converged"]
    assert all(r["region"].startswith("3499") for r in payload["rows"])
    assert [r["rank"] for r in payload["rows"]] == [1, 2, 3, 4, 5]
    assert "Chain leaders" in run(capsys, "leaders", "--limit", "3")
    rows = list(csv.DictReader(io.StringIO(run(capsys, "leaders", "--format", "csv"))))
    assert "size_contribution" in rows[0]
    leak = json.loads(run(capsys, "leakage", "--format", "json"))
    assert len(leak["rows"]) == 37
    chokes = json.loads(run(capsys, "chokepoints", "--format", "json"))
    assert len(chokes["segments"]) == 37
    listed = json.loads(run(capsys, "chains", "--format", "json"))
    where = {c["id"]: c["where"] for c in listed}
    assert where["nev"] == "store + built-in" and where["pv"] == "built-in"


def test_errors_are_clear(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = env / "empty.duckdb"
    with open_store(store):
        pass
    with pytest.raises(SystemExit) as exit_:
        main(["gaps", "--store", str(store)])
    assert exit_.value.code == 2
    assert "no chain given" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["gaps", "--store", str(store), "--chain", "pv", "--region", "440300"])
    assert "chainscout chain map pv" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["gaps", "--store", str(store), "--chain", "pv", "--region", "99"])
    assert "--region" in capsys.readouterr().err


def _small_store(path: Path) -> None:
    firms = [
        Enterprise(id="a", name="甲锂业", region="340100"),
        Enterprise(id="b", name="乙材料", region="440300"),
        Enterprise(id="c", name="丙电池", region="340200", industries=("630701",)),
        Enterprise(id="d", name="丁矿业", region="510100"),
    ]
    makes = [Makes(enterprise="a", product="碳酸锂", share=0.9),
             Makes(enterprise="b", product="磷酸铁锂正极材料", share=1.0),
             Makes(enterprise="d", product="锂辉石", share=1.0)]  # fmt: skip
    links = [
        ProductLink(product="碳酸锂", related="锂辉石", relation="upstream_material"),
        ProductLink(product="正极材料", related="碳酸锂", relation="upstream_material"),
        ProductLink(product="磷酸铁锂正极材料", related="碳酸锂", relation="upstream_material"),
        ProductLink(product="碳酸锂", related="无人生产", relation="upstream_material"),
    ]
    with open_store(path) as s:
        s.upsert([*firms, *makes, *links])


def test_chain_map_writes_memberships_then_gaps_work(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = env / "s.duckdb"
    _small_store(store)
    out = json.loads(run(capsys, "chain", "map", "nev", "--store", str(store), "--format", "json"))
    got = {(m["enterprise"], m["segment"], m["rule"]) for m in out["memberships"]}
    assert got == {
        ("a", "nev.lithium_salt", "keyword"),
        ("b", "nev.cathode", "keyword"),
        ("c", "nev.battery_cell", "industry"),
        ("d", "nev.lithium_ore", "keyword"),
    }
    assert out["written"] is True
    gaps = json.loads(
        run(capsys, "gaps", "--store", str(store), "--chain", "nev", "--region", "340000",
            "--format", "json")
    )  # fmt: skip
    by = {r["segment"]: r for r in gaps["rows"]}
    assert by["nev.lithium_salt"]["local_firms"] == 1 and by["nev.cathode"]["local_firms"] == 0
    dry = json.loads(
        run(capsys, "chain", "map", "pv", "--store", str(store), "--dry-run", "--format", "json")
    )
    assert dry["written"] is False and dry["memberships"] == []


def test_chain_build_prints_saves_and_stores(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = env / "s.duckdb"
    _small_store(store)
    saved = env / "out" / "li.json"
    text = run(capsys, "chain", "build", "--product", "碳酸锂", "--store", str(store),
               "--id", "li", "--save", str(saved), "--store-chain")  # fmt: skip
    assert "kept segments" in text and "pruned" in text and "无人生产" in text
    chain = read_chain(saved)
    assert chain.id == "li" and {s.name for s in chain.segments} >= {"碳酸锂", "锂辉石"}
    payload = json.loads(
        run(capsys, "chain", "build", "--product", "碳酸锂", "--store", str(store), "--id", "li",
            "--format", "json")
    )  # fmt: skip
    assert payload["template"]["id"] == "li"
    assert any(d["name"] == "无人生产" for d in payload["dropped"])
    listed = json.loads(run(capsys, "chains", "--store", str(store), "--format", "json"))
    assert "li" in {c["id"] for c in listed}
    with pytest.raises(SystemExit):
        main(["chain", "build", "--store", str(store)])
    assert "exactly one of --product and --industry" in capsys.readouterr().err
