"""Benchmark of the table loader: 1,000,000 enterprises and 5,000,000 links from CSV into a fresh
embedded store, against ``networkx.from_pandas_edgelist`` on the same links file, in one run.

Each step, the generator too, runs in a child process of its own, and reports the peak resident
memory of that process alone: ``VmHWM`` of ``/proc/self/status`` on Linux. (``ru_maxrss`` is not
that: a child started by fork or vfork and exec keeps the parent's high-water mark, so it showed
the generator's peak, not the load's.)

Run: ``python benchmarks/bench_load.py [--firms N] [--links-per-firm K] [--keep DIR]``
(the baseline needs pandas: ``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv


def _generate(folder: Path, firms: int, links_per_firm: float) -> dict[str, Any]:
    from chainscout.loaders.demo import DemoSpec, generate_demo

    t0 = time.perf_counter()

    data = generate_demo(DemoSpec(firms=firms, links_per_firm=links_per_firm))
    ent = data.batch.enterprises.select(
        ["id", "name", "credit_code", "region", "revenue", "employees", "energy_intensity",
         "env_rating", "rd_share"])  # fmt: skip
    sup = data.batch.supplies.select(["supplier", "customer", "confidence"])
    pacsv.write_csv(ent, folder / "enterprises.csv")
    pacsv.write_csv(sup, folder / "links.csv")
    return {"enterprises": ent.num_rows, "links": sup.num_rows,
            "enterprises_mb": (folder / "enterprises.csv").stat().st_size / 1e6,
            "links_mb": (folder / "links.csv").stat().st_size / 1e6,
            "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}  # fmt: skip


def _generate_child(folder: str, firms: int, links_per_firm: float, out: Any) -> None:
    out.put(_generate(Path(folder), firms, links_per_firm))


def _peak_mb() -> float:
    """Peak resident memory of this process in MB (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _chainscout(folder: str, out: Any) -> None:
    from chainscout.graph import open_store
    from chainscout.loaders.table import load_table

    store_path = Path(folder) / "bench.duckdb"
    for left in (store_path, Path(folder) / "bench.duckdb.wal", Path(folder) / "decisions.csv"):
        left.unlink(missing_ok=True)  # a kept folder: load into a fresh store again
    t0 = time.perf_counter()
    with open_store(store_path) as store:
        e = load_table(store, Path(folder) / "enterprises.csv", kind="enterprises",
                       decisions_path=Path(folder) / "decisions.csv")  # fmt: skip
        t1 = time.perf_counter()
        s = load_table(store, Path(folder) / "links.csv", kind="links")
        t2 = time.perf_counter()
        counts = store.counts()
    out.put({"enterprise_timings": e.timings, "link_timings": s.timings,
             "enterprises_s": t1 - t0, "links_s": t2 - t1, "total_s": t2 - t0,
             "stored_enterprises": counts.enterprises, "stored_links": counts.supplies,
             "rejected": e.rejected + s.rejected, "pending_decisions": e.decisions_pending,
             "peak_mb": _peak_mb()})  # fmt: skip


def _parse_only(folder: str, out: Any) -> None:
    t0 = time.perf_counter()
    table = pacsv.read_csv(Path(folder) / "links.csv", convert_options=pacsv.ConvertOptions(
        column_types={"supplier": pa.string(), "customer": pa.string()}))  # fmt: skip
    out.put({"parse_s": time.perf_counter() - t0, "rows": table.num_rows, "peak_mb": _peak_mb()})


def _baseline(folder: str, out: Any) -> None:
    import networkx as nx
    import pandas as pd

    t0 = time.perf_counter()
    frame = pd.read_csv(Path(folder) / "links.csv", dtype=str)
    graph = nx.from_pandas_edgelist(frame, "supplier", "customer", edge_attr=["confidence"],
                                    create_using=nx.DiGraph)  # fmt: skip
    out.put({"total_s": time.perf_counter() - t0, "nodes": graph.number_of_nodes(),
             "edges": graph.number_of_edges(), "peak_mb": _peak_mb()})  # fmt: skip


def _run(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    while proc.is_alive() or not queue.empty():
        try:
            result: dict[str, Any] = queue.get(timeout=5)
        except Exception:  # queue.Empty: the child is still working, or died
            continue
        proc.join()
        return result
    raise SystemExit(f"{target.__name__} exited with code {proc.exitcode} and no result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--links-per-firm", type=float, default=5.0)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the files in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="chainscout-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    sizes = _run(_generate_child, str(folder), args.firms, args.links_per_firm)
    print(f"generated {sizes['enterprises']:,} enterprises ({sizes['enterprises_mb']:.0f} MB) and"
          f" {sizes['links']:,} links ({sizes['links_mb']:.0f} MB) in"
          f" {sizes['seconds']:.1f} s, peak {sizes['peak_mb']:,.0f} MB")  # fmt: skip
    parse = _run(_parse_only, str(folder))
    ours = _run(_chainscout, str(folder))
    base = _run(_baseline, str(folder))
    rows = sizes["enterprises"] + sizes["links"]
    print(
        f"pyarrow parse of links.csv alone: {parse['parse_s']:.2f} s"
        f" ({sizes['links_mb'] / parse['parse_s']:.0f} MB/s), peak {parse['peak_mb']:,.0f} MB"
    )
    print(
        f"chainscout load table: enterprises {ours['enterprises_s']:.1f} s, links"
        f" {ours['links_s']:.1f} s, total {ours['total_s']:.1f} s,"
        f" {rows / ours['total_s']:,.0f} rows/s, peak {ours['peak_mb']:,.0f} MB"
        f" (stored {ours['stored_enterprises']:,} firms, {ours['stored_links']:,} links,"
        f" rejected {ours['rejected']:,}, pending decisions {ours['pending_decisions']:,})"
    )
    print(
        f"  links alone: {sizes['links'] / ours['links_s']:,.0f} rows/s; seconds read/check/write:"
        f" enterprises {ours['enterprise_timings']}, links {ours['link_timings']}"
    )
    print(
        f"baseline networkx.from_pandas_edgelist (links only): {base['total_s']:.1f} s,"
        f" {sizes['links'] / base['total_s']:,.0f} rows/s, peak {base['peak_mb']:,.0f} MB"
    )
    print(
        f"ratio, links file: chainscout {base['total_s'] / ours['links_s']:.1f}x faster,"
        f" {base['peak_mb'] / ours['peak_mb']:.1f}x less peak memory;"
        f" whole load (firms + links) vs baseline: {base['total_s'] / ours['total_s']:.2f}x"
    )
    print(json.dumps({"sizes": sizes, "parse": parse, "chainscout": ours, "baseline": base}))


if __name__ == "__main__":
    main()
