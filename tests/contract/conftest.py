"""Fixtures of the contract suite: every test here runs once on each store and must pass on both.

To add a test that runs on both stores, take one of these fixtures:

- ``store``: an empty, writable store (the embedded store in memory, then Neo4j, wiped);
- ``demo_store``: the demo city (``build_demo_store`` with :data:`DEMO_SPEC`), read only by the
  tests of a module (it is built once per module and store);
- ``reference``: the same demo city in the embedded store, to compare against:
  ``assert answer(demo_store) == answer(reference)`` checks that both stores agree, value,
  order and number, with no expected value written out.

The Neo4j runs need a server: set ``CHAINSCOUT_TEST_NEO4J_URI`` (e.g. to what
``scripts/neo4j-server start`` prints) and, when the server checks credentials,
``CHAINSCOUT_NEO4J_USER`` / ``CHAINSCOUT_NEO4J_PASSWORD``. Without the URI they skip, saying so.
The database named there is wiped before each test: never point it at data you keep.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from chainscout.graph import EmbeddedStore, GraphBatch, GraphStore, Neo4jSettings, Neo4jStore
from chainscout.loaders.demo import DemoData, DemoSpec, build_demo_store, generate_demo

#: The demo city of the contract suite: small enough to load into Neo4j in seconds.
DEMO_SPEC = DemoSpec(firms=600)
NEO4J_URI_VARIABLE = "CHAINSCOUT_TEST_NEO4J_URI"
BACKENDS = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def neo4j_uri() -> str:
    """The test server's URI, or skip the test saying how to configure one."""
    uri = os.environ.get(NEO4J_URI_VARIABLE, "").strip()
    if not uri:
        pytest.skip(
            f"no Neo4j server configured: set {NEO4J_URI_VARIABLE} (for example to what"
            " `scripts/neo4j-server start` prints) to run the contract suite on Neo4j"
        )
    return uri


def wipe_neo4j(uri: str) -> None:
    """Delete every node and relationship of the test database (constraints stay)."""
    settings = Neo4jSettings.from_env(uri)
    auth = (settings.user, settings.password) if settings.password else None
    with (
        neo4j.GraphDatabase.driver(uri, auth=auth) as driver,
        driver.session(database=settings.database) as session,
    ):
        for query in (
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
            "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        ):
            session.run(query).consume()


def open_backend(backend: str) -> GraphStore:
    """A new, empty, writable store of one kind."""
    if backend == "embedded":
        return EmbeddedStore(":memory:")
    uri = neo4j_uri()
    wipe_neo4j(uri)
    return Neo4jStore(uri)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The kind of store a test runs on: ``embedded`` or ``neo4j``."""
    return str(request.param)


@pytest.fixture
def store(backend: str) -> Iterator[GraphStore]:
    """An empty, writable store of each kind."""
    with open_backend(backend) as s:
        yield s


@pytest.fixture(scope="module", params=BACKENDS)
def demo_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """The demo city in each kind of store, built once per module (tests only read it)."""
    with open_backend(str(request.param)) as s:
        build_demo_store(s, DEMO_SPEC)
        yield s


@pytest.fixture(scope="session")
def reference() -> Iterator[GraphStore]:
    """The demo city in the embedded store: what every store must answer."""
    with EmbeddedStore(":memory:") as s:
        build_demo_store(s, DEMO_SPEC)
        yield s


def snapshot(store: GraphStore) -> dict[str, Any]:
    """Everything a store holds, as plain values in the store's order."""
    merged = GraphBatch.concat(store.export_tables())
    out: dict[str, Any] = {name: t.to_pylist() for name, t in merged.tables().items()}
    out["chains"] = store.list_chains()
    out["regions"] = store.list_regions()
    out["meta"] = store.list_meta()
    out["projects"] = store.list_projects()
    out["counts"] = store.counts()
    return out


@pytest.fixture
def snap() -> Any:
    """:func:`snapshot`, for tests (modules of this suite cannot import each other)."""
    return snapshot


@pytest.fixture(scope="session")
def demo_data() -> DemoData:
    """What ``demo_store`` was built from."""
    return generate_demo(DEMO_SPEC)


@pytest.fixture(scope="module", params=BACKENDS)
def module_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """An empty, writable store of each kind, kept for a whole module: for a module that writes
    its own graph once, then only reads it (as ``demo_store`` does with the demo city). On Neo4j
    it shares the one test database with ``demo_store``: a module uses one or the other per test,
    and pytest runs the tests of each store kind of a module fixture together."""
    with open_backend(str(request.param)) as s:
        yield s
