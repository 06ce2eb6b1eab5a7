"""Tables the loader tests write themselves, and where the real datasets are."""

from __future__ import annotations

import csv
from pathlib import Path

from chainscout.graph.codes import credit_code_check_char

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def credit(body: str) -> str:
    """A valid credit code for a 17-character body."""
    return body + credit_code_check_char(body)


CC_A = credit("91440300MA5F00001")
CC_B = credit("91110108MA0000002")
CC_C = credit("91430100MA4L00003")

HEADERS_ZH = ["企业名称", "统一社会信用代码", "注册地址", "营业收入（万元）", "员工人数", "标签"]
HEADERS_EN = ["name", "credit_code", "address", "revenue", "employees", "tags"]
ROWS = [
    ["深圳市甲科技有限公司", CC_A, "深圳市南山区科技园", "1,200.5", "35", "高新技术企业;专精特新"],
    ["北京乙材料股份有限公司", CC_B, "北京市海淀区中关村", "800", "12", ""],
    ["湖南丙瓷业有限公司", CC_C, "", "50", "", "链主"],
]


def write_csv(path: Path, headers: list[str], rows: list[list[str]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:  # fmt: skip
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append([v if v != "" else None for v in row])
    book.save(path)
    return path
