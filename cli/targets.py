"""``chainscout targets``, ``chainscout path`` and ``chainscout whatif``: who to attract, who can
introduce us, and what landing them would change."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from pydantic import ValidationError
from rich.table import Table

from chainscout.analysis.paths import path_between
from chainscout.analysis.targets import (
    EntryThresholds,
    TargetParams,
    TargetRanking,
    TargetWeights,
    chain_leaders,
    rank_targets,
    weight_sensitivity,
)
from chainscout.analysis.whatif import what_if
from chainscout.graph.errors import BadInputError, NotFoundError, problem_text
from chainscout.graph.view import ChainView
from chainscout.viz.exports import (
    TARGET_COLUMNS,
    Contacts,
    target_contacts,
    target_rows,
    targets_xlsx,
)

from . import app
from .chains import ChainOpt, LangOpt, RegionOpt, _lang, csv_text, open_view
from .common import (
    StoreOption,
    console,
    emit_json,
    err_console,
    escape,
    json_text,
    open_configured_store,
    write_output,
)


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
    return problem_text(err) if isinstance(err, ValidationError) else str(err)


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
        " min_investment_intensity=300 and min_tax_per_mu=20 (标准地, 万元/亩),"
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
                    raise BadInputError(
                        f"--target-regions: {err}; or a preset: 京津冀 (jjj), 长三角 (yrd),"
                        " 粤港澳大湾区 (gba)"
                    ) from None
            regions += (item,)
    if only and not regions:
        raise BadInputError("--only-target-regions filters to --target-regions: give them too")
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
        Path | None,
        typer.Option("-o", "--output", help="File to write csv, json or xlsx to (xlsx needs it)."),
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
    content: str | bytes
    if output is TargetFormat.xlsx:
        if out_file is None:
            raise BadInputError("--format xlsx writes a file: pass -o targets.xlsx")
        content = targets_xlsx(ranking, lang=language, contacts=_contacts(store, ranking))
    elif output is TargetFormat.json:
        payload: dict[str, Any] = ranking.model_dump(mode="json")
        if not excluded:
            payload["excluded"] = payload["excluded"][:0]
        payload["excluded_count"] = len(ranking.excluded)
        if moves is not None:
            payload["sensitivity"] = moves
        content = json_text(payload) + "\n"
    elif output is TargetFormat.csv:
        content = csv_text(
            TARGET_COLUMNS, target_rows(ranking, language, _contacts(store, ranking))
        )
    else:
        if out_file is not None:
            raise BadInputError("-o writes csv, json or xlsx: add --format csv, json or xlsx")
        _print_ranking(ranking, language, excluded, moves)
        return
    if out_file is None:  # json and csv go to stdout alone
        typer.echo(content, nl=False)
        return
    write_output(out_file, content)
    err_console.print(f"Wrote {len(ranking.rows)} targets to {escape(str(out_file))}")


def _contacts(store: str | None, ranking: TargetRanking) -> Contacts:
    """The contacts of the targets shown, from the store the view came from (opened read-only
    again: the ranking itself carries no contact data)."""
    if not ranking.rows:
        return {}
    with open_configured_store(store, read_only=True) as s:
        return target_contacts(s, ranking)


def _print_ranking(
    ranking: TargetRanking, lang: str, show_excluded: bool, moves: dict[str, dict[str, Any]] | None
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
    warned = [t for t in ranking.rows if t.warnings]
    if warned:
        console.print("\n" + ("提示" if zh else "Warnings") + ":")
        for t in warned:
            console.print(f"  {t.rank}. {escape(t.name)}: {escape('; '.join(t.warnings))}")
    if show_excluded and ranking.excluded:
        ex = Table(title="excluded 未通过准入门槛")
        ex.add_column("firm")
        ex.add_column("region")
        ex.add_column("failed")
        for e in ranking.excluded:
            ex.add_row(escape(e.name), e.region or "", escape("; ".join(e.failed)))
        console.print(ex)
    if moves:
        top = min(len(ranking.rows), 20)
        mv = Table(title=f"sensitivity: one weight ±50%, the top {top}")
        mv.add_column("change")
        mv.add_column("left the top", justify="right")
        mv.add_column("largest move", justify="right")
        mv.add_column("entered (rank before → after)")
        mv.add_column("left (rank before)")
        for key, value in moves.items():
            entered = ", ".join(
                f"{e['name']} ({e['rank_before']} → {e['rank_after']})" for e in value["entered"]
            )
            left = ", ".join(f"{e['name']} ({e['rank_before']})" for e in value["left"])
            mv.add_row(
                key, str(value["left_top"]), str(value["max_move"]), escape(entered), escape(left)
            )
        console.print(mv)


@app.command()
def path(
    source: Annotated[str, typer.Argument(help="Enterprise id (or exact name) it starts from.")],
    target: Annotated[str, typer.Argument(help="Enterprise id (or exact name) it ends at.")],
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=6)] = 3,
    output: Annotated[
        TargetFormat, typer.Option("--format", help="table or json.")
    ] = TargetFormat.table,
    lang: LangOpt = None,
) -> None:
    """The shortest chain of supply links between two firms of a chain (either direction).
    Each firm is an enterprise id or its exact name."""
    _table_or_json(output)
    view = open_view(store, chain, region)
    rows = [firm_row(view, source), firm_row(view, target)]
    found = path_between(view, rows[0], rows[1], max_hops=max_hops, leaders=chain_leaders(view))
    if output is TargetFormat.json:
        emit_json({"from": source, "to": target, "max_hops": max_hops, "path": found})
        return
    if found is None:
        names = " to ".join(escape(str(view.names[r])) for r in rows)
        hint = (
            f" Try --max-hops {max_hops + 1}." if max_hops < 6 else " They are not linked closely."
        )
        console.print(f"No path of at most {max_hops} supply links from {names}.{hint}")
        raise typer.Exit(1)
    console.print(escape(found.text_zh if _lang(lang) == "zh" else found.text))
    console.print(f"{found.hops} link(s).")


@app.command()
def whatif(
    land: Annotated[str, typer.Option("--land", help="Enterprise ids to land, comma-separated.")],
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Targets compared before and after.")
    ] = 10,
    weights: WeightsOpt = None,
    thresholds: ThresholdsOpt = None,
    target_regions: RegionsOpt = None,
    output: Annotated[
        TargetFormat, typer.Option("--format", help="table or json.")
    ] = TargetFormat.table,
) -> None:
    """What if these firms came: the segments whose gap status changes, and the ranking of the
    remaining targets."""
    firms = [f.strip() for f in land.split(",") if f.strip()]
    if not firms:
        raise BadInputError("--land: give at least one enterprise id")
    _table_or_json(output)
    params = _params(weights, thresholds, target_regions, False, None)
    view = open_view(store, chain, region)
    result = what_if(view, firms, params, rank=True, limit=limit)
    if output is TargetFormat.json:
        emit_json(result.model_dump(mode="json", exclude={"gaps_before", "gaps_after"}))
        return
    if result.already_local:
        console.print("Already local: " + escape(", ".join(result.already_local)))
    if not result.changes:
        console.print("No segment changes status.")
    else:
        table = Table(title=f"What if {len(firms)} firm(s) landed in {view.home_region}")
        for col in ("segment", "before", "after", "local firms", "reason after"):
            table.add_column(col)
        for c in result.changes:
            table.add_row(
                escape(c.name), c.before, c.after,
                f"{c.local_firms_before} → {c.local_firms_after}", escape(c.reason_after),
            )  # fmt: skip
        console.print(table)
    if not result.ranking_changes:
        console.print(f"The top {limit} targets do not change.")
        return
    moved = Table(title=f"The top {limit} targets after landing them: what changed")
    for col in ("firm", "rank before", "rank after", "score", "why"):
        moved.add_column(col)
    for m in result.ranking_changes:
        score = " → ".join(f"{x:.3f}" for x in (m.score_before, m.score_after) if x is not None)
        moved.add_row(
            escape(m.name), str(m.rank_before or "-"), str(m.rank_after or "-"), score,
            escape(m.reason),
        )  # fmt: skip
    console.print(moved)


def firm_row(view: ChainView, firm: str) -> int:
    """The row of an enterprise id, else of the one firm of the view with exactly this name;
    otherwise a :class:`NotFoundError` that names firms whose names contain the text."""
    try:
        return view.index_of(firm)
    except KeyError:
        pass
    names = view.names.objects
    exact = np.flatnonzero(names == firm)
    if len(exact) == 1:
        return int(exact[0])
    chain = view.chain.id if view.chain else "this view"
    if len(exact) > 1:
        ids = ", ".join(str(view.ids[r]) for r in exact[:5])
        hint = f"{len(exact)} firms have this name: give one id ({ids})."
    else:
        like = [str(n) for n in names if n is not None and firm in n][:3]
        hint = (
            "Give an enterprise id or an exact name; names like it: " + ", ".join(like) + "."
            if like
            else "Give an enterprise id or an exact name (`chainscout targets` and"
            " `chainscout leaders` show both)."
        )
    raise NotFoundError("enterprise", firm, where=f"the segments of chain {chain}", hint=hint)


def _table_or_json(output: TargetFormat) -> None:
    """Refuse the formats a command does not write, instead of printing a table."""
    if output not in (TargetFormat.table, TargetFormat.json):
        raise BadInputError(f"--format {output.value}: this command writes table or json")
