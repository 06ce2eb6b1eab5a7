"""A layered, stable layout of a chain's segments: upstream on the left, downstream on the right.

The chain-gap map must look the same every time and for every region, so that two regions can be
compared segment by segment and a planner finds "电池材料" where it was last week. A force layout
floats; this one is computed from the FEEDS DAG alone:

1. **Layers**: a segment's layer is first the length of the longest FEEDS path that reaches it,
   then, from downstream back, one less than its nearest downstream segment's, so that a part
   sits next to what it feeds (tyres beside vehicle assembly, not beside lithium ore) and arrows
   stay short. A sub-segment without FEEDS edges of its own sits in its parent's layer.
2. **Order within a layer**: start from the chain's listed order, then a few barycentre sweeps
   (each segment moves towards the mean position of its neighbours in the adjacent layer), ties
   kept in the previous order. This reduces crossing arrows and is deterministic.
3. **Coordinates**: ``x = layer * dx``; a layer's segments are centred on ``y = 0``, ``dy`` apart.

Example:
    >>> from chainscout.graph.model import Chain, Feeds, Segment
    >>> segs = tuple(Segment(id=i, chain="c", name=i) for i in ("ore", "salt", "cell", "car"))
    >>> c = Chain(id="c", name="c", segments=segs, feeds=(
    ...     Feeds(upstream="ore", downstream="salt"), Feeds(upstream="salt", downstream="cell"),
    ...     Feeds(upstream="cell", downstream="car"), Feeds(upstream="ore", downstream="car")))
    >>> {k: (p.layer, p.x, p.y) for k, p in chain_layout(c).items()}
    {'ore': (0, 0.0, 0.0), 'salt': (1, 240.0, 0.0), 'cell': (2, 480.0, 0.0), 'car': (3, 720.0, 0.0)}
"""

from __future__ import annotations

from dataclasses import dataclass

from chainscout.graph.model import Chain

__all__ = ["Place", "chain_layout"]


@dataclass(frozen=True)
class Place:
    """Where one segment is drawn."""

    layer: int
    order: int
    x: float
    y: float


def chain_layout(
    chain: Chain, *, dx: float = 240.0, dy: float = 100.0, sweeps: int = 4
) -> dict[str, Place]:
    """The place of each segment of ``chain`` (see the module docstring)."""
    segments = chain.ordered_segments()
    ids = [s.id for s in segments]
    listed = {sid: i for i, sid in enumerate(ids)}
    up: dict[str, list[str]] = {sid: [] for sid in ids}
    down: dict[str, list[str]] = {sid: [] for sid in ids}
    for f in chain.feeds:
        up[f.downstream].append(f.upstream)
        down[f.upstream].append(f.downstream)

    layer: dict[str, int] = {}
    for s in segments:  # topological order: every upstream segment has its layer already
        layer[s.id] = max((layer[u] + 1 for u in up[s.id]), default=0)
    for s in reversed(segments):  # then pull each segment right, next to its nearest customer
        if down[s.id]:
            layer[s.id] = min(layer[d] for d in down[s.id]) - 1
    for s in segments:
        if s.parent in layer and not up[s.id] and not down[s.id]:
            layer[s.id] = layer[s.parent]

    n_layers = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(n_layers)]
    for sid in ids:
        rows[layer[sid]].append(sid)
    for row in rows:
        row.sort(key=lambda sid: listed[sid])

    def position() -> dict[str, int]:
        return {sid: i for row in rows for i, sid in enumerate(row)}

    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        indices = range(1, n_layers) if forward else range(n_layers - 2, -1, -1)
        for k in indices:
            pos = position()
            row = rows[k]
            sizes = {r: len(rows[r]) for r in range(n_layers)}

            def centre(
                sid: str,
                pos: dict[str, int] = pos,
                forward: bool = forward,
                row: list[str] = row,
                sizes: dict[int, int] = sizes,
            ) -> float:
                near = up[sid] if forward else down[sid]
                if not near:
                    return float(pos[sid])
                # positions relative to each neighbour's layer centre, in this layer's units
                return (
                    sum(pos[n] - (sizes[layer[n]] - 1) / 2 for n in near) / len(near)
                    + (len(row) - 1) / 2
                )

            rows[k] = sorted(row, key=lambda sid: (centre(sid), pos[sid]))

    out: dict[str, Place] = {}
    for k, row in enumerate(rows):
        for i, sid in enumerate(row):
            out[sid] = Place(layer=k, order=i, x=k * dx, y=(i - (len(row) - 1) / 2) * dy)
    return {sid: out[sid] for sid in ids}
