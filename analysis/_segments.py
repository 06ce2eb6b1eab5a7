"""Segment helpers shared by the chain analyses: names, the sub-segment hierarchy, and the
membership matrix rolled up from sub-segments to their parents.

A parent segment counts every firm of its sub-segments (each firm once, its business shares
added and capped at 1), so "电池材料" covers the firms of "正极材料" and "负极材料" below it.

Example:
    >>> from chainscout.graph.model import Chain, Segment
    >>> from chainscout.graph.view import ChainView
    >>> c = Chain(id="c", name="c", segments=(
    ...     Segment(id="c.a", chain="c", name="A"),
    ...     Segment(id="c.a1", chain="c", name="A1", level=1, parent="c.a")))
    >>> v = ChainView.from_arrays(chain=c, home_region="440300", ids=["x"],
    ...     member_firm=[0], member_segment=[1], member_share=[1.0],
    ...     supplier=[], customer=[], segment_ids=["c.a", "c.a1"])
    >>> rolled_membership(v).toarray().tolist()
    [[1.0], [1.0]]
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from chainscout.graph.model import Segment
from chainscout.graph.view import ChainView

__all__ = [
    "SegmentInfo",
    "ancestor_matrix",
    "chain_shares",
    "has_firms_abroad",
    "rolled_by_firm",
    "rolled_membership",
    "segment_firm_counts",
    "segment_infos",
]

# Facts derived from a view, kept as long as the view lives (a view is never changed in place,
# like its own cached properties): the analyses of one view share them.
_FACTS: weakref.WeakKeyDictionary[ChainView, dict[str, Any]] = weakref.WeakKeyDictionary()


def _facts(view: ChainView) -> dict[str, Any]:
    facts = _FACTS.get(view)
    if facts is None:
        facts = {}
        _FACTS[view] = facts
    return facts


@dataclass(frozen=True)
class SegmentInfo:
    """What the analyses need to know of one view column."""

    index: int
    id: str
    name: str
    name_en: str | None
    level: int
    parent: str | None
    children: tuple[str, ...]


def segment_infos(view: ChainView) -> list[SegmentInfo]:
    """One entry per view column, in the view's (upstream-first) order."""
    by_id: dict[str, Segment] = {s.id: s for s in view.chain.segments} if view.chain else {}
    children: dict[str, list[str]] = {sid: [] for sid in view.segment_ids}
    for sid in view.segment_ids:
        seg = by_id.get(sid)
        if seg is not None and seg.parent in children:
            children[seg.parent].append(sid)
    out = []
    for i, sid in enumerate(view.segment_ids):
        seg = by_id.get(sid)
        out.append(
            SegmentInfo(
                index=i,
                id=sid,
                name=seg.name if seg else sid,
                name_en=seg.name_en if seg else None,
                level=seg.level if seg else 0,
                parent=seg.parent if seg and seg.parent in children else None,
                children=tuple(children[sid]),
            )
        )
    return out


def ancestor_matrix(view: ChainView) -> sparse.csr_array:
    """Segments x segments: entry ``(s, t)`` is 1 when ``s`` is ``t`` or an ancestor of it."""
    infos = segment_infos(view)
    pos = {s.id: s.index for s in infos}
    rows: list[int] = []
    cols: list[int] = []
    for info in infos:  # one walk up the (shallow) hierarchy per segment, not per firm
        node: str | None = info.id
        seen: set[str] = set()
        while node is not None and node not in seen:
            seen.add(node)
            rows.append(pos[node])
            cols.append(info.index)
            node = infos[pos[node]].parent
    m = view.n_segments
    return sparse.csr_array(
        (np.ones(len(rows)), (np.array(rows, np.int64), np.array(cols, np.int64))), shape=(m, m)
    )


def has_firms_abroad(view: ChainView) -> bool:
    """Whether any firm of the view sits outside China (an ISO country code other than CN)."""
    facts = _facts(view)
    if "abroad" not in facts:
        distinct = set(view.regions.tolist())  # a few thousand codes among a million firms
        facts["abroad"] = any(isinstance(c, str) and len(c) == 2 and c != "CN" for c in distinct)
    return bool(facts["abroad"])


def chain_shares(view: ChainView) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per firm: its business share in the chain (its memberships added, capped at 1), and
    whether it has a membership at all. Facts of the membership alone, kept with the view."""
    facts = _facts(view)
    if "chain_shares" not in facts:
        base = view.membership
        share = np.minimum(base @ np.ones(base.shape[1]), 1.0)
        facts["chain_shares"] = (share, base.indptr[1:] > base.indptr[:-1])
    out: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] = facts["chain_shares"]
    return out


def segment_firm_counts(view: ChainView) -> npt.NDArray[np.int64]:
    """Per segment: its firms, those of its sub-segments included (each firm once)."""
    facts = _facts(view)
    if "firm_counts" not in facts:
        by_firm = rolled_by_firm(view)
        facts["firm_counts"] = np.bincount(by_firm.indices, minlength=view.n_segments)
    out: npt.NDArray[np.int64] = facts["firm_counts"]
    return out


def rolled_membership(view: ChainView) -> sparse.csr_array:
    """Segments x firms business shares, sub-segments rolled up into their parents, capped at 1.

    Without sub-segments this is :attr:`ChainView.membership_by_segment` itself.
    """
    facts = _facts(view)
    if "rolled" not in facts:
        facts["rolled"] = _rolled(view)
    rolled: sparse.csr_array = facts["rolled"]
    return rolled


def rolled_by_firm(view: ChainView) -> sparse.csr_array:
    """:func:`rolled_membership` firm-major (firms x segments, CSR); the view's own
    :attr:`ChainView.membership` when the chain has no sub-segments. Built from the firm-major
    memberships directly: one product with the small segment-ancestor matrix."""
    if not any(i.children for i in segment_infos(view)):
        return view.membership
    facts = _facts(view)
    if "rolled_by_firm" not in facts:
        rolled = sparse.csr_array(view.membership @ ancestor_matrix(view).T)
        rolled.sum_duplicates()
        data: npt.NDArray[np.float64] = np.minimum(rolled.data, 1.0)
        by_firm = sparse.csr_array((data, rolled.indices, rolled.indptr), shape=rolled.shape)
        by_firm.sort_indices()
        facts["rolled_by_firm"] = by_firm
    out: sparse.csr_array = facts["rolled_by_firm"]
    return out


def _rolled(view: ChainView) -> sparse.csr_array:
    if not any(i.children for i in segment_infos(view)):
        return view.membership_by_segment
    out = sparse.csr_array(rolled_by_firm(view).T)
    out.sort_indices()
    return out
