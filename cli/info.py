"""``chainscout info``: what a store holds."""

from __future__ import annotations

from rich.table import Table

from chainscout.graph.regions import check_region_code

from . import app
from .common import (
    FormatOption,
    OutputFormat,
    StoreOption,
    console,
    emit_json,
    escape,
    open_configured_store,
    settings,
)


@app.command()
def info(store: StoreOption = None, output: FormatOption = OutputFormat.table) -> None:
    """Print what a store holds: counts, chains, the home region and its local firms."""
    cfg = settings()
    with open_configured_store(store, read_only=True) as s:
        counts = s.counts()
        chains = s.list_chains()
        demo = s.get_meta("demo")
        home = cfg.home_region or s.get_meta("home_region")
        local = None
        home_name = None
        if home:
            home = check_region_code(home)
            local = s.local_count(home)
            home_name = next((r.name for r in s.list_regions() if r.code == home), None)
        location = s.location
    payload = {
        "store": location,
        "demo": demo,
        "counts": counts.model_dump(),
        "home_region": home,
        "home_region_name": home_name,
        "local_enterprises": local,
        "chains": [
            {"id": c.id, "name": c.name, "name_en": c.name_en, "segments": len(c.segments)}
            for c in chains
        ],
    }
    if output is OutputFormat.json:
        emit_json(payload)
        return
    console.print(f"[bold]Store[/] {escape(location)}")
    if demo:
        console.print(f"Synthetic demo data ({escape(demo)}).")
    table = Table(show_header=False, box=None)
    for key, value in counts.model_dump().items():
        table.add_row(key, f"{value:,}")
    console.print(table)
    if home:
        console.print(
            f"Home region {home} {escape(home_name or '')}: {local:,} local enterprises"
            if local is not None
            else f"Home region {home}"
        )
    for c in chains:
        console.print(f"Chain [bold]{escape(c.id)}[/] {escape(c.name)}: {len(c.segments)} segments")
