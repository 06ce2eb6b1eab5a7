"""Mapping firms onto segments by keywords, industry codes or explicitly."""

from __future__ import annotations

import pyarrow as pa
import pytest

from chainscout.analysis.mapping import MappingRule, map_firms
from chainscout.graph.model import Chain, InSegment, Segment
from chainscout.loaders.chains import builtin_chain


def _chain() -> Chain:
    return Chain(
        id="m",
        name="测试",
        segments=(
            Segment(id="m.phos", chain="m", name="磷化工", keywords=("磷酸铁", "黄磷"),
                    industry_codes=("220802",)),
            Segment(id="m.cathode", chain="m", name="正极", keywords=("磷酸铁锂", "正极材料")),
            Segment(id="m.cell", chain="m", name="电芯", keywords=("BMS",),
                    industry_codes=("630700",)),
            Segment(id="m.pack", chain="m", name="电池包", keywords=("BMS",)),
        ),
    )  # fmt: skip


def _makes(rows: list[tuple[str, str, float | None]]) -> pa.Table:
    return pa.table(
        {
            "enterprise": [r[0] for r in rows],
            "product": [r[1] for r in rows],
            "share": pa.array([r[2] for r in rows], pa.float64()),
        }
    )


def _ents(rows: list[tuple[str, list[str]]]) -> pa.Table:
    return pa.table({"id": [r[0] for r in rows], "industries": [r[1] for r in rows]})


def test_longest_keyword_wins() -> None:
    result = map_firms(_chain(), makes=_makes([("a", "磷酸铁锂正极", 0.9)]))
    [m] = result.memberships
    assert (m.segment, m.rule, m.matched, m.share) == ("m.cathode", MappingRule.KEYWORD,
                                                       "磷酸铁锂 in 磷酸铁锂正极", 0.9)  # fmt: skip


def test_equal_keywords_share_the_product() -> None:
    result = map_firms(_chain(), makes=_makes([("a", "BMS主板", 0.8)]))
    assert [(m.segment, m.share) for m in result.memberships] == [("m.cell", 0.4), ("m.pack", 0.4)]


def test_keywords_are_case_sensitive() -> None:
    assert map_firms(_chain(), makes=_makes([("a", "bms", None)])).memberships == []


def test_unknown_shares_split_the_firm_and_shares_are_capped() -> None:
    result = map_firms(
        _chain(),
        makes=_makes([("a", "黄磷", None), ("a", "正极材料", None), ("a", "其他", None),
                      ("b", "黄磷", 0.9), ("b", "正极材料", 0.9)]),
    )  # fmt: skip
    got = {(m.enterprise, m.segment): m.share for m in result.memberships}
    assert got[("a", "m.phos")] == pytest.approx(1 / 3, abs=1e-6)
    assert got[("a", "m.cathode")] == pytest.approx(1 / 3, abs=1e-6)
    assert got[("b", "m.phos")] == 0.5 and got[("b", "m.cathode")] == 0.5
    assert result.firms == 2 and result.segments_without_firms == ["m.cell", "m.pack"]


def test_products_of_one_segment_add_up() -> None:
    result = map_firms(_chain(), makes=_makes([("a", "黄磷", 0.2), ("a", "磷酸铁", 0.3)]))
    [m] = result.memberships
    assert (m.share, m.products) == (0.5, 2)


def test_industry_codes_as_fallback_and_by_prefix() -> None:
    makes = _makes([("a", "黄磷", 1.0)])
    ents = _ents([("a", ["630701"]), ("b", ["630701"]), ("c", ["220802", "999999"]), ("d", [])])
    result = map_firms(_chain(), makes=makes, enterprises=ents)
    got = [(m.enterprise, m.segment, m.rule.value, m.matched) for m in result.memberships]
    assert got == [
        ("a", "m.phos", "keyword", "黄磷 in 黄磷"),
        ("b", "m.cell", "industry", "630701"),  # 630700 covers 630701
        ("c", "m.phos", "industry", "220802"),
    ]
    always = map_firms(_chain(), makes=makes, enterprises=ents, industry="always")
    assert ("a", "m.cell") in {(m.enterprise, m.segment) for m in always.memberships}
    never = map_firms(_chain(), makes=makes, enterprises=ents, industry="never")
    assert {m.rule for m in never.memberships} == {MappingRule.KEYWORD}


def test_explicit_memberships_override_the_rules() -> None:
    result = map_firms(
        _chain(),
        makes=_makes([("a", "黄磷", 1.0), ("b", "黄磷", 1.0)]),
        explicit=[InSegment(enterprise="a", segment="m.pack", share=0.7)],
    )
    got = [(m.enterprise, m.segment, m.rule.value, m.share) for m in result.memberships]
    assert got == [("a", "m.pack", "explicit", 0.7), ("b", "m.phos", "keyword", 1.0)]
    assert result.by_rule == {"explicit": 1, "keyword": 1, "industry": 0}
    with pytest.raises(ValueError, match="not in chain"):
        map_firms(_chain(), explicit=[InSegment(enterprise="a", segment="x.y")])


def test_mapping_is_deterministic_and_sorted() -> None:
    rows = [(f"f{i % 7}", p, None) for i, p in enumerate(["黄磷", "正极材料", "BMS", "其他"] * 5)]
    a = map_firms(_chain(), makes=_makes(rows))
    b = map_firms(_chain(), makes=_makes(list(reversed(rows))))
    assert a.model_dump() == b.model_dump()
    keys = [(m.enterprise, m.segment) for m in a.memberships]
    assert keys == sorted(keys, key=lambda k: (k[0], [s.id for s in _chain().segments].index(k[1])))


def test_built_in_nev_template_places_typical_products() -> None:
    makes = _makes([("a", "电池级碳酸锂", None), ("b", "磷酸铁锂正极材料", None),
                    ("c", "动力电池系统", None), ("d", "湿法隔膜", None)])  # fmt: skip
    got = {
        m.enterprise: m.segment for m in map_firms(builtin_chain("nev"), makes=makes).memberships
    }
    assert got == {"a": "nev.lithium_salt", "b": "nev.cathode", "c": "nev.battery_pack",
                   "d": "nev.separator"}  # fmt: skip


def test_a_whole_name_keyword_beats_substrings() -> None:
    chain = Chain(
        id="w",
        name="w",
        segments=(
            Segment(id="w.vehicle", chain="w", name="整车", keywords=("=新能源汽车",)),
            Segment(id="w.reducer", chain="w", name="减速器", keywords=("减速器",)),
        ),
    )
    makes = _makes([("a", "新能源汽车", None), ("b", "新能源汽车减速器", None)])
    got = {m.enterprise: (m.segment, m.matched) for m in map_firms(chain, makes=makes).memberships}
    assert got == {"a": ("w.vehicle", "=新能源汽车 in 新能源汽车"),
                   "b": ("w.reducer", "减速器 in 新能源汽车减速器")}  # fmt: skip
