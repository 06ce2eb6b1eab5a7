"""``positions_in`` finds each value where ``pc.index_in`` does, by either way of looking."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from chainscout.loaders import lookup
from chainscout.loaders.lookup import positions_in


@pytest.mark.parametrize("join_from", [0, lookup.JOIN_FROM])
def test_positions_match_index_in(monkeypatch: pytest.MonkeyPatch, join_from: int) -> None:
    monkeypatch.setattr(lookup, "JOIN_FROM", join_from)
    rng = np.random.default_rng(7)
    keys = pa.array([f"91{i:016d}" for i in range(2000)] + ["深圳市甲公司", "it's <b>"])
    pool = [*keys.to_pylist(), "missing", "", None]
    values = pa.array([pool[i] for i in rng.integers(0, len(pool), 20_000)])
    found = positions_in(values, keys)
    assert found.type == pa.int32()
    assert found.to_pylist() == pc.index_in(values, value_set=keys).to_pylist()


def test_chunked_values_are_looked_up_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookup, "JOIN_FROM", 0)
    values = pa.chunked_array([["b", "a"], ["c", None]])
    assert positions_in(values, pa.array(["a", "b"])).to_pylist() == [1, 0, None, None]


@pytest.mark.parametrize("join_from", [0, lookup.JOIN_FROM])
def test_shared_keys_are_those_under_several_ids(
    monkeypatch: pytest.MonkeyPatch, join_from: int
) -> None:
    monkeypatch.setattr(lookup, "JOIN_FROM", join_from)
    keys = pa.array(["甲", "甲", "乙", "乙", "丙", None, None, "丁", "丁"])
    ids = pa.array(["1", "2", "3", "3", "4", "5", "6", "7", None])
    assert sorted(lookup.shared_keys(keys, ids).to_pylist()) == ["甲"]


@pytest.mark.parametrize("join_from", [0, lookup.JOIN_FROM])
def test_columns_are_looked_up_together(monkeypatch: pytest.MonkeyPatch, join_from: int) -> None:
    monkeypatch.setattr(lookup, "JOIN_FROM", join_from)
    keys = pa.array(["a", "b", "c"])
    ends = [pa.array(["a", "x", None, "c"]), pa.array(["c", "b", "a", "zz"])]
    found = lookup.positions_of_columns(ends, keys)
    assert [f.to_pylist() for f in found] == [[0, None, None, 2], [2, 1, 0, None]]
