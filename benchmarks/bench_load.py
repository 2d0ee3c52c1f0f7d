"""Load + validate benchmark: am_analytics.load beside the plain reads of the same files.

For 1M and 10M generated sales rows (with their managers and clients), in
Parquet and in CSV, each measurement runs in a fresh process and reports wall
time and peak memory: the highest resident size during the read above the
resident size just before it (``VmHWM`` reset before the read), divided by the
``memory_usage(deep=True)`` of the loaded frames (polars: ``estimated_size``). The
CPU time of the process (every thread) is shown beside the wall time: on a shared
machine it moves less with the other load than the wall time does.

* ``plain``: what an analyst would do to get the three frames without checks
  (``pandas.read_parquet``; ``pandas.read_csv(engine="pyarrow")``);
* ``polars``: ``polars.read_parquet``; ``polars.read_csv(try_parse_dates=True)``;
* ``am_analytics``: ``am_analytics.load(folder)``: header mapping, parsing,
  references, keys and the pandera schemas, rejects and provenance.

Goals (issue 15) at 10M rows: ``load`` within 1.5x of ``plain`` for each format,
peak memory under 1.5x the loaded frames, and time growth from 1M to 10M rows
at most 11x; the ratio to polars is shown beside them. Each figure is the
median of ``--repeat`` fresh-process runs; the load average is printed before
and after, since the machine may be shared.

Usage::

    python benchmarks/bench_load.py                         # 1M and 10M rows
    python benchmarks/bench_load.py --sizes 1               # 1M rows only
    python benchmarks/bench_load.py --sizes 1 10 --repeat 3 # growth and goals
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from timing import MEMORY_PROBES, verdict  # the benchmarks folder is not a package

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
import json, sys, time
from pathlib import Path
__PROBES__
folder, fmt, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
tables = ("managers", "clients", "sales")
import pandas as pd
if how == "polars":
    import polars as pl
else:
    import am_analytics
    am_analytics.load  # the library's modules imported, as pyarrow's are for plain
    if how == "plain" and fmt == "parquet":
        import pyarrow.parquet  # what pandas.read_parquet imports on first use
restart_peak()
before = rss()
started, cpu_started = time.perf_counter(), time.process_time()
if how == "plain" and fmt == "parquet":
    frames = [pd.read_parquet(folder / f"{t}.parquet") for t in tables]
elif how == "plain":
    frames = [pd.read_csv(folder / f"{t}.csv", engine="pyarrow") for t in tables]
elif how == "polars" and fmt == "parquet":
    frames = [pl.read_parquet(folder / f"{t}.parquet") for t in tables]
elif how == "polars":
    frames = [pl.read_csv(folder / f"{t}.csv", try_parse_dates=True) for t in tables]
else:
    data = am_analytics.load(folder)
    assert data.is_clean, data.rejects.head()
    frames = [data.managers, data.clients, data.sales]
seconds = time.perf_counter() - started
cpu = time.process_time() - cpu_started
peak = peak() - before
if how == "polars":
    size = sum(f.estimated_size() for f in frames)
else:
    size = sum(int(f.memory_usage(deep=True).sum()) for f in frames)
rows = len(frames[2])
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "size": size, "rows": rows}))
""".replace("__PROBES__", MEMORY_PROBES)

#: The readers, in the order they are shown; ratios are to ``plain``.
READERS = ("plain", "polars", "am_analytics")
#: The goals of issue 15 at 10M rows: time within this factor of ``plain``, peak memory
#: within this factor of the loaded frames, and 1M -> 10M time growth at most this.
TIME_GOAL, MEMORY_GOAL, GROWTH_GOAL = 1.5, 1.5, 11.0


def measure(folder: Path, fmt: str, how: str) -> dict[str, float]:
    """One measurement in a fresh interpreter, so peak memory is its own."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder / fmt), fmt, how],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def median_run(folder: Path, fmt: str, how: str, repeat: int) -> dict[str, float]:
    """The run of median time among ``repeat`` fresh-process runs."""
    runs = sorted((measure(folder, fmt, how) for _ in range(repeat)), key=lambda r: r["seconds"])
    return runs[(len(runs) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10], choices=sorted(SHAPES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median kept)")
    args = parser.parse_args()
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    header = (
        f"{'rows':>5} {'format':<8} {'reader':<13} {'seconds':>8} {'cpu s':>6} {'vs plain':>9} "
        f"{'vs polars':>9} {'peak MB':>8} {'frames MB':>9} {'peak/frames':>11}"
    )
    print(header)
    print("-" * len(header))
    results: dict[tuple[int, str, str], dict[str, float]] = {}
    for millions in args.sizes:
        folder = prepare(millions)
        for fmt in ("parquet", "csv"):
            for how in READERS:
                results[millions, fmt, how] = median_run(folder, fmt, how, args.repeat)
            plain = results[millions, fmt, "plain"]["seconds"]
            polars = results[millions, fmt, "polars"]["seconds"]
            for how in READERS:
                r = results[millions, fmt, how]
                print(
                    f"{millions:>4}M {fmt:<8} {how:<13} {r['seconds']:>8.2f} {r['cpu']:>6.2f} "
                    f"{r['seconds'] / plain:>8.2f}x {r['seconds'] / polars:>8.2f}x "
                    f"{r['peak'] / 2**20:>8.0f} {r['size'] / 2**20:>9.0f} "
                    f"{r['peak'] / r['size']:>11.2f}"
                )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    _growth(results, args.sizes)
    _goals(results, max(args.sizes))


def _growth(results: dict[tuple[int, str, str], dict[str, float]], sizes: list[int]) -> None:
    """Time growth from the smallest size to the largest, per format and reader."""
    low, high = min(sizes), max(sizes)
    if low == high:
        return
    print(f"\ngrowth of the time from {low}M to {high}M rows")
    for fmt in ("parquet", "csv"):
        for how in READERS:
            factor = results[high, fmt, how]["seconds"] / results[low, fmt, how]["seconds"]
            print(f"  {fmt:<8} {how:<13} {factor:>6.1f}x")


def _goals(results: dict[tuple[int, str, str], dict[str, float]], size: int) -> None:
    """PASS/MISS against the goals, at the largest size measured."""
    print(f"\ngoals at {size}M rows")
    for fmt, peer in (("parquet", "pandas.read_parquet"), ("csv", "read_csv(engine='pyarrow')")):
        ours, plain = results[size, fmt, "am_analytics"], results[size, fmt, "plain"]
        ratio = ours["seconds"] / plain["seconds"]
        to_polars = ours["seconds"] / results[size, fmt, "polars"]["seconds"]
        print(
            f"  {verdict(ratio <= TIME_GOAL)} {fmt} time {ratio:.2f}x {peer} "
            f"(goal <= {TIME_GOAL}x); {to_polars:.2f}x polars"
        )
        memory = ours["peak"] / ours["size"]
        print(
            f"  {verdict(memory <= MEMORY_GOAL)} {fmt} peak {memory:.2f}x the loaded frames "
            f"(goal < {MEMORY_GOAL}x)"
        )
        if (1, fmt, "am_analytics") in results and size != 1:
            growth = ours["seconds"] / results[1, fmt, "am_analytics"]["seconds"]
            print(
                f"  {verdict(growth <= GROWTH_GOAL)} {fmt} growth 1M -> {size}M {growth:.1f}x "
                f"(goal <= {GROWTH_GOAL:g}x)"
            )


if __name__ == "__main__":
    main()
