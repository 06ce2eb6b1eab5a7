"""The Neo4j store: the same protocol and the same answers as the embedded store, over Bolt.

A province or a national enterprise graph outgrows one machine; Neo4j holds it, and every
question still gets only the view it needs, pulled with Cypher. This store talks to Neo4j with
the official driver: one driver per store object, one session per unit of work, managed
transactions (``execute_read``/``execute_write``, which retry transient failures, so every
transaction function here is idempotent), parameterised Cypher only. Labels come from
:class:`NodeLabel` and relationship types from :class:`~chainscout.graph.model.RelationType`,
written literally into the query strings and never taken from data; every query carries a
timeout.

The graph in Neo4j::

    (:Enterprise {id, seq, name, aliases, ...})-[:SUPPLIES {share, volume, source, since, seen,
        confidence}]->(:Enterprise)
    (:Enterprise)-[:IN_SEGMENT {share}]->(:Segment {id, chain, position, name, ...})
    (:Enterprise)-[:INVESTS_IN {share}]->(:Enterprise)
    (:Enterprise)-[:MAKES {share}]->(:Product {name})
    (:Product)-[:PRODUCT_LINK {relation}]->(:Product)
    (:Segment)-[:FEEDS {chain, coefficient}]->(:Segment)
    (:Industry {code, name, level, parent, scheme})-[:INDUSTRY_UPSTREAM {weight}]->(:Industry)
    (:Chain {id, name, name_en, description})   (:Region {code, name, level, parent})
    (:ChainScoutMeta {key, value})               (:ChainScoutCounter {name, next})

``seq`` numbers firms in the order they were first written, as the embedded store's ``nid``
does, so that exports come in the same order from both stores (views order firms by id). A segment
dropped from a chain by a later :meth:`Neo4jStore.upsert_chain` keeps its node (without a
``chain``) so that memberships pointing at it survive, as its rows do in the embedded store; an
industry named only by an industry link is a node without a ``name`` and is not counted.

Writes: :meth:`Neo4jStore.write` validates the whole batch first (the same
:class:`~chainscout.graph.errors.ValidationFailed` problems as the embedded store), then applies
it in **one** write transaction with ``UNWIND`` statements of ``chunk_rows`` rows each.
A failure rolls the whole batch back; nothing is ever half-applied. The merge rules (given
fields replace, missing ones keep what is stored, list fields united and sorted, the earliest
``since``, the most credible confidence) are computed here, in Python, from the stored rows of
the batch's keys, so that ``WriteSummary`` counts are exactly the embedded store's. Every write
first locks one counter node, so ChainScout writers take turns and rows found new are created
with ``CREATE`` rather than ``MERGE``. Stored links are looked up only for firms that already
have links of that kind, so a first load (firms, then their links) reads no pairs back. Rows
travel as one list per column, not one map per row (see the note above the queries). Size
batches to the server's transaction memory (``db.memory.transaction.total.max``, 70% of the
heap by default): with a 1 GB heap, batches of 25,000 rows fit; a batch that does not is
refused with a clear error, and nothing is written.

Connection settings come from :class:`Neo4jSettings` (the URI is the ``--store`` value; user,
password, database and timeouts from ``CHAINSCOUT_NEO4J_*`` environment variables), never from
code. An unreachable server, wrong credentials or an unknown database raise
:class:`~chainscout.graph.errors.StoreUnavailableError` saying what to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, LiteralString, TypeVar

import neo4j
import neo4j.exceptions
import neo4j.time
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import BadInputError, NotFoundError, Problem, StoreUnavailableError, ValidationFailed
from .model import Chain, Enterprise, Feeds, Region, Segment, Supplies
from .projects import LANDED_STAGES, Project
from .regions import check_region_code, is_within, region_prefix
from .store import (
    NEO4J_SCHEMES,
    Direction,
    Neighbour,
    Neighbourhood,
    NeighbourLink,
    StoreBase,
    StoreCounts,
    WriteSummary,
)
from .tables import (
    ENTERPRISES,
    INDUSTRIES,
    INDUSTRY_LINKS,
    INVESTMENTS,
    MAKES,
    MEMBERSHIPS,
    PRODUCT_LINKS,
    SCHEMAS,
    SUPPLIES,
    GraphBatch,
    enterprises_to_models,
    plain_strings,
    supplies_to_models,
)
from .view import CONFIDENCE_CODES, ENV_RATING_CODES, TAG_BITS, ChainView, local_mask

__all__ = ["NEO4J_SCHEMES", "SCHEMA_VERSION", "Neo4jSettings", "Neo4jStore", "NodeLabel"]

#: The version of the graph layout this module reads and writes (as the embedded store's).
SCHEMA_VERSION = "1"
#: URI schemes that name a Neo4j server.

T = TypeVar("T")
Row = dict[str, Any]


class NodeLabel(StrEnum):
    """The node labels of the graph. Queries name labels from here only, never from data."""

    ENTERPRISE = "Enterprise"
    SEGMENT = "Segment"
    CHAIN = "Chain"
    REGION = "Region"
    PRODUCT = "Product"
    INDUSTRY = "Industry"
    PROJECT = "Project"
    META = "ChainScoutMeta"
    COUNTER = "ChainScoutCounter"


@dataclass(frozen=True)
class Neo4jSettings:
    """How to reach one Neo4j database.

    Attributes:
        uri: ``neo4j://``, ``bolt://`` (or their ``+s`` TLS forms) address of the server.
        user: ``CHAINSCOUT_NEO4J_USER``, default ``neo4j``.
        password: ``CHAINSCOUT_NEO4J_PASSWORD``; unset or empty sends no credentials (for
            servers with authentication disabled).
        database: ``CHAINSCOUT_NEO4J_DATABASE``; unset uses the server's default database.
        timeout: ``CHAINSCOUT_NEO4J_TIMEOUT``, seconds one transaction may run (default 600).
        connect_timeout: ``CHAINSCOUT_NEO4J_CONNECT_TIMEOUT``, seconds to wait for a
            connection (default 10).
    """

    uri: str
    user: str = "neo4j"
    password: str | None = None
    database: str | None = None
    timeout: float = 600.0
    connect_timeout: float = 10.0

    @classmethod
    def from_env(cls, uri: str, environ: Mapping[str, str] | None = None) -> Neo4jSettings:
        """Settings for ``uri`` from ``CHAINSCOUT_NEO4J_*`` variables (see the attributes)."""
        env = os.environ if environ is None else environ

        def seconds(name: str, default: float) -> float:
            text = env.get(name, "").strip()
            if not text:
                return default
            try:
                value = float(text)
            except ValueError:
                raise BadInputError(f"{name}={text!r} is not a number of seconds") from None
            if value <= 0:
                raise BadInputError(f"{name} must be more than 0 seconds, not {text}")
            return value

        return cls(
            uri=uri,
            user=env.get("CHAINSCOUT_NEO4J_USER", "").strip() or "neo4j",
            password=env.get("CHAINSCOUT_NEO4J_PASSWORD") or None,
            database=env.get("CHAINSCOUT_NEO4J_DATABASE", "").strip() or None,
            timeout=seconds("CHAINSCOUT_NEO4J_TIMEOUT", 600.0),
            connect_timeout=seconds("CHAINSCOUT_NEO4J_CONNECT_TIMEOUT", 10.0),
        )


# -- schema -------------------------------------------------------------------------------------

_SCHEMA: list[LiteralString] = [
    "CREATE CONSTRAINT chainscout_enterprise_id IF NOT EXISTS"
    " FOR (n:Enterprise) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainscout_segment_id IF NOT EXISTS FOR (n:Segment) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainscout_chain_id IF NOT EXISTS FOR (n:Chain) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainscout_region_code IF NOT EXISTS"
    " FOR (n:Region) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT chainscout_product_name IF NOT EXISTS"
    " FOR (n:Product) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT chainscout_industry_code IF NOT EXISTS"
    " FOR (n:Industry) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT chainscout_project_id IF NOT EXISTS FOR (n:Project) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chainscout_meta_key IF NOT EXISTS"
    " FOR (n:ChainScoutMeta) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT chainscout_counter_name IF NOT EXISTS"
    " FOR (n:ChainScoutCounter) REQUIRE n.name IS UNIQUE",
    "CREATE INDEX chainscout_enterprise_seq IF NOT EXISTS FOR (n:Enterprise) ON (n.seq)",
    "CREATE INDEX chainscout_enterprise_region IF NOT EXISTS FOR (n:Enterprise) ON (n.region)",
    "CREATE INDEX chainscout_segment_chain IF NOT EXISTS FOR (n:Segment) ON (n.chain)",
]

# -- the fields of each table and how a stored row merges with a given one -------------------

_ENT_LISTS = ("aliases", "tags", "industries")
_ENT_FIELDS = [f.name for f in ENTERPRISES if f.name != "id"]
_SUP_FIELDS = ("share", "volume", "source", "since", "seen", "confidence")
_CONF_RANK = {"reported": 0, "inferred": 1, "predicted": 2}
_TABLES = tuple(SCHEMAS)


def _same(a: object, b: object) -> bool:
    """``a IS NOT DISTINCT FROM b``: nulls equal each other, and NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _sorted_union(*lists: Sequence[Any] | None) -> list[Any]:
    out: set[Any] = set()
    for values in lists:
        out.update(values or ())
    return sorted(out)


def _first(*values: T | None) -> T | None:
    """The first value that is not null (SQL ``coalesce``)."""
    for v in values:
        if v is not None:
            return v
    return None


def _least(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    """The earlier of two dates, ignoring nulls."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _native(value: Any) -> Any:
    """Driver temporal values as Python ones (dates, lists of dates)."""
    if isinstance(value, neo4j.time.Date):
        return value.to_native()
    if isinstance(value, list):
        return [_native(v) for v in value]
    return value


def _chunks(rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# -- queries: literal strings, parameters only ------------------------------------------------
#
# The write path sends each chunk of rows as one list per column (``$a``, ``$share``...), walked
# with ``UNWIND range(0, size($a) - 1) AS i``: columns pack into far fewer and smaller Bolt
# values than one map per row. Dates travel as ISO text and become ``date`` values in the query
# (the driver's own date conversion runs in Python, once per value). Reads that answer many keys
# come back as one collected list, not one record per row. Every node looked up by key names its
# index (``USING INDEX``): right after a bulk load the index statistics still say "empty", and
# without the hint the planner may scan the whole index once per row.

_Q_ENT_STORED: LiteralString = (
    "UNWIND $ids AS i MATCH (e:Enterprise {id: i}) USING INDEX e:Enterprise(id)"
    " RETURN collect(properties(e)) AS stored"
)
_Q_ENT_MERGE: LiteralString = "UNWIND $rows AS r MERGE (e:Enterprise {id: r.id}) SET e += r.props"
_Q_ENT_CREATE: LiteralString = (
    "UNWIND range(0, size($id) - 1) AS i CREATE (:Enterprise {id: $id[i], name: $name[i],"
    " aliases: $aliases[i], credit_code: $credit_code[i], region: $region[i],"
    " address: $address[i], revenue: $revenue[i], employees: $employees[i], tags: $tags[i],"
    " industries: $industries[i], energy_intensity: $energy_intensity[i],"
    " env_rating: $env_rating[i], rd_share: $rd_share[i],"
    " investment_intensity: $investment_intensity[i], tax_per_mu: $tax_per_mu[i],"
    " contact: $contact[i], phone: $phone[i], source: $source[i], seq: $seq + i})"
)
_Q_WRITE_LOCK: LiteralString = (
    "MERGE (c:ChainScoutCounter {name: 'enterprise'}) ON CREATE SET c.next = 0"
    " SET c.writes = coalesce(c.writes, 0) + 1"
)
_Q_SEQ: LiteralString = (
    "MERGE (c:ChainScoutCounter {name: 'enterprise'}) ON CREATE SET c.next = 0"
    " WITH c SET c.next = c.next + $n RETURN c.next - $n AS first"
)
_Q_MISSING_ENT: LiteralString = (
    "UNWIND $ids AS i OPTIONAL MATCH (e:Enterprise {id: i}) USING INDEX e:Enterprise(id)"
    " WITH i, e WHERE e IS NULL RETURN collect(i) AS missing"
)
_Q_MISSING_SEG: LiteralString = (
    "UNWIND $ids AS i OPTIONAL MATCH (s:Segment {id: i}) USING INDEX s:Segment(id)"
    " WITH i, s WHERE s IS NULL OR s.chain IS NULL RETURN collect(i) AS missing"
)
#: Which of ``$ids`` already have a link of the table's type going out: only theirs can be stored
#: (a first load, of firms and then of their links, finds none and looks no pair up).
_Q_LINKED: dict[str, LiteralString] = {
    "supplies": (
        "UNWIND $ids AS i MATCH (a:Enterprise {id: i}) USING INDEX a:Enterprise(id)"
        " WHERE EXISTS { (a)-[:SUPPLIES]->() } RETURN collect(i) AS linked"
    ),
    "memberships": (
        "UNWIND $ids AS i MATCH (a:Enterprise {id: i}) USING INDEX a:Enterprise(id)"
        " WHERE EXISTS { (a)-[:IN_SEGMENT]->() } RETURN collect(i) AS linked"
    ),
    "investments": (
        "UNWIND $ids AS i MATCH (a:Enterprise {id: i}) USING INDEX a:Enterprise(id)"
        " WHERE EXISTS { (a)-[:INVESTS_IN]->() } RETURN collect(i) AS linked"
    ),
    "makes": (
        "UNWIND $ids AS i MATCH (a:Enterprise {id: i}) USING INDEX a:Enterprise(id)"
        " WHERE EXISTS { (a)-[:MAKES]->() } RETURN collect(i) AS linked"
    ),
}
_Q_SUP_STORED: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (a:Enterprise {id: $a[i]}) USING INDEX a:Enterprise(id)"
    " MATCH (b:Enterprise {id: $b[i]}) USING INDEX b:Enterprise(id)"
    " CALL (a, b) { MATCH (a)-[r:SUPPLIES]->(b) RETURN r }"
    " RETURN collect([i, properties(r)]) AS stored"
)
_Q_SUP_CREATE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (a:Enterprise {id: $a[i]}) USING INDEX a:Enterprise(id)"
    " MATCH (b:Enterprise {id: $b[i]}) USING INDEX b:Enterprise(id)"
    " CREATE (a)-[:SUPPLIES {share: $share[i], volume: $volume[i], source: $source[i],"
    " since: date($since[i]), seen: [d IN $seen[i] | date(d)], confidence: $confidence[i]}]->(b)"
)
_Q_SUP_MERGE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (a:Enterprise {id: $a[i]}) USING INDEX a:Enterprise(id)"
    " MATCH (b:Enterprise {id: $b[i]}) USING INDEX b:Enterprise(id)"
    " MERGE (a)-[x:SUPPLIES]->(b) SET x = {share: $share[i], volume: $volume[i],"
    " source: $source[i], since: date($since[i]), seen: [d IN $seen[i] | date(d)],"
    " confidence: $confidence[i]}"
)
_Q_MEM_STORED: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (e:Enterprise {id: $a[i]}) USING INDEX e:Enterprise(id)"
    " MATCH (s:Segment {id: $b[i]}) USING INDEX s:Segment(id)"
    " CALL (e, s) { MATCH (e)-[m:IN_SEGMENT]->(s) RETURN m }"
    " RETURN collect([i, m.share]) AS stored"
)
_Q_MEM_CREATE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (e:Enterprise {id: $a[i]}) USING INDEX e:Enterprise(id)"
    " MATCH (s:Segment {id: $b[i]}) USING INDEX s:Segment(id)"
    " CREATE (e)-[:IN_SEGMENT {share: $share[i]}]->(s)"
)
_Q_MEM_MERGE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (e:Enterprise {id: $a[i]}) USING INDEX e:Enterprise(id)"
    " MATCH (s:Segment {id: $b[i]}) USING INDEX s:Segment(id)"
    " MERGE (e)-[m:IN_SEGMENT]->(s) SET m.share = $share[i]"
)
_Q_INV_STORED: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (a:Enterprise {id: $a[i]}) USING INDEX a:Enterprise(id)"
    " MATCH (b:Enterprise {id: $b[i]}) USING INDEX b:Enterprise(id)"
    " CALL (a, b) { MATCH (a)-[x:INVESTS_IN]->(b) RETURN x }"
    " RETURN collect([i, x.share]) AS stored"
)
_Q_INV_CREATE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (a:Enterprise {id: $a[i]}) USING INDEX a:Enterprise(id)"
    " MATCH (b:Enterprise {id: $b[i]}) USING INDEX b:Enterprise(id)"
    " CREATE (a)-[:INVESTS_IN {share: $share[i]}]->(b)"
)
_Q_INV_MERGE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (a:Enterprise {id: $a[i]}) USING INDEX a:Enterprise(id)"
    " MATCH (b:Enterprise {id: $b[i]}) USING INDEX b:Enterprise(id)"
    " MERGE (a)-[x:INVESTS_IN]->(b) SET x.share = coalesce($share[i], x.share)"
)
_Q_MAK_STORED: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (e:Enterprise {id: $a[i]}) USING INDEX e:Enterprise(id)"
    " MATCH (q:Product {name: $b[i]}) USING INDEX q:Product(name)"
    " CALL (e, q) { MATCH (e)-[k:MAKES]->(q) RETURN k }"
    " RETURN collect([i, k.share]) AS stored"
)
_Q_MAK_MERGE: LiteralString = (
    "UNWIND range(0, size($a) - 1) AS i"
    " MATCH (e:Enterprise {id: $a[i]}) USING INDEX e:Enterprise(id)"
    " MERGE (q:Product {name: $b[i]})"
    " MERGE (e)-[k:MAKES]->(q) SET k.share = coalesce($share[i], k.share)"
)
_Q_PL_STORED: LiteralString = (
    "UNWIND $keys AS k MATCH (a:Product {name: k[0]}) USING INDEX a:Product(name)"
    " MATCH (b:Product {name: k[1]}) USING INDEX b:Product(name)"
    " CALL (a, b, k) { MATCH (a)-[l:PRODUCT_LINK]->(b) WHERE l.relation = k[2] RETURN l }"
    " RETURN k AS key"
)
_Q_PL_MERGE: LiteralString = (
    "UNWIND $keys AS k MERGE (a:Product {name: k[0]}) MERGE (b:Product {name: k[1]})"
    " MERGE (a)-[:PRODUCT_LINK {relation: k[2]}]->(b)"
)
_Q_IND_STORED: LiteralString = (
    "UNWIND $keys AS k MATCH (i:Industry {code: k[0]}) USING INDEX i:Industry(code)"
    " WHERE i.name IS NOT NULL"
    " RETURN [i.code] AS key, {name: i.name, level: i.level, parent: i.parent,"
    " scheme: i.scheme} AS values"
)
_Q_IND_MERGE: LiteralString = (
    "UNWIND $rows AS r MERGE (i:Industry {code: r.key[0]})"
    " SET i.name = r.values.name, i.level = r.values.level, i.parent = r.values.parent,"
    " i.scheme = r.values.scheme"
)
_Q_IL_STORED: LiteralString = (
    "UNWIND $keys AS k MATCH (u:Industry {code: k[1]}) USING INDEX u:Industry(code)"
    " MATCH (i:Industry {code: k[0]}) USING INDEX i:Industry(code)"
    " CALL (u, i) { MATCH (u)-[l:INDUSTRY_UPSTREAM]->(i) RETURN l }"
    " RETURN k AS key, {weight: l.weight} AS values"
)
_Q_IL_MERGE: LiteralString = (
    "UNWIND $rows AS r MERGE (i:Industry {code: r.key[0]}) MERGE (u:Industry {code: r.key[1]})"
    " MERGE (u)-[l:INDUSTRY_UPSTREAM]->(i) SET l.weight = r.values.weight"
)

_Q_ENT_FIELDS: LiteralString = (
    "e.id AS id, e.name AS name, e.aliases AS aliases, e.credit_code AS credit_code,"
    " e.region AS region, e.address AS address, e.revenue AS revenue, e.employees AS employees,"
    " e.tags AS tags, e.industries AS industries, e.energy_intensity AS energy_intensity,"
    " e.env_rating AS env_rating, e.rd_share AS rd_share,"
    " e.investment_intensity AS investment_intensity, e.tax_per_mu AS tax_per_mu,"
    " e.contact AS contact, e.phone AS phone, e.source AS source"
)
_Q_SUP_FIELDS: LiteralString = (
    "a.id AS supplier, b.id AS customer, r.share AS share, r.volume AS volume,"
    " r.source AS source, r.since AS since, r.seen AS seen, r.confidence AS confidence"
)

#: Per-hop neighbour queries by direction (the type is fixed; only ids are parameters).
_Q_HOP: dict[Direction, LiteralString] = {
    Direction.OUT: (
        "UNWIND $frontier AS f MATCH (:Enterprise {id: f})-[:SUPPLIES]->(e:Enterprise)"
        " WHERE NOT e.id IN $visited WITH DISTINCT e"
        " RETURN e.id AS id ORDER BY e.revenue IS NULL, e.revenue DESC, e.id LIMIT $limit"
    ),
    Direction.IN: (
        "UNWIND $frontier AS f MATCH (:Enterprise {id: f})<-[:SUPPLIES]-(e:Enterprise)"
        " WHERE NOT e.id IN $visited WITH DISTINCT e"
        " RETURN e.id AS id ORDER BY e.revenue IS NULL, e.revenue DESC, e.id LIMIT $limit"
    ),
    Direction.BOTH: (
        "UNWIND $frontier AS f MATCH (:Enterprise {id: f})-[:SUPPLIES]-(e:Enterprise)"
        " WHERE NOT e.id IN $visited WITH DISTINCT e"
        " RETURN e.id AS id ORDER BY e.revenue IS NULL, e.revenue DESC, e.id LIMIT $limit"
    ),
}

#: How each exported table is read, one page of firms (by ``seq``) at a time.
_Q_EXPORT_PAGED: dict[str, LiteralString] = {
    "enterprises": (
        "MATCH (e:Enterprise) WHERE $lo <= e.seq < $hi RETURN e.seq AS k1, 0 AS k2, '' AS k3, "
        + _Q_ENT_FIELDS
    ),
    "supplies": (
        "MATCH (a:Enterprise) WHERE $lo <= a.seq < $hi MATCH (a)-[r:SUPPLIES]->(b:Enterprise)"
        " RETURN a.seq AS k1, b.seq AS k2, '' AS k3, " + _Q_SUP_FIELDS
    ),
    "memberships": (
        "MATCH (e:Enterprise) WHERE $lo <= e.seq < $hi MATCH (e)-[m:IN_SEGMENT]->(s:Segment)"
        " RETURN e.seq AS k1, 0 AS k2, s.id AS k3, e.id AS enterprise, s.id AS segment,"
        " m.share AS share"
    ),
    "investments": (
        "MATCH (a:Enterprise) WHERE $lo <= a.seq < $hi MATCH (a)-[i:INVESTS_IN]->(b:Enterprise)"
        " RETURN a.seq AS k1, b.seq AS k2, '' AS k3, a.id AS investor, b.id AS investee,"
        " i.share AS share"
    ),
    "makes": (
        "MATCH (e:Enterprise) WHERE $lo <= e.seq < $hi MATCH (e)-[k:MAKES]->(p:Product)"
        " RETURN e.seq AS k1, 0 AS k2, p.name AS k3, e.id AS enterprise, p.name AS product,"
        " k.share AS share"
    ),
}
#: Tables without enterprises, small enough to read whole and sort here.
_Q_EXPORT_WHOLE: dict[str, tuple[LiteralString, tuple[str, ...]]] = {
    "product_links": (
        "MATCH (a:Product)-[l:PRODUCT_LINK]->(b:Product)"
        " RETURN a.name AS product, b.name AS related, l.relation AS relation",
        ("product", "related", "relation"),
    ),
    "industries": (
        "MATCH (i:Industry) WHERE i.name IS NOT NULL RETURN i.code AS code, i.name AS name,"
        " i.level AS level, i.parent AS parent, i.scheme AS scheme",
        ("code",),
    ),
    "industry_links": (
        "MATCH (u:Industry)-[l:INDUSTRY_UPSTREAM]->(i:Industry)"
        " RETURN i.code AS industry, u.code AS upstream, l.weight AS weight",
        ("industry", "upstream"),
    ),
}
_EXPORT_SCHEMAS: dict[str, pa.Schema] = {
    "enterprises": ENTERPRISES,
    "supplies": SUPPLIES,
    "memberships": MEMBERSHIPS,
    "investments": INVESTMENTS,
    "makes": MAKES,
    "product_links": PRODUCT_LINKS,
    "industries": INDUSTRIES,
    "industry_links": INDUSTRY_LINKS,
}


class Neo4jStore(StoreBase):
    """A store in a Neo4j database (see the module docstring).

    Args:
        uri: the server, e.g. ``neo4j://db.example:7687`` (the ``--store`` value).
        read_only: refuse writes, and do not create constraints and indexes.
        settings: connection settings; by default :meth:`Neo4jSettings.from_env` for ``uri``.
        chunk_rows: rows per ``UNWIND`` statement within a write transaction.
    """

    def __init__(
        self,
        uri: str,
        *,
        read_only: bool = False,
        settings: Neo4jSettings | None = None,
        chunk_rows: int = 10_000,
    ) -> None:
        self.settings = settings or Neo4jSettings.from_env(uri)
        self.location = self.settings.uri
        self.read_only = read_only
        self.chunk_rows = chunk_rows
        s = self.settings
        auth = (s.user, s.password) if s.password else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                s.uri,
                auth=auth,
                connection_timeout=s.connect_timeout,
                notifications_min_severity="OFF",
                user_agent="chainscout",
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as err:
            raise StoreUnavailableError(f"{s.uri} is not a usable Neo4j address: {err}") from None
        try:
            with self._translate():
                self._driver.verify_connectivity()
                if not read_only:
                    self._create_schema()
                    if self.get_meta("schema_version") is None:
                        self.set_meta("schema_version", SCHEMA_VERSION)
            version = self.get_meta("schema_version")
        except BaseException:
            self._driver.close()
            raise
        if version not in (None, SCHEMA_VERSION):
            self._driver.close()
            raise StoreUnavailableError(
                f"The Neo4j store {self.location} has schema version {version}; this"
                f" ChainScout reads version {SCHEMA_VERSION}. Upgrade ChainScout or export and"
                " reload the data."
            )

    def close(self) -> None:
        self._driver.close()

    # -- driver plumbing --------------------------------------------------------------------

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """Driver errors as ChainScout errors that say what to fix."""
        where = f"Neo4j at {self.location}"
        try:
            yield
        except neo4j.exceptions.AuthError:
            raise StoreUnavailableError(
                f"{where} refused the credentials of user {self.settings.user!r}: set"
                " CHAINSCOUT_NEO4J_USER and CHAINSCOUT_NEO4J_PASSWORD."
            ) from None
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as err:
            raise StoreUnavailableError(
                f"{where} does not answer ({err}). Start the server, or check the address."
            ) from None
        except neo4j.exceptions.TransientError as err:
            if "MemoryPoolOutOfMemory" in (err.code or ""):
                raise StoreUnavailableError(
                    f"One write was too large for the transaction memory of {where}: write"
                    " smaller batches, or raise db.memory.transaction.total.max on the server."
                ) from None
            raise
        except neo4j.exceptions.ClientError as err:
            code = err.code or ""
            if "TransactionTimedOut" in code:
                raise StoreUnavailableError(
                    f"A transaction on {where} ran longer than {self.settings.timeout:g} s:"
                    " raise CHAINSCOUT_NEO4J_TIMEOUT, or write smaller batches."
                ) from None
            if "DatabaseNotFound" in code:
                raise StoreUnavailableError(
                    f"{where} has no database {self.settings.database!r}: check"
                    " CHAINSCOUT_NEO4J_DATABASE."
                ) from None
            raise

    def _session(self, mode: str) -> neo4j.Session:
        return self._driver.session(database=self.settings.database, default_access_mode=mode)

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """Run ``work`` in one managed read transaction with the query timeout."""
        with self._translate(), self._session(neo4j.READ_ACCESS) as session:
            return session.execute_read(neo4j.unit_of_work(timeout=self.settings.timeout)(work))

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        """Run ``work`` in one managed write transaction: it commits whole or not at all."""
        self._writable()
        with self._translate(), self._session(neo4j.WRITE_ACCESS) as session:
            return session.execute_write(neo4j.unit_of_work(timeout=self.settings.timeout)(work))

    def _rows(self, query: LiteralString, **params: Any) -> list[Row]:
        """The records of one read query as dicts."""
        return self._read(lambda tx: tx.run(query, params).data())

    def _writable(self) -> None:
        if self.read_only:
            raise StoreUnavailableError(
                f"The store {self.location} was opened read-only; open it for writing."
            )

    def _create_schema(self) -> None:
        """Create the uniqueness constraints and indexes (each once; later calls are no-ops)."""
        existing = {r["name"] for r in self._rows("SHOW CONSTRAINTS YIELD name RETURN name")} | {
            r["name"] for r in self._rows("SHOW INDEXES YIELD name RETURN name")
        }
        missing = [q for q in _SCHEMA if q.split()[2] not in existing]
        if not missing:
            return
        with self._session(neo4j.WRITE_ACCESS) as session:
            for statement in missing:
                session.run(statement).consume()
            session.run("CALL db.awaitIndexes($seconds)", seconds=300).consume()

    # -- meta -------------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            lambda tx: tx.run(
                "MERGE (m:ChainScoutMeta {key: $key}) SET m.value = $value",
                key=key,
                value=value,
            ).consume()
        )

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("MATCH (m:ChainScoutMeta {key: $key}) RETURN m.value AS value", key=key)
        return str(rows[0]["value"]) if rows else None

    def list_meta(self) -> dict[str, str]:
        """Every meta key and its value, by key."""
        rows = self._rows("MATCH (m:ChainScoutMeta) RETURN m.key AS key, m.value AS value")
        return {str(r["key"]): str(r["value"]) for r in sorted(rows, key=lambda r: r["key"])}

    # -- writes -----------------------------------------------------------------------------

    def write(self, batch: GraphBatch) -> WriteSummary:
        """Upsert a batch in one transaction; raises ``ValidationFailed`` (writing nothing) when a
        row is bad or a link names an enterprise or segment that is neither stored nor given."""
        self._writable()
        problems = batch.problems()
        if problems:
            raise ValidationFailed(problems, what="the batch")
        # link ends may arrive dictionary-encoded; the writer sends plain values
        tables = {name: plain_strings(t) for name, t in batch.tables().items()}
        return self._write(lambda tx: _BatchWriter(tx, tables, self.chunk_rows).run())

    def upsert_chain(self, chain: Chain) -> None:
        """Store a chain template, replacing an earlier version of the same chain."""
        ids = [s.id for s in chain.segments]
        segments = [
            {
                "id": s.id,
                "chain": chain.id,
                "position": i,
                "name": s.name,
                "name_en": s.name_en,
                "level": s.level,
                "parent": s.parent,
                "keywords": list(s.keywords),
                "industry_codes": list(s.industry_codes),
                "description": s.description,
            }
            for i, s in enumerate(chain.segments)
        ]
        feeds = [
            {"up": f.upstream, "down": f.downstream, "coefficient": f.coefficient}
            for f in chain.feeds
        ]

        def work(tx: neo4j.ManagedTransaction) -> None:
            clash = tx.run(
                "MATCH (s:Segment) WHERE s.id IN $ids AND s.chain IS NOT NULL"
                " AND s.chain <> $chain RETURN s.id AS id, s.chain AS chain ORDER BY s.id LIMIT 1",
                ids=ids,
                chain=chain.id,
            ).data()
            if clash:
                raise BadInputError(
                    f"segment id {clash[0]['id']!r} already belongs to chain"
                    f" {clash[0]['chain']!r}: segment ids are unique across chains (prefix them"
                    " with the chain id)"
                )
            tx.run(
                "MATCH (:Segment {chain: $chain})-[f:FEEDS]->() DELETE f", chain=chain.id
            ).consume()
            # segments dropped from the chain keep their node (memberships point at it)
            tx.run(
                "MATCH (s:Segment {chain: $chain}) WHERE NOT s.id IN $ids SET s = {id: s.id}",
                chain=chain.id,
                ids=ids,
            ).consume()
            tx.run(
                "MERGE (c:Chain {id: $id})"
                " SET c.name = $name, c.name_en = $name_en, c.description = $description",
                id=chain.id,
                name=chain.name,
                name_en=chain.name_en,
                description=chain.description,
            ).consume()
            tx.run(
                "UNWIND $segments AS s MERGE (n:Segment {id: s.id}) SET n = s", segments=segments
            ).consume()
            tx.run(
                "UNWIND $feeds AS f MATCH (u:Segment {id: f.up}) MATCH (d:Segment {id: f.down})"
                " CREATE (u)-[:FEEDS {chain: $chain, coefficient: f.coefficient}]->(d)",
                feeds=feeds,
                chain=chain.id,
            ).consume()

        self._write(work)

    def upsert_regions(self, regions: Iterable[Region]) -> None:
        rows = [{"code": r.code, "name": r.name, "level": r.level, "parent": r.parent}
                for r in regions]  # fmt: skip
        if not rows:
            return
        self._write(
            lambda tx: tx.run(
                "UNWIND $rows AS r MERGE (n:Region {code: r.code})"
                " SET n.name = r.name, n.level = r.level, n.parent = r.parent",
                rows=rows,
            ).consume()
        )

    def upsert_projects(self, projects: Iterable[Project]) -> WriteSummary:
        """Store projects (replacing earlier versions by id) in one transaction. A project is a
        node holding its whole record as JSON, with its firm, home region and stage beside it
        for queries."""
        rows = [
            {"id": p.id, "enterprise": p.enterprise, "home_region": p.home_region,
             "stage": p.stage.value if p.stage else None, "doc": p.model_dump_json()}
            for p in projects
        ]  # fmt: skip

        def work(tx: neo4j.ManagedTransaction) -> dict[str, str]:
            before = {
                r["id"]: r["doc"]
                for r in tx.run(
                    "UNWIND $ids AS i MATCH (p:Project {id: i}) RETURN p.id AS id, p.doc AS doc",
                    ids=[r["id"] for r in rows],
                )
            }
            for part in _chunks(rows, 10_000):
                tx.run(
                    "UNWIND $rows AS r MERGE (p:Project {id: r.id}) SET p = r", rows=list(part)
                ).consume()
            return before

        before = self._write(work)
        new = sum(1 for r in rows if r["id"] not in before)
        updated = sum(1 for r in rows if r["id"] in before and before[r["id"]] != r["doc"])
        return WriteSummary(
            given={"projects": len(rows)}, new={"projects": new}, updated={"projects": updated}
        )

    def list_projects(self) -> list[Project]:
        """Every stored project, by id."""
        rows = self._rows("MATCH (p:Project) RETURN p.id AS id, p.doc AS doc")
        return [Project.model_validate_json(r["doc"]) for r in sorted(rows, key=lambda r: r["id"])]

    def get_project(self, project_id: str) -> Project:
        rows = self._rows("MATCH (p:Project {id: $id}) RETURN p.doc AS doc", id=project_id)
        if not rows:
            raise NotFoundError("project", project_id)
        return Project.model_validate_json(rows[0]["doc"])

    def _landed(self, home: str) -> set[str]:
        """Enterprises whose projects reached production inside ``home`` (they count as local)."""
        rows = self._rows(
            "MATCH (p:Project) WHERE p.stage IN $stages"
            " RETURN p.enterprise AS enterprise, p.home_region AS home_region",
            stages=[s.value for s in LANDED_STAGES],
        )
        return {str(r["enterprise"]) for r in rows if is_within(str(r["home_region"]), home)}

    # -- reads ------------------------------------------------------------------------------

    def get_enterprise(self, enterprise_id: str) -> Enterprise:
        found = self.get_enterprises([enterprise_id])
        if not found:
            raise NotFoundError("enterprise", enterprise_id)
        return found[0]

    def get_enterprises(self, ids: Iterable[str]) -> list[Enterprise]:
        """The stored enterprises among ``ids``, in the order asked (unknown ids are skipped)."""
        wanted = list(ids)
        rows = self._rows(
            "UNWIND $ids AS i MATCH (e:Enterprise {id: i}) WITH DISTINCT e RETURN " + _Q_ENT_FIELDS,
            ids=wanted,
        )
        by_id = {e.id: e for e in enterprises_to_models(_table(rows, ENTERPRISES))}
        return [by_id[i] for i in wanted if i in by_id]

    def find_enterprises(self, text: str, limit: int = 20) -> list[Enterprise]:
        """Firms whose id, credit code, name or alias contains ``text``, largest first."""
        rows = self._rows(
            "MATCH (e:Enterprise) WHERE e.id = $text OR e.credit_code = $upper"
            " OR e.name CONTAINS $text OR $text IN e.aliases"
            " WITH e ORDER BY e.id = $text DESC, e.revenue IS NULL, e.revenue DESC, e.id"
            " LIMIT $limit RETURN " + _Q_ENT_FIELDS,
            text=text,
            upper=text.upper(),
            limit=limit,
        )
        return enterprises_to_models(_table(rows, ENTERPRISES))

    def supplies_of(self, enterprise_id: str) -> list[Supplies]:
        """Every stored supply link in which the firm is supplier or customer."""

        def work(tx: neo4j.ManagedTransaction) -> list[Row] | None:
            if tx.run("MATCH (e:Enterprise {id: $id}) RETURN 1", id=enterprise_id).peek() is None:
                return None
            return tx.run(
                "MATCH (a:Enterprise {id: $id})-[r:SUPPLIES]->(b:Enterprise) RETURN "
                + _Q_SUP_FIELDS
                + " UNION ALL MATCH (a:Enterprise)-[r:SUPPLIES]->(b:Enterprise {id: $id}) RETURN "
                + _Q_SUP_FIELDS,
                id=enterprise_id,
            ).data()

        rows = self._read(work)
        if rows is None:
            raise NotFoundError("enterprise", enterprise_id)
        rows.sort(key=lambda r: (r["supplier"], r["customer"]))
        return supplies_to_models(_table(rows, SUPPLIES))

    def list_chains(self) -> list[Chain]:
        ids = sorted(r["id"] for r in self._rows("MATCH (c:Chain) RETURN c.id AS id"))
        return [self.get_chain(i) for i in ids]

    def get_chain(self, chain_id: str) -> Chain:
        def work(tx: neo4j.ManagedTransaction) -> tuple[list[Row], list[Row], list[Row]]:
            chain = tx.run(
                "MATCH (c:Chain {id: $id}) RETURN c.id AS id, c.name AS name,"
                " c.name_en AS name_en, c.description AS description",
                id=chain_id,
            ).data()
            segments = tx.run(
                "MATCH (s:Segment {chain: $id}) RETURN properties(s) AS s ORDER BY s.position",
                id=chain_id,
            ).data()
            feeds = tx.run(
                "MATCH (u:Segment)-[f:FEEDS {chain: $id}]->(d:Segment) RETURN u.id AS upstream,"
                " d.id AS downstream, f.coefficient AS coefficient",
                id=chain_id,
            ).data()
            return chain, segments, feeds

        chain_rows, segment_rows, feed_rows = self._read(work)
        if not chain_rows:
            raise NotFoundError("chain", chain_id)
        row = chain_rows[0]
        segments = []
        for r in segment_rows:
            s = r["s"]
            segments.append(
                Segment(
                    id=s["id"],
                    chain=s["chain"],
                    name=s["name"],
                    name_en=s.get("name_en"),
                    level=s["level"],
                    parent=s.get("parent"),
                    keywords=tuple(s.get("keywords") or ()),
                    industry_codes=tuple(s.get("industry_codes") or ()),
                    description=s.get("description"),
                )
            )
        feed_rows.sort(key=lambda r: (r["upstream"], r["downstream"]))
        feeds = [Feeds(**r) for r in feed_rows]
        return Chain(
            id=row["id"], name=row["name"], name_en=row["name_en"],
            description=row["description"], segments=tuple(segments), feeds=tuple(feeds),
        )  # fmt: skip

    def list_regions(self) -> list[Region]:
        rows = self._rows(
            "MATCH (r:Region) RETURN r.code AS code, r.name AS name, r.level AS level,"
            " r.parent AS parent"
        )
        return [Region(**r) for r in sorted(rows, key=lambda r: r["code"])]

    def get_region(self, code: str) -> Region:
        rows = self._rows(
            "MATCH (r:Region {code: $code}) RETURN r.code AS code, r.name AS name,"
            " r.level AS level, r.parent AS parent",
            code=code.strip().upper(),
        )
        if not rows:
            raise NotFoundError("region", code)
        return Region(**rows[0])

    def counts(self) -> StoreCounts:
        # relationship counts without labels come from Neo4j's count store, in constant time
        rows = self._rows(
            "CALL { MATCH (n:Enterprise) RETURN count(n) AS enterprises }"
            " CALL { MATCH ()-[r:SUPPLIES]->() RETURN count(r) AS supplies }"
            " CALL { MATCH ()-[r:IN_SEGMENT]->() RETURN count(r) AS memberships }"
            " CALL { MATCH ()-[r:INVESTS_IN]->() RETURN count(r) AS investments }"
            " CALL { MATCH (n:Chain) RETURN count(n) AS chains }"
            " CALL { MATCH (n:Segment) WHERE n.chain IS NOT NULL RETURN count(n) AS segments }"
            " CALL { MATCH ()-[r:FEEDS]->() RETURN count(r) AS feeds }"
            " CALL { MATCH (n:Region) RETURN count(n) AS regions }"
            " CALL { MATCH ()-[r:MAKES]->() RETURN count(r) AS makes }"
            " CALL { MATCH ()-[r:PRODUCT_LINK]->() RETURN count(r) AS product_links }"
            " CALL { MATCH (n:Industry) WHERE n.name IS NOT NULL RETURN count(n) AS industries }"
            " CALL { MATCH ()-[r:INDUSTRY_UPSTREAM]->() RETURN count(r) AS industry_links }"
            " CALL { MATCH (n:Project) RETURN count(n) AS projects }"
            " RETURN *"
        )
        return StoreCounts(**{k: int(v) for k, v in rows[0].items()})

    def local_count(self, home_region: str) -> int:
        """How many stored firms lie inside a home region."""
        home = check_region_code(home_region)
        if len(home) == 2 and home != "CN":
            rows = self._rows(
                "MATCH (e:Enterprise) WHERE e.region = $home RETURN count(e) AS n", home=home
            )
        else:
            rows = self._rows(
                "MATCH (e:Enterprise) WHERE e.region STARTS WITH $prefix"
                " AND size(e.region) = 6 RETURN count(e) AS n",
                prefix=region_prefix(home),
            )
        return int(rows[0]["n"])

    def neighbours(
        self,
        enterprise_id: str,
        hops: int = 1,
        direction: Direction | str = Direction.BOTH,
        budget: int = 500,
    ) -> Neighbourhood:
        """Firms up to ``hops`` supply links away, at most ``budget`` of them (centre included);
        at each hop the largest firms by revenue (then id) are kept first."""
        direction = Direction(direction)
        if hops < 0:
            raise BadInputError(f"hops must be 0 or more, not {hops}")
        if budget < 1:
            raise BadInputError(f"the node budget must be at least 1, not {budget}")
        hop_query = _Q_HOP[direction]

        def work(tx: neo4j.ManagedTransaction) -> tuple[dict[str, int], bool, list[Row]]:
            if tx.run("MATCH (e:Enterprise {id: $id}) RETURN 1", id=enterprise_id).peek() is None:
                raise NotFoundError("enterprise", enterprise_id)
            visited: dict[str, int] = {enterprise_id: 0}
            frontier = [enterprise_id]
            truncated = False
            for hop in range(1, hops + 1):
                if not frontier:
                    break
                room = budget - len(visited)
                found = [
                    r["id"]
                    for r in tx.run(
                        hop_query, frontier=frontier, visited=list(visited), limit=max(room, 0) + 1
                    )
                ]
                if len(found) > room:
                    truncated = True
                    found = found[: max(room, 0)]
                frontier = found
                for i in frontier:
                    visited[i] = hop
                if room <= 0:
                    break
            nodes = tx.run(
                "UNWIND $ids AS i MATCH (e:Enterprise {id: i})"
                " RETURN e.id AS id, e.name AS name, e.region AS region",
                ids=list(visited),
            ).data()
            links = tx.run(
                "UNWIND $ids AS i MATCH (a:Enterprise {id: i})-[r:SUPPLIES]->(b:Enterprise)"
                " WHERE b.id IN $ids RETURN a.id AS a, b.id AS b, r.confidence AS confidence",
                ids=list(visited),
            ).data()
            return visited, truncated, [*nodes, {"links": links}]

        visited, truncated, rows = self._read(work)
        links = rows.pop()["links"]
        by_id = {r["id"]: r for r in rows}
        ordered = sorted(visited, key=lambda i: (visited[i], i))
        links.sort(key=lambda r: (r["a"], r["b"]))
        return Neighbourhood(
            center=enterprise_id,
            hops=hops,
            direction=direction,
            budget=budget,
            truncated=truncated,
            nodes=[
                Neighbour(id=i, name=by_id[i]["name"], region=by_id[i]["region"], hop=visited[i])
                for i in ordered
            ],
            links=[
                NeighbourLink(supplier=r["a"], customer=r["b"], confidence=r["confidence"])
                for r in links
            ],
        )

    def view(self, chain_id: str, home_region: str) -> ChainView:
        """The view of one chain from one home region (see ``graph.view``), pulled with Cypher:
        the chain's segments, the firms in them and the supply links among those firms only."""
        try:
            home = check_region_code(home_region)
        except ValueError as err:
            raise BadInputError(f"home region: {err}") from None
        chain = self.get_chain(chain_id)
        segment_ids = [s.id for s in chain.ordered_segments()]

        def work(tx: neo4j.ManagedTransaction) -> tuple[list[list[Any]], ...]:
            members = tx.run(
                "MATCH (e:Enterprise)-[m:IN_SEGMENT]->(s:Segment) WHERE s.id IN $segments"
                " RETURN e.seq, s.id, m.share",
                segments=segment_ids,
            ).values()
            firms = tx.run(
                "MATCH (e:Enterprise)-[:IN_SEGMENT]->(s:Segment) WHERE s.id IN $segments"
                " WITH DISTINCT e RETURN e.seq, e.id, e.name, e.region, e.revenue, e.employees,"
                " e.tags, e.energy_intensity, e.env_rating, e.rd_share, e.investment_intensity,"
                " e.tax_per_mu",
                segments=segment_ids,
            ).values()
            links = tx.run(
                "MATCH (a:Enterprise)-[:IN_SEGMENT]->(s:Segment) WHERE s.id IN $segments"
                " WITH DISTINCT a MATCH (a)-[r:SUPPLIES]->(b:Enterprise)"
                " WHERE EXISTS { MATCH (b)-[:IN_SEGMENT]->(t:Segment) WHERE t.id IN $segments }"
                " RETURN a.seq, b.seq, r.share, r.volume, r.confidence, r.seen, r.since",
                segments=segment_ids,
            ).values()
            return members, firms, links

        members, firms, links = self._read(work)
        firms.sort(key=lambda r: r[1])  # rows by id, as the embedded store's views
        row_of_seq = {r[0]: i for i, r in enumerate(firms)}
        seg_pos = {s: i for i, s in enumerate(segment_ids)}

        def rows_of(values: Iterable[int]) -> np.ndarray:
            return np.array([row_of_seq[v] for v in values], dtype=np.int64)

        def floats(values: Iterable[Any]) -> np.ndarray:
            return np.array([np.nan if v is None else float(v) for v in values], np.float64)

        epoch = dt.date(1970, 1, 1)
        last_seen = []
        for r in links:
            seen, since = _native(r[5]) or [], _native(r[6])
            last = max(seen) if seen else since
            last_seen.append(-1 if last is None else (last - epoch).days)
        ids = [r[1] for r in firms]
        landed = self._landed(home)
        is_local = local_mask(np.array([r[3] for r in firms], dtype=object), home)
        if landed:  # a project in production makes its firm local to the home region
            is_local = is_local | np.array([i in landed for i in ids], dtype=bool)
        return ChainView.from_arrays(
            chain=chain,
            home_region=home,
            is_local=is_local,
            ids=ids,
            names=[r[2] for r in firms],
            regions=np.array([r[3] for r in firms], dtype=object),
            segment_ids=segment_ids,
            member_firm=rows_of(r[0] for r in members),
            member_segment=np.array([seg_pos[r[1]] for r in members], np.int64),
            member_share=floats(r[2] for r in members),
            supplier=rows_of(r[0] for r in links),
            customer=rows_of(r[1] for r in links),
            revenue=floats(r[4] for r in firms),
            employees=floats(r[5] for r in firms),
            tag_bits=np.array(
                [sum(TAG_BITS.get(t, 0) for t in (r[6] or ())) for r in firms], np.int64
            ),
            energy_intensity=floats(r[7] for r in firms),
            env_rating=np.array([ENV_RATING_CODES.get(r[8] or "", 0) for r in firms], np.int8),
            rd_share=floats(r[9] for r in firms),
            investment_intensity=floats(r[10] for r in firms),
            tax_per_mu=floats(r[11] for r in firms),
            link_share=floats(r[2] for r in links),
            link_volume=floats(r[3] for r in links),
            link_confidence=np.array([CONFIDENCE_CODES.get(r[4], 0) for r in links], np.int8),
            link_last_seen=np.array(last_seen, np.int64),
            link_times_seen=np.array([len(r[5] or ()) for r in links], np.int64),
        )

    def export_tables(self, batch_rows: int = 100_000) -> Iterator[GraphBatch]:
        """The whole store as batches (enterprises first, then links), for export and copy.

        Tables with firms are read a page of firms at a time (by ``seq``, an index range), so
        that a store larger than memory streams out; rows come in the embedded store's order."""
        for name in _TABLES:
            schema = _EXPORT_SCHEMAS[name]
            buffer: list[Row] = []
            for rows in self._table_pages(name, batch_rows):
                buffer.extend(rows)
                while len(buffer) >= batch_rows:
                    yield GraphBatch(**{name: _table(buffer[:batch_rows], schema)})
                    del buffer[:batch_rows]
            if buffer:
                yield GraphBatch(**{name: _table(buffer, schema)})

    def table(self, name: str, columns: Sequence[str] | None = None) -> pa.Table:
        """One whole logical table with enterprise ids (``makes``, ``product_links``,
        ``industries``, ``industry_links``, ``memberships`` ...), for chain mapping and
        derivation; only ``columns`` of it when given. Use views for analysis of firms and
        links."""
        if name not in _EXPORT_SCHEMAS:
            raise BadInputError(f"no table {name!r}; tables: {', '.join(sorted(_EXPORT_SCHEMAS))}")
        schema = _EXPORT_SCHEMAS[name]
        unknown = [c for c in columns or () if c not in schema.names]
        if unknown:
            raise BadInputError(f"no column {unknown[0]!r}; columns: {', '.join(schema.names)}")
        rows: list[Row] = []
        for page in self._table_pages(name, 100_000):
            rows.extend(page)
        table = _table(rows, schema)
        return table if columns is None else table.select(list(columns))

    def _table_pages(self, name: str, batch_rows: int) -> Iterator[list[Row]]:
        """The rows of one table in order, a page at a time (each page one read transaction)."""
        if name in _Q_EXPORT_WHOLE:
            query, keys = _Q_EXPORT_WHOLE[name]
            rows = self._rows(query)
            rows.sort(key=lambda r: tuple(r[k] for k in keys))
            yield rows
            return
        paged = _Q_EXPORT_PAGED[name]
        top = self._rows("MATCH (e:Enterprise) RETURN max(e.seq) AS top")[0]["top"]
        if top is None:
            return
        # pages of firms: enough for about one batch of link rows each
        step = max(1000, batch_rows // 5) if name != "enterprises" else max(1000, batch_rows)
        for lo in range(0, int(top) + 1, step):
            rows = self._rows(paged, lo=lo, hi=lo + step)
            rows.sort(key=lambda r: (r["k1"], r["k2"], r["k3"]))
            for r in rows:
                del r["k1"], r["k2"], r["k3"]
                if "since" in r:
                    r["since"], r["seen"] = _native(r["since"]), _native(r["seen"])
            yield rows


#: The columns of each link table that name enterprises, in the order problems are reported.
_ENTERPRISE_REFS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("supplies", ("supplier", "customer")),
    ("memberships", ("enterprise",)),
    ("investments", ("investor", "investee")),
    ("makes", ("enterprise",)),
)

Key = tuple[str, str]


class _BatchWriter:
    """One batch applied inside one write transaction: validate, merge, count, write.

    The transaction function of a managed transaction may run again after a transient error,
    so everything here is computed afresh from the stored state on each run.

    Rows stay columns: each Arrow column becomes one Python list, sent as one query parameter
    per column (see the note above the queries). Rows as dicts are built only where the merge
    rules need them: for keys already stored, and for keys given twice in one batch."""

    def __init__(
        self, tx: neo4j.ManagedTransaction, tables: dict[str, pa.Table], chunk_rows: int
    ) -> None:
        self.tx = tx
        self.tables = tables
        self.chunk = chunk_rows
        self.given = {name: t.num_rows for name, t in tables.items()}
        self.new: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.fresh_ids: set[str] = set()

    def run(self) -> WriteSummary:
        # Every write first locks one counter node: ChainScout writers take turns, so what this
        # transaction reads as new is still new when it creates it (CREATE instead of MERGE).
        self._run(_Q_WRITE_LOCK)
        ids: list[str] = self._column("enterprises", "id")
        stored_ent = self._stored_enterprises(ids)
        batch_ids = set(ids)
        # firms new in this batch have no stored links yet: no need to look theirs up
        self.fresh_ids = batch_ids - set(stored_ent)
        problems = self._problems(batch_ids)
        if problems:
            raise ValidationFailed(problems, what="the batch")
        self._enterprises(ids, stored_ent)
        self._supplies()
        self._pairs("memberships", "enterprise", "segment", _Q_MEM_STORED, _Q_MEM_MERGE,
                    _Q_MEM_CREATE, keep_stored=False)  # fmt: skip
        self._pairs("investments", "investor", "investee", _Q_INV_STORED, _Q_INV_MERGE,
                    _Q_INV_CREATE, keep_stored=True)  # fmt: skip
        # a product may be new: its node is merged, and so is the link to it
        self._pairs("makes", "enterprise", "product", _Q_MAK_STORED, _Q_MAK_MERGE, None,
                    keep_stored=True)  # fmt: skip
        self._plain("product_links", ("product", "related", "relation"), _Q_PL_STORED)
        self._plain("industries", ("code",), _Q_IND_STORED, _Q_IND_MERGE)
        self._plain("industry_links", ("industry", "upstream"), _Q_IL_STORED, _Q_IL_MERGE)
        return WriteSummary(given=self.given, new=self.new, updated=self.updated)

    # -- reading what is stored ---------------------------------------------------------------

    def _run(self, query: LiteralString, **params: Any) -> None:
        self.tx.run(query, params).consume()

    def _collected(self, query: LiteralString, **params: Any) -> list[Any]:
        """The one collected list that ``query`` returns (one record, however many rows)."""
        return list(self.tx.run(query, params).single(strict=True)[0])

    def _column(self, name: str, col: str) -> list[Any]:
        return list(self.tables[name].column(col).to_pylist())

    def _stored_enterprises(self, ids: list[str]) -> dict[str, Row]:
        out: dict[str, Row] = {}
        for part in _chunks(ids, self.chunk):
            for props in self._collected(_Q_ENT_STORED, ids=list(part)):
                out[props["id"]] = dict(props)
        return out

    def _missing(self, query: LiteralString, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that ``query`` finds no node for."""
        out: set[str] = set()
        for part in _chunks(list(ids), self.chunk):
            out.update(self._collected(query, ids=list(part)))
        return out

    def _referenced_enterprises(self) -> set[str]:
        out: set[str] = set()
        for name, cols in _ENTERPRISE_REFS:
            table = self.tables[name]
            if table.num_rows:
                for col in cols:
                    out.update(pc.unique(table.column(col)).to_pylist())
        return out

    def _stored_links(self, name: str, query: LiteralString, keys: list[Key]) -> dict[int, Any]:
        """What is stored for the links ``keys`` of table ``name``, by position in ``keys``;
        ``query`` collects ``[i, value]`` for each link found. Only pairs whose first end has
        links of this kind are looked up (firms new in this batch have none)."""
        firsts = {key[0] for key in keys} - self.fresh_ids
        linked: set[str] = set()
        for ids in _chunks(list(firsts), self.chunk):
            linked.update(self._collected(_Q_LINKED[name], ids=list(ids)))
        wanted = [j for j, key in enumerate(keys) if key[0] in linked]
        out: dict[int, Any] = {}
        for part in _chunks(wanted, self.chunk):
            found = self._collected(
                query, a=[keys[j][0] for j in part], b=[keys[j][1] for j in part]
            )
            for i, value in found:
                out[part[i]] = value
        return out

    # -- validation: the embedded store's problems, in its order --------------------------------

    def _problems(self, batch_ids: set[str]) -> list[Problem]:
        """Links to enterprises neither stored nor in the batch, and memberships of segments in
        no stored chain. Two lookups answer the usual case (nothing missing); only when
        something is missing are the rows walked to name each one."""
        missing = self._missing(_Q_MISSING_ENT, self._referenced_enterprises() - batch_ids)
        members = self.tables["memberships"]
        missing_seg = (
            self._missing(_Q_MISSING_SEG, pc.unique(members.column("segment")).to_pylist())
            if members.num_rows
            else set()
        )
        if not missing and not missing_seg:
            return []
        problems: list[Problem] = []
        for name, cols in _ENTERPRISE_REFS:
            for col in cols:
                values = self._column(name, col)
                bad = [(i, v) for i, v in enumerate(values) if v in missing]
                problems.extend(
                    Problem(
                        reason=f"{col} {value!r} is not a known enterprise (load it first)",
                        file=name,
                        row=i + 1,
                        field=col,
                        value=str(value),
                    )
                    for i, value in bad[:200]
                )
            if name == "memberships" and missing_seg:
                values = self._column(name, "segment")
                bad = [(i, v) for i, v in enumerate(values) if v in missing_seg]
                problems.extend(
                    Problem(
                        reason=f"segment {value!r} is not in any stored chain"
                        " (load the chain first)",
                        file="memberships",
                        row=i + 1,
                        field="segment",
                        value=str(value),
                    )
                    for i, value in bad[:200]
                )
        return problems

    # -- tables ---------------------------------------------------------------------------------

    def _enterprises(self, ids: list[str], stored: dict[str, Row]) -> None:
        table = self.tables["enterprises"]
        if not ids:
            return
        fresh = [i for i, x in enumerate(ids) if x not in stored]
        changed: list[Row] = []
        if len(fresh) < len(ids):
            again = [i for i, x in enumerate(ids) if x in stored]
            changed = _merge_enterprises(table.take(again), [stored[ids[i]] for i in again])
        self.updated["enterprises"] = len(changed)
        self.new["enterprises"] = len(fresh)
        for part in _chunks(changed, self.chunk):
            self._run(_Q_ENT_MERGE, rows=list(part))
        if not fresh:
            return
        first = self.tx.run(_Q_SEQ, n=len(fresh)).single(strict=True)["first"]
        new = table if len(fresh) == len(ids) else table.take(fresh)
        cols = {name: new.column(name).to_pylist() for name in new.column_names}
        for name in _ENT_LISTS:  # stored sorted and without repeats, empty rather than null
            cols[name] = [sorted(set(v)) if v else [] for v in cols[name]]
        for start in range(0, len(fresh), self.chunk):
            end = start + self.chunk
            self._run(
                _Q_ENT_CREATE, seq=first + start, **{k: v[start:end] for k, v in cols.items()}
            )

    def _supplies(self) -> None:
        table = self.tables["supplies"]
        if not table.num_rows:
            return
        keys: list[Key] = list(
            zip(
                self._column("supplies", "supplier"),
                self._column("supplies", "customer"),
                strict=True,
            )
        )
        cols: dict[str, list[Any]]
        if len(set(keys)) == len(keys):
            cols = {f: table.column(f).to_pylist() for f in _SUP_FIELDS}
            cols["seen"] = [sorted(set(v)) if v else [] for v in cols["seen"]]
        else:
            folded = _fold_supplies(table.to_pylist())
            keys = list(folded)
            cols = {f: [g[f] for g in folded.values()] for f in _SUP_FIELDS}
        stored = self._stored_links("supplies", _Q_SUP_STORED, keys)
        fresh: list[int] = []
        writes: list[tuple[Key, Row]] = []
        for j, key in enumerate(keys):
            found = stored.get(j)
            if found is None:
                fresh.append(j)
                continue
            s = {f: _native(v) for f, v in found.items()}
            g = {f: cols[f][j] for f in _SUP_FIELDS}
            merged = {
                "share": _first(g["share"], s.get("share")),
                "volume": _first(g["volume"], s.get("volume")),
                "source": _first(g["source"], s.get("source")),
                "since": _least(g["since"], s.get("since")),
                "seen": _sorted_union(s.get("seen"), g["seen"]),
                "confidence": g["confidence"]
                if _CONF_RANK[g["confidence"]] < _CONF_RANK[s["confidence"]]
                else s["confidence"],
            }
            if any(not _same(merged[f], s.get(f)) for f in _SUP_FIELDS):
                writes.append((key, merged))
        self.updated["supplies"] = len(writes)
        self.new["supplies"] = len(fresh)
        for part in _chunks(writes, self.chunk):
            values = {f: [m[f] for _, m in part] for f in _SUP_FIELDS}
            self._run(_Q_SUP_MERGE, **_supply_params([k for k, _ in part], values))
        for idx in _chunks(fresh, self.chunk):
            values = {f: [cols[f][j] for j in idx] for f in _SUP_FIELDS}
            self._run(_Q_SUP_CREATE, **_supply_params([keys[j] for j in idx], values))

    def _pairs(
        self,
        name: str,
        col_a: str,
        col_b: str,
        stored_query: LiteralString,
        merge_query: LiteralString,
        create_query: LiteralString | None,
        *,
        keep_stored: bool,
    ) -> None:
        """Links keyed by two columns with one ``share``: memberships (the last share given
        replaces), investments and main products (a null share keeps the stored one). Links
        found new are created with ``create_query`` (``merge_query`` when there is none)."""
        if not self.tables[name].num_rows:
            return
        folded: dict[Key, float | None] = {}
        for a, b, share in zip(
            self._column(name, col_a),
            self._column(name, col_b),
            self._column(name, "share"),
            strict=True,
        ):
            key = (a, b)
            if name == "makes" and key in folded and share is None:
                continue  # products: the last share that is given
            folded[key] = share
        keys = list(folded)
        shares = list(folded.values())
        stored = self._stored_links(name, stored_query, keys)
        fresh: list[int] = []
        writes: list[int] = []
        for j, share in enumerate(shares):
            if j not in stored:
                fresh.append(j)
            elif keep_stored:
                if share is not None and not _same(share, stored[j]):
                    writes.append(j)
            elif not _same(share, stored[j]):
                writes.append(j)
        self.updated[name] = len(writes)
        self.new[name] = len(fresh)
        for query, rows in ((merge_query, writes), (create_query or merge_query, fresh)):
            for idx in _chunks(rows, self.chunk):
                self._run(
                    query,
                    a=[keys[j][0] for j in idx],
                    b=[keys[j][1] for j in idx],
                    share=[shares[j] for j in idx],
                )

    def _plain(
        self,
        name: str,
        keys: tuple[str, ...],
        stored_query: LiteralString,
        merge_query: LiteralString | None = None,
    ) -> None:
        """Tables keyed by their own columns (no enterprise ids): the last row given wins."""
        rows: list[Row] = self.tables[name].to_pylist()
        if not rows:
            return
        folded: dict[tuple[Any, ...], Row] = {}
        for r in rows:
            folded[tuple(r[k] for k in keys)] = {k: v for k, v in r.items() if k not in keys}
        stored: dict[tuple[Any, ...], Row] = {}
        for keys_part in _chunks([list(k) for k in folded], self.chunk):
            for record in self.tx.run(stored_query, keys=list(keys_part)):
                stored[tuple(record["key"])] = dict(record.get("values") or {})
        writes: list[Row] = []
        new = updated = 0
        for key, values in folded.items():
            s = stored.get(key)
            if s is None:
                new += 1
            elif any(not _same(v, s.get(k)) for k, v in values.items()):
                updated += 1
            else:
                continue
            writes.append({"key": list(key), "values": values})
        self.updated[name] = updated
        self.new[name] = new
        for part in _chunks(writes, self.chunk):
            if merge_query is None:
                self._run(_Q_PL_MERGE, keys=[w["key"] for w in part])
            else:
                self._run(merge_query, rows=list(part))


def _merge_enterprises(given: pa.Table, stored: list[Row]) -> list[Row]:
    """The merge rules for firms already stored (``stored`` in the order of ``given``), one
    column at a time: ``{id, props}`` of each firm whose merged values differ from the stored
    ones; the others need no write. Given fields replace, missing ones keep what is stored,
    list fields are united and sorted, and the name is always the one given."""
    merged: dict[str, list[Any]] = {}
    differs = [False] * len(stored)
    for k in _ENT_FIELDS:
        new = given.column(k).to_pylist()
        old = [s.get(k) for s in stored]
        values: list[Any]
        if k in _ENT_LISTS:
            values = [_sorted_union(o, n) for o, n in zip(old, new, strict=True)]
        elif k == "name":
            values = new
        else:
            values = [o if n is None else n for n, o in zip(new, old, strict=True)]
        differs = [
            d or not (m == o or _same(m, o)) for d, m, o in zip(differs, values, old, strict=True)
        ]
        merged[k] = values
    ids = given.column("id").to_pylist()
    return [
        {"id": ids[j], "props": {k: merged[k][j] for k in _ENT_FIELDS if merged[k][j] is not None}}
        for j, d in enumerate(differs)
        if d
    ]


def _fold_supplies(rows: list[Row]) -> dict[Key, Row]:
    """Supply rows with the same two firms folded into one link, by the merge rules."""
    folded: dict[Key, Row] = {}
    for r in rows:
        key = (r["supplier"], r["customer"])
        g = folded.get(key)
        if g is None:
            folded[key] = {
                "share": r["share"], "volume": r["volume"], "source": r["source"],
                "since": r["since"], "seen": _sorted_union(r["seen"]),
                "confidence": r["confidence"],
            }  # fmt: skip
            continue
        g["share"] = _first(r["share"], g["share"])
        g["volume"] = _first(r["volume"], g["volume"])
        g["source"] = _first(g["source"], r["source"])
        g["since"] = _least(g["since"], r["since"])
        g["seen"] = _sorted_union(g["seen"], r["seen"])
        if _CONF_RANK[r["confidence"]] < _CONF_RANK[g["confidence"]]:
            g["confidence"] = r["confidence"]
    return folded


def _supply_params(keys: Sequence[Key], values: Mapping[str, Sequence[Any]]) -> Row:
    """The parameters of one supplies chunk: one list per column, dates as ISO text."""
    return {
        "a": [k[0] for k in keys],
        "b": [k[1] for k in keys],
        "share": list(values["share"]),
        "volume": list(values["volume"]),
        "source": list(values["source"]),
        "since": [None if d is None else d.isoformat() for d in values["since"]],
        "seen": [[d.isoformat() for d in days] for days in values["seen"]],
        "confidence": list(values["confidence"]),
    }


def _table(rows: list[Row], schema: pa.Schema) -> pa.Table:
    """Rows read from Neo4j as an Arrow table of one of the batch schemas."""
    if "since" in schema.names:
        rows = [{**r, "since": _native(r["since"]), "seen": _native(r["seen"])} for r in rows]
    return pa.Table.from_pylist(rows, schema=schema)
