"""``chainscout demo``: build the demo city's store and make it the default."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chainscout.analysis.coverage import segment_coverage
from chainscout.graph import open_store
from chainscout.graph.errors import BadInputError, ChainScoutError
from chainscout.loaders.demo import DEMO_CITY, DemoSpec, build_demo_store
from chainscout.settings import data_dir, save_defaults

from . import app
from .common import FormatOption, OutputFormat, StoreOption, console, emit_json, settings


@app.command()
def demo(
    store: StoreOption = None,
    firms: Annotated[int, typer.Option(help="Number of firms to generate.", min=50)] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same city.")] = (
        DemoSpec.seed
    ),
    output: FormatOption = OutputFormat.table,
) -> None:
    """Build the demo store: 星澜市, a fictional city, and its new-energy-vehicle chain.

    The data is synthetic and labelled so. The store becomes the default for later commands,
    with 星澜市 (349900) as home region and `nev` as chain.
    """
    path = Path(store).expanduser() if store else data_dir() / "demo.duckdb"
    started = time.perf_counter()
    _replace_demo_store(path)
    with open_store(path) as s:
        summary = build_demo_store(s, DemoSpec(firms=firms, seed=seed))
        counts = s.counts()
        view = s.view("nev", DEMO_CITY.code)
        coverage = segment_coverage(view)
    config = save_defaults(store=str(path), home_region=DEMO_CITY.code, chain="nev")
    elapsed = time.perf_counter() - started
    if output is OutputFormat.json:
        emit_json(
            {
                "store": str(path),
                "config": str(config),
                "home_region": DEMO_CITY.code,
                "chain": "nev",
                "counts": counts,
                "written": summary,
                "segments": coverage,
            }
        )
        return
    lang = settings().lang
    console.print(
        f"[bold]Demo store built[/] in {elapsed:.1f} s: {path}\n"
        f"Synthetic data: {DEMO_CITY.name} (code {DEMO_CITY.code}) is fictional, and so are all"
        " firm names."
    )
    console.print(
        f"{counts.enterprises:,} enterprises ({int(view.is_local.sum()):,} local),"
        f" {counts.supplies:,} supply links, {counts.memberships:,} segment memberships,"
        f" {counts.investments:,} equity links, {counts.segments} segments in 1 chain."
    )
    table = Table(title="新能源汽车与动力电池 · local firms per segment (upstream first)")
    table.add_column("#", justify="right")
    table.add_column("segment 环节")
    table.add_column("local 本地", justify="right")
    table.add_column("all 全部", justify="right")
    table.add_column("local revenue share", justify="right")
    for i, row in enumerate(coverage, start=1):
        name = row.name if lang == "zh" or not row.name_en else f"{row.name} {row.name_en}"
        share = "-" if row.local_revenue_share is None else f"{row.local_revenue_share:.1%}"
        style = "red" if row.local_firms == 0 else None
        table.add_row(str(i), name, str(row.local_firms), str(row.firms), share, style=style)
    console.print(table)
    console.print(
        f"Defaults saved to {config}: store, home region {DEMO_CITY.code}, chain nev.\n"
        "Next: [bold]chainscout info[/] to see what the store holds."
    )


def _replace_demo_store(path: Path) -> None:
    """Remove an earlier demo store at ``path``; refuse to touch a store of real data."""
    if not path.exists():
        return
    try:
        with open_store(path, read_only=True) as old:
            is_demo = old.get_meta("demo") is not None
    except ChainScoutError:
        is_demo = False
    if not is_demo:
        raise BadInputError(
            f"{path} holds a store that is not the demo; the demo will not overwrite it."
            " Pass another --store for the demo."
        )
    path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()
