"""Deriving a chain template from product and industry links."""

from __future__ import annotations

import pyarrow as pa
import pytest

from chainscout.analysis.derive import derive_chain
from chainscout.graph.errors import BadInputError


def _links(rows: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table({"product": [r[0] for r in rows], "related": [r[1] for r in rows],
                     "relation": [r[2] for r in rows]})  # fmt: skip


def _makes(products: dict[str, int]) -> pa.Table:
    ents, prods = [], []
    for p, k in products.items():
        for i in range(k):
            ents.append(f"{p}-{i}")
            prods.append(p)
    return pa.table({"enterprise": ents, "product": prods})


UP, DOWN, KIND = "upstream_material", "downstream", "subtype"

LINKS = _links([
    ("碳酸锂", "锂辉石", UP), ("锂辉石", "碳酸锂", DOWN),  # the same edge twice: evidence 2
    ("碳酸锂", "纯碱", UP), ("碳酸锂", "硫酸", UP), ("碳酸锂", "玻璃", UP),
    ("碳酸锂", "玻璃", DOWN),  # contradicts the line above: a cycle
    ("碳酸锂", "\"坏名", UP), ("碳酸锂", "没人做", UP),
    ("正极材料", "碳酸锂", UP), ("锂辉石", "采矿设备", UP), ("采矿设备", "钢材", UP),
    ("碳酸锂", "电池级碳酸锂", KIND),
])  # fmt: skip
MAKERS = _makes({"碳酸锂": 3, "锂辉石": 2, "纯碱": 1, "硫酸": 4, "玻璃": 5, "\"坏名": 2,
                 "正极材料": 6, "采矿设备": 1, "钢材": 9, "电池级碳酸锂": 2})  # fmt: skip


def test_derivation_keeps_strong_links_and_says_what_it_dropped() -> None:
    d = derive_chain(LINKS, focal="碳酸锂", makes=MAKERS, chain_id="li", max_links=3)
    names = {n.name: n for n in d.nodes}
    assert names["碳酸锂"].direction == "focal"
    assert names["锂辉石"].direction == "upstream" and names["锂辉石"].makers == 2
    assert names["正极材料"].direction == "downstream"
    assert names["采矿设备"].depth == 2 and "钢材" not in names  # depth 2 upstream
    reasons = {(x.name, x.reason) for x in d.dropped}
    assert ("没人做", "no firm makes it (fewer than 1)") in reasons
    assert ('"坏名', "malformed name") in reasons
    # evidence 2 first, then makers: 锂辉石, 玻璃, 硫酸 kept; 纯碱 beyond the top 3
    assert ("纯碱", "beyond the top 3 upstream links of 碳酸锂") in reasons
    cycle = [x for x in d.dropped if x.kind == "link"]
    assert len(cycle) == 1 and "closes the cycle" in cycle[0].reason
    assert cycle[0].name in ("碳酸锂 -> 玻璃", "玻璃 -> 碳酸锂")
    links = {(f.upstream, f.downstream): f.evidence for f in d.links}
    assert links[("li.锂辉石", "li.碳酸锂")] == 2.0
    chain = d.chain
    assert chain.id == "li" and all(s.id.startswith("li.") for s in chain.segments)
    assert chain.segment("li.碳酸锂").keywords == ("碳酸锂", "电池级碳酸锂")
    assert len(chain.ordered_segments()) == len(chain.segments)  # a DAG


def test_derivation_is_deterministic() -> None:
    a = derive_chain(LINKS, focal="碳酸锂", makes=MAKERS)
    b = derive_chain(LINKS, focal="碳酸锂", makes=MAKERS)
    assert a.model_dump_json() == b.model_dump_json()


def test_depth_zero_downstream_and_no_makers_table() -> None:
    d = derive_chain(LINKS, focal="碳酸锂", depth_up=1, depth_down=0)
    names = {n.name for n in d.nodes}
    assert "正极材料" not in names and "没人做" in names  # makers unknown: nothing to prune on
    assert all(n.makers is None for n in d.nodes)


def test_unknown_focal_suggests_close_names() -> None:
    with pytest.raises(BadInputError, match="Close names: 碳酸锂"):
        derive_chain(LINKS, focal="碳酸")


def test_industry_mode_resolves_names_and_prunes_by_weight() -> None:
    links = pa.table({"industry": ["锂电池", "锂电池", "锂电池", "630702"],
                      "upstream": ["锂", "电池化学品", "黄金", "锂"],
                      "weight": [12.0, 30.0, 1.0, 5.0]})  # fmt: skip
    industries = pa.table({"code": ["630701", "630702", "240603", "240401"],
                           "name": ["锂电池", "电池化学品", "锂", "黄金"]})  # fmt: skip
    d = derive_chain(
        links, focal="锂电池", mode="industry", industries=industries, min_evidence=2,
        chain_id="bat", depth_up=2,
    )  # fmt: skip
    assert d.focal == "630701"
    assert {n.name for n in d.nodes} == {"锂电池", "电池化学品", "锂"}
    assert ("黄金", "evidence 1 < 2") in {(x.name, x.reason) for x in d.dropped}
    assert d.chain.segment("bat.630701").industry_codes == ("630701",)
    feeds = {(f.upstream, f.downstream) for f in d.chain.feeds}
    assert ("bat.240603", "bat.630702") in feeds and ("bat.630702", "bat.630701") in feeds
