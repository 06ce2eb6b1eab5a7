"""Chain leaders (链主企业): the local firms that anchor a chain, ranked by size and network
position, each with the firms it pulls and the factors of its score shown.

A chain leader is large, central, and buys from or sells to many firms of the chain. Its score is
a weighted sum of named factors, each scaled to 0-1 among the local firms of the view:

========== ================================================================= =======
factor     value                                                             weight
========== ================================================================= =======
size       log(1 + revenue), over the largest local firm's (0 when unknown)  0.4
centrality PageRank on the supply network (links taken both ways), over the  0.3
           highest local value
local      local suppliers + local customers, over the local maximum          0.2
outside    outside suppliers + outside customers, over the local maximum      0.1
========== ================================================================= =======

Ties are broken by id, so the ranking is a total order.

PageRank here iterates until the L1 change of the whole vector is below ``tol`` (default 1e-10,
*not* scaled by the number of firms). ``networkx.pagerank`` stops at ``N * tol``: at a million
firms its default 1e-6 stops after a few iterations and leaves much of the top 100 wrong.

Example:
    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["hub", "a", "b", "far"],
    ...     regions=["440305", "440306", "440306", "320500"], revenue=[900.0, 50.0, 40.0, 70.0],
    ...     member_firm=[0, 1, 2, 3], member_segment=[1, 0, 0, 0], member_share=[1.0] * 4,
    ...     supplier=[1, 2, 3], customer=[0, 0, 0], segment_ids=["up", "down"])
    >>> [(r.rank, r.id, r.local_suppliers, r.outside_suppliers) for r in chain_leaders(v).rows]
    [(1, 'hub', 2, 1), (2, 'a', 0, 0), (3, 'b', 0, 0)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import sparse

from chainscout.graph.view import ChainView

__all__ = [
    "LeaderFactor",
    "LeaderRow",
    "LeaderTable",
    "LeaderWeights",
    "PageRank",
    "PulledFirm",
    "chain_leaders",
    "pagerank",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PageRank:
    """A PageRank vector (sums to 1) and how it was reached: ``error`` is the L1 change of the
    last iteration."""

    values: FloatArray
    iterations: int
    converged: bool
    error: float


def pagerank(
    adjacency: sparse.csr_array | sparse.csr_matrix,
    *,
    alpha: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> PageRank:
    """PageRank of a directed graph given as a CSR adjacency (row links to column), iterated to
    an L1 change below ``tol``. Dangling rows spread their rank uniformly, as in networkx.

    >>> a = sparse.csr_array(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], float))
    >>> pr = pagerank(a)
    >>> pr.converged, np.round(pr.values, 6).tolist()
    (True, [0.333333, 0.333333, 0.333333])
    """
    n = adjacency.shape[0]
    if n == 0:
        return PageRank(values=np.zeros(0), iterations=0, converged=True, error=0.0)
    a = sparse.csr_array(adjacency, dtype=np.float64)
    out_w = np.asarray(a.sum(axis=1)).ravel()
    dangling = out_w == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out_w))
    pt = sparse.csr_array(a.T @ sparse.diags_array(inv))  # column-stochastic transpose
    x = np.full(n, 1.0 / n)
    err = np.inf
    for it in range(1, max_iter + 1):
        nxt = alpha * (pt @ x + x[dangling].sum() / n) + (1.0 - alpha) / n
        err = float(np.abs(nxt - x).sum())
        x = nxt
        if err < tol:
            return PageRank(values=x / x.sum(), iterations=it, converged=True, error=err)
    return PageRank(values=x / x.sum(), iterations=max_iter, converged=False, error=err)


class LeaderWeights(BaseModel):
    """Weights of the leader score's factors (they need not sum to 1; they are used as given)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: float = Field(default=0.4, ge=0.0)
    centrality: float = Field(default=0.3, ge=0.0)
    local: float = Field(default=0.2, ge=0.0)
    outside: float = Field(default=0.1, ge=0.0)

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.size + self.centrality + self.local + self.outside <= 0:
            raise ValueError("at least one leader weight must be positive")
        return self


class LeaderFactor(BaseModel):
    """One factor of a leader's score: raw value, 0-1 value, weight and contribution."""

    model_config = ConfigDict(frozen=True)

    name: Literal["size", "centrality", "local", "outside"]
    value: float | None
    normalised: float
    weight: float
    contribution: float


class PulledFirm(BaseModel):
    """A firm a leader trades with directly."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    region: str | None
    local: bool
    role: Literal["supplier", "customer"]
    revenue: float | None


class LeaderRow(BaseModel):
    """One local firm of the leader ranking."""

    model_config = ConfigDict(frozen=True)

    rank: int
    id: str
    name: str
    region: str | None
    segments: list[str]
    revenue: float | None
    local_suppliers: int
    outside_suppliers: int
    local_customers: int
    outside_customers: int
    centrality: float
    centrality_rank: int = Field(description="rank of its PageRank among local firms")
    score: float
    factors: list[LeaderFactor]
    pulls: list[PulledFirm] = Field(description="its largest direct partners")
    reason: str
    reason_zh: str


class LeaderTable(BaseModel):
    """The leader ranking of one chain from one home region."""

    model_config = ConfigDict(frozen=True)

    chain: str | None
    home_region: str
    weights: LeaderWeights
    local_firms: int
    centrality: Literal["pagerank"] = "pagerank"
    centrality_iterations: int
    centrality_converged: bool
    rows: list[LeaderRow]


def chain_leaders(
    view: ChainView,
    *,
    limit: int = 20,
    weights: LeaderWeights | None = None,
    pulls: int = 5,
    alpha: float = 0.85,
    tol: float = 1e-10,
) -> LeaderTable:
    """Rank the local firms of ``view`` as chain leaders (see the module docstring).

    Parameters
    ----------
    limit:
        How many leaders to return (all local firms are scored).
    weights:
        Factor weights; :class:`LeaderWeights` defaults when None.
    pulls:
        How many of each leader's partners to list, largest first.
    alpha, tol:
        PageRank damping and L1 tolerance.
    """
    if limit < 0 or pulls < 0:
        raise ValueError("limit and pulls must be 0 or more")
    w = weights or LeaderWeights()
    n = view.n_firms
    sup = view.supplier_of_link
    cus = view.out_indices
    loc = view.is_local.astype(np.float64)
    local_sup = np.bincount(cus, weights=loc[sup], minlength=n)
    out_sup = np.bincount(cus, weights=1 - loc[sup], minlength=n)
    local_cus = np.bincount(sup, weights=loc[cus], minlength=n)
    out_cus = np.bincount(sup, weights=1 - loc[cus], minlength=n)

    sym = view.adjacency + view.adjacency.T
    sym.data = np.ones_like(sym.data)
    pr = pagerank(sparse.csr_array(sym), alpha=alpha, tol=tol)

    local = np.flatnonzero(view.is_local)
    rev = view.revenue[local]
    size_raw = np.log1p(np.nan_to_num(rev))
    cent_raw = pr.values[local]
    ltie = local_sup[local] + local_cus[local]
    otie = out_sup[local] + out_cus[local]
    raw = np.stack([size_raw, cent_raw, ltie, otie])
    top = raw.max(axis=1, initial=0.0)
    norm = np.divide(raw, top[:, None], out=np.zeros_like(raw), where=top[:, None] > 0)
    wv = np.array([w.size, w.centrality, w.local, w.outside])
    score = wv @ norm
    ids = view.ids[local].astype(str)
    order = np.lexsort((ids, -score))
    cent_order = np.lexsort((ids, -cent_raw))
    cent_rank = np.empty(len(local), np.int64)
    cent_rank[cent_order] = np.arange(1, len(local) + 1)
    size_order = np.lexsort((ids, -size_raw))
    size_rank = np.empty(len(local), np.int64)
    size_rank[size_order] = np.arange(1, len(local) + 1)

    memb = view.membership
    rows = []
    names = ("size", "centrality", "local", "outside")
    for rank, k in enumerate(order[:limit].tolist(), start=1):
        f = int(local[k])
        start, stop = memb.indptr[f], memb.indptr[f + 1]
        seg_idx = memb.indices[start:stop]
        seg_share = memb.data[start:stop]
        segs = [view.segment_ids[j] for j in seg_idx[np.lexsort((seg_idx, -seg_share))].tolist()]
        values = [
            None if np.isnan(rev[k]) else float(rev[k]),
            float(cent_raw[k]),
            float(ltie[k]),
            float(otie[k]),
        ]
        factors = [
            LeaderFactor(
                name=nm,
                value=None if v is None else round(v, 10),
                normalised=round(float(norm[j, k]), 6),
                weight=float(wv[j]),
                contribution=round(float(wv[j] * norm[j, k]), 6),
            )
            for j, (nm, v) in enumerate(zip(names, values, strict=True))
        ]
        row_rev = values[0]
        counts = (int(local_sup[f]), int(out_sup[f]), int(local_cus[f]), int(out_cus[f]))
        en, zh = _reason(row_rev, int(size_rank[k]), int(cent_rank[k]), counts)
        rows.append(
            LeaderRow(
                rank=rank,
                id=str(view.ids[f]),
                name=str(view.names[f]),
                region=None if view.regions[f] is None else str(view.regions[f]),
                segments=segs,
                revenue=row_rev,
                local_suppliers=counts[0],
                outside_suppliers=counts[1],
                local_customers=counts[2],
                outside_customers=counts[3],
                centrality=float(cent_raw[k]),
                centrality_rank=int(cent_rank[k]),
                score=round(float(score[k]), 6),
                factors=factors,
                pulls=_pulls(view, f, pulls),
                reason=en,
                reason_zh=zh,
            )
        )
    return LeaderTable(
        chain=view.chain.id if view.chain else None,
        home_region=view.home_region,
        weights=w,
        local_firms=len(local),
        centrality_iterations=pr.iterations,
        centrality_converged=pr.converged,
        rows=rows,
    )


def _pulls(view: ChainView, firm: int, k: int) -> list[PulledFirm]:
    """The ``k`` largest direct partners of ``firm`` (revenue, unknown last, then id)."""
    sups = view.suppliers_of(firm)
    cuss = view.customers_of(firm)
    partners = np.concatenate([sups, cuss])
    roles = np.concatenate([np.zeros(len(sups), np.int64), np.ones(len(cuss), np.int64)])
    if not len(partners) or k == 0:
        return []
    rev = np.nan_to_num(view.revenue[partners], nan=-1.0)
    order = np.lexsort((roles, view.ids[partners].astype(str), -rev))[:k]
    out = []
    for p, r in zip(partners[order].tolist(), roles[order].tolist(), strict=True):
        revenue = float(view.revenue[p])
        out.append(
            PulledFirm(
                id=str(view.ids[p]),
                name=str(view.names[p]),
                region=None if view.regions[p] is None else str(view.regions[p]),
                local=bool(view.is_local[p]),
                role="supplier" if r == 0 else "customer",
                revenue=None if np.isnan(revenue) else revenue,
            )
        )
    return out


def _reason(
    revenue: float | None, size_rank: int, cent_rank: int, counts: tuple[int, int, int, int]
) -> tuple[str, str]:
    ls, os_, lc, oc = counts
    size = (
        "revenue unknown"
        if revenue is None
        else f"revenue {revenue:,.0f} 万元 (rank {size_rank} locally)"
    )
    size_zh = "营收未知" if revenue is None else f"营收{revenue:,.0f}万元（本地第{size_rank}）"
    en = (
        f"{size}; buys from {ls + os_} firms ({ls} local), sells to {lc + oc} ({lc} local);"
        f" centrality rank {cent_rank} locally"
    )
    zh = (
        f"{size_zh}；供应商{ls + os_}家（本地{ls}家），客户{lc + oc}家（本地{lc}家）；"
        f"网络中心度本地第{cent_rank}"
    )
    return en, zh
