"""The target list page: the ranking with each score's factor breakdown, the firms the entry
thresholds excluded and why, and each target's introducer path, with a link to the XLSX export.

It shows a :class:`~chainscout.analysis.targets.TargetRanking` as it is; nothing is re-scored.
The page is plain HTML (no network drawing) with a small script for the language switch and a
text filter, so it prints well and opens anywhere.
"""

from __future__ import annotations

from typing import Any

from chainscout.analysis.targets import TargetRanking

from .labels import Lang, label
from .render import AssetMode, render_page

__all__ = ["render_target_page"]


def render_target_page(
    ranking: TargetRanking,
    *,
    limit: int | None = 200,
    xlsx_href: str | None = None,
    chain_name: str | None = None,
    region_name: str | None = None,
    lang: Lang = "en",
    synthetic: bool = False,
    links: dict[str, str] | None = None,
) -> str:
    """The page for ``ranking``: its first ``limit`` targets (all with None) and every excluded
    firm. ``xlsx_href`` is the link to the workbook (a route of the API, or a file beside an
    exported page)."""
    rows = ranking.rows if limit is None else ranking.rows[:limit]
    title = f"{label('targets', lang)} · {chain_name or ranking.chain or ''} · " + (
        region_name or ranking.home_region
    )
    data: dict[str, Any] = {"shown": len(rows), "total": len(ranking.rows)}
    return render_page(
        "targets.html",
        title=title,
        lang=lang,
        data=data,
        scripts=("targets.js",),
        assets=AssetMode.inline(),
        vis=False,
        ranking=ranking,
        rows=rows,
        chain_name=chain_name or ranking.chain,
        region_name=region_name,
        xlsx_href=xlsx_href,
        page_links=dict(links or {}),
        synthetic=synthetic,
    )
