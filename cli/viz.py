"""``chainscout viz``: write the pages as standalone HTML files that open from disk.

Each file carries vis-network (from the installed pyvis package) and its data inline, and
references no outside URL, so it opens with no server and no internet, on any machine::

    chainscout viz gaps --chain nev --region 349900 -o map.html --compare 320500
    chainscout viz network 9134990196H2JMNF7T -o net.html --hops 2
    chainscout viz targets --chain nev --region 349900 -o targets.html

``viz targets`` also writes the workbook beside the page (``targets.xlsx``) and links to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from chainscout.analysis.leaders import chain_leaders
from chainscout.analysis.targets import TargetParams, rank_targets
from chainscout.graph import GraphStore
from chainscout.graph.errors import BadInputError, NotFoundError
from chainscout.graph.regions import check_region_code
from chainscout.viz.exports import target_contacts, targets_xlsx
from chainscout.viz.gapmap import region_map, render_gap_map
from chainscout.viz.network import DEFAULT_MAX_NODES, render_network
from chainscout.viz.targets_page import render_target_page

from . import app
from .chains import ChainOpt, LangOpt, RegionOpt, _lang, _resolve
from .common import StoreOption, console, escape, open_configured_store
from .targets import (
    PredictLinksOpt,
    RegionsOpt,
    SegmentOpt,
    ThresholdsOpt,
    WeightsOpt,
    _params,
)

__all__ = ["viz_app", "viz_gaps", "viz_network", "viz_targets"]

viz_app = typer.Typer(
    help="Write the chain-gap map, an enterprise network or the target list as a standalone"
    " HTML file (no server, no internet needed to open it).",
    no_args_is_help=True,
)
app.add_typer(viz_app, name="viz")

OutOpt = Annotated[
    Path, typer.Option("-o", "--output", help="The HTML file to write.", dir_okay=False)
]


def _write(path: Path, data: str | bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _region_name(s: GraphStore, code: str) -> str | None:
    try:
        return s.get_region(code).name
    except NotFoundError:
        return None


@viz_app.command("gaps")
def viz_gaps(
    output: OutOpt,
    chain: ChainOpt = None,
    region: RegionOpt = None,
    compare: Annotated[
        list[str] | None,
        typer.Option("--compare", help="Another region to show beside it (repeatable, up to 2)."),
    ] = None,
    store: StoreOption = None,
    lang: LangOpt = None,
) -> None:
    """The chain-gap map: segments upstream to downstream, coloured by status."""
    language = _lang(lang)
    others = [c.strip() for item in (compare or []) for c in item.split(",") if c.strip()]
    if len(others) > 2:
        raise BadInputError("--compare: at most two regions beside the home region")
    with open_configured_store(store, read_only=True) as s:
        chain_id, home = _resolve(s, chain, region)
        regions = [home]
        for code in others:
            try:
                regions.append(check_region_code(code))
            except ValueError as err:
                raise BadInputError(f"--compare: {err}") from None
        params = TargetParams()
        maps = [
            region_map(s.view(chain_id, r), params=params, region_name=_region_name(s, r))
            for r in dict.fromkeys(regions)
        ]
        synthetic = bool(s.get_meta("demo"))
    _write(output, render_gap_map(maps, lang=language, synthetic=synthetic))
    console.print(f"Wrote the chain-gap map of {chain_id} ({', '.join(regions)}) to"
                  f" {escape(str(output))}")  # fmt: skip


@viz_app.command("network")
def viz_network(
    firm: Annotated[str, typer.Argument(help="Enterprise id at the centre.")],
    output: OutOpt,
    hops: Annotated[int, typer.Option("--hops", min=0, max=6, help="Links away from it.")] = 2,
    max_nodes: Annotated[
        int,
        typer.Option("--max-nodes", min=10, help="Firms drawn one by one; the rest are grouped."),
    ] = DEFAULT_MAX_NODES,
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    lang: LangOpt = None,
) -> None:
    """A firm's suppliers and customers up to k hops, targets and chain leaders marked."""
    language = _lang(lang)
    with open_configured_store(store, read_only=True) as s:
        chain_id, home = _resolve(s, chain, region)
        view = s.view(chain_id, home)
        params = TargetParams()
        html = render_network(
            view, firm, hops=hops, max_nodes=max_nodes,
            ranking=rank_targets(view, params, limit=None),
            leaders=chain_leaders(view, limit=max(params.leaders, 1)),
            region_names={r.code: r.name for r in s.list_regions()},
            lang=language, synthetic=bool(s.get_meta("demo")),
        )  # fmt: skip
    _write(output, html)
    console.print(f"Wrote the network of {escape(firm)} ({hops} hops) to {escape(str(output))}")


@viz_app.command("targets")
def viz_targets(
    output: OutOpt,
    chain: ChainOpt = None,
    region: RegionOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Targets listed.")] = 200,
    segment: SegmentOpt = None,
    weights: WeightsOpt = None,
    thresholds: ThresholdsOpt = None,
    target_regions: RegionsOpt = None,
    predict_links: PredictLinksOpt = 0,
    xlsx: Annotated[
        bool, typer.Option("--xlsx/--no-xlsx", help="Also write the workbook beside the page.")
    ] = True,
    store: StoreOption = None,
    lang: LangOpt = None,
) -> None:
    """The target list: ranking with factor breakdown, exclusions and introducer paths."""
    language = _lang(lang)
    params = _params(weights, thresholds, target_regions, False, segment, predict_links)
    with open_configured_store(store, read_only=True) as s:
        chain_id, home = _resolve(s, chain, region)
        view = s.view(chain_id, home)
        if segment is not None and segment not in view.segment_ids:
            raise NotFoundError("segment", segment, hint="See `chainscout gaps` for segment ids.")
        ranking = rank_targets(view, params, limit=None)
        chain_name = s.get_chain(chain_id).name
        region_name = _region_name(s, home)
        synthetic = bool(s.get_meta("demo"))
        contacts = target_contacts(s, ranking) if xlsx else {}
    book = output.with_suffix(".xlsx")
    if xlsx:
        _write(book, targets_xlsx(ranking, lang=language, contacts=contacts))
    html = render_target_page(
        ranking, limit=limit, lang=language, chain_name=chain_name, region_name=region_name,
        synthetic=synthetic, xlsx_href=book.name if xlsx else None,
    )  # fmt: skip
    _write(output, html)
    console.print(f"Wrote {min(limit, len(ranking.rows))} targets to {escape(str(output))}"
                  + (f" and the workbook to {escape(str(book))}" if xlsx else ""))  # fmt: skip
