"""``character_kinds`` reads off the bytes what a plain test of each character says."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from chainscout.loaders.characters import character_kinds


def _other(ch: str) -> bool:
    return not (" " <= ch <= "~" or "\u4e00" <= ch <= "\u9f7f")


def _mark(ch: str) -> bool:
    return ch < "\x80" and not ch.isalnum()


EDGES = "\x00\x1f \x7f\x80ÿĀ\u0fff\u3000\u3fff\u4000\u4dff\u4e00\u4e01\u9f7f\u9f80\u9fff\ua000"
TEXTS = st.text(
    alphabet=st.sampled_from(list(EDGES + "aZ09-（Ａ深圳有限公司\U0001f600")), max_size=8
)


@given(st.lists(st.one_of(st.none(), TEXTS), max_size=20), st.integers(0, 3))
def test_kinds_agree_with_each_character(values: list[str | None], skip: int) -> None:
    column = pa.array(["深圳ab"] * skip + values, pa.string()).slice(skip)
    kinds = character_kinds(column)
    text = [v or "" for v in values]
    assert kinds.other.tolist() == [any(map(_other, t)) for t in text]
    assert kinds.ascii_upper.tolist() == [any("A" <= c <= "Z" for c in t) for t in text]
    assert kinds.ascii_lower.tolist() == [any("a" <= c <= "z" for c in t) for t in text]
    assert kinds.ascii_mark.tolist() == [any(map(_mark, t)) for t in text]
