"""Benchmark target ranking on a generated graph against a straightforward networkx version.

Builds an embedded store from the demo generator (default 1,000,000 enterprises, about 5,000,000
links), then measures in the same run:

- the view of the 37-segment chain from a province, and ``rank_targets`` on it, phase by phase:
  the segment analyses, finding the candidates (the two searches from local firms on two
  threads, as ``rank_targets`` makes them), and scoring them (factor values, weighted score
  and the best 50 in order), each phase run again on the same view (median of 5 runs);
- the vectorised scoring of every candidate, against a straightforward implementation of the same
  factors as a Python loop over networkx node attributes with networkx's own link-prediction
  function (Adamic-Adar to the leaders) — time-boxed to a sample of candidates and extrapolated;
- 1-, 2- and 3-hop neighbourhoods of the chain leaders on the view's CSR arrays (median);
- the whole call as the first command after a write meets it: open the store read-only,
  extract the view, rank (median of 5, each on a fresh store); and the same as the first and
  only call of a new Python process, as a command line meets it (median of 5 processes; their
  start and imports are timed apart), set up as the ``chainscout`` command sets its process up
  (numpy's huge-page advice off) and, for comparison, with numpy's default;
- the whole call as a later command meets it: open the store read-only, read the view an earlier
  command kept (``graph.viewcache``), rank (median of 5, each on a fresh store and view), and
  what keeping the view cost the first command; then the same for a second home region,
  which reads the same kept view (a kept view serves every home region).

    python benchmarks/bench_targets.py               # 1M firms
    python benchmarks/bench_targets.py --firms 100000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np

from chainscout.analysis import targets as targets_module
from chainscout.analysis.paths import Reach, neighbourhood
from chainscout.analysis.targets import GAP_VALUE, TargetParams, rank_targets
from chainscout.cli.process import prefer_small_pages
from chainscout.graph import EmbeddedStore
from chainscout.graph.view import TAG_BITS, ChainView
from chainscout.graph.viewcache import file_stamp, save_view
from chainscout.loaders.demo import DemoSpec, build_demo_store

T = TypeVar("T")


def straightforward_scores(view: ChainView, s: targets_module._Scored, sample: np.ndarray) -> float:
    """The same six factors, one candidate at a time over networkx attribute dicts; seconds."""
    g = nx.DiGraph()
    for i in range(view.n_firms):
        g.add_node(i, local=bool(view.is_local[i]), revenue=float(view.revenue[i]),
                   tags=int(view.tag_bits[i]), rd=float(view.rd_share[i]),
                   region=view.regions[i])  # fmt: skip
    g.add_edges_from(zip(view.supplier_of_link.tolist(), view.out_indices.tolist(), strict=True))
    undirected = g.to_undirected(as_view=True)
    leaders = set(s.leaders.tolist())
    status = [GAP_VALUE[r.status] for r in s.seg.gaps.rows]
    leak = [r.leakage or 0.0 for r in s.seg.leak.rows]
    w = s.weights
    started = time.perf_counter()
    for pos in sample.tolist():
        f = int(s.cand[pos])
        seg = int(s.segment[pos])
        attrs = g.nodes[f]
        pull = 0.0
        for other in list(g.successors(f)) + list(g.predecessors(f)):
            if g.nodes[other]["local"]:
                pull += 3.0 if other in leaders else 1.0
        revenue = attrs["revenue"]
        size = (
            0.0
            if revenue != revenue or revenue <= 0
            else min(1.0, max(0.0, (np.log10(revenue) - 2) / 4))
        )
        tags = sum(v for t, v in (("高新技术企业", 0.4), ("专精特新", 0.3), ("小巨人", 0.2),
                                   ("上市公司", 0.3)) if attrs["tags"] & TAG_BITS[t])  # fmt: skip
        rd = 0.0 if attrs["rd"] != attrs["rd"] else attrs["rd"]
        quality = 0.5 * size + 0.3 * min(tags, 1.0) + 0.2 * min(rd / 0.08, 1.0)
        aa = sum(p for _, _, p in nx.adamic_adar_index(undirected, [(f, x) for x in leaders]))
        _ = (w["gap"] * status[seg] + w["pull"] * pull / (pull + 3) + w["demand"] * leak[seg]
             + w["quality"] * quality + w["related"] * s.seg.density[seg] + 0.0 * aa)  # fmt: skip
    return time.perf_counter() - started


REPEAT = 5


def _median_time(step: Callable[[], T]) -> tuple[float, T]:
    """The median time of ``REPEAT`` runs of ``step`` in seconds, and its last result."""
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def kept_view_calls(
    path: Path, region: str, cache: Path
) -> tuple[float, float, tuple[float, float, float]]:
    """Seconds to keep the view (done by the first command), its MB, and the median over fresh
    opens of (open the store and read the kept view, rank_targets, both)."""
    with EmbeddedStore(path, read_only=True) as store:
        view = store.view("nev", region)
    folder = cache / "bench"
    t0 = time.perf_counter()
    save_view(view, folder, stamp=file_stamp(path))
    t_keep = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    del view
    with EmbeddedStore(path, read_only=True, view_cache=cache) as store:
        store.view("nev", region)  # the first command: extracts and keeps the view
    return t_keep, size, fresh_calls(path, region, cache)


def fresh_calls(path: Path, region: str, cache: Path | None) -> tuple[float, float, float]:
    """Median over fresh opens of (open the store and read the kept view, rank_targets, both);
    with no ``cache``, each open extracts the view from the tables instead."""
    reads, ranks, wholes = [], [], []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        with EmbeddedStore(path, read_only=True, view_cache=cache or "off") as store:
            view = store.view("nev", region)
            t1 = time.perf_counter()
            rank_targets(view, TargetParams(), limit=50)
            t2 = time.perf_counter()
        reads.append(t1 - t0)
        ranks.append(t2 - t1)
        wholes.append(t2 - t0)
    med = statistics.median
    return med(reads), med(ranks), med(wholes)


#: What one new process runs: imports, then one whole call extracting the view; prints its times.
#: With "small" it first sets its process up as the ``chainscout`` command does.
_ONE_CALL = """
import json, sys, time
t0 = time.perf_counter()
from chainscout.analysis.targets import TargetParams, rank_targets
from chainscout.graph import EmbeddedStore
if sys.argv[3] == "small":
    from chainscout.cli.process import prefer_small_pages
    prefer_small_pages()
t1 = time.perf_counter()
with EmbeddedStore(sys.argv[1], read_only=True, view_cache="off") as store:
    view = store.view("nev", sys.argv[2])
    t2 = time.perf_counter()
    rank_targets(view, TargetParams(), limit=50)
    t3 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))
"""


#: How a new process sets up its memory pages: as the command does, or as numpy does.
PAGES = ("small", "numpy default")


def process_calls(path: Path, region: str) -> dict[str, tuple[float, float, float]]:
    """For each way of :data:`PAGES`, the median over new Python processes of (imports, open the
    store and extract the view, rank_targets): the one call each makes is its first, with
    nothing warm in the process. "small" sets the process up as the command does, "numpy
    default" leaves numpy's huge-page advice as numpy sets it (see ``chainscout.cli.process``).
    The two alternate, each first in every other round, so neither always follows itself: what
    the previous process left in memory changes how fast huge pages are handed out."""
    runs: dict[str, list[list[float]]] = {pages: [] for pages in PAGES}
    for i in range(REPEAT):
        for pages in PAGES if i % 2 == 0 else PAGES[::-1]:
            out = subprocess.run(
                [sys.executable, "-c", _ONE_CALL, str(path), region, pages],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            runs[pages].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        pages: (
            statistics.median(r[0] for r in rs),
            statistics.median(r[1] for r in rs),
            statistics.median(r[2] for r in rs),
        )
        for pages, rs in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--region", default="440000", help="home region (default 广东)")
    parser.add_argument(
        "--other-region", default="320000",
        help="a second home region read from the same kept view (default 江苏)",
    )  # fmt: skip
    parser.add_argument(
        "--sample", type=int, default=20_000, help="candidates in the loop baseline"
    )
    args = parser.parse_args()
    if prefer_small_pages():
        print("numpy's huge-page advice: off in this process, as the chainscout command sets it")
    with tempfile.TemporaryDirectory(prefix="chainscout-bench-") as tmp:
        path = Path(tmp) / "store.duckdb"
        t = time.perf_counter()
        with EmbeddedStore(path) as store:
            build_demo_store(store, DemoSpec(firms=args.firms, links_per_firm=5))
        print(
            f"store built: {args.firms:,} firms in {time.perf_counter() - t:.1f} s (not measured below)"
        )
        with EmbeddedStore(path, read_only=True) as store:
            t0 = time.perf_counter()
            view = store.view("nev", args.region)
            t_view = time.perf_counter() - t0
        params = TargetParams()
        t0 = time.perf_counter()  # first, on the fresh view: nothing derived from it is kept yet
        ranking = rank_targets(view, params, limit=50)
        t_rank = time.perf_counter() - t0
        # each phase again on the same view, the median of REPEAT runs
        t_segments, seg = _median_time(lambda: targets_module._segment_facts(view, params))
        pool = ThreadPoolExecutor(max_workers=2)

        def searches() -> tuple[Reach, Reach]:  # as rank_targets makes them: on two threads
            return targets_module._search_from_local(view, params, pool)()

        t_found, (leaders, found) = _median_time(
            lambda: (
                targets_module._leaders(view, params),
                targets_module._find_candidates(view, params, seg, (), searches()),
            )
        )
        t_factors, (_, values, _) = _median_time(
            lambda: targets_module._factor_values(view, seg, leaders, found)
        )
        scored = targets_module._score(view, params, ())
        assert np.array_equal(scored.values, values)
        t_combine, top = _median_time(
            lambda: targets_module._order(view, scored, scored.weights, first=50)
        )
        t_score_all = t_factors + t_combine
        pool.shutdown()
        n_cand = len(scored.cand)
        rng = np.random.default_rng(0)
        sample = rng.choice(n_cand, size=min(args.sample, n_cand), replace=False)
        t_loop = straightforward_scores(view, scored, sample) * n_cand / len(sample)
        leaders = scored.leaders[:20]
        t0 = time.perf_counter()  # the first question about a few firms builds it
        _ = view.in_indptr
        t_reverse = time.perf_counter() - t0
        hop_ms = {}
        for hops in (1, 2, 3):
            times = []
            for leader in leaders.tolist():
                t0 = time.perf_counter()
                neighbourhood(view, leader, hops)
                times.append((time.perf_counter() - t0) * 1000)
            sizes = [len(neighbourhood(view, leader, hops)[0]) for leader in leaders.tolist()]
            hop_ms[hops] = (statistics.median(times), int(statistics.median(sizes)))
        n_firms, n_links, ranked, top_name = (
            view.n_firms, view.n_links, ranking.ranked, ranking.rows[0].name
        )  # fmt: skip
        # the first command after a write: it extracts the view
        c_read, c_rank, c_whole = fresh_calls(path, args.region, None)
        by_pages = process_calls(path, args.region)
        p_imports, p_read, p_rank = by_pages["small"]
        h_imports, h_read, h_rank = by_pages["numpy default"]
        t_keep, kept_mb, (t_read, t_kept_rank, t_kept_whole) = kept_view_calls(
            path, args.region, Path(tmp) / "views"
        )
        # the same kept view, seen from another home region: nothing is extracted again
        o_read, o_rank, o_whole = fresh_calls(path, args.other_region, Path(tmp) / "views")
    print(f"view: {n_firms:,} firms, {n_links:,} links from {args.region}: {t_view:.2f} s")
    print(f"candidates: {n_cand:,}; ranked {ranked:,}; top: {top_name}")
    print(f"phases again on the same view, median of {REPEAT} runs each:")
    print(f"segment analyses (gap table, leakage): {t_segments * 1000:.0f} ms")
    print(f"candidates (leaders, reach within 3 hops): {t_found * 1000:.0f} ms")
    print(
        f"scoring {n_cand:,} candidates: factor values {t_factors * 1000:.0f} ms, weighted"
        f" score and the best 50 in order {t_combine * 1000:.0f} ms, together"
        f" {t_score_all * 1000:.0f} ms (top: row {int(top[0])})"
    )
    print(
        f"rank_targets (50 rows with reasons and introducer paths): {t_rank:.2f} s; with the view: {t_view + t_rank:.2f} s"
    )
    print(
        f"straightforward loop over networkx attributes (extrapolated from {len(sample):,}): {t_loop:.1f} s"
    )
    print(f"speed-up of the vectorised scoring over the loop: {t_loop / t_score_all:.0f}x")
    print(f"customer-side CSR, built by the first question about a few firms: {t_reverse:.2f} s")
    for hops, (ms, size) in hop_ms.items():
        print(f"{hops}-hop neighbourhood of a leader: median {ms:.1f} ms ({size:,} firms)")
    print(
        f"whole call extracting the view (the first command after a write), median of {REPEAT}"
        f" fresh commands: {c_whole:.2f} s (open the store and extract the view {c_read:.2f} s,"
        f" rank_targets {c_rank:.2f} s)"
    )
    print(
        f"the same as the only call of a new process, median of {REPEAT} processes:"
        f" {p_read + p_rank:.2f} s (open the store and extract the view {p_read:.2f} s,"
        f" rank_targets {p_rank:.2f} s; before it, the new process imported"
        f" ChainScout in {p_imports:.2f} s)"
    )
    print(
        f"the same with numpy's default huge-page advice, median of {REPEAT} processes run in"
        f" turn with those:"
        f" {h_read + h_rank:.2f} s (extract the view {h_read:.2f} s, rank_targets"
        f" {h_rank:.2f} s; imports {h_imports:.2f} s); small pages are"
        f" {(h_read + h_rank) / (p_read + p_rank):.2f}x as fast"
    )
    print(
        f"whole call from a kept view, median of {REPEAT} fresh commands: {t_kept_whole:.2f} s"
        f" (open the store and read the view {t_read:.2f} s, rank_targets {t_kept_rank:.2f} s);"
        f" vs extracting the view: {c_whole / t_kept_whole:.1f}x"
    )
    print(
        f"whole call from the same kept view for home region {args.other_region}, median of"
        f" {REPEAT} fresh commands: {o_whole:.2f} s (open and read {o_read:.2f} s,"
        f" rank_targets {o_rank:.2f} s)"
    )
    print(
        f"keeping the view for later commands (first command only): {t_keep:.2f} s, {kept_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
