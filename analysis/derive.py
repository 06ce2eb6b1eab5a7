"""Deriving a chain template from data: the product chain (or the industry upstream links) around
a focal product or industry, to a chosen depth, with weak links pruned and every pruning said.

Product-chain data such as ChainKG is sparse and noisy: names extracted from text, links in both
directions that contradict each other (玻璃 is listed both as an input and an output of 碳酸锂),
products nobody makes. The derivation keeps what is credible and reports the rest:

1. The graph: an ``upstream_material`` link (``related`` is an input of ``product``) and a
   ``downstream`` link (``related`` is made from ``product``) both give an edge input -> output;
   ``evidence`` counts the distinct records behind an edge (1 or 2). ``subtype`` links name kinds
   of a product and become its keywords.
2. From the focal node, breadth first, ``depth_up`` steps to inputs and ``depth_down`` steps to
   outputs. At each node, a neighbour is dropped when its name is malformed (control characters,
   quotes, brackets, no letter at all, or over 30 characters), when fewer than ``min_makers``
   firms make it (products mode, when ``makes`` is given), or when its edge has less than
   ``min_evidence``; of
   the rest the ``max_links`` best (evidence, then makers, then name) are kept, the others
   dropped as "beyond the top k".
3. Edges among kept nodes are then added strongest first; one that would close a cycle is
   dropped, naming the cycle.

Industry mode works the same on ``industry_links`` (``upstream`` feeds ``industry``, weighted by
the number of supporting product links), with ``min_evidence`` applied to the weight; the
segments carry the industry code instead of keywords.

Example:
    >>> import pyarrow as pa
    >>> links = pa.table({
    ...     "product": ["碳酸锂", "碳酸锂", "正极材料", "碳酸锂"],
    ...     "related": ["锂辉石", "纯碱", "碳酸锂", "玻璃"],
    ...     "relation": ["upstream_material", "upstream_material", "upstream_material",
    ...                  "downstream"]})
    >>> makes = pa.table({"enterprise": ["a", "b", "c", "d"],
    ...                   "product": ["碳酸锂", "锂辉石", "正极材料", "玻璃"]})
    >>> d = derive_chain(links, focal="碳酸锂", makes=makes, chain_id="li")
    >>> [s.name for s in d.chain.ordered_segments()]
    ['锂辉石', '碳酸锂', '正极材料', '玻璃']
    >>> [(x.name, x.reason) for x in d.dropped]
    [('纯碱', 'no firm makes it (fewer than 1)')]
"""

from __future__ import annotations

import re
from collections import deque
from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from chainscout.graph.errors import BadInputError
from chainscout.graph.model import Chain, Feeds, Segment

__all__ = ["DerivedChain", "DerivedLink", "DerivedNode", "DroppedItem", "derive_chain"]

_BAD_NAME = re.compile(r"[\x00-\x1f\"'“”‘’<>{}\[\]\\|]")
_LETTER = re.compile(r"[^\W\d_]")


class DerivedNode(BaseModel):
    """A kept product or industry, now a segment."""

    model_config = ConfigDict(frozen=True)

    segment: str
    name: str
    direction: Literal["focal", "upstream", "downstream"]
    depth: int
    makers: int | None = Field(description="firms making it (None when not known)")


class DerivedLink(BaseModel):
    """A kept FEEDS edge and the evidence behind it."""

    model_config = ConfigDict(frozen=True)

    upstream: str
    downstream: str
    evidence: float


class DroppedItem(BaseModel):
    """Something the derivation left out, and why."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["node", "link"]
    name: str
    near: str = Field(description="the kept node it was reached from")
    reason: str


class DerivedChain(BaseModel):
    """A derived template, what it kept and what it dropped."""

    model_config = ConfigDict(frozen=True)

    chain: Chain
    mode: Literal["product", "industry"]
    focal: str
    depth_up: int
    depth_down: int
    nodes: list[DerivedNode]
    links: list[DerivedLink]
    dropped: list[DroppedItem]


def derive_chain(
    links: pa.Table,
    *,
    focal: str,
    mode: Literal["product", "industry"] = "product",
    makes: pa.Table | None = None,
    enterprises: pa.Table | None = None,
    industries: pa.Table | None = None,
    depth_up: int = 2,
    depth_down: int = 1,
    max_links: int = 8,
    min_makers: int = 1,
    min_evidence: float = 1.0,
    chain_id: str = "derived",
    name: str | None = None,
) -> DerivedChain:
    """Derive a chain around ``focal`` (see the module docstring).

    Parameters
    ----------
    links:
        ``product_links`` (product mode) or ``industry_links`` (industry mode) as a table.
    focal:
        The focal product name, or industry code or name.
    makes:
        ``makes`` rows (enterprise, product): counts makers (product mode).
    enterprises:
        ``enterprises`` rows (id, industries): counts firms per industry (industry mode).
    industries:
        ``industries`` rows (code, name): names industries and resolves names to codes.
    depth_up, depth_down:
        Steps to inputs and to outputs from the focal node.
    max_links:
        At most this many inputs (or outputs) kept per node.
    min_makers:
        Nodes with fewer makers are dropped (only when makers are known).
    min_evidence:
        Edges with less evidence (records, or industry link weight) are dropped.
    """
    if depth_up < 0 or depth_down < 0 or max_links < 1:
        raise BadInputError("depths must be 0 or more and max_links at least 1")
    names: dict[str, str] = {}
    if industries is not None and industries.num_rows:
        for code, nm in zip(
            industries["code"].to_pylist(), industries["name"].to_pylist(), strict=True
        ):
            names[str(code)] = str(nm)
    kinds: dict[str, list[str]] = {}
    if mode == "product":
        edges = _product_edges(links, kinds)
        makers = _count_makers(makes) if makes is not None else None
    else:
        edges = _industry_edges(links, {v: k for k, v in names.items()})
        makers = _count_industry_firms(enterprises) if enterprises is not None else None
        if focal not in edges.nodes and focal in {v: k for k, v in names.items()}:
            focal = {v: k for k, v in names.items()}[focal]
    if focal not in edges.nodes:
        close = sorted(n for n in edges.nodes if focal in n or n in focal)[:8]
        hint = f" Close names: {', '.join(close)}." if close else ""
        raise BadInputError(f"{focal!r} has no {mode} link in the data.{hint}")

    def label(node: str) -> str:
        return names.get(node, node) if mode == "industry" else node

    kept: dict[str, tuple[str, int]] = {focal: ("focal", 0)}
    dropped: list[DroppedItem] = []
    dropped_keys: set[tuple[str, str]] = set()

    def makers_of(n: str) -> int | None:
        return None if makers is None else makers.get(n, 0)

    for direction, depth, neigh in (
        ("upstream", depth_up, edges.inputs),
        ("downstream", depth_down, edges.outputs),
    ):
        queue: deque[tuple[str, int]] = deque([(focal, 0)])
        while queue:
            node, d = queue.popleft()
            if d >= depth:
                continue
            cands = []
            for other, ev in sorted(neigh.get(node, {}).items()):
                if other in kept:
                    continue
                why = None
                if mode == "product" and _malformed(other):
                    why = "malformed name"
                elif makers is not None and makers.get(other, 0) < min_makers:
                    why = f"no firm makes it (fewer than {min_makers})"
                elif ev < min_evidence:
                    why = f"evidence {ev:g} < {min_evidence:g}"
                if why:
                    if (other, why) not in dropped_keys:
                        dropped_keys.add((other, why))
                        dropped.append(
                            DroppedItem(
                                kind="node", name=label(other), near=label(node), reason=why
                            )
                        )
                    continue
                cands.append((-ev, -(makers_of(other) or 0), other))
            cands.sort()
            for rank, (_, _, other) in enumerate(cands):
                if rank >= max_links:
                    if (other, "top") not in dropped_keys:
                        dropped_keys.add((other, "top"))
                        dropped.append(
                            DroppedItem(
                                kind="node",
                                name=label(other),
                                near=label(node),
                                reason=f"beyond the top {max_links} {direction} links of"
                                f" {label(node)}",
                            )
                        )
                    continue
                if other not in kept:
                    kept[other] = (direction, d + 1)
                    queue.append((other, d + 1))
    # a node dropped at one place but kept at another is kept: forget its drop
    dropped = [x for x in dropped if not any(label(k) == x.name for k in kept)]

    # edges among kept nodes, strongest first, skipping those that close a cycle
    cand_edges = sorted(
        (
            (ev, a, b)
            for a, outs in edges.outputs.items()
            if a in kept
            for b, ev in outs.items()
            if b in kept
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    succ: dict[str, set[str]] = {k: set() for k in kept}
    kept_links: list[tuple[str, str, float]] = []
    for ev, a, b in cand_edges:
        if ev < min_evidence:
            continue
        path = _path(succ, b, a)
        if path is not None:
            cycle = " -> ".join(label(x) for x in [a, *path])
            dropped.append(
                DroppedItem(
                    kind="link",
                    name=f"{label(a)} -> {label(b)}",
                    near=label(a),
                    reason=f"closes the cycle {cycle}",
                )
            )
            continue
        succ[a].add(b)
        kept_links.append((a, b, ev))

    maker_codes = (
        _maker_codes(makes, enterprises)
        if mode == "product" and makes is not None and enterprises is not None
        else {}
    )
    seg_id = {k: f"{chain_id}.{label(k)}" if mode == "product" else f"{chain_id}.{k}" for k in kept}
    segments = tuple(
        Segment(
            id=seg_id[k],
            chain=chain_id,
            name=label(k)[:500],
            keywords=tuple(
                [k, *sorted(kinds.get(k, []), key=lambda s: (-(makers_of(s) or 0), s))[:7]]
            )
            if mode == "product"
            else (),
            industry_codes=(k,) if mode == "industry" else _codes_of(k, maker_codes, makers),
            description=f"derived: {kept[k][0]}, depth {kept[k][1]}",
        )
        for k in sorted(kept, key=lambda k: (kept[k][1], kept[k][0], k))
    )
    chain = Chain(
        id=chain_id,
        name=name or f"{label(focal)}产业链（数据推导）",
        name_en=f"Chain derived around {label(focal)}",
        description=f"Derived from {mode} links around {label(focal)}: {depth_up} step(s)"
        f" upstream, {depth_down} downstream, at most {max_links} links per node.",
        segments=segments,
        feeds=tuple(Feeds(upstream=seg_id[a], downstream=seg_id[b]) for a, b, _ in kept_links),
    )
    nodes = [
        DerivedNode(
            segment=seg_id[k],
            name=label(k),
            direction=kept[k][0],
            depth=kept[k][1],
            makers=makers_of(k),
        )
        for k in sorted(kept, key=lambda k: (kept[k][1], kept[k][0], k))
    ]
    return DerivedChain(
        chain=chain,
        mode=mode,
        focal=focal,
        depth_up=depth_up,
        depth_down=depth_down,
        nodes=nodes,
        links=[
            DerivedLink(upstream=seg_id[a], downstream=seg_id[b], evidence=ev)
            for a, b, ev in kept_links
        ],
        dropped=dropped,
    )


class _Edges:
    """Input -> output edges with their evidence, both ways round."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, float]] = {}
        self.outputs: dict[str, dict[str, float]] = {}
        self.nodes: set[str] = set()

    def add(self, up: str, down: str, weight: float) -> None:
        if up == down:
            return
        self.outputs.setdefault(up, {})
        self.outputs[up][down] = self.outputs[up].get(down, 0.0) + weight
        self.inputs.setdefault(down, {})
        self.inputs[down][up] = self.inputs[down].get(up, 0.0) + weight
        self.nodes.update((up, down))


def _product_edges(links: pa.Table, kinds: dict[str, list[str]]) -> _Edges:
    edges = _Edges()
    seen: set[tuple[str, str, str]] = set()
    for p, r, rel in zip(
        links["product"].to_pylist(),
        links["related"].to_pylist(),
        links["relation"].to_pylist(),
        strict=True,
    ):
        key = (p, r, rel)
        if key in seen:
            continue
        seen.add(key)
        if rel == "upstream_material":
            edges.add(r, p, 1.0)
        elif rel == "downstream":
            edges.add(p, r, 1.0)
        elif rel == "subtype":
            kinds.setdefault(p, []).append(r)
    return edges


def _industry_edges(links: pa.Table, code_of: dict[str, str]) -> _Edges:
    edges = _Edges()
    weights = (
        links["weight"].to_pylist() if "weight" in links.column_names else [1.0] * links.num_rows
    )
    for ind, up, w in zip(
        links["industry"].to_pylist(), links["upstream"].to_pylist(), weights, strict=True
    ):
        edges.add(code_of.get(up, up), code_of.get(ind, ind), 1.0 if w is None else float(w))
    return edges


def _count_makers(makes: pa.Table) -> dict[str, int]:
    out: dict[str, set[str]] = {}
    for e, p in zip(makes["enterprise"].to_pylist(), makes["product"].to_pylist(), strict=True):
        out.setdefault(p, set()).add(e)
    return {p: len(s) for p, s in out.items()}


def _count_industry_firms(enterprises: pa.Table) -> dict[str, int]:
    out: dict[str, int] = {}
    for codes in enterprises["industries"].to_pylist():
        for c in set(codes or ()):
            out[c] = out.get(c, 0) + 1
    return out


def _codes_of(
    product: str, maker_codes: dict[str, dict[str, int]], makers: dict[str, int] | None
) -> tuple[str, ...]:
    """Industry codes held by at least 30% (and two) of a product's makers, most common first."""
    counts = maker_codes.get(product, {})
    total = (makers or {}).get(product, 0)
    picked = sorted(
        (c for c, k in counts.items() if k >= max(2, 0.3 * total)), key=lambda c: (-counts[c], c)
    )
    return tuple(picked[:2])


def _maker_codes(makes: pa.Table, enterprises: pa.Table) -> dict[str, dict[str, int]]:
    """Per product, how many of its makers hold each industry code."""
    codes_of = dict(
        zip(enterprises["id"].to_pylist(), enterprises["industries"].to_pylist(), strict=True)
    )
    out: dict[str, dict[str, int]] = {}
    pairs = set(zip(makes["enterprise"].to_pylist(), makes["product"].to_pylist(), strict=True))
    for e, p in sorted(pairs):
        for c in set(codes_of.get(e) or ()):
            out.setdefault(p, {})
            out[p][c] = out[p].get(c, 0) + 1
    return out


def _malformed(name: str) -> bool:
    """Names of text-extraction debris: control characters, quotes or brackets, no letter at
    all, or more than 30 characters."""
    return bool(_BAD_NAME.search(name)) or len(name) > 30 or not _LETTER.search(name)


def _path(succ: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A path start -> ... -> goal in the kept graph, or None."""
    if start == goal:
        return [start]
    prev: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        x = queue.popleft()
        for y in sorted(succ.get(x, ())):
            if y in seen:
                continue
            prev[y] = x
            if y == goal:
                out = [y]
                while out[-1] != start:
                    out.append(prev[out[-1]])
                return out[::-1]
            seen.add(y)
            queue.append(y)
    return None
