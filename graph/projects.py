"""Projects: a target won becomes a project, tracked from lead to capacity reached.

Cities judge investment promotion by projects that take root — construction started, completed,
producing, at capacity — not by contracts signed. A :class:`Project` records the enterprise,
the chain and segment, the team that owns it, the amounts agreed and arrived, the date of each
stage reached, and follow-ups. Stage dates must run in stage order ("completed" cannot come
before "construction started"); every change is kept in ``history``.

Example:
    >>> p = Project(id="P1", enterprise="91350100M000100Y43", name="示例项目", home_region="349900",
    ...             team="新能源汽车产业链专班", team_role="task_force",
    ...             stages={"signed": "2025-03-01", "construction_started": "2025-06-01"})
    >>> p.stage.value
    'construction_started'
    >>> p.advance("completed", "2025-05-01")
    Traceback (most recent call last):
    ...
    chainscout.graph.errors.BadInputError: project P1: completed on 2025-05-01 cannot come ...
"""

from __future__ import annotations

import datetime as dt
import itertools
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import BadInputError
from .regions import check_region_code

__all__ = [
    "LANDED_STAGES",
    "STAGE_ORDER",
    "FollowUp",
    "FundArrival",
    "Project",
    "Stage",
    "StageEvent",
    "TeamRole",
]


class Stage(StrEnum):
    """The stages of a project, in order."""

    LEAD = "lead"
    VISIT = "visit"
    NEGOTIATION = "negotiation"
    SIGNED = "signed"
    REGISTERED = "registered"
    CONSTRUCTION_STARTED = "construction_started"
    COMPLETED = "completed"
    IN_PRODUCTION = "in_production"
    CAPACITY_REACHED = "capacity_reached"


STAGE_ORDER: dict[Stage, int] = {s: i for i, s in enumerate(Stage)}
#: Stages at which a project's firm counts as local to the project's home region.
LANDED_STAGES = (Stage.IN_PRODUCTION, Stage.CAPACITY_REACHED)


class TeamRole(StrEnum):
    """Who owns a project, as the scorecards grade them."""

    TASK_FORCE = "task_force"  # 产业链专班
    OFF_SITE_TEAM = "off_site_team"  # 驻外招商小分队
    SUB_DISTRICT = "sub_district"  # 街道/园区
    STATE_PLATFORM = "state_platform"  # 国有平台公司
    NON_ECONOMIC = "non_economic_department"  # 非经济部门（提供线索）


class StageEvent(BaseModel):
    """One recorded change: the stage reached and when, and when it was recorded."""

    model_config = ConfigDict(frozen=True)

    stage: Stage
    date: dt.date
    recorded: dt.date | None = None
    note: str | None = None


class FundArrival(BaseModel):
    """Investment that actually arrived (万元) on a date."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    amount: Annotated[float, Field(ge=0)]


class FollowUp(BaseModel):
    """After landing: satisfaction (1-5) and re-investment (万元)."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None
    reinvestment: Annotated[float, Field(ge=0)] | None = None
    note: str | None = None


class Project(BaseModel):
    """An investment project and its lifecycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1)]
    enterprise: Annotated[str, Field(min_length=1, description="enterprise id / credit code")]
    name: Annotated[str, Field(min_length=1)]
    home_region: str
    chain: str | None = None
    segment: str | None = None
    team: Annotated[str, Field(min_length=1)]
    team_role: TeamRole
    lead_source: str | None = Field(default=None, description="who supplied the lead")
    lead_response_days: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="days from lead supplied to first response"
    )
    visits: Annotated[int, Field(ge=0)] = 0
    site_inspections: Annotated[int, Field(ge=0)] = 0
    agreed_investment: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="万元"
    )
    funds: tuple[FundArrival, ...] = ()
    stages: dict[Stage, dt.date] = Field(default_factory=dict)
    history: tuple[StageEvent, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            object.__setattr__(self, "home_region", check_region_code(self.home_region))
        except ValueError as err:
            raise ValueError(f"project {self.id}: home_region: {err}") from None
        _check_order(self.id, self.stages)
        if not self.history and self.stages:
            events = tuple(
                StageEvent(stage=s, date=d) for s, d in sorted(self.stages.items(), key=_key)
            )
            object.__setattr__(self, "history", events)
        return self

    @property
    def stage(self) -> Stage | None:
        """The furthest stage reached."""
        return max(self.stages, key=STAGE_ORDER.__getitem__) if self.stages else None

    def reached(self, stage: Stage | str) -> bool:
        """Whether the project has reached ``stage`` (or any later stage)."""
        current = self.stage
        return current is not None and STAGE_ORDER[current] >= STAGE_ORDER[Stage(stage)]

    @property
    def arrived_investment(self) -> float:
        """Investment arrived so far (万元)."""
        return float(sum(f.amount for f in self.funds))

    def advance(
        self, stage: Stage | str, date: dt.date | str, *, recorded: dt.date | None = None,
        note: str | None = None,
    ) -> Project:  # fmt: skip
        """A copy with ``stage`` reached on ``date``, the change kept in ``history``.

        Raises ``BadInputError`` when the date breaks the stage order.
        """
        s = Stage(stage)
        day = date if isinstance(date, dt.date) else dt.date.fromisoformat(date)
        stages = {**self.stages, s: day}
        _check_order(self.id, stages, raise_bad_input=True)
        event = StageEvent(stage=s, date=day, recorded=recorded, note=note)
        return self.model_copy(update={"stages": stages, "history": (*self.history, event)})


def _key(item: tuple[Stage, dt.date]) -> int:
    return STAGE_ORDER[item[0]]


def _check_order(
    project: str, stages: dict[Stage, dt.date], *, raise_bad_input: bool = False
) -> None:
    ordered = sorted(stages.items(), key=_key)
    for (s1, d1), (s2, d2) in itertools.pairwise(ordered):
        if d2 < d1:
            message = (
                f"project {project}: {s2.value} on {d2.isoformat()} cannot come before"
                f" {s1.value} on {d1.isoformat()}"
            )
            if raise_bad_input:
                raise BadInputError(message)
            raise ValueError(message)
