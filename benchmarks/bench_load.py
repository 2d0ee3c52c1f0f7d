"""Load + validate benchmark: am_analytics.load beside the plain reads of the same files.

For 1M and 10M generated sales rows (with their managers and clients), in
Parquet and in CSV, each measurement runs in a fresh process and reports wall
time and peak memory above the process's resident size before the read:

* ``plain``: what an analyst would do to get the three frames without checks
  (``pandas.read_parquet``; ``pyarrow.csv.read_csv(...).to_pandas()``);
* ``am_analytics``: ``am_analytics.load(folder)``: header mapping, parsing,
  references, keys and the pandera schemas, rejects and provenance.

Goal: validation adds at most 50% to the plain read at 10M rows, and peak
memory stays under 2x the loaded frames.

Usage::

    python benchmarks/bench_load.py            # 1M and 10M rows
    python benchmarks/bench_load.py --sizes 1  # 1M rows only (millions of sales rows)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).with_name(".data")
TABLES = ("managers", "clients", "sales")
# 10M sales rows come with 1M clients and 5,000 managers, as in the scoring benchmark.
SHAPES = {1: (500, 100_000), 10: (5_000, 1_000_000)}


def prepare(millions: int) -> Path:
    """Generate the tables once and write them as Parquet and CSV (kept between runs)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    import am_analytics

    folder = DATA / f"{millions}m"
    if (folder / "csv" / "sales.csv").exists() and (folder / "parquet" / "sales.parquet").exists():
        return folder
    n_managers, n_clients = SHAPES[millions]
    started = time.perf_counter()
    frames = am_analytics.generate(n_managers=n_managers, n_clients=n_clients, seed=1)
    print(
        f"generated {len(frames['sales']):,} sales rows in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    for fmt in ("csv", "parquet"):
        (folder / fmt).mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        frame = frames[table]
        frame.to_parquet(folder / "parquet" / f"{table}.parquet", index=False)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        for i, field in enumerate(arrow.schema):
            if pa.types.is_timestamp(field.type):  # exports write dates as 2026-07-01
                arrow = arrow.set_column(i, field.name, arrow.column(i).cast(pa.date32()))
        pacsv.write_csv(arrow, folder / "csv" / f"{table}.csv")
    return folder


MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
import pandas as pd, pyarrow.csv as pacsv
import am_analytics

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096

folder, fmt, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
tables = ("managers", "clients", "sales")
before = rss()
started = time.perf_counter()
if how == "plain" and fmt == "parquet":
    frames = [pd.read_parquet(folder / f"{t}.parquet") for t in tables]
elif how == "plain":
    frames = [pacsv.read_csv(folder / f"{t}.csv").to_pandas() for t in tables]
else:
    data = am_analytics.load(folder)
    assert data.is_clean, data.rejects.head()
    frames = [data.managers, data.clients, data.sales]
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
size = sum(int(f.memory_usage(deep=True).sum()) for f in frames)
print(json.dumps({"seconds": seconds, "peak": peak, "size": size, "rows": len(frames[2])}))
"""


def measure(folder: Path, fmt: str, how: str) -> dict[str, float]:
    """One measurement in a fresh interpreter, so peak memory is its own."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder / fmt), fmt, how],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10], choices=sorted(SHAPES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    args = parser.parse_args()
    header = (
        f"{'rows':>5} {'format':<8} {'reader':<13} {'seconds':>8} {'vs plain':>9} "
        f"{'peak MB':>8} {'frames MB':>9} {'peak/frames':>11}"
    )
    print(header)
    print("-" * len(header))
    for millions in args.sizes:
        folder = prepare(millions)
        for fmt in ("parquet", "csv"):
            results = {
                how: min(
                    (measure(folder, fmt, how) for _ in range(args.repeat)),
                    key=lambda r: r["seconds"],
                )
                for how in ("plain", "am_analytics")
            }
            plain = results["plain"]["seconds"]
            for how, r in results.items():
                print(
                    f"{millions:>4}M {fmt:<8} {how:<13} {r['seconds']:>8.2f} "
                    f"{r['seconds'] / plain - 1:>+8.0%} {r['peak'] / 2**20:>8.0f} "
                    f"{r['size'] / 2**20:>9.0f} {r['peak'] / r['size']:>11.2f}"
                )


if __name__ == "__main__":
    main()
