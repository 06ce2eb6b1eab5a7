"""The REST API over the demo store: routes, pagination, roles, limits and the error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chainscout.api import create_app
from chainscout.api.errors import AuthError, TimeoutError_, TooLargeError, problem, status_of
from chainscout.api.state import hash_key
from chainscout.graph.errors import (
    BadInputError,
    ChainScoutError,
    ConflictError,
    NotFoundError,
    Problem,
    StoreUnavailableError,
    ValidationFailed,
)
from chainscout.settings import Settings

VIEWER, EDITOR, ADMIN = {"X-API-Key": "v-key"}, {"X-API-Key": "e-key"}, {"X-API-Key": "a-key"}
KEYS = {hash_key("v-key"): "viewer", hash_key("e-key"): "editor", hash_key("a-key"): "admin"}


def make_client(store_path: Path, **settings: object) -> TestClient:
    cfg = Settings(
        store=str(store_path), home_region="349900", chain="nev", api_keys=KEYS, **settings
    )  # type: ignore[arg-type]
    return TestClient(create_app(cfg))


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    with make_client(store_path, api_max_page=50) as c:
        yield c


def is_problem(response: object, status: int) -> dict[str, object]:
    r = response
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status and body["detail"]
    return body  # type: ignore[no-any-return]


class TestHappyPaths:
    def test_health_and_version_need_no_key(self, client: TestClient) -> None:
        assert client.get("/api/v1/health").json()["enterprises"] == 800
        assert client.get("/api/v1/version").json()["api"] == "v1"

    def test_chains_and_a_chain(self, client: TestClient) -> None:
        chains = client.get("/api/v1/chains", headers=VIEWER).json()
        assert chains == [{"id": "nev", "name": "新能源汽车与动力电池",
                           "name_en": "New-energy vehicles and power batteries", "segments": 37}]  # fmt: skip
        chain = client.get("/api/v1/chains/nev", headers=VIEWER).json()
        assert len(chain["segments"]) == 37 and chain["feeds"]

    def test_gaps_carry_their_reasons(self, client: TestClient) -> None:
        table = client.get("/api/v1/chains/nev/gaps?region=349900", headers=VIEWER).json()
        assert len(table["rows"]) == 37
        assert all(row["reason"] for row in table["rows"])
        assert {"missing", "weak"} & set(table["status_counts"])

    def test_leaders(self, client: TestClient) -> None:
        rows = client.get("/api/v1/chains/nev/leaders?limit=3", headers=VIEWER).json()["rows"]
        assert len(rows) == 3 and rows[0]["factors"]

    def test_targets_are_the_cli_result(self, client: TestClient) -> None:
        page = client.get("/api/v1/chains/nev/targets?limit=5", headers=VIEWER).json()
        first = page["items"][0]
        assert first["rank"] == 1 and first["factors"] and first["found_by"]
        assert sum(f["contribution"] for f in first["factors"]) == pytest.approx(
            first["score"], abs=1e-6
        )

    def test_pagination_visits_every_target_exactly_once(self, client: TestClient) -> None:
        url = "/api/v1/chains/nev/targets?limit=37&thresholds=max_energy_intensity=1.2"
        seen: list[str] = []
        cursor = None
        total = None
        while True:
            page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=VIEWER).json()
            total = page["total"]
            seen += [t["id"] for t in page["items"]]
            ranks = [t["rank"] for t in page["items"]]
            assert ranks == list(range(len(seen) - len(ranks) + 1, len(seen) + 1))
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == total > 37

    def test_enterprise_search_detail_and_neighbours(self, client: TestClient) -> None:
        found = client.get("/api/v1/enterprises?q=汽车&limit=3", headers=VIEWER).json()["items"]
        assert found and all("汽车" in e["name"] for e in found)
        one = client.get(f"/api/v1/enterprises/{found[0]['id']}", headers=VIEWER).json()
        assert one["id"] == found[0]["id"]
        hood = client.get(f"/api/v1/enterprises/{one['id']}/neighbours?hops=2&limit=15",
                          headers=VIEWER).json()  # fmt: skip
        assert hood["nodes"][0]["id"] == one["id"] and len(hood["nodes"]) <= 15

    def test_paths_and_whatif(self, client: TestClient) -> None:
        top = client.get("/api/v1/chains/nev/targets?limit=1", headers=VIEWER).json()["items"][0]
        intro = top["introducer"]["introducer_id"]
        result = client.get(f"/api/v1/paths?from={intro}&to={top['id']}", headers=VIEWER).json()
        assert result["path"]["firms"][0] == intro and result["path"]["firms"][-1] == top["id"]
        change = client.post("/api/v1/whatif", json={"chain": "nev", "land": [top["id"]]},
                             headers=VIEWER).json()  # fmt: skip
        assert change["landed"] == [top["id"]]

    def test_openapi_documents_every_route(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        for path, methods in spec["paths"].items():
            for op in methods.values():
                assert op.get("summary"), path
        assert client.get("/docs").status_code == 200


class TestRoles:
    def test_no_key_no_read(self, client: TestClient) -> None:
        body = is_problem(client.get("/api/v1/chains"), 401)
        assert "X-API-Key" in str(body["detail"])

    def test_a_wrong_key_is_refused(self, client: TestClient) -> None:
        is_problem(client.get("/api/v1/chains", headers={"X-API-Key": "guess"}), 401)

    def test_open_reading_lets_anonymous_read_only(self, store_path: Path) -> None:
        with make_client(store_path, api_open_read=True) as c:
            assert c.get("/api/v1/chains").status_code == 200
            assert c.post("/api/v1/whatif", json={"chain": "nev", "land": ["x"]}).status_code in (
                200,
                404,
            )

    @pytest.mark.parametrize(
        ("headers", "status"), [({}, 401), ({"X-API-Key": "guess"}, 401), (VIEWER, 200)]
    )
    def test_a_cached_page_still_checks_the_key(
        self, client: TestClient, headers: dict[str, str], status: int
    ) -> None:
        url = "/api/v1/chains/nev/targets?limit=3&region=349900"
        first = client.get(url, headers=VIEWER)
        again = client.get(url, headers=headers)
        assert again.status_code == status
        if status == 200:  # the same bytes, whatever order the parameters come in
            assert again.content == first.content
            swapped = client.get(
                "/api/v1/chains/nev/targets?region=349900&limit=3", headers=headers
            )
            assert swapped.content == first.content

    def test_keys_are_kept_hashed(self) -> None:
        cfg = Settings(api_keys=KEYS)
        assert "v-key" not in cfg.model_dump_json()


class TestLimits:
    def test_a_page_over_the_limit_is_cut_and_says_so(self, client: TestClient) -> None:
        page = client.get("/api/v1/chains/nev/targets?limit=500", headers=VIEWER).json()
        assert len(page["items"]) == 50 and page["truncated"] is True

    def test_hops_over_the_limit(self, client: TestClient) -> None:
        some = client.get("/api/v1/enterprises?q=有限&limit=1", headers=VIEWER).json()["items"][0]
        is_problem(client.get(f"/api/v1/enterprises/{some['id']}/neighbours?hops=4",
                              headers=VIEWER), 413)  # fmt: skip

    def test_subgraphs_stay_under_the_node_cap(self, store_path: Path) -> None:
        with make_client(store_path, api_max_nodes=12) as c:
            some = c.get("/api/v1/enterprises?q=汽车&limit=1", headers=VIEWER).json()["items"][0]
            hood = c.get(f"/api/v1/enterprises/{some['id']}/neighbours?hops=3&limit=999",
                         headers=VIEWER).json()  # fmt: skip
            assert len(hood["nodes"]) <= 12 and hood["truncated"] is True

    def test_a_body_over_the_limit(self, store_path: Path) -> None:
        with make_client(store_path, api_max_body_bytes=2048) as c:
            r = c.post(
                "/api/v1/whatif",
                content=b"x" * 5000,
                headers={**VIEWER, "content-type": "application/json"},
            )
            is_problem(r, 413)

    def test_a_streamed_body_over_the_limit(self, store_path: Path) -> None:
        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as it streams
            for _ in range(5):
                yield b"x" * 1000

        with make_client(store_path, api_max_body_bytes=2048) as c:
            r = c.post("/api/v1/whatif", content=chunks(),
                       headers={**VIEWER, "content-type": "application/json"})  # fmt: skip
            assert "api_max_body_bytes" in str(is_problem(r, 413)["detail"])

    def test_a_slow_store_call_times_out(self, store_path: Path) -> None:
        import time

        with make_client(store_path, api_timeout_seconds=0.2) as c:
            state = c.app.state.chainscout  # type: ignore[attr-defined]
            original = state.store.counts
            state.store.counts = lambda: (time.sleep(1.0), original())[1]
            try:
                is_problem(c.get("/api/v1/health"), 504)
            finally:
                state.store.counts = original


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/api/v1/chains/nev/targets?target_regions=nosuch", 400, "target region 'nosuch'"),
        ("/api/v1/chains/nev/targets?target_regions=999999", 400, "target region '999999'"),
        ("/api/v1/chains/nev/targets?segment=nev.nosuch", 404, "nev.nosuch"),
        ("/chains/nev/targets/page?segment=nev.nosuch", 404, "nev.nosuch"),
        ("/api/v1/chains/nev/targets?weights=gap=inf", 400, "finite number"),
        ("/api/v1/chains/nev/targets?thresholds=max_energy_intensity=nan", 400, "finite number"),
    ],
)
def test_bad_ranking_parameters_are_named(
    client: TestClient, url: str, status: int, detail: str
) -> None:
    body = is_problem(client.get(url, headers=VIEWER), status)
    assert detail in str(body["detail"])


class TestErrorShape:
    @pytest.mark.parametrize(
        ("error", "status"),
        [
            (
                BadInputError.at(
                    "revenue 'abc' is not a number", file="f.csv", row=3, field="revenue"
                ),
                400,
            ),
            (ValidationFailed([Problem(reason="bad", file="f.csv", row=2, field="name")]), 422),
            (NotFoundError("chain", "x"), 404),
            (ConflictError("cycle"), 409),
            (StoreUnavailableError("down"), 503),
            (TimeoutError_("slow"), 504),
            (TooLargeError("big"), 413),
            (AuthError("who?"), 401),
            (AuthError("no", status=403), 403),
            (ChainScoutError("other"), 500),
        ],
    )
    def test_every_error_class_has_one_status_and_shape(
        self, error: ChainScoutError, status: int
    ) -> None:
        assert status_of(error) == status
        response = problem(error)
        import json

        body = json.loads(bytes(response.body))
        assert response.media_type == "application/problem+json"
        assert body["status"] == status and body["title"] and body["type"].startswith("/problems/")
        if isinstance(error, BadInputError) and error.problem:
            assert (body["file"], body["row"], body["field"]) == (
                "f.csv",
                error.problem.row,
                error.problem.field,
            )

    def test_framework_errors_use_the_same_shape(self, client: TestClient) -> None:
        is_problem(client.get("/api/v1/nowhere", headers=VIEWER), 404)
        body = is_problem(client.get("/api/v1/chains/nev/targets?limit=0", headers=VIEWER), 422)
        assert body["field"] == "limit"
        is_problem(client.get("/api/v1/chains/nev/gaps?region=990000", headers=VIEWER), 400)
        is_problem(client.get("/api/v1/chains/nev/targets?cursor=garbage", headers=VIEWER), 400)
        is_problem(client.delete("/api/v1/chains", headers=VIEWER), 405)


def test_the_app_is_a_fastapi_app(store_path: Path) -> None:
    assert isinstance(create_app(Settings(store=str(store_path))), FastAPI)
