"""The one protocol every store implements, and what its calls return.

Two stores implement :class:`GraphStore`: the embedded store (``graph.embedded``, a DuckDB file,
the default) and the Neo4j store. Loaders write through it; analyses read views from it. The
same contract tests run against both.

Every write call is one transaction: it lands whole or not at all. Writes are idempotent upserts:
writing the same rows twice changes nothing (``WriteSummary.changed == 0`` the second time).

Example:
    >>> from chainscout.graph import open_store, Enterprise, Supplies
    >>> with open_store(":memory:") as store:
    ...     _ = store.upsert([Enterprise(id="a", name="甲"), Enterprise(id="b", name="乙"),
    ...                       Supplies(supplier="a", customer="b")])
    ...     [n.id for n in store.neighbours("b", hops=1, direction="in").nodes]
    ['b', 'a']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from .model import Chain, Enterprise, Region, Supplies
from .projects import Project
from .tables import BatchItem, GraphBatch, batch_from_models
from .view import ChainView

__all__ = [
    "NEO4J_SCHEMES",
    "Direction",
    "GraphStore",
    "Neighbour",
    "NeighbourLink",
    "Neighbourhood",
    "StoreBase",
    "StoreCounts",
    "WriteSummary",
]


#: How the address of a Neo4j store begins (any other location is an embedded store's file).
NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


class Direction(StrEnum):
    """Which links to follow from a firm: to its customers (out), its suppliers (in), or both."""

    OUT = "out"
    IN = "in"
    BOTH = "both"


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class StoreCounts(_Result):
    """How much a store holds."""

    enterprises: int
    supplies: int
    memberships: int
    investments: int
    chains: int
    segments: int
    feeds: int
    regions: int
    makes: int = 0
    product_links: int = 0
    industries: int = 0
    industry_links: int = 0
    projects: int = 0


class WriteSummary(_Result):
    """What one write did, per table: rows given, rows new, rows whose stored values changed."""

    given: dict[str, int] = Field(default_factory=dict)
    new: dict[str, int] = Field(default_factory=dict)
    updated: dict[str, int] = Field(default_factory=dict)

    @property
    def changed(self) -> int:
        """New plus updated rows over all tables: 0 when the write was a repeat."""
        return sum(self.new.values()) + sum(self.updated.values())


class Neighbour(_Result):
    """A firm reached from the centre, ``hop`` links away (0 for the centre itself)."""

    id: str
    name: str
    region: str | None
    hop: int


class NeighbourLink(_Result):
    supplier: str
    customer: str
    confidence: str


class Neighbourhood(_Result):
    """Firms up to ``hops`` links from ``center`` and the supply links among them.

    At most ``budget`` firms are kept; at each hop the largest firms (by revenue, then id) are
    kept first, and ``truncated`` says whether any firm was left out."""

    center: str
    hops: int
    direction: Direction
    budget: int
    truncated: bool
    nodes: list[Neighbour]
    links: list[NeighbourLink]


@runtime_checkable
class GraphStore(Protocol):
    """What ChainScout needs from a store."""

    location: str

    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    # writes: each call is one transaction, an idempotent upsert
    def write(self, batch: GraphBatch) -> WriteSummary: ...
    def upsert(self, items: Iterable[BatchItem]) -> WriteSummary: ...
    def upsert_chain(self, chain: Chain) -> None: ...
    def upsert_regions(self, regions: Iterable[Region]) -> None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def upsert_projects(self, projects: Iterable[Project]) -> WriteSummary: ...

    # reads
    def get_meta(self, key: str) -> str | None: ...
    def list_meta(self) -> dict[str, str]: ...
    def get_enterprise(self, enterprise_id: str) -> Enterprise: ...
    def list_projects(self) -> list[Project]: ...
    def get_project(self, project_id: str) -> Project: ...
    def get_enterprises(self, ids: Iterable[str]) -> list[Enterprise]: ...
    def find_enterprises(self, text: str, limit: int = 20) -> list[Enterprise]: ...
    def supplies_of(self, enterprise_id: str) -> list[Supplies]: ...
    def list_chains(self) -> list[Chain]: ...
    def get_chain(self, chain_id: str) -> Chain: ...
    def list_regions(self) -> list[Region]: ...
    def get_region(self, code: str) -> Region: ...
    def neighbours(
        self,
        enterprise_id: str,
        hops: int = 1,
        direction: Direction | str = Direction.BOTH,
        budget: int = 500,
    ) -> Neighbourhood: ...
    def view(self, chain_id: str, home_region: str) -> ChainView: ...
    def counts(self) -> StoreCounts: ...
    def local_count(self, home_region: str) -> int: ...
    def export_tables(self, batch_rows: int = 100_000) -> Iterator[GraphBatch]: ...
    def table(self, name: str, columns: Sequence[str] | None = None) -> pa.Table: ...


class StoreBase:
    """What every store does the same way on top of :meth:`write` (mixed into each store)."""

    location: str

    def write(self, batch: GraphBatch) -> WriteSummary:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def upsert(self, items: Iterable[BatchItem]) -> WriteSummary:
        """Write validated model objects in one transaction."""
        return self.write(batch_from_models(items))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"
