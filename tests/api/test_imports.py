"""``POST /api/v1/imports``: files uploaded as Chinese offices have them, all or nothing, with
errors that name the uploaded file, the row and the field; editors only."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chainscout.api import create_app
from chainscout.api.state import hash_key
from chainscout.graph.codes import credit_code_check_char
from chainscout.settings import Settings

VIEWER, EDITOR = {"X-API-Key": "v-key"}, {"X-API-Key": "e-key"}
KEYS = {hash_key("v-key"): "viewer", hash_key("e-key"): "editor"}
URL = "/api/v1/imports"


def credit(body: str) -> str:
    return body + credit_code_check_char(body)


NEW_A, NEW_B = credit("91349900MA0LMP001"), credit("91349900MA0LMP002")
HEADERS = ["企业名称", "统一社会信用代码", "行政区划代码", "营业收入（万元）"]
ROWS = [
    ['星澜市"引号"隔膜有限公司', NEW_A, "349900", "1,200"],
    ["星澜市乙材料股份有限公司", NEW_B, "349900", "800"],
]


def table(headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def client(store_path: Path, tmp_path: Path) -> Iterator[TestClient]:
    """An API over a writable copy of the demo city."""
    path = tmp_path / "city.duckdb"
    shutil.copy(store_path, path)
    cfg = Settings(store=str(path), home_region="349900", chain="nev", api_keys=KEYS)
    with TestClient(create_app(cfg)) as c:
        yield c


def firms(c: TestClient) -> int:
    return int(c.get("/api/v1/health").json()["enterprises"])


def upload(
    c: TestClient, name: str, data: bytes, headers: dict[str, str] = EDITOR, **form: str
) -> object:
    return c.post(URL, files={"file": (name, data)}, data=form, headers=headers)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_an_editor_loads_a_chinese_table_and_a_second_load_changes_nothing(
    client: TestClient, encoding: str
) -> None:
    before = firms(client)
    data = table(HEADERS, ROWS, encoding)
    r = upload(client, "企业名单.csv", data)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["load"]["source"] == "企业名单.csv"
    assert body["load"]["rows_loaded"] == 2 and body["counts"]["enterprises"] == before + 2
    assert body["load"]["encoding"] == ("gb18030" if encoding == "gbk" else encoding)
    detail = client.get(f"/api/v1/enterprises/{NEW_A}", headers=VIEWER).json()
    assert detail["name"] == '星澜市"引号"隔膜有限公司' and detail["region"] == "349900"
    again = upload(client, "企业名单.csv", data).json()  # type: ignore[attr-defined]
    assert again["load"]["changed"] == 0 and again["counts"]["enterprises"] == before + 2


def test_a_load_is_seen_by_the_next_analysis(client: TestClient) -> None:
    """Cached gap tables, rankings and pages are forgotten after an import."""

    def separator() -> dict[str, object]:
        rows = client.get("/api/v1/chains/nev/gaps", headers=VIEWER).json()["rows"]
        return next(row for row in rows if row["segment"] == "nev.separator")

    targets = "/api/v1/chains/nev/targets?limit=5&segment=nev.separator"
    before_targets = client.get(targets, headers=VIEWER).json()
    before = separator()
    upload(client, "firms.csv", table(HEADERS, ROWS))
    members = table(["企业", "环节"], [[NEW_A, "nev.separator"]])
    r = upload(client, "成员.csv", members, kind="segments")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    after = separator()
    assert after["local_firms"] == int(before["local_firms"]) + 1  # type: ignore[call-overload]
    after_targets = client.get(targets, headers=VIEWER).json()
    assert before["status"] == before_targets["items"][0]["segment_status"] == "missing"
    assert after["status"] == after_targets["items"][0]["segment_status"] != "missing"


def test_a_bad_row_stops_the_load_and_names_file_row_and_field(client: TestClient) -> None:
    before = client.get("/api/v1/health").json()
    bad = [ROWS[0], ["星澜市丙有限公司", "91349900MA0LMP00X", "349900", "12"]]
    r = upload(client, "名单.csv", table(HEADERS, bad, "gbk"))
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert (body["file"], body["row"]) == ("名单.csv", 3)
    assert body["field"] == "统一社会信用代码"
    assert "tmp" not in body["detail"] and "名单.csv" in body["detail"]
    assert client.get("/api/v1/health").json() == before  # nothing was written


def test_a_chain_with_a_cycle_is_refused_without_naming_the_servers_folders(
    client: TestClient,
) -> None:
    chain = table(["产业链", "产业链名称", "环节编号", "环节名称", "上游环节"], [
        ["loop", "环链", "loop.a", "甲", "loop.b"],
        ["loop", "环链", "loop.b", "乙", "loop.a"],
    ])  # fmt: skip
    r = upload(client, "环链.csv", chain, kind="chain")
    body = is_problem_body(r)
    assert "cycle" in str(body["detail"]) + str(body.get("problems", ""))
    assert "chainscout-import" not in r.text and "环链.csv" in r.text  # type: ignore[attr-defined]


def is_problem_body(r: object) -> dict[str, object]:
    assert r.status_code in (400, 409, 422), r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    return r.json()  # type: ignore[attr-defined, no-any-return]


def test_skipping_bad_rows_loads_the_good_ones_and_lists_the_bad(client: TestClient) -> None:
    before = firms(client)
    bad = [ROWS[0], ["", "", "349900", "not a number"]]
    r = upload(client, "名单.csv", table(HEADERS, bad), on_error="skip")
    body = r.json()  # type: ignore[attr-defined]
    assert body["load"]["rows_loaded"] == 1 and body["load"]["rejected"] == 1
    assert body["load"]["problems"][0]["file"] == "名单.csv"
    assert body["load"]["problems"][0]["row"] == 3
    assert body["counts"]["enterprises"] == before + 1


def test_an_xlsx_sheet_loads_like_the_csv(client: TestClient) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    r = upload(client, "名单.xlsx", out.getvalue())
    assert r.json()["load"]["format"] == "xlsx"  # type: ignore[attr-defined]
    assert r.json()["load"]["rows_loaded"] == 2  # type: ignore[attr-defined]


def test_a_mapping_file_names_unusual_headers(client: TestClient) -> None:
    mapping = '[enterprises]\n"单位" = "name"\ncode = "credit_code"\nwhere = "region"\n'.encode()
    data = table(["单位", "code", "where"], [[ROWS[0][0], NEW_A, "349900"]])
    r = client.post(URL, files={"file": ("a.csv", data), "mapping": ("map.toml", mapping)},
                    headers=EDITOR)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["load"]["rows_loaded"] == 1


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), ({"X-API-Key": "nope"}, 401), (VIEWER, 403)]
)
def test_only_editors_import(client: TestClient, headers: dict[str, str], status: int) -> None:
    before = firms(client)
    r = upload(client, "名单.csv", table(HEADERS, ROWS), headers=headers)
    assert r.status_code == status  # type: ignore[attr-defined]
    assert firms(client) == before


@pytest.mark.parametrize("name", ["名单.docx", "../../etc/passwd", "", ".csv"])
def test_a_file_the_loaders_cannot_read_is_refused_by_name(client: TestClient, name: str) -> None:
    r = (
        upload(client, name or "x", table(HEADERS, ROWS))
        if name
        else client.post(URL, files={"file": ("noname", b"")}, headers=EDITOR)
    )
    body = r.json()  # type: ignore[attr-defined]
    assert r.status_code == 400 and body["field"] == "file"  # type: ignore[attr-defined]


def test_an_upload_over_the_limit_is_refused(store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "city.duckdb"
    shutil.copy(store_path, path)
    cfg = Settings(store=str(path), api_keys=KEYS, api_max_body_bytes=4096)
    with TestClient(create_app(cfg)) as c:
        before = firms(c)
        big = table(HEADERS, ROWS * 200)
        r = c.post(URL, files={"file": ("名单.csv", big)}, headers=EDITOR)
        assert r.status_code == 413
        assert firms(c) == before
