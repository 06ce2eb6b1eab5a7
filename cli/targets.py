"""``chainscout targets``, ``chainscout path`` and ``chainscout whatif``: who to attract, who can
introduce us, and what landing them would change."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from chainscout.analysis.paths import path_between
from chainscout.analysis.targets import (
    EntryThresholds,
    TargetParams,
    TargetRanking,
    TargetWeights,
    rank_targets,
    weight_sensitivity,
)
from chainscout.analysis.whatif import what_if
from chainscout.graph.errors import BadInputError, NotFoundError
from chainscout.viz.exports import TARGET_COLUMNS, target_rows, targets_xlsx

from . import app
from .chains import ChainOpt, LangOpt, RegionOpt, _emit_csv, _lang, open_view
from .common import StoreOption, console, emit_json, escape


class TargetFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def parse_weights(text: str | None) -> TargetWeights:
    try:
        return TargetWeights.parse(text)
    except ValueError as err:
        raise BadInputError(f"--weights: {_first_error(err)}") from None


def parse_thresholds(text: str | None) -> EntryThresholds:
    try:
        return EntryThresholds.parse(text)
    except ValueError as err:
        raise BadInputError(f"--thresholds: {_first_error(err)}") from None


def _first_error(err: Exception) -> str:
    if isinstance(err, ValidationError):
        e = err.errors()[0]
        where = ".".join(str(x) for x in e["loc"])
        return f"{where}: {e['msg']}" if where else str(e["msg"]).removeprefix("Value error, ")
    return str(err)


WeightsOpt = Annotated[
    str | None,
    typer.Option(
        "--weights",
        help="A preset (balanced, fill, strengthen, extend) and/or factor=weight pairs for"
        " gap, pull, demand, quality, related, region: e.g. 'fill,region=0.2'.",
    ),
]
ThresholdsOpt = Annotated[
    str | None,
    typer.Option(
        "--thresholds",
        help="Entry thresholds: max_energy_intensity=0.8, min_env_rating=B, min_rd_share=0.03,"
        " require_high_tech=true, exclude_unknown=true.",
    ),
]
SegmentOpt = Annotated[
    str | None, typer.Option("--segment", help="Only candidates in this segment id.")
]
PredictLinksOpt = Annotated[
    int,
    typer.Option(
        "--predict-links",
        min=0,
        max=10_000,
        help="Also take the N strongest supply links predicted from the network itself"
        " (outside firm to local firm, paths of length 3); their firms say found_by"
        " predicted.",
    ),
]
RegionsOpt = Annotated[
    str | None,
    typer.Option(
        "--target-regions",
        help="Preferred target regions: 京津冀 (jjj), 长三角 (yrd), 粤港澳大湾区 (gba)"
        " and/or region codes, comma-separated.",
    ),
]


def _params(
    weights: str | None,
    thresholds: str | None,
    target_regions: str | None,
    only: bool,
    segment: str | None,
    predict_links: int = 0,
) -> TargetParams:
    regions: tuple[str, ...] = ()
    if target_regions:
        from chainscout.analysis.presets import REGION_PRESET_ALIASES, REGION_PRESETS

        items = [p.strip() for p in target_regions.split(",") if p.strip()]
        for item in items:
            name = REGION_PRESET_ALIASES.get(item.lower(), item)
            if name not in REGION_PRESETS:
                from chainscout.graph.regions import check_region_code

                try:
                    check_region_code(item)
                except ValueError as err:
                    raise BadInputError(f"--target-regions: {err}") from None
            regions += (item,)
    return TargetParams(
        weights=parse_weights(weights),
        thresholds=parse_thresholds(thresholds),
        target_regions=regions,
        only_target_regions=only,
        segment=segment,
        predict_links=predict_links,
    )


@app.command()
def targets(
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to show.")] = 20,
    segment: SegmentOpt = None,
    weights: WeightsOpt = None,
    thresholds: ThresholdsOpt = None,
    target_regions: RegionsOpt = None,
    only_target_regions: Annotated[
        bool, typer.Option("--only-target-regions", help="Filter to the target regions.")
    ] = False,
    predict_links: PredictLinksOpt = 0,
    excluded: Annotated[
        bool, typer.Option("--excluded", help="Also list the firms a threshold excluded.")
    ] = False,
    sensitivity: Annotated[
        bool, typer.Option("--sensitivity", help="Show how the top moves when a weight moves.")
    ] = False,
    output: Annotated[
        TargetFormat, typer.Option("--format", help="table, json, csv (stdout) or xlsx (-o).")
    ] = TargetFormat.table,
    out_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (required for xlsx).")
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Rank outside firms to attract for a chain and home region, every score explained."""
    language = _lang(lang)
    params = _params(
        weights, thresholds, target_regions, only_target_regions, segment, predict_links
    )
    view = open_view(store, chain, region)
    if segment is not None and segment not in view.segment_ids:
        chain_id = view.chain.id if view.chain else "the chain"
        raise NotFoundError(
            "segment", segment, hint=f"Segments of {chain_id}: see `chainscout gaps`."
        )
    ranking = rank_targets(view, params, limit=limit)
    moves = weight_sensitivity(view, params, top=min(limit, 20)) if sensitivity else None
    if output is TargetFormat.xlsx:
        if out_file is None:
            raise BadInputError("--format xlsx writes a file: pass -o targets.xlsx")
        targets_xlsx(ranking, out_file, lang=language)
        console.print(f"Wrote {len(ranking.rows)} targets to {escape(str(out_file))}")
        return
    if output is TargetFormat.json:
        payload: dict[str, Any] = ranking.model_dump(mode="json")
        if not excluded:
            payload["excluded"] = payload["excluded"][:0]
            payload["excluded_count"] = len(ranking.excluded)
        if moves is not None:
            payload["sensitivity"] = moves
        emit_json(payload)
        return
    if output is TargetFormat.csv:
        _emit_csv(TARGET_COLUMNS, target_rows(ranking, language))
        return
    _print_ranking(ranking, language, excluded, moves)


def _print_ranking(
    ranking: TargetRanking, lang: str, show_excluded: bool, moves: dict[str, dict[str, int]] | None
) -> None:
    zh = lang == "zh"
    table = Table(
        title=("招商目标" if zh else "Targets") + f" · {ranking.chain} · {ranking.home_region}",
        show_lines=True,
    )
    for col in ("#", "企业" if zh else "firm", "地区" if zh else "region",
                "环节" if zh else "segment", "得分" if zh else "score",
                "主要理由" if zh else "top reasons", "引荐" if zh else "introducer"):  # fmt: skip
        table.add_column(col)
    for t in ranking.rows:
        reasons = sorted(t.factors, key=lambda f: -f.contribution)[:3]
        why = ", ".join(f"{f.name} {f.contribution:.2f}" for f in reasons if f.contribution > 0)
        intro = t.introducer
        table.add_row(
            str(t.rank),
            escape(t.name),
            t.region or "",
            f"{escape(t.segment_name)} ({t.segment_status})",
            f"{t.score:.3f}",
            why,
            escape(f"{intro.introducer_name} ({intro.hops})") if intro else "-",
        )
    console.print(table)
    console.print(
        f"{ranking.candidates} candidates, {ranking.ranked} passed the thresholds,"
        f" {len(ranking.excluded)} excluded. Weights: "
        + ", ".join(f"{k} {v:.2f}" for k, v in ranking.weights.items())
    )
    for note in ranking.notes:
        console.print(f"Note: {escape(note)}")
    for t in ranking.rows[:3]:
        console.print(f"\n[bold]{t.rank}. {escape(t.name)}[/] score {t.score:.3f}")
        for f in sorted(t.factors, key=lambda f: -f.contribution):
            text = f.reason_zh if zh else f.reason
            console.print(
                f"  {f.contribution:.3f} = {f.value:.2f} × {f.weight:.2f} {f.name}: {escape(text)}"
            )
        if t.introducer:
            console.print(
                f"  introducer: {escape(t.introducer.text_zh if zh else t.introducer.text)}"
            )
    if show_excluded and ranking.excluded:
        ex = Table(title="excluded 未通过准入门槛")
        ex.add_column("firm")
        ex.add_column("region")
        ex.add_column("failed")
        for e in ranking.excluded:
            ex.add_row(escape(e.name), e.region or "", escape("; ".join(e.failed)))
        console.print(ex)
    if moves:
        mv = Table(title="sensitivity: one weight ±50%")
        mv.add_column("change")
        mv.add_column("left the top", justify="right")
        mv.add_column("largest move", justify="right")
        for key, value in moves.items():
            mv.add_row(key, str(value["left_top"]), str(value["max_move"]))
        console.print(mv)


@app.command()
def path(
    source: Annotated[str, typer.Argument(help="Enterprise id the path starts from.")],
    target: Annotated[str, typer.Argument(help="Enterprise id the path ends at.")],
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=6)] = 3,
    output: Annotated[
        TargetFormat, typer.Option("--format", help="table or json.")
    ] = TargetFormat.table,
    lang: LangOpt = None,
) -> None:
    """The shortest chain of supply links between two firms of a chain (either direction)."""
    view = open_view(store, chain, region)
    rows = view.rows_of([source, target])
    found = path_between(view, rows[0], rows[1], max_hops=max_hops)
    if output is TargetFormat.json:
        emit_json({"from": source, "to": target, "max_hops": max_hops, "path": found})
        return
    if found is None:
        console.print(f"No path of at most {max_hops} supply links from {source} to {target}.")
        raise typer.Exit(1)
    console.print(escape(found.text_zh if _lang(lang) == "zh" else found.text))
    console.print(f"{found.hops} link(s).")


@app.command()
def whatif(
    land: Annotated[str, typer.Option("--land", help="Enterprise ids to land, comma-separated.")],
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    output: Annotated[
        TargetFormat, typer.Option("--format", help="table or json.")
    ] = TargetFormat.table,
) -> None:
    """What if these firms came: the segments whose gap status changes."""
    firms = [f.strip() for f in land.split(",") if f.strip()]
    if not firms:
        raise BadInputError("--land: give at least one enterprise id")
    view = open_view(store, chain, region)
    result = what_if(view, firms)
    if output is TargetFormat.json:
        emit_json(result.model_dump(mode="json", exclude={"gaps_before", "gaps_after"}))
        return
    if not result.changes:
        console.print("No segment changes status.")
        return
    table = Table(title=f"What if {len(firms)} firm(s) landed in {view.home_region}")
    for col in ("segment", "before", "after", "local firms", "reason after"):
        table.add_column(col)
    for c in result.changes:
        table.add_row(
            escape(c.name), c.before, c.after,
            f"{c.local_firms_before} → {c.local_firms_after}", escape(c.reason_after),
        )  # fmt: skip
    console.print(table)
