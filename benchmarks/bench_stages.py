"""Stage benchmark: ``segment_clients`` and ``training_impact`` at 1M and 10M sales rows.

For each size (the generated data of ``bench_load.py``: 1M sales rows with 500
managers and 100,000 clients; 10M rows with 5,000 managers and 1M clients) and
each stage, a fresh process loads the dataset (outside the timing), calls the
stage once as a warm-up, measuring the peak resident size of that call above the
size before it (the peak counter is restarted through ``/proc/self/clear_refs``),
then times the median of ``--runs`` calls (wall time; the mean CPU time of the
process per call is printed beside it, which moves less with the machine's load).
Beside each stage, where one makes sense, the idiomatic-pandas floor of its core
aggregation is timed the same way:

* ``segment_clients(dataset, as_of=AS_OF)``: features, RFM, segments, ABC and
  value tiers (``k="auto"``), expected value and the service plan. Floor: the
  per-client RFM of the orders in one ``groupby().agg`` pass (first and last
  order date, order count, amount), only a part of what the stage computes.
* ``training_impact(dataset, as_of=AS_OF)``: the stacked difference in
  differences of net credited sales per quarter, any course category. Floor:
  net sales per manager and quarter in one ``groupby`` pass (the panel's outcome).

The training table is not in the folders of ``bench_load.py``:
:func:`prepare_training` generates it once with the same arguments (the same
frames as the other tables) and keeps it under ``benchmarks/.data/<size>/training/``.

Goals (issue 15) at 10M rows: ``segment_clients`` under 5 s, ``training_impact``
under 2 s. The growth 1M -> 10M is printed beside them. The 1-minute load average
is printed before and after each size: the machine is shared, and wall times move
with it.

The stage functions (:func:`load_stage_data`, :func:`time_segment_clients`,
:func:`time_training_impact`) can be imported by other scripts.

Usage::

    python benchmarks/bench_stages.py                  # 1M and 10M rows
    python benchmarks/bench_stages.py --sizes 1        # 1M rows only
    python benchmarks/bench_stages.py --runs 5         # medians of 5 runs
    python benchmarks/bench_stages.py --json out.json  # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import DATA, SHAPES, prepare  # the benchmarks folder is not a package
from timing import MEMORY_PROBES, median_seconds, verdict

#: The last day of the generated data (``am_analytics.generate``'s default end).
AS_OF = "2026-11-15"
#: Goals at 10M sales rows, in seconds.
GOALS = {"segment_clients": 5.0, "training_impact": 2.0}
STAGES = tuple(GOALS)
#: Lines of a failed child's standard error kept in the output.
ERROR_TAIL = 30


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def prepare_training(millions: int) -> Path:
    """The generated training table of a size as Parquet (written once, then kept)."""
    path = DATA / f"{millions}m" / "training" / "training.parquet"
    if path.exists():
        return path
    import am_analytics

    n_managers, n_clients = SHAPES[millions]
    frames = am_analytics.generate(n_managers=n_managers, n_clients=n_clients, seed=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames["training"].to_parquet(path, index=False)
    return path


def load_stage_data(folder: str | Path, training: str | Path | None = None) -> Any:
    """The validated dataset of ``folder`` (Parquet), with a training table when given.

    The training table is validated with the managers of the folder (and one
    client and one sale, which validation requires) and set on the dataset.
    """
    import am_analytics

    folder = Path(folder)
    dataset = am_analytics.load(folder)
    if training is None:
        return dataset
    managers = pd.read_parquet(folder / "managers.parquet")
    clients = pd.read_parquet(folder / "clients.parquet").head(1)
    sales = pd.read_parquet(
        folder / "sales.parquet", filters=[("client_id", "==", clients["client_id"].iloc[0])]
    ).head(1)
    checked = am_analytics.from_frames(
        managers=managers, clients=clients, sales=sales, training=pd.read_parquet(training)
    )
    return dataclasses.replace(dataset, training=checked.training)


# ---------------------------------------------------------------------------
# Stages and their floors (dataset in, seconds out)
# ---------------------------------------------------------------------------


def run_segment_clients(dataset: Any) -> Any:
    """One call of the stage."""
    from am_analytics.segments import segment_clients

    return segment_clients(dataset, as_of=AS_OF)


def run_training_impact(dataset: Any) -> Any:
    """One call of the stage."""
    from am_analytics.development import training_impact

    return training_impact(dataset, as_of=AS_OF)


def floor_segment_clients(dataset: Any) -> pd.DataFrame:
    """Idiomatic pandas: per-client RFM of the orders up to AS_OF in one groupby pass."""
    sales = dataset.sales
    cut = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    orders = sales.loc[(sales["amount"] >= 0) & (sales["order_date"] < cut)]
    return orders.groupby("client_id", observed=True).agg(
        first=("order_date", "min"),
        last=("order_date", "max"),
        frequency=("amount", "size"),
        monetary=("amount", "sum"),
    )


def floor_training_impact(dataset: Any) -> pd.Series:
    """Idiomatic pandas: net credited sales per manager and quarter in one groupby pass."""
    sales = dataset.sales
    quarter = sales["order_date"].dt.to_period("Q")
    return sales.groupby([sales["manager_id"], quarter], observed=True)["amount"].sum()


RUNNERS: dict[str, Callable[[Any], Any]] = {
    "segment_clients": run_segment_clients,
    "training_impact": run_training_impact,
}
FLOORS: dict[str, Callable[[Any], Any]] = {
    "segment_clients": floor_segment_clients,
    "training_impact": floor_training_impact,
}


def time_segment_clients(data: Any, *, runs: int = 3) -> float:
    """Median seconds of ``segment_clients`` (after a warm-up) on a dataset or a data folder."""
    dataset = load_stage_data(data) if isinstance(data, str | Path) else data
    return median_seconds(lambda: run_segment_clients(dataset), runs)[0]


def time_training_impact(data: Any, *, runs: int = 3, training: str | Path | None = None) -> float:
    """Median seconds of ``training_impact`` (after a warm-up) on a dataset or a data folder.

    A folder needs ``training`` (a training file); a dataset, its training table.
    """
    dataset = load_stage_data(data, training) if isinstance(data, str | Path) else data
    return median_seconds(lambda: run_training_impact(dataset), runs)[0]


# ---------------------------------------------------------------------------
# One measurement in a fresh process
# ---------------------------------------------------------------------------


def child(stage: str, millions: int, runs: int) -> dict[str, float]:
    """Load, warm up with the memory peak, time the stage and its floor (in this process)."""
    probes: dict[str, Any] = {}
    exec(MEMORY_PROBES, probes)  # rss(), peak(), restart_peak()
    folder = prepare(millions) / "parquet"
    training = prepare_training(millions) if stage == "training_impact" else None
    dataset = load_stage_data(folder, training)
    before = probes["rss"]()
    probes["restart_peak"]()
    RUNNERS[stage](dataset)
    peak_mb = (probes["peak"]() - before) / 2**20
    cpu_before = time.process_time()
    seconds, _ = median_seconds(lambda: RUNNERS[stage](dataset), runs, warmup=0)
    cpu = (time.process_time() - cpu_before) / runs
    floor, _ = median_seconds(lambda: FLOORS[stage](dataset), runs)
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "floor_seconds": floor}


def measure(stage: str, millions: int, runs: int) -> dict[str, float]:
    """:func:`child` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", stage, str(millions), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-ERROR_TAIL:])
        raise SystemExit(f"{stage} at {millions}M rows failed:\n{tail}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main() -> None:
    """Measure every stage at every size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,10", help="millions of sales rows: 1, 10 or 1,10")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "MILLIONS"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        stage, millions = options.child
        print(json.dumps(child(stage, int(millions), options.runs)))
        return
    sizes = [int(s) for s in options.sizes.split(",")]
    figures: dict[str, dict[str, dict[str, float]]] = {}
    header = f"{'stage':<16} {'rows':>4} {'median s':>9} {'cpu s':>6} {'peak MB':>8}"
    print(f"{header} {'floor s':>8}  load")
    for millions in sizes:
        load_before = os.getloadavg()[0]
        for stage in STAGES:
            result = measure(stage, millions, options.runs)
            figures.setdefault(stage, {})[f"{millions}m"] = result
            print(
                f"{stage:<16} {millions:>3}M {result['seconds']:>9.2f} "
                f"{result['cpu_seconds']:>6.2f} "
                f"{result['peak_mb']:>8.0f} {result['floor_seconds']:>8.2f}  "
                f"{load_before:.2f} -> {os.getloadavg()[0]:.2f}"
            )
    for stage in STAGES:
        at = figures[stage]
        if "10m" in at:
            goal = GOALS[stage]
            line = f"{stage}: {at['10m']['seconds']:.2f} s at 10M (goal < {goal:g} s) "
            line += verdict(at["10m"]["seconds"] < goal)
            if "1m" in at:
                line += f"; growth 1M -> 10M x{at['10m']['seconds'] / at['1m']['seconds']:.1f}"
            print(line)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
