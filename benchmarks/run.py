"""One benchmark table: every stage, ours beside the peers, on the same generated data.

For each size (``--rows``: 1M and 10M sales rows, with 500 / 5,000 managers and
100,000 / 1M clients, ``am_analytics.generate(..., seed=1)``) every stage runs
in fresh processes, one per (stage, implementation, size, repetition):
loading CSV and Parquet, ``manager_metrics``, ``client_features``,
``rfm_summary``, ``segment_clients``, clustering, ``Scorecard.fit`` +
``score``, ``score_one``, ``score_managers``, goal attainment,
``training_impact`` and the whole quarterly evaluation
(``am-analytics evaluate``), beside idiomatic pandas, DuckDB and polars where
they compute the same table (the peers of ``bench_load.py``,
``bench_scoring.py``, ``bench_segments.py`` and ``bench_goals.py``, imported
from them). Before timing, the peers' results are checked equal to ours with
those scripts' own comparisons; a peer that differs is not timed.

Each process builds its inputs outside the timing (loading is a stage of its
own; the other stages start from the validated ``Dataset``, unpickled from
one ``am_analytics.load`` per size), makes one untimed call on the small
committed sample (imports, first-call costs), restarts the kernel's peak
counter, makes the timed call and prints its wall time, its CPU time (user and
kernel) and its peak resident size above the size before the call. The table
holds the median of ``--repeat`` processes, that CPU time and peak, the ratio
to the fastest peer, the growth 1M -> 10M (of wall time, and of user CPU), and
PASS / MISS against each goal of :data:`GOALS` (with where the goal comes
from), then the missed goals with their figures, the machine, the library
versions, the load average before and after and the command line.
It is written atomically to ``--out`` and printed.

Usage::

    python benchmarks/run.py --rows 1e6,1e7 --out benchmarks/results/NAME.md
    python benchmarks/run.py --rows 1e6 --out /tmp/run-1m.md
    python benchmarks/run.py --rows 1e6 --stages manager_metrics,score_one --repeat 1
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import pickle
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Literal

sys.path.insert(0, str(Path(__file__).parent))
from timing import MEMORY_PROBES, verdict  # the benchmarks folder is not a package

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
SAMPLE = HERE.parent / "data" / "sample"
#: The last day of the generated data and the quarter the period stages measure.
AS_OF = "2026-11-15"
PERIOD = "2026Q3"
#: Sizes this script knows: millions of sales rows -> ``bench_goals`` size name.
SIZES = {1: "1m", 10: "10m"}
TABLES = ("managers", "clients", "sales")
#: What one ``score_one`` figure is made of (as in ``bench_scoring.py`` part 3).
SCORE_ONE_CALLS = 10_000
#: The report formats of the whole evaluation: the Excel writer (~10 µs a cell)
#: takes 106 s of the 1M-row report alone and grows with the clients, so it is left out.
EVALUATE_FORMATS = ("html", "csv", "json")
#: Fewer processes for the slowest cells, whatever --repeat says: (stage, millions) -> runs.
#: The whole 10M evaluation takes about 2 minutes on 2 idle cores (15 under a load of 8).
REPEAT_CAP = {("evaluate", 10): 1}
#: Seconds after which one process is killed and its cell marked failed.
CHILD_TIMEOUT = 1800.0
#: Lines of a failed process's standard error kept for the table.
ERROR_TAIL = 3
#: The library versions the table names.
VERSIONS = ("am_analytics", "pandas", "numpy", "pyarrow", "pandera", "polars", "duckdb",
            "scikit-learn")  # fmt: skip

Call = Callable[[], object]


# ---------------------------------------------------------------------------
# Stages and goals
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stage:
    """One measured step and the implementations run for it (ours first)."""

    name: str
    title: str
    #: What the step starts from: table files, the validated Dataset, or a
    #: synthetic manager-metrics frame with as many rows as the size's nominal rows.
    source: Literal["parquet", "csv", "dataset", "metrics", "command"]
    implementations: tuple[str, ...] = ("am_analytics",)
    #: The peers' results are compared to ours before any timing.
    checked: bool = False
    #: Peers doing less than the stage (context): no check, left out of the ratio.
    floors: tuple[str, ...] = ()
    #: The timed call returns its own figure in seconds (a median latency).
    latency: bool = False


STAGES = (
    Stage("load_parquet", "load Parquet (managers, clients, sales)", "parquet",
          ("am_analytics", "pandas", "polars")),
    Stage("load_csv", "load CSV (managers, clients, sales)", "csv",
          ("am_analytics", "pandas", "polars")),
    Stage("load_cached", "load Parquet again, unchanged, with `cache=`", "parquet",
          ("am_analytics", "pandas", "polars")),
    Stage("manager_metrics", f"manager_metrics, {PERIOD}, 7 sales metrics", "dataset",
          ("am_analytics", "polars", "duckdb", "pandas"), checked=True),
    Stage("client_features", "client_features, 11 columns", "dataset",
          ("am_analytics", "polars", "duckdb", "pandas"), checked=True),
    Stage("rfm_summary", "rfm_summary (lifetimes semantics)", "dataset",
          ("am_analytics", "polars", "duckdb"), checked=True),
    Stage("segment_clients", "segment_clients", "dataset",
          ("am_analytics", "pandas"), floors=("pandas",)),
    Stage("clustering", 'ValueSegmenter(k="auto").fit on client_features', "dataset"),
    Stage("scorecard", "Scorecard.fit + score, rank, 9 criteria", "metrics"),
    Stage("fit_score", "Scorecard.fit_score (both in one pass), rank, 9 criteria", "metrics"),
    Stage("score_one", "FittedScorecard.score_one, median latency", "metrics", latency=True),
    Stage("score_managers", f"score_managers, {PERIOD}", "dataset"),
    Stage("attainment", "goals.attainment, every goal", "dataset",
          ("am_analytics", "pandas"), floors=("pandas",)),
    Stage("training_impact", "development.training_impact", "dataset",
          ("am_analytics", "pandas"), floors=("pandas",)),
    Stage("evaluate", f"am-analytics evaluate, --format {','.join(EVALUATE_FORMATS)}", "command",
          ("am-analytics",)),
)  # fmt: skip
STAGE_BY_NAME = {stage.name: stage for stage in STAGES}

#: What each peer runs, for the notes under the table.
PEER_NOTES = {
    "load_parquet": "pandas: `pandas.read_parquet` per table; polars: `polars.read_parquet`",
    "load_csv": "pandas: `pyarrow.csv.read_csv(...).to_pandas()` (pandas' pyarrow engine); "
    "polars: `polars.read_csv(try_parse_dates=True)`",
    "load_cached": "the peers of load Parquet; ours hashes the three files and reads the "
    "validated tables from the cache that an earlier load of them filled",
    "manager_metrics": "bench_scoring.py's polars lazy query, DuckDB SQL on a native table "
    "(both grouping int32 codes) and idiomatic pandas",
    "client_features": "bench_segments.py's polars (streaming), DuckDB SQL (native table) and "
    "idiomatic pandas",
    "rfm_summary": "bench_segments.py's polars (streaming) and DuckDB SQL",
    "segment_clients": "pandas floor (bench_stages.py): per-client RFM of the orders in one "
    "groupby pass, a part of the work; context, not a peer",
    "training_impact": "pandas floor (bench_stages.py): net sales per manager and quarter in "
    "one groupby pass (the panel's outcome); context, not a peer",
    "attainment": "pandas floor (bench_goals.py): each manager's cumulative daily net sales, "
    "a small part of the work; context, not a peer",
}

GoalKind = Literal["seconds", "extra_mb", "peer_ratio", "best_peer_ratio", "frames_ratio", "growth"]


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal of one stage: a limit on a figure, at one size or at every size."""

    stage: str
    kind: GoalKind
    limit: float
    #: Millions of sales rows the goal is stated at (None: every size).
    millions: int | None
    source: str
    #: For ``peer_ratio``: the peer it is measured against.
    peer: str | None = None

    @property
    def text(self) -> str:
        """The goal in words."""
        at = "" if self.millions is None else f" at {self.millions}M"
        if self.kind == "seconds":
            return f"under {duration(self.limit)}{at}"
        if self.kind == "extra_mb":
            return f"under {self.limit:,.0f} MB above start{at}"
        if self.kind == "peer_ratio":
            return f"within {self.limit:g}x of {self.peer}{at}"
        if self.kind == "best_peer_ratio":
            return "no slower than the fastest peer"
        if self.kind == "frames_ratio":
            return f"peak under {self.limit:g}x the loaded frames{at}"
        return f"growth 1M -> 10M at most {self.limit:g}x"


ISSUE = "issue 15"
LINEAR = f"{ISSUE}: every stage linear"
PEER_SPEED = f"{ISSUE}: 'at peer speed' (read as no slower than the fastest peer)"
GOALS = (
    Goal("load_parquet", "peer_ratio", 1.5, 10, f"{ISSUE}, req. 2", "pandas"),
    Goal("load_parquet", "frames_ratio", 1.5, 10, f"{ISSUE}, req. 2"),
    Goal("load_parquet", "growth", 11, None, f"{ISSUE}, req. 2"),
    Goal("load_csv", "peer_ratio", 1.5, 10, f"{ISSUE}, req. 2", "pandas"),
    Goal("load_csv", "frames_ratio", 1.5, 10, f"{ISSUE}, req. 2"),
    Goal("load_csv", "growth", 11, None, f"{ISSUE}, req. 2"),
    Goal("load_cached", "peer_ratio", 1.2, 10,
         f"our reading of {ISSUE}, req. 2: 're-loading an unchanged folder is one Parquet read'",
         "pandas"),
    Goal("load_cached", "growth", 11, None, LINEAR),
    Goal("manager_metrics", "best_peer_ratio", 1.0, None, PEER_SPEED),
    Goal("manager_metrics", "growth", 11, None, LINEAR),
    Goal("client_features", "best_peer_ratio", 1.0, None, PEER_SPEED),
    Goal("client_features", "growth", 11, None, LINEAR),
    Goal("rfm_summary", "best_peer_ratio", 1.0, None, PEER_SPEED),
    Goal("rfm_summary", "growth", 11, None, LINEAR),
    Goal("segment_clients", "seconds", 5.0, 10, f"{ISSUE}, req. 4"),
    Goal("segment_clients", "growth", 11, None, LINEAR),
    Goal("clustering", "seconds", 15.0, 10, "bench_segments.py: 1M clients under 15 s"),
    Goal("clustering", "growth", 11, None, LINEAR),
    Goal("scorecard", "seconds", 1.0, 1, f"{ISSUE}, req. 4: rank, 1M rows"),
    Goal("scorecard", "growth", 11, None, LINEAR),
    Goal("fit_score", "seconds", 1.0, 1, f"{ISSUE}, req. 4: rank, 1M rows"),
    Goal("fit_score", "growth", 11, None, LINEAR),
    Goal("score_one", "seconds", 50e-6, None, "bench_scoring.py: median under 50 µs"),
    Goal("score_one", "growth", 11, None, LINEAR),
    Goal("score_managers", "seconds", 1.5, 10, f"{ISSUE}, req. 4"),
    Goal("score_managers", "growth", 11, None, LINEAR),
    Goal("attainment", "seconds", 5.0, 1, f"{ISSUE} (bench_goals.py)"),
    Goal("attainment", "extra_mb", 1024, 1, f"{ISSUE} (bench_goals.py)"),
    Goal("attainment", "seconds", 60.0, 10, f"{ISSUE} (bench_goals.py)"),
    Goal("attainment", "extra_mb", 4096, 10, f"{ISSUE} (bench_goals.py)"),
    Goal("attainment", "growth", 11, None, LINEAR),
    Goal("training_impact", "seconds", 2.0, 10, f"{ISSUE}, req. 4"),
    Goal("training_impact", "growth", 11, None, LINEAR),
    Goal("evaluate", "seconds", 600.0, 10,
         "our choice for 'a 5,000-manager organisation's quarter runs in minutes'"),
    Goal("evaluate", "growth", 11, None, LINEAR),
)  # fmt: skip


def duration(seconds: float) -> str:
    """Seconds as a short figure: µs below a millisecond, else seconds."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 10:
        return f"{seconds:.3f} s"
    return f"{seconds:.1f} s"


# ---------------------------------------------------------------------------
# The timed calls (run in the child processes)
# ---------------------------------------------------------------------------


def load_call(implementation: str, folder: Path, fmt: str, cache: Path | None = None) -> Call:
    """Read the three tables of ``folder`` the way ``implementation`` does (ours with ``cache``)."""
    if implementation == "am_analytics":
        import am_analytics

        def validated() -> list[Any]:
            data = am_analytics.load(folder, as_of=AS_OF, cache=cache)
            if not data.is_clean:
                raise SystemExit(f"{folder} has rejects:\n{data.rejects.head()}")
            return [data.managers, data.clients, data.sales]

        return validated
    files = [folder / f"{table}.{fmt}" for table in TABLES]
    if implementation == "pandas" and fmt == "parquet":
        import pandas as pd

        return lambda: [pd.read_parquet(path) for path in files]
    if implementation == "pandas":
        import pyarrow.csv as pacsv

        return lambda: [pacsv.read_csv(path).to_pandas() for path in files]
    import polars as pl

    if fmt == "parquet":
        return lambda: [pl.read_parquet(path) for path in files]
    return lambda: [pl.read_csv(path, try_parse_dates=True) for path in files]


def manager_metrics_call(implementation: str, data: Any) -> Call:
    """``manager_metrics`` of :data:`PERIOD`, or bench_scoring.py's peer of it."""
    import bench_scoring as bench

    if implementation == "am_analytics":
        return lambda: bench.am_analytics_metrics(data, PERIOD)
    windows = bench.Windows.of(PERIOD, data.as_of)
    if implementation == "pandas":
        return lambda: bench.pandas_metrics(data, windows)
    inputs = bench.peer_inputs(data, "codes")
    if implementation == "polars":
        return lambda: bench.polars_metrics(inputs.polars_sales, inputs.polars_managers, windows)
    return lambda: bench.duckdb_metrics(inputs.duckdb_native, windows)


def client_table_call(implementation: str, data: Any, *, rfm: bool) -> Call:
    """``client_features`` (or ``rfm_summary``), or bench_segments.py's peer of it."""
    import bench_segments as bench

    days, sales = bench.Days.of(AS_OF), data.sales
    if implementation == "am_analytics":
        from am_analytics.segments import client_features, rfm_summary

        ours = rfm_summary if rfm else client_features
        return lambda: ours(sales, as_of=days.as_of)
    if implementation == "pandas":
        return lambda: bench.pandas_features(sales, days)
    inputs = bench.peer_inputs(sales)
    if implementation == "polars":
        polars_run = bench.polars_rfm if rfm else bench.polars_features
        return lambda: polars_run(inputs.polars_sales, inputs.polars_clients, days)
    duckdb_run = bench.duckdb_rfm if rfm else bench.duckdb_features
    return lambda: duckdb_run(inputs.duckdb_native, days)


def daily_cumulative_sales(sales: Any) -> Any:
    """Each manager's cumulative net sales per day: bench_goals.py's pandas floor."""
    daily = sales.groupby(["manager_id", sales["order_date"].dt.normalize()], observed=True)[
        "amount"
    ].sum()
    return daily.groupby(level=0, observed=True).cumsum()


def dataset_call(stage: str, implementation: str, data: Any) -> Call:
    """The timed call of a stage that starts from the validated Dataset."""
    if stage == "manager_metrics":
        return manager_metrics_call(implementation, data)
    if stage in ("client_features", "rfm_summary"):
        return client_table_call(implementation, data, rfm=stage == "rfm_summary")
    if stage in ("segment_clients", "training_impact"):
        import bench_stages as bench

        ours = {"segment_clients": bench.run_segment_clients,
                "training_impact": bench.run_training_impact}  # fmt: skip
        floors = {"segment_clients": bench.floor_segment_clients,
                  "training_impact": bench.floor_training_impact}  # fmt: skip
        run = ours[stage] if implementation == "am_analytics" else floors[stage]
        return lambda: run(data)
    if stage == "clustering":
        from am_analytics.segments import ValueSegmenter, client_features

        features = client_features(data.sales, as_of=AS_OF)
        return lambda: ValueSegmenter(k="auto", method="kmeans", random_state=0).fit(features)
    if stage == "score_managers":
        from am_analytics import score_managers

        return lambda: score_managers(data, period=PERIOD)
    if stage == "attainment" and implementation == "pandas":
        return lambda: daily_cumulative_sales(data.sales)
    if stage == "attainment":
        from am_analytics.goals import attainment

        return lambda: attainment(data, as_of=AS_OF)
    raise SystemExit(f"no dataset stage {stage!r}")


def metrics_call(stage: str, frame: Any) -> Call:
    """Fit + score, or the median ``score_one`` latency, on a synthetic metrics frame."""
    import bench_scoring as bench

    if stage == "score_one":
        # bench_scoring's part 3: checked against score, warmed up, rank and minmax;
        # the figure is the slower median, as its goal line reads it
        return lambda: max(r["median_us"] for r in bench.bench_score_one(frame, SCORE_ONE_CALLS))
    card = bench.card_for("rank", "weighted_sum")
    if stage == "fit_score":
        return lambda: card.fit_score(frame)
    return lambda: card.fit(frame).score(frame)


def stage_call(stage: Stage, implementation: str, millions: int | None, workdir: Path) -> Call:
    """Build the inputs of one stage (of the sample when ``millions`` is None) and its call."""
    if stage.source in ("parquet", "csv"):
        fmt = stage.source
        if millions is None:  # the small organisations: any files of the format
            folder = DATA / "goals-100" if fmt == "parquet" else SAMPLE
        else:
            folder = DATA / f"{millions}m" / fmt
        cache = workdir / "cache" if stage.name == "load_cached" else None
        return load_call(implementation, folder, fmt, cache)
    if stage.source == "metrics":
        import bench_scoring

        # score_one scores one record: its population stays at bench_scoring's 1M rows
        rows = 10**6 if stage.latency else (millions or 0) * 10**6
        frame = bench_scoring.metrics_like_frame(1_000 if millions is None else rows)
        call = metrics_call(stage.name, frame)
        if stage.latency:
            return lambda: float(call()) / 1e6  # type: ignore[arg-type]
        return call
    pickled = workdir / (
        "dataset-sample.pickle" if millions is None else f"dataset-{millions}m.pickle"
    )
    with pickled.open("rb") as stream:
        data = pickle.load(stream)
    return dataset_call(stage.name, implementation, data)


def describe(result: object) -> dict[str, Any]:
    """Figures of a result worth keeping: the loaded frames' size."""
    if isinstance(result, list):  # the three loaded tables
        sizes = [
            int(f.memory_usage(deep=True).sum())
            if hasattr(f, "memory_usage")
            else f.estimated_size()
            for f in result
        ]
        return {"frames_bytes": sum(sizes), "rows": len(result[-1])}
    return {}


def child(stage_name: str, implementation: str, millions: int, workdir: Path) -> dict[str, Any]:
    """One measurement: inputs, a warm-up on the sample, then the timed call and its peak."""
    probes: dict[str, Any] = {}
    exec(MEMORY_PROBES, probes)
    stage = STAGE_BY_NAME[stage_name]
    stage_call(stage, implementation, None, workdir)()  # imports and first-call costs
    call = stage_call(stage, implementation, millions, workdir)
    gc.collect()
    # hand freed heap back to the kernel, so the peak above the start counts what
    # the call needs, not what an earlier step left in the allocator's free lists
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    probes["restart_peak"]()
    before = probes["rss"]()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    extra = probes["peak"]() - before
    if stage.latency:
        return {"seconds": float(result), "extra_bytes": extra}  # type: ignore[arg-type]
    return {
        "seconds": seconds,
        "extra_bytes": extra,
        "user_seconds": cpu.ru_utime - cpu_before.ru_utime,
        "kernel_seconds": cpu.ru_stime - cpu_before.ru_stime,
        **describe(result),
    }


def check(stage_name: str, millions: int, workdir: Path) -> dict[str, Any]:
    """Run every implementation once and compare the peers' results to ours.

    Uses the comparisons of bench_scoring.py (manager_metrics) and
    bench_segments.py (client_features, rfm_summary).
    """
    stage = STAGE_BY_NAME[stage_name]
    with (workdir / f"dataset-{millions}m.pickle").open("rb") as stream:
        data = pickle.load(stream)
    results = {}
    for implementation in stage.implementations:  # one at a time: each builds its own inputs
        results[implementation] = dataset_call(stage_name, implementation, data)()
    ours = results.pop(stage.implementations[0])
    if stage_name == "manager_metrics":
        import bench_scoring

        expected = bench_scoring.as_pandas(ours)
        return {
            name: bench_scoring.compare(expected, bench_scoring.as_pandas(result))
            for name, result in results.items()
        }
    import bench_segments

    columns = bench_segments.RFM if stage_name == "rfm_summary" else bench_segments.FEATURES
    conditioning = (
        None
        if stage_name == "rfm_summary"
        else bench_segments.Conditioning.features(data.sales, bench_segments.Days.of(AS_OF))
    )
    expected = bench_segments.as_pandas(ours, columns)
    return {
        name: bench_segments.compare(
            expected, bench_segments.as_pandas(result, columns), conditioning
        )
        for name, result in results.items()
    }


def prepare(millions: int, workdir: Path) -> dict[str, Any]:
    """The size's files (written once), checked to hold the same tables; the Datasets pickled.

    The load stages read ``bench_load``'s folders (three tables); every other
    stage reads ``bench_goals``' folder of the same size (all nine tables,
    the same ``generate`` call), so the three tables they share are compared.
    """
    import bench_goals
    import bench_load
    import pyarrow.parquet as pq

    import am_analytics

    three = bench_load.prepare(millions) / "parquet"
    bench_load.prepare(millions)  # also the CSV
    nine = Path(bench_goals.prepare(SIZES[millions]))
    bench_goals.prepare("100")  # the Parquet files of the load stages' warm-up
    for table in TABLES:
        if not pq.read_table(three / f"{table}.parquet").equals(
            pq.read_table(nine / f"{table}.parquet")
        ):
            raise SystemExit(f"{three} and {nine} hold different {table} tables")
    started = time.perf_counter()
    data = am_analytics.load(nine, as_of=AS_OF)
    seconds = time.perf_counter() - started
    if not data.is_clean:
        raise SystemExit(f"{nine} has rejects:\n{data.rejects.head()}")
    with (workdir / f"dataset-{millions}m.pickle").open("wb") as stream:
        pickle.dump(data, stream, protocol=pickle.HIGHEST_PROTOCOL)
    # the load_cached stage's entries: this size's three tables and the warm-up's
    for folder in (three, DATA / "goals-100"):
        am_analytics.load(folder, as_of=AS_OF, cache=workdir / "cache")
    # the warm-up's organisation, validated once too (its load is no part of any stage)
    with (workdir / "dataset-sample.pickle").open("wb") as stream:
        pickle.dump(am_analytics.load_sample(), stream, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "folder": nine.resolve().relative_to(HERE.parent).as_posix(),
        "load_seconds": seconds,
        "sales": len(data.sales),
        "clients": len(data.clients),
        "managers": len(data.managers),
        "goals": len(data.goals) if data.goals is not None else 0,
    }


# ---------------------------------------------------------------------------
# The parent: runs the processes, gathers the figures
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """The figures of one (stage, implementation, size) over its repetitions."""

    seconds: list[float] = field(default_factory=list)
    extra_bytes: list[int] = field(default_factory=list)
    frames_bytes: list[int] = field(default_factory=list)
    user_seconds: list[float] = field(default_factory=list)
    kernel_seconds: list[float] = field(default_factory=list)
    failed: str | None = None
    check: str | None = None  # why a peer's result differs from ours (not timed then)

    @property
    def median(self) -> float | None:
        """Median seconds, None when nothing was measured."""
        return statistics.median(self.seconds) if self.seconds and not self.failed else None

    @property
    def peak_mb(self) -> float | None:
        """Median peak above the start, in MB."""
        return statistics.median(self.extra_bytes) / 2**20 if self.extra_bytes else None

    @property
    def cpu(self) -> tuple[float, float] | None:
        """Median user and kernel CPU seconds, None when not measured."""
        if not self.user_seconds or self.failed:
            return None
        return statistics.median(self.user_seconds), statistics.median(self.kernel_seconds)


Key = tuple[str, str, int]  # stage, implementation, millions


def run_process(command: list[str], timeout: float = CHILD_TIMEOUT) -> dict[str, Any]:
    """A child's JSON figures, or ``{"failed": why}``."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"killed after {timeout:g} s"}
    if done.returncode != 0:
        tail = " / ".join(done.stderr.strip().splitlines()[-ERROR_TAIL:])
        return {"failed": f"exit {done.returncode}: {tail}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def this_script(*arguments: object) -> list[str]:
    """This script run by this interpreter with ``arguments``."""
    return [sys.executable, str(Path(__file__).resolve()), *map(str, arguments)]


def run_evaluate(folder: str, workdir: Path) -> dict[str, Any]:
    """The command as a user runs it (bench_evaluate.py's timed_child: GNU time for the peak)."""
    import bench_evaluate

    out = workdir / "evaluate-out"
    command = [bench_evaluate.command_path(), "evaluate", folder, "--out", str(out), "--format",
               ",".join(EVALUATE_FORMATS)]  # fmt: skip
    try:
        result = bench_evaluate.timed_child(command, CHILD_TIMEOUT)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if result["exit_code"] != 0:
        why = "timed out" if result["timed_out"] else f"exit {result['exit_code']}"
        return {"failed": f"{why}: {' / '.join(result['stderr_tail'][-ERROR_TAIL:])}"}
    return {
        "seconds": result["seconds"],
        "extra_bytes": result["peak_bytes"],
        "user_seconds": result["user_seconds"],
        "kernel_seconds": result["kernel_seconds"],
    }


def progress(text: str, started: float) -> None:
    """One progress line on standard error, with the time since the start."""
    minutes, seconds = divmod(int(time.perf_counter() - started), 60)
    print(f"[{minutes:3d}:{seconds:02d}] {text}", file=sys.stderr, flush=True)


def record(cell: Cell, figures: dict[str, Any]) -> str:
    """Add one process's figures to its cell; the progress text."""
    if "failed" in figures:
        cell.failed = figures["failed"]
        return f"FAILED {figures['failed']}"
    cell.seconds.append(figures["seconds"])
    cell.extra_bytes.append(figures["extra_bytes"])
    if "frames_bytes" in figures:
        cell.frames_bytes.append(figures["frames_bytes"])
    if "user_seconds" in figures:
        cell.user_seconds.append(figures["user_seconds"])
        cell.kernel_seconds.append(figures["kernel_seconds"])
    return f"{duration(figures['seconds'])}, peak {figures['extra_bytes'] / 2**20:,.0f} MB"


def measure_size(
    millions: int, stages: Iterable[Stage], repeat: int, workdir: Path, started: float
) -> tuple[dict[Key, Cell], dict[str, Any]]:
    """Every stage of one size: prepare, check the peers, then time every cell."""
    progress(f"{millions}M: preparing the data (load once, pickle the Dataset)", started)
    about = run_process(this_script("--prepare", millions, workdir))
    if "failed" in about:
        raise SystemExit(f"preparing {millions}M failed: {about['failed']}")
    cells: dict[Key, Cell] = {}
    for stage in stages:
        timed = list(stage.implementations)
        for implementation in timed:
            cells[stage.name, implementation, millions] = Cell()
        if stage.checked:
            progress(f"{millions}M {stage.name}: checking the peers against ours", started)
            checks = run_process(this_script("--check", stage.name, millions, workdir))
            for implementation in stage.implementations[1:]:
                ok, why = checks.get(implementation, (False, checks.get("failed", "no check")))
                if not ok:
                    cells[stage.name, implementation, millions].check = why
                    timed.remove(implementation)
                progress(f"   {implementation}: {why}", started)
        runs = min(repeat, REPEAT_CAP.get((stage.name, millions), repeat))
        for repetition in range(1, runs + 1):
            for implementation in timed:
                cell = cells[stage.name, implementation, millions]
                if cell.failed:
                    continue
                if stage.source == "command":
                    figures = run_evaluate(about["folder"], workdir)
                else:
                    command = this_script("--child", stage.name, implementation, millions, workdir)
                    figures = run_process(command)
                text = record(cell, figures)
                progress(
                    f"{millions}M {stage.name} {implementation} {repetition}/{runs}: {text}",
                    started,
                )
    return cells, about


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """One goal checked at one size: the figure, and PASS/MISS (None: not applicable)."""

    goal: Goal
    millions: int
    figure: str
    ok: bool | None
    #: The goal is stated at another size: the verdict is for orientation only.
    indicative: bool = False

    @property
    def mark(self) -> str:
        """PASS / MISS, in parentheses when indicative, "n/a" without a figure."""
        if self.ok is None:
            return "n/a"
        return f"({verdict(self.ok).lower()})" if self.indicative else verdict(self.ok)


def fastest_peer(cells: dict[Key, Cell], stage: Stage, millions: int) -> tuple[str, float] | None:
    """The fastest peer that computes the same table, and its median."""
    peers = [
        (name, cells[stage.name, name, millions].median)
        for name in stage.implementations[1:]
        if name not in stage.floors and (stage.name, name, millions) in cells
    ]
    timed = [(name, median) for name, median in peers if median is not None]
    return min(timed, key=lambda p: p[1]) if timed else None


def judge(goal: Goal, cells: dict[Key, Cell], millions: int) -> Verdict | None:
    """A goal checked against one size's figures (None: the goal says nothing there)."""
    stage = STAGE_BY_NAME[goal.stage]
    ours = cells.get((goal.stage, stage.implementations[0], millions))
    if ours is None:
        return None
    if goal.kind == "growth":
        small = cells.get((goal.stage, stage.implementations[0], 1))
        if millions != 10 or small is None:
            return None
        if ours.median is None or small.median is None:
            return Verdict(goal, millions, "not measured at both sizes", None)
        growth = ours.median / small.median
        return Verdict(goal, millions, f"{growth:.1f}x", growth <= goal.limit)
    if goal.millions is not None and goal.millions < millions:
        return None  # a goal stated at 1M says nothing about 10M
    indicative = goal.millions is not None and goal.millions != millions
    if indicative and any(
        (g.stage, g.kind, g.millions) == (goal.stage, goal.kind, millions) for g in GOALS
    ):
        return None  # the size has a goal of its own of that kind
    if ours.median is None:
        return Verdict(goal, millions, f"failed: {ours.failed}", False, indicative)
    if goal.kind == "seconds":
        return Verdict(goal, millions, duration(ours.median), ours.median < goal.limit, indicative)
    if goal.kind == "extra_mb":
        peak = ours.peak_mb or 0.0
        return Verdict(goal, millions, f"{peak:,.0f} MB", peak < goal.limit, indicative)
    if goal.kind == "frames_ratio":
        frames = statistics.median(ours.frames_bytes) / 2**20
        ratio = (ours.peak_mb or 0.0) / frames
        figure = f"{ours.peak_mb:,.0f} MB / {frames:,.0f} MB = {ratio:.2f}x"
        return Verdict(goal, millions, figure, ratio < goal.limit, indicative)
    if goal.kind == "peer_ratio":
        assert goal.peer is not None
        peer = cells.get((goal.stage, goal.peer, millions))
        if peer is None or peer.median is None:
            return Verdict(goal, millions, f"{goal.peer} not measured", None, indicative)
        ratio = ours.median / peer.median
        figure = f"{duration(ours.median)} / {duration(peer.median)} = {ratio:.2f}x"
        return Verdict(goal, millions, figure, ratio <= goal.limit, indicative)
    best = fastest_peer(cells, stage, millions)
    if best is None:
        return Verdict(goal, millions, "no peer measured", None, indicative)
    ratio = ours.median / best[1]
    figure = f"{duration(ours.median)} / {duration(best[1])} ({best[0]}) = {ratio:.2f}x"
    return Verdict(goal, millions, figure, ratio <= goal.limit, indicative)


def machine() -> list[str]:
    """CPU, cores, memory, OS, Python and library versions."""
    cpu = "unknown CPU"
    with Path("/proc/cpuinfo").open() as lines:
        for line in lines:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with Path("/proc/meminfo").open() as lines:
        kilobytes = int(next(line for line in lines if line.startswith("MemTotal")).split()[1])
    versions = []
    for name in VERSIONS:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        f"Machine: {cpu}, {os.cpu_count()} cores, {kilobytes / 2**20:.1f} GiB RAM, "
        f"{platform.platform()}",
        f"Versions: Python {platform.python_version()}, " + ", ".join(versions),
        "Memory: " + memory_settings(),
    ]


#: Settings that change what a new array costs the kernel (see results/README.md).
MEMORY_VARIABLES: Final = ("NUMPY_MADVISE_HUGEPAGE", "GLIBC_TUNABLES", "MIMALLOC_PURGE_DELAY")


def memory_variables() -> list[str]:
    """``NAME=value`` of each variable of :data:`MEMORY_VARIABLES` set in the environment."""
    return [f"{name}={os.environ[name]}" for name in MEMORY_VARIABLES if name in os.environ]


def memory_settings() -> str:
    """The kernel's transparent huge pages and the variables of :data:`MEMORY_VARIABLES`."""
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    pages = thp.read_text().strip() if thp.exists() else "unknown"
    variables = memory_variables()
    return f"transparent huge pages `{pages}`; " + (
        ", ".join(f"`{v}`" for v in variables) or "none of " + ", ".join(MEMORY_VARIABLES) + " set"
    )


def results_table(
    cells: dict[Key, Cell], sizes: list[int], about: dict[int, Any], repeat: int
) -> list[str]:
    """The main table: one row per (stage, implementation, size)."""
    lines = [
        "| stage | implementation | sales rows | median | CPU user + kernel | peak MB "
        "| ratio to fastest peer | growth 1M -> 10M (user CPU) | goals | verdict |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for stage in STAGES:
        for millions in sizes:
            best = fastest_peer(cells, stage, millions)
            verdicts = [
                v
                for goal in GOALS
                if goal.stage == stage.name and (v := judge(goal, cells, millions)) is not None
            ]
            for implementation in stage.implementations:
                cell = cells.get((stage.name, implementation, millions))
                if cell is None:
                    continue
                ours = implementation == stage.implementations[0]
                lines.append(row(stage, implementation, millions, cells, best, about, repeat))
                if ours:
                    goals_text = "; ".join(f"{v.goal.text}: {v.figure}" for v in verdicts)
                    marks = " ".join(v.mark for v in verdicts)
                    lines[-1] += f" {goals_text} | {marks} |"
                else:
                    lines[-1] += " | |"
    return lines


def row(
    stage: Stage,
    implementation: str,
    millions: int,
    cells: dict[Key, Cell],
    best: tuple[str, float] | None,
    about: dict[int, Any],
    repeat: int,
) -> str:
    """The figures of one row, up to (and without) its goal columns."""
    cell = cells[stage.name, implementation, millions]
    name = implementation + (" (floor)" if implementation in stage.floors else "")
    median = cell.median
    if cell.check:
        figures = f"not timed: check failed ({cell.check}) | | | |"
    elif median is None:
        figures = f"failed: {cell.failed} | | | |" if cell.failed else "not run | | | |"
    else:
        peak = "-" if stage.latency else f"{cell.peak_mb:,.0f}"
        cpu = "-" if cell.cpu is None else "{:.2f} + {:.2f} s".format(*cell.cpu)
        ratio = (
            "-" if best is None or implementation in stage.floors else f"{median / best[1]:.2f}x"
        )
        runs = "" if len(cell.seconds) == repeat else f" ({len(cell.seconds)} of {repeat} runs)"
        figures = f"{duration(median)}{runs} | {cpu} | {peak} | {ratio} |"
    small = cells.get((stage.name, implementation, 1))
    growth = ""
    if millions == 10 and small is not None and small.median is not None and median is not None:
        growth = f"{median / small.median:.1f}x"
        if cell.cpu is not None and small.cpu is not None and small.cpu[0] > 0:
            growth += f" ({cell.cpu[0] / small.cpu[0]:.1f}x)"
    sales = about[millions]["sales"]
    return f"| {stage.name} | {name} | {sales:,} | {figures} {growth} |"


def report(
    cells: dict[Key, Cell],
    sizes: list[int],
    about: dict[int, Any],
    header: list[str],
    repeat: int,
) -> str:
    """The whole markdown page."""
    verdicts = [
        v for goal in GOALS for millions in sizes if (v := judge(goal, cells, millions)) is not None
    ]
    missed = [v for v in verdicts if v.ok is False and not v.indicative]
    lines = [
        "# am_analytics benchmark table",
        "",
        *header,
        "",
        "## Results",
        "",
        *results_table(cells, sizes, about, repeat),
        "",
        "## Goals",
        "",
        "| stage | goal | source | size | figure | verdict |",
        "|---|---|---|---|---|---|",
        *(
            f"| {v.goal.stage} | {v.goal.text} | {v.goal.source} | {v.millions}M | {v.figure} "
            f"| {v.mark} |"
            for v in verdicts
        ),
        "",
        "## Missed goals",
        "",
        *(
            [
                f"- {v.goal.stage} at {v.millions}M: {v.goal.text}; measured {v.figure}"
                for v in missed
            ]
            or ["None."]
        ),
        "",
        "## Notes",
        "",
        *notes(about, repeat),
    ]
    return "\n".join(lines) + "\n"


def notes(about: dict[int, Any], repeat: int) -> list[str]:
    """How the figures were made."""
    data = "; ".join(
        f"{m}M: {a['sales']:,} sales rows, {a['clients']:,} clients, {a['managers']:,} managers, "
        f"{a['goals']:,} goals ({a['folder']})"
        for m, a in about.items()
    )
    lines = [
        f"- Data: `am_analytics.generate(seed=1)`; {data}. The load stages read "
        "`benchmarks/.data/{1m,10m}/{parquet,csv}` (bench_load.py); they hold the same managers, "
        "clients and sales (checked at each run).",
        f"- Median of {repeat} fresh processes per cell. Each process builds its inputs untimed "
        "(the other stages start from the validated Dataset, loaded once per size and unpickled), "
        "calls the stage once on the committed sample (imports, first-call costs), then times one "
        "call on the size's data. `peak MB`: the peak resident size during that call above the "
        "size before it (the kernel's counter restarted through /proc/self/clear_refs); for "
        "`evaluate`, the command's whole peak resident size (GNU time).",
        "- `ratio to fastest peer`: the row's median over the fastest peer's that computes the "
        "same table at that size; the peers' results are checked equal to ours before timing "
        "(bench_scoring.py's and bench_segments.py's comparisons). `growth`: 10M median over 1M.",
        "- `CPU user + kernel`: the medians of the process's CPU seconds in user space and in "
        "the kernel during the call, all threads together (getrusage; GNU time for `evaluate`). "
        "Kernel time is mostly the first touch of new memory (page faults); what a fault costs "
        "depends on the settings under `Memory` (benchmarks/results/README.md), and on a "
        "virtual machine it can grow faster than the rows: in parentheses beside `growth` is "
        "the growth of user CPU, the work itself, which is what the 'linear' goals are about; "
        "the verdict stays on wall time.",
        "- Fewer runs than that where a cell says so: "
        + ", ".join(f"{stage} at {m}M: {n}" for (stage, m), n in REPEAT_CAP.items())
        + " (the slowest cell).",
        "- Verdicts in parentheses check a goal stated at 10M against the 1M figure, for "
        "orientation; they are not counted as missed.",
        "- `scorecard`, `fit_score` and `score_one` run on bench_scoring.py's synthetic "
        "9-criterion metrics frame. `scorecard` (`fit(frame).score(frame)`) and `fit_score` "
        "(the same tables from one pass) take as many rows as the size's nominal rows "
        "(1,000,000 / 10,000,000). `score_one` is fitted on 1,000,000 rows at every size "
        "(one record's latency does not grow with the data): the slower of the rank and "
        f"minmax medians over {SCORE_ONE_CALLS:,} calls (bench_scoring.py part 3). "
        "`clustering` fits the clients' features table (k chosen by silhouette, the path "
        "segment_clients takes).",
        f"- `evaluate` writes `--format {','.join(EVALUATE_FORMATS)}`: the Excel writer (about "
        "10 µs a cell) spent 106 s on the 1M-row report's workbook alone and grows with the "
        "clients. Its 10-minute goal at 10M is ours, for the issue's 'a 5,000-manager "
        "organisation's quarter runs in minutes'.",
    ]
    lines.append("- Stages: " + "; ".join(f"`{s.name}`: {s.title}" for s in STAGES) + ".")
    lines += [f"- {stage}: {text}" for stage, text in PEER_NOTES.items()]
    return lines


def parse_rows(text: str) -> list[int]:
    """``1e6,1e7`` -> ``[1, 10]`` (millions of sales rows)."""
    sizes = []
    for part in text.split(","):
        millions = round(float(part) / 1e6)
        if millions not in SIZES:
            raise argparse.ArgumentTypeError(f"--rows knows 1e6 and 1e7, not {part}")
        sizes.append(millions)
    return sizes


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as stream:
        stream.write(text)
    os.chmod(stream.name, 0o644)  # a temporary file is private; the table is not
    os.replace(stream.name, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=parse_rows, default=[1, 10], help="sizes (1e6,1e7)")
    parser.add_argument(
        "--stages", type=lambda s: s.split(","), default=[s.name for s in STAGES],
        help=f"a subset of: {','.join(s.name for s in STAGES)}",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="processes per cell (median)")
    parser.add_argument("--out", type=Path, help="write the table here (markdown)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--check", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, implementation, millions, workdir = args.child
        print(json.dumps(child(stage, implementation, int(millions), Path(workdir))))
        return
    if args.check:
        stage, millions, workdir = args.check
        print(json.dumps(check(stage, int(millions), Path(workdir))))
        return
    if args.prepare:
        print(json.dumps(prepare(int(args.prepare[0]), Path(args.prepare[1]))))
        return
    unknown = set(args.stages) - set(STAGE_BY_NAME)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}; known: {', '.join(STAGE_BY_NAME)}")
    stages = [stage for stage in STAGES if stage.name in args.stages]

    started = time.perf_counter()
    load_before = os.getloadavg()
    cells: dict[Key, Cell] = {}
    about: dict[int, Any] = {}
    workdir = Path(tempfile.mkdtemp(prefix="am-analytics-bench-"))
    try:
        for millions in args.rows:
            size_cells, about[millions] = measure_size(
                millions, stages, args.repeat, workdir, started
            )
            cells.update(size_cells)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    minutes = (time.perf_counter() - started) / 60
    header = [
        "Command: `"
        + shlex.join([*memory_variables(), "python", "benchmarks/run.py", *sys.argv[1:]])
        + "`",
        "",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.1f} min; load average "
        f"(1/5/15 min) before {' '.join(f'{x:.2f}' for x in load_before)}, after "
        f"{' '.join(f'{x:.2f}' for x in load_after)}",
        "",
        *machine(),
    ]
    text = report(cells, args.rows, about, header, args.repeat)
    if args.out:
        write_atomically(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
