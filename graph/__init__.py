"""ChainScout's graph layer: the domain model, the store protocol, the stores and views.

It imports nothing else of ChainScout; every other layer builds on it.

>>> from chainscout.graph import open_store
>>> with open_store(":memory:") as store:
...     store.counts().enterprises
0
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .codes import check_credit_code, is_credit_code
from .embedded import EmbeddedStore
from .errors import (
    BadInputError,
    ChainScoutError,
    ConflictError,
    NotFoundError,
    Problem,
    StoreUnavailableError,
    ValidationFailed,
)
from .model import (
    KNOWN_TAGS,
    Chain,
    Confidence,
    Enterprise,
    Feeds,
    Industry,
    IndustryLink,
    InSegment,
    InvestsIn,
    Makes,
    ProductLink,
    ProductRelation,
    Region,
    RelationType,
    Segment,
    Supplies,
)
from .projects import Project, Stage, TeamRole
from .regions import check_region_code, is_within, region_level
from .store import (
    NEO4J_SCHEMES,
    Direction,
    GraphStore,
    Neighbourhood,
    StoreCounts,
    WriteSummary,
)
from .tables import GraphBatch, batch_from_models
from .view import ChainView

if TYPE_CHECKING:
    from .neo4j import Neo4jSettings, Neo4jStore

__all__ = [
    "KNOWN_TAGS",
    "BadInputError",
    "Chain",
    "ChainScoutError",
    "ChainView",
    "Confidence",
    "ConflictError",
    "Direction",
    "EmbeddedStore",
    "Enterprise",
    "Feeds",
    "GraphBatch",
    "GraphStore",
    "InSegment",
    "Industry",
    "IndustryLink",
    "InvestsIn",
    "Makes",
    "Neighbourhood",
    "Neo4jSettings",
    "Neo4jStore",
    "NotFoundError",
    "Problem",
    "ProductLink",
    "ProductRelation",
    "Project",
    "Region",
    "RelationType",
    "Segment",
    "Stage",
    "StoreCounts",
    "StoreUnavailableError",
    "Supplies",
    "TeamRole",
    "ValidationFailed",
    "WriteSummary",
    "batch_from_models",
    "check_credit_code",
    "check_region_code",
    "is_credit_code",
    "is_within",
    "open_store",
    "region_level",
]


def open_store(
    location: str | Path,
    *,
    read_only: bool = False,
    view_cache: str | Path | None = None,
    view_cache_keep: int = 4,
) -> GraphStore:
    """Open the store at ``location``: a file path (the embedded store), ``:memory:``, or a
    ``neo4j://``, ``neo4j+s://``, ``bolt://`` or ``bolt+s://`` address (the Neo4j store, with
    user, password and database from ``CHAINSCOUT_NEO4J_*`` variables, see
    :class:`~chainscout.graph.neo4j.Neo4jSettings`).

    ``view_cache``: a folder where a read-only embedded store keeps the views it makes (see
    :mod:`~chainscout.graph.viewcache`); ``None`` or ``"off"`` keeps none.
    """
    text = str(location)
    if text.startswith(NEO4J_SCHEMES):
        from .neo4j import Neo4jStore

        return Neo4jStore(text, read_only=read_only)
    return EmbeddedStore(
        text, read_only=read_only, view_cache=view_cache, view_cache_keep=view_cache_keep
    )


def __getattr__(name: str) -> Any:
    """The Neo4j store and its settings, imported when first asked for: the Neo4j driver takes
    most of a second to import, which a command on an embedded store should not wait for."""
    if name in ("Neo4jSettings", "Neo4jStore"):
        from . import neo4j

        return getattr(neo4j, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
