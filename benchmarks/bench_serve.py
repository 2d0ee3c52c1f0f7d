"""HTTP scoring service benchmark: ``am-analytics serve`` against a bare FastAPI endpoint.

For 1 and 2 worker processes, the service is started on loopback with the
sample's fitted manager model (``fit_scorecard(load_sample(), period="2026Q3")``
written with ``write_model``), and so is a bare FastAPI application whose one
endpoint answers a constant, under the same uvicorn settings (workers, event
loop, HTTP parser; the service writes its JSON access line, to /dev/null).
A second process sends a bounded number of requests over keep-alive
connections (a small asyncio HTTP/1.1 client: httpx costs more CPU than the
servers, and the client shares the machine's cores with them) at 1, 8 and 32
concurrent connections and reports requests/s and the p50 / p99 latency of:

* ``single``: one manager per request (``score_one`` on the server);
* ``batch``: 1,000 managers per request (``score`` on one frame);
* ``bare``: the constant endpoint, the ceiling the framework allows.

Goals on 2 cores, 2 workers, 8 connections: single p99 < 10 ms, single
throughput >= 70 % of the bare endpoint's; a 1,000-record batch < 50 ms
(p50, 1 connection). Timings on a machine shared with other work vary; the
1-minute load average is printed beside them.

Usage::

    python benchmarks/bench_serve.py                  # 1 and 2 workers
    python benchmarks/bench_serve.py --workers 2 --requests 1000
    python benchmarks/bench_serve.py --json serve.json
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from timing import verdict  # the benchmarks folder is not a package

CONNECTIONS = (1, 8, 32)
#: Requests per (kind, connections) run: single-record and bare runs, and batch runs.
DEFAULT_REQUESTS = 2000
BATCH_REQUESTS = 40
BATCH_SIZE = 1000
GOAL_SINGLE_P99_MS = 10.0
GOAL_SHARE_OF_BARE = 0.70
GOAL_BATCH_MS = 50.0

BARE_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/managers/score")
async def constant() -> dict[str, float]:
    return {"score": 50.0}
"""

#: The load generator, run in its own process: argv = port, connections, requests, body file.
CLIENT = r"""
import asyncio, json, sys, time

port, connections, total = (int(a) for a in sys.argv[1:4])
body_file = sys.argv[4]
body = open(body_file, "rb").read()
request = (
    b"POST /v1/managers/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
)
latencies, statuses = [], {}
remaining = total


async def read_answer(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def connection():
    global remaining
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while remaining > 0:
        remaining -= 1
        started = time.perf_counter()
        writer.write(request)
        status = await read_answer(reader)
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
    writer.close()


async def main():
    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return time.perf_counter() - started


wall = asyncio.run(main())
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
print(json.dumps({"rps": len(latencies) / wall, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
                  "statuses": statuses}))
"""


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(folder: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The sample's manager model file and its managers as JSON records."""
    import numpy as np

    import am_analytics as am
    from am_analytics.metrics import manager_metrics
    from am_analytics.scoring import fit_scorecard

    sample = am.load_sample()
    fitted = fit_scorecard(sample, period="2026Q3")
    path = am.write_model(
        fitted, folder / "managers.json", fitted_on={"period": "2026Q3"}, inputs={}
    )
    metrics = manager_metrics(sample, period="2026Q3", metrics=list(fitted.scorecard.metrics))
    rows = metrics.astype(np.float64).astype(object).where(metrics.notna(), None)
    records = [{**row, "id": str(i)} for i, row in rows.iterrows()]
    (folder / "bare_app.py").write_text(BARE_APP)
    return path, records


def start(command: list[str], port: int, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a server and wait until it answers on ``port``."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit(f"the server did not start: {' '.join(command)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`start` (its whole process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def load(port: int, connections: int, requests: int, body: Path) -> dict[str, Any]:
    """Run the load generator once (after 50 untimed requests) and return its figures."""
    for count in (min(50, requests), requests):
        output = subprocess.run(
            [sys.executable, "-c", CLIENT, str(port), str(connections), str(count), str(body)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return dict(json.loads(output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        model, records = prepare(folder)
        bodies = {
            "single": records[0],
            "batch": [records[i % len(records)] for i in range(BATCH_SIZE)],
        }
        for kind, body in bodies.items():
            (folder / f"{kind}.json").write_text(json.dumps(body))
        (folder / "bare.json").write_text(json.dumps(records[0]))
        print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
        print(f"{'workers':>7} {'kind':>6} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for workers in args.workers:
            port = free_port()
            servers = {
                "service": [
                    sys.executable, "-m", "am_analytics.cli", "serve",
                    "--manager-model", str(model), "--port", str(port),
                    "--workers", str(workers),
                ],
                "bare": [
                    sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port),
                    "--workers", str(workers), "--no-access-log", "--no-server-header",
                ],
            }  # fmt: skip
            for server, command in servers.items():
                process = start(command, port, folder)
                try:
                    kinds = ("single", "batch") if server == "service" else ("bare",)
                    for kind in kinds:
                        for connections in CONNECTIONS:
                            count = BATCH_REQUESTS if kind == "batch" else args.requests
                            figures = load(port, connections, count, folder / f"{kind}.json")
                            row = {"workers": workers, "kind": kind, "connections": connections}
                            results.append({**row, **figures})
                            print(
                                f"{workers:>7} {kind:>6} {connections:>5} "
                                f"{figures['rps']:>9.0f} {figures['p50_ms']:>8.2f} "
                                f"{figures['p99_ms']:>8.2f}  {figures['statuses']}"
                            )
                finally:
                    stop(process)
        print(f"load average {os.getloadavg()[0]:.2f}")
    _print_goals(results, max(args.workers))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))


def _print_goals(results: list[dict[str, Any]], workers: int) -> None:
    """PASS or MISS for each goal, on the run with the most workers."""

    def figure(kind: str, connections: int) -> dict[str, Any]:
        return next(
            r
            for r in results
            if (r["workers"], r["kind"], r["connections"]) == (workers, kind, connections)
        )

    single, bare = figure("single", 8), figure("bare", 8)
    batch = figure("batch", 1)
    share = single["rps"] / bare["rps"]
    print(f"\nGoals ({workers} workers):")
    print(
        f"  single record p99 at 8 connections {single['p99_ms']:.2f} ms "
        f"(< {GOAL_SINGLE_P99_MS:.0f}): {verdict(single['p99_ms'] < GOAL_SINGLE_P99_MS)}"
    )
    print(
        f"  single record throughput {share:.0%} of the bare endpoint's at 8 connections "
        f"(>= {GOAL_SHARE_OF_BARE:.0%}): {verdict(share >= GOAL_SHARE_OF_BARE)}"
    )
    print(
        f"  1,000-record batch p50 at 1 connection {batch['p50_ms']:.1f} ms "
        f"(< {GOAL_BATCH_MS:.0f}): {verdict(batch['p50_ms'] < GOAL_BATCH_MS)}"
    )


if __name__ == "__main__":
    main()
