"""Coverage: how many firms of each segment are local, and how large they are.

The first look at a chain from a home region, and the counts that the gap rules build on.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["a", "b", "c"],
    ...     regions=["440305", "320500", "320500"], revenue=[10.0, 30.0, 60.0],
    ...     member_firm=[0, 1, 2], member_segment=[0, 0, 1], member_share=[1.0, 1.0, 1.0],
    ...     supplier=[], customer=[], segment_ids=["s1", "s2"])
    >>> [(c.segment, c.local_firms, c.firms, c.local_revenue_share) for c in segment_coverage(v)]
    [('s1', 1, 2, 0.25), ('s2', 0, 1, 0.0)]
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from chainscout.graph.view import ChainView

__all__ = ["SegmentCoverage", "segment_coverage"]


class SegmentCoverage(BaseModel):
    """Local and total firms and revenue of one segment (revenue weighted by business share)."""

    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    name_en: str | None
    firms: int
    local_firms: int
    revenue: float
    local_revenue: float
    local_revenue_share: float | None


def segment_coverage(view: ChainView) -> list[SegmentCoverage]:
    """One row per segment of the view, upstream first."""
    m = view.membership_by_segment  # segment x firm, data = business share
    seg_of_entry = np.repeat(np.arange(view.n_segments), np.diff(m.indptr))
    firm = m.indices
    local = view.is_local[firm]
    revenue = np.nan_to_num(view.revenue[firm]) * m.data
    firms = np.bincount(seg_of_entry, minlength=view.n_segments)
    local_firms = np.bincount(seg_of_entry, weights=local, minlength=view.n_segments)
    total_rev = np.bincount(seg_of_entry, weights=revenue, minlength=view.n_segments)
    local_rev = np.bincount(seg_of_entry, weights=revenue * local, minlength=view.n_segments)
    names = {s.id: s for s in view.chain.segments} if view.chain else {}
    rows = []
    for i, sid in enumerate(view.segment_ids):
        seg = names.get(sid)
        rows.append(
            SegmentCoverage(
                segment=sid,
                name=seg.name if seg else sid,
                name_en=seg.name_en if seg else None,
                firms=int(firms[i]),
                local_firms=int(local_firms[i]),
                revenue=round(float(total_rev[i]), 1),
                local_revenue=round(float(local_rev[i]), 1),
                local_revenue_share=round(float(local_rev[i] / total_rev[i]), 4)
                if total_rev[i] > 0
                else None,
            )
        )
    return rows
