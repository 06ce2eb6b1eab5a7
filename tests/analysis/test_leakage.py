"""Leakage: the outside share of local firms' known inputs per segment."""

from __future__ import annotations

import pytest

from chainscout.analysis.leakage import leakage_table

LOCAL, AWAY = "440305", "320500"


def test_leakage_by_volume_names_the_biggest_outside_suppliers(chain_factory, view_factory) -> None:
    chain = chain_factory(["up", "down"], [("up", "down")])
    firms = [
        ("buyer", LOCAL, {"down": 1.0}),
        ("buyer2", LOCAL, {"down": 1.0}),
        ("near", LOCAL, {"up": 1.0}),
        ("far_big", AWAY, {"up": 1.0}),
        ("far_small", "DE", {"up": 1.0}),
        ("outsider", AWAY, {"down": 1.0}),
    ]
    links = [("near", "buyer"), ("far_big", "buyer"), ("far_big", "buyer2"),
             ("far_small", "buyer"), ("far_big", "outsider")]  # fmt: skip
    volume = [100.0, 300.0, 200.0, 50.0, 999.0]
    up = leakage_table(view_factory(chain, firms, links, volume=volume)).rows[0]
    assert up.basis == "volume"
    assert (up.input_volume, up.outside_volume) == (
        650.0,
        550.0,
    )  # the outsider's link is not local
    assert up.leakage == round(550 / 650, 4)
    assert [s.id for s in up.top_suppliers] == ["far_big", "far_small"]
    assert up.top_suppliers[0].local_customers == 2 and up.top_suppliers[0].volume == 500.0
    assert up.reason.startswith("550 of 650 万元 of known inputs (85%) come from outside 440300")
    assert "far_big, far_small" in up.reason
    down = leakage_table(view_factory(chain, firms, links, volume=volume)).rows[1]
    assert down.leakage is None and down.reason == "no known input of local firms from this segment"


def test_leakage_by_links_when_volumes_are_unknown(chain_factory, view_factory) -> None:
    chain = chain_factory(["up", "down"], [("up", "down")])
    firms = [("b", LOCAL, {"down": 1.0}), ("n", LOCAL, {"up": 1.0}),
             ("f1", AWAY, {"up": 1.0}), ("f2", AWAY, {"up": 0.5, "down": 0.5})]  # fmt: skip
    links = [("n", "b"), ("f1", "b"), ("f2", "b")]
    row = leakage_table(view_factory(chain, firms, links)).rows[0]
    assert row.basis == "links"
    # f2 is half in `up`: its link counts 0.5 there
    assert (row.input_links, row.outside_links) == (2.5, 1.5)
    assert row.leakage == pytest.approx(0.6)
    assert row.reason.startswith("1.5 of 2.5 known input links (60%) come from outside 440300")
    assert [s.id for s in row.top_suppliers] == ["f1", "f2"]


def test_no_leakage_when_everything_is_bought_locally(chain_factory, view_factory) -> None:
    chain = chain_factory(["up", "down"], [("up", "down")])
    firms = [("b", LOCAL, {"down": 1.0}), ("n", LOCAL, {"up": 1.0})]
    row = leakage_table(view_factory(chain, firms, [("n", "b")])).rows[0]
    assert row.leakage == 0.0 and row.top_suppliers == []
    assert "biggest" not in row.reason


def test_leakage_is_deterministic(chain_factory, view_factory) -> None:
    chain = chain_factory(["up", "down"], [("up", "down")])
    firms = [("b", LOCAL, {"down": 1.0})] + [(f"f{i}", AWAY, {"up": 1.0}) for i in range(6)]
    links = [(f"f{i}", "b") for i in range(6)]
    a = leakage_table(view_factory(chain, firms, links)).model_dump_json()
    b = leakage_table(view_factory(chain, firms, links)).model_dump_json()
    assert a == b
    # equal suppliers are ordered by id
    row = leakage_table(view_factory(chain, firms, links), top=3).rows[0]
    assert [s.id for s in row.top_suppliers] == ["f0", "f1", "f2"]
