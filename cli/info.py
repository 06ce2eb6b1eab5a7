"""``chainscout info``: what a store holds."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.compute as pc
from rich.table import Table

from chainscout.graph.regions import check_region_code
from chainscout.graph.store import GraphStore

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
        regions = _region_coverage(s) if counts.enterprises else None
    payload = {
        "store": location,
        "demo": demo,
        "counts": counts.model_dump(),
        "home_region": home,
        "home_region_name": home_name,
        "local_enterprises": local,
        "enterprise_regions": regions,
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
    if regions:
        console.print(
            f"Enterprises with a region: {regions['with_region']:,} of {counts.enterprises:,}"
            f" (province or finer {regions['province']:,}, city or finer {regions['city']:,},"
            f" county {regions['county']:,}, abroad {regions['abroad']:,});"
            f" listed companies {regions['listed']:,}"
        )
        rule_counts = regions["rules"]
        assert isinstance(rule_counts, dict)
        for source, rules in rule_counts.items():
            text = ", ".join(f"{k} {v:,}" for k, v in rules.items())
            console.print(f"  regions of {escape(source)} by rule: {escape(text)}")
    if home:
        console.print(
            f"Home region {home} {escape(home_name or '')}: {local:,} local enterprises"
            if local is not None
            else f"Home region {home}"
        )
    for c in chains:
        console.print(f"Chain [bold]{escape(c.id)}[/] {escape(c.name)}: {len(c.segments)} segments")


def _region_coverage(s: GraphStore) -> dict[str, object]:
    """How many firms have a region, at which level, and the rules of each source's loads."""
    table = s.table("enterprises").select(["region", "tags"])
    region = table["region"]
    division = np.asarray(pc.fill_null(pc.match_substring_regex(region, r"^\d{6}$"), False))
    has = np.asarray(pc.is_valid(region))
    ends = np.asarray(pc.fill_null(pc.ends_with(region, "0000"), False))
    ends00 = np.asarray(pc.fill_null(pc.ends_with(region, "00"), False))
    listed = np.array(["上市公司" in (t or ()) for t in table["tags"].to_pylist()], dtype=bool)
    return {
        "with_region": int(has.sum()),
        "province": int(division.sum()),
        "city": int((division & ~ends).sum()),
        "county": int((division & ~ends00).sum()),
        "abroad": int((has & ~division).sum()),
        "listed": int(listed.sum()),
        "rules": json.loads(s.get_meta("region_rules") or "{}"),
    }
