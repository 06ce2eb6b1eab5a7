"""The chain-gap table: for each segment, is the home region's part missing, weak, present or
strong, and why.

Planners ask where their chain is missing (缺链), weak (弱链/短板) or strong (强链). This module
answers from the view's arrays alone: per segment, the local and total firm counts, the local and
total size, the location quotient and the local share of the pool, and a status decided by the
first rule below that applies. Every row carries the rule and a sentence with its numbers.

Size is revenue (万元) where it is known for at least ``revenue_coverage`` of the firms, else the
business share of each firm in the segment (which is the firm count when every firm is wholly in
one segment). Firms with unknown revenue count zero size on the revenue basis (their count still
counts); the row reports how much of its pool has a known revenue.

The **location quotient** compares the region's share of the segment with its share of the whole
chain::

    LQ = (local size in segment / size of segment) / (local size in chain / size of chain)

LQ 1 means the segment is as local as the chain is; below 1 the region under-weights it.

Rules, first match wins (thresholds in :class:`GapThresholds`, all adjustable):

============ =========================================================================
missing      no firm of the segment at all in the data (``no_data``), or no local firm
             (``no_local_firm``)
weak         fewer than ``weak_min_firms`` local firms (``few_local_firms``), or
             LQ < ``weak_lq`` (``low_lq``)
strong       LQ >= ``strong_lq`` and at least ``strong_min_firms`` local firms (``high_lq``)
present      everything else (``in_between``)
============ =========================================================================

A threshold comparison treats values within 1e-9 of the threshold as equal to it, so an LQ of
exactly 0.5 is not below 0.5. A segment with sub-segments counts the firms of all of them (see
``analysis._segments``), and its reason also sums up its sub-segments' statuses.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=list("abcdef"),
    ...     regions=["440305", "440306", "320500", "320500", "320500", "320500"],
    ...     member_firm=range(6), member_segment=[0, 0, 0, 0, 1, 1], member_share=[1.0] * 6,
    ...     supplier=[], customer=[], segment_ids=["s1", "s2"])
    >>> table = gap_table(v, GapThresholds(strong_min_firms=2))
    >>> for r in table.rows:
    ...     print(r.segment, r.status.value, r.lq, "|", r.reason)
    s1 strong 1.5 | LQ 1.50 ≥ 1.5 with 2 local firms (50.0% of the pool vs 33.3% chain-wide)
    s2 missing None | no local firm among 2 nationally
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from chainscout.graph.view import ChainView

from ._segments import (
    chain_shares,
    has_firms_abroad,
    rolled_by_firm,
    segment_firm_counts,
    segment_infos,
)

__all__ = [
    "GapRule",
    "GapStatus",
    "GapTable",
    "GapThresholds",
    "SegmentGap",
    "SizeBasis",
    "gap_table",
]

#: Values within this relative distance of a threshold count as equal to it.
TOLERANCE = 1e-9

SizeBasis = Literal["revenue", "share"]


class GapStatus(StrEnum):
    """How well the home region covers a segment, from worst to best."""

    MISSING = "missing"
    WEAK = "weak"
    PRESENT = "present"
    STRONG = "strong"

    @property
    def zh(self) -> str:
        """The Chinese label (缺链, 弱链, 有链, 强链)."""
        return {"missing": "缺链", "weak": "弱链", "present": "有链", "strong": "强链"}[self.value]


class GapRule(StrEnum):
    """Which rule decided a status (see the module docstring)."""

    NO_DATA = "no_data"
    NO_LOCAL_FIRM = "no_local_firm"
    FEW_LOCAL_FIRMS = "few_local_firms"
    LOW_LQ = "low_lq"
    HIGH_LQ = "high_lq"
    IN_BETWEEN = "in_between"


class GapThresholds(BaseModel):
    """The thresholds of the gap rules; defaults suit a city and a chain of 20-40 segments."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weak_lq: float = Field(default=0.5, ge=0.0, description="LQ below this is weak")
    strong_lq: float = Field(default=1.5, gt=0.0, description="LQ at or above this is strong")
    weak_min_firms: int = Field(default=2, ge=1, description="fewer local firms than this is weak")
    strong_min_firms: int = Field(
        default=3, ge=1, description="strong needs at least this many local firms"
    )
    revenue_coverage: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="size is revenue when at least this share of the view's firms report it",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.weak_lq > self.strong_lq:
            raise ValueError(f"weak_lq {self.weak_lq} must not exceed strong_lq {self.strong_lq}")
        return self


class SegmentGap(BaseModel):
    """One row of the gap table."""

    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    name_en: str | None
    level: int
    parent: str | None
    sub_segments: list[str]
    firms: int = Field(description="firms of the segment in the pool (local and outside)")
    local_firms: int
    size: float = Field(description="size of the segment's pool, on the table's size basis")
    local_size: float
    revenue_known: float = Field(description="share of the pool's firms with a known revenue")
    pool_share: float | None = Field(description="local size over pool size, 0-1")
    lq: float | None = Field(description="location quotient; None without any local firm")
    status: GapStatus
    rule: GapRule
    reason: str
    reason_zh: str


class GapTable(BaseModel):
    """The gap table of one chain for one home region, upstream segments first."""

    model_config = ConfigDict(frozen=True)

    chain: str | None
    chain_name: str | None
    home_region: str
    size_basis: SizeBasis
    pool: Literal["national", "global"]
    thresholds: GapThresholds
    chain_firms: int
    chain_local_firms: int
    chain_local_share: float | None = Field(
        description="local size over pool size for the whole chain (the LQ denominator)"
    )
    status_counts: dict[str, int]
    rows: list[SegmentGap]


def _lt(value: float, threshold: float) -> bool:
    return value < threshold - TOLERANCE * max(1.0, abs(threshold))


def _fmt(value: float, threshold: float) -> str:
    """``value`` with two decimals, or more when two would make it look equal to ``threshold``."""
    for digits in range(2, 7):
        text = f"{value:.{digits}f}"
        if float(text) != threshold or abs(value - threshold) <= TOLERANCE * max(1.0, threshold):
            return text
    return f"{value:.6f}"


def _t(value: float) -> str:
    return f"{value:g}"


def gap_table(
    view: ChainView,
    thresholds: GapThresholds | None = None,
    *,
    size_basis: SizeBasis | None = None,
) -> GapTable:
    """The gap table of ``view`` (see the module docstring for the rules).

    Parameters
    ----------
    view:
        One chain from one home region.
    thresholds:
        The rule thresholds; the defaults of :class:`GapThresholds` when None.
    size_basis:
        ``"revenue"`` or ``"share"``; None chooses revenue when enough firms report it.
    """
    th = thresholds or GapThresholds()
    infos = segment_infos(view)
    n = view.n_firms
    known = ~np.isnan(view.revenue)

    # chain totals: each firm once, its shares capped at 1
    firm_share, in_chain = chain_shares(view)
    n_chain = int(in_chain.sum())
    if size_basis is None:
        known_chain = int((in_chain & known).sum())
        size_basis = (
            "revenue" if n_chain and known_chain >= th.revenue_coverage * n_chain else "share"
        )
    size_of = np.where(known, view.revenue, 0.0) if size_basis == "revenue" else np.ones(n)

    # per segment: counts from the membership structure, sizes from sparse products; the local
    # and the unknown-revenue firms are a minority, so their sums run over their rows alone
    by_firm = rolled_by_firm(view)  # firms x segments, business shares
    m = view.n_segments
    local_rows = np.flatnonzero(view.is_local)
    local_part = by_firm[local_rows]
    firms = segment_firm_counts(view)
    local_firms = np.bincount(local_part.indices, minlength=m)
    unknown_firms = np.bincount(by_firm[np.flatnonzero(~known)].indices, minlength=m)
    rev_known = firms - unknown_firms
    size = size_of @ by_firm
    local_size = size_of[local_rows] @ local_part

    chain_size = float(firm_share @ size_of)
    chain_local = float(firm_share[local_rows] @ size_of[local_rows])
    chain_share = chain_local / chain_size if chain_size > 0 else None
    shown_share = None if chain_share is None else round(chain_share, 6)

    with np.errstate(divide="ignore", invalid="ignore"):
        pool_share = np.where(size > 0, local_size / np.where(size > 0, size, 1), np.nan)
    pool: Literal["national", "global"] = "global" if has_firms_abroad(view) else "national"

    rows: list[SegmentGap] = []
    for info in infos:
        i = info.index
        # reasons are written from the rounded values the row reports, so they always agree
        ps = None if np.isnan(pool_share[i]) else round(float(pool_share[i]), 6)
        lq = None
        if local_firms[i] > 0 and ps is not None and chain_share:
            lq = round(float(pool_share[i]) / chain_share, 6)
        status, rule, reason, reason_zh = _decide(
            th, int(firms[i]), int(local_firms[i]), ps, lq, shown_share, pool
        )
        rows.append(
            SegmentGap(
                segment=info.id,
                name=info.name,
                name_en=info.name_en,
                level=info.level,
                parent=info.parent,
                sub_segments=list(info.children),
                firms=int(firms[i]),
                local_firms=int(local_firms[i]),
                size=round(float(size[i]), 4),
                local_size=round(float(local_size[i]), 4),
                revenue_known=round(float(rev_known[i] / firms[i]), 4) if firms[i] else 0.0,
                pool_share=ps,
                lq=lq,
                status=status,
                rule=rule,
                reason=reason,
                reason_zh=reason_zh,
            )
        )
    rows = _with_sub_segments(rows)
    counts = {s.value: sum(r.status is s for r in rows) for s in GapStatus}
    return GapTable(
        chain=view.chain.id if view.chain else None,
        chain_name=view.chain.name if view.chain else None,
        home_region=view.home_region,
        size_basis=size_basis,
        pool=pool,
        thresholds=th,
        chain_firms=n_chain,
        chain_local_firms=int(in_chain[local_rows].sum()),
        chain_local_share=None if chain_share is None else round(chain_share, 6),
        status_counts=counts,
        rows=rows,
    )


def _decide(
    th: GapThresholds,
    firms: int,
    local: int,
    pool_share: float | None,
    lq: float | None,
    chain_share: float | None,
    pool: str,
) -> tuple[GapStatus, GapRule, str, str]:
    where = "nationally" if pool == "national" else "worldwide"
    where_zh = "全国" if pool == "national" else "全球"
    if firms == 0:
        return (
            GapStatus.MISSING,
            GapRule.NO_DATA,
            "no firm of this segment anywhere in the data",
            "数据中无该环节企业",
        )
    if local == 0:
        return (
            GapStatus.MISSING,
            GapRule.NO_LOCAL_FIRM,
            f"no local firm among {firms} {where}",
            f"本地无企业（{where_zh}共{firms}家）",
        )
    if local < th.weak_min_firms:
        word = "firm" if local == 1 else "firms"
        return (
            GapStatus.WEAK,
            GapRule.FEW_LOCAL_FIRMS,
            f"only {local} local {word} among {firms} (fewer than {th.weak_min_firms})",
            f"仅{local}家本地企业（{where_zh}共{firms}家，少于{th.weak_min_firms}家）",
        )
    assert lq is not None and pool_share is not None and chain_share is not None
    shares = f"{pool_share:.1%} of the pool vs {chain_share:.1%} chain-wide"
    shares_zh = f"占{where_zh}{pool_share:.1%}，全链平均{chain_share:.1%}"
    if _lt(lq, th.weak_lq):
        text = _fmt(lq, th.weak_lq)
        return (
            GapStatus.WEAK,
            GapRule.LOW_LQ,
            f"LQ {text} < {_t(th.weak_lq)} ({local} local firms, {shares})",
            f"区位熵 {text} < {_t(th.weak_lq)}（本地{local}家，{shares_zh}）",
        )
    if not _lt(lq, th.strong_lq):
        text = _fmt(lq, th.strong_lq)
        if local >= th.strong_min_firms:
            return (
                GapStatus.STRONG,
                GapRule.HIGH_LQ,
                f"LQ {text} ≥ {_t(th.strong_lq)} with {local} local firms ({shares})",
                f"区位熵 {text} ≥ {_t(th.strong_lq)}，本地{local}家（{shares_zh}）",
            )
        return (
            GapStatus.PRESENT,
            GapRule.IN_BETWEEN,
            f"LQ {text} ≥ {_t(th.strong_lq)} but only {local} local firms"
            f" (strong needs {th.strong_min_firms}; {shares})",
            f"区位熵 {text} ≥ {_t(th.strong_lq)}，但本地仅{local}家"
            f"（强链需{th.strong_min_firms}家；{shares_zh}）",
        )
    text = f"{lq:.2f}"
    return (
        GapStatus.PRESENT,
        GapRule.IN_BETWEEN,
        f"LQ {text} between {_t(th.weak_lq)} and {_t(th.strong_lq)}"
        f" ({local} local firms, {shares})",
        f"区位熵 {text}，介于 {_t(th.weak_lq)} 与 {_t(th.strong_lq)} 之间"
        f"（本地{local}家，{shares_zh}）",
    )


def _with_sub_segments(rows: list[SegmentGap]) -> list[SegmentGap]:
    """Append to each parent's reason how its sub-segments stand (direct children)."""
    by_id = {r.segment: r for r in rows}
    out = []
    for r in rows:
        if not r.sub_segments:
            out.append(r)
            continue
        kids = [by_id[c].status for c in r.sub_segments if c in by_id]
        parts = [(s, sum(k is s for k in kids)) for s in GapStatus]
        en = ", ".join(f"{n} {s.value}" for s, n in parts if n)
        zh = "，".join(f"{s.zh}{n}个" for s, n in parts if n)
        out.append(
            r.model_copy(
                update={
                    "reason": f"{r.reason}; sub-segments: {en}",
                    "reason_zh": f"{r.reason_zh}；下级环节：{zh}",
                }
            )
        )
    return out
