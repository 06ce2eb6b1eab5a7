"""Tabular loads: encodings, headers, bad rows and their row numbers, all-or-nothing, reloads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest

from chainscout.graph import GraphStore, open_store
from chainscout.graph.errors import BadInputError, ValidationFailed
from chainscout.loaders.mapping import load_mapping
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
CC_A, CC_B, ROWS = samples.CC_A, samples.CC_B, samples.ROWS
HEADERS_EN, HEADERS_ZH = samples.HEADERS_EN, samples.HEADERS_ZH
write_csv, write_xlsx = samples.write_csv, samples.write_xlsx


def _contents(store: GraphStore) -> dict[str, pa.Table]:
    return {name: store.table(name) for name in ("enterprises", "supplies", "memberships")}


def _load_fresh(path: Path, **kw: object) -> tuple[dict[str, pa.Table], str | None]:
    with open_store(":memory:") as s:
        report = load_table(s, path, **kw)  # type: ignore[arg-type]
        return _contents(s), report.encoding


def test_same_table_in_every_encoding_and_xlsx_loads_the_same(tmp_path: Path) -> None:
    files = {
        "utf-8": write_csv(tmp_path / "u.csv", HEADERS_ZH, ROWS),
        "utf-8-sig": write_csv(tmp_path / "bom.csv", HEADERS_ZH, ROWS, encoding="utf-8-sig"),
        "gb18030": write_csv(tmp_path / "gbk.csv", HEADERS_ZH, ROWS, encoding="gbk"),
        None: write_xlsx(tmp_path / "x.xlsx", HEADERS_ZH, ROWS),
        "utf-8 ": write_csv(tmp_path / "t.tsv", HEADERS_ZH, ROWS, delimiter="\t"),
    }
    results = {enc: _load_fresh(p) for enc, p in files.items()}
    first = next(iter(results.values()))[0]
    for enc, (contents, detected) in results.items():
        assert detected == (enc.strip() if enc else None)
        for name, table in contents.items():
            assert table.equals(first[name]), (enc, name)
    firms = first["enterprises"].to_pylist()
    assert [f["region"] for f in firms] == ["440305", "110108", "430000"]
    assert firms[0]["revenue"] == 1200.5 and firms[0]["employees"] == 35
    assert firms[0]["tags"] == ["专精特新", "高新技术企业"]


def test_chinese_and_english_headers_load_the_same(tmp_path: Path) -> None:
    zh, _ = _load_fresh(write_csv(tmp_path / "zh.csv", HEADERS_ZH, ROWS))
    en, _ = _load_fresh(write_csv(tmp_path / "en.csv", HEADERS_EN, ROWS))
    assert zh["enterprises"].equals(en["enterprises"])


def test_json_lines_loads_the_same(tmp_path: Path) -> None:
    import json

    path = tmp_path / "firms.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(dict(zip(HEADERS_EN, r, strict=True)), ensure_ascii=False) for r in ROWS
        ),
        encoding="utf-8",
    )
    js, enc = _load_fresh(path)
    csv_, _ = _load_fresh(write_csv(tmp_path / "en.csv", HEADERS_EN, ROWS))
    assert enc == "utf-8" and js["enterprises"].equals(csv_["enterprises"])


BAD_ENTERPRISES = [
    (["", CC_A, "", "", "", ""], 2, "missing_required", "企业名称"),
    (
        ["坏代码公司", "91440300MA5F000000", "", "", "", ""],
        3,
        "bad_credit_code",
        "统一社会信用代码",
    ),
    (["坏收入公司", "", "", "一千", "", ""], 4, "not_a_number", "营业收入（万元）"),
    (["坏人数公司", "", "", "", "-3", ""], 5, "negative", "员工人数"),
]


def test_each_bad_enterprise_row_is_reported_on_its_row(tmp_path: Path, store: GraphStore) -> None:
    rows = [r for r, *_ in BAD_ENTERPRISES] + [ROWS[1]]
    path = write_csv(tmp_path / "bad.csv", HEADERS_ZH, rows)
    report_file = tmp_path / "report.csv"
    report = load_table(store, path, on_error="skip", report_path=report_file)
    got = {(p["row"], p["reason_code"], p["field"]) for p in report.problems}
    assert got == {(row, code, header) for _, row, code, header in BAD_ENTERPRISES}
    assert report.rows_loaded == 1 and store.counts().enterprises == 1
    text = report_file.read_text(encoding="utf-8-sig")
    assert "bad_credit_code" in text and "一千" in text


def test_a_report_that_cannot_be_written_stops_the_load_before_the_store_changes(
    tmp_path: Path, store: GraphStore
) -> None:
    rows = [r for r, *_ in BAD_ENTERPRISES] + [ROWS[1]]
    path = write_csv(tmp_path / "bad.csv", HEADERS_ZH, rows)
    folder = tmp_path / "reports"
    folder.mkdir()  # a folder where the report file should be
    with pytest.raises(BadInputError, match=r"cannot write the report .*nothing was loaded"):
        load_table(store, path, on_error="skip", report_path=folder)
    assert store.counts().enterprises == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "reports"]  # no .tmp left


def test_unknown_region_and_bad_rating(tmp_path: Path, store: GraphStore) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        ["name", "region", "env_rating"],
        [["甲公司", "火星市", "A"], ["乙公司", "440300", "E"], ["丙公司", "广东深圳", ""]],
    )
    report = load_table(store, path, on_error="skip")
    got = {(p["row"], p["reason_code"]) for p in report.problems}
    assert got == {(2, "unknown_region"), (3, "bad_env_rating")}
    assert report.region_rules == {"region_text": 1}


def test_bad_links_reported_on_their_rows(tmp_path: Path, store: GraphStore) -> None:
    load_table(store, write_csv(tmp_path / "f.csv", HEADERS_ZH, ROWS))
    path = write_csv(tmp_path / "links.csv", ["供应商", "客户", "占比", "开始日期"], [
        [CC_A, CC_B, "0.3", "2024-06-30"],
        [CC_A, "不存在的公司", "", ""],
        [CC_B, CC_B, "", ""],
        ["北京乙材料股份有限公司", "湖南丙瓷业", "1.5", ""],
        [CC_A, CC_B, "", "2024-13-01"],
    ])  # fmt: skip
    with pytest.raises(ValidationFailed) as err:
        load_table(store, path, kind="links")
    assert "row 3" in str(err.value) and store.counts().supplies == 0
    report = load_table(store, path, kind="links", on_error="skip")
    got = {(p["row"], p["reason_code"]) for p in report.problems}
    assert got == {(3, "unknown_enterprise"), (4, "self_loop"), (5, "out_of_range"),
                   (6, "bad_date")}  # fmt: skip
    assert store.supplies_of(CC_A)[0].share == 0.3


def test_failed_load_leaves_the_store_exactly_as_before(tmp_path: Path, store: GraphStore) -> None:
    load_table(store, write_csv(tmp_path / "good.csv", HEADERS_ZH, ROWS))
    before = _contents(store)
    changed = [[*ROWS[0][:3], "999", "40", ""], ["", "", "", "", "", ""]]
    with pytest.raises(ValidationFailed):
        load_table(
            store,
            write_csv(
                tmp_path / "bad.csv", HEADERS_ZH, [*changed, ["x公司", "", "", "abc", "", ""]]
            ),
        )
    after = _contents(store)
    for name in before:
        assert before[name].equals(after[name])


def test_second_load_changes_nothing(tmp_path: Path, store: GraphStore) -> None:
    path = write_csv(tmp_path / "f.csv", HEADERS_ZH, ROWS)
    assert load_table(store, path).changed == 3
    again = load_table(store, path)
    assert again.changed == 0 and again.written is not None and again.written.changed == 0


def test_mapping_file_toml_and_yaml(tmp_path: Path) -> None:
    rows = [["深圳市甲科技有限公司", CC_A, "12000000"]]
    path = write_csv(tmp_path / "m.csv", ["单位", "代码", "年营收（元）"], rows)
    toml = tmp_path / "map.toml"
    toml.write_text(
        '[enterprises]\n"单位" = "name"\n"代码" = "credit_code"\n'
        '"年营收（元）" = { field = "revenue", scale = 0.0001 }\n',
        encoding="utf-8",
    )
    yaml = tmp_path / "map.yaml"
    yaml.write_text(
        "enterprises:\n  单位: name\n  代码: credit_code\n  年营收（元）:\n"
        "    field: revenue\n    scale: 0.0001\n",
        encoding="utf-8",
    )
    for mapping in (toml, yaml):
        contents, _ = _load_fresh(path, mapping=mapping)
        firm = contents["enterprises"].to_pylist()[0]
        assert firm["id"] == CC_A and firm["revenue"] == pytest.approx(1200.0)


#: Headers of the 标准地 indicators and contacts as offices write them, per field.
LAND_HEADERS = [
    ("投资强度", "亩均税收", "联系人", "联系电话"),
    ("亩均投资", "亩均税收（万元/亩）", "联系人姓名", "电话"),
    ("固定资产投资强度", "亩均税收(万元/亩)", "联系人", "手机"),
    ("investment_intensity", "tax_per_mu", "contact", "phone"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("headers", LAND_HEADERS, ids=[h[0] for h in LAND_HEADERS])
def test_standard_land_indicators_and_contacts_load_from_chinese_headers(
    tmp_path: Path, encoding: str, headers: tuple[str, ...]
) -> None:
    rows = [["甲公司", "320.5", "28", "张经理", "0571-88001234"], ["乙公司", "", "", "", ""]]
    path = write_csv(tmp_path / "land.csv", ["企业名称", *headers], rows, encoding=encoding)
    firms = _load_fresh(path)[0]["enterprises"].to_pylist()
    got = [(f["investment_intensity"], f["tax_per_mu"], f["contact"], f["phone"]) for f in firms]
    assert got == [(320.5, 28.0, "张经理", "0571-88001234"), (None, None, None, None)]


@pytest.mark.parametrize(
    ("header", "cell", "code", "reason"),
    [
        ("投资强度", "三百", "not_a_number", "投资强度 '三百' is not a number"),
        ("亩均税收", "12万", "not_a_number", "亩均税收 '12万' is not a number"),
        ("投资强度", "-5", "negative", "must not be negative"),
        ("亩均税收", "-0.5", "negative", "must not be negative"),
    ],
)
def test_a_bad_amount_per_mu_is_named_by_file_row_and_field(
    tmp_path: Path, store: GraphStore, header: str, cell: str, code: str, reason: str
) -> None:
    rows = [["甲公司", "300"], ["乙公司", cell]]
    path = write_csv(tmp_path / "land.csv", ["企业名称", header], rows, encoding="gbk")
    with pytest.raises(ValidationFailed) as err:
        load_table(store, path)
    assert f"{path}, row 3, field '{header}'" in str(err.value)
    assert store.counts().enterprises == 0
    report = load_table(store, path, on_error="skip")
    assert [(p["file"], p["row"], p["field"], p["reason_code"]) for p in report.problems] == [
        (str(path), 3, header, code)
    ]
    assert reason in report.problems[0]["reason"]
    assert report.rows_loaded == 1 and store.counts().enterprises == 1  # the good row


def test_unit_in_header_converts(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "u.csv",
        ["企业名称", "营业收入(亿元)", "研发投入占比(%)"],
        [["甲公司", "1.5", "3.5"]],
    )
    firm = _load_fresh(path)[0]["enterprises"].to_pylist()[0]
    assert firm["revenue"] == pytest.approx(15000.0) and firm["rd_share"] == pytest.approx(0.035)


@pytest.mark.parametrize(
    ("cell", "revenue"),
    [
        ("1234.5", 1234.5),
        ("+12", 12.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("1,234.5", 1234.5),
        ("1，234", 1234.0),
        ("1 234", 1234.0),
        ("35%", 0.35),
        ("35％", 0.35),
        ("2,500%", 25.0),
    ],
)
def test_numbers_as_offices_write_them(tmp_path: Path, cell: str, revenue: float) -> None:
    rows = [["甲公司", cell], ["乙公司", "7"]]
    path = write_csv(tmp_path / "n.csv", ["企业名称", "营业收入"], rows)
    firms = {f["name"]: f for f in _load_fresh(path)[0]["enterprises"].to_pylist()}
    assert firms["甲公司"]["revenue"] == pytest.approx(revenue)
    assert firms["乙公司"]["revenue"] == pytest.approx(7.0)


def test_mapping_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[enterprises]\n"x" = "nonsense"\n', encoding="utf-8")
    with pytest.raises(BadInputError, match="unknown field 'nonsense'"):
        load_mapping(bad)
    two = write_csv(tmp_path / "two.csv", ["企业名称", "公司名称"], [["a", "b"]])
    with pytest.raises(BadInputError, match="both map to field 'name'"):
        _load_fresh(two)


def test_not_text_at_all_names_the_line(tmp_path: Path, store: GraphStore) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes("name\n甲公司\n".encode() + b"\xff\xfe\xfa\n")
    with pytest.raises(BadInputError, match="line 3"):
        load_table(store, path)


def test_wrong_field_count_is_a_row_problem(tmp_path: Path, store: GraphStore) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("name,credit_code\n甲公司,\n乙公司,x,y\n", encoding="utf-8")
    report = load_table(store, path, on_error="skip")
    assert report.rejected_by_reason == {"wrong_field_count": 1}
    assert store.counts().enterprises == 1


def test_segments_and_chain_tables(tmp_path: Path, store: GraphStore) -> None:
    chain = write_csv(tmp_path / "chain.csv", ["产业链", "产业链名称", "环节编号", "环节名称", "上游环节"], [
        ["pv", "光伏", "pv.silicon", "多晶硅", ""],
        ["pv", "光伏", "pv.wafer", "硅片", "pv.silicon"],
        ["pv", "光伏", "pv.cell", "电池片", "pv.wafer"],
    ])  # fmt: skip
    report = load_table(store, chain, kind="chain")
    assert report.counts == {"chains": 1, "segments": 3}
    assert next(s.id for s in store.get_chain("pv").ordered_segments()) == "pv.silicon"
    load_table(store, write_csv(tmp_path / "f.csv", HEADERS_ZH, ROWS))
    seg = write_csv(
        tmp_path / "seg.csv",
        ["企业名称", "环节", "占比"],
        [["深圳市甲科技有限公司", "硅片", "60%"], [CC_B, "pv.cell", ""], [CC_B, "不存在", ""]],
    )
    report = load_table(store, seg, kind="segments", on_error="skip")
    assert {(p["row"], p["reason_code"]) for p in report.problems} == {(4, "unknown_segment")}
    shares = sorted(store.table("memberships")["share"].to_pylist())
    assert shares == [0.6, 1.0]
