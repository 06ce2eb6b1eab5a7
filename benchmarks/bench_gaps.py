"""Benchmark: the chain-gap table on a 40-segment chain over 1,000,000 generated enterprises.

Run with ``python benchmarks/bench_gaps.py [--firms N]``. It generates the demo graph at the given
size (``DemoSpec(firms=N, links_per_firm=5)``), splits three segments into sub-segments to make a
40-segment chain, writes it into a temporary embedded store and prints:

- the time to extract the view and to compute the gap table (vectorised, median of 5 runs);
- the same table by a straightforward loop over networkx node attributes, in the same run, with
  the ratio, after checking both give the same counts;
- the chain leaders' PageRank against a converged solution (top 100 identical), and what
  ``networkx.pagerank`` with its default tolerance gives on the same graph.

It is a script, not a test: timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
from scipy import sparse

from chainscout.analysis.gaps import GapThresholds, gap_table
from chainscout.analysis.leaders import chain_leaders, pagerank
from chainscout.graph import open_store
from chainscout.graph.model import Chain, Segment
from chainscout.graph.tables import GraphBatch
from chainscout.graph.view import ChainView
from chainscout.loaders.demo import DemoSpec, generate_demo

SPLITS = {  # parent -> its new sub-segments (37 + 3 = 40 segments)
    "nev.cathode": ("nev.cathode_lfp", "磷酸铁锂正极"),
    "nev.battery_cell": ("nev.cell_storage", "储能电芯"),
    "nev.vehicle": ("nev.vehicle_bus", "新能源客车"),
}


def _timed(fn: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    fn()  # warm up
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def forty_segment_chain(chain: Chain) -> Chain:
    subs = [
        Segment(id=sid, chain=chain.id, name=name, level=1, parent=parent)
        for parent, (sid, name) in SPLITS.items()
    ]
    return chain.model_copy(update={"segments": (*chain.segments, *subs)})


def split_memberships(batch: GraphBatch) -> GraphBatch:
    """Move every other membership of each split segment into its sub-segment."""
    mem = batch.memberships
    seg = mem["segment"].to_numpy(zero_copy_only=False).astype(object)
    for parent, (sid, _) in SPLITS.items():
        rows = np.flatnonzero(seg == parent)
        seg[rows[::2]] = sid
    table = mem.set_column(
        mem.schema.get_field_index("segment"), "segment", pa.array(seg, pa.string())
    )
    return GraphBatch(
        enterprises=batch.enterprises,
        supplies=batch.supplies,
        memberships=table,
        investments=batch.investments,
    )


def networkx_gap_loop(g: nx.Graph, segments: list[str], parent: dict[str, str]) -> dict[str, Any]:
    """The gap table the straightforward way: one pass over node attribute dicts."""
    firms = dict.fromkeys(segments, 0)
    local = dict.fromkeys(segments, 0)
    size = dict.fromkeys(segments, 0.0)
    local_size = dict.fromkeys(segments, 0.0)
    top_size = 0.0
    top_local = 0.0
    for _, data in g.nodes(data=True):
        rev = data["revenue"]
        rev = 0.0 if rev != rev else rev
        rolled: dict[str, float] = {}
        for s, share in data["segments"].items():
            node: str | None = s
            while node is not None:
                rolled[node] = rolled.get(node, 0.0) + share
                node = parent.get(node)
        top = 0.0
        for s, share in rolled.items():
            share = min(1.0, share)
            firms[s] += 1
            size[s] += share * rev
            if data["local"]:
                local[s] += 1
                local_size[s] += share * rev
            if s not in parent:
                top += share
        top_size += min(1.0, top) * rev
        if data["local"]:
            top_local += min(1.0, top) * rev
    chain_share = top_local / top_size
    th = GapThresholds()
    status = {}
    for s in segments:
        if firms[s] == 0 or local[s] == 0:
            status[s] = "missing"
            continue
        lq = (local_size[s] / size[s]) / chain_share if size[s] else 0.0
        if local[s] < th.weak_min_firms or lq < th.weak_lq:
            status[s] = "weak"
        elif lq >= th.strong_lq and local[s] >= th.strong_min_firms:
            status[s] = "strong"
        else:
            status[s] = "present"
    return {"firms": firms, "local": local, "size": size, "status": status}


def build_networkx(view: ChainView, sym: sparse.csr_array) -> nx.DiGraph:
    """A DiGraph of the view with node attributes, links both ways round (for the baselines)."""
    g = nx.DiGraph()
    memb = view.membership
    for i in range(view.n_firms):
        lo, hi = memb.indptr[i], memb.indptr[i + 1]
        g.add_node(
            i,
            local=bool(view.is_local[i]),
            revenue=float(view.revenue[i]),
            segments={
                view.segment_ids[j]: float(v)
                for j, v in zip(memb.indices[lo:hi], memb.data[lo:hi], strict=True)
            },
        )
    coo = sym.tocoo()
    g.add_edges_from(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    return g


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--links-per-firm", type=float, default=5.0)
    args = parser.parse_args()

    t = time.perf_counter()
    data = generate_demo(DemoSpec(firms=args.firms, links_per_firm=args.links_per_firm))
    chain = forty_segment_chain(data.chain)
    batch = split_memberships(data.batch)
    print(
        f"generated {args.firms:,} firms, {batch.supplies.num_rows:,} links,"
        f" {len(chain.segments)} segments in {time.perf_counter() - t:.1f} s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with open_store(path) as store:
            t = time.perf_counter()
            store.upsert_chain(chain)
            store.upsert_regions(data.regions)
            store.write(batch)
            print(f"written to a temporary embedded store in {time.perf_counter() - t:.1f} s")
            view_s, view = _timed(lambda: store.view("nev", data.home_region), runs=3)
        print(
            f"view extraction: {view_s * 1000:,.0f} ms (median of 3) for {view.n_firms:,} firms,"
            f" {view.n_links:,} links, {view.n_segments} segments"
        )

        t = time.perf_counter()
        gap_table(view)
        first_s = time.perf_counter() - t
        gap_s, table = _timed(lambda: gap_table(view))
        print(
            f"gap table, vectorised: {gap_s * 1000:.1f} ms (median of 5; the first call, which"
            f" also rolls sub-segments up into their parents, {first_s * 1000:.1f} ms);"
            f" statuses {table.status_counts}"
        )

        t = time.perf_counter()
        sym = sparse.csr_array(view.adjacency + view.adjacency.T)
        sym.data = np.ones_like(sym.data)
        g = build_networkx(view, sym)
        print(
            f"networkx graph with node attributes built in {time.perf_counter() - t:.1f} s"
            " (not counted below)"
        )
        parent = {s.id: s.parent for s in chain.segments if s.parent}
        loop_s, loop = _timed(lambda: networkx_gap_loop(g, view.segment_ids, parent), runs=3)
        same = all(
            loop["firms"][r.segment] == r.firms
            and loop["local"][r.segment] == r.local_firms
            and abs(loop["size"][r.segment] - r.size) <= 1e-6 * max(1.0, r.size)
            and loop["status"][r.segment] == r.status.value
            for r in table.rows
        )
        print(
            f"gap table, loop over networkx node attributes: {loop_s * 1000:,.0f} ms"
            f" (median of 3); same counts and statuses: {same}"
        )
        print(f"speed-up: {loop_s / gap_s:,.0f}x")

        lead_s, leaders = _timed(lambda: chain_leaders(view, limit=100), runs=1)
        print(
            f"chain leaders (PageRank tol 1e-10 on L1, {leaders.centrality_iterations}"
            f" iterations, converged {leaders.centrality_converged}): {lead_s:.2f} s"
        )
        t = time.perf_counter()
        ref = pagerank(sym, tol=1e-15, max_iter=5000)
        print(
            f"converged reference PageRank (tol 1e-15, {ref.iterations} iterations):"
            f" {time.perf_counter() - t:.2f} s"
        )
        local = np.flatnonzero(view.is_local)
        ids = view.ids[local].astype(str)
        ref_top = [str(x) for x in ids[np.lexsort((ids, -ref.values[local]))[:100]]]
        ours = chain_leaders(view, limit=len(local), pulls=0)
        our_top = [r.id for r in sorted(ours.rows, key=lambda r: r.centrality_rank)[:100]]
        print(
            f"leaders' centrality, top 100 local firms identical to the converged solution:"
            f" {our_top == ref_top}"
        )
        all_ref = np.argsort(-ref.values, kind="stable")[:100]
        ours_all = pagerank(sym)
        all_ours = np.argsort(-ours_all.values, kind="stable")[:100]
        print(
            f"top 100 of all {view.n_firms:,} firms identical: {bool((all_ref == all_ours).all())}"
        )
        t = time.perf_counter()
        default = nx.pagerank(g)  # tol 1e-6, stopping when the L1 change < N * tol
        nx_s = time.perf_counter() - t
        nx_values = np.array([default[i] for i in range(view.n_firms)])
        nx_top = np.argsort(-nx_values, kind="stable")[:100]
        overlap = len(set(nx_top.tolist()) & set(all_ref.tolist()))
        same_order = int((nx_top == all_ref).sum())
        print(
            f"networkx.pagerank with its default tolerance: {nx_s:.1f} s; of the converged top"
            f" 100 it finds {overlap}, {same_order} in the same place"
        )


if __name__ == "__main__":
    main()
