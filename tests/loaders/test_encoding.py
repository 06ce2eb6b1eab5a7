"""Encoding detection: the fast UTF-8 check agrees with Python's strict decoder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chainscout.loaders import encoding
from chainscout.loaders.encoding import detect_encoding, valid_utf8

# bytes near the edges of UTF-8: lead bytes, continuation bytes, surrogates, overlong forms
EDGY = st.lists(
    st.one_of(
        st.binary(max_size=4),
        st.sampled_from([b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe4\xb8",
                         "深圳".encode(), "深圳".encode("gbk"), b"\n", b"a,b\r\n"]),
    ),
    max_size=20,
).map(b"".join)  # fmt: skip


def _strict(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(EDGY)
@example(b"\xed\xa0\x80")
@example(b"\xf0\x9f\x98\x80")
def test_valid_utf8_is_the_strict_decoder(data: bytes) -> None:
    assert valid_utf8(data) == _strict(data)


@given(st.lists(EDGY, max_size=8).map(b"\n".join), st.integers(min_value=1, max_value=16))
@example(b"ab\n\xe4\xb8", 3)
def test_detection_by_chunks_agrees_with_the_decoder(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("enc") / "t.csv"
    path.write_bytes(b"name\n" + data)
    expected = "utf-8" if _strict(b"name\n" + data) else None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(encoding, "_CHUNK", chunk)  # characters split across chunks
        try:
            found: str | None = detect_encoding(path)
        except Exception:
            found = None
    if expected is not None:
        assert found == "utf-8"
    else:
        assert found != "utf-8"


def test_gbk_file_is_still_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("企业名称\n深圳市示例科技有限公司\n".encode("gbk"))
    assert detect_encoding(path) == "gb18030"
