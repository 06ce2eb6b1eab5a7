"""Introducer paths: the shortest chains of real supply links from local firms to a target.

以商招商 works through people who already trade: a local firm that buys from a target, or buys
from a firm that buys from it, can make the introduction. For every firm of a view this module
finds the nearest local firm over supply links in either direction, up to ``max_hops`` links,
preferring chain leaders at equal length and reported links over inferred or predicted ones.

One multi-source breadth-first search covers all targets at once: each hop expands the whole
frontier through the CSR arrays, so the cost is one pass over the links, not one search per target.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["L", "m", "t"], names=["本地", "中间", "目标"],
    ...     regions=["440305", "320500", "310100"],
    ...     member_firm=[0, 1, 2], member_segment=[0, 0, 0], member_share=[1.0] * 3,
    ...     supplier=[1, 2], customer=[0, 1], segment_ids=["s"])
    >>> p = introducer_paths(v, targets=[2])[2]
    >>> p.hops, p.introducer_id, p.text
    (2, 'L', '本地 ← buys from ← 中间 ← buys from ← 目标')
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from chainscout.graph.view import CONFIDENCE_CODES, ChainView, csr_positions

__all__ = [
    "IntroducerPath",
    "PathStep",
    "introducer_paths",
    "neighbourhood",
    "path_between",
    "reach",
]

_CONFIDENCE = {code: name for name, code in CONFIDENCE_CODES.items()}
#: How a path's text marks a link that is not reported.
_KIND_ZH = {"inferred": "推断", "predicted": "预测"}


class PathStep(BaseModel):
    """One link of a path: ``supplier`` sells to ``customer``."""

    model_config = ConfigDict(frozen=True)

    supplier_id: str
    supplier_name: str
    customer_id: str
    customer_name: str
    confidence: str


class IntroducerPath(BaseModel):
    """How a local firm (the introducer) reaches a target, link by link from the introducer."""

    model_config = ConfigDict(frozen=True)

    target_id: str
    introducer_id: str
    introducer_name: str
    introducer_is_leader: bool
    hops: int
    firms: list[str]
    steps: list[PathStep]
    text: str
    text_zh: str


#: What :func:`reach` returns: ``hops``, ``parent`` and ``link`` per firm row.
Reach = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def reach(
    view: ChainView, sources: npt.NDArray[np.bool_], max_hops: int, *, reported_only: bool = False
) -> Reach:
    """Multi-source BFS over supply links in both directions.

    Returns ``hops`` (-1 where unreached), ``parent`` (the firm one step nearer a source, -1 for
    sources and unreached firms) and ``link`` (the link index used to step to the parent, -1).
    At equal distance the parent is the lowest frontier row that supplies the firm, else the
    lowest it buys from, so the result is deterministic.

    A hop from a small frontier reads the frontier's CSR rows; a hop from a frontier that holds
    a large share of the links scans all links once instead (a bottom-up step), which finds the
    same firms, parents and links.
    """
    n = view.n_firms
    hops = np.full(n, -1, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    via = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(sources)
    hops[frontier] = 0
    seen = np.asarray(sources, dtype=bool).copy()  # a byte per firm: a cache-friendly lookup
    usable = (
        view.link_confidence == CONFIDENCE_CODES["reported"]
        if reported_only
        else np.ones(view.n_links, dtype=bool)
    )
    for hop in range(1, max_hops + 1):
        if len(frontier) == 0:
            break
        out_degree = int((view.out_indptr[frontier + 1] - view.out_indptr[frontier]).sum())
        # without the customer-side CSR, in-links are read from a pass over all links anyway;
        # their number is taken to be that of the out-links
        degree = out_degree + (
            int(view.in_degree_of(frontier).sum()) if view.has_reverse else out_degree
        )
        if degree > SCAN_SHARE * 2 * view.n_links:
            dst, link, owner = _expand_by_scan(view, frontier, seen, usable, reported_only)
        else:
            dst, link, owner = _expand_rows(view, frontier, seen, usable, reported_only)
        if len(dst) == 0:
            break
        # the first expansion of each new firm wins: frontier rows ascend, out-links first
        new, first = first_occurrences(dst, n)
        hops[new] = hop
        seen[new] = True
        parent[new] = owner[first]
        via[new] = link[first]
        frontier = new
    return hops, parent, via


#: From this many firms up, independent searches run on two threads.
THREADS_FROM = 50_000

#: A hop whose frontier holds more than this share of the links is expanded by one scan
#: over all links (masks, no positions), else through the frontier's own CSR rows.
SCAN_SHARE = 0.125

#: Firms reached (rows), the link to each and the frontier firm it was reached from: int32 rows
#: where the view's arrays are int32 (half the bytes to move), int64 link indices.
_Expansion = tuple[
    npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]]
]


def _expand_rows(
    view: ChainView,
    frontier: npt.NDArray[np.int64],
    seen: npt.NDArray[np.bool_],
    usable: npt.NDArray[np.bool_],
    reported_only: bool,
) -> _Expansion:
    """Unseen firms one link from the frontier (``dst``), with the link and the frontier firm
    of each, out-links of every frontier row first (rows ascending), then in-links (by
    supplier, then frontier row: the first in-link of each supplier is the one from its
    lowest frontier row). In-links come from :meth:`ChainView.links_into`, which reads one
    pass over the links until the view has its customer-side CSR."""
    out_pos = csr_positions(view.out_indptr, frontier)
    out_owner = np.repeat(frontier, view.out_indptr[frontier + 1] - view.out_indptr[frontier])
    in_link = view.links_into(frontier, build=False)
    in_dst = view.supplier_of_link[in_link]
    in_owner = view.out_indices[in_link]
    dst = np.concatenate([view.out_indices[out_pos], in_dst])
    link = np.concatenate([out_pos, in_link])
    owner = np.concatenate([out_owner, in_owner])
    keep = ~seen[dst]
    if reported_only:
        keep &= usable[link]
    fresh = np.flatnonzero(keep)
    return dst[fresh], link[fresh], owner[fresh]


def _expand_by_scan(
    view: ChainView,
    frontier: npt.NDArray[np.int64],
    seen: npt.NDArray[np.bool_],
    usable: npt.NDArray[np.bool_],
    reported_only: bool,
) -> _Expansion:
    """What :func:`_expand_rows` finds, in the same order, from one pass over all links: links
    are sorted by supplier then customer, so link order is frontier-row order in both
    directions. Each firm's state (0 seen, 1 on the frontier, 2 unseen) is read once per end
    of each link, and one code per link says which way it expands."""
    state = np.where(seen, np.uint8(0), np.uint8(2))
    state[frontier] = 1
    sup, cus = view.supplier_of_link, view.out_indices
    code = state[sup] * np.uint8(4) + state[cus]  # 6: supplier expands, 9: customer expands
    if reported_only:
        code *= usable
    out_l = np.flatnonzero(code == 6)
    in_l = np.flatnonzero(code == 9)
    dst = np.concatenate([cus[out_l], sup[in_l]])
    owner = np.concatenate([sup[out_l], cus[in_l]])
    return dst, np.concatenate([out_l, in_l]), owner


def _distinct(rows: npt.NDArray[np.int32], n: int) -> npt.NDArray[np.int64]:
    """The distinct ``rows`` (integers in ``[0, n)``), ascending: a sort while they are few,
    else one mark per row and a scan, which costs a byte per firm instead of a sort."""
    if len(rows) * 32 < n:
        return np.unique(rows).astype(np.int64)
    mark = np.zeros(n, dtype=bool)
    mark[rows] = True
    return np.flatnonzero(mark)


def first_occurrences(
    values: npt.NDArray[np.integer[Any]], size: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct ``values`` (integers in ``[0, size)``), ascending, and the position of the
    first occurrence of each: ``np.unique(values, return_index=True)`` in linear time.

    >>> [a.tolist() for a in first_occurrences(np.array([4, 1, 4, 0, 1]), 5)]
    [[0, 1, 4], [3, 1, 0]]
    """
    first = np.full(size, len(values), dtype=np.int64)
    np.minimum.at(first, values, np.arange(len(values), dtype=np.int64))
    distinct = np.flatnonzero(first < len(values))
    return distinct, first[distinct]


def introducer_paths(
    view: ChainView,
    targets: Sequence[int] | npt.NDArray[np.int64],
    *,
    leaders: Sequence[int] | npt.NDArray[np.int64] = (),
    max_hops: int = 3,
    local_reach: tuple[Reach, Reach] | None = None,
) -> dict[int, IntroducerPath]:
    """The best introducer path for each target row that a local firm reaches within
    ``max_hops`` links: a path of reported links when there is one, else one that uses
    inferred links too (its text marks them); then the shortest; at equal length a chain
    leader. Targets no local firm reaches are absent from the result.

    ``local_reach`` passes searches from every local firm already made with the same
    ``max_hops`` (reported links only, then all links), as the target ranking has them."""
    local = view.is_local
    leader_mask = np.zeros(view.n_firms, dtype=bool)
    leader_mask[np.asarray(leaders, dtype=np.int64)] = True
    leader_mask &= local
    all_reported = bool((view.link_confidence == CONFIDENCE_CODES["reported"]).all())
    if local_reach is None:
        from_local = reach(view, local, max_hops)
        local_reach = (
            from_local if all_reported else reach(view, local, max_hops, reported_only=True),
            from_local,
        )
    # a leader's path wins only at the length of the shortest local one, so the leaders'
    # searches stop there: their first hops are the same as in a deeper search
    rows = np.asarray(targets, dtype=np.int64)
    nearest = local_reach[1][0][rows] if len(rows) else np.zeros(0, dtype=np.int64)
    leader_hops = min(max_hops, int(nearest.max(initial=0)))
    if all_reported:
        from_leaders = reach(view, leader_mask, leader_hops)
        reported_from_leaders = from_leaders
    else:  # two searches: on two threads in a large view (numpy lets go of the interpreter lock)
        with ThreadPoolExecutor(max_workers=2 if view.n_firms >= THREADS_FROM else 1) as pool:
            pending = pool.submit(reach, view, leader_mask, leader_hops, reported_only=True)
            from_leaders = reach(view, leader_mask, leader_hops)
            reported_from_leaders = pending.result()
    searches = [reported_from_leaders, from_leaders, *local_reach]
    out: dict[int, IntroducerPath] = {}
    for t in rows.tolist():
        best: tuple[int, int, int] | None = None  # (inferred links used, hops, search index)
        for k, (hops, _, _) in enumerate(searches):
            h = int(hops[t])
            rank = (k % 2, h, k)  # searches 0 and 2 follow reported links only
            if h > 0 and (best is None or rank < best):
                best = rank
        if best is None:
            continue
        k = best[2]
        _, parent, via = searches[k]
        out[t] = _build(view, t, parent, via, leader_mask)
    return out


def _build(
    view: ChainView,
    target: int,
    parent: npt.NDArray[np.int64],
    via: npt.NDArray[np.int64],
    leader_mask: npt.NDArray[np.bool_],
) -> IntroducerPath:
    chain = [target]
    links = []
    node = target
    while parent[node] >= 0:
        links.append(int(via[node]))
        node = int(parent[node])
        chain.append(node)
    chain.reverse()  # introducer first
    links.reverse()
    supplier_of = view.supplier_of_link
    steps = []
    parts_en = [str(view.names[chain[0]])]
    parts_zh = [str(view.names[chain[0]])]
    for a, b, link in zip(chain[:-1], chain[1:], links, strict=True):
        sup, cus = int(supplier_of[link]), int(view.out_indices[link])
        steps.append(
            PathStep(
                supplier_id=str(view.ids[sup]),
                supplier_name=str(view.names[sup]),
                customer_id=str(view.ids[cus]),
                customer_name=str(view.names[cus]),
                confidence=_CONFIDENCE.get(int(view.link_confidence[link]), "reported"),
            )
        )
        buys = sup == b  # a buys from b
        kind = steps[-1].confidence
        en, zh = ("", "") if kind == "reported" else (f" ({kind})", f"（{_KIND_ZH[kind]}）")
        parts_en.append(
            (f"← buys from{en} ← " if buys else f"→ sells to{en} → ") + str(view.names[b])
        )
        parts_zh.append((f"←采购自{zh}← " if buys else f"→供货给{zh}→ ") + str(view.names[b]))
        del a
    intro = chain[0]
    return IntroducerPath(
        target_id=str(view.ids[target]),
        introducer_id=str(view.ids[intro]),
        introducer_name=str(view.names[intro]),
        introducer_is_leader=bool(leader_mask[intro]),
        hops=len(links),
        firms=[str(view.ids[i]) for i in chain],
        steps=steps,
        text=" ".join(parts_en),
        text_zh=" ".join(parts_zh),
    )


def path_between(
    view: ChainView,
    source: int,
    target: int,
    max_hops: int = 3,
    leaders: npt.NDArray[np.int64] | None = None,
) -> IntroducerPath | None:
    """The shortest supply path (either direction per link) from ``source`` to ``target``
    within ``max_hops``, or None. Used by ``chainscout path FROM TO``; ``leaders`` (rows of
    the chain leaders) says whether ``source`` is one."""
    start = np.zeros(view.n_firms, dtype=bool)
    start[source] = True
    hops, parent, via = reach(view, start, max_hops)
    if hops[target] < 0:
        return None
    leader_mask = np.zeros(view.n_firms, dtype=bool)
    if leaders is not None:
        leader_mask[leaders] = True
    return _build(view, target, parent, via, leader_mask)


def neighbourhood(
    view: ChainView, firm: int, hops: int, *, budget: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows within ``hops`` supply links of ``firm`` (either direction) and their hop counts,
    ``firm`` first. Cost grows with the neighbourhood, not the view. With ``budget``, each hop
    keeps the largest firms (revenue, then row) until ``budget`` rows are held."""
    visited = np.zeros(view.n_firms, dtype=bool)  # calloc'd: untouched pages cost nothing
    visited[firm] = True
    parts = [np.array([firm], dtype=np.int64)]
    held = 1
    frontier = parts[0]
    for _hop in range(1, hops + 1):
        if len(frontier) == 0:
            break
        reached = view.partners_of(frontier)
        nxt = _distinct(reached[~visited[reached]], view.n_firms)
        if budget is not None:
            room = budget - held
            if room <= 0:
                break
            if len(nxt) > room:
                revenue = np.nan_to_num(view.revenue[nxt], nan=-1.0)
                nxt = np.sort(nxt[np.lexsort((nxt, -revenue))[:room]])
        visited[nxt] = True
        parts.append(nxt)
        held += len(nxt)
        frontier = nxt
    hop_of = np.repeat(np.arange(len(parts), dtype=np.int64), [len(p) for p in parts])
    return np.concatenate(parts), hop_of
