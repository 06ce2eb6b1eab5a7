"""Export and re-import: CSV, JSON Lines and GraphML keep every text as it was."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainscout.graph import Enterprise, GraphStore, InvestsIn, Supplies, open_store
from chainscout.loaders.export import export_store, load_export, load_graphml

NASTY = [
    'He said "hello"',
    "O'Brien & Sons",
    "<script>alert('x')</script>",
    "第一行\n第二行",
    "windows\r\nline",
    "逗号,分号;顿号、",
    '["not a list"]',
    "  ",
]


def _tables(store: GraphStore) -> dict[str, pa.Table]:
    return {n: store.table(n) for n in ("enterprises", "supplies", "investments")}


def _fill(store: GraphStore, names: list[str]) -> None:
    firms = [Enterprise(id=f"t:{i}", name=f"n{i}" if not n.strip() else n,
                        aliases=tuple(x for x in (n, "别名") if x.strip()), address=n.strip() or None,
                        tags=("专精特新",), revenue=1.5 * i, region="440300")
             for i, n in enumerate(names)]  # fmt: skip
    links = [Supplies(supplier=f"t:{i}", customer=f"t:{i + 1}", source=names[i].strip() or None,
                      share=0.25) for i in range(len(names) - 1)]  # fmt: skip
    invest = [InvestsIn(investor="t:0", investee=f"t:{len(names) - 1}", share=0.5)] \
        if len(names) > 1 else []  # fmt: skip
    store.upsert([*firms, *links, *invest])


def _round_trip(store: GraphStore, fmt: str, folder: Path) -> dict[str, pa.Table]:
    target = folder / ("g.graphml" if fmt == "graphml" else fmt)
    export_store(store, fmt, target)
    with open_store(":memory:") as fresh:
        if fmt == "graphml":
            load_graphml(fresh, target)
        else:
            load_export(fresh, target)
        out = _tables(fresh)
        again = load_graphml(fresh, target) if fmt == "graphml" else load_export(fresh, target)
        assert again.changed == 0
    return out


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "graphml"])
def test_nasty_names_survive_export_and_reimport(
    fmt: str, tmp_path: Path, store: GraphStore
) -> None:
    _fill(store, NASTY)
    before = _tables(store)
    after = _round_trip(store, fmt, tmp_path)
    for name, table in before.items():
        assert after[name].equals(table), name
    assert store.get_enterprise("t:2").name == "<script>alert('x')</script>"


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list("\n\"',<>&")),
               min_size=1, max_size=12).filter(lambda t: t.strip() == t and t.strip())  # fmt: skip


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(TEXT, min_size=1, max_size=5, unique=True),
    fmt=st.sampled_from(["csv", "jsonl", "graphml"]),
)
def test_round_trip_property(
    names: list[str], fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with open_store(":memory:") as store:
        _fill(store, names)
        before = _tables(store)
        after = _round_trip(store, fmt, tmp_path_factory.mktemp("rt"))
    for name, table in before.items():
        assert after[name].equals(table), (name, names)


def test_export_cli_and_load_cli_json(tmp_path: Path, isolated_config: Path) -> None:
    import json

    from typer.testing import CliRunner

    from chainscout.cli import app

    db = tmp_path / "s.duckdb"
    with open_store(db) as s:
        _fill(s, NASTY)
    runner = CliRunner()
    result = runner.invoke(app, ["export", "csv", str(tmp_path / "out"), "--store", str(db),
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["enterprises"] == len(NASTY)
    result = runner.invoke(app, ["load", "table", str(tmp_path / "out"), "--store",
                                 str(tmp_path / "t.duckdb"), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["counts"]["enterprises"] == len(NASTY) and payload["load"]["rejected"] == 0
