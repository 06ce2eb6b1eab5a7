"""Property-based checks of the API against its own OpenAPI schema: no 5xx, and every response
conforms to the schema it documents. Bounded in examples so the suite stays quick."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from chainscout.api import create_app
from chainscout.api.state import hash_key
from chainscout.graph import EmbeddedStore
from chainscout.loaders.demo import DemoSpec, build_demo_store
from chainscout.settings import Settings


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path: Path = tmp_path_factory.mktemp("schema") / "demo.duckdb"
    with EmbeddedStore(path) as store:
        build_demo_store(store, DemoSpec(firms=300))
    application = create_app(
        Settings(
            store=str(path),
            home_region="349900",
            chain="nev",
            api_keys={hash_key("k"): "admin"},
            api_max_page=50,
        )
    )
    with TestClient(application):  # runs the lifespan: the store is open while the checks run
        yield application


#: What the API promises: no 5xx, and responses that match the schema. (Cross-field rules such
#: as weak_lq <= strong_lq cannot be said in OpenAPI, so a 400 for a "schema-valid" request is
#: not a failure here.)
CHECKS = [not_a_server_error, response_schema_conformance]


def operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_keeps_its_own_schema(app: FastAPI) -> None:
    ops = operations(app)
    assert len(ops) >= 10
    for op in ops:

        @given(case=op.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def check(case: Any) -> None:
            case.call_and_validate(headers={"X-API-Key": "k"}, checks=CHECKS)

        check()
