"""HTML pages: the chain-gap map, the enterprise network and the target list, and their assets.

The pages live under ``/`` (not ``/api/v1``): they are for people with a browser. They carry
every script they run or load it from this server (``/assets/…``, vis-network as shipped in the
installed pyvis package); none references an outside URL, so they work on a network with no
internet. Their data is embedded in the page, so a page shows what the API would answer at the
moment it was served.

**Keys.** Pages need the viewer role, like the JSON routes. A browser cannot set a header when
following a link, so a page also accepts the key as ``?key=…`` (the header wins when both are
given); links between pages and to the XLSX export carry it on. A key in a URL can end up in
browser history and server logs: prefer ``api_open_read`` on a trusted intranet, or a viewer key
of its own for the pages. Pages are sent with ``Referrer-Policy: no-referrer`` so the key does
not leave with a referrer. The assets need no key: they hold no data.

Routes::

    GET /                                        index: the chains, linked to their pages
    GET /chains/{id}/map?region=R[&compare=R2]   chain-gap map, regions side by side
    GET /chains/{id}/targets/page?region=R       target list with factors, exclusions, paths
    GET /chains/{id}/targets.xlsx?region=R       the target list as an Excel workbook
    GET /enterprises/{id}/network?hops=k         a firm's suppliers and customers, k hops
    GET /assets/vis-network-9.1.2.min.js         vis-network (and .css), from pyvis
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, Response

from chainscout.analysis.leaders import chain_leaders
from chainscout.analysis.targets import TargetParams
from chainscout.graph.errors import BadInputError, NotFoundError
from chainscout.viz.assets import VIS_ASSETS, vis_asset
from chainscout.viz.exports import target_contacts, targets_xlsx
from chainscout.viz.gapmap import region_map, render_gap_map
from chainscout.viz.labels import Lang
from chainscout.viz.network import render_network
from chainscout.viz.render import AssetMode, asset_path, render_page
from chainscout.viz.targets_page import render_target_page

from ..deps import get_state, require, resolve_region, target_params
from ..errors import TooLargeError
from ..state import AppState

__all__ = ["router"]

router = APIRouter(tags=["pages"])
State = Annotated[AppState, Depends(get_state)]
_viewer = require("viewer")
_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_ASSETS = {asset_path(name): name for name in VIS_ASSETS}
#: Most regions on one chain-gap map page (the home region and the compared ones).
MAX_COMPARE = 3


async def page_viewer(
    state: State,
    x_api_key: Annotated[str | None, Header(description="API key")] = None,
    key: Annotated[
        str | None, Query(description="API key, for browsers (the header wins when both are set)")
    ] = None,
) -> str:
    """The viewer check of the JSON routes, taking the key from the header or from ``?key=``."""
    role: str = await _viewer(state, x_api_key or key)
    return role


Viewer = Annotated[str, Depends(page_viewer)]
LangQuery = Annotated[Lang | None, Query(description="interface language (default: settings)")]
RegionQuery = Annotated[
    str | None, Query(description="home region code; default configured", examples=["349900"])
]


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers=_HEADERS)


def _carry(request: Request, path: str, **params: str | int | None) -> str:
    """A link to ``path`` with ``params``, carrying ``?key=`` on when the page came with it."""
    query = {k: str(v) for k, v in params.items() if v is not None}
    key = request.query_params.get("key")
    if key and not request.headers.get("x-api-key"):
        query["key"] = key
    root = request.scope.get("root_path", "")
    return f"{root}{path}" + (f"?{urlencode(query)}" if query else "")


def _lang(state: AppState, lang: Lang | None) -> Lang:
    return lang or state.settings.lang


def _assets(request: Request) -> AssetMode:
    return AssetMode.served(request.scope.get("root_path", "") + "/assets")


def _region_name(state: AppState, code: str) -> str | None:
    try:
        return state.store.get_region(code).name
    except NotFoundError:
        return None


def _synthetic(state: AppState) -> bool:
    return bool(state.store.get_meta("demo"))


WeightsQuery = Annotated[str | None, Query(description="preset and/or factor=weight")]
ThresholdsQuery = Annotated[str | None, Query(description="entry thresholds")]
TargetRegionsQuery = Annotated[str | None, Query(description="presets or codes, comma-separated")]
SegmentQuery = Annotated[str | None, Query(description="only this segment id")]


@router.get("/", response_class=HTMLResponse, summary="Index of the pages")
async def index(request: Request, state: State, _: Viewer, lang: LangQuery = None) -> HTMLResponse:
    language = _lang(state, lang)

    def run() -> str:
        chains = state.store.list_chains()
        home = state.settings.home_region or state.store.get_meta("home_region")
        items = [
            {
                "id": c.id, "name": c.name, "name_en": c.name_en, "segments": len(c.segments),
                "map": _carry(request, f"/chains/{c.id}/map", region=home),
                "targets": _carry(request, f"/chains/{c.id}/targets/page", region=home),
            }
            for c in chains
        ]  # fmt: skip
        return render_page(
            "index.html",
            title="ChainScout",
            lang=language,
            data={},
            scripts=(),
            assets=_assets(request),
            vis=False,
            chains=items,
            home=home,
            synthetic=_synthetic(state),
        )

    return _html(await state.call(run))


@router.get("/assets/{name}", summary="vis-network, served from the installed pyvis package")
async def asset(name: str) -> Response:
    if name not in _ASSETS:
        raise NotFoundError("asset", name, hint=f"Assets: {', '.join(_ASSETS)}.")
    a = vis_asset(_ASSETS[name])
    return Response(
        a.text, media_type=a.media_type,
        headers={"Cache-Control": "public, max-age=31536000, immutable",
                 "X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


@router.get(
    "/chains/{chain_id}/map",
    response_class=HTMLResponse,
    summary="Chain-gap map: segments upstream to downstream, coloured by status",
)
async def gap_map(
    request: Request,
    chain_id: str,
    state: State,
    _: Viewer,
    region: RegionQuery = None,
    compare: Annotated[
        str | None, Query(description="regions to show beside it, comma-separated")
    ] = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    home = resolve_region(state, region)
    others = [resolve_region(state, c.strip()) for c in (compare or "").split(",") if c.strip()]
    regions = list(dict.fromkeys([home, *others]))
    if len(regions) > MAX_COMPARE:
        raise TooLargeError(f"at most {MAX_COMPARE} regions on one map (got {len(regions)})")
    language = _lang(state, lang)
    params = TargetParams()

    def run() -> str:
        maps = [
            region_map(
                state.view(chain_id, r), params=params, ranking=state.ranking(chain_id, r, params),
                region_name=_region_name(state, r),
            )
            for r in regions
        ]  # fmt: skip
        links = {"targets": _carry(request, f"/chains/{chain_id}/targets/page", region=home)}
        return render_gap_map(maps, lang=language, assets=_assets(request),
                              synthetic=_synthetic(state), links=links)  # fmt: skip

    return _html(await state.call(run))


@router.get(
    "/chains/{chain_id}/targets/page",
    response_class=HTMLResponse,
    summary="Target list: ranking, factor breakdown, exclusions, introducer paths",
)
async def targets_page(
    request: Request,
    chain_id: str,
    state: State,
    _: Viewer,
    region: RegionQuery = None,
    limit: Annotated[int, Query(ge=1, description="targets listed")] = 200,
    weights: WeightsQuery = None,
    thresholds: ThresholdsQuery = None,
    target_regions: TargetRegionsQuery = None,
    segment: SegmentQuery = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    home = resolve_region(state, region)
    params = target_params(weights, thresholds, target_regions, segment)
    language = _lang(state, lang)
    size = min(limit, state.settings.api_max_page * 5)

    def run() -> str:
        ranking = state.ranking(chain_id, home, params)
        chain = state.store.get_chain(chain_id)
        query = {
            "region": home, "weights": weights, "thresholds": thresholds,
            "target_regions": target_regions, "segment": segment, "lang": language,
        }  # fmt: skip
        return render_target_page(
            ranking,
            limit=size,
            lang=language,
            chain_name=chain.name,
            region_name=_region_name(state, home),
            synthetic=_synthetic(state),
            xlsx_href=_carry(request, f"/chains/{chain_id}/targets.xlsx", **query),
            links={"gap_map": _carry(request, f"/chains/{chain_id}/map", region=home)},
        )

    return _html(await state.call(run))


@router.get("/chains/{chain_id}/targets.xlsx", summary="The target list as an Excel workbook",
            response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument"
                                         ".spreadsheetml.sheet": {}}}})  # fmt: skip
async def targets_workbook(
    chain_id: str,
    state: State,
    _: Viewer,
    region: RegionQuery = None,
    weights: WeightsQuery = None,
    thresholds: ThresholdsQuery = None,
    target_regions: TargetRegionsQuery = None,
    segment: SegmentQuery = None,
    lang: LangQuery = None,
) -> Response:
    home = resolve_region(state, region)
    params = target_params(weights, thresholds, target_regions, segment)
    language = _lang(state, lang)

    def workbook() -> bytes:
        ranking = state.ranking(chain_id, home, params)
        contacts = target_contacts(state.store, ranking)
        return targets_xlsx(ranking, lang=language, contacts=contacts)

    data = await state.call(workbook)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="targets-{chain_id}-{home}.xlsx"'
            if chain_id.isascii() and chain_id.replace(".", "").replace("_", "").isalnum()
            else 'attachment; filename="targets.xlsx"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/enterprises/{enterprise_id}/network", response_class=HTMLResponse,
            summary="A firm's suppliers and customers up to k hops, as a network")  # fmt: skip
async def network_page(
    request: Request,
    enterprise_id: str,
    state: State,
    _: Viewer,
    hops: Annotated[int, Query(ge=0, description="links away from the firm")] = 2,
    chain: Annotated[str | None, Query(description="chain id; default configured")] = None,
    region: RegionQuery = None,
    max_nodes: Annotated[
        int | None, Query(ge=10, description="firms drawn one by one (default api_max_nodes)")
    ] = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    if hops > state.settings.api_max_hops:
        raise TooLargeError(
            f"hops {hops} is over the limit of {state.settings.api_max_hops} (api_max_hops)"
        )
    home = resolve_region(state, region)
    chain_id = chain or state.settings.chain or state.store.get_meta("chain")
    if not chain_id:
        raise NotFoundError("chain", "", hint="Give ?chain=.")
    budget = min(max_nodes or state.settings.api_max_nodes, state.settings.api_max_nodes)
    language: Literal["en", "zh"] = _lang(state, lang)
    params = TargetParams()

    def run() -> str:
        view = state.view(chain_id, home)
        return render_network(
            view,
            enterprise_id,
            hops=hops,
            max_nodes=budget,
            ranking=state.ranking(chain_id, home, params),
            leaders=chain_leaders(view, limit=max(params.leaders, 1)),
            region_names={r.code: r.name for r in state.store.list_regions()},
            lang=language,
            assets=_assets(request),
            synthetic=_synthetic(state),
        )

    return _html(await state.call(run))


@router.get(
    "/projects/page",
    summary="The project pipeline: funnel, rates, health, scorecards",
    response_class=HTMLResponse,
)
async def projects_page(
    state: State,
    _: Viewer,
    today: Annotated[str | None, Query(description="health checks as of (YYYY-MM-DD)")] = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    import datetime as dt

    from chainscout.analysis.lifecycle import health_checks, lifecycle_rates, scorecards
    from chainscout.viz.projects_page import render_projects_page

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        raise BadInputError.at(f"{today!r} is not a date (use 2025-06-30)", field="today") from None
    language = _lang(state, lang)

    def run() -> str:
        projects = state.store.list_projects()
        return render_projects_page(
            projects,
            lifecycle_rates(projects),
            health_checks(projects, day),
            scorecards(projects),
            today=day,
            lang=language,
            synthetic=_synthetic(state),
        )

    return _html(await state.call(run))
