"""pandas beside Dask on a LocalCluster: loading and the sales aggregations, seconds and memory.

On the 10M-row generated data (``bench_load.py``'s ``prepare``; the sales
rewritten once as one Parquet file per month under
``benchmarks/.data/10m/parquet-by-month/sales/month=YYYY-MM/part-0.parquet``),
each configuration runs in a fresh process:

* ``pandas``: ``am_analytics.load(folder)`` then each aggregation in memory;
* ``dask``: a LocalCluster of 2 worker processes (1 thread each, the default
  memory limit), ``load(folder, engine="dask")`` (the validated sales kept on
  the workers) then each aggregation on it;
* ``dask-lazy``: the same with ``persist=False``: each aggregation reads and
  validates the files again;
* ``dask-1gb``: lazy, with a 1 GB memory limit per worker, smaller than the
  validated sales (they do not fit in one worker, nor in the two together).

Per stage: wall seconds, and the peak resident memory of the driver process
and of each worker process so far (Linux's ``VmHWM``, restarted when the run
starts, so peaks only grow along the stages of one run).

Usage::

    python benchmarks/bench_dask.py                    # the three configurations, 10M rows
    python benchmarks/bench_dask.py --configs dask-1gb --millions 1
    python benchmarks/bench_dask.py --configs pandas,dask-1gb --aggregations manager_metrics
    python benchmarks/bench_dask.py --configs pandas,dask --millions 1 --aggregations evaluate

Each stage is one function (``load_pandas``, ``load_dask``, ``aggregate``) so
``benchmarks/run.py`` can import them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name(".data")
PERIOD = "2026Q3"
AS_OF = "2026-11-15"
AGGREGATIONS = ("manager_metrics", "client_features", "rfm_summary")
#: configuration -> (worker memory limit, persist the validated sales); None: pandas
CONFIGS: dict[str, tuple[str, bool] | None] = {
    "pandas": None,
    "dask": ("auto", True),
    "dask-lazy": ("auto", False),
    "dask-1gb": ("1GB", False),
}


def prepare_by_month(millions: int = 10) -> Path:
    """The generated Parquet data with the sales as one file per month (written once)."""
    import pyarrow.parquet as pq

    source, folder = DATA / f"{millions}m" / "parquet", DATA / f"{millions}m" / "parquet-by-month"
    if (folder / "sales").exists():
        return folder
    folder.mkdir(parents=True)
    for table in ("managers", "clients"):
        (folder / f"{table}.parquet").symlink_to(source / f"{table}.parquet")
    sales = pq.read_table(source / "sales.parquet").to_pandas()
    months = sales["order_date"].dt.to_period("M").astype("str")
    for month, part in sales.groupby(months, sort=True):
        path = folder / "sales" / f"month={month}" / "part-0.parquet"
        path.parent.mkdir(parents=True)
        part.to_parquet(path, index=False)
    return folder


def peak_mb() -> float:
    """This process's peak resident memory since :func:`reset_peak`, in MB (Linux's VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Restart the kernel's peak-memory counter (ru_maxrss keeps the peak from before exec)."""
    Path("/proc/self/clear_refs").write_text("5")


def load_pandas(folder: Path) -> Any:
    """The pandas engine: every table read and validated in this process."""
    import am_analytics

    return am_analytics.load(folder, as_of=AS_OF)


def load_dask(folder: Path, *, persist: bool = True) -> Any:
    """The Dask engine on the current client: small tables here, the sales on the cluster."""
    import am_analytics

    return am_analytics.load(folder, as_of=AS_OF, engine="dask", persist=persist)


def aggregate(data: Any, name: str) -> Any:
    """One stage over the sales: manager_metrics, client_features, rfm_summary or evaluate."""
    import am_analytics
    from am_analytics.segments import client_features, rfm_summary

    if name == "manager_metrics":
        return am_analytics.manager_metrics(data, period=PERIOD, as_of=AS_OF)
    if name == "evaluate":  # every section the tables allow, one process (as the CLI with dask)
        return am_analytics.evaluate(data, period=PERIOD, as_of=AS_OF)
    function = client_features if name == "client_features" else rfm_summary
    return function(data.sales, as_of=AS_OF)


def _timed(stage: Callable[[], Any]) -> tuple[Any, float, str | None]:
    """(result, seconds, error text or None) of one stage."""
    started = time.perf_counter()
    try:
        result = stage()
    except Exception as exc:  # a stage not available on this engine yet is a result too
        return None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:300]
    return result, time.perf_counter() - started, None


def run_config(
    config: str, millions: int, aggregations: tuple[str, ...] = AGGREGATIONS
) -> list[dict[str, Any]]:
    """Loading and ``aggregations`` in one configuration, in this process (and its cluster)."""
    dask_config = CONFIGS[config]
    reset_peak()
    rows: list[dict[str, Any]] = []
    if dask_config is None:
        folder = DATA / f"{millions}m" / "parquet"
        data, seconds, error = _timed(lambda: load_pandas(folder))
        rows.append({"stage": "load", "seconds": seconds, "driver_mb": peak_mb(), "error": error})
        for name in aggregations:
            _, seconds, error = _timed(lambda name=name: aggregate(data, name))
            rows.append({"stage": name, "seconds": seconds, "driver_mb": peak_mb(), "error": error})
        return rows
    from distributed import Client, LocalCluster

    limit, persist = dask_config
    folder = prepare_by_month(millions)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            memory_limit=limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        data, seconds, error = _timed(lambda: load_dask(folder, persist=persist))
        rows.append(_dask_row("load", seconds, error, client))
        for name in aggregations if data is not None else ():
            _, seconds, error = _timed(lambda name=name: aggregate(data, name))
            rows.append(_dask_row(name, seconds, error, client))
    return rows


def _dask_row(stage: str, seconds: float, error: str | None, client: Any) -> dict[str, Any]:
    """A stage's figures with the peak memory of each worker process."""
    workers = client.run(peak_mb)
    return {
        "stage": stage,
        "seconds": seconds,
        "driver_mb": peak_mb(),
        "workers_mb": sorted(round(v) for v in workers.values()),
        "error": error,
    }


def main() -> None:
    """Run each configuration in a fresh process and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--millions", type=int, default=10)
    parser.add_argument("--aggregations", default=",".join(AGGREGATIONS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        chosen = tuple(a for a in args.aggregations.split(",") if a)
        print(json.dumps(run_config(args.child, args.millions, chosen)))
        return
    prepare_by_month(args.millions)
    print(f"load average before: {os.getloadavg()}")
    for config in args.configs.split(","):
        done = subprocess.run(
            [
                *(sys.executable, __file__, "--child", config),
                *("--millions", str(args.millions), "--aggregations", args.aggregations),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{config}: failed ({done.returncode}): {done.stderr[-800:]}")
            continue
        for row in json.loads(done.stdout.strip().splitlines()[-1]):
            workers = row.get("workers_mb", "")
            note = f"  [{row['error']}]" if row["error"] else ""
            print(
                f"{config:9} {row['stage']:16} {row['seconds']:7.1f} s  "
                f"driver {row['driver_mb']:6.0f} MB  workers {workers}{note}"
            )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
