"""``chainscout projects``: import, list and advance projects; lifecycle rates, health checks and
scorecards by role."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from chainscout.analysis.lifecycle import (
    HealthRules,
    ProjectFilter,
    health_checks,
    lifecycle_rates,
    scorecards,
    select_projects,
)
from chainscout.graph import GraphStore
from chainscout.graph.errors import (
    BadInputError,
    NotFoundError,
    Problem,
    ValidationFailed,
    first_problem,
)
from chainscout.graph.projects import Project, Stage
from chainscout.loaders.projects import merge_sheet_row, read_project_rows

from . import app
from .chains import _emit_csv
from .common import (
    StoreOption,
    console,
    emit_json,
    err_console,
    escape,
    open_configured_store,
)

projects_app = typer.Typer(
    help="Projects from lead to capacity: import, list, advance, rates, health, scorecards.",
    no_args_is_help=True,
)
app.add_typer(projects_app, name="projects")


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[Fmt, typer.Option("--format", help="table, json or csv (stdout only).")]
TeamOpt = Annotated[str | None, typer.Option("--team", help="Only this team.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only projects landing here.")]
ChainOpt = Annotated[str | None, typer.Option("--chain", help="Only this chain.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Signed on or after (YYYY-MM-DD).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Signed on or before (YYYY-MM-DD).")]


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"{option}: {value!r} is not a date (use 2025-06-30)") from None


def _filter(
    team: str | None, region: str | None, chain: str | None, start: str | None, end: str | None
) -> ProjectFilter:
    try:
        return ProjectFilter(
            team=team,
            region=region,
            chain=chain,
            signed_from=_day(start, "--from"),
            signed_to=_day(end, "--to"),
        )
    except ValidationError as err:  # the region code, the only field checked here
        raise BadInputError(f"--region: {first_problem(err)[1]}") from None


@projects_app.command("import")
def import_projects(
    path: Annotated[Path, typer.Argument(help="CSV, TSV, XLSX or JSON Lines, one project a row.")],
    store: StoreOption = None,
) -> None:
    """Import projects (all or nothing: a bad row names its file, row and field). A project
    already stored is updated, never wiped: its history is kept and the sheet's stages added."""
    rows = read_project_rows(path)
    with open_configured_store(store) as s:
        projects, problems = [], []
        for r in rows:
            try:
                stored: Project | None = s.get_project(r.project.id)
            except NotFoundError:
                stored = None
            try:
                projects.append(r.project if stored is None else
                                merge_sheet_row(stored, r.project, r.given))  # fmt: skip
            except ValidationError as err:  # the stage dates, stored and new, out of order
                problems.append(Problem(reason=first_problem(err)[1], file=str(path), row=r.row))
        if problems:
            raise ValidationFailed(problems, what=str(path))
        summary = s.upsert_projects(projects)
        unknown = _unknown_references(s, projects)
    console.print(
        f"{len(projects)} project(s) read from {escape(str(path))}:"
        f" {summary.new.get('projects', 0)} new, {summary.updated.get('projects', 0)} updated."
    )
    for line in unknown:
        err_console.print(f"Warning: {escape(line)}")


def _stored(s: GraphStore, enterprise_id: str) -> bool:
    try:
        s.get_enterprise(enterprise_id)
    except NotFoundError:
        return False
    return True


def _unknown_references(s: GraphStore, projects: list[Project]) -> list[str]:
    """Warnings for projects that name an enterprise or a segment the store does not hold:
    such a project cannot make its firm local, nor count for its segment."""
    out = []
    firms = [p for p in projects if not _stored(s, p.enterprise)]
    if firms:
        ids = ", ".join(f"{p.id} ({p.enterprise})" for p in firms[:5])
        out.append(f"{len(firms)} project(s) name an enterprise not in the store: {ids}. Load"
                   " the firm to let its landing make it local.")  # fmt: skip
    known = {seg.id for c in s.list_chains() for seg in c.segments}
    segments = [p for p in projects if p.segment and p.segment not in known]
    if segments:
        ids = ", ".join(f"{p.id} ({p.segment})" for p in segments[:5])
        out.append(f"{len(segments)} project(s) name a segment no stored chain has: {ids}.")
    return out


@projects_app.command("list")
def list_projects(
    store: StoreOption = None,
    team: TeamOpt = None,
    region: RegionOpt = None,
    chain: ChainOpt = None,
    output: FormatOpt = Fmt.table,
) -> None:
    """The projects and the stage each has reached."""
    with open_configured_store(store, read_only=True) as s:
        projects = select_projects(s.list_projects(), _filter(team, region, chain, None, None))
    rows = [
        [
            p.id,
            p.name,
            p.enterprise,
            p.segment,
            p.team,
            p.team_role.value,
            p.stage.value if p.stage else None,
            p.agreed_investment,
            p.arrived_investment,
        ]
        for p in projects
    ]
    header = ["id", "name", "enterprise", "segment", "team", "role", "stage", "agreed", "arrived"]
    if output is Fmt.json:
        emit_json([p.model_dump(mode="json") for p in projects])
    elif output is Fmt.csv:
        _emit_csv(header, rows)
    else:
        _table("Projects 项目", header, rows)


@projects_app.command("advance")
def advance(
    project: Annotated[str, typer.Argument(help="Project id.")],
    stage: Annotated[Stage, typer.Argument(help="The stage reached.")],
    date: Annotated[str, typer.Argument(help="When (YYYY-MM-DD).")],
    store: StoreOption = None,
) -> None:
    """Record that a project reached a stage (validated against its other dates, kept in its
    history). A project in production makes its firm local to the project's home region."""
    day = _day(date, "DATE")
    assert day is not None
    with open_configured_store(store) as s:
        updated = s.get_project(project).advance(stage, day, recorded=dt.date.today())
        s.upsert_projects([updated])
    console.print(f"{project}: {stage.value} on {day.isoformat()}.")


@projects_app.command("rates")
def rates(
    store: StoreOption = None,
    team: TeamOpt = None,
    region: RegionOpt = None,
    chain: ChainOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    output: FormatOpt = Fmt.table,
) -> None:
    """Commencement, completion, production, capacity-attainment and funds-arrival rates."""
    with open_configured_store(store, read_only=True) as s:
        chosen = select_projects(s.list_projects(), _filter(team, region, chain, start, end))
    result = lifecycle_rates(chosen)
    parts = [
        result.commencement,
        result.completion,
        result.production,
        result.capacity,
        result.funds_arrival,
    ]
    rows = [[r.name, r.numerator, r.denominator, r.rate, r.formula] for r in parts]
    if output is Fmt.json:
        emit_json(result.model_dump(mode="json"))
    elif output is Fmt.csv:
        _emit_csv(["rate", "numerator", "denominator", "value", "formula"], rows)
    else:
        _table(
            f"Lifecycle rates · {result.projects} projects",
            ["rate", "numerator", "denominator", "value", "formula"],
            rows,
        )
        days = ", ".join(f"{k} {v:.0f}" for k, v in result.median_days_in_stage.items())
        console.print(f"Median days in stage: {days or '-'}")


@projects_app.command("health")
def health(
    store: StoreOption = None,
    today: Annotated[str | None, typer.Option("--today", help="Check as of (YYYY-MM-DD).")] = None,
    team: TeamOpt = None,
    signed_not_started_days: Annotated[int, typer.Option(min=1)] = 365,
    started_no_funds_days: Annotated[int, typer.Option(min=1)] = 90,
    slow_funds_days: Annotated[int, typer.Option(min=1)] = 180,
    slow_funds_share: Annotated[float, typer.Option(min=0, max=1)] = 0.15,
    output: FormatOpt = Fmt.table,
) -> None:
    """Projects that break a health rule, each with the rule and its numbers."""
    day = _day(today, "--today") or dt.date.today()
    rules = HealthRules(
        signed_not_started_days=signed_not_started_days,
        started_no_funds_days=started_no_funds_days,
        slow_funds_days=slow_funds_days,
        slow_funds_share=slow_funds_share,
    )
    with open_configured_store(store, read_only=True) as s:
        chosen = select_projects(s.list_projects(), _filter(team, None, None, None, None))
    findings = health_checks(chosen, day, rules)
    rows = [[f.project, f.name, f.team, f.rule, f.detail] for f in findings]
    if output is Fmt.json:
        emit_json(
            {
                "today": day.isoformat(),
                "rules": rules.model_dump(),
                "findings": [f.model_dump() for f in findings],
            }
        )
    elif output is Fmt.csv:
        _emit_csv(["project", "name", "team", "rule", "detail"], rows)
    else:
        _table(
            f"Health checks as of {day.isoformat()}",
            ["project", "name", "team", "rule", "detail"],
            rows,
        )


@projects_app.command("scorecards")
def cards(store: StoreOption = None, output: FormatOpt = Fmt.table) -> None:
    """Each team graded by its role, with the formula beside the score."""
    with open_configured_store(store, read_only=True) as s:
        result = scorecards(s.list_projects())
    rows = [
        [
            c.team,
            c.role.value,
            c.projects,
            c.score,
            ", ".join(f"{k} {'-' if v is None else f'{v:.2f}'}" for k, v in c.parts.items()),
            c.formula,
        ]
        for c in result
    ]
    if output is Fmt.json:
        emit_json([c.model_dump(mode="json") for c in result])
    elif output is Fmt.csv:
        _emit_csv(["team", "role", "projects", "score", "parts", "formula"], rows)
    else:
        _table("Scorecards 考核", ["team", "role", "projects", "score", "parts", "formula"], rows)


def _table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for h in header:
        table.add_column(h)
    for row in rows:
        table.add_row(*(escape("" if v is None else str(v)) for v in row))
    console.print(table)
