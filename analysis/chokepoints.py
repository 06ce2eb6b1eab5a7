"""Chokepoints (卡脖子环节): segments with a single or very concentrated supply, and firms whose
loss cuts downstream segments off from their inputs.

Segments. For each segment, two concentrations, as Herfindahl-Hirschman indices on 0-1
(10,000 in the antitrust convention is 1 here):

- ``hhi``: of the segment's pool of firms by size (revenue where at least half of the view's firms
  report it, else business share);
- ``supply_hhi``: of the segment's firms by the supply links they sell in the view.

A segment is a *single source* when one firm makes it up or only one of its firms sells anything,
and *concentrated* when either index reaches ``hhi_threshold`` (default 0.25, the "highly
concentrated" mark of merger guidelines).

Firms. For each pair of segments ``u -> ... -> d`` of the chain's FEEDS graph, a firm cuts the
pair when every supply path from a firm of ``u`` to a firm of ``d`` runs through it: it dominates
all of ``d``'s reachable firms in the supply network seen from ``u``'s firms (immediate dominators,
Cooper-Harvey-Kennedy, on a bounded graph via networkx). A sole supplier of ``u`` counts; a firm
that is the only reachable firm of ``d`` itself does not (losing it removes ``d``, it does not cut
it off). Views larger than ``firm_budget`` firms skip this part and say so.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["a1", "a2", "bridge", "c1", "c2"],
    ...     member_firm=range(5), member_segment=[0, 0, 1, 2, 2], member_share=[1.0] * 5,
    ...     supplier=[0, 1, 2, 2], customer=[2, 2, 3, 4], segment_ids=["A", "B", "C"])
    >>> report = chokepoints(v, feeds=[("A", "B"), ("B", "C")])
    >>> [(s.segment, s.single_source) for s in report.segments]
    [('A', False), ('B', True), ('C', False)]
    >>> [(f.id, [(c.upstream, c.downstream) for c in f.cuts]) for f in report.firms]
    [('bridge', [('A', 'C'), ('B', 'C')])]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chainscout.graph.view import ChainView

from ._segments import rolled_membership, segment_infos

__all__ = [
    "ChokepointReport",
    "CutPair",
    "FirmChokepoint",
    "SegmentConcentration",
    "chokepoints",
]


class SegmentConcentration(BaseModel):
    """How concentrated one segment's supply is."""

    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    name_en: str | None
    firms: int
    suppliers: int = Field(description="firms of the segment that sell in the view")
    hhi: float | None
    supply_hhi: float | None
    top_firm: str | None
    top_firm_name: str | None
    top_share: float | None
    single_source: bool
    concentrated: bool
    reason: str
    reason_zh: str


class CutPair(BaseModel):
    """A FEEDS pair that a firm's loss cuts, and how many downstream firms lose the input."""

    model_config = ConfigDict(frozen=True)

    upstream: str
    downstream: str
    downstream_firms: int


class FirmChokepoint(BaseModel):
    """A firm whose removal disconnects downstream segments from their inputs."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    region: str | None
    local: bool
    segments: list[str]
    cuts: list[CutPair]
    reason: str
    reason_zh: str


class ChokepointReport(BaseModel):
    """Chokepoint segments and firms of one chain from one home region."""

    model_config = ConfigDict(frozen=True)

    chain: str | None
    home_region: str
    hhi_threshold: float
    segments: list[SegmentConcentration]
    firms: list[FirmChokepoint]
    firms_checked: bool
    note: str | None


def chokepoints(
    view: ChainView,
    *,
    hhi_threshold: float = 0.25,
    feeds: Sequence[tuple[str, str]] | None = None,
    firm_budget: int = 100_000,
) -> ChokepointReport:
    """Single-source and concentrated segments, and cutting firms (see the module docstring).

    Parameters
    ----------
    hhi_threshold:
        HHI (0-1) from which a segment counts as concentrated.
    feeds:
        FEEDS edges ``(upstream, downstream)``; the view's chain's edges when None.
    firm_budget:
        The firm-level check runs on views of at most this many firms.
    """
    infos = segment_infos(view)
    m = view.n_segments
    seg = rolled_membership(view)
    seg_of = np.repeat(np.arange(m), np.diff(seg.indptr))
    firm = np.asarray(seg.indices, np.int64)
    share = np.asarray(seg.data, np.float64)
    known = (~np.isnan(view.revenue[firm])).mean() if len(firm) else 0.0
    size = share * np.nan_to_num(view.revenue[firm]) if known >= 0.5 else share
    out_deg = np.diff(view.out_indptr).astype(np.float64)
    sold = share * out_deg[firm]
    firms_n = np.bincount(seg_of, minlength=m)
    sellers = np.bincount(seg_of, weights=sold > 0, minlength=m).astype(np.int64)
    hhi = _hhi(seg_of, size, m)
    supply_hhi = _hhi(seg_of, sold, m)

    rows = []
    for info in infos:
        i = info.index
        lo, hi = seg.indptr[i], seg.indptr[i + 1]
        top_firm = top_name = None
        top_share = None
        if hi > lo:
            w = size[lo:hi]
            ids = view.ids[firm[lo:hi]].astype(str)
            k = int(np.lexsort((ids, -w))[0])
            top_firm, top_name = str(ids[k]), str(view.names[firm[lo + k]])
            total = float(w.sum())
            top_share = round(float(w[k]) / total, 4) if total > 0 else None
        h = None if np.isnan(hhi[i]) else round(float(hhi[i]), 4)
        sh = None if np.isnan(supply_hhi[i]) else round(float(supply_hhi[i]), 4)
        single = int(firms_n[i]) == 1 or int(sellers[i]) == 1
        conc = (h is not None and h >= hhi_threshold) or (sh is not None and sh >= hhi_threshold)
        en, zh = _segment_reason(
            int(firms_n[i]), int(sellers[i]), h, sh, top_name, top_share, hhi_threshold
        )
        rows.append(
            SegmentConcentration(
                segment=info.id,
                name=info.name,
                name_en=info.name_en,
                firms=int(firms_n[i]),
                suppliers=int(sellers[i]),
                hhi=h,
                supply_hhi=sh,
                top_firm=top_firm,
                top_firm_name=top_name,
                top_share=top_share,
                single_source=single,
                concentrated=conc,
                reason=en,
                reason_zh=zh,
            )
        )

    edges = (
        list(feeds)
        if feeds is not None
        else ([(f.upstream, f.downstream) for f in view.chain.feeds] if view.chain else [])
    )
    firms_out: list[FirmChokepoint] = []
    note = None
    checked = view.n_firms <= firm_budget
    if checked:
        firms_out = _cutting_firms(view, seg, edges)
    else:
        note = (
            f"firm-level check skipped: the view has {view.n_firms:,} firms, more than the"
            f" budget of {firm_budget:,}"
        )
    return ChokepointReport(
        chain=view.chain.id if view.chain else None,
        home_region=view.home_region,
        hhi_threshold=hhi_threshold,
        segments=rows,
        firms=firms_out,
        firms_checked=checked,
        note=note,
    )


def _hhi(seg_of: np.ndarray, w: np.ndarray, m: int) -> np.ndarray:
    total = np.bincount(seg_of, weights=w, minlength=m)
    sq = np.bincount(seg_of, weights=w * w, minlength=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(total > 0, sq / np.where(total > 0, total, 1) ** 2, np.nan)
    return out


def _segment_reason(
    firms: int,
    sellers: int,
    hhi: float | None,
    supply_hhi: float | None,
    top: str | None,
    top_share: float | None,
    threshold: float,
) -> tuple[str, str]:
    if firms == 0:
        return "no firm in this segment", "该环节无企业"
    if firms == 1:
        return f"single source: {top} is the only firm", f"单一来源：仅{top}一家企业"
    parts = [f"{firms} firms, HHI {hhi:.2f}" if hhi is not None else f"{firms} firms"]
    parts_zh = [f"{firms}家企业，HHI {hhi:.2f}" if hhi is not None else f"{firms}家企业"]
    if top is not None and top_share is not None:
        parts.append(f"largest {top} {top_share:.0%}")
        parts_zh.append(f"最大{top}占{top_share:.0%}")
    if sellers == 1:
        parts.insert(0, "single source: only one firm sells in the view")
        parts_zh.insert(0, "单一来源：仅一家企业有供货关系")
    elif supply_hhi is not None:
        parts.append(f"{sellers} selling, supply HHI {supply_hhi:.2f}")
        parts_zh.append(f"{sellers}家供货，供货HHI {supply_hhi:.2f}")
    high = max(x for x in (hhi, supply_hhi, 0.0) if x is not None)
    if high >= threshold:
        parts.append(f"concentrated (≥ {threshold:g})")
        parts_zh.append(f"高度集中（≥ {threshold:g}）")
    return "; ".join(parts), "；".join(parts_zh)


def _cutting_firms(
    view: ChainView, seg: object, edges: list[tuple[str, str]]
) -> list[FirmChokepoint]:
    import networkx as nx
    from scipy import sparse

    assert isinstance(seg, sparse.csr_array)
    pos = {s: i for i, s in enumerate(view.segment_ids)}
    succ: dict[int, set[int]] = {i: set() for i in range(view.n_segments)}
    for a, b in edges:
        if a in pos and b in pos:
            succ[pos[a]].add(pos[b])
    n = view.n_firms
    source = n  # a super source joined to the upstream segment's firms
    g = nx.DiGraph()
    g.add_nodes_from(range(n + 1))
    g.add_edges_from(zip(view.supplier_of_link.tolist(), view.out_indices.tolist(), strict=True))

    def members(i: int) -> list[int]:
        return [int(x) for x in seg.indices[seg.indptr[i] : seg.indptr[i + 1]]]

    cuts: dict[int, list[CutPair]] = {}
    for u in range(view.n_segments):
        below = _descendants(succ, u)
        ups = members(u)
        if not below or not ups:
            continue
        g.remove_edges_from(list(g.out_edges(source)))
        g.add_edges_from((source, f) for f in ups)
        idom = nx.immediate_dominators(g, source)
        depth: dict[int, int] = {source: 0}

        def d_of(x: int, idom: dict[int, int] = idom, depth: dict[int, int] = depth) -> int:
            chain = []
            while x not in depth:
                chain.append(x)
                x = idom[x]
            base = depth[x]
            for k, y in enumerate(reversed(chain), start=1):
                depth[y] = base + k
            return depth[chain[0]] if chain else base

        for d in sorted(below):
            reach = sorted(f for f in members(d) if f in idom)
            if not reach:
                continue
            lca = reach[0]
            for x in reach[1:]:
                p, q = lca, x
                while d_of(p) > d_of(q):
                    p = idom[p]
                while d_of(q) > d_of(p):
                    q = idom[q]
                while p != q:
                    p, q = idom[p], idom[q]
                lca = p
            node = lca
            while node != source:
                if not (len(reach) == 1 and reach[0] == node):
                    cuts.setdefault(node, []).append(
                        CutPair(
                            upstream=view.segment_ids[u],
                            downstream=view.segment_ids[d],
                            downstream_firms=len(reach) - (node in reach),
                        )
                    )
                node = idom[node]

    memb = view.membership
    names = {i: s.name for i, s in enumerate(segment_infos(view))}
    out = []
    for f, pairs in cuts.items():
        pairs.sort(key=lambda c: (pos[c.upstream], pos[c.downstream]))
        segs = [view.segment_ids[j] for j in memb.indices[memb.indptr[f] : memb.indptr[f + 1]]]
        shown = ", ".join(
            f"{names[pos[c.downstream]]} from {names[pos[c.upstream]]}" for c in pairs[:3]
        )
        shown_zh = "、".join(
            f"{names[pos[c.upstream]]}→{names[pos[c.downstream]]}" for c in pairs[:3]
        )
        more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
        more_zh = f"等{len(pairs)}对" if len(pairs) > 3 else ""
        out.append(
            FirmChokepoint(
                id=str(view.ids[f]),
                name=str(view.names[f]),
                region=None if view.regions[f] is None else str(view.regions[f]),
                local=bool(view.is_local[f]),
                segments=segs,
                cuts=pairs,
                reason=f"every supply path cuts through it: without it, {shown}{more}"
                " would be cut off",
                reason_zh=f"所有供应路径都经过该企业：缺少它将切断{shown_zh}{more_zh}",
            )
        )
    out.sort(key=lambda c: (-len(c.cuts), c.id))
    return out


def _descendants(succ: dict[int, set[int]], start: int) -> set[int]:
    seen: set[int] = set()
    stack = list(succ[start])
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            stack.extend(succ[x])
    return seen
