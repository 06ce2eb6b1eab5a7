"""Identity: name normalisation (with hypothesis), merges, and the decisions file."""

from __future__ import annotations

import csv
import importlib.util
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chainscout.graph import GraphStore
from chainscout.loaders.identity import normalise_name, normalise_names, stock_id
from chainscout.loaders.table import load_table


def load_samples() -> ModuleType:
    """The shared sample tables (tests are imported by path, so load the module by path)."""
    if "loader_samples" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "loader_samples", Path(__file__).with_name("samples.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["loader_samples"] = module
        spec.loader.exec_module(module)
    return sys.modules["loader_samples"]


samples = load_samples()
CC_A, CC_B, credit, write_csv = samples.CC_A, samples.CC_B, samples.credit, samples.write_csv

CJK = st.sampled_from(list("深圳北京湖南华为科技材料电子新能源甲乙丙丁"))
ASCII = st.sampled_from(list("abcXYZ019"))
NAMES = st.text(st.one_of(CJK, ASCII, st.sampled_from(list(" -·()（）"))), min_size=1,
                max_size=16)  # fmt: skip
SUFFIXES = st.sampled_from(["股份有限公司", "有限责任公司", "有限公司", "集团", "集团有限公司"])


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(NAMES)
def test_normalisation_is_idempotent(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(NAMES, st.integers(min_value=0, max_value=16))
def test_spaces_and_full_width_do_not_matter(name: str, at: int) -> None:
    spaced = name[:at] + " 　" + name[at:]
    assert normalise_name(spaced) == normalise_name(name)
    assert normalise_name(_full_width(name)) == normalise_name(name)


@given(NAMES.filter(lambda n: any(unicodedata.category(c)[0] in "LN" for c in n)), SUFFIXES)
def test_legal_suffixes_do_not_matter(name: str, suffix: str) -> None:
    assert normalise_name(name + suffix) == normalise_name(name)
    assert normalise_name(name + " Co., Ltd.") == normalise_name(name)


@given(st.lists(NAMES, max_size=20))
def test_vectorised_normalisation_agrees(names: list[str]) -> None:
    assert normalise_names(pa.array(names, pa.string())).to_pylist() == [
        normalise_name(n) for n in names
    ]


def _normalise_every_value(names: pa.Array) -> list[str | None]:
    """The vectorised normalisation as each of its steps over every value (what
    ``normalise_names`` must equal while it skips values a step cannot change)."""
    from chainscout.loaders.identity import _CN_SUFFIX, _EN_SUFFIX

    text = pc.utf8_lower(pc.utf8_normalize(names, form="NFKC"))
    text = pc.replace_substring_regex(text, _EN_SUFFIX, "")
    bare = pc.replace_substring_regex(text, r"[^\pL\pN]+", "")
    stripped = pc.replace_substring_regex(bare, _CN_SUFFIX, "")
    out: list[str | None] = pc.if_else(pc.equal(stripped, ""), bare, stripped).to_pylist()
    return out


# characters that each step treats differently: ASCII (letters of the suffix words, separators,
# punctuation), full-width forms and the ideographic space (NFKC changes them), CJK unified and
# compatibility ideographs, a combining mark, letters outside both ranges; and characters at
# the edges of the byte ranges the skipping is told by (U+4E00 and U+9F80 share their first
# UTF-8 byte with characters outside the ideographs; a control character; four bytes)
MIXED = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "\u3fff",
                "\u4000",
                "\u4dff",
                "\u4e00",
                "\u9f7f",
                "\u9f80",
                "\u9fff",
                "\ua000",
                "\x7f",
                "\x01",
                "\U0001f600",
                "\u2160",
            ]
        ),
        st.sampled_from(list("coltdinpgyhsmarbuTLDCO ,.&\t-_()（）·　ＡＢｃ１２３")),
        st.sampled_from(list("深圳科技有限公司股份责任集团总丽豈\u0301éßΩµ½\u00a0ﬁ")),
        st.sampled_from([" Co., Ltd.", " LIMITED", " group", "有限公司", " inc", "Ｃｏ．"]),
    ),
    max_size=12,
).map("".join)


@given(st.lists(st.one_of(st.none(), MIXED), max_size=30))
@example(["µ", "½ab", "Ａcme Co., Ltd.", "acme\tLTD", "甲·乙（深圳）有限公司", "", None])
@settings(max_examples=300)
def test_vectorised_normalisation_skips_only_what_no_step_changes(
    names: list[str | None],
) -> None:
    values = pa.array(names, pa.string())
    assert normalise_names(values).to_pylist() == _normalise_every_value(values)
    assert normalise_names(pa.chunked_array([values, values])).to_pylist() == (
        _normalise_every_value(values) * 2
    )


def test_normalisation_examples() -> None:
    assert normalise_name("深圳市 华为技术有限公司") == normalise_name("深圳市华为技术")
    assert normalise_name("ＴＣＬ科技集团股份有限公司") == "tcl科技"
    assert normalise_name("Acme Co., Ltd.") == "acme"
    assert normalise_name("有限公司") == "有限公司"
    assert stock_id("600000.SH") == stock_id("600000") == "stock:600000"


def test_merge_by_credit_code_then_name(tmp_path: Path, store: GraphStore) -> None:
    first = write_csv(
        tmp_path / "a.csv",
        ["企业名称", "统一社会信用代码"],
        [["深圳市甲科技股份有限公司", CC_A], ["深圳市甲科技有限公司", CC_A]],
    )
    report = load_table(store, first)
    assert report.merged == 1 and store.counts().enterprises == 1
    # a later file without the code finds the firm by its normalised name
    second = write_csv(
        tmp_path / "b.csv", ["公司名称", "营业收入"], [["深圳市 甲科技有限公司", "10"]]
    )
    report = load_table(store, second)
    assert report.merged == 1 and store.counts().enterprises == 1
    firm = store.get_enterprise(CC_A)
    assert firm.revenue == 10 and "深圳市 甲科技有限公司" in firm.aliases
    assert load_table(store, second).changed == 0


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_uncertain_matches_wait_for_a_decision(tmp_path: Path, store: GraphStore) -> None:
    decisions = tmp_path / "decisions.csv"
    other = credit("91440300MA5F00009")
    path = write_csv(
        tmp_path / "a.csv",
        ["企业名称", "统一社会信用代码"],
        [["深圳市甲科技有限公司", CC_A], ["深圳市甲科技股份有限公司", other]],
    )
    report = load_table(store, path, decisions_path=decisions)
    assert report.decisions_pending == 1 and store.counts().enterprises == 2
    again = load_table(store, path, decisions_path=decisions)
    assert again.changed == 0 and again.decisions_pending == 1
    rows = _rows(decisions)
    assert len(rows) == 1 and {rows[0]["a_id"], rows[0]["b_id"]} == {CC_A, other}
    # a codeless row that fits both firms is not merged into either
    vague = write_csv(tmp_path / "v.csv", ["企业名称"], [["深圳市甲科技"]])
    report = load_table(store, vague, decisions_path=decisions)
    assert report.merged == 0 and report.decisions_pending == 3
    # the user decides: keep the two coded firms apart, merge the vague row into CC_A
    rows = _rows(decisions)
    for r in rows:
        r["decision"] = "merge" if CC_A in (r["a_id"], r["b_id"]) and "name:" in r["b_id"] \
            else "keep-apart"  # fmt: skip
    with decisions.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fresh = write_csv(tmp_path / "w.csv", ["企业名称", "营业收入"], [["深圳市甲科技", "7"]])
    report = load_table(store, fresh, decisions_path=decisions)
    assert report.decisions_pending == 0 and report.merged == 1
    assert store.get_enterprise(CC_A).revenue == 7
    assert load_table(store, path, decisions_path=decisions).decisions_pending == 0


def test_a_stored_name_under_a_new_id_waits_for_a_decision(
    tmp_path: Path, store: GraphStore
) -> None:
    decisions = tmp_path / "decisions.csv"
    other = credit("91440300MA5F00009")
    first = write_csv(tmp_path / "a.csv", ["企业名称", "统一社会信用代码"],
                      [["深圳市甲科技有限公司", CC_A], ["深圳市乙材料有限公司", CC_B]])  # fmt: skip
    assert load_table(store, first, decisions_path=decisions).decisions_pending == 0
    # a later file: the same name under another code is asked about, with the stored firm
    second = write_csv(tmp_path / "b.csv", ["企业名称", "统一社会信用代码"],
                       [["深圳市甲科技股份有限公司", other]])  # fmt: skip
    report = load_table(store, second, decisions_path=decisions)
    assert report.decisions_pending == 1 and store.counts().enterprises == 3
    rows = _rows(decisions)
    assert len(rows) == 1 and {rows[0]["a_id"], rows[0]["b_id"]} == {CC_A, other}
    # reloading the first file asks nothing new and changes nothing
    again = load_table(store, first, decisions_path=decisions)
    assert again.changed == 0 and again.decisions_pending == 1 and len(_rows(decisions)) == 1


def test_links_by_name_and_stock_code(tmp_path: Path, store: GraphStore) -> None:
    firms = write_csv(
        tmp_path / "f.csv",
        ["企业名称", "股票代码", "统一社会信用代码"],
        [["深圳市甲科技有限公司", "", CC_A], ["北京乙材料股份有限公司", "600001", ""]],
    )
    load_table(store, firms)
    assert store.get_enterprise("stock:600001").name == "北京乙材料股份有限公司"
    links = write_csv(
        tmp_path / "l.csv",
        ["供方", "需方"],
        [["深圳市甲科技", "600001.SH"], [CC_A.lower(), "北京乙材料"]],
    )
    report = load_table(store, links, kind="links")
    assert report.rejected == 0 and report.merged == 1
    assert [(s.supplier, s.customer) for s in store.supplies_of(CC_A)] == [(CC_A, "stock:600001")]
