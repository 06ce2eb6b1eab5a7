"""The chain-gap map: a chain's segments upstream → downstream, coloured by gap status.

Each segment is one circle, placed by :func:`~chainscout.viz.layout.chain_layout` (the same
places for every region, so two maps compare segment by segment), filled by status (missing,
weak, present, strong; see :data:`~chainscout.viz.labels.STATUS_COLOURS`) and sized by its local
firm count. Hovering shows the numbers and the rule that decided the status; clicking lists the
segment's local firms (chain leaders marked) and its best-ranked targets. With more than one
region the maps stand side by side (one after the other on a narrow screen).

This module presents; it computes nothing of its own. The status and its reason come from
:func:`~chainscout.analysis.gaps.gap_table`, the leaders from
:func:`~chainscout.analysis.leaders.chain_leaders`, the targets from
:func:`~chainscout.analysis.targets.rank_targets`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainscout.analysis._segments import rolled_membership
from chainscout.analysis.gaps import GapTable, gap_table
from chainscout.analysis.leaders import LeaderTable, chain_leaders
from chainscout.analysis.targets import TargetParams, TargetRanking, rank_targets
from chainscout.graph.errors import BadInputError
from chainscout.graph.view import ChainView

from .labels import STATUS_COLOURS, Lang, label
from .layout import chain_layout
from .render import AssetMode, render_page

__all__ = ["RegionMap", "gap_map_data", "region_map", "render_gap_map"]


@dataclass(frozen=True)
class RegionMap:
    """What one map of the page shows: a view and the analysis results drawn from it."""

    view: ChainView
    gaps: GapTable
    ranking: TargetRanking
    leaders: LeaderTable
    region_name: str | None = None


def region_map(
    view: ChainView,
    *,
    params: TargetParams | None = None,
    ranking: TargetRanking | None = None,
    region_name: str | None = None,
) -> RegionMap:
    """Run the analyses one map needs (gaps, leaders, targets) on ``view``.

    ``ranking`` may be passed when the caller has it already (the API caches rankings)."""
    params = params or TargetParams()
    return RegionMap(
        view=view,
        gaps=gap_table(view, params.gap_thresholds),
        ranking=ranking if ranking is not None else rank_targets(view, params, limit=None),
        leaders=chain_leaders(view, limit=max(params.leaders, 1)),
        region_name=region_name,
    )


def _clean(value: float | None) -> float | None:
    """A float for JSON: None for NaN and infinities."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def gap_map_data(
    m: RegionMap, *, firms_per_segment: int = 15, targets_per_segment: int = 5
) -> dict[str, Any]:
    """The map's data as plain JSON values: segments with places, numbers and reasons, their
    local firms (the largest ``firms_per_segment``) and top targets, and the FEEDS arrows."""
    view = m.view
    chain = view.chain
    if chain is None:
        raise BadInputError("the chain-gap map needs a view of a stored chain (it has none)")
    places = chain_layout(chain)
    rolled = rolled_membership(view)  # segments x firms, sub-segments counted in their parents
    leader_ids = {r.id for r in m.leaders.rows}
    by_segment: dict[str, list[dict[str, Any]]] = {}
    for t in m.ranking.rows:
        picks = by_segment.setdefault(t.segment, [])
        if len(picks) < targets_per_segment:
            intro = t.introducer
            picks.append(
                {
                    "rank": t.rank, "id": t.id, "name": t.name, "region": t.region,
                    "score": t.score,
                    "introducer": intro.introducer_name if intro else None,
                    "path_en": intro.text if intro else None,
                    "path_zh": intro.text_zh if intro else None,
                }
            )  # fmt: skip
    col = {sid: i for i, sid in enumerate(view.segment_ids)}
    revenue = np.nan_to_num(view.revenue, nan=-1.0)
    segments = []
    for row in m.gaps.rows:
        k = col[row.segment]
        members = np.asarray(rolled.indices[rolled.indptr[k] : rolled.indptr[k + 1]], np.int64)
        local = members[view.is_local[members]]
        local = local[np.lexsort((view.ids[local].astype(str), -revenue[local]))]
        place = places[row.segment]
        firms = [
            {
                "id": str(view.ids[f]),
                "name": str(view.names[f]),
                "region": None if view.regions[f] is None else str(view.regions[f]),
                "revenue": _clean(float(view.revenue[f])),
                "leader": str(view.ids[f]) in leader_ids,
            }
            for f in local[:firms_per_segment].tolist()
        ]
        segments.append(
            {
                "id": row.segment, "name": row.name, "name_en": row.name_en,
                "status": row.status.value, "rule": row.rule.value,
                "colour": STATUS_COLOURS[row.status.value],
                "local_firms": row.local_firms, "firms": row.firms, "lq": _clean(row.lq),
                "pool_share": _clean(row.pool_share), "local_size": _clean(row.local_size),
                "size": _clean(row.size), "reason": row.reason, "reason_zh": row.reason_zh,
                "x": place.x, "y": place.y, "layer": place.layer,
                "firm_list": firms, "more_firms": max(0, len(local) - firms_per_segment),
                "targets": by_segment.get(row.segment, []),
            }
        )  # fmt: skip
    return {
        "chain": chain.id,
        "chain_name": chain.name,
        "chain_name_en": chain.name_en,
        "region": view.home_region,
        "region_name": m.region_name,
        "size_basis": m.gaps.size_basis,
        "status_counts": m.gaps.status_counts,
        "segments": segments,
        "feeds": [[f.upstream, f.downstream] for f in chain.feeds],
    }


def render_gap_map(
    maps: RegionMap | Sequence[RegionMap],
    *,
    lang: Lang = "en",
    assets: AssetMode | None = None,
    synthetic: bool = False,
    links: Mapping[str, str] | None = None,
) -> str:
    """The chain-gap map page for one region, or for several side by side (the same chain).

    ``assets`` defaults to inline (a standalone file); ``links`` may name related pages
    (``{"targets": url}``) to link from the header; ``synthetic`` adds the demo-data note.
    """
    items = [maps] if isinstance(maps, RegionMap) else list(maps)
    if not items:
        raise BadInputError("the chain-gap map needs at least one region")
    chains = {m.view.chain.id if m.view.chain else None for m in items}
    if len(chains) != 1:
        raise BadInputError("maps side by side must show the same chain")
    data = [gap_map_data(m) for m in items]
    first = data[0]
    title = f"{label('gap_map', lang)} · {first['chain_name']} · " + " / ".join(
        d["region_name"] or d["region"] for d in data
    )
    return render_page(
        "gap_map.html",
        title=title,
        lang=lang,
        data={"maps": data, "colours": STATUS_COLOURS},
        scripts=("gapmap.js",),
        assets=assets or AssetMode.inline(),
        maps=data,
        colours=STATUS_COLOURS,
        page_links=dict(links or {}),
        synthetic=synthetic,
    )
