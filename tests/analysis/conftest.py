"""Shared helpers of the chain-analysis tests: small hand-made chains and views."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from chainscout.graph.model import Chain, Feeds, Segment
from chainscout.graph.view import ChainView

ViewFactory = Callable[..., ChainView]


def make_chain(
    segments: Sequence[str | tuple[str, str]], feeds: Sequence[tuple[str, str]] = ()
) -> Chain:
    """A chain ``t`` whose segments are ids, or ``(id, parent)`` pairs for sub-segments."""
    segs = []
    for s in segments:
        sid, parent = (s, None) if isinstance(s, str) else s
        segs.append(
            Segment(id=sid, chain="t", name=sid.upper(), level=1 if parent else 0, parent=parent)
        )
    return Chain(
        id="t",
        name="test chain",
        segments=tuple(segs),
        feeds=tuple(Feeds(upstream=a, downstream=b) for a, b in feeds),
    )


def build_view(
    chain: Chain,
    firms: Sequence[tuple[str, str | None, dict[str, float]]],
    links: Sequence[tuple[str, str]] = (),
    *,
    home: str = "440300",
    revenue: Sequence[float] | None = None,
    volume: Sequence[float] | None = None,
) -> ChainView:
    """A view of ``chain``: ``firms`` as ``(id, region, {segment: share})``, links by id."""
    ids = [f[0] for f in firms]
    seg_ids = [s.id for s in chain.ordered_segments()]
    pos = {s: i for i, s in enumerate(seg_ids)}
    mf, ms, sh = [], [], []
    for i, (_, _, members) in enumerate(firms):
        for seg, share in members.items():
            mf.append(i)
            ms.append(pos[seg])
            sh.append(share)
    row = {f: i for i, f in enumerate(ids)}
    return ChainView.from_arrays(
        chain=chain,
        home_region=home,
        ids=ids,
        regions=[f[1] for f in firms],
        segment_ids=seg_ids,
        member_firm=mf,
        member_segment=ms,
        member_share=sh,
        supplier=[row[a] for a, _ in links],
        customer=[row[b] for _, b in links],
        revenue=revenue,
        link_volume=volume,
    )


@pytest.fixture
def chain_factory() -> Callable[..., Chain]:
    return make_chain


@pytest.fixture
def view_factory() -> ViewFactory:
    return build_view
