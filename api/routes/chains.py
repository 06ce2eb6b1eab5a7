"""Chains, their gap tables, leaders and ranked targets, and what-if."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError

from chainscout.analysis.gaps import GapTable, GapThresholds, gap_table
from chainscout.analysis.leaders import LeaderTable, chain_leaders
from chainscout.analysis.targets import EntryThresholds, Target, TargetParams
from chainscout.analysis.whatif import WhatIf, what_if
from chainscout.graph.errors import BadInputError, problem_text
from chainscout.graph.model import Chain

from ..deps import get_state, require, resolve_region, target_params
from ..errors import ProblemBody
from ..middleware import page_key
from ..state import AppState

router = APIRouter(tags=["chains"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ProblemBody, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 422, 503, 504)
}
Viewer = Annotated[str, Depends(require("viewer"))]
State = Annotated[AppState, Depends(get_state)]
RegionQuery = Annotated[
    str | None,
    Query(description="Home region: division code (440300) or ISO code; default configured",
          examples=["349900"]),
]  # fmt: skip


class ChainSummary(BaseModel):
    id: str
    name: str
    name_en: str | None
    segments: int


class TargetPage(BaseModel):
    """One page of a ranking; follow ``next_cursor`` until it is null to see every target."""

    chain: str | None
    home_region: str
    weights: dict[str, float]
    thresholds: EntryThresholds
    candidates: int
    ranked: int
    excluded: int
    total: int = Field(description="targets in the whole ranking (after any segment filter)")
    items: list[Target]
    next_cursor: str | None
    truncated: bool = Field(description="true when the limit was cut to api_max_page")
    notes: list[str]


class WhatIfRequest(BaseModel):
    chain: str = Field(examples=["nev"])
    region: str | None = Field(default=None, examples=["349900"])
    land: list[str] = Field(min_length=1, description="enterprise ids to land")
    rank: bool = Field(default=False, description="also rank the remaining targets")
    limit: int = Field(default=20, ge=1, le=1000)


@router.get("/chains", summary="List the chains in the store", responses=ERRORS)
async def list_chains(state: State, _: Viewer) -> list[ChainSummary]:
    chains = await state.call(state.store.list_chains)
    return [
        ChainSummary(id=c.id, name=c.name, name_en=c.name_en, segments=len(c.segments))
        for c in chains
    ]


@router.get("/chains/{chain_id}", summary="A chain with its segments and FEEDS edges",
            responses=ERRORS)  # fmt: skip
async def get_chain(chain_id: str, state: State, _: Viewer) -> Chain:
    return await state.call(lambda: state.store.get_chain(chain_id))


@router.get(
    "/chains/{chain_id}/gaps",
    summary="The chain-gap table: each segment missing, weak, present or strong, and why",
    responses=ERRORS,
)
async def gaps(
    chain_id: str,
    state: State,
    _: Viewer,
    region: RegionQuery = None,
    weak_lq: Annotated[float, Query(ge=0)] = 0.5,
    strong_lq: Annotated[float, Query(gt=0)] = 1.5,
) -> GapTable:
    home = resolve_region(state, region)
    thresholds = _model(GapThresholds, weak_lq=weak_lq, strong_lq=strong_lq)
    return await state.call(lambda: gap_table(state.view(chain_id, home), thresholds))


@router.get("/chains/{chain_id}/leaders", summary="Chain leaders (链主) with their factors",
            responses=ERRORS)  # fmt: skip
async def leaders(
    chain_id: str,
    state: State,
    _: Viewer,
    region: RegionQuery = None,
    limit: Annotated[int, Query(ge=1)] = 20,
) -> LeaderTable:
    home = resolve_region(state, region)
    limit = min(limit, state.settings.api_max_page)
    return await state.call(lambda: chain_leaders(state.view(chain_id, home), limit=limit))


@router.get(
    "/chains/{chain_id}/targets",
    summary="Recommended targets, ranked, every score explained, with introducers",
    responses=ERRORS,
    response_model=TargetPage,
)
async def targets(
    request: Request,
    chain_id: str,
    state: State,
    _: Viewer,
    region: RegionQuery = None,
    segment: Annotated[str | None, Query(description="only this segment id")] = None,
    limit: Annotated[int, Query(ge=1, description="rows per page")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    weights: Annotated[
        str | None, Query(description="preset and/or factor=weight", examples=["fill,region=0.2"])
    ] = None,
    thresholds: Annotated[
        str | None,
        Query(
            description="entry thresholds", examples=["max_energy_intensity=0.8,min_env_rating=B"]
        ),
    ] = None,
    target_regions: Annotated[
        str | None, Query(description="presets or codes, comma-separated", examples=["长三角"])
    ] = None,
    predict_links: Annotated[
        int,
        Query(
            ge=0,
            le=10_000,
            description="also take this many supply links predicted from the network itself",
        ),
    ] = 0,
) -> Response:
    home = resolve_region(state, region)
    params = target_params(weights, thresholds, target_regions, segment, predict_links)
    offset = _offset(cursor, params)
    size = min(limit, state.settings.api_max_page)
    ranking = await state.call(lambda: state.ranking(chain_id, home, params))
    items = ranking.rows[offset : offset + size]
    more = offset + size < len(ranking.rows)
    page = TargetPage(
        chain=ranking.chain,
        home_region=ranking.home_region,
        weights=ranking.weights,
        thresholds=ranking.thresholds,
        candidates=ranking.candidates,
        ranked=ranking.ranked,
        excluded=len(ranking.excluded),
        total=len(ranking.rows),
        items=items,
        next_cursor=_cursor(offset + size, params) if more else None,
        truncated=limit > size,
        notes=ranking.notes,
    )
    body = page.model_dump_json().encode("utf-8")
    # the same request again is answered from these bytes before routing (api/middleware.py)
    state.keep_page(page_key(request.url.path, request.scope["query_string"]), body)
    return Response(body, media_type="application/json")


@router.post("/whatif", summary="What if these firms landed: gaps (and targets) after",
             responses=ERRORS)  # fmt: skip
async def whatif(
    state: State,
    _: Viewer,
    request: Annotated[
        WhatIfRequest,
        Body(examples=[{"chain": "nev", "region": "349900", "land": ["9144…"], "rank": False}]),
    ],
) -> WhatIf:
    home = resolve_region(state, request.region)
    return await state.call(
        lambda: what_if(
            state.view(request.chain, home), request.land, rank=request.rank, limit=request.limit
        )
    )


def _model(cls: type[GapThresholds], **values: float) -> GapThresholds:
    try:
        return cls(**values)
    except ValidationError as err:
        raise BadInputError(_message(err)) from None


def _message(err: Exception) -> str:
    return problem_text(err) if isinstance(err, ValidationError) else str(err)


def _key(params: TargetParams) -> str:
    return json.dumps(params.model_dump(mode="json"), sort_keys=True)


def _cursor(offset: int, params: TargetParams) -> str:
    import hashlib

    tag = hashlib.sha256(_key(params).encode()).hexdigest()[:12]
    return base64.urlsafe_b64encode(f"{offset}:{tag}".encode()).decode()


def _offset(cursor: str | None, params: TargetParams) -> int:
    if not cursor:
        return 0
    import hashlib

    try:
        offset, tag = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        value = int(offset)
    except (ValueError, UnicodeDecodeError):
        raise BadInputError.at("not a cursor this API gave out", field="cursor") from None
    if tag != hashlib.sha256(_key(params).encode()).hexdigest()[:12] or value < 0:
        raise BadInputError.at(
            "the cursor belongs to a request with other parameters", field="cursor"
        )
    return value
