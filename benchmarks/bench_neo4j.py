"""Loading a generated graph into a real Neo4j: the store's batched writes against one query per row.

Run (with a server from ``scripts/neo4j-server start``; the database must be empty, or pass
``--wipe`` to empty it first)::

    CHAINSCOUT_NEO4J_PASSWORD=... .venv/bin/python benchmarks/bench_neo4j.py \\
        --uri bolt://127.0.0.1:7687 --wipe

It loads ``generate_demo(DemoSpec(firms=100_000, links_per_firm=5))`` (100,000 firms, about
500,000 supply links, their segment memberships and equity links) through
:meth:`Neo4jStore.write`: batches of ``--batch-rows`` rows, each one transaction of ``UNWIND``
statements (``CREATE`` for rows found new, ``MERGE`` for changed ones). Then, on the same server
in the same run, it times the per-row approach that public loaders use: one auto-commit
``CREATE`` query per firm and one ``MATCH … CREATE`` per link (parameterised here, which only
helps it). That approach is time-boxed to a sample
(``--baseline-seconds`` per kind of row) and extrapolated to the whole graph; the sample rows are
deleted afterwards. Speed is printed as rows per second and as the ratio of the two.

Before either is timed, both run once, untimed, on a small graph (``--warmup-firms``) that is
deleted again: a server just started runs interpreted code until its JIT compiler has caught
up, and without the warm-up whichever approach ran first would pay for that alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import neo4j

from chainscout.graph import GraphBatch, Neo4jSettings, Neo4jStore
from chainscout.loaders.demo import DemoSpec, generate_demo


def _driver(settings: Neo4jSettings) -> neo4j.Driver:
    auth = (settings.user, settings.password) if settings.password else None
    return neo4j.GraphDatabase.driver(settings.uri, auth=auth, notifications_min_severity="OFF")


def _wipe(driver: neo4j.Driver, database: str | None) -> None:
    """Delete every relationship and node, in transactions of 10,000 (constraints stay)."""
    with driver.session(database=database) as session:
        for query in (
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
            "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        ):
            session.run(query).consume()


def warm_up(settings: Neo4jSettings, firms: int, batch_rows: int, chunk_rows: int) -> float:
    """Seconds spent running both approaches once on a small graph of ``firms`` firms, then
    emptying the database again. A server just started runs its code interpreted until the JIT
    has compiled the hot paths; whichever approach ran first would pay for that alone, so both
    are warmed up before either is timed."""
    started = time.perf_counter()
    data = generate_demo(DemoSpec(firms=firms, links_per_firm=5))
    with Neo4jStore(settings.uri, chunk_rows=chunk_rows) as store:
        store.upsert_chain(data.chain)
        store.upsert_regions(data.regions)
        bulk_load(store, data.batch, batch_rows)
    with _driver(settings) as driver:
        per_row(driver, settings.database, data.batch, 2.0)
        _wipe(driver, settings.database)
    return time.perf_counter() - started


def _slices(batch: GraphBatch, name: str, rows: int) -> list[GraphBatch]:
    table = batch.tables()[name]
    return [
        GraphBatch(**{name: table.slice(start, rows)}) for start in range(0, table.num_rows, rows)
    ]


def bulk_load(store: Neo4jStore, batch: GraphBatch, batch_rows: int) -> dict[str, float]:
    """Seconds per table for loading ``batch`` through the store, ``batch_rows`` per write."""
    seconds: dict[str, float] = {}
    for name in ("enterprises", "supplies", "memberships", "investments"):
        started = time.perf_counter()
        for part in _slices(batch, name, batch_rows):
            store.write(part)
        seconds[name] = time.perf_counter() - started
    return seconds


def per_row(
    driver: neo4j.Driver, database: str | None, batch: GraphBatch, budget: float
) -> dict[str, tuple[int, float]]:
    """Rows written and seconds taken by one auto-commit query per row, for ``budget`` seconds
    per kind of row: new firms (``CREATE``), and links between loaded firms (``MATCH …
    CREATE``). The sample rows are marked and deleted afterwards."""
    firms: list[dict[str, Any]] = batch.enterprises.to_pylist()
    links: list[dict[str, Any]] = batch.supplies.to_pylist()
    out: dict[str, tuple[int, float]] = {}
    with driver.session(database=database) as session:
        started = time.perf_counter()
        n = 0
        for row in firms:
            session.run(
                "CREATE (e:Enterprise {id: $id, name: $name, region: $region,"
                " revenue: $revenue, employees: $employees, tags: $tags, bench_sample: true})",
                id="bench-sample:" + row["id"],
                name=row["name"],
                region=row["region"],
                revenue=row["revenue"],
                employees=row["employees"],
                tags=row["tags"] or [],
            ).consume()
            n += 1
            if time.perf_counter() - started > budget:
                break
        out["enterprises"] = (n, time.perf_counter() - started)
        started = time.perf_counter()
        n = 0
        for row in links:
            session.run(
                "MATCH (a:Enterprise {id: $supplier}) MATCH (b:Enterprise {id: $customer})"
                " CREATE (a)-[:SUPPLIES {share: $share, volume: $volume, source: $source,"
                " seen: $seen, confidence: $confidence, bench_sample: true}]->(b)",
                supplier=row["supplier"],
                customer=row["customer"],
                share=row["share"],
                volume=row["volume"],
                source=row["source"],
                seen=row["seen"] or [],
                confidence=row["confidence"],
            ).consume()
            n += 1
            if time.perf_counter() - started > budget:
                break
        out["supplies"] = (n, time.perf_counter() - started)
        session.run(
            "MATCH ()-[r:SUPPLIES]->() WHERE r.bench_sample"
            " CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
        session.run(
            "MATCH (e:Enterprise) WHERE e.bench_sample"
            " CALL (e) { DETACH DELETE e } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--uri", default=os.environ.get("CHAINSCOUT_TEST_NEO4J_URI", "bolt://127.0.0.1:7687")
    )
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--links-per-firm", type=float, default=5.0)
    parser.add_argument("--batch-rows", type=int, default=25_000)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--wipe", action="store_true", help="empty the database first")
    parser.add_argument(
        "--warmup-firms",
        type=int,
        default=10_000,
        help="run both approaches on a graph of this many firms first, untimed (0: no warm-up)",
    )
    args = parser.parse_args(argv)

    settings = Neo4jSettings.from_env(args.uri)
    with _driver(settings) as driver:
        if args.wipe:
            _wipe(driver, settings.database)
        held = driver.execute_query(
            "MATCH (n) RETURN count(n) AS n", database_=settings.database
        ).records[0]["n"]
        if held:
            print(
                f"{args.uri} holds {held:,} nodes: pass --wipe to empty it first", file=sys.stderr
            )
            return 2

    if args.warmup_firms > 0:
        secs = warm_up(settings, args.warmup_firms, args.batch_rows, args.chunk_rows)
        print(f"warmed up both approaches on {args.warmup_firms:,} firms in {secs:.1f} s (untimed)")

    started = time.perf_counter()
    data = generate_demo(DemoSpec(firms=args.firms, links_per_firm=args.links_per_firm))
    print(f"generated in {time.perf_counter() - started:.1f} s: {data.batch.rows:,} rows")
    for name, table in data.batch.tables().items():
        if table.num_rows:
            print(f"  {name:<12} {table.num_rows:>9,}")

    with Neo4jStore(args.uri, chunk_rows=args.chunk_rows) as store:
        store.upsert_chain(data.chain)
        store.upsert_regions(data.regions)
        seconds = bulk_load(store, data.batch, args.batch_rows)
        counts = store.counts()
        again_started = time.perf_counter()
        again = sum(
            store.write(part).changed
            for part in _slices(data.batch, "enterprises", args.batch_rows)
        )
        again_seconds = time.perf_counter() - again_started
    tables = data.batch.tables()
    total_rows = sum(tables[n].num_rows for n in seconds)
    total_seconds = sum(seconds.values())
    print(f"\nbatched UNWIND … CREATE/MERGE, {args.batch_rows:,} rows per transaction:")
    for name, secs in seconds.items():
        rows = tables[name].num_rows
        print(f"  {name:<12} {rows:>9,} rows in {secs:7.1f} s = {rows / secs:>9,.0f} rows/s")
    print(
        f"  {'all':<12} {total_rows:>9,} rows in {total_seconds:7.1f} s ="
        f" {total_rows / total_seconds:>9,.0f} rows/s"
    )
    print(
        f"  stored: {counts.enterprises:,} enterprises, {counts.supplies:,} supplies,"
        f" {counts.memberships:,} memberships, {counts.investments:,} investments"
    )
    print(f"  firms written again: {again} changed, {again_seconds:.1f} s")

    with _driver(settings) as driver:
        sample = per_row(driver, settings.database, data.batch, args.baseline_seconds)
    print(
        f"\none auto-commit CREATE per row (time-boxed to {args.baseline_seconds:g} s per kind"
        " of row, extrapolated to the whole table):"
    )
    ratios = []
    for name, (rows, secs) in sample.items():
        rate = rows / secs
        full = tables[name].num_rows / rate
        bulk_rate = tables[name].num_rows / seconds[name]
        ratios.append(bulk_rate / rate)
        print(
            f"  {name:<12} {rows:>9,} rows in {secs:7.1f} s = {rate:>9,.0f} rows/s;"
            f" all {tables[name].num_rows:,} would take {full / 60:,.1f} min"
            f" -> batched is {bulk_rate / rate:,.1f}x faster"
        )
    per_row_total = sum(tables[n].num_rows / (r / s) for n, (r, s) in sample.items())
    bulk_total = sum(seconds[n] for n in sample)
    print(
        f"  firms + supply links: per row {per_row_total / 60:,.1f} min (extrapolated),"
        f" batched {bulk_total:,.1f} s: {per_row_total / bulk_total:,.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
