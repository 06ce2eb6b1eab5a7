"""The projects routes: reading needs a viewer, writing an editor; a landed project shows in gaps."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from chainscout.api import create_app
from chainscout.api.state import hash_key
from chainscout.graph import EmbeddedStore
from chainscout.loaders.demo import DemoSpec, build_demo_store
from chainscout.settings import Settings

VIEWER, EDITOR = {"X-API-Key": "v"}, {"X-API-Key": "e"}


def test_projects_routes(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    with EmbeddedStore(path) as store:
        build_demo_store(store, DemoSpec(firms=2000))
    cfg = Settings(store=str(path), home_region="349900", chain="nev",
                   api_keys={hash_key("v"): "viewer", hash_key("e"): "editor"})  # fmt: skip
    with TestClient(create_app(cfg)) as c:
        listing = c.get("/api/v1/projects", headers=VIEWER).json()
        assert listing["total"] == 12
        assert c.get("/api/v1/projects/rates", headers=VIEWER).json()["commencement"]["rate"] > 0
        bad = c.get("/api/v1/projects/rates?region=abc", headers=VIEWER)
        assert bad.status_code == 400 and bad.json()["field"] == "region"
        health = c.get("/api/v1/projects/health?today=2026-12-01", headers=VIEWER).json()
        assert {f["rule"] for f in health["findings"]} >= {"signed_not_started", "slow_funds"}
        assert c.get("/api/v1/projects/scorecards", headers=VIEWER).json()[0]["formula"]

        (sep,) = [p for p in listing["items"] if p["segment"] == "nev.separator"]
        change = {"stage": "in_production", "date": "2026-10-01"}
        url = f"/api/v1/projects/{sep['id']}/stages"
        assert c.post(url, json=change, headers=VIEWER).status_code == 403
        assert c.post(url, json=change).status_code == 401
        assert c.post(url, json=change, headers=EDITOR).status_code == 200
        gaps = c.get("/api/v1/chains/nev/gaps", headers=VIEWER).json()["rows"]
        assert next(r for r in gaps if r["segment"] == "nev.separator")["local_firms"] == 1
        bad = c.post(url, json={"stage": "completed", "date": "2030-01-01"}, headers=EDITOR)
        assert bad.status_code == 400 and "cannot come before" in bad.json()["detail"]
        assert c.get("/api/v1/projects/nope", headers=VIEWER).status_code == 404


def test_the_project_page_shows_funnel_and_findings(tmp_path: Path) -> None:
    import re

    path = tmp_path / "demo.duckdb"
    with EmbeddedStore(path) as store:
        build_demo_store(store, DemoSpec(firms=500))
        (first,) = [p for p in store.list_projects() if p.id.endswith("001")]
        store.upsert_projects([first.model_copy(update={"name": "<script>alert(1)</script>"})])
    cfg = Settings(store=str(path), api_keys={hash_key("v"): "viewer"})
    with TestClient(create_app(cfg)) as c:
        assert c.get("/projects/page").status_code == 401
        page = c.get("/projects/page?today=2026-12-01", headers=VIEWER)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        funnel = re.findall(r'<tr data-stage="(\w+)"><td>\w+</td><td class="num">(\d+)</td>', html)
        assert [s for s, _ in funnel][:2] == ["lead", "visit"] and dict(funnel)["signed"] == "9"
        assert "signed_not_started" in html and "slow_funds" in html
        assert (
            "<script>alert(1)</script>" not in html
            and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        )
        assert not re.search(r'(src|href)="https?://', html)
