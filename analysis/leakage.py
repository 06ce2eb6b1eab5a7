"""Leakage: how much of what local firms buy from each segment comes from outside the home region,
and from whom.

A segment whose inputs the local firms buy mostly from elsewhere is local demand that a firm
attracted to the region would serve (漏损 / 外购). For each segment this module takes the known
supply links from the segment's firms to local customers and measures the outside part.

Basis: link volume (万元 per year) when at least ``volume_coverage`` of the segment's links to
local firms report one, otherwise the number of links. A supplier working in several segments
counts in each with its business share. The biggest outside suppliers are ranked by what they sell
to local firms (volume, else links), then by id.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["buyer", "near", "far1", "far2"],
    ...     regions=["440305", "440306", "320500", "310100"],
    ...     member_firm=[0, 1, 2, 3], member_segment=[1, 0, 0, 0], member_share=[1.0] * 4,
    ...     supplier=[1, 2, 3], customer=[0, 0, 0], segment_ids=["up", "down"])
    >>> row = leakage_table(v).rows[0]
    >>> row.segment, row.leakage, [s.id for s in row.top_suppliers]
    ('up', 0.6667, ['far1', 'far2'])
    >>> print(row.reason)
    2 of 3 known input links (67%) come from outside 440300; biggest outside suppliers: far1, far2
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from chainscout.graph.view import ChainView

from ._segments import rolled_membership, segment_infos

__all__ = ["LeakageRow", "LeakageTable", "OutsideSupplier", "leakage_table"]


class OutsideSupplier(BaseModel):
    """An outside firm selling to local firms from one segment."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    region: str | None
    local_customers: int = Field(description="local firms it supplies")
    volume: float | None = Field(description="万元 per year to local firms, where known")
    weight: float = Field(description="its part of the segment's inputs, on the row's basis")


class LeakageRow(BaseModel):
    """Leakage of one segment."""

    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    name_en: str | None
    basis: Literal["volume", "links"]
    input_links: float = Field(description="links from the segment to local firms (shares)")
    outside_links: float
    input_volume: float
    outside_volume: float
    volume_known: float = Field(description="share of those links with a known volume")
    leakage: float | None = Field(description="outside part of the inputs, 0-1")
    top_suppliers: list[OutsideSupplier]
    reason: str
    reason_zh: str


class LeakageTable(BaseModel):
    """Leakage per segment, upstream first."""

    model_config = ConfigDict(frozen=True)

    chain: str | None
    home_region: str
    volume_coverage: float
    rows: list[LeakageRow]


def leakage_table(view: ChainView, *, top: int = 5, volume_coverage: float = 0.5) -> LeakageTable:
    """Leakage of every segment of ``view`` (see the module docstring).

    Parameters
    ----------
    top:
        How many outside suppliers to name per segment.
    volume_coverage:
        Use volumes when at least this share of a segment's links to local firms have one.
    """
    if top < 0:
        raise ValueError(f"top must be 0 or more, not {top}")
    infos = segment_infos(view)
    n = view.n_firms
    # per supplier firm: what it sells to local firms, read from the links into local firms
    into = view.links_into(np.flatnonzero(view.is_local), build=False)
    sup = view.supplier_of_link[into]
    vol = view.link_volume[into]
    has_vol = ~np.isnan(vol)
    customers = np.bincount(sup, minlength=n)  # links to local firms
    links_to_local = customers.astype(np.float64)
    vol_to_local = np.bincount(sup, weights=np.where(has_vol, vol, 0.0), minlength=n)
    known_to_local = np.bincount(sup[has_vol], minlength=n)

    seg = rolled_membership(view)  # segment x firm, shares
    outside = (~view.is_local).astype(np.float64)
    input_links = seg @ links_to_local
    outside_links = seg @ (links_to_local * outside)
    input_vol = seg @ vol_to_local
    outside_vol = seg @ (vol_to_local * outside)
    known = seg @ known_to_local

    supplies_home = ~view.is_local & (links_to_local > 0)  # the outside firms worth naming
    rows = []
    for info in infos:
        i = info.index
        links = float(input_links[i])
        coverage = float(known[i] / links) if links > 0 else 0.0
        basis: Literal["volume", "links"] = (
            "volume" if links > 0 and coverage >= volume_coverage and input_vol[i] > 0 else "links"
        )
        if links <= 0:
            leak = None
        elif basis == "volume":
            leak = float(outside_vol[i] / input_vol[i])
        else:
            leak = float(outside_links[i] / links)
        firms = np.asarray(seg.indices[seg.indptr[i] : seg.indptr[i + 1]], np.int64)
        shares = np.asarray(seg.data[seg.indptr[i] : seg.indptr[i + 1]], np.float64)
        keep = supplies_home[firms]
        firms, shares = firms[keep], shares[keep]
        w = shares * (vol_to_local[firms] if basis == "volume" else links_to_local[firms])
        if 0 < top < len(w):  # the best ``top`` and whatever ties with the last of them
            best = w >= np.partition(w, len(w) - top)[len(w) - top]
            firms, w = firms[best], w[best]
        order = np.lexsort((firms, -w))[:top]  # rows are in id order: ties go to the lower id
        suppliers = [
            OutsideSupplier(
                id=str(view.ids[f]),
                name=str(view.names[f]),
                region=None if view.regions[f] is None else str(view.regions[f]),
                local_customers=int(customers[f]),
                volume=round(float(vol_to_local[f]), 1) if known_to_local[f] else None,
                weight=round(float(w[k]), 4),
            )
            for k, f in zip(order.tolist(), firms[order].tolist(), strict=True)
        ]
        reason, reason_zh = _reason(
            view.home_region,
            basis,
            leak,
            links,
            float(outside_links[i]),
            float(input_vol[i]),
            float(outside_vol[i]),
            suppliers,
        )
        rows.append(
            LeakageRow(
                segment=info.id,
                name=info.name,
                name_en=info.name_en,
                basis=basis,
                input_links=round(links, 4),
                outside_links=round(float(outside_links[i]), 4),
                input_volume=round(float(input_vol[i]), 1),
                outside_volume=round(float(outside_vol[i]), 1),
                volume_known=round(coverage, 4),
                leakage=None if leak is None else round(leak, 4),
                top_suppliers=suppliers,
                reason=reason,
                reason_zh=reason_zh,
            )
        )
    return LeakageTable(
        chain=view.chain.id if view.chain else None,
        home_region=view.home_region,
        volume_coverage=volume_coverage,
        rows=rows,
    )


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _reason(
    home: str,
    basis: str,
    leak: float | None,
    links: float,
    out_links: float,
    vol: float,
    out_vol: float,
    suppliers: list[OutsideSupplier],
) -> tuple[str, str]:
    if leak is None:
        return (
            "no known input of local firms from this segment",
            "本地企业无已知来自该环节的采购",
        )
    if basis == "volume":
        en = (
            f"{out_vol:,.0f} of {vol:,.0f} 万元 of known inputs ({leak:.0%})"
            f" come from outside {home}"
        )
        zh = f"已知采购{vol:,.0f}万元中{out_vol:,.0f}万元（{leak:.0%}）来自{home}以外"
    else:
        en = (
            f"{_num(out_links)} of {_num(links)} known input links ({leak:.0%})"
            f" come from outside {home}"
        )
        zh = f"已知{_num(links)}条采购关系中{_num(out_links)}条（{leak:.0%}）来自{home}以外"
    if suppliers and leak > 0:
        names = ", ".join(s.name for s in suppliers[:2])
        en += f"; biggest outside suppliers: {names}"
        zh += f"；主要外地供应商：{'、'.join(s.name for s in suppliers[:2])}"
    return en, zh
