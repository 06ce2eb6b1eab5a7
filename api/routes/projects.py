"""Projects: the pipeline from lead to capacity, its rates, health findings and scorecards."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, ValidationError

from chainscout.analysis.lifecycle import (
    HealthFinding,
    HealthRules,
    LifecycleRates,
    ProjectFilter,
    Scorecard,
    health_checks,
    lifecycle_rates,
    scorecards,
    select_projects,
)
from chainscout.graph.errors import BadInputError, first_problem
from chainscout.graph.projects import Project, Stage
from chainscout.graph.store import WriteSummary

from ..deps import get_state, require
from ..state import AppState
from .chains import ERRORS

router = APIRouter(tags=["projects"])
Viewer = Annotated[str, Depends(require("viewer"))]
Editor = Annotated[str, Depends(require("editor"))]
State = Annotated[AppState, Depends(get_state)]


class StageChange(BaseModel):
    stage: Stage
    date: dt.date
    note: str | None = None


class ProjectList(BaseModel):
    items: list[Project]
    total: int
    truncated: bool


class HealthReport(BaseModel):
    today: dt.date
    rules: HealthRules
    findings: list[HealthFinding]


def _filter(
    team: str | None = None,
    region: str | None = None,
    chain: str | None = None,
    signed_from: dt.date | None = None,
    signed_to: dt.date | None = None,
) -> ProjectFilter:
    try:
        return ProjectFilter(
            team=team, region=region, chain=chain, signed_from=signed_from, signed_to=signed_to
        )
    except ValidationError as err:  # the region code, the only field checked here
        raise BadInputError.at(first_problem(err)[1], field="region") from None


Filter = Annotated[ProjectFilter, Depends(_filter)]


@router.get(
    "/projects",
    summary="Projects, filtered by team, region, chain and signing date",
    responses=ERRORS,
)
async def list_projects(
    state: State, _: Viewer, where: Filter, limit: Annotated[int, Query(ge=1)] = 100
) -> ProjectList:
    chosen = select_projects(await state.call(state.store.list_projects), where)
    size = min(limit, state.settings.api_max_page)
    return ProjectList(items=chosen[:size], total=len(chosen), truncated=len(chosen) > size)


@router.get(
    "/projects/rates",
    summary="Lifecycle rates: commencement, completion, production,"
    " capacity attainment, funds arrival",
    responses=ERRORS,
)
async def rates(state: State, _: Viewer, where: Filter) -> LifecycleRates:
    return lifecycle_rates(select_projects(await state.call(state.store.list_projects), where))


@router.get(
    "/projects/health", summary="Health findings, each with its project and rule", responses=ERRORS
)
async def health(
    state: State, _: Viewer, where: Filter, today: dt.date | None = None
) -> HealthReport:
    day = today or dt.date.today()
    rules = HealthRules()
    chosen = select_projects(await state.call(state.store.list_projects), where)
    return HealthReport(today=day, rules=rules, findings=health_checks(chosen, day, rules))


@router.get(
    "/projects/scorecards", summary="Scorecards by role, with their formulas", responses=ERRORS
)
async def cards(state: State, _: Viewer, where: Filter) -> list[Scorecard]:
    return scorecards(select_projects(await state.call(state.store.list_projects), where))


@router.get(
    "/projects/{project_id}", summary="One project with its stage history", responses=ERRORS
)
async def get_project(project_id: str, state: State, _: Viewer) -> Project:
    return await state.call(lambda: state.store.get_project(project_id))


@router.post("/projects", summary="Add or replace projects (editor role)", responses=ERRORS)
async def put_projects(
    state: State, _: Editor, projects: Annotated[list[Project], Field(min_length=1)]
) -> WriteSummary:
    def write() -> WriteSummary:
        summary = state.store.upsert_projects(projects)
        state.invalidate()  # a project in production changes who is local
        return summary

    return await state.call(write)


@router.post(
    "/projects/{project_id}/stages",
    summary="Record a stage reached (editor role)",
    responses=ERRORS,
)
async def advance(project_id: str, change: StageChange, state: State, _: Editor) -> Project:
    def write() -> Project:
        updated = state.store.get_project(project_id).advance(
            change.stage, change.date, recorded=dt.date.today(), note=change.note
        )
        state.store.upsert_projects([updated])
        state.invalidate()
        return updated

    return await state.call(write)
