"""The project lifecycle: stage rates, health checks and scorecards by role.

**Rates** (for any team, region, chain and period — a project counts in a period when it was
signed in it):

=========================== ==========================================================
commencement rate           construction started / signed
completion rate             completed / construction started
production rate             in production / completed
capacity-attainment rate    capacity reached / in production
funds-arrival rate          investment arrived / investment agreed (over projects with both)
=========================== ==========================================================

Each rate keeps its numerator and denominator, and the median days spent in each stage.

**Health checks** are rules with defaults from practice, all adjustable in :class:`HealthRules`:
signed over a year ago and not started; started but no funds for three months; started over six
months ago with under 15% of the agreed funds arrived; the same enterprise signed twice (a
project counted twice). Each finding names the project, the rule and the numbers.

**Scorecards** grade each team by its role, with the formula shown beside the score:
task forces by the full lifecycle of their projects, off-site teams by visits and site inspections
that led to signed projects, non-economic departments by leads supplied and response time.

Example:
    >>> import datetime as dt
    >>> from chainscout.graph.projects import Project
    >>> ps = [Project(id=f"P{i}", enterprise=f"E{i}", name="项目", home_region="349900",
    ...               team="专班", team_role="task_force",
    ...               stages={"signed": "2025-01-01", **({"construction_started": "2025-03-01"}
    ...                                                   if i < 3 else {})})
    ...       for i in range(4)]
    >>> r = lifecycle_rates(ps)
    >>> r.commencement.numerator, r.commencement.denominator, r.commencement.rate
    (3.0, 4.0, 0.75)
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chainscout.graph.projects import STAGE_ORDER, Project, Stage, TeamRole
from chainscout.graph.regions import check_region_code, is_within

__all__ = [
    "HealthFinding",
    "HealthRules",
    "LifecycleRates",
    "ProjectFilter",
    "Rate",
    "Scorecard",
    "ScorecardWeights",
    "health_checks",
    "lifecycle_rates",
    "scorecards",
    "select_projects",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProjectFilter(_Frozen):
    """Which projects a figure covers (None: all)."""

    team: str | None = None
    region: str | None = Field(default=None, description="projects whose home region lies inside")
    chain: str | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None

    @field_validator("region")
    @classmethod
    def _region_code(cls, value: str | None) -> str | None:
        return None if value is None else check_region_code(value)


def select_projects(
    projects: Iterable[Project], where: ProjectFilter | None = None
) -> list[Project]:
    """The projects that match ``where``, by id."""
    where = where or ProjectFilter()
    out = []
    for p in projects:
        if where.team and p.team != where.team:
            continue
        if where.region and not is_within(p.home_region, where.region):
            continue
        if where.chain and p.chain != where.chain:
            continue
        signed = p.stages.get(Stage.SIGNED)
        if where.signed_from and (signed is None or signed < where.signed_from):
            continue
        if where.signed_to and (signed is None or signed > where.signed_to):
            continue
        out.append(p)
    return sorted(out, key=lambda p: p.id)


class Rate(_Frozen):
    name: str
    numerator: float
    denominator: float
    rate: float | None
    formula: str


class LifecycleRates(_Frozen):
    projects: int
    commencement: Rate
    completion: Rate
    production: Rate
    capacity: Rate
    funds_arrival: Rate
    median_days_in_stage: dict[str, float] = Field(
        description="median days from entering a stage to entering the next one reached"
    )


def _rate(name: str, num: float, den: float, formula: str) -> Rate:
    return Rate(
        name=name,
        numerator=num,
        denominator=den,
        rate=round(num / den, 4) if den else None,
        formula=formula,
    )


def lifecycle_rates(projects: Sequence[Project]) -> LifecycleRates:
    """The stage rates of ``projects`` (filter them first with :func:`select_projects`)."""

    def count(stage: Stage) -> int:
        return sum(1 for p in projects if p.reached(stage))

    signed, started = count(Stage.SIGNED), count(Stage.CONSTRUCTION_STARTED)
    completed, producing = count(Stage.COMPLETED), count(Stage.IN_PRODUCTION)
    capacity = count(Stage.CAPACITY_REACHED)
    with_funds = [p for p in projects if p.agreed_investment]
    agreed = sum(p.agreed_investment or 0.0 for p in with_funds)
    arrived = sum(p.arrived_investment for p in with_funds)
    days: dict[str, list[int]] = defaultdict(list)
    for p in projects:
        ordered = sorted(p.stages.items(), key=lambda kv: STAGE_ORDER[kv[0]])
        for (s1, d1), (_, d2) in itertools.pairwise(ordered):
            days[s1.value].append((d2 - d1).days)
    return LifecycleRates(
        projects=len(projects),
        commencement=_rate("commencement", started, signed, "construction started / signed"),
        completion=_rate("completion", completed, started, "completed / construction started"),
        production=_rate("production", producing, completed, "in production / completed"),
        capacity=_rate(
            "capacity attainment", capacity, producing, "capacity reached / in production"
        ),
        funds_arrival=_rate(
            "funds arrival",
            round(arrived, 1),
            round(agreed, 1),
            "investment arrived / agreed (万元)",
        ),
        median_days_in_stage={
            s.value: float(statistics.median(days[s.value])) for s in Stage if days[s.value]
        },
    )


class HealthRules(_Frozen):
    """The thresholds of the health checks (defaults from practice)."""

    signed_not_started_days: int = Field(default=365, ge=1)
    started_no_funds_days: int = Field(default=90, ge=1)
    slow_funds_days: int = Field(default=180, ge=1)
    slow_funds_share: float = Field(default=0.15, ge=0, le=1)
    duplicate_signing: bool = True


class HealthFinding(_Frozen):
    project: str
    name: str
    team: str
    rule: str
    detail: str


def health_checks(
    projects: Sequence[Project], today: dt.date, rules: HealthRules | None = None
) -> list[HealthFinding]:
    """Every rule a project breaks on ``today``, by project then rule."""
    rules = rules or HealthRules()
    found: list[HealthFinding] = []

    def add(p: Project, rule: str, detail: str) -> None:
        found.append(
            HealthFinding(project=p.id, name=p.name, team=p.team, rule=rule, detail=detail)
        )

    for p in projects:
        signed = p.stages.get(Stage.SIGNED)
        started = p.stages.get(Stage.CONSTRUCTION_STARTED)
        if signed and not p.reached(Stage.CONSTRUCTION_STARTED):
            age = (today - signed).days
            if age > rules.signed_not_started_days:
                add(
                    p,
                    "signed_not_started",
                    f"signed {signed.isoformat()}, {age} days ago, and construction has not"
                    f" started (limit {rules.signed_not_started_days} days)",
                )
        if started:
            age = (today - started).days
            if not p.funds and age > rules.started_no_funds_days:
                add(
                    p,
                    "started_no_funds",
                    f"construction started {started.isoformat()}, {age} days ago, and no funds"
                    f" have arrived (limit {rules.started_no_funds_days} days)",
                )
            if p.agreed_investment and age > rules.slow_funds_days:
                share = p.arrived_investment / p.agreed_investment
                if share < rules.slow_funds_share:
                    add(
                        p,
                        "slow_funds",
                        f"construction started {age} days ago and {share:.0%} of the agreed"
                        f" {p.agreed_investment:,.0f} 万元 has arrived (under"
                        f" {rules.slow_funds_share:.0%} after {rules.slow_funds_days} days)",
                    )
    if rules.duplicate_signing:
        by_firm: dict[str, list[Project]] = defaultdict(list)
        for p in projects:
            if p.reached(Stage.SIGNED):
                by_firm[p.enterprise].append(p)
        for firm, group in by_firm.items():
            if len(group) > 1:
                ids = ", ".join(sorted(q.id for q in group))
                for q in group[1:]:
                    add(
                        q,
                        "duplicate_signing",
                        f"enterprise {firm} is signed in {len(group)} projects ({ids}):"
                        " counted twice?",
                    )
    return sorted(found, key=lambda f: (f.project, f.rule))


class ScorecardWeights(_Frozen):
    """Weights of each role's formula (normalised within the role)."""

    task_force: dict[str, float] = Field(
        default_factory=lambda: {
            "commencement": 0.25,
            "completion": 0.25,
            "production": 0.2,
            "capacity": 0.1,
            "funds_arrival": 0.2,
        }
    )
    off_site_team: dict[str, float] = Field(
        default_factory=lambda: {"conversion": 0.6, "signed_per_visit": 0.4}
    )
    non_economic_department: dict[str, float] = Field(
        default_factory=lambda: {"lead_conversion": 0.6, "response": 0.4}
    )


class Scorecard(_Frozen):
    team: str
    role: TeamRole
    projects: int
    score: float | None
    parts: dict[str, float | None]
    formula: str


def scorecards(
    projects: Sequence[Project], weights: ScorecardWeights | None = None
) -> list[Scorecard]:
    """One scorecard per team, graded by the team's role; best first, then by team name."""
    weights = weights or ScorecardWeights()
    teams: dict[tuple[str, TeamRole], list[Project]] = defaultdict(list)
    for p in projects:
        teams[(p.team, p.team_role)].append(p)
        if p.lead_source and p.lead_source != p.team:
            teams[(p.lead_source, TeamRole.NON_ECONOMIC)].append(p)
    cards = []
    for (team, role), group in teams.items():
        if role in (TeamRole.OFF_SITE_TEAM,):
            visits = sum(p.visits + p.site_inspections for p in group)
            signed = sum(1 for p in group if p.reached(Stage.SIGNED))
            touched = sum(1 for p in group if p.visits or p.site_inspections)
            parts = {
                "conversion": _ratio(
                    sum(
                        1
                        for p in group
                        if (p.visits or p.site_inspections) and p.reached(Stage.SIGNED)
                    ),
                    touched,
                ),
                "signed_per_visit": round(min(1.0, signed / visits), 4) if visits else None,
            }
            w = weights.off_site_team
            formula = " + ".join(f"{w[k]:g}×{k}" for k in w) + " (visits and inspections → signed)"
        elif role is TeamRole.NON_ECONOMIC:
            led = [p for p in group if p.lead_source == team]
            times = [p.lead_response_days for p in led if p.lead_response_days is not None]
            parts = {
                "lead_conversion": _ratio(sum(1 for p in led if p.reached(Stage.SIGNED)), len(led)),
                "response": (
                    round(max(0.0, 1 - statistics.median(times) / 30), 4) if times else None
                ),
            }
            w = weights.non_economic_department
            formula = " + ".join(f"{w[k]:g}×{k}" for k in w) + " (response: 1 − median days / 30)"
        else:
            r = lifecycle_rates(group)
            parts = {
                "commencement": r.commencement.rate,
                "completion": r.completion.rate,
                "production": r.production.rate,
                "capacity": r.capacity.rate,
                "funds_arrival": r.funds_arrival.rate,
            }
            w = weights.task_force
            formula = " + ".join(f"{w[k]:g}×{k}" for k in w) + " (rates over the lifecycle)"
        known = {k: v for k, v in parts.items() if v is not None and k in w}
        total = sum(w[k] for k in known)
        score = round(sum(w[k] * known[k] for k in known) / total, 4) if total else None
        cards.append(
            Scorecard(
                team=team, role=role, projects=len(group), score=score, parts=parts, formula=formula
            )
        )
    return sorted(cards, key=lambda c: (-(c.score or -1.0), c.team))


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None
