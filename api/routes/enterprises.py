"""Enterprises (search, detail, neighbours) and paths between firms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from chainscout.analysis.paths import IntroducerPath, path_between
from chainscout.analysis.targets import chain_leaders
from chainscout.graph.errors import NotFoundError
from chainscout.graph.model import Enterprise
from chainscout.graph.store import Direction, Neighbourhood

from ..deps import get_state, require, resolve_region
from ..state import AppState
from .chains import ERRORS, RegionQuery

router = APIRouter(tags=["enterprises"])
Viewer = Annotated[str, Depends(require("viewer"))]
State = Annotated[AppState, Depends(get_state)]


class EnterpriseList(BaseModel):
    items: list[Enterprise]
    truncated: bool


class PathResult(BaseModel):
    source: str
    target: str
    max_hops: int
    path: IntroducerPath | None


@router.get("/enterprises", summary="Search enterprises by id, credit code, name or alias",
            responses=ERRORS)  # fmt: skip
async def search(
    state: State,
    _: Viewer,
    q: Annotated[str, Query(min_length=1, description="text to find", examples=["锂业"])],
    limit: Annotated[int, Query(ge=1)] = 20,
) -> EnterpriseList:
    size = min(limit, state.settings.api_max_page)
    found = await state.call(lambda: state.store.find_enterprises(q, limit=size + 1))
    return EnterpriseList(items=found[:size], truncated=len(found) > size or limit > size)


@router.get("/enterprises/{enterprise_id}", summary="One enterprise", responses=ERRORS)
async def detail(enterprise_id: str, state: State, _: Viewer) -> Enterprise:
    return await state.call(lambda: state.store.get_enterprise(enterprise_id))


@router.get(
    "/enterprises/{enterprise_id}/neighbours",
    summary="Suppliers and customers up to a bounded number of hops",
    responses=ERRORS,
)
async def neighbours(
    enterprise_id: str,
    state: State,
    _: Viewer,
    hops: Annotated[int, Query(ge=0)] = 1,
    direction: Direction = Direction.BOTH,
    limit: Annotated[int, Query(ge=1, description="most firms returned")] = 500,
) -> Neighbourhood:
    from ..errors import TooLargeError

    if hops > state.settings.api_max_hops:
        raise TooLargeError(
            f"hops {hops} is over the limit of {state.settings.api_max_hops} (api_max_hops)"
        )
    budget = min(limit, state.settings.api_max_nodes)
    result = await state.call(
        lambda: state.store.neighbours(enterprise_id, hops=hops, direction=direction, budget=budget)
    )
    if limit > budget and not result.truncated:
        return result
    return result


@router.get("/paths", summary="The shortest supply path between two firms of a chain",
            responses=ERRORS)  # fmt: skip
async def paths(
    state: State,
    _: Viewer,
    source: Annotated[str, Query(alias="from", description="enterprise id")],
    target: Annotated[str, Query(alias="to", description="enterprise id")],
    chain: Annotated[str | None, Query(description="chain id; default configured")] = None,
    region: RegionQuery = None,
    max_hops: Annotated[int, Query(ge=1)] = 3,
) -> PathResult:
    home = resolve_region(state, region)
    chain_id = chain or state.settings.chain or state.store.get_meta("chain")
    if not chain_id:
        raise NotFoundError("chain", "", hint="Give ?chain=.")
    hops = min(max_hops, state.settings.api_max_hops)

    def run() -> IntroducerPath | None:
        view = state.view(chain_id, home)
        rows = view.rows_of([source, target])
        return path_between(view, rows[0], rows[1], max_hops=hops, leaders=chain_leaders(view))

    found = await state.call(run)
    return PathResult(source=source, target=target, max_hops=hops, path=found)
