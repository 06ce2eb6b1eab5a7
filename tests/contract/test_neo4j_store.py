"""What only the Neo4j store has: connection errors, settings, and queries that data never
shapes. The static checks run without a server."""

from __future__ import annotations

import ast
import re
import socket
from pathlib import Path

import pytest

from chainscout.graph import (
    Neo4jSettings,
    Neo4jStore,
    RelationType,
    StoreUnavailableError,
    open_store,
)
from chainscout.graph import neo4j as neo4j_store
from chainscout.graph.neo4j import NodeLabel

SOURCE = Path(neo4j_store.__file__)


def query_strings() -> list[str]:
    """Every string constant of the module that reads as Cypher."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    words = ("MATCH", "MERGE", "CREATE", "UNWIND", "CALL", "SHOW")
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(w in node.value for w in words)
    ]


def test_labels_and_types_come_from_the_fixed_enums() -> None:
    labels = {m.value for m in NodeLabel}
    types = {m.value for m in RelationType}
    text = " ".join(query_strings())
    used_labels = set(re.findall(r"\(\w*:(\w+)", text))
    used_types = set(re.findall(r"\[\w*:(\w+)", text))
    assert used_labels and used_labels <= labels
    assert used_types and used_types <= types


def test_no_query_is_formatted_from_values() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = ast.unparse(node)
            assert not any(w in text for w in ("MATCH ", "MERGE ", "UNWIND ")), text


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINSCOUT_NEO4J_USER", "reader")
    monkeypatch.setenv("CHAINSCOUT_NEO4J_PASSWORD", "s3cret")
    monkeypatch.setenv("CHAINSCOUT_NEO4J_DATABASE", "graph")
    monkeypatch.setenv("CHAINSCOUT_NEO4J_TIMEOUT", "30")
    s = Neo4jSettings.from_env("bolt://db:7687")
    assert (s.uri, s.user, s.password, s.database, s.timeout) == (
        "bolt://db:7687", "reader", "s3cret", "graph", 30.0
    )  # fmt: skip
    assert Neo4jSettings.from_env("bolt://x", environ={}).password is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_a_clear_error() -> None:
    settings = Neo4jSettings(uri=f"bolt://127.0.0.1:{free_port()}", connect_timeout=2.0)
    with pytest.raises(StoreUnavailableError, match="does not answer"):
        Neo4jStore(settings.uri, settings=settings)


def test_open_store_knows_neo4j_addresses() -> None:
    with pytest.raises(StoreUnavailableError, match=r"does not answer|not a usable"):
        open_store(f"neo4j://127.0.0.1:{free_port()}")


@pytest.mark.neo4j
def test_wrong_credentials_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    uri = os.environ.get("CHAINSCOUT_TEST_NEO4J_URI", "")
    if not uri:
        pytest.skip("no Neo4j server configured: set CHAINSCOUT_TEST_NEO4J_URI")
    if not os.environ.get("CHAINSCOUT_NEO4J_PASSWORD"):
        pytest.skip("the test server checks no credentials (CHAINSCOUT_NEO4J_PASSWORD unset)")
    monkeypatch.setenv("CHAINSCOUT_NEO4J_PASSWORD", "wrong password")
    with pytest.raises(StoreUnavailableError, match="refused the credentials"):
        open_store(uri)


@pytest.mark.neo4j
def test_open_store_opens_a_neo4j_store() -> None:
    import os

    uri = os.environ.get("CHAINSCOUT_TEST_NEO4J_URI", "")
    if not uri:
        pytest.skip("no Neo4j server configured: set CHAINSCOUT_TEST_NEO4J_URI")
    with open_store(uri, read_only=True) as store:
        assert isinstance(store, Neo4jStore)
        assert store.location == uri
