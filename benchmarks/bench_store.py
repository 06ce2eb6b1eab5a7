"""Benchmark the embedded store against a networkx DiGraph built from the same rows.

Generates a graph with the demo generator (default 1,000,000 enterprises, about 5,000,000 supply
links), then runs each step in a child process of its own so that each step's peak memory is its
own: write into a fresh embedded store, write the same rows again (an idempotent upsert), reopen,
extract a view of the whole chain, and, as the baseline, build a networkx DiGraph with the same
nodes, links and attributes. Prints time and peak memory per step and the ratios to the baseline.

    python benchmarks/bench_store.py                 # 1M firms, 5 links per firm
    python benchmarks/bench_store.py --firms 100000  # a quicker run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("generate", "write", "rewrite", "reopen", "view", "networkx")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read_batch(folder: Path):  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    from chainscout.graph.tables import GraphBatch

    return GraphBatch(
        **{p.stem: pq.read_table(p) for p in folder.glob("*.parquet")}  # type: ignore[arg-type]
    )


def step(name: str, folder: Path, firms: int, links_per_firm: float) -> dict[str, object]:
    """Run one step and return what it measured (imports are not timed)."""
    import networkx  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import chainscout.graph
    import chainscout.loaders.demo  # noqa: F401

    started = time.perf_counter()
    extra: dict[str, object] = {}
    if name == "generate":
        import pyarrow.parquet as pq

        from chainscout.loaders.demo import DemoSpec, generate_demo

        data = generate_demo(DemoSpec(firms=firms, links_per_firm=links_per_firm))
        for table_name, table in data.batch.tables().items():
            if table.num_rows:
                pq.write_table(table, folder / f"{table_name}.parquet")
        extra = {
            "enterprises": data.batch.enterprises.num_rows,
            "links": data.batch.supplies.num_rows,
        }
    elif name in ("write", "rewrite"):
        from chainscout.graph import EmbeddedStore
        from chainscout.loaders.chains import builtin_chain
        from chainscout.loaders.demo import demo_regions

        batch = _read_batch(folder)
        read_done = time.perf_counter()
        with EmbeddedStore(folder / "store.duckdb") as store:
            store.upsert_chain(builtin_chain("nev"))
            store.upsert_regions(demo_regions())
            summary = store.write(batch)
        extra = {"read_parquet_s": round(read_done - started, 2), "changed": summary.changed}
        started = read_done
    elif name == "reopen":
        from chainscout.graph import EmbeddedStore

        with EmbeddedStore(folder / "store.duckdb", read_only=True) as store:
            extra = {"enterprises": store.counts().enterprises}
    elif name == "view":
        from chainscout.graph import EmbeddedStore

        with EmbeddedStore(folder / "store.duckdb", read_only=True) as store:
            view = store.view("nev", "440000")
        extra = {
            "firms": view.n_firms,
            "links": view.n_links,
            "bytes_per_link": round(view.nbytes() / max(1, view.n_links), 1),
        }
    elif name == "networkx":
        import networkx as nx

        batch = _read_batch(folder)
        started = time.perf_counter()  # the baseline gets its rows for free, like the store
        g = nx.DiGraph()
        e = batch.enterprises
        g.add_nodes_from(
            (i, {"name": n, "region": r, "revenue": v})
            for i, n, r, v in zip(
                e["id"].to_pylist(), e["name"].to_pylist(), e["region"].to_pylist(),
                e["revenue"].to_pylist(), strict=True,
            )
        )  # fmt: skip
        s = batch.supplies
        g.add_edges_from(
            (a, b, {"share": x, "confidence": c})
            for a, b, x, c in zip(
                s["supplier"].to_pylist(), s["customer"].to_pylist(), s["share"].to_pylist(),
                s["confidence"].to_pylist(), strict=True,
            )
        )  # fmt: skip
        extra = {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
    else:
        raise SystemExit(f"unknown step {name}")
    return {
        "step": name,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": round(_peak_mb()),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--links-per-firm", type=float, default=5.0)
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.dir, args.firms, args.links_per_firm)))
        return
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="chainscout-bench-") as tmp:
        for name in STEPS:
            out = subprocess.run(
                [sys.executable, __file__, "--step", name, "--dir", tmp, "--firms", str(args.firms),
                 "--links-per-firm", str(args.links_per_firm)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(results[name], ensure_ascii=False), flush=True)
        size_mb = (Path(tmp) / "store.duckdb").stat().st_size / 1e6
    base = results["networkx"]
    print(f"\nstore file: {size_mb:.0f} MB")
    header = ("step", "seconds", "peak MB", "time vs networkx", "memory vs networkx")
    print(f"{header[0]:<10} {header[1]:>8} {header[2]:>8} {header[3]:>17} {header[4]:>19}")
    for name in STEPS:
        r = results[name]
        t = float(r["seconds"]) / float(base["seconds"])  # type: ignore[arg-type]
        m = float(r["peak_mb"]) / float(base["peak_mb"])  # type: ignore[arg-type]
        print(f"{name:<10} {r['seconds']:>8} {r['peak_mb']:>8} {t:>16.2f}x {m:>18.2f}x")


if __name__ == "__main__":
    main()
