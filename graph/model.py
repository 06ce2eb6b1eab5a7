"""The domain model: enterprises, chain segments, chains, regions and the typed links among them.

These pydantic models are what crosses the boundaries of ChainScout (loaders in, API out).
Inside hot loops the stores and views use columnar arrays instead; see ``graph.tables``.

Units: ``revenue`` in 万元 (10k yuan), ``energy_intensity`` in tce per 万元 of output value,
``rd_share`` and every ``share`` as a fraction from 0 to 1; the 标准地 ("standard land")
indicators ``investment_intensity`` (fixed-asset investment) and ``tax_per_mu`` (tax paid per
year) in 万元 per mu (亩) of land.

Example:
    >>> e = Enterprise(id="91350100M000100Y43", name="示例锂业有限公司", region="350100")
    >>> e.credit_code
    '91350100M000100Y43'
    >>> Enterprise(id="x", name="坏", revenue=-1)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Enterprise
    revenue
      Input should be greater than or equal to 0 ...
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from .codes import check_credit_code, is_credit_code
from .regions import RegionLevel, check_region_code

__all__ = [
    "KNOWN_TAGS",
    "Chain",
    "Confidence",
    "Enterprise",
    "Feeds",
    "InSegment",
    "Industry",
    "IndustryLink",
    "InvestsIn",
    "Makes",
    "ProductLink",
    "ProductRelation",
    "Region",
    "RelationType",
    "Segment",
    "Supplies",
]


class RelationType(StrEnum):
    """The link types of the graph. Stores take labels and types from here, never from data."""

    SUPPLIES = "SUPPLIES"
    IN_SEGMENT = "IN_SEGMENT"
    FEEDS = "FEEDS"
    INVESTS_IN = "INVESTS_IN"
    MAKES = "MAKES"
    PRODUCT_LINK = "PRODUCT_LINK"
    INDUSTRY_UPSTREAM = "INDUSTRY_UPSTREAM"


class ProductRelation(StrEnum):
    """How two products relate (the product chain, e.g. ChainKG's 上游材料/产品小类/下游产品)."""

    UPSTREAM_MATERIAL = "upstream_material"  # ``related`` is an input material of ``product``
    SUBTYPE = "subtype"  # ``related`` is a kind of ``product``
    DOWNSTREAM = "downstream"  # ``related`` is made from ``product``


class Confidence(StrEnum):
    """How a supply link is known: reported by a source, inferred from the product chain, or
    predicted by a model. Ordered from most to least credible."""

    REPORTED = "reported"
    INFERRED = "inferred"
    PREDICTED = "predicted"


#: Tags with a meaning in ChainScout's scoring; other tags are kept as they are.
KNOWN_TAGS = ("链主", "高新技术企业", "专精特新", "小巨人", "上市公司")

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: A finite amount of 0 or more (infinity or NaN is no measurement).
PerMu = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
RegionCode = Annotated[str, AfterValidator(check_region_code)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Enterprise(_Model):
    """A firm. ``id`` is its unified social credit code where known, else a stable id of the
    source (``stock:600000``, ``gdes:ICN00012``); ``credit_code`` is filled from ``id`` when the id
    is a valid credit code."""

    id: Id
    name: Name
    aliases: tuple[str, ...] = ()
    credit_code: str | None = None
    region: RegionCode | None = None
    address: str | None = None
    revenue: Annotated[float, Field(ge=0.0)] | None = Field(
        default=None, description="revenue in 万元 (10k yuan)"
    )
    employees: Annotated[int, Field(ge=0)] | None = None
    tags: tuple[str, ...] = ()
    industries: tuple[str, ...] = Field(
        default=(), description="industry classification codes (Shenwan, GB/T 4754...)"
    )
    energy_intensity: Annotated[float, Field(ge=0.0)] | None = Field(
        default=None, description="tce per 万元 of output value"
    )
    env_rating: str | None = Field(default=None, description="environmental rating, A (best) to D")
    rd_share: Share | None = Field(default=None, description="R&D spending over revenue, 0-1")
    investment_intensity: PerMu | None = Field(
        default=None, description="fixed-asset investment per mu of land, 万元/亩 (投资强度)"
    )
    tax_per_mu: PerMu | None = Field(
        default=None, description="tax paid per mu of land per year, 万元/亩 (亩均税收)"
    )
    contact: str | None = Field(default=None, description="contact person (联系人)")
    phone: str | None = Field(default=None, description="contact phone (联系电话)")
    source: str | None = None

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        return None if value is None or value == "" else check_credit_code(value)

    @field_validator("contact", "phone")
    @classmethod
    def _blank_is_unknown(cls, value: str | None) -> str | None:
        """An empty contact cell says nothing: it is unknown, not a contact named ""."""
        return None if value is None or value == "" else value

    @field_validator("env_rating")
    @classmethod
    def _env_rating(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        rating = value.strip().upper()
        if rating not in {"A", "B", "C", "D"}:
            raise ValueError(f"environmental rating {value!r} is not one of A, B, C, D")
        return rating

    @field_validator("aliases", "tags", "industries")
    @classmethod
    def _distinct(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for v in values:
            v = v.strip()
            if v:
                seen.setdefault(v, None)
        return tuple(seen)

    @model_validator(mode="after")
    def _fill_credit_code(self) -> Self:
        if self.credit_code is None and is_credit_code(self.id):
            object.__setattr__(self, "credit_code", self.id.upper())
        return self


class Segment(_Model):
    """A segment (环节) of one chain. ``level`` 0 is a top segment; a sub-segment names its
    ``parent``. ``keywords`` and ``industry_codes`` say how firms map onto it."""

    id: Id
    chain: Id
    name: Name
    name_en: str | None = None
    level: Annotated[int, Field(ge=0, le=5)] = 0
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    industry_codes: tuple[str, ...] = ()
    description: str | None = None


class Feeds(_Model):
    """FEEDS: segment ``upstream`` supplies inputs to segment ``downstream``."""

    upstream: Id
    downstream: Id
    coefficient: Annotated[float, Field(ge=0.0)] | None = Field(
        default=None, description="technical coefficient: input per unit of downstream output"
    )

    @model_validator(mode="after")
    def _no_self_loop(self) -> Self:
        if self.upstream == self.downstream:
            raise ValueError(f"segment {self.upstream!r} cannot feed itself")
        return self


class Chain(_Model):
    """An industry chain (产业链): its segments and the FEEDS edges among them, a DAG from
    upstream to downstream. Validation rejects duplicate segments, edges to unknown segments and
    cycles, naming them."""

    id: Id
    name: Name
    name_en: str | None = None
    description: str | None = None
    segments: tuple[Segment, ...] = ()
    feeds: tuple[Feeds, ...] = ()

    @model_validator(mode="after")
    def _check_graph(self) -> Self:
        ids = [s.id for s in self.segments]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"chain {self.id!r} lists segment(s) twice: {', '.join(dupes)}")
        known = set(ids)
        wrong_chain = [s.id for s in self.segments if s.chain != self.id]
        if wrong_chain:
            raise ValueError(
                f"segment(s) {', '.join(wrong_chain)} belong to another chain than {self.id!r}"
            )
        bad_parent = [
            f"{s.id} -> {s.parent}" for s in self.segments if s.parent and s.parent not in known
        ]
        if bad_parent:
            raise ValueError(
                f"chain {self.id!r}: unknown parent segment in {', '.join(bad_parent)}"
            )
        dangling = [
            f"{f.upstream} -> {f.downstream}"
            for f in self.feeds
            if f.upstream not in known or f.downstream not in known
        ]
        if dangling:
            raise ValueError(
                f"chain {self.id!r}: FEEDS edge(s) to unknown segments: {', '.join(dangling)}"
            )
        cycle = _find_cycle(ids, [(f.upstream, f.downstream) for f in self.feeds])
        if cycle:
            raise ValueError(
                f"chain {self.id!r} is not upstream-to-downstream: cycle {' -> '.join(cycle)}"
            )
        return self

    def segment(self, segment_id: str) -> Segment:
        """The segment with this id (``KeyError`` if the chain has none)."""
        for s in self.segments:
            if s.id == segment_id:
                return s
        raise KeyError(segment_id)

    def ordered_segments(self) -> list[Segment]:
        """Segments upstream first (a stable topological order: ties keep the listed order)."""
        order = {s.id: i for i, s in enumerate(self.segments)}
        indegree = {s.id: 0 for s in self.segments}
        succ: dict[str, list[str]] = {s.id: [] for s in self.segments}
        for f in self.feeds:
            indegree[f.downstream] += 1
            succ[f.upstream].append(f.downstream)
        ready = sorted((i for i, d in indegree.items() if d == 0), key=order.__getitem__)
        out: list[str] = []
        while ready:
            node = ready.pop(0)
            out.append(node)
            for nxt in succ[node]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
                    ready.sort(key=order.__getitem__)
        by_id = {s.id: s for s in self.segments}
        return [by_id[i] for i in out]


def _find_cycle(nodes: list[str], edges: list[tuple[str, str]]) -> list[str] | None:
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    for start in nodes:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            children = succ.get(node, [])
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None


class Region(_Model):
    """A node of the region hierarchy: a division code or an ISO country code."""

    code: RegionCode
    name: Name
    level: RegionLevel
    parent: str | None = None


class Supplies(_Model):
    """SUPPLIES: ``supplier`` sells to ``customer``. ``seen`` lists the snapshot dates the link
    was observed in; ``since`` is the first date known."""

    supplier: Id
    customer: Id
    share: Share | None = Field(default=None, description="share of the customer's inputs")
    volume: Annotated[float, Field(ge=0.0)] | None = Field(
        default=None, description="万元 per year"
    )
    source: str | None = None
    since: dt.date | None = None
    seen: tuple[dt.date, ...] = ()
    confidence: Confidence = Confidence.REPORTED

    @model_validator(mode="after")
    def _no_self_loop(self) -> Self:
        if self.supplier == self.customer:
            raise ValueError(f"enterprise {self.supplier!r} cannot supply itself (a self-loop)")
        object.__setattr__(self, "seen", tuple(sorted(set(self.seen))))
        return self


class InSegment(_Model):
    """IN_SEGMENT: ``enterprise`` works in ``segment`` with ``share`` of its business."""

    enterprise: Id
    segment: Id
    share: Share = 1.0


class InvestsIn(_Model):
    """INVESTS_IN: ``investor`` holds ``share`` of ``investee``'s equity."""

    investor: Id
    investee: Id
    share: Share | None = None

    @model_validator(mode="after")
    def _no_self_loop(self) -> Self:
        if self.investor == self.investee:
            raise ValueError(f"enterprise {self.investor!r} cannot invest in itself")
        return self


class Makes(_Model):
    """MAKES: ``enterprise`` makes ``product`` (a main product, 主营产品), ``share`` of revenue."""

    enterprise: Id
    product: Name
    share: Share | None = None


class ProductLink(_Model):
    """A link of the product chain between two products, named by their names."""

    product: Name
    related: Name
    relation: ProductRelation

    @model_validator(mode="after")
    def _no_self_loop(self) -> Self:
        if self.product == self.related:
            raise ValueError(f"product {self.product!r} cannot be related to itself")
        return self


class Industry(_Model):
    """An industry of a classification (e.g. Shenwan 2021): ``level`` 1 is the top."""

    code: Id
    name: Name
    level: Annotated[int, Field(ge=1, le=5)] = 1
    parent: str | None = None
    scheme: str | None = Field(default=None, description="classification, e.g. SW2021, GB4754")


class IndustryLink(_Model):
    """INDUSTRY_UPSTREAM: ``upstream`` supplies inputs to ``industry``; ``weight`` is the
    strength of the evidence (e.g. how many product links support it)."""

    industry: Id
    upstream: Id
    weight: Annotated[float, Field(ge=0.0)] | None = None
