"""What-if: "we land these targets" — count them as local and see what changes.

Landing a firm makes it local to the home region: the gap table and the remaining ranking are
recomputed on the same view with those firms local (``ChainView.with_local``), and the result
lists every segment whose status changed, with the reason after the change.

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

__all__ = ["SegmentChange", "WhatIf", "what_if"]


class SegmentChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    before: str
    after: str
    local_firms_before: int
    local_firms_after: int
    reason_after: str


class WhatIf(BaseModel):
    """The gap table and ranking before and after landing ``landed``."""

    model_config = ConfigDict(frozen=True)

    landed: list[str]
    already_local: list[str]
    changes: list[SegmentChange]
    gaps_before: GapTable
    gaps_after: GapTable
    targets_after: TargetRanking | None


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
    ranking = rank_targets(after_view, params, limit=limit) if rank else None
    return WhatIf(
        landed=[str(view.ids[r]) for r in rows],
        already_local=already,
        changes=changes,
        gaps_before=before,
        gaps_after=after,
        targets_after=ranking,
    )
