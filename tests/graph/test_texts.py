"""A text column answers every kind of index exactly as the numpy array of its strings would,
whether it holds Arrow values (sliced, chunked, with nulls) or Python ones."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainscout.graph.texts import TextColumn

values = st.lists(st.none() | st.text(alphabet="甲乙丙丁abc-（）", max_size=6), max_size=30)


def forms(items: list[str | None], cut: int) -> list[TextColumn]:
    arrow = pa.array(["前"] * cut + items, pa.string()).slice(cut)
    chunked = pa.chunked_array([items[: len(items) // 2], items[len(items) // 2 :]], pa.string())
    return [
        TextColumn(items),
        TextColumn(arrow),
        TextColumn(chunked),
        TextColumn(TextColumn(arrow)),
    ]


@given(items=values, cut=st.integers(0, 3), data=st.data())
def test_indexing_matches_numpy(items: list[str | None], cut: int, data: st.DataObject) -> None:
    want = np.array(items, dtype=object)
    n = len(items)
    rows = data.draw(st.lists(st.integers(-n, n - 1), max_size=10)) if n else []
    mask = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    for column in forms(items, cut):
        assert len(column) == n and column.shape == (n,) and column.dtype == object
        for r in rows:
            assert column[r] == want[r]
        assert column[np.array(rows, dtype=np.int64)].tolist() == want[rows].tolist()
        assert column[rows].tolist() == want[rows].tolist()
        assert column[np.array(mask, dtype=bool)].tolist() == want[np.array(mask, bool)].tolist()
        assert column[1:-1].tolist() == want[1:-1].tolist()
        assert column.tolist() == items and list(column) == items
        assert np.asarray(column).tolist() == items
        assert column.arrow.to_pylist() == items


@pytest.mark.parametrize("row", [3, -4])
def test_a_row_outside_is_an_index_error(row: int) -> None:
    column = TextColumn(pa.array(["甲", "乙", "丙"]))
    with pytest.raises(IndexError):
        column[row]
    with pytest.raises(IndexError):
        column[np.array([0, row])]


def test_reading_a_few_rows_makes_no_string_of_the_others() -> None:
    column = TextColumn(pa.array([f"企业{i}" for i in range(1000)]))
    assert column[7] == "企业7" and column[np.array([999, 0])].tolist() == ["企业999", "企业0"]
    assert "objects" not in column.__dict__  # the whole column was never turned into strings
    assert column.tolist()[500] == "企业500" and "objects" in column.__dict__
