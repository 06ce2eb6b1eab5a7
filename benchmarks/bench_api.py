"""Benchmark ``GET /api/v1/chains/{id}/targets`` under load against a trivial FastAPI endpoint.

Starts two servers on loopback, each in a process of its own with one uvicorn worker: ChainScout
on the demo store, and a baseline app whose only route returns a constant JSON body of the same
size as the target page. A load process then drives each for a fixed time with a fixed number
of concurrent connections (wrk when installed — Debian's ``wrk`` package —, else asyncio + httpx)
and prints requests per second and p50/p99 latency,
and the ratios to the baseline. The target list is cached by the API after the first request,
which is what this measures.

    python benchmarks/bench_api.py --seconds 10 --connections 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVER = """
import sys, json
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response
kind, port, store, body_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if kind == "chainscout":
    from chainscout.api import create_app
    from chainscout.api.state import hash_key
    from chainscout.settings import Settings
    app = create_app(Settings(store=store, home_region="349900", chain="nev",
                              api_keys={hash_key("bench-key"): "viewer"}))
else:
    body = open(body_file, "rb").read()
    app = FastAPI()
    @app.get("/constant")
    def constant() -> Response:
        return Response(body, media_type="application/json")
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", workers=1)
"""


async def drive(url: str, seconds: float, connections: int) -> dict[str, float]:
    import httpx2 as httpx

    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, headers={"X-API-Key": KEY}, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await client.get(url)
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def drive_wrk(url: str, seconds: float, connections: int) -> dict[str, float]:
    """The same measurement with wrk (Debian's ``wrk`` package), when it is installed."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--latency",
            "-H",
            f"X-API-Key: {KEY}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(text: str) -> float:
        value = float(text.rstrip("usm"))
        return (
            value / 1000
            if text.endswith("us")
            else value * 1000
            if text.endswith("s") and not text.endswith("ms")
            else value
        )

    lines = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln.strip()}
    requests = int(next(ln for ln in out.splitlines() if "requests in" in ln).split()[0])
    return {
        "requests": requests,
        "rps": float(lines["Requests/sec:"][1]),
        "p50_ms": ms(lines["50%"][1]),
        "p99_ms": ms(lines["99%"][1]),
    }


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx2 as httpx

    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, headers={"X-API-Key": KEY}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--limit", type=int, default=20, help="targets per page")
    parser.add_argument("--drive", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        url, seconds, conns = args.drive
        print(json.dumps(asyncio.run(drive(url, float(seconds), int(conns)))))
        return
    from chainscout.graph import EmbeddedStore
    from chainscout.loaders.demo import build_demo_store

    with tempfile.TemporaryDirectory(prefix="chainscout-bench-") as tmp:
        store = Path(tmp) / "demo.duckdb"
        with EmbeddedStore(store) as s:
            build_demo_store(s)
        ports = {"chainscout": free_port(), "baseline": free_port()}
        body_file = Path(tmp) / "body.json"
        target_url = (
            f"http://127.0.0.1:{ports['chainscout']}/api/v1/chains/nev/targets?limit={args.limit}"
        )
        procs = {}
        try:
            procs["chainscout"] = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SERVER,
                    "chainscout",
                    str(ports["chainscout"]),
                    str(store),
                    str(body_file),
                ]
            )
            wait_up(target_url, procs["chainscout"])
            import httpx2 as httpx

            body = httpx.get(target_url, headers={"X-API-Key": KEY}).content
            body_file.write_bytes(body)
            procs["baseline"] = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SERVER,
                    "baseline",
                    str(ports["baseline"]),
                    str(store),
                    str(body_file),
                ]
            )
            base_url = f"http://127.0.0.1:{ports['baseline']}/constant"
            wait_up(base_url, procs["baseline"])
            results = {}
            for name, url in (("baseline", base_url), ("targets", target_url)):
                if shutil.which("wrk"):
                    results[name] = drive_wrk(url, args.seconds, args.connections)
                    continue
                command = [
                    sys.executable,
                    __file__,
                    "--drive",
                    url,
                    str(args.seconds),
                    str(args.connections),
                ]
                out = subprocess.run(
                    command, capture_output=True, text=True, check=True, env=os.environ
                )
                results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            for p in procs.values():
                p.terminate()
                p.wait(timeout=30)
    tool = "wrk" if shutil.which("wrk") else "python (asyncio + httpx)"
    print(
        f"load from a second process with {tool}; body {len(body):,} bytes;"
        f" {args.connections} connections for {args.seconds:g} s each; one server worker"
    )
    for name, r in results.items():
        print(
            f"{name:<9} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  ({r['requests']:,} requests)"
        )
    b, t = results["baseline"], results["targets"]
    print(
        f"targets vs baseline: throughput {t['rps'] / b['rps']:.2f}x, p99 {t['p99_ms'] / b['p99_ms']:.2f}x"
    )


if __name__ == "__main__":
    main()
