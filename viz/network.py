"""The enterprise network: a firm, its suppliers and customers up to ``hops`` links away.

Local firms are blue, outside firms grey; the best-ranked targets (:data:`DEFAULT_TOP_TARGETS`)
are orange with a heavy border, and every ranked firm shows its rank and score on hover; chain
leaders are stars; the centre firm is the large dark-ringed circle. Dashed arrows are links
inferred from the product chain or predicted, solid ones are reported. Filters by segment and
by region hide the other firms without moving any.

The layout starts from rings by hop (computed here, deterministic) and runs vis-network's
physics until it is stable, then switches physics off, so the picture stops moving and stays put.

**Size limit.** A two-hop neighbourhood of a hub can hold most of a chain. Past ``max_nodes``
firms (default :data:`DEFAULT_MAX_NODES`) the page keeps, hop by hop, the largest firms (the
neighbourhood's own node budget, :func:`~chainscout.analysis.paths.neighbourhood`), draws the
rest as one grey square per segment with its count, and says so at the top of the page: the
browser stays responsive and nothing is hidden silently.

The nodes and links are assembled as a :class:`pyvis.network.Network` (vis-network's data
model) and rendered with ChainScout's own template, which carries its assets itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from chainscout.analysis.leaders import LeaderTable, chain_leaders
from chainscout.analysis.paths import neighbourhood
from chainscout.analysis.targets import TargetParams, TargetRanking, rank_targets
from chainscout.graph.errors import BadInputError, NotFoundError
from chainscout.graph.view import CONFIDENCE_CODES, ChainView

from .labels import Lang, label
from .render import AssetMode, render_page

__all__ = ["DEFAULT_MAX_NODES", "NODE_COLOURS", "network_data", "render_network"]

#: Firms drawn one by one at most; past it the rest are grouped by segment (see the docstring).
DEFAULT_MAX_NODES = 3000
#: Above this many firms only the centre, leaders and targets carry a label on the canvas (every
#: firm keeps its name in the hover box): thousands of labels slow drawing and help no one.
LABEL_LIMIT = 800
#: Targets highlighted: the best-ranked this many (every ranked firm shows its rank on hover).
DEFAULT_TOP_TARGETS = 50
#: Links drawn from a group square: to the kept firms with the most links into the group.
GROUP_LINKS = 6

NODE_COLOURS: dict[str, str] = {
    "local": "#2f6fb0",
    "outside": "#a7b1bc",
    "target": "#f28e2b",
    "centre": "#102a43",
    "group": "#d9e2ec",
}
_CONFIDENCE = {code: name for name, code in CONFIDENCE_CODES.items()}


def _links_of(
    view: ChainView, rows: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every link touching ``rows``, as (supplier, customer, link index), each link once."""
    links = view.links_touching(rows)
    return (
        view.supplier_of_link[links].astype(np.int64),
        view.out_indices[links].astype(np.int64),
        links,
    )


def _size(revenue: float) -> float:
    """Circle radius from revenue (万元), on a log scale: 8 px unknown or small, 30 px at most."""
    if not math.isfinite(revenue) or revenue <= 0:
        return 8.0
    return float(min(30.0, 8.0 + 3.0 * math.log10(1.0 + revenue)))


def _clean(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def network_data(
    view: ChainView,
    enterprise_id: str,
    *,
    hops: int = 2,
    max_nodes: int = DEFAULT_MAX_NODES,
    ranking: TargetRanking | None = None,
    leaders: LeaderTable | None = None,
    region_names: Mapping[str, str] | None = None,
    top_targets: int = DEFAULT_TOP_TARGETS,
) -> dict[str, Any]:
    """The page's data: vis-network nodes and edges (from a pyvis ``Network``), filter choices
    and the size note. ``ranking`` and ``leaders`` mark targets and chain leaders; pass them
    when already computed (the API caches rankings), else they are computed here."""
    from pyvis.network import Network

    if hops < 0:
        raise BadInputError.at("hops must be 0 or more", field="hops", value=str(hops))
    if max_nodes < 10:
        raise BadInputError.at("max_nodes must be at least 10", field="max_nodes")
    try:
        centre = view.index_of(enterprise_id)
    except KeyError:
        where = view.chain.id if view.chain else "the view"
        raise NotFoundError(
            "enterprise", enterprise_id, hint=f"It is not in a segment of chain {where}."
        ) from None
    ranking = ranking if ranking is not None else rank_targets(view, TargetParams(), limit=None)
    leaders = leaders if leaders is not None else chain_leaders(view, limit=10)
    names = dict(region_names or {})

    every, _ = neighbourhood(view, centre, hops)
    total = len(every)
    truncated = total > max_nodes
    if truncated:
        rows, hop_of = neighbourhood(view, centre, hops, budget=max_nodes)
    else:
        rows, hop_of = neighbourhood(view, centre, hops)
    kept = np.zeros(view.n_firms, dtype=bool)
    kept[rows] = True
    primary = np.asarray(view.membership.argmax(axis=1)).ravel().astype(np.int64)

    chain = view.chain
    seg_names = {s.id: (s.name, s.name_en) for s in chain.segments} if chain else {}
    target_of = {t.id: t for t in ranking.rows[:top_targets]}
    rank_of = {t.id: t for t in ranking.rows}
    leader_ids = {r.id for r in leaders.rows}
    with_labels = len(rows) <= LABEL_LIMIT

    # rings by hop: a firm's angle follows its segment, then its size, so segments cluster
    places: dict[int, tuple[float, float]] = {}
    radius = 0.0
    for h in range(int(hop_of.max(initial=0)) + 1):
        ring = rows[hop_of == h]
        if h == 0:
            places[int(ring[0])] = (0.0, 0.0)
            continue
        radius = max(radius + 220.0, len(ring) * 34.0 / (2 * math.pi))
        order = ring[
            np.lexsort((ring, -np.nan_to_num(view.revenue[ring], nan=-1.0), primary[ring]))
        ]
        for i, r in enumerate(order.tolist()):
            angle = 2 * math.pi * i / len(order)
            places[r] = (radius * math.cos(angle), radius * math.sin(angle))

    net = Network(directed=True, cdn_resources="in_line")
    for r, h in zip(rows.tolist(), hop_of.tolist(), strict=True):
        eid = str(view.ids[r])
        local = bool(view.is_local[r])
        target = target_of.get(eid)
        leader = eid in leader_ids
        ranked = rank_of.get(eid)
        kind = "centre" if r == centre else "target" if target else "local" if local else "outside"
        x, y = places[r]
        name = str(view.names[r])
        net.add_node(
            int(r),
            label=name if (with_labels or kind in ("centre", "target") or leader) else " ",
            shape="star" if leader else "dot",
            color={
                "background": NODE_COLOURS[kind],
                "border": "#7a3e00" if target else "#102a43" if r == centre else "#52606d",
            },
            borderWidth=4 if target or r == centre else 1,
            size=_size(float(view.revenue[r])) + (8.0 if r == centre else 0.0),
            x=round(x, 1),
            y=round(y, 1),
            cs={
                "id": eid, "name": name, "kind": kind, "local": local, "leader": leader,
                "region": None if view.regions[r] is None else str(view.regions[r]),
                "segment": view.segment_ids[primary[r]], "hop": int(h),
                "revenue": _clean(float(view.revenue[r])),
                "rank": ranked.rank if ranked else None,
                "score": ranked.score if ranked else None,
            },
        )  # fmt: skip

    from pyvis.edge import Edge

    sup, cus, link = _links_of(view, rows)
    inside = kept[sup] & kept[cus]
    for s, c, k in zip(
        sup[inside].tolist(), cus[inside].tolist(), link[inside].tolist(), strict=True
    ):
        confidence = _CONFIDENCE.get(int(view.link_confidence[k]), "reported")
        # appended directly: Network.add_edge checks node ids against a list, O(n) per edge
        net.edges.append(Edge(int(s), int(c), True, dashes=confidence != "reported",
                              cs=confidence).options)  # fmt: skip
    groups: list[dict[str, Any]] = []
    if truncated:
        groups = _groups(view, net, rows, kept, primary, sup, cus, every, seg_names)

    nodes, edges, _heading, _height, _width, _options = net.get_network_data()
    segments_present = sorted({n["cs"]["segment"] for n in nodes if "segment" in n["cs"]},
                              key=view.segment_ids.index)  # fmt: skip
    regions_present = sorted({n["cs"]["region"] for n in nodes if n["cs"].get("region")})
    shown = len(rows)
    centre_name = str(view.names[centre])
    note_en = note_zh = None
    if truncated:
        omitted = total - shown
        note_en = (
            f"Showing {shown:,} of {total:,} firms within {hops} hops of {centre_name}: at each"
            f" hop the largest firms were kept (the page's limit is {max_nodes:,} firms). The"
            f" other {omitted:,} are drawn as {len(groups)} grey squares, one per segment, with"
            " their counts."
        )
        note_zh = (
            f"{centre_name} {hops} 跳范围内共 {total:,} 家企业，仅显示 {shown:,} 家（页面上限"
            f" {max_nodes:,} 家，每跳保留规模最大的企业）；其余 {omitted:,} 家按环节合并为"
            f" {len(groups)} 个灰色方块，并标明数量。"
        )
    return {
        "centre": {"id": enterprise_id, "name": centre_name, "row": centre},
        "chain": chain.id if chain else None,
        "chain_name": chain.name if chain else None,
        "region": view.home_region,
        "region_name": names.get(view.home_region),
        "hops": hops,
        "total": total,
        "shown": shown,
        "max_nodes": max_nodes,
        "truncated": truncated,
        "groups": len(groups),
        "note_en": note_en,
        "note_zh": note_zh,
        "nodes": nodes,
        "edges": edges,
        "segments": [
            {
                "id": s,
                "name": seg_names.get(s, (s, None))[0],
                "name_en": seg_names.get(s, (s, None))[1],
            }
            for s in segments_present
        ],
        "regions": [{"code": c, "name": names.get(c)} for c in regions_present],
        "physics_iterations": 300 if shown <= 1000 else 200 if shown <= 2500 else 120,
        "colours": NODE_COLOURS,
    }


def _groups(
    view: ChainView,
    net: Any,
    rows: npt.NDArray[np.int64],
    kept: npt.NDArray[np.bool_],
    primary: npt.NDArray[np.int64],
    sup: npt.NDArray[np.int64],
    cus: npt.NDArray[np.int64],
    every: npt.NDArray[np.int64],
    seg_names: Mapping[str, tuple[str, str | None]],
) -> list[dict[str, Any]]:
    """Add one square per segment for the firms past the limit, linked to the kept firms that
    trade most with them; returns the groups added."""
    from pyvis.edge import Edge

    omitted = every[~kept[every]]
    in_omitted = np.zeros(view.n_firms, dtype=bool)
    in_omitted[omitted] = True
    # links between a kept and an omitted firm, as (kept firm, segment of the omitted one)
    a = np.where(kept[sup] & in_omitted[cus], sup, cus)
    b = np.where(kept[sup] & in_omitted[cus], cus, sup)
    cross = kept[a] & in_omitted[b]
    pairs = (
        np.stack([a[cross], primary[b[cross]]], axis=1)
        if cross.any()
        else np.zeros((0, 2), np.int64)
    )
    uniq, counts = (
        np.unique(pairs, axis=0, return_counts=True)
        if len(pairs)
        else (pairs, np.zeros(0, np.int64))
    )
    segs, seg_counts = np.unique(primary[omitted], return_counts=True)
    groups = []
    base = int(view.n_firms)
    radius = max((math.hypot(n["x"], n["y"]) for n in net.nodes), default=0.0) + 300.0
    for i, (seg, count) in enumerate(zip(segs.tolist(), seg_counts.tolist(), strict=True)):
        sid = view.segment_ids[seg]
        name, name_en = seg_names.get(sid, (sid, None))
        node_id = base + seg
        angle = 2 * math.pi * i / max(1, len(segs))
        net.add_node(
            node_id,
            label=f"+{count:,} · {name}",
            shape="square",
            color={"background": NODE_COLOURS["group"], "border": "#7b8794"},
            borderWidth=1,
            size=min(40.0, 10.0 + 4.0 * math.log10(1 + count)),
            x=round(radius * math.cos(angle), 1),
            y=round(radius * math.sin(angle), 1),
            cs={"kind": "group", "segment": sid, "count": int(count), "name": name,
                "name_en": name_en},
        )  # fmt: skip
        mine = uniq[:, 1] == seg if len(uniq) else np.zeros(0, dtype=bool)
        firms, weights = uniq[mine, 0], counts[mine]
        for f in firms[np.lexsort((firms, -weights))][:GROUP_LINKS].tolist():
            net.edges.append(Edge(int(f), node_id, False, dashes=True, cs="group",
                                  color={"color": "#bcccdc"}).options)  # fmt: skip
        groups.append({"segment": sid, "count": int(count)})
    del rows
    return groups


def render_network(
    view: ChainView,
    enterprise_id: str,
    *,
    hops: int = 2,
    max_nodes: int = DEFAULT_MAX_NODES,
    ranking: TargetRanking | None = None,
    leaders: LeaderTable | None = None,
    region_names: Mapping[str, str] | None = None,
    top_targets: int = DEFAULT_TOP_TARGETS,
    lang: Lang = "en",
    assets: AssetMode | None = None,
    synthetic: bool = False,
) -> str:
    """The enterprise-network page of ``enterprise_id`` (see the module docstring)."""
    data = network_data(
        view, enterprise_id, hops=hops, max_nodes=max_nodes, ranking=ranking, leaders=leaders,
        region_names=region_names, top_targets=top_targets,
    )  # fmt: skip
    title = f"{label('network', lang)} · {data['centre']['name']}"
    return render_page(
        "network.html",
        title=title,
        lang=lang,
        data=data,
        scripts=("network.js",),
        assets=assets or AssetMode.inline(),
        net=data,
        synthetic=synthetic,
    )
