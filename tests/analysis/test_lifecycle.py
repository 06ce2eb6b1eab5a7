"""Projects from lead to capacity: stage validation, rates, health checks and scorecards on a
small hand-made set with known answers."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from chainscout.analysis.lifecycle import (
    HealthRules,
    ProjectFilter,
    health_checks,
    lifecycle_rates,
    scorecards,
    select_projects,
)
from chainscout.graph.errors import BadInputError
from chainscout.graph.projects import FundArrival, Project, Stage

TODAY = dt.date(2026, 12, 1)


def project(
    pid: str, firm: str, team: str = "专班", role: str = "task_force", **kw: object
) -> Project:
    return Project(
        id=pid,
        enterprise=firm,
        name=f"项目{pid}",
        home_region="349900",
        team=team,
        team_role=role,
        chain="nev",
        **kw,
    )  # type: ignore[arg-type]


# P1 signed long ago, never started; P2 started with no funds; P3 started, 10% funds after 8
# months; P4 in production with all funds; P5 the same firm as P4, signed again; P6 only a lead.
SET = [
    project("P1", "A", stages={"signed": "2025-01-10"}, agreed_investment=1000.0),
    project("P2", "B", stages={"signed": "2026-01-01", "construction_started": "2026-05-01"},
            agreed_investment=2000.0),
    project("P3", "C", stages={"signed": "2025-10-01", "construction_started": "2026-02-01"},
            agreed_investment=10000.0, funds=[FundArrival(date="2026-03-01", amount=1000.0)]),
    project("P4", "D", stages={"signed": "2024-05-01", "construction_started": "2024-06-01",
                               "completed": "2025-06-01", "in_production": "2025-08-01"},
            agreed_investment=5000.0, funds=[FundArrival(date="2024-07-01", amount=5000.0)]),
    project("P5", "D", team="驻外小分队", role="off_site_team", visits=4, site_inspections=1,
            stages={"visit": "2026-01-01", "signed": "2026-03-01"}),
    project("P6", "E", team="驻外小分队", role="off_site_team", visits=2,
            stages={"lead": "2026-06-01"}, lead_source="市科技局", lead_response_days=6),
]  # fmt: skip


class TestStages:
    def test_dates_must_follow_the_stage_order(self) -> None:
        with pytest.raises(
            ValidationError,
            match="completed on 2025-01-01 cannot come before construction_started on 2025-02-01",
        ):
            project(
                "X", "A", stages={"construction_started": "2025-02-01", "completed": "2025-01-01"}
            )

    def test_advancing_keeps_history_and_refuses_a_bad_order(self) -> None:
        p = project("X", "A", stages={"signed": "2025-01-01"})
        q = p.advance(Stage.CONSTRUCTION_STARTED, "2025-03-01", note="开工仪式")
        assert q.stage is Stage.CONSTRUCTION_STARTED and p.stage is Stage.SIGNED
        assert [e.stage.value for e in q.history] == ["signed", "construction_started"]
        with pytest.raises(
            BadInputError,
            match="in_production on 2025-02-01 cannot come before construction_started",
        ):
            q.advance("in_production", "2025-02-01")

    def test_a_bad_home_region_is_named(self) -> None:
        with pytest.raises(ValidationError, match="home_region"):
            Project(
                id="X",
                enterprise="A",
                name="n",
                home_region="990000",
                team="t",
                team_role="task_force",
            )


def test_rates_have_known_values() -> None:
    r = lifecycle_rates(SET)
    assert (r.commencement.numerator, r.commencement.denominator) == (3, 5)  # P2 P3 P4 of 5 signed
    assert (r.completion.numerator, r.completion.denominator) == (1, 3)
    assert r.production.rate == 1.0 and r.capacity.rate == 0.0
    assert r.funds_arrival.numerator == 6000 and r.funds_arrival.denominator == 18000
    assert r.funds_arrival.rate == pytest.approx(1 / 3, abs=1e-4)
    assert r.median_days_in_stage["signed"] == 120  # signed -> started: P2 120, P3 123, P4 31 days


def test_filters() -> None:
    assert [p.id for p in select_projects(SET, ProjectFilter(team="驻外小分队"))] == ["P5", "P6"]
    signed_2026 = select_projects(SET, ProjectFilter(signed_from=dt.date(2026, 1, 1)))
    assert [p.id for p in signed_2026] == ["P2", "P5"]
    assert select_projects(SET, ProjectFilter(region="440000")) == []


def test_health_findings_name_project_and_rule() -> None:
    found = {(f.project, f.rule) for f in health_checks(SET, TODAY)}
    assert found == {
        ("P1", "signed_not_started"),
        ("P2", "started_no_funds"),
        ("P2", "slow_funds"),  # 214 days after starting, 0% of the funds
        ("P3", "slow_funds"),
        ("P5", "duplicate_signing"),
    }
    (p3,) = [f for f in health_checks(SET, TODAY) if f.project == "P3"]
    assert "10% of the agreed 10,000 万元" in p3.detail
    relaxed = {(f.project, f.rule) for f in health_checks(SET, TODAY, HealthRules(
        signed_not_started_days=800, duplicate_signing=False))}  # fmt: skip
    assert ("P1", "signed_not_started") not in relaxed and (
        "P5",
        "duplicate_signing",
    ) not in relaxed


def test_scorecards_by_role_show_their_formula() -> None:
    cards = {(c.team, c.role.value): c for c in scorecards(SET)}
    task = cards[("专班", "task_force")]
    assert task.parts["commencement"] == pytest.approx(0.75)  # P2 P3 P4 of P1-P4
    assert "commencement" in task.formula and task.score is not None
    off = cards[("驻外小分队", "off_site_team")]
    assert off.parts["conversion"] == 0.5  # P5 signed, P6 not
    assert off.parts["signed_per_visit"] == pytest.approx(1 / 7, abs=1e-4)
    dept = cards[("市科技局", "non_economic_department")]
    assert dept.parts["lead_conversion"] == 0.0 and dept.parts["response"] == pytest.approx(0.8)
    assert "median days / 30" in dept.formula
