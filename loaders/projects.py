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
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chainscout.graph.errors import Problem, ValidationFailed
from chainscout.graph.projects import FollowUp, FundArrival, Project, Stage, TeamRole

from .tabular import read_rows

__all__ = ["HEADERS", "read_projects"]

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


def read_projects(path: str | Path) -> list[Project]:
    """All projects of a file, or ``ValidationFailed`` naming every bad row and field."""
    raw = read_rows(path)
    names = [_field(h) for h in raw.headers]
    problems: list[Problem] = [p for _, p in raw.bad_rows]
    projects: list[Project] = []
    columns = [raw.table.column(i).to_pylist() for i in range(raw.table.num_columns)]
    for k, row_no in enumerate(raw.rows.tolist()):
        cells = {
            n: col[k] for n, col in zip(names, columns, strict=True) if col[k] not in (None, "")
        }
        try:
            projects.append(_project(cells))
        except ValidationError as err:
            e = err.errors()[0]
            where = str(e["loc"][0]) if e["loc"] else None
            problems.append(
                Problem(
                    reason=str(e["msg"]).removeprefix("Value error, "),
                    file=str(path),
                    row=int(row_no),
                    field=where,
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
