"""The pages in a real headless Chromium: served by the API on loopback, and exported by the CLI
and opened from disk. Each test asserts the page made no request outside loopback or the disk,
opened no dialog and raised no script error (``Recorder.assert_clean``)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from chainscout.viz.labels import STATUS_COLOURS

from .conftest import (  # type: ignore[import-not-found]
    CHAIN,
    COMPARE,
    HOME,
    IMG_ID,
    IMG_NAME,
    SCRIPT_ID,
    SCRIPT_NAME,
    Server,
    screenshot,
    wait_for,
)

MAPS_READY = "!!(window.chainscout && window.chainscout.maps && window.chainscout.maps.length && window.chainscout.maps.every(m => m.ready))"
NET_STABLE = "!!(window.chainscout && window.chainscout.stable)"
OUTSIDE_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@dataclass
class Reply:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


def http_get(
    url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """A GET with the standard library (the tests need no HTTP client package)."""
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def api(server: Server, path: str, **params: str | int) -> Any:
    r = http_get(f"{server.base}{path}", params, {"X-API-Key": server.key})
    assert r.status_code == 200, r.text
    return json.loads(r.content)


def gaps_of(server: Server, region: str) -> dict[str, str]:
    table = api(server, f"/api/v1/chains/{CHAIN}/gaps", region=region)
    return {row["segment"]: row["status"] for row in table["rows"]}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    n = int(hex_colour[1:], 16)
    return (n >> 16) & 255, (n >> 8) & 255, n & 255


def node_pixels(page: Any, index: int = 0) -> dict[str, dict[str, Any]]:
    """For every node of map ``index``: its fill colour in the data and the colour of the pixel
    drawn at its centre on the canvas."""
    result: dict[str, dict[str, Any]] = page.evaluate(
        """(index) => {
          const m = window.chainscout.maps[index];
          const canvas = document.querySelector('#cs-map-' + index + ' canvas');
          const ctx = canvas.getContext('2d');
          const ratio = canvas.width / canvas.clientWidth;
          const out = {};
          const pos = m.network.getPositions();
          for (const n of m.nodes.get()) {
            const p = m.network.canvasToDOM(pos[n.id]);
            const px = ctx.getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
            out[n.id] = {fill: n.color.background, pixel: [px[0], px[1], px[2]], x: p.x, y: p.y};
          }
          return out;
        }""",
        index,
    )
    return result


def click_node(page: Any, index: int, node_id: str) -> None:
    """A real mouse click on a node of map ``index``, where the canvas draws it."""
    box = page.locator(f"#cs-map-{index} canvas").bounding_box()
    pos = page.evaluate(
        """([index, id]) => {
          const m = window.chainscout.maps[index];
          return m.network.canvasToDOM(m.network.getPositions([id])[id]);
        }""",
        [index, node_id],
    )
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])


def assert_no_injected_markup(page: Any) -> None:
    """No element the hostile names would create exists, and no script beyond the page's own."""
    assert page.locator("img").count() == 0
    scripts = page.evaluate(
        "Array.from(document.scripts).map(s => s.type === 'application/json' ? 'data' : s.src ? 'src' : 'inline')"
    )
    assert scripts.count("data") == 1
    assert all(s in ("data", "src", "inline") for s in scripts)
    executable = page.evaluate(
        "Array.from(document.scripts).filter(s => s.type !== 'application/json')"
        ".map(s => /alert\\([12]\\)/.test(s.textContent + s.src))"
    )
    assert not any(executable)


# -- served by the API -----------------------------------------------------------------------


def test_pages_need_a_viewer_key_as_header_or_query(server: Server) -> None:
    path = f"{server.base}/chains/{CHAIN}/targets/page"
    assert http_get(path, params={"region": HOME}).status_code == 401
    assert http_get(path, params={"region": HOME, "key": "wrong"}).status_code == 401
    by_header = http_get(path, params={"region": HOME}, headers={"X-API-Key": server.key})
    by_query = http_get(path, params={"region": HOME, "key": server.key})
    assert by_header.status_code == by_query.status_code == 200
    assert by_query.headers["content-type"].startswith("text/html")
    assert by_query.headers["referrer-policy"] == "no-referrer"
    asset = http_get(f"{server.base}/assets/vis-network-9.1.2.min.js")
    assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/javascript")
    assert http_get(f"{server.base}/assets/other.js").status_code == 404


def test_served_pages_reference_no_outside_url(server: Server) -> None:
    leader = api(server, f"/api/v1/chains/{CHAIN}/leaders", region=HOME, limit=1)["rows"][0]["id"]
    for path, params in [
        ("/", {}),
        (f"/chains/{CHAIN}/map", {"region": HOME, "compare": COMPARE}),
        (f"/chains/{CHAIN}/targets/page", {"region": HOME}),
        (f"/enterprises/{leader}/network", {"hops": 1}),
    ]:
        html = http_get(server.url(path, **params)).text
        assert not OUTSIDE_REF.search(html), path
        assert '<html lang="zh-CN">' in html


def test_gap_map_draws_one_node_per_segment_in_its_status_colour(
    server: Server, open_page: Any
) -> None:
    statuses = gaps_of(server, HOME)
    page, rec = open_page(server.url(f"/chains/{CHAIN}/map", region=HOME))
    wait_for(page, MAPS_READY)
    page.wait_for_timeout(300)  # let the first frame settle before reading pixels
    nodes = node_pixels(page)
    assert set(nodes) == set(statuses) and len(nodes) == len(statuses) == 37
    assert set(statuses.values()) == set(STATUS_COLOURS)  # the demo city shows every status
    for segment, status in statuses.items():
        assert nodes[segment]["fill"] == STATUS_COLOURS[status], segment
        drawn, wanted = nodes[segment]["pixel"], rgb(STATUS_COLOURS[status])
        assert all(abs(a - b) <= 12 for a, b in zip(drawn, wanted, strict=True)), (segment, drawn)
    # upstream on the left, downstream on the right: lithium ore left of vehicle assembly
    assert (
        nodes["nev.lithium_ore"]["x"] < nodes["nev.battery_cell"]["x"] < nodes["nev.vehicle"]["x"]
    )
    legend = page.locator("#cs-legend").inner_text()
    assert all(word in legend for word in ("缺链", "弱链", "有链", "强链"))
    screenshot(page, "gap-map-349900.png")
    rec.assert_clean()


def test_hover_and_click_on_a_segment_show_its_numbers_firms_and_targets(
    server: Server, open_page: Any
) -> None:
    page, rec = open_page(server.url(f"/chains/{CHAIN}/map", region=HOME))
    wait_for(page, MAPS_READY)
    # hovering shows the numbers and the reason
    gap = next(r for r in api(server, f"/api/v1/chains/{CHAIN}/gaps", region=HOME)["rows"]
               if r["segment"] == "nev.body")  # fmt: skip
    box = page.locator("#cs-map-0 canvas").bounding_box()
    pos = page.evaluate(
        "(() => { const m = window.chainscout.maps[0];"
        " return m.network.canvasToDOM(m.network.getPositions(['nev.body'])['nev.body']); })()"
    )
    page.mouse.move(box["x"] + pos["x"] - 3, box["y"] + pos["y"] - 3)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"])
    tip = page.locator("div.vis-tooltip")
    tip.wait_for(state="visible", timeout=10_000)
    text = tip.inner_text()
    assert "区位熵" in text and f"{gap['lq']:.2f}" in text and gap["reason_zh"] in text
    assert f"{gap['local_firms']} / {gap['firms']}" in text
    click_node(page, 0, "nev.body")
    wait_for(page, "document.querySelector('#cs-panel-0').dataset.segment === 'nev.body'", 10)
    panel = page.locator("#cs-panel-0")
    firms = panel.locator("table.cs-firms td.cs-firm").all_inner_texts()
    assert len(firms) == min(15, gap["local_firms"])
    assert IMG_NAME in firms[:3]  # among the largest local firms of the segment, as text
    assert "车身与轻量化" in panel.inner_text()
    assert panel.locator("table.cs-targets tr").count() >= 2  # header and at least one target
    # a missing segment lists the hostile outside firm among its top targets, as text
    click_node(page, 0, "nev.separator")
    wait_for(page, "document.querySelector('#cs-panel-0').dataset.segment === 'nev.separator'", 10)
    assert SCRIPT_NAME in panel.locator("table.cs-targets").inner_text()
    assert_no_injected_markup(page)
    rec.assert_clean()


def test_two_regions_side_by_side_share_one_layout(server: Server, open_page: Any) -> None:
    home, other = gaps_of(server, HOME), gaps_of(server, COMPARE)
    page, rec = open_page(server.url(f"/chains/{CHAIN}/map", region=HOME, compare=COMPARE))
    wait_for(page, MAPS_READY)
    assert page.evaluate("window.chainscout.maps.map(m => m.region)") == [HOME, COMPARE]
    a, b = node_pixels(page, 0), node_pixels(page, 1)
    data = page.evaluate(
        "window.chainscout.data.maps.map(m => m.segments.map(s => [s.id, s.x, s.y]))"
    )
    assert data[0] == data[1]  # the same places for both regions
    assert {k: v["fill"] for k, v in a.items()} == {k: STATUS_COLOURS[s] for k, s in home.items()}
    assert {k: v["fill"] for k, v in b.items()} == {k: STATUS_COLOURS[s] for k, s in other.items()}
    boxes = [page.locator(f"#cs-map-{i}").bounding_box() for i in (0, 1)]
    assert boxes[0]["x"] < boxes[1]["x"]  # side by side at this width
    rec.assert_clean()


def test_enterprise_network_settles_marks_firms_and_filters(server: Server, open_page: Any) -> None:
    leader = api(server, f"/api/v1/chains/{CHAIN}/leaders", region=HOME, limit=1)["rows"][0]
    page, rec = open_page(server.url(f"/enterprises/{leader['id']}/network", hops=2))
    wait_for(page, NET_STABLE, 120)
    assert page.evaluate("window.chainscout.network.physics.options.enabled") is False
    before = page.evaluate("window.chainscout.network.getPositions()")
    page.wait_for_timeout(800)
    assert page.evaluate("window.chainscout.network.getPositions()") == before  # it stays put
    kinds = page.evaluate("window.chainscout.nodes.get().map(n => n.cs.kind)")
    assert kinds.count("centre") == 1 and {"local", "outside", "target"} <= set(kinds)
    centre = page.evaluate("window.chainscout.nodes.get().find(n => n.cs.kind === 'centre').cs")
    assert centre["id"] == leader["id"] and centre["leader"] is True
    assert (
        page.evaluate("window.chainscout.nodes.get().filter(n => n.shape === 'star').length") >= 1
    )
    assert page.locator("#cs-truncated").count() == 0
    screenshot(page, "network-349900.png")

    total = page.evaluate("window.chainscout.view.length")
    segment = page.evaluate("window.chainscout.data.segments[0].id")
    page.select_option("#cs-filter-segment", segment)
    kept = page.evaluate("window.chainscout.view.get().map(n => [n.cs.kind, n.cs.segment])")
    assert 0 < len(kept) < total
    assert all(kind == "centre" or seg == segment for kind, seg in kept)
    page.select_option("#cs-filter-segment", "")
    page.select_option("#cs-filter-region", ":local")
    assert all(n for n in page.evaluate(
        "window.chainscout.view.get().map(n => n.cs.kind === 'centre' || n.cs.local)"))  # fmt: skip
    rec.assert_clean()


def test_network_past_its_limit_groups_the_rest_and_says_so(server: Server, open_page: Any) -> None:
    leader = api(server, f"/api/v1/chains/{CHAIN}/leaders", region=HOME, limit=1)["rows"][0]["id"]
    page, rec = open_page(server.url(f"/enterprises/{leader}/network", hops=2, max_nodes=40))
    wait_for(page, NET_STABLE, 60)
    note = page.locator("#cs-truncated")
    assert note.is_visible()
    text = note.inner_text()
    assert "仅显示 40 家" in text and "灰色方块" in text
    firms = page.evaluate("window.chainscout.nodes.get().filter(n => n.cs.kind !== 'group').length")
    groups = page.evaluate(
        "window.chainscout.nodes.get().filter(n => n.cs.kind === 'group').map(n => n.cs.count)"
    )
    total = page.evaluate("window.chainscout.data.total")
    assert firms == 40 and groups and firms + sum(groups) == total
    rec.assert_clean()


def test_hostile_names_show_as_text_and_run_nothing(server: Server, open_page: Any) -> None:
    # the network of the <img> firm: the <script> firm supplies it
    page, rec = open_page(server.url(f"/enterprises/{IMG_ID}/network", hops=1))
    wait_for(page, NET_STABLE, 60)
    names = page.evaluate("window.chainscout.nodes.get().map(n => n.cs.name)")
    assert IMG_NAME in names and SCRIPT_NAME in names
    assert IMG_NAME in page.locator("h1").inner_text()
    assert IMG_NAME in page.title()
    # hover the <script> firm: its tooltip holds the name as text
    box = page.locator("#cs-net canvas").bounding_box()
    pos = page.evaluate(
        f"""(() => {{ const n = window.chainscout.network;
            return n.canvasToDOM(n.getPositions(['{_node_of(page, SCRIPT_ID)}'])['{_node_of(page, SCRIPT_ID)}']); }})()"""
    )
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"])
    wait_for(page, "document.querySelector('#cs-hover').style.display === 'block'", 10)
    assert SCRIPT_NAME in page.locator("#cs-hover").inner_text()
    assert_no_injected_markup(page)
    rec.assert_clean()

    # the target list: the <script> firm is ranked, with its introducer path, as text
    page, rec = open_page(server.url(f"/chains/{CHAIN}/targets/page", region=HOME))
    row = page.locator(f"tr.cs-target[data-id='{SCRIPT_ID}']")
    assert row.locator(".cs-name").inner_text() == SCRIPT_NAME
    assert row.locator(".cs-path").inner_text().endswith(SCRIPT_NAME)
    assert_no_injected_markup(page)
    every = page.locator("tr.cs-target").count()
    page.fill("#cs-filter", SCRIPT_NAME)
    visible = page.locator("tr.cs-target:visible")
    assert 1 <= visible.count() < every  # its row, and rows whose reasons or paths name it
    assert all(SCRIPT_NAME in t for t in visible.all_text_contents())
    rec.assert_clean()


def _node_of(page: Any, enterprise_id: str) -> int:
    node: int = page.evaluate(
        "(id) => window.chainscout.nodes.get().find(n => n.cs.id === id).id", enterprise_id
    )
    return node


def test_target_page_shows_factors_exclusions_paths_and_links_the_workbook(
    server: Server, open_page: Any
) -> None:
    page, rec = open_page(server.url(f"/chains/{CHAIN}/targets/page", region=HOME,
                                     thresholds="max_energy_intensity=1.0", limit=50))  # fmt: skip
    rows = page.locator("#cs-targets > tbody > tr")
    assert rows.count() == 50
    first = rows.nth(0)
    first.locator("summary").click()
    factors = first.locator("details table tr")
    assert factors.count() == 7  # header and the six factors
    assert page.locator("#cs-excluded tbody tr").count() > 0  # energy-intensive firms excluded
    assert "1.0" in page.locator("#cs-excluded tbody tr").nth(0).inner_text()
    href = page.locator("#cs-xlsx").get_attribute("href")
    assert href.startswith(f"/chains/{CHAIN}/targets.xlsx?") and "key=" in href
    book = http_get(server.base + href)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    # the language switch changes the interface labels
    assert page.locator("th >> text=排名").first.is_visible()
    page.click("#cs-lang")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("th >> text=Rank").first.is_visible()
    rec.assert_clean()


# -- exported by the CLI, opened from disk ---------------------------------------------------


@pytest.fixture(scope="module")
def exported(cli_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from chainscout.cli import app

    out = tmp_path_factory.mktemp("exports")
    runner = CliRunner()
    files = {"map": out / "map.html", "network": out / "net.html", "targets": out / "targets.html"}
    common = ["--store", str(cli_store), "--lang", "zh"]
    for args in (
        [
            "viz",
            "gaps",
            "--chain",
            CHAIN,
            "--region",
            HOME,
            "--compare",
            COMPARE,
            "-o",
            str(files["map"]),
        ],
        [
            "viz",
            "network",
            IMG_ID,
            "--hops",
            "2",
            "--chain",
            CHAIN,
            "--region",
            HOME,
            "-o",
            str(files["network"]),
        ],
        [
            "viz",
            "targets",
            "--chain",
            CHAIN,
            "--region",
            HOME,
            "--limit",
            "30",
            "-o",
            str(files["targets"]),
        ],
    ):
        result = runner.invoke(app, [*args, *common])
        assert result.exit_code == 0, result.output
    return files


def test_exported_files_carry_everything_they_need(exported: dict[str, Path]) -> None:
    for path in exported.values():
        html = path.read_text(encoding="utf-8")
        assert not OUTSIDE_REF.search(html), path
        assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert (exported["targets"].parent / "targets.xlsx").read_bytes()[:2] == b"PK"


def test_exported_map_opens_from_disk_with_no_server(
    exported: dict[str, Path], open_page: Any
) -> None:
    page, rec = open_page(exported["map"].as_uri())
    wait_for(page, MAPS_READY)
    assert page.evaluate("window.chainscout.maps.map(m => m.nodes.length)") == [37, 37]
    click_node(page, 0, "nev.body")
    wait_for(page, "document.querySelector('#cs-panel-0').dataset.segment === 'nev.body'", 10)
    assert IMG_NAME in page.locator("#cs-panel-0 td.cs-firm").all_inner_texts()
    assert_no_injected_markup(page)
    assert all(u.startswith(("file:", "data:")) for u in rec.requests), rec.requests
    screenshot(page, "gap-map-349900-vs-320500.png")
    rec.assert_clean()


def test_exported_network_and_targets_open_from_disk(
    exported: dict[str, Path], open_page: Any
) -> None:
    page, rec = open_page(exported["network"].as_uri())
    wait_for(page, NET_STABLE, 120)
    names = page.evaluate("window.chainscout.nodes.get().map(n => n.cs.name)")
    assert IMG_NAME in names and SCRIPT_NAME in names
    assert_no_injected_markup(page)
    screenshot(page, "network-hostile-names.png")
    assert all(u.startswith(("file:", "data:")) for u in rec.requests), rec.requests
    rec.assert_clean()

    page, rec = open_page(exported["targets"].as_uri())
    assert page.locator("#cs-targets > tbody > tr").count() == 30
    assert page.locator("#cs-xlsx").get_attribute("href") == "targets.xlsx"
    assert_no_injected_markup(page)
    rec.assert_clean()
