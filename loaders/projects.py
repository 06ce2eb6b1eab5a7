"""Projects in from CSV, TSV, XLSX or JSON Lines: one row per project.

Headers (English or Chinese; case and spaces do not matter):

================================ ==========================================================
``id`` / 项目编号                  project id (required)
``enterprise`` / 统一社会信用代码    the enterprise's id or credit code (required)
``name`` / 项目名称                project name (required)
``home_region`` / 落地区域          division code where it lands (required)
``chain`` / 产业链, ``segment`` / 环节
``team`` / 责任单位 (required), ``team_role`` / 单位类型: task_force, off_site_team,
sub_district, state_platform, non_economic_department (or 产业链专班, 驻外招商, 街道,
国有平台, 非经济部门)
``agreed_investment`` / 协议投资额, ``arrived_investment`` / 到位资金 (万元) and
``funds_date`` / 到位日期
``lead`` … ``capacity_reached``   the date of each stage (线索, 拜访, 洽谈, 签约, 注册, 开工,
                                  竣工, 投产, 达产)
``visits`` / 拜访次数, ``site_inspections`` / 考察次数, ``lead_source`` / 线索来源,
``lead_response_days`` / 响应天数, ``satisfaction`` / 满意度 (1-5), ``reinvestment`` / 增资
================================ ==========================================================

Every bad row is reported with file, row and field; nothing is written unless every row is good.
A project id may appear on one row only.

A row for a project already stored updates it (:func:`merge_sheet_row`): the columns the sheet
has replace the stored values, stage dates and arrivals are added to what is stored, and the
stage history keeps every earlier event. A sheet never wipes what it does not mention.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from chainscout.graph.errors import Problem, ValidationFailed, first_problem
from chainscout.graph.projects import (
    STAGE_ORDER,
    FollowUp,
    FundArrival,
    Project,
    Stage,
    StageEvent,
    TeamRole,
)

from .tabular import read_rows

__all__ = ["HEADERS", "SheetRow", "merge_sheet_row", "read_project_rows", "read_projects"]

HEADERS: dict[str, str] = {
    "项目编号": "id",
    "项目id": "id",
    "统一社会信用代码": "enterprise",
    "企业": "enterprise",
    "企业代码": "enterprise",
    "项目名称": "name",
    "落地区域": "home_region",
    "区划代码": "home_region",
    "产业链": "chain",
    "环节": "segment",
    "责任单位": "team",
    "单位类型": "team_role",
    "协议投资额": "agreed_investment",
    "到位资金": "arrived_investment",
    "到位日期": "funds_date",
    "线索": "lead",
    "拜访": "visit",
    "洽谈": "negotiation",
    "签约": "signed",
    "注册": "registered",
    "开工": "construction_started",
    "竣工": "completed",
    "投产": "in_production",
    "达产": "capacity_reached",
    "拜访次数": "visits",
    "考察次数": "site_inspections",
    "线索来源": "lead_source",
    "响应天数": "lead_response_days",
    "满意度": "satisfaction",
    "增资": "reinvestment",
    "跟踪日期": "follow_up_date",
}
ROLES_ZH = {
    "产业链专班": TeamRole.TASK_FORCE,
    "驻外招商": TeamRole.OFF_SITE_TEAM,
    "街道": TeamRole.SUB_DISTRICT,
    "国有平台": TeamRole.STATE_PLATFORM,
    "非经济部门": TeamRole.NON_ECONOMIC,
}


def _field(header: str) -> str:
    key = header.strip().lower().replace(" ", "_")
    return HEADERS.get(header.strip(), key)


#: Project fields that a sheet's columns fill (the rest come from the row's stage dates,
#: arrivals and follow-ups).
_GIVES: dict[str, str] = {
    **{s.value: "stages" for s in Stage},
    "arrived_investment": "funds",
    "funds_date": "funds",
    "satisfaction": "follow_ups",
    "reinvestment": "follow_ups",
    "follow_up_date": "follow_ups",
}


class SheetRow(NamedTuple):
    """A project read from a sheet, the project fields its columns gave, and its row."""

    project: Project
    given: frozenset[str]
    row: int


def read_projects(path: str | Path) -> list[Project]:
    """All projects of a file, or ``ValidationFailed`` naming every bad row and field."""
    return [row.project for row in read_project_rows(path)]


def read_project_rows(path: str | Path) -> list[SheetRow]:
    """All projects of a file with the fields each row gave, or ``ValidationFailed`` naming
    every bad row and field (a project id on two rows is one)."""
    raw = read_rows(path)
    names = [_field(h) for h in raw.headers]
    id_header = next((h for h, n in zip(raw.headers, names, strict=True) if n == "id"), "id")
    problems: list[Problem] = [p for _, p in raw.bad_rows]
    projects: list[SheetRow] = []
    first_row: dict[str, int] = {}
    columns = [raw.table.column(i).to_pylist() for i in range(raw.table.num_columns)]
    for k, row_no in enumerate(raw.rows.tolist()):
        cells = {
            n: col[k] for n, col in zip(names, columns, strict=True) if col[k] not in (None, "")
        }
        pid = str(cells.get("id", ""))
        if pid and pid in first_row:
            problems.append(Problem(
                reason=f"project {pid} is on row {first_row[pid]} too: give each project one row",
                file=str(path), row=int(row_no), field=id_header, value=pid,
            ))  # fmt: skip
            continue
        if pid:
            first_row[pid] = int(row_no)
        given = frozenset(_GIVES.get(n, n) for n in cells) & set(Project.model_fields)
        try:
            projects.append(SheetRow(_project(cells), given, int(row_no)))
        except ValidationError as err:
            where, reason = first_problem(err)
            problems.append(
                Problem(
                    reason=reason,
                    file=str(path),
                    row=int(row_no),
                    field=where.split(".")[0] or None,
                )
            )
        except ValueError as err:
            field, _, reason = str(err).partition(": ")
            problems.append(
                Problem(
                    reason=reason or field,
                    file=str(path),
                    row=int(row_no),
                    field=field if reason else None,
                )
            )
    if problems:
        raise ValidationFailed(problems, what=str(path))
    return projects


def _date(field: str, value: str) -> dt.date:
    text = value.strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a date (use 2025-06-30)") from None


def _number(field: str, value: str) -> float:
    """A finite number (thousands separators allowed); inf and nan are refused by name."""
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return number


def _whole(field: str, value: str) -> int:
    """A whole number, such as a count of visits or a 1-5 satisfaction score."""
    number = _number(field, value)
    if number != int(number):
        raise ValueError(f"{field}: {value!r} is not a whole number")
    return int(number)


def _project(cells: dict[str, Any]) -> Project:
    stages = {s: _date(s.value, cells[s.value]) for s in Stage if s.value in cells}
    role = cells.get("team_role", "task_force")
    role = ROLES_ZH.get(role, role)
    funds: tuple[FundArrival, ...] = ()
    if "arrived_investment" in cells:
        day = cells.get("funds_date") or cells.get("construction_started") or cells.get("signed")
        if not day:
            raise ValueError("funds_date: arrived investment needs a date (funds_date)")
        funds = (
            FundArrival(
                date=_date("funds_date", day),
                amount=_number("arrived_investment", cells["arrived_investment"]),
            ),
        )
    follow: tuple[FollowUp, ...] = ()
    if "satisfaction" in cells or "reinvestment" in cells:
        day = cells.get("follow_up_date") or cells.get("in_production") or cells.get("signed")
        if not day:
            raise ValueError("follow_up_date: a follow-up needs a date")
        follow = (
            FollowUp(
                date=_date("follow_up_date", day),
                satisfaction=_whole("satisfaction", cells["satisfaction"])
                if "satisfaction" in cells
                else None,
                reinvestment=_number("reinvestment", cells["reinvestment"])
                if "reinvestment" in cells
                else None,
            ),
        )
    return Project(
        id=cells.get("id", ""),
        enterprise=cells.get("enterprise", ""),
        name=cells.get("name", ""),
        home_region=cells.get("home_region", ""),
        chain=cells.get("chain"),
        segment=cells.get("segment"),
        team=cells.get("team", ""),
        team_role=role,
        lead_source=cells.get("lead_source"),
        lead_response_days=_number("lead_response_days", cells["lead_response_days"])
        if "lead_response_days" in cells
        else None,
        visits=_whole("visits", cells["visits"]) if "visits" in cells else 0,
        site_inspections=_whole("site_inspections", cells["site_inspections"])
        if "site_inspections" in cells
        else 0,
        agreed_investment=_number("agreed_investment", cells["agreed_investment"])
        if "agreed_investment" in cells
        else None,
        funds=funds,
        stages=stages,
        follow_ups=follow,
    )


def merge_sheet_row(stored: Project, row: Project, given: frozenset[str]) -> Project:
    """``stored`` updated by a sheet's ``row`` for the same project: the fields in ``given``
    replace the stored ones; stage dates, arrivals and follow-ups are added to the stored ones
    (a stage's new date replaces its old one), and each stage the row adds or moves is a new
    event after the stored history. Raises ``ValueError`` when the dates break the stage order.

    >>> from chainscout.graph.projects import Project
    >>> old = Project(id="P", enterprise="E", name="项目", home_region="349901", team="专班",
    ...               team_role="task_force", visits=3, stages={"signed": "2025-01-02",
    ...               "construction_started": "2025-03-01"})
    >>> new = Project(id="P", enterprise="E", name="项目", home_region="349901", team="专班",
    ...               team_role="task_force", stages={"signed": "2025-01-02"})
    >>> merged = merge_sheet_row(old, new, frozenset({"id", "name", "stages"}))
    >>> merged.stage.value, merged.visits, len(merged.history)
    ('construction_started', 3, 2)
    """
    values = stored.model_dump()
    for name in given - {"stages", "funds", "follow_ups", "history"}:
        values[name] = getattr(row, name)
    stages = {**stored.stages, **row.stages}
    moved = [(s, d) for s, d in row.stages.items() if stored.stages.get(s) != d]
    history = [*stored.history] + [
        StageEvent(stage=s, date=d, note="from an imported sheet")
        for s, d in sorted(moved, key=lambda sd: STAGE_ORDER[sd[0]])
    ]
    values.update(
        stages=stages,
        history=history,
        funds=[*stored.funds, *(f for f in row.funds if f not in stored.funds)],
        follow_ups=[*stored.follow_ups, *(f for f in row.follow_ups if f not in stored.follow_ups)],
    )
    return Project.model_validate(values)
