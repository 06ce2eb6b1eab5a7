"""Benchmark: the enterprise-network page at 500, 2,000, 5,000 and 50,000 firms, in Chromium.

Run with ``python benchmarks/bench_viz.py [--sizes 500,2000,5000,50000] [--out DIR]``. For each
size it generates the demo graph (``DemoSpec(firms=N)``), takes the best-connected firm as the
centre and its neighbourhood up to ``--hops`` links, and prints:

- analysis: rank_targets + chain_leaders on the view (what the page marks), once;
- render: ``render_network`` to a standalone HTML string (median of 3), with the baseline in the
  same run: pyvis's own ``Network.generate_html()`` on the same nodes and links (which, note,
  links Bootstrap from a CDN and would not work offline) and the ratio;
- in headless Chromium (Debian's /usr/bin/chromium, Playwright ``executable_path``), opened from
  disk with every outside request aborted: the time to the first drawn frame, the time until the
  physics is stable and switched off, and the longest the page's main thread was unresponsive
  while it laid out (the worst round trip of a trivial probe sent every 100 ms);
- firms drawn and whether the page grouped the rest.

Sizes up to 5,000 are drawn whole (``max_nodes`` 5,000); at 50,000 the page keeps its default
limit (``DEFAULT_MAX_NODES``) and groups the rest by segment, saying so on the page.

It is a script, not a test: timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainscout.analysis.leaders import chain_leaders
from chainscout.analysis.targets import TargetParams, rank_targets
from chainscout.graph import open_store
from chainscout.loaders.demo import DemoSpec, build_demo_store
from chainscout.viz.network import DEFAULT_MAX_NODES, network_data, render_network

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DRAWN_LIMIT = 5000


def _median(fn: Any, runs: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _pyvis_baseline(data: dict[str, Any]) -> str:
    """The same nodes and links through pyvis's own template (in_line mode)."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    net.nodes = [dict(n) for n in data["nodes"]]
    net.node_ids = [n["id"] for n in net.nodes]
    net.node_map = {n["id"]: n for n in net.nodes}
    net.edges = [dict(e) for e in data["edges"]]
    html: str = net.generate_html()
    return html


def _browser_run(context: Any, path: Path, timeout: float) -> dict[str, Any]:
    page = context.new_page()
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load")
    worst = 0.0
    deadline = t0 + timeout
    stable = False
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        stable = bool(page.evaluate("!!(window.chainscout && window.chainscout.stable)"))
        worst = max(worst, time.perf_counter() - t)
        if stable:
            break
        time.sleep(0.1)
    timing = page.evaluate("window.chainscout && window.chainscout.timing") or {}
    nav = page.evaluate("performance.timeOrigin") or 0
    del nav
    # one more probe after it settled, for the responsiveness of a laid-out page
    t = time.perf_counter()
    page.evaluate("window.chainscout.view.length")
    after = time.perf_counter() - t
    shown = page.evaluate("window.chainscout.nodes.length")
    note = page.locator("#cs-truncated")
    result = {
        "stable": stable,
        "drawn_s": (timing.get("drawn") or float("nan")) / 1000,
        "stable_s": (timing.get("stable") or float("nan")) / 1000,
        "worst_probe_s": worst,
        "probe_after_s": after,
        "nodes_in_page": shown,
        "note": note.inner_text() if note.count() else "",
        "outside": outside,
    }
    page.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,2000,5000,50000")
    parser.add_argument("--hops", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None, help="keep the pages in this folder")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per page")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-viz-"))
    out.mkdir(parents=True, exist_ok=True)

    rows = []
    for n in sizes:
        store = open_store(":memory:")
        build_demo_store(store, DemoSpec(firms=n))
        view = store.view("nev", "349900")
        degree = np.diff(view.out_indptr) + np.diff(view.in_indptr)
        centre = str(view.ids[int(np.argmax(degree))])
        params = TargetParams()
        t = time.perf_counter()
        ranking = rank_targets(view, params, limit=None)
        leaders = chain_leaders(view, limit=params.leaders)
        analysis = time.perf_counter() - t
        max_nodes = DRAWN_LIMIT if n <= DRAWN_LIMIT else DEFAULT_MAX_NODES
        names = {r.code: r.name for r in store.list_regions()}

        def ours(
            view: Any = view, centre: str = centre, max_nodes: int = max_nodes,
            ranking: Any = ranking, leaders: Any = leaders, names: Any = names,
        ) -> str:  # fmt: skip
            return render_network(view, centre, hops=args.hops, max_nodes=max_nodes,
                                  ranking=ranking, leaders=leaders, region_names=names)  # fmt: skip

        render_s, html = _median(ours)
        data = network_data(view, centre, hops=args.hops, max_nodes=max_nodes, ranking=ranking,
                            leaders=leaders, region_names=names)  # fmt: skip
        base_s, _ = _median(lambda data=data: _pyvis_baseline(data))
        path = out / f"network-{n}.html"
        path.write_text(html, encoding="utf-8")
        rows.append({
            "firms": n, "links": view.n_links, "reachable": data["total"], "drawn": data["shown"],
            "groups": data["groups"], "edges": len(data["edges"]), "analysis_s": analysis,
            "render_s": render_s, "pyvis_s": base_s, "html_mb": len(html.encode()) / 1e6,
            "path": path,
        })  # fmt: skip
        store.close()

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        profile = tempfile.mkdtemp(prefix="bench-viz-profile-")
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": 1400, "height": 900},
        )  # fmt: skip
        for row in rows:
            row.update(_browser_run(context, row["path"], args.timeout))
        context.close()

    print(f"pages in {out}")
    print(
        f"{'firms':>7} {'links':>7} {'reach':>7} {'drawn':>6} {'groups':>6} {'edges':>6}"
        f" {'analysis':>9} {'render':>7} {'pyvis':>7} {'ratio':>6} {'MB':>5}"
        f" {'drawn@':>7} {'stable@':>8} {'worst probe':>11}"
    )
    for r in rows:
        print(
            f"{r['firms']:>7,} {r['links']:>7,} {r['reachable']:>7,} {r['drawn']:>6,}"
            f" {r['groups']:>6} {r['edges']:>6,} {r['analysis_s']:>8.2f}s {r['render_s']:>6.2f}s"
            f" {r['pyvis_s']:>6.2f}s {r['render_s'] / r['pyvis_s']:>5.2f}x {r['html_mb']:>5.1f}"
            f" {r['drawn_s']:>6.1f}s {r['stable_s']:>7.1f}s {r['worst_probe_s']:>10.2f}s"
            + ("" if r["stable"] else "  (not stable within the timeout)")
            + (f"  outside requests: {r['outside']}" if r["outside"] else "")
        )
    for r in rows:
        if r["note"]:
            print(f"{r['firms']:,} firms, the page says: {r['note']}")
    print("drawn@/stable@: seconds from navigation start to the first frame / to physics off;"
          " worst probe: longest round trip of a trivial script call while it laid out.")  # fmt: skip


if __name__ == "__main__":
    main()
