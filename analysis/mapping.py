"""Mapping firms onto a chain template's segments: by product-name keywords, by industry codes,
or explicitly, with the rule that matched kept on every membership.

A user's firm list, or a dataset such as ChainKG, rarely says which segment of *our* template a
firm works in. The template does: each segment lists keywords of its products and industry codes
(Shenwan, GB/T 4754). The rules, in order:

1. **explicit**: memberships given by the user; a firm with any explicit membership gets no other.
2. **keyword**: a main product (``makes``) whose name contains a segment keyword (case-sensitive,
   so ``CRO`` does not match ``Micro``) maps its firm to that segment. When keywords of several
   segments match one product, the longest keyword wins (``磷酸铁锂`` is a cathode material, not
   ``磷酸铁``); equal lengths share. A keyword written ``=name`` matches only a product named
   exactly ``name`` and beats every substring keyword (``=新能源汽车`` is a vehicle maker, while
   ``新能源汽车减速器`` is a reducer).
3. **industry**: a firm code equal to a segment code, or below it (``2406`` or ``240600`` covers
   ``240603``: a Shenwan code's trailing ``00`` pairs are dropped before the prefix test), maps the
   firm to that segment; several segments sharing a code share it. By default (``industry=
   "fallback"``) only firms no keyword placed in the chain are mapped by industry.

Shares: a product's share of revenue where known, else an equal split of the firm's products; a
firm's shares are scaled down to sum to at most 1. A firm's membership in a segment sums the
shares of its products that map there. Results are sorted by enterprise, then segment.

Example:
    >>> import pyarrow as pa
    >>> from chainscout.graph.model import Chain, Segment
    >>> chain = Chain(id="c", name="锂电", segments=(
    ...     Segment(id="c.salt", chain="c", name="锂盐", keywords=("碳酸锂",)),
    ...     Segment(id="c.cell", chain="c", name="电芯", industry_codes=("630701",))))
    >>> makes = pa.table({"enterprise": ["a", "a"], "product": ["电池级碳酸锂", "其他"],
    ...                   "share": [0.8, 0.2]})
    >>> ents = pa.table({"id": ["a", "b"], "industries": [["240603"], ["630701"]]})
    >>> for m in map_firms(chain, makes=makes, enterprises=ents).memberships:
    ...     print(m.enterprise, m.segment, m.share, m.rule.value, m.matched)
    a c.salt 0.8 keyword 碳酸锂 in 电池级碳酸锂
    b c.cell 1.0 industry 630701
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from chainscout.graph.model import Chain, InSegment

__all__ = ["MappedMembership", "MappingResult", "MappingRule", "map_firms"]

_EXACT = 10_000  # rank of a whole-name keyword above every substring keyword


class MappingRule(StrEnum):
    """How a firm was placed in a segment."""

    EXPLICIT = "explicit"
    KEYWORD = "keyword"
    INDUSTRY = "industry"


class MappedMembership(BaseModel):
    """One firm in one segment, with the rule that put it there."""

    model_config = ConfigDict(frozen=True)

    enterprise: str
    segment: str
    share: float
    rule: MappingRule
    matched: str = Field(description="what matched: keyword and product, or industry code")
    products: int = Field(default=0, description="products of the firm mapped to the segment")

    def to_model(self) -> InSegment:
        """The membership as the model row a store writes."""
        return InSegment(enterprise=self.enterprise, segment=self.segment, share=self.share)


class MappingResult(BaseModel):
    """What mapping did: the memberships and how many came from each rule."""

    model_config = ConfigDict(frozen=True)

    chain: str
    memberships: list[MappedMembership]
    firms: int = Field(description="distinct firms mapped")
    by_rule: dict[str, int] = Field(description="memberships per rule")
    segments_without_firms: list[str]


def _norm_code(code: str) -> str:
    text = code.strip()
    if len(text) == 6 and text.isdigit():
        while text.endswith("00") and len(text) > 2:
            text = text[:-2]
    return text


def map_firms(
    chain: Chain,
    *,
    makes: pa.Table | None = None,
    enterprises: pa.Table | None = None,
    explicit: Iterable[InSegment] = (),
    industry: Literal["fallback", "always", "never"] = "fallback",
) -> MappingResult:
    """Map firms onto ``chain``'s segments (see the module docstring).

    Parameters
    ----------
    makes:
        Columns ``enterprise``, ``product`` and optionally ``share`` (the store's ``makes``).
    enterprises:
        Columns ``id`` and ``industries`` (a list of codes), e.g. the store's ``enterprises``.
    explicit:
        Memberships given by hand; they override the other rules for their firms.
    industry:
        ``"fallback"`` maps by industry only firms that no keyword placed; ``"always"`` adds
        industry memberships to keyword ones; ``"never"`` skips the rule.
    """
    seg_ids = [s.id for s in chain.segments]
    rows: dict[tuple[str, str], list[object]] = {}  # (firm, segment) -> [share, rule, matched, n]

    explicit_rows = list(explicit)
    known = set(seg_ids)
    for e in explicit_rows:
        if e.segment not in known:
            raise ValueError(
                f"explicit membership of {e.enterprise!r}: segment {e.segment!r}"
                f" is not in chain {chain.id!r}"
            )
        rows[(e.enterprise, e.segment)] = [e.share, MappingRule.EXPLICIT, "given", 0]
    pinned = {e.enterprise for e in explicit_rows}

    keyword_firms: set[str] = set()
    if makes is not None and makes.num_rows:
        for key, value in _keyword_rows(chain, makes, pinned).items():
            rows[key] = value
            keyword_firms.add(key[0])
    if enterprises is not None and enterprises.num_rows and industry != "never":
        skip = pinned | (keyword_firms if industry == "fallback" else set())
        for key, value in _industry_rows(chain, enterprises, skip).items():
            if key not in rows:
                rows[key] = value

    order = {s: i for i, s in enumerate(seg_ids)}
    memberships = [
        MappedMembership(
            enterprise=f,
            segment=s,
            share=round(min(1.0, float(v[0])), 6),  # type: ignore[arg-type]
            rule=v[1],
            matched=str(v[2]),
            products=int(v[3]),  # type: ignore[call-overload]
        )
        for (f, s), v in sorted(rows.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
        if float(v[0]) > 0  # type: ignore[arg-type]
    ]
    used = {m.segment for m in memberships}
    return MappingResult(
        chain=chain.id,
        memberships=memberships,
        firms=len({m.enterprise for m in memberships}),
        by_rule={r.value: sum(m.rule is r for m in memberships) for r in MappingRule},
        segments_without_firms=[s for s in seg_ids if s not in used],
    )


def _keyword_rows(
    chain: Chain, makes: pa.Table, pinned: set[str]
) -> dict[tuple[str, str], list[object]]:
    firm = np.asarray(makes["enterprise"].to_numpy(zero_copy_only=False)).astype(str)
    product = np.asarray(makes["product"].to_numpy(zero_copy_only=False)).astype(str)
    if "share" in makes.column_names:
        raw = makes["share"].cast(pa.float64()).to_numpy(zero_copy_only=False)
        share = np.asarray(raw, dtype=np.float64)
    else:
        share = np.full(len(firm), np.nan)
    # shares: known ones as given, unknown ones an equal split; each firm's sum capped at 1
    _, inv, count = np.unique(firm, return_inverse=True, return_counts=True)
    share = np.where(np.isnan(share), 1.0 / count[inv], share)
    total = np.bincount(inv, weights=share)
    share = share / np.maximum(total[inv], 1.0)

    names, pinv = np.unique(product, return_inverse=True)
    arr = pa.array(names.tolist(), pa.string())
    # per distinct product: best keyword length and the segments matching at that length
    hit_prod: list[np.ndarray] = []
    hit_seg: list[np.ndarray] = []
    hit_len: list[np.ndarray] = []
    hit_kw: list[np.ndarray] = []
    for j, s in enumerate(chain.segments):
        for kw in sorted(set(s.keywords)):
            if kw.startswith("="):  # the whole name, and more specific than any substring
                mask = pc.equal(arr, kw[1:]).to_numpy(zero_copy_only=False)
                length = _EXACT + len(kw)
            else:
                mask = pc.match_substring(arr, kw).to_numpy(zero_copy_only=False)
                length = len(kw)
            idx = np.flatnonzero(mask)
            if len(idx):
                hit_prod.append(idx)
                hit_seg.append(np.full(len(idx), j))
                hit_len.append(np.full(len(idx), length))
                hit_kw.append(np.full(len(idx), kw, dtype=object))
    if not hit_prod:
        return {}
    hp = np.concatenate(hit_prod)
    hs = np.concatenate(hit_seg)
    hl = np.concatenate(hit_len)
    hk = np.concatenate(hit_kw)
    best = np.zeros(len(names), np.int64)
    np.maximum.at(best, hp, hl)
    keep = hl == best[hp]
    hp, hs, hk = hp[keep], hs[keep], hk[keep]
    # one (product, segment) pair once, with its first keyword in sorted order
    order = np.lexsort((hk.astype(str), hs, hp))
    hp, hs, hk = hp[order], hs[order], hk[order]
    first = np.ones(len(hp), dtype=bool)
    first[1:] = (hp[1:] != hp[:-1]) | (hs[1:] != hs[:-1])
    hp, hs, hk = hp[first], hs[first], hk[first]
    n_seg_of_prod = np.bincount(hp, minlength=len(names))

    # join back to makes rows: each row x each segment its product maps to
    starts = np.searchsorted(hp, np.arange(len(names)))
    rows: dict[tuple[str, str], list[object]] = {}
    ordered = np.lexsort((product, firm))
    ordered = ordered[n_seg_of_prod[pinv[ordered]] > 0]
    for r in ordered.tolist():  # only rows whose product matched a keyword
        p = pinv[r]
        k = n_seg_of_prod[p]
        if firm[r] in pinned:
            continue
        for t in range(starts[p], starts[p] + k):
            sid = chain.segments[int(hs[t])].id
            key = (str(firm[r]), sid)
            part = float(share[r]) / k
            if key in rows:
                rows[key][0] = float(rows[key][0]) + part  # type: ignore[arg-type]
                rows[key][3] = int(rows[key][3]) + 1  # type: ignore[call-overload]
            else:
                rows[key] = [part, MappingRule.KEYWORD, f"{hk[t]} in {names[p]}", 1]
    return rows


def _industry_rows(
    chain: Chain, enterprises: pa.Table, skip: set[str]
) -> dict[tuple[str, str], list[object]]:
    by_code: dict[str, list[str]] = {}
    for s in chain.segments:
        for code in s.industry_codes:
            by_code.setdefault(_norm_code(code), []).append(s.id)
    if not by_code:
        return {}
    ids = enterprises["id"].to_pylist()
    codes = enterprises["industries"].to_pylist()
    rows: dict[tuple[str, str], list[object]] = {}
    prefixes = sorted(by_code, key=lambda c: (-len(c), c))
    for fid, firm_codes in sorted(zip(ids, codes, strict=True), key=lambda t: str(t[0])):
        if fid in skip or not firm_codes:
            continue
        hits: dict[str, str] = {}
        for code in sorted(firm_codes):
            for prefix in prefixes:
                if code.startswith(prefix):
                    for sid in by_code[prefix]:
                        hits.setdefault(sid, code)
        for sid, code in hits.items():
            rows[(str(fid), sid)] = [1.0 / len(hits), MappingRule.INDUSTRY, code, 0]
    return rows
