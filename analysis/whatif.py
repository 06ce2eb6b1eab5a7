"""What-if: "we land these targets" — count them as local and see what changes.

Landing a firm makes it local to the home region: the gap table and the remaining ranking are
recomputed on the same view with those firms local (``ChainView.with_local``), and the result
lists every segment whose status changed, with the reason after the change, and (with
``rank``) every firm whose place in the top of the ranking changed, with why.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["a", "b"], regions=["440305", "320500"],
    ...     member_firm=[0, 1], member_segment=[0, 1], member_share=[1.0, 1.0],
    ...     supplier=[1], customer=[0], segment_ids=["down", "up"])
    >>> r = what_if(v, ["b"])
    >>> [(c.segment, c.before, c.after) for c in r.changes]
    [('up', 'missing', 'weak')]
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from chainscout.graph.view import ChainView

from .gaps import GapTable, gap_table
from .targets import TargetParams, TargetRanking, rank_targets

__all__ = ["RankChange", "SegmentChange", "WhatIf", "rank_changes", "what_if"]


class SegmentChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    before: str
    after: str
    local_firms_before: int
    local_firms_after: int
    reason_after: str


class RankChange(BaseModel):
    """A firm whose place in the top of the ranking changed (ranks from 1; None: not in the
    top shown), and why in a sentence."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    rank_before: int | None
    rank_after: int | None
    score_before: float | None
    score_after: float | None
    reason: str


class WhatIf(BaseModel):
    """The gap table and ranking before and after landing ``landed``."""

    model_config = ConfigDict(frozen=True)

    landed: list[str]
    already_local: list[str]
    changes: list[SegmentChange]
    gaps_before: GapTable
    gaps_after: GapTable
    targets_after: TargetRanking | None
    ranking_changes: list[RankChange] = []


def what_if(
    view: ChainView,
    land: Sequence[str],
    params: TargetParams | None = None,
    *,
    rank: bool = False,
    limit: int | None = 20,
) -> WhatIf:
    """Recompute gaps (and, with ``rank``, the ranking) as if the firms ``land`` were local."""
    params = params or TargetParams()
    rows = view.rows_of(land)
    already = [str(view.ids[r]) for r in rows if view.is_local[r]]
    after_view = view.with_local(rows)
    before = gap_table(view, params.gap_thresholds)
    after = gap_table(after_view, params.gap_thresholds)
    changes = [
        SegmentChange(
            segment=b.segment,
            name=b.name,
            before=b.status.value,
            after=a.status.value,
            local_firms_before=b.local_firms,
            local_firms_after=a.local_firms,
            reason_after=a.reason,
        )
        for b, a in zip(before.rows, after.rows, strict=True)
        if b.status != a.status
    ]
    landed = [str(view.ids[r]) for r in rows]
    ranking, moves = None, []
    if rank:
        ranking = rank_targets(after_view, params, limit=limit)
        moves = rank_changes(rank_targets(view, params, limit=limit), ranking, set(landed))
    return WhatIf(
        landed=landed,
        already_local=already,
        changes=changes,
        gaps_before=before,
        gaps_after=after,
        targets_after=ranking,
        ranking_changes=moves,
    )


def rank_changes(before: TargetRanking, after: TargetRanking, landed: set[str]) -> list[RankChange]:
    """The firms of either top whose rank or score changed: the top after first, in its order,
    then those that left it."""
    old = {t.id: t for t in before.rows}
    new = {t.id: t for t in after.rows}
    top = len(before.rows)
    out: list[RankChange] = []
    for t in after.rows:
        b = old.get(t.id)
        if b is not None and (b.rank, b.score) == (t.rank, t.score):
            continue
        if b is None:
            reason = f"entered the top {top}"
        elif t.score != b.score:
            was = {f.name: f.contribution for f in b.factors}
            delta = {f.name: f.contribution - was.get(f.name, 0.0) for f in t.factors}
            most = max(delta, key=lambda k: abs(delta[k]))
            reason = f"score {b.score:.3f} → {t.score:.3f}, mostly {most} ({delta[most]:+.3f})"
        else:
            reason = "moved as firms above it " + ("left" if t.rank < b.rank else "rose")
        out.append(RankChange(
            id=t.id, name=t.name, rank_before=b.rank if b else None, rank_after=t.rank,
            score_before=b.score if b else None, score_after=t.score, reason=reason,
        ))  # fmt: skip
    for b in before.rows:
        if b.id in new:
            continue
        reason = "landed: now a local firm" if b.id in landed else f"fell below the top {top}"
        out.append(RankChange(
            id=b.id, name=b.name, rank_before=b.rank, rank_after=None, score_before=b.score,
            score_after=None, reason=reason,
        ))  # fmt: skip
    return out
