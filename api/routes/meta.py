"""Health and version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from chainscout import __version__

from ..deps import get_state
from ..state import AppState

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    store: str
    enterprises: int
    chains: int


class Version(BaseModel):
    chainscout: str
    api: str


@router.get("/health", summary="Is the service up, and what does its store hold?")
async def health(state: Annotated[AppState, Depends(get_state)]) -> Health:
    counts = await state.call(state.store.counts)
    kind = "neo4j" if type(state.store).__name__.startswith("Neo4j") else "embedded"
    return Health(status="ok", store=kind, enterprises=counts.enterprises, chains=counts.chains)


@router.get("/version", summary="Versions of ChainScout and of the API")
async def version() -> Version:
    return Version(chainscout=__version__, api="v1")
