"""Target ranking: which outside firms to attract, why, and who can introduce us (以商招商).

Candidates are the view's outside firms that (a) work in a missing or weak segment, (b) trade
with local firms within ``max_hops`` supply links, (c) are tied to local firms only through links
inferred from the product chain, or (d) have a predicted link to a local firm. Each candidate keeps
how it was found.

Every candidate gets six factors, each normalised to 0-1; the score is their weighted sum with the
weights normalised to 1, so each row's contributions add up to its score:

========= ==================================================================================
gap       the most needed of its segments: missing 1.0, weak 0.7, present 0.3, strong 0
pull      local firms it trades with directly, a chain leader counting 3, a predicted link its
          probability: ``p / (p + 3)``
demand    leakage of its segment: the share of local firms' known inputs from that segment
          bought outside the home region (what attracting it would replace)
quality   0.5 × size (log10 of revenue in 万元, 100 → 0, 1,000,000 → 1) + 0.3 × tags
          (高新技术企业 0.4, 专精特新 0.3, 小巨人 0.2, 上市公司 0.3, capped at 1) + 0.2 × R&D
          share (8% or more → 1)
related   product-space density: the share of its segment's FEEDS neighbours (upstream and
          downstream) in which the home region is specialised (LQ ≥ 1)
region    1 when the firm sits in the preferred target regions (京津冀, 长三角, 粤港澳大湾区 or
          user-defined codes), else 0; without a preference the factor has no weight
========= ==================================================================================

Entry thresholds (technology, energy, environment, and the 标准地 indicators investment
intensity and tax per mu) exclude firms before ranking, and every excluded firm is kept in
``excluded`` with the rule it failed ("energy intensity 1.2 tce/万元 exceeds 0.8", "tax per mu
12 万元/亩 is below 20"); a firm whose value is unknown is kept with a warning unless the
thresholds say ``exclude_unknown``. Ties are broken by revenue, then id, so the order is stable.

Scoring is vectorised over all candidates; sentences are written only for the rows returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy import sparse

from chainscout.graph.view import (
    CONFIDENCE_CODES,
    ENV_RATING_CODES,
    TAG_BITS,
    BoolArray,
    ChainView,
    csr_positions,
)

from .gaps import GapStatus, GapTable, GapThresholds, gap_table
from .leakage import LeakageTable, leakage_table
from .paths import THREADS_FROM, IntroducerPath, Reach, introducer_paths, reach
from .predicted import PredictedLink, predicted_links
from .presets import WEIGHT_PRESETS, region_set, region_set_mask

__all__ = [
    "FACTORS",
    "EntryThresholds",
    "Excluded",
    "Factor",
    "FoundBy",
    "PredictedLink",
    "Target",
    "TargetParams",
    "TargetRanking",
    "TargetWeights",
    "chain_leaders",
    "rank_targets",
    "weight_sensitivity",
]

FACTORS = ("gap", "pull", "demand", "quality", "related", "region")
FoundBy = Literal["gap", "trades_with_local", "product_chain", "predicted"]
GAP_VALUE = {
    GapStatus.MISSING: 1.0,
    GapStatus.WEAK: 0.7,
    GapStatus.PRESENT: 0.3,
    GapStatus.STRONG: 0.0,
}
_TAG_SCORE = {"高新技术企业": 0.4, "专精特新": 0.3, "小巨人": 0.2, "上市公司": 0.3}
_RATING = {code: letter for letter, code in ENV_RATING_CODES.items()}


class TargetWeights(BaseModel):
    """Weights of the six factors (any non-negative numbers; they are normalised to sum 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    gap: float = Field(default=0.30, ge=0)
    pull: float = Field(default=0.25, ge=0)
    demand: float = Field(default=0.15, ge=0)
    quality: float = Field(default=0.15, ge=0)
    related: float = Field(default=0.10, ge=0)
    region: float = Field(default=0.05, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if sum(self.as_dict().values()) <= 0:
            raise ValueError("at least one factor weight must be above 0")
        return self

    @classmethod
    def preset(cls, name: str) -> TargetWeights:
        """A named preset: balanced, fill (补链), strengthen (强链), extend (延链)."""
        if name not in WEIGHT_PRESETS:
            raise ValueError(f"no weight preset {name!r}; presets: {', '.join(WEIGHT_PRESETS)}")
        return cls(**WEIGHT_PRESETS[name])

    def as_dict(self) -> dict[str, float]:
        return {f: float(getattr(self, f)) for f in FACTORS}

    @classmethod
    def parse(cls, text: str | None) -> TargetWeights:
        """``balanced``/``fill``/``strengthen``/``extend``, ``gap=0.4,pull=0.3``, or a preset
        then changes: ``fill,region=0.2``. Raises ``ValueError`` saying what is wrong.

        >>> TargetWeights.parse("fill,region=0.2").region
        0.2
        """
        if not text:
            return cls()
        parts = [p.strip() for p in text.split(",") if p.strip()]
        base: dict[str, float] = {}
        if parts and "=" not in parts[0]:
            base = cls.preset(parts.pop(0)).as_dict()
        values = {}
        for key, value in _pairs(",".join(parts)).items():
            if key not in FACTORS:
                raise ValueError(f"no factor {key!r}; factors: {', '.join(FACTORS)}")
            try:
                values[key] = float(value)
            except ValueError:
                raise ValueError(f"{key}={value!r} is not a number") from None
        return cls(**{**base, **values})


class EntryThresholds(BaseModel):
    """Hard filters on targets (the entry thresholds, 准入门槛). None means no filter."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    max_energy_intensity: float | None = Field(
        default=None, ge=0, description="tce per 万元 of output; above it a firm is excluded"
    )
    min_env_rating: Literal["A", "B", "C", "D"] | None = Field(
        default=None, description="worst environmental rating accepted (A best)"
    )
    min_rd_share: float | None = Field(default=None, ge=0, le=1, description="R&D over revenue")
    min_investment_intensity: float | None = Field(
        default=None, ge=0, description="fixed-asset investment per mu of land, 万元/亩 (标准地)"
    )
    min_tax_per_mu: float | None = Field(
        default=None, ge=0, description="tax per mu of land per year, 万元/亩 (标准地)"
    )
    require_high_tech: bool = Field(default=False, description="only 高新技术企业")
    exclude_unknown: bool = Field(
        default=False, description="exclude firms whose screened value is unknown"
    )

    @classmethod
    def parse(cls, text: str | None) -> EntryThresholds:
        """``max_energy_intensity=0.8,min_env_rating=B,min_rd_share=0.03,require_high_tech=true``,
        and the 标准地 minimums ``min_investment_intensity=300,min_tax_per_mu=20`` (万元/亩).

        >>> EntryThresholds.parse("max_energy_intensity=0.8").max_energy_intensity
        0.8
        """
        if not text:
            return cls()
        pairs = _pairs(text)
        unknown = [k for k in pairs if k not in cls.model_fields]
        if unknown:
            raise ValueError(
                f"no threshold {unknown[0]!r}; thresholds: {', '.join(cls.model_fields)}"
            )
        return cls.model_validate(pairs)


class TargetParams(BaseModel):
    """Everything a ranking depends on besides the view."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: TargetWeights = Field(default_factory=TargetWeights)
    thresholds: EntryThresholds = Field(default_factory=EntryThresholds)
    gap_thresholds: GapThresholds = Field(default_factory=GapThresholds)
    target_regions: tuple[str, ...] = Field(
        default=(), description="preferred regions: preset names or region codes"
    )
    only_target_regions: bool = Field(default=False, description="filter, not just prefer")
    segment: str | None = Field(default=None, description="only candidates in this segment")
    max_hops: int = Field(default=3, ge=1, le=3)
    leaders: int = Field(
        default=10,
        ge=0,
        description="how many of the largest, best-connected local firms count as chain leaders"
        " (besides any tagged 链主)",
    )
    leader_ids: tuple[str, ...] | None = Field(
        default=None, description="the chain leaders by id, e.g. from `chainscout leaders`"
    )
    predict_links: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description="add this many links predicted from the view's own supply network"
        " (candidate source d, see analysis/predicted.py); 0: none",
    )

    @field_validator("target_regions")
    @classmethod
    def _known_regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:  # a preset name or a region code, each
            try:
                region_set(item)
            except ValueError as err:
                raise ValueError(
                    f"target region {item!r}: {err} (or a preset: 京津冀/jjj, 长三角/yrd,"
                    " 粤港澳大湾区/gba)"
                ) from None
        return value


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    value: float
    weight: float
    contribution: float
    reason: str
    reason_zh: str


class Target(BaseModel):
    """One ranked candidate, its factors and its best introducer."""

    model_config = ConfigDict(frozen=True)

    rank: int
    id: str
    name: str
    region: str | None
    segment: str
    segment_name: str
    segment_status: str
    score: float
    factors: list[Factor]
    found_by: list[FoundBy]
    hops_to_local: int | None
    revenue: float | None
    introducer: IntroducerPath | None
    warnings: list[str]

    def top_reasons(self, n: int = 3) -> list[str]:
        """The reasons of the ``n`` largest contributions."""
        ranked = sorted(self.factors, key=lambda f: -f.contribution)
        return [f.reason for f in ranked[:n] if f.contribution > 0]


class Excluded(BaseModel):
    """A candidate an entry threshold excluded, with every rule it failed."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    region: str | None
    segment: str
    failed: list[str]


class TargetRanking(BaseModel):
    model_config = ConfigDict(frozen=True)

    chain: str | None
    home_region: str
    weights: dict[str, float] = Field(description="normalised weights actually used")
    thresholds: EntryThresholds
    target_regions: list[str]
    candidates: int = Field(description="outside firms considered")
    ranked: int = Field(description="candidates that passed the thresholds")
    rows: list[Target]
    excluded: list[Excluded]
    notes: list[str]


@dataclass
class _SegmentFacts:
    """What scoring needs of each segment: its gap, its leakage, its relatedness."""

    gaps: GapTable
    leak: LeakageTable
    gap_value: npt.NDArray[np.float64]
    leakage: npt.NDArray[np.float64]
    specialised: npt.NDArray[np.bool_]
    neighbours: list[list[int]]
    density: npt.NDArray[np.float64]


@dataclass
class _Found:
    """The candidates and how each was found."""

    cand: npt.NDArray[np.int64]
    found: npt.NDArray[np.int8]
    hops: npt.NDArray[np.int64]
    pred_weight: npt.NDArray[np.float64]  # per firm row
    region_prefixes: tuple[str, ...]
    local_reach: tuple[Reach, Reach]


@dataclass
class _Scored:
    """Vectorised intermediate: everything needed to rank and to explain."""

    cand: npt.NDArray[np.int64]  # candidate firm rows
    segment: npt.NDArray[np.int64]  # the segment column each candidate is scored for
    values: npt.NDArray[np.float64]  # candidates x factors, 0-1
    found: npt.NDArray[np.int8]  # bit flags: 1 gap, 2 trades, 4 product chain, 8 predicted
    hops: npt.NDArray[np.int64]
    pull_raw: npt.NDArray[np.float64]
    excluded_reasons: dict[int, list[str]]
    warnings: dict[int, list[str]]
    weights: dict[str, float]
    seg: _SegmentFacts
    leaders: npt.NDArray[np.int64]
    region_prefixes: tuple[str, ...]
    local_reach: tuple[Reach, Reach]  # from every local firm: reported links only, all links


def rank_targets(
    view: ChainView,
    params: TargetParams | None = None,
    *,
    predicted: Sequence[PredictedLink] = (),
    limit: int | None = 50,
    with_paths: bool = True,
) -> TargetRanking:
    """Rank the outside firms of ``view`` as targets (see the module docstring).

    ``limit`` bounds the rows returned (None: all); scores and ranks do not depend on it.
    """
    params = params or TargetParams()
    if params.predict_links and not predicted:
        predicted = predicted_links(view, limit=params.predict_links)
    s = _score(view, params, predicted)
    out = _failed(view, s)
    passed = np.flatnonzero(~out)
    shown = _order(view, s, s.weights, among=passed, first=limit)
    paths: dict[int, IntroducerPath] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the suppliers of the shown targets, for their reasons, while their paths are found
        pending = pool.submit(_suppliers_of, view, s.cand[shown])
        if with_paths and len(shown):
            paths = introducer_paths(
                view,
                s.cand[shown],
                leaders=s.leaders,
                max_hops=params.max_hops,
                local_reach=s.local_reach,
            )
        suppliers = pending.result()
    rows = [
        _target(view, s, int(i), rank, paths, suppliers) for rank, i in enumerate(shown, start=1)
    ]
    excluded = [
        _excluded(view, s, i)
        for i in _order(view, s, s.weights, among=np.flatnonzero(out)).tolist()
    ]
    notes = []
    if not s.region_prefixes:
        notes.append("no target regions given: the region factor carries no weight")
    return TargetRanking(
        chain=view.chain.id if view.chain else None,
        home_region=view.home_region,
        weights={k: round(v, 4) for k, v in s.weights.items()},
        thresholds=params.thresholds,
        target_regions=list(s.region_prefixes),
        candidates=len(s.cand),
        ranked=len(passed),
        rows=rows,
        excluded=excluded,
        notes=notes,
    )


def _excluded(view: ChainView, s: _Scored, i: int) -> Excluded:
    f = int(s.cand[i])
    return Excluded(
        id=str(view.ids[f]),
        name=str(view.names[f]),
        region=_opt(view.regions[f]),
        segment=view.segment_ids[int(s.segment[i])],
        failed=s.excluded_reasons[f],
    )


def weight_sensitivity(
    view: ChainView,
    params: TargetParams | None = None,
    *,
    top: int = 20,
    change: float = 0.5,
) -> dict[str, dict[str, Any]]:
    """How the top ``top`` moves when one factor's weight moves by ±``change`` (relative).

    For each factor and direction (``"gap up"``, ``"gap down"``…): ``left_top``, how many of
    today's top firms leave the top; ``entered``, the firms that enter it, each with its rank
    before and after (1 is best; the rank before is in the whole of today's ranking); ``left``,
    the firms that leave it, with their rank before; and ``max_move``, the largest rank move of
    any firm in the new top, entrants included. Factors are computed once and re-weighted.
    """
    params = params or TargetParams()
    s = _score(view, params, ())
    keep = np.flatnonzero(~_failed(view, s))
    today = _order(view, s, s.weights, among=keep)  # the whole ranking: entrants' ranks before
    rank_before = np.full(len(s.cand), -1, dtype=np.int64)
    rank_before[today] = np.arange(len(today))
    base = today[:top].tolist()
    out: dict[str, dict[str, Any]] = {}
    raw = params.weights.as_dict()

    def firm(pos: int, **ranks: int) -> dict[str, Any]:
        row = int(s.cand[pos])
        return {"id": str(view.ids[row]), "name": str(view.names[row]), **ranks}

    for factor in FACTORS:
        for sign, label in ((1, "up"), (-1, "down")):
            w = dict(raw)
            w[factor] = max(0.0, w[factor] * (1 + sign * change))
            weights = _normalise(w, bool(s.region_prefixes))
            order = _order(view, s, weights, among=keep, first=top).tolist()
            now = set(order)
            left = [p for p in base if p not in now]
            out[f"{factor} {label}"] = {
                "left_top": len(left),
                "max_move": max(
                    (abs(r - int(rank_before[p])) for r, p in enumerate(order)), default=0
                ),
                "entered": [
                    firm(p, rank_before=int(rank_before[p]) + 1, rank_after=r + 1)
                    for r, p in enumerate(order)
                    if rank_before[p] >= top
                ],
                "left": [firm(p, rank_before=int(rank_before[p]) + 1) for p in left],
            }
    return out


# -- internals ---------------------------------------------------------------------------------


def _pairs(text: str) -> dict[str, str]:
    """``a=1,b=2`` as a dict (``;`` also separates)."""
    out: dict[str, str] = {}
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"{part!r} is not key=value")
        key, value = part.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def _normalise(weights: dict[str, float], has_regions: bool) -> dict[str, float]:
    w = dict(weights)
    if not has_regions:
        w["region"] = 0.0
    total = sum(w.values())
    if total <= 0:
        raise ValueError("the factor weights add up to 0 once unused factors are dropped")
    return {k: v / total for k, v in w.items()}


def _failed(view: ChainView, s: _Scored) -> BoolArray:
    """Per candidate position: whether an entry threshold excluded it."""
    failed = np.zeros(view.n_firms, dtype=bool)
    failed[np.fromiter(s.excluded_reasons, dtype=np.int64, count=len(s.excluded_reasons))] = True
    return np.asarray(failed[s.cand])


#: Twice the largest gap between a shown score and the exact one, with room for float error.
_SHOWN_MARGIN = 1e-3


def _shown(
    values: npt.NDArray[np.float64], weights: dict[str, float]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Contributions (value × weight, to 4 decimals) and scores (their sum, to 4 decimals) as
    a ranking shows them, for rows of factor values. The order uses these very scores, so a
    listed score is never above the one before it."""
    w = np.array([weights[f] for f in FACTORS])
    contributions = np.round(values * w, 4)
    return contributions, np.round(contributions.sum(axis=1), 4)


def _order(
    view: ChainView,
    s: _Scored,
    weights: dict[str, float],
    among: npt.NDArray[np.int64] | None = None,
    first: int | None = None,
) -> npt.NDArray[np.int64]:
    """Candidate positions best first: the score as shown (see :func:`_shown`), then revenue,
    then id.

    ``among`` limits the positions ordered (default: all); ``first`` keeps only the best so
    many, found by a partial sort, so a ranking that shows 50 of a million candidates never
    sorts the million. View rows are in id order, so sorting by row breaks the last ties.
    """
    pos = np.arange(len(s.cand), dtype=np.int64) if among is None else among
    if first is not None and first < len(pos):
        if first <= 0:
            return np.zeros(0, dtype=np.int64)
        # A shown score is within 3.5e-4 of the exact one (seven roundings to 4 decimals), so
        # the best ``first`` by shown score, and all tied with them, are among the candidates
        # whose exact score is within twice that of the ``first``-th best exact score.
        w = np.array([weights[f] for f in FACTORS])
        exact = (s.values if among is None else s.values[pos]) @ w  # no copy of every row
        kth = np.partition(exact, len(exact) - first)[len(exact) - first]
        pos = pos[exact >= kth - _SHOWN_MARGIN]
    _, shown = _shown(s.values[pos], weights)
    score = np.rint(shown * 1e4).astype(np.int64)
    if first is not None and first < len(pos):
        kth_shown = np.partition(score, len(score) - first)[len(score) - first]
        keep = score >= kth_shown  # the best ``first`` and everything tied with the last
        pos, score = pos[keep], score[keep]
    revenue = np.nan_to_num(view.revenue[s.cand[pos]], nan=-1.0)
    ordered = pos[np.lexsort((pos, -revenue, -score))]
    return ordered if first is None else ordered[:first]


def _score(view: ChainView, params: TargetParams, predicted: Sequence[PredictedLink]) -> _Scored:
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the searches from local firms on other threads while the segments are analysed here
        searching = _search_from_local(
            view, params, pool if view.n_firms >= _THREADS_FROM else None
        )
        seg = _segment_facts(view, params)
        leaders = _leaders(view, params)
        found = _find_candidates(view, params, seg, predicted, searching())
    segment, values, pull_raw = _factor_values(view, seg, leaders, found)
    excluded, warnings = _screen(view, found.cand, params.thresholds)
    return _Scored(
        cand=found.cand,
        segment=segment,
        values=values,
        found=found.found,
        hops=found.hops,
        pull_raw=pull_raw,
        excluded_reasons=excluded,
        warnings=warnings,
        weights=_normalise(params.weights.as_dict(), bool(found.region_prefixes)),
        seg=seg,
        leaders=leaders,
        local_reach=found.local_reach,
        region_prefixes=found.region_prefixes,
    )


def _segment_facts(view: ChainView, params: TargetParams) -> _SegmentFacts:
    gaps = gap_table(view, params.gap_thresholds)
    leak = leakage_table(view)
    m = view.n_segments
    specialised = np.array([(r.lq or 0.0) >= 1.0 - 1e-9 for r in gaps.rows], dtype=bool)
    neighbours: list[list[int]] = [[] for _ in range(m)]
    if view.chain:
        pos = {sid: i for i, sid in enumerate(view.segment_ids)}
        for f in view.chain.feeds:
            if f.upstream in pos and f.downstream in pos:
                neighbours[pos[f.upstream]].append(pos[f.downstream])
                neighbours[pos[f.downstream]].append(pos[f.upstream])
    density = np.array(
        [specialised[nb].mean() if nb else 0.0 for nb in neighbours], dtype=np.float64
    )
    return _SegmentFacts(
        gaps=gaps,
        leak=leak,
        gap_value=np.array([GAP_VALUE[r.status] for r in gaps.rows], dtype=np.float64),
        leakage=np.array([r.leakage if r.leakage is not None else 0.0 for r in leak.rows]),
        specialised=specialised,
        neighbours=neighbours,
        density=density,
    )


def _rows_touching(matrix: sparse.csr_array, columns: npt.NDArray[np.bool_]) -> BoolArray:
    """Per row of a CSR matrix: whether it has an entry in one of ``columns``."""
    hits = np.zeros(len(matrix.indices) + 1, dtype=np.int64)
    np.cumsum(columns[matrix.indices], out=hits[1:])
    return np.asarray(hits[matrix.indptr[1:]] > hits[matrix.indptr[:-1]])


def _search_from_local(
    view: ChainView, params: TargetParams, pool: ThreadPoolExecutor | None
) -> Callable[[], tuple[Reach, Reach]]:
    """Start the searches within ``max_hops`` of local firms, over every link and over
    reported links only (one search when every link is reported); returns a call that waits
    for both. With a ``pool`` they run on its threads (numpy lets go of the interpreter lock
    in them), else here and now."""
    every_reported = not (view.link_confidence != CONFIDENCE_CODES["reported"]).any()
    if pool is None:
        any_link = reach(view, view.is_local, params.max_hops)
        reported = (
            any_link
            if every_reported
            else reach(view, view.is_local, params.max_hops, reported_only=True)
        )
        return lambda: (reported, any_link)
    _ = view.supplier_of_link  # made once, before both searches read it
    pending_any = pool.submit(reach, view, view.is_local, params.max_hops)
    pending_reported = (
        pending_any
        if every_reported
        else pool.submit(reach, view, view.is_local, params.max_hops, reported_only=True)
    )
    return lambda: (pending_reported.result(), pending_any.result())


def _find_candidates(
    view: ChainView,
    params: TargetParams,
    seg: _SegmentFacts,
    predicted: Sequence[PredictedLink],
    searched: tuple[Reach, Reach] | None = None,
) -> _Found:
    """Outside firms (a) in missing or weak segments, (b) within ``max_hops`` links of a local
    firm, by reported links or (c) inferred ones, and (d) predicted partners of local firms.
    ``searched``: the searches from local firms (reported links, every link), when made
    already (:func:`_search_from_local`)."""
    n = view.n_firms
    reported, from_local = searched or _search_from_local(view, params, None)()
    hops_any, hops_reported = from_local[0], reported[0]
    in_gap = _rows_touching(view.membership, seg.gap_value >= GAP_VALUE[GapStatus.WEAK])
    pred_mask = np.zeros(n, dtype=bool)
    pred_weight = np.zeros(n)
    for p in predicted:
        a, b = p.supplier, p.customer
        for outside, inside in ((a, b), (b, a)):
            if view.is_local[inside] and not view.is_local[outside]:
                pred_mask[outside] = True
                pred_weight[outside] += p.probability

    cand_mask = ~view.is_local & (in_gap | (hops_any > 0) | pred_mask)
    if params.segment is not None:
        col = np.zeros(view.n_segments, dtype=bool)
        col[view.segment_index(params.segment)] = True
        cand_mask &= _rows_touching(view.membership, col)
    region_prefixes: tuple[str, ...] = ()
    for spec in params.target_regions:
        region_prefixes += region_set(spec)
    if params.only_target_regions and region_prefixes:
        cand_mask &= region_set_mask(view.regions, region_prefixes)
    cand = np.flatnonzero(cand_mask).astype(np.int64)
    found = (
        in_gap[cand].astype(np.int8) * 1
        + (hops_reported[cand] > 0).astype(np.int8) * 2
        + ((hops_any[cand] > 0) & (hops_reported[cand] < 0)).astype(np.int8) * 4
        + pred_mask[cand].astype(np.int8) * 8
    )
    return _Found(
        cand=cand,
        found=found,
        hops=hops_any[cand],
        pred_weight=pred_weight,
        region_prefixes=region_prefixes,
        local_reach=(reported, from_local),
    )


def _pull(view: ChainView, leaders: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Per outside firm: its direct links with local firms, a link with a leader counting 3.

    Only the links of local firms are read (both directions), and counted without weights:
    every link of a local firm counts 1 for its partner, and the links of local leaders count
    2 more. The counts of local firms themselves mean nothing and are never used.
    """
    local = np.flatnonzero(view.is_local)
    every = np.bincount(view.partners_of(local, build=False), minlength=view.n_firms)
    np.add.at(every, view.partners_of(leaders[view.is_local[leaders]], build=False), 2)
    return every


# the quality points of every combination of tags (an index by tag bits), at most 1
_TAG_POINTS = np.array([
    min(1.0, sum(v for tag, v in _TAG_SCORE.items() if bits & TAG_BITS[tag]))
    for bits in range(2 ** len(TAG_BITS))
])  # fmt: skip
_TAG_MASK = 2 ** len(TAG_BITS) - 1


def _quality(view: ChainView, cand: npt.NDArray[np.int64], out: npt.NDArray[np.float64]) -> None:
    """The size-and-quality factor of ``cand`` into ``out``: half the revenue on a log scale
    (100 to 1,000,000 万元 map to 0-1, unknown is 0), three tenths the tags, two tenths the
    R&D share (8% or more is full marks). In place, a column at a time."""
    revenue = view.revenue[cand]
    size = np.where(revenue > 0, revenue, 1.0)
    np.log10(size, out=size)
    size -= 2.0
    size *= 0.25
    np.clip(size, 0.0, 1.0, out=size)
    size[np.isnan(revenue)] = 0.0
    np.multiply(size, 0.5, out=out)
    out += 0.3 * _TAG_POINTS[view.tag_bits[cand] & _TAG_MASK]
    rd = view.rd_share[cand]
    np.nan_to_num(rd, copy=False, nan=0.0)
    rd /= 0.08
    np.minimum(rd, 1.0, out=rd)
    rd *= 0.2
    out += rd


_THREADS_FROM = THREADS_FROM
"""Firms (for the searches) and candidates (for the factor values) from which the work runs on
two threads: the threshold the introducer paths use too."""


def _factor_values(
    view: ChainView, seg: _SegmentFacts, leaders: npt.NDArray[np.int64], found: _Found
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each candidate's segment, its factor values (candidates x factors, 0-1) and raw pull.

    With many candidates, the pull and the segments are worked out on other threads while
    this one scores size and quality: numpy lets go of the interpreter lock inside these
    loops, so the three run on separate cores. Each writes only its own arrays."""
    cand = found.cand
    prefixes = found.region_prefixes
    by_factor = np.empty((len(FACTORS), len(cand)))  # filled a factor at a time, contiguous
    if len(cand) >= _THREADS_FROM:
        with ThreadPoolExecutor(max_workers=2) as pool:
            pulling = pool.submit(_pull, view, leaders)
            placing = pool.submit(_best_segment, view.membership, cand, seg.gap_value)
            _quality(view, cand, by_factor[3])
            pull, segment = pulling.result(), placing.result()
    else:
        pull = _pull(view, leaders)
        segment = _best_segment(view.membership, cand, seg.gap_value)
        _quality(view, cand, by_factor[3])
    pull_raw = pull[cand] + found.pred_weight[cand]
    by_factor[0] = seg.gap_value[segment]
    np.add(pull_raw, 3.0, out=by_factor[1])
    np.divide(pull_raw, by_factor[1], out=by_factor[1])
    by_factor[2] = seg.leakage[segment]
    by_factor[4] = seg.density[segment]
    by_factor[5] = region_set_mask(view.regions[cand], prefixes) if prefixes else 0.0
    return segment, by_factor.T, pull_raw


def chain_leaders(view: ChainView, params: TargetParams | None = None) -> npt.NDArray[np.int64]:
    """Rows of the chain leaders a ranking starts its introducer paths from (see
    :class:`TargetParams`: ``leader_ids``, else tagged 链主 and the largest local firms)."""
    return _leaders(view, params or TargetParams())


def _leaders(view: ChainView, params: TargetParams) -> npt.NDArray[np.int64]:
    """Chain leaders: the ids given, else the local firms tagged 链主 plus the ``leaders``
    local firms with the largest revenue × (1 + trading partners) — a size-and-position proxy
    that costs one pass over the arrays (``chainscout leaders`` ranks them in full)."""
    if params.leader_ids is not None:
        index = {str(i): k for k, i in enumerate(view.ids)}
        return np.array(sorted(index[i] for i in params.leader_ids if i in index), dtype=np.int64)
    tagged = np.flatnonzero(view.is_local & ((view.tag_bits & TAG_BITS["链主"]) > 0))
    local = np.flatnonzero(view.is_local)
    picked = np.zeros(0, dtype=np.int64)
    if params.leaders and len(local):
        degree = np.diff(view.out_indptr)[local] + view.in_degree_of(local)
        size = np.nan_to_num(view.revenue[local], nan=0.0) * (1.0 + degree)
        if params.leaders < len(local):  # the largest few and those tied with the last: sorted
            kth = np.partition(size, len(size) - params.leaders)[len(size) - params.leaders]
            local, size = local[size >= kth], size[size >= kth]
        picked = local[np.lexsort((local, -size))[: params.leaders]]
    return np.unique(np.concatenate([tagged, picked])).astype(np.int64)


def _best_segment(
    membership: sparse.csr_array, rows: npt.NDArray[np.int64], gap_value: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Per firm row: its segment with the highest gap value, then the highest share, then the
    most upstream; 0 for a firm without a membership. Most firms have one segment: only the
    others are compared, with maxima over each firm's run of entries."""
    indptr = membership.indptr
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    out = np.zeros(len(rows), dtype=np.int64)
    one = counts == 1
    out[one] = membership.indices[starts[one]]
    many = np.flatnonzero(counts > 1)
    if not len(many):
        return out
    pos = csr_positions(indptr, rows[many])
    col = membership.indices[pos].astype(np.int64)
    run_of = np.repeat(np.arange(len(many)), counts[many])
    if not membership.has_sorted_indices:  # the rule needs each firm's segments in order
        key = np.lexsort((col, -membership.data[pos], -gap_value[col], run_of))
        run_of, col = run_of[key], col[key]
        first = np.concatenate(([True], run_of[1:] != run_of[:-1]))
        out[many[run_of[first]]] = col[first]
        return out
    # each firm's entries are a run, its segments ascending: the highest gap value of the run,
    # then the highest share among those, then the first entry left
    runs = np.concatenate(([0], np.cumsum(counts[many])[:-1]))
    value = gap_value[col]
    best = value == np.maximum.reduceat(value, runs)[run_of]
    share = np.where(best, membership.data[pos], -np.inf)
    best &= share == np.maximum.reduceat(share, runs)[run_of]
    at = np.where(best, np.arange(len(col)), len(col))
    out[many] = col[np.minimum.reduceat(at, runs)]
    return out


def _screen(
    view: ChainView, cand: npt.NDArray[np.int64], th: EntryThresholds
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Apply the entry thresholds: failed rules per excluded firm, warnings per kept firm."""
    excluded: dict[int, list[str]] = {}
    warnings: dict[int, list[str]] = {}

    def fail(rows: npt.NDArray[np.int64], text: list[str]) -> None:
        for f, t in zip(rows.tolist(), text, strict=True):
            excluded.setdefault(int(f), []).append(t)

    def unknown(rows: npt.NDArray[np.int64], what: str) -> None:
        if th.exclude_unknown:
            fail(rows, [f"{what} unknown (unknown values are excluded)"] * len(rows))
        else:
            for f in rows.tolist():
                warnings.setdefault(int(f), []).append(f"{what} unknown: not screened")

    if th.max_energy_intensity is not None:
        e = view.energy_intensity[cand]
        over = cand[e > th.max_energy_intensity + 1e-12]
        fail(over, [
            f"energy intensity {v:g} tce/万元 exceeds {th.max_energy_intensity:g}"
            for v in view.energy_intensity[over]
        ])  # fmt: skip
        unknown(cand[np.isnan(e)], "energy intensity")
    if th.min_env_rating is not None:
        worst = ENV_RATING_CODES[th.min_env_rating]
        r = view.env_rating[cand]
        below = cand[r > worst]
        fail(below, [
            f"environmental rating {_RATING[int(v)]} is below the required {th.min_env_rating}"
            for v in view.env_rating[below]
        ])  # fmt: skip
        unknown(cand[r == 0], "environmental rating")
    if th.min_rd_share is not None:
        rd = view.rd_share[cand]
        low = cand[rd < th.min_rd_share - 1e-12]
        fail(low, [
            f"R&D share {v:.1%} is below {th.min_rd_share:.1%}" for v in view.rd_share[low]
        ])  # fmt: skip
        unknown(cand[np.isnan(rd)], "R&D share")
    for what, values, least in (
        ("investment intensity", view.investment_intensity, th.min_investment_intensity),
        ("tax per mu", view.tax_per_mu, th.min_tax_per_mu),
    ):
        if least is not None:
            v = values[cand]
            low = cand[v < least - 1e-12]
            fail(low, [f"{what} {x:g} 万元/亩 is below {least:g}" for x in values[low]])
            unknown(cand[np.isnan(v)], what)
    if th.require_high_tech:
        no = cand[(view.tag_bits[cand] & TAG_BITS["高新技术企业"]) == 0]
        fail(no, ["not a certified high-tech enterprise (高新技术企业)"] * len(no))
    return excluded, warnings


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _target(
    view: ChainView,
    s: _Scored,
    i: int,
    rank: int,
    paths: dict[int, IntroducerPath],
    suppliers: dict[int, npt.NDArray[np.int32]],
) -> Target:
    f = int(s.cand[i])
    seg = int(s.segment[i])
    gap_row = s.seg.gaps.rows[seg]
    leak_row = s.seg.leak.rows[seg]
    v = s.values[i]
    shown_contributions, shown_score = _shown(s.values[i : i + 1], s.weights)
    contributions = shown_contributions[0].tolist()
    texts = _reasons(view, s, i, f, seg, gap_row.reason, leak_row.reason, suppliers.get(f))
    factors = [
        Factor(
            name=name,
            value=round(float(v[k]), 4),
            weight=round(s.weights[name], 4),
            contribution=contributions[k],
            reason=texts[name][0],
            reason_zh=texts[name][1],
        )
        for k, name in enumerate(FACTORS)
    ]
    flags = int(s.found[i])
    found = [name for bit, name in _FOUND_BITS if flags & bit]
    hops = int(s.hops[i])
    revenue = float(view.revenue[f])
    return Target(
        rank=rank,
        id=str(view.ids[f]),
        name=str(view.names[f]),
        region=_opt(view.regions[f]),
        segment=view.segment_ids[seg],
        segment_name=gap_row.name,
        segment_status=gap_row.status.value,
        score=float(shown_score[0]),
        factors=factors,
        found_by=found,
        hops_to_local=hops if hops > 0 else None,
        revenue=None if np.isnan(revenue) else revenue,
        introducer=paths.get(f),
        warnings=s.warnings.get(f, []),
    )


def _reasons(
    view: ChainView,
    s: _Scored,
    i: int,
    f: int,
    seg: int,
    gap_reason: str,
    leak_reason: str,
    suppliers: npt.NDArray[np.int32] | None,
) -> dict[str, tuple[str, str]]:
    gap_row = s.seg.gaps.rows[seg]
    status = gap_row.status.value
    name = gap_row.name
    pull = float(s.pull_raw[i])
    partners = _local_partners(view, f, s.leaders, suppliers)
    leaders = [p for p in partners if p[1]]
    if partners:
        who = ", ".join(str(view.names[p[0]]) for p in (leaders or partners)[:2])
        pull_en = (
            f"trades directly with {len(partners)} local firm(s)"
            + (f", {len(leaders)} of them chain leaders" if leaders else "")
            + f" ({who})"
        )
        pull_zh = f"与 {len(partners)} 家本地企业直接购销" + (
            f"，其中 {len(leaders)} 家链主" if leaders else ""
        )
    elif pull > 0:
        pull_en, pull_zh = "a predicted link to a local firm", "预测与本地企业存在供应关系"
    else:
        pull_en, pull_zh = "no direct link to a local firm", "与本地企业无直接购销"
    tags = [t for t in _TAG_SCORE if view.tag_bits[f] & TAG_BITS[t]]
    revenue = view.revenue[f]
    rev_text = "revenue unknown" if np.isnan(revenue) else f"revenue {revenue:,.0f} 万元"
    rd = [] if np.isnan(view.rd_share[f]) else [f"R&D {view.rd_share[f]:.1%}"]
    quality_en = ", ".join([rev_text, *tags, *rd])
    rev_zh = "营业收入未知" if np.isnan(revenue) else f"营业收入 {revenue:,.0f} 万元"
    rd_zh = [] if np.isnan(view.rd_share[f]) else [f"研发投入占比 {view.rd_share[f]:.1%}"]
    quality_zh = "，".join([rev_zh, *tags, *rd_zh])
    nb = s.seg.neighbours[seg]
    strong_nb = [s.seg.gaps.rows[k].name for k in nb if s.seg.specialised[k]]
    related_en = (
        f"the region is specialised (LQ ≥ 1) in {len(strong_nb)} of {len(nb)} segments next to"
        f" {name}" + (f": {', '.join(strong_nb[:3])}" if strong_nb else "")
        if nb
        else f"{name} has no neighbouring segment in the chain"
    )
    related_zh = f"相邻 {len(nb)} 个环节中本地优势环节 {len(strong_nb)} 个"
    region = _opt(view.regions[f]) or "unknown region"
    in_region = bool(s.values[i][FACTORS.index("region")])
    region_en = (
        f"{region} is in the preferred target regions"
        if in_region
        else (f"{region} is outside the preferred target regions" if s.region_prefixes
              else "no target-region preference")
    )  # fmt: skip
    region_zh = (
        "位于目标区域" if in_region else ("不在目标区域" if s.region_prefixes else "未设目标区域")
    )
    return {
        "gap": (
            f"{name} is {status}: {gap_reason}",
            f"{name}为{_STATUS_ZH[status]}：{gap_row.reason_zh}",
        ),
        "pull": (pull_en, pull_zh),
        "demand": (f"{name}: {leak_reason}", f"{name}：本地外购比例 {s.values[i][2]:.0%}"),
        "quality": (quality_en, quality_zh),
        "related": (related_en, related_zh),
        "region": (region_en, region_zh),
    }


_FOUND_BITS: tuple[tuple[int, FoundBy], ...] = (
    (1, "gap"),
    (2, "trades_with_local"),
    (4, "product_chain"),
    (8, "predicted"),
)
_STATUS_ZH = {"missing": "缺链", "weak": "弱链", "present": "一般", "strong": "强链"}


def _suppliers_of(view: ChainView, rows: npt.NDArray[np.int64]) -> dict[int, npt.NDArray[np.int32]]:
    """The supplier rows of each of ``rows`` that has any, from one read of the links into
    them (the shown targets: no customer-side CSR is built for them)."""
    into = view.links_into(np.unique(rows), build=False)
    if not len(into):
        return {}
    customer = view.out_indices[into]
    order = np.argsort(customer, kind="stable")
    customer, supplier = customer[order], view.supplier_of_link[into][order]
    firms, starts = np.unique(customer, return_index=True)
    return dict(zip(firms.tolist(), np.split(supplier, starts[1:]), strict=True))


def _local_partners(
    view: ChainView,
    f: int,
    leaders: npt.NDArray[np.int64],
    suppliers: npt.NDArray[np.int32] | None,
) -> list[tuple[int, bool]]:
    """Local firms trading directly with firm ``f``: (row, is leader), leaders first, by row.
    ``suppliers``: the suppliers of ``f`` (None: none)."""
    bought = suppliers if suppliers is not None else np.zeros(0, dtype=np.int32)
    rows = np.unique(np.concatenate([view.customers_of(f), bought])).astype(np.int64)
    rows = rows[view.is_local[rows]]
    lead = set(leaders.tolist())
    return sorted(((int(r), int(r) in lead) for r in rows), key=lambda p: (not p[1], p[0]))
