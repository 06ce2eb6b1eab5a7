"""Projects end to end: import from Chinese files, stage changes, and a landed project making
its firm local so that the gap table changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainscout.cli import main
from chainscout.graph import open_store
from chainscout.graph.errors import ValidationFailed
from chainscout.loaders.projects import read_projects

HEADER = "项目编号,统一社会信用代码,项目名称,落地区域,产业链,环节,责任单位,单位类型,协议投资额,签约,开工,竣工\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_chinese_project_sheet_reads_in_any_usual_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "projects.csv"
    path.write_bytes((HEADER + "P1,A1,锂电池项目,349901,nev,nev.battery_cell,新能源汽车产业链专班,产业链专班,"
                      "50000,2025-01-02,2025/03/01,\n").encode(encoding))  # fmt: skip
    (p,) = read_projects(path)
    assert (p.id, p.team_role.value, p.agreed_investment, p.stage.value) == (
        "P1", "task_force", 50000.0, "construction_started")  # fmt: skip


def test_bad_rows_are_named_and_nothing_is_read(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text(
        HEADER
        + "P1,A1,好项目,349901,nev,,专班,task_force,100,2025-01-02,,\n"
        + "P2,A2,坏日期,349901,nev,,专班,task_force,100,2025-13-40,,\n"
        + "P3,A3,先竣工,349901,nev,,专班,task_force,100,2025-01-02,2025-06-01,2025-05-01\n"
        + "P4,A4,没单位,349901,nev,,,task_force,100,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as info:
        read_projects(path)
    rows = {(p.row, p.field) for p in info.value.problems}
    assert (3, "signed") in rows  # the bad date, on the user's row 3
    assert any(p.row == 4 and "cannot come before" in p.reason for p in info.value.problems)
    assert any(p.row == 5 for p in info.value.problems)
    assert all(p.file == str(path) for p in info.value.problems)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("满意度", "inf", "'inf' is not a finite number"),
        ("满意度", "4.5", "'4.5' is not a whole number"),
        ("拜访次数", "nan", "'nan' is not a finite number"),
        ("协议投资额", "-inf", "'-inf' is not a finite number"),
    ],
)
def test_a_number_that_is_not_finite_or_whole_is_named(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    header = HEADER.strip().split(",")
    row = [
        "P1",
        "A1",
        "好项目",
        "349901",
        "nev",
        "",
        "专班",
        "task_force",
        "100",
        "2025-01-02",
        "",
        "",
    ]
    if column in header:
        row[header.index(column)] = value
    else:
        header.append(column)
        row.append(value)
    path = tmp_path / "projects.csv"
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        read_projects(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.reason) == (2, reason) and problem.field


def test_import_list_and_advance_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "demo", "--format", "json")[0] == 0
    path = tmp_path / "more.csv"
    path.write_text(HEADER + "NEW-1,X1,新项目,349902,nev,nev.tyre,高新区街道,街道,800,2026-01-05,,\n",
                    encoding="utf-8")  # fmt: skip
    code, out, _ = run(capsys, "projects", "import", str(path))
    assert code == 0 and "1 new" in out
    code, out, _ = run(capsys, "projects", "import", str(path))
    assert "0 new, 0 updated" in out  # a repeat changes nothing
    code, out, err = run(capsys, "projects", "advance", "NEW-1", "completed", "2025-12-01")
    assert code == 2 and "cannot come before signed" in err
    code, out, _ = run(capsys, "projects", "list", "--format", "json")
    assert any(p["id"] == "NEW-1" for p in json.loads(out))
    for command in ("rates", "health", "scorecards"):
        code, out, _ = run(capsys, "projects", command, "--format", "json")
        assert code == 0 and json.loads(out)


def test_a_sheet_updates_a_stored_project_and_never_wipes_its_history(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "demo", "--format", "json")[0] == 0

    def stored(pid: str) -> dict[str, object]:
        _, out, _ = run(capsys, "projects", "list", "--format", "json")
        return next(p for p in json.loads(out) if p["id"] == pid)

    before = stored("XL-2024-001")
    assert "capacity_reached" in before["stages"]  # type: ignore[operator]
    path = tmp_path / "again.csv"
    signed = dict(before["stages"])["signed"]  # type: ignore[call-overload]
    path.write_text(HEADER + f"XL-2024-001,{before['enterprise']},改名后的项目,349902,nev,,"
                    f"新能源汽车产业链专班,task_force,,{signed},,\n", encoding="utf-8")  # fmt: skip
    code, out, _ = run(capsys, "projects", "import", str(path))
    assert code == 0 and "0 new, 1 updated" in out
    after = stored("XL-2024-001")
    assert after["name"] == "改名后的项目"  # what the sheet gives replaces
    for kept in ("stages", "history", "funds", "follow_ups", "visits", "agreed_investment",
                 "segment"):  # fmt: skip
        assert after[kept] == before[kept], kept  # what it does not give stays


def test_a_project_on_two_rows_is_refused_by_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    row = "P1,A1,好项目,349901,nev,,专班,task_force,100,2025-01-02,,\n"
    path.write_text(HEADER + row + row.replace("好项目", "同号项目"), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        read_projects(path)
    (problem,) = info.value.problems
    assert (problem.row, problem.field) == (3, "项目编号") and "row 2 too" in problem.reason


def test_a_project_for_an_unknown_firm_or_segment_is_imported_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "demo", "--format", "json")[0] == 0
    path = tmp_path / "new.csv"
    path.write_text(HEADER + "NEW-9,91349900MA5F00099X,新项目,349902,nev,nev.nosuch,专班,"
                    "task_force,800,2026-01-05,,\n", encoding="utf-8")  # fmt: skip
    code, out, err = run(capsys, "projects", "import", str(path))
    assert code == 0 and "1 new" in out
    assert "an enterprise not in the store: NEW-9 (91349900MA5F00099X)" in err
    assert "a segment no stored chain has: NEW-9 (nev.nosuch)" in err


def test_a_project_in_production_fills_a_missing_segment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "demo", "--format", "json")[0] == 0

    def separator() -> dict[str, object]:
        code, out, _ = run(capsys, "gaps", "--format", "json")
        assert code == 0
        return next(r for r in json.loads(out)["rows"] if r["segment"] == "nev.separator")

    before = separator()
    assert before["status"] == "missing" and before["local_firms"] == 0
    _code, out, _ = run(capsys, "projects", "list", "--format", "json")
    (project,) = [p for p in json.loads(out) if p["segment"] == "nev.separator"]
    for stage, day in (("signed", "2026-01-10"), ("construction_started", "2026-02-01"),
                       ("completed", "2026-08-01"), ("in_production", "2026-10-01")):  # fmt: skip
        assert run(capsys, "projects", "advance", project["id"], stage, day)[0] == 0
    after = separator()
    assert after["status"] != "missing" and after["local_firms"] == 1
    assert "1 local firm" in str(after["reason"])
    _, out, _ = run(capsys, "targets", "--limit", "200", "--format", "json")
    assert project["enterprise"] not in {t["id"] for t in json.loads(out)["rows"]}


def test_projects_survive_a_reopen(tmp_path: Path) -> None:
    from chainscout.loaders.demo import build_demo_store

    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        build_demo_store(store)
        before = store.list_projects()
    with open_store(path, read_only=True) as store:
        assert store.list_projects() == before
        assert store.counts().projects == len(before) > 5
