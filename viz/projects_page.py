"""The project page: the pipeline funnel, the lifecycle rates, the health findings and the
scorecards, as plain HTML (it prints well and opens anywhere). It shows results computed in
``analysis.lifecycle``; nothing is computed here but the funnel's bar lengths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from chainscout.analysis.lifecycle import HealthFinding, LifecycleRates, Scorecard
from chainscout.graph.projects import Project, Stage

from .labels import Lang
from .render import AssetMode, render_page

__all__ = ["render_projects_page"]


def render_projects_page(
    projects: Sequence[Project],
    rates: LifecycleRates,
    findings: Sequence[HealthFinding],
    cards: Sequence[Scorecard],
    *,
    today: dt.date | None = None,
    lang: Lang = "en",
    synthetic: bool = False,
) -> str:
    """The whole page for these results."""
    funnel = [(s.value, sum(1 for p in projects if p.reached(s))) for s in Stage]
    rate_rows = [
        rates.commencement,
        rates.completion,
        rates.production,
        rates.capacity,
        rates.funds_arrival,
    ]
    return render_page(
        "projects.html",
        title="ChainScout · projects",
        lang=lang,
        data={},
        scripts=(),
        assets=AssetMode.inline(),
        vis=False,
        funnel=funnel,
        funnel_max=max((c for _, c in funnel), default=0),
        rates=rates,
        rate_rows=rate_rows,
        findings=list(findings),
        cards=list(cards),
        today=today.isoformat() if today else None,
        synthetic=synthetic,
    )
