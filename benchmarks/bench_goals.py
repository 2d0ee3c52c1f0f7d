"""Goal attainment benchmark: ``attainment`` beside a plain-pandas cumulative sum per owner.

For each size, in a fresh process, the wall time and the peak memory above the
process's resident size before the call of

* ``attainment``: ``am_analytics.goals.attainment(data, as_of=AS_OF)`` over
  every goal of the organisation (weekly steps, seasonal expectation,
  completion-ratio projection, pipeline);
* ``pandas peer``: what an analyst would write for the least of it, each
  manager's cumulative net sales per day (``groupby`` + ``cumsum``).

Sizes: the committed sample (40 managers), a generated organisation of 100
managers and 5,000 clients, and 1M sales rows (500 managers, 100,000 clients,
as in ``bench_load.py``); ``--sizes 10m`` adds 10M rows (5,000 managers, 1M
clients). Goals: under 5 s and 1 GB at 1M rows; under 60 s and 4 GB at 10M.
Generated tables are kept as Parquet under ``benchmarks/.data/goals-*``.

Usage::

    python benchmarks/bench_goals.py                     # sample, 100 managers, 1M rows
    python benchmarks/bench_goals.py --sizes sample 100  # the small ones only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from timing import MEMORY_PROBES  # the benchmarks folder is not a package

DATA = Path(__file__).with_name(".data")
AS_OF = "2026-11-15"
#: size name -> (managers, clients) for am_analytics.generate; None is the sample.
SHAPES: dict[str, tuple[int, int] | None] = {
    "sample": None,
    "100": (100, 5_000),
    "1m": (500, 100_000),
    "10m": (5_000, 1_000_000),
}

MEASURE = (
    MEMORY_PROBES
    + r"""
import json, sys, time
from pathlib import Path
import pandas as pd
import am_analytics
from am_analytics.goals import attainment

folder, how, as_of = sys.argv[1], sys.argv[2], sys.argv[3]
if folder == "sample":
    data = am_analytics.load_sample()
else:
    tables = {p.stem: pd.read_parquet(p) for p in Path(folder).glob("*.parquet")}
    data = am_analytics.from_frames(**tables, as_of=as_of)
restart_peak()
before = rss()
started = time.perf_counter()
if how == "attainment":
    rows = len(attainment(data, as_of=as_of))
else:
    sales = data.sales
    daily = sales.groupby(["manager_id", sales["order_date"].dt.normalize()], observed=True)[
        "amount"].sum()
    rows = len(daily.groupby(level=0, observed=True).cumsum())
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "extra_bytes": peak() - before, "rows": rows,
                  "sales": len(data.sales), "goals": len(data.goals)}))
"""
)


def prepare(size: str) -> str:
    """The folder of a generated organisation (written once), or ``"sample"``."""
    shape = SHAPES[size]
    if shape is None:
        return "sample"
    import am_analytics

    folder = DATA / f"goals-{size}"
    if not (folder / "goals.parquet").exists():
        folder.mkdir(parents=True, exist_ok=True)
        frames = am_analytics.generate(n_managers=shape[0], n_clients=shape[1], seed=1)
        for table, frame in frames.items():
            frame.to_parquet(folder / f"{table}.parquet", index=False)
    return str(folder)


def measure(folder: str, how: str) -> dict[str, float]:
    """One measurement in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, folder, how, AS_OF],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["sample", "100", "1m"], choices=SHAPES)
    args = parser.parse_args()
    print(f"{'size':>7} {'sales':>11} {'goals':>7} {'what':>11} {'seconds':>8} {'extra MB':>9}")
    for size in args.sizes:
        folder = prepare(size)
        for how in ("attainment", "pandas"):
            r = measure(folder, how)
            print(
                f"{size:>7} {r['sales']:>11,} {r['goals']:>7,} {how:>11} "
                f"{r['seconds']:>8.2f} {r['extra_bytes'] / 2**20:>9.0f}"
            )


if __name__ == "__main__":
    main()
