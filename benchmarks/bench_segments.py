"""Segments benchmark: client_features beside DuckDB, polars and pandas; rfm_summary; clustering.

Three measurements in one run, on the generated data of ``bench_load.py``
(10M sales rows, 1M clients; ``--quick``: 1M sales rows, 100k clients):

1. ``client_features(sales, as_of=...)``: the eleven per-client columns
   (``recency_days, frequency, monetary, avg_order_value, first_order,
   last_order, tenure_days, active_months, trend, refund_share,
   net_nonpositive``) beside the same computation written as DuckDB SQL (on a
   native table), in polars (lazy, streaming engine) and in the idiomatic
   pandas an analyst would write (masks, ``groupby().agg`` with named
   aggregations, ``nunique`` on the order months). The peers follow
   am_analytics' definitions exactly (an order is a sale of 0 or more, refunds
   are negative, only sales on or before ``as_of`` (whole day) count, the
   trend's two 12-month windows, the clients with a sale, in
   ``sales.client_id``'s category order) and their results are checked equal
   to ``client_features`` (same clients in the same order, ints and flags
   equal, dates equal, NaN / NaT where NaN / NaT, floats within 1e-9
   relative) before any timing is shown. Sums that cancel (every order
   refunded) are compared to the client's turnover, and the values that only
   reflect their float residue are not compared but counted (see
   :class:`Conditioning`). The data is loaded and validated once, outside the
   timing; so are the peers' inputs (an Arrow table of int32 client codes,
   timestamps and amounts, a code -> client_id table, their polars and DuckDB
   copies). Timed: from those inputs to the features table with client ids,
   in order. (The DuckDB query on an Arrow scan of the same table was about
   10 % slower than on a native table, and is left out to keep the run short.)
2. ``rfm_summary(sales, as_of=...)`` (the lifetimes / PyMC-Marketing
   ``frequency, recency, T, monetary_value``) beside polars and DuckDB
   versions, checked equal the same way; context, no goal.
3. ``ValueSegmenter`` on the 1M-client features table of part 1: ``fit`` with
   k-means and ``k=5``, with ``k="auto"``, with a Gaussian mixture and
   ``k=5``, and ``predict``; the labels are checked (a fresh segmenter's
   ``fit_predict`` equals ``fit`` + ``predict``, tiers in 0..k) before timing.

Goals: ``client_features`` within 1.5x of the faster of DuckDB and polars and
at least 3x faster than idiomatic pandas; fitting the clusters of 1M clients
(every variant, ``k="auto"`` included) under 15 s on 2 cores. Figures are
medians of 3 runs after a warm-up (for parts 1 and 2 the checked run); the
whole run takes about 2.5 minutes at 10M rows on 2 cores shared with other
jobs (the load average is printed), the first one longer while
``bench_load.prepare`` writes the data.

Usage::

    python benchmarks/bench_segments.py                 # 10M sales rows, 1M clients
    python benchmarks/bench_segments.py --quick         # 1M sales rows, a fast check
    python benchmarks/bench_segments.py --runs 5        # medians of 5 runs
    python benchmarks/bench_segments.py --json out.json # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

import am_analytics
from am_analytics.segments._features import client_features, rfm_summary

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import prepare  # the benchmarks folder is not a package
from timing import median_seconds, verdict

#: The last day of the generated data (``am_analytics.generate``'s default end).
AS_OF = "2026-11-15"
FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "first_order",
    "last_order",
    "tenure_days",
    "active_months",
    "trend",
    "refund_share",
    "net_nonpositive",
)
RFM = ("frequency", "recency", "T", "monetary_value")
RELATIVE_TOLERANCE = 1e-9
GOAL_PEER_RATIO = 1.5
GOAL_PANDAS_SPEEDUP = 3.0
GOAL_CLUSTER_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Days:
    """The days the features read, cut as am_analytics cuts them (whole days)."""

    as_of: pd.Timestamp
    year_ago: pd.Timestamp  # the last 12 months are the days after it
    two_years_ago: pd.Timestamp  # the 12 months before are (two_years_ago, year_ago]

    @classmethod
    def of(cls, as_of: str) -> Days:
        day = pd.Timestamp(as_of).normalize()
        return cls(day, day - pd.DateOffset(years=1), day - pd.DateOffset(years=2))

    def sql(self) -> dict[str, str]:
        """The three days as SQL date literals' contents."""
        return {name: str(getattr(self, name).date()) for name in Days.__slots__}


# ---------------------------------------------------------------------------
# The peers' inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeerInputs:
    """The sales ledger in the peers' own formats, built before timing.

    ``sales`` holds ``client`` (the int32 categorical code), ``order_date``
    (timestamp[ns], as loaded) and ``amount``; ``clients`` maps ``client`` to
    ``client_id`` (the categories, in order).
    """

    sales: pa.Table
    clients: pa.Table
    polars_sales: pl.DataFrame
    polars_clients: pl.DataFrame
    duckdb_native: duckdb.DuckDBPyConnection


def peer_inputs(sales: pd.DataFrame) -> PeerInputs:
    """Convert the validated sales frame once into Arrow, polars and DuckDB tables."""
    categories = sales["client_id"].cat.categories
    sales_table = pa.table(
        {
            "client": pa.array(sales["client_id"].cat.codes.to_numpy()),
            "order_date": pa.array(sales["order_date"].to_numpy()),
            "amount": pa.array(sales["amount"].to_numpy()),
        }
    )
    clients_table = pa.table(
        {
            "client": pa.array(np.arange(len(categories), dtype=np.int32)),
            "client_id": pa.array(categories.to_numpy(dtype=object), pa.string()),
        }
    )
    native = duckdb.connect()
    native.register("sales_arrow", sales_table)
    native.register("clients_arrow", clients_table)
    native.execute("CREATE TABLE sales AS SELECT * FROM sales_arrow")
    native.execute("CREATE TABLE clients AS SELECT * FROM clients_arrow")
    native.unregister("sales_arrow")
    native.unregister("clients_arrow")
    return PeerInputs(
        sales_table,
        clients_table,
        pl.from_arrow(sales_table),  # type: ignore[arg-type]
        pl.from_arrow(clients_table),  # type: ignore[arg-type]
        native,
    )


# ---------------------------------------------------------------------------
# Part 1: client_features in every engine
# ---------------------------------------------------------------------------


def polars_features(sales: pl.DataFrame, clients: pl.DataFrame, d: Days) -> pl.DataFrame:
    """The features in one polars lazy query (streaming engine, its fastest here).

    The conditional columns are built before one ``group_by`` so that every
    aggregation is a plain sum / min / max / n_unique (``filter`` inside
    ``agg`` is about 1.5x slower).
    """
    day, amount = pl.col("day"), pl.col("amount")
    order = amount >= 0
    order_day = pl.col("order_day")
    frequency, gross, net = pl.col("frequency"), pl.col("gross"), pl.col("monetary")
    has_orders = frequency > 0
    as_of = pl.lit(d.as_of.date())
    return (
        sales.lazy()
        .with_columns(day=pl.col("order_date").dt.date())
        .filter(day <= d.as_of.date())
        .with_columns(
            is_order=order,
            order_amount=pl.when(order).then(amount),
            order_day=pl.when(order).then(day),
            last_year=pl.when(day > d.year_ago.date()).then(amount),
            base=pl.when(
                day.is_between(d.two_years_ago.date(), d.year_ago.date(), closed="right")
            ).then(amount),
        )
        .group_by("client")
        .agg(
            frequency=pl.col("is_order").sum(),
            monetary=amount.sum(),
            gross=pl.col("order_amount").sum(),
            first_order=order_day.min(),
            last_order=order_day.max(),
            active_months=order_day.dt.month_start().drop_nulls().n_unique(),
            last_year=pl.col("last_year").sum(),
            base=pl.col("base").sum(),
        )
        .join(clients.lazy(), on="client")
        .sort("client")
        .select(
            "client_id",
            recency_days=(as_of - pl.col("last_order")).dt.total_days(),
            frequency=frequency,
            monetary=net,
            avg_order_value=pl.when(has_orders).then(gross / frequency),
            first_order="first_order",
            last_order="last_order",
            tenure_days=(as_of - pl.col("first_order")).dt.total_days(),
            active_months="active_months",
            trend=pl.when(pl.col("base") > 0).then(pl.col("last_year") / pl.col("base") - 1),
            refund_share=pl.when(has_orders).then((gross - net) / gross),
            net_nonpositive=net <= 0,
        )
        .collect(engine="streaming")
    )


DUCKDB_FEATURES = """
WITH ledger AS (
    SELECT client, CAST(order_date AS DATE) AS day, amount, amount >= 0 AS is_order
    FROM sales WHERE CAST(order_date AS DATE) <= DATE '{as_of}'
), months AS (  -- a little faster than count(DISTINCT ...) FILTER (...) in per_client
    SELECT client, count(*) AS active_months
    FROM (SELECT DISTINCT client, date_trunc('month', day) FROM ledger WHERE is_order)
    GROUP BY client
), per_client AS (
    SELECT client,
           count(*) FILTER (WHERE is_order) AS frequency,
           sum(amount) AS monetary,
           sum(amount) FILTER (WHERE is_order) AS gross,
           min(day) FILTER (WHERE is_order) AS first_order,
           max(day) FILTER (WHERE is_order) AS last_order,
           coalesce(sum(amount) FILTER (WHERE day > DATE '{year_ago}'), 0) AS last_year,
           sum(amount) FILTER (WHERE day > DATE '{two_years_ago}' AND day <= DATE '{year_ago}')
               AS base
    FROM ledger GROUP BY client
)
SELECT c.client_id,
       DATE '{as_of}' - f.last_order AS recency_days,
       f.frequency,
       f.monetary,
       CASE WHEN f.frequency > 0 THEN f.gross / f.frequency END AS avg_order_value,
       f.first_order,
       f.last_order,
       DATE '{as_of}' - f.first_order AS tenure_days,
       coalesce(m.active_months, 0) AS active_months,
       CASE WHEN f.base > 0 THEN f.last_year / f.base - 1 END AS trend,
       CASE WHEN f.frequency > 0 THEN (f.gross - f.monetary) / f.gross END AS refund_share,
       f.monetary <= 0 AS net_nonpositive
FROM per_client f JOIN clients c ON f.client = c.client
LEFT JOIN months m ON f.client = m.client
ORDER BY f.client
"""


def duckdb_features(con: duckdb.DuckDBPyConnection, d: Days) -> pa.Table:
    """The features in one DuckDB SQL query, fetched as Arrow."""
    return con.sql(DUCKDB_FEATURES.format(**d.sql())).to_arrow_table()  # type: ignore[no-any-return]


def pandas_features(sales: pd.DataFrame, d: Days) -> pd.DataFrame:
    """The features as an analyst writes them in pandas: masks, named aggregations."""
    day = sales["order_date"].dt.normalize()
    ledger = sales.loc[day <= d.as_of, ["client_id", "amount"]].assign(day=day)
    is_order = ledger["amount"] >= 0
    order_day = ledger["day"].where(is_order)
    ledger = ledger.assign(
        is_order=is_order,
        order_amount=ledger["amount"].where(is_order),
        order_day=order_day,
        order_month=order_day.dt.to_period("M"),
        last_year=ledger["amount"].where(ledger["day"] > d.year_ago),
        base=ledger["amount"].where(
            (ledger["day"] > d.two_years_ago) & (ledger["day"] <= d.year_ago)
        ),
    )
    f = ledger.groupby("client_id", observed=True).agg(
        frequency=("is_order", "sum"),
        monetary=("amount", "sum"),
        gross=("order_amount", "sum"),
        first_order=("order_day", "min"),
        last_order=("order_day", "max"),
        active_months=("order_month", "nunique"),
        last_year=("last_year", "sum"),
        base=("base", "sum"),
    )
    has_orders = f["frequency"] > 0
    base = f["base"].where(f["base"] > 0)
    return pd.DataFrame(
        {
            "recency_days": (d.as_of - f["last_order"]).dt.days,
            "frequency": f["frequency"],
            "monetary": f["monetary"],
            "avg_order_value": (f["gross"] / f["frequency"]).where(has_orders),
            "first_order": f["first_order"],
            "last_order": f["last_order"],
            "tenure_days": (d.as_of - f["first_order"]).dt.days,
            "active_months": f["active_months"],
            "trend": f["last_year"] / base - 1,
            "refund_share": ((f["gross"] - f["monetary"]) / f["gross"]).where(has_orders),
            "net_nonpositive": f["monetary"] <= 0,
        }
    )


# ---------------------------------------------------------------------------
# Part 2: rfm_summary (lifetimes semantics)
# ---------------------------------------------------------------------------


def polars_rfm(sales: pl.DataFrame, clients: pl.DataFrame, d: Days) -> pl.DataFrame:
    """lifetimes' summary in polars (lazy, streaming): purchase days, then per client."""
    as_of = pl.lit(d.as_of.date())
    first, last = pl.col("first"), pl.col("last")
    frequency = (pl.col("days") - 1).cast(pl.Float64)
    return (
        sales.lazy()
        .with_columns(day=pl.col("order_date").dt.date())
        .filter((pl.col("day") <= d.as_of.date()) & (pl.col("amount") >= 0))
        .group_by("client", "day")
        .agg(total=pl.col("amount").sum())
        .group_by("client")
        .agg(
            days=pl.len(),
            first=pl.col("day").min(),
            last=pl.col("day").max(),
            repeat_total=pl.col("total").sum() - pl.col("total").sort_by("day").first(),
        )
        .join(clients.lazy(), on="client")
        .sort("client")
        .select(
            "client_id",
            frequency=frequency,
            recency=(last - first).dt.total_days().cast(pl.Float64),
            T=(as_of - first).dt.total_days().cast(pl.Float64),
            monetary_value=pl.when(frequency > 0)
            .then(pl.col("repeat_total") / frequency)
            .otherwise(0.0),
        )
        .collect(engine="streaming")
    )


DUCKDB_RFM = """
WITH purchases AS (
    SELECT client, CAST(order_date AS DATE) AS day, sum(amount) AS total
    FROM sales WHERE CAST(order_date AS DATE) <= DATE '{as_of}' AND amount >= 0
    GROUP BY ALL
), per_client AS (
    SELECT client, count(*) - 1 AS frequency, min(day) AS first, max(day) AS last,
           sum(total) - arg_min(total, day) AS repeat_total
    FROM purchases GROUP BY client
)
SELECT c.client_id,
       CAST(f.frequency AS DOUBLE) AS frequency,
       CAST(f.last - f.first AS DOUBLE) AS recency,
       CAST(DATE '{as_of}' - f.first AS DOUBLE) AS T,
       CASE WHEN f.frequency > 0 THEN f.repeat_total / f.frequency ELSE 0 END AS monetary_value
FROM per_client f JOIN clients c ON f.client = c.client
ORDER BY f.client
"""


def duckdb_rfm(con: duckdb.DuckDBPyConnection, d: Days) -> pa.Table:
    """lifetimes' summary in DuckDB SQL, fetched as Arrow."""
    return con.sql(DUCKDB_RFM.format(**d.sql())).to_arrow_table()  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def as_pandas(result: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """A result as a frame indexed by client_id strings (for the check only)."""
    if isinstance(result, pa.Table | pl.DataFrame):
        frame = result.to_pandas()
        frame = frame.set_index(frame["client_id"].astype(str))
    else:
        frame = result.set_axis(result.index.astype(str))
    return frame[list(columns)]


@dataclass(frozen=True, slots=True)
class Conditioning:
    """How exactly each column of a per-client table can be compared, row by row.

    Sums of amounts with refunds cancel: a client whose orders were all
    refunded has a net of exactly 0 in cents, but a float sum leaves a residue
    of about 1e-12 whose size and sign depend on the order of the additions, so
    engines that add in another order legitimately differ there. ``scale``
    gives, per column, an absolute magnitude the tolerance is also relative to
    (the client's turnover, sum of |amount|); ``skip`` marks rows whose value
    only reflects that residue (a ratio to, or the sign of, a sum that cancels
    to within 1e-9 of its turnover): they are not compared, and counted.
    """

    scale: dict[str, np.ndarray]
    skip: dict[str, np.ndarray]

    @classmethod
    def features(cls, sales: pd.DataFrame, d: Days) -> Conditioning:
        """The turnovers behind ``monetary``, ``trend`` and ``net_nonpositive``."""
        codes = sales["client_id"].cat.codes.to_numpy()
        dates = sales["order_date"].to_numpy()
        amount = sales["amount"].to_numpy()
        n = len(sales["client_id"].cat.categories)
        kept = dates < (d.as_of + pd.Timedelta(days=1)).to_datetime64()
        before = kept & (dates >= (d.two_years_ago + pd.Timedelta(days=1)).to_datetime64())
        before &= dates < (d.year_ago + pd.Timedelta(days=1)).to_datetime64()
        rows = np.flatnonzero(np.bincount(codes[kept], minlength=n) > 0)  # clients with a sale

        def per_client(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
            return np.bincount(codes[mask], values[mask], minlength=n)[rows]

        turnover = per_client(kept, np.abs(amount))
        net = per_client(kept, amount)
        base_turnover = per_client(before, np.abs(amount))
        base = per_client(before, amount)
        return cls(
            scale={"monetary": turnover, "refund_share": np.ones(len(rows))},
            skip={
                "trend": (base_turnover > 0) & (np.abs(base) <= RELATIVE_TOLERANCE * base_turnover),
                "net_nonpositive": np.abs(net) <= RELATIVE_TOLERANCE * turnover,
            },
        )


def compare_floats(
    a: np.ndarray, b: np.ndarray, scale: np.ndarray | None
) -> tuple[str | None, float]:
    """Why two float columns differ (None when they agree), and the worst relative gap."""
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        rows = np.flatnonzero(np.isnan(a) != np.isnan(b))
        return f"NaN in different rows, e.g. row {rows[0]} ({a[rows[0]]!r} vs {b[rows[0]]!r})", 0
    present = ~np.isnan(a)
    a, b = a[present], b[present]
    magnitude = np.maximum(np.abs(a), np.abs(b))
    if scale is not None:
        magnitude = np.maximum(magnitude, scale[present])
    diff = np.abs(a - b)
    relative = np.divide(diff, magnitude, out=np.zeros_like(diff), where=magnitude > 0)
    worst = float(relative.max()) if len(relative) else 0.0
    if worst > RELATIVE_TOLERANCE:
        i = int(relative.argmax())
        return f"{worst:.1e} relative difference ({a[i]!r} vs {b[i]!r})", worst
    return None, worst


def compare(
    expected: pd.DataFrame, got: pd.DataFrame, conditioning: Conditioning | None
) -> tuple[bool, str]:
    """Whether two per-client tables agree: clients, order, kinds, NaN/NaT, values."""
    if not expected.index.equals(got.index):
        missing = expected.index.difference(got.index)
        extra = got.index.difference(expected.index)
        return False, (
            f"clients differ: {len(expected)} vs {len(got)} rows, {len(missing)} missing "
            f"({list(missing[:3])}), {len(extra)} extra ({list(extra[:3])}), or another order"
        )
    worst = 0.0
    for column in expected.columns:
        ours, theirs = expected[column], got[column]
        if conditioning is not None and column in conditioning.skip:
            kept = ~conditioning.skip[column]
            ours, theirs = ours[kept], theirs[kept]
        kind = ours.dtype.kind
        if kind == "M":  # dates: day precision, NaT where NaT
            a = ours.to_numpy("datetime64[ns]")
            b = pd.to_datetime(theirs).to_numpy("datetime64[ns]")
            if not np.array_equal(np.isnat(a), np.isnat(b)) or not np.array_equal(
                a[~np.isnat(a)], b[~np.isnat(b)]
            ):
                return False, f"{column}: dates differ"
        elif kind in "iub":  # counts and flags: exactly equal, no missing values
            if theirs.isna().any() or not np.array_equal(
                ours.to_numpy(), theirs.to_numpy().astype(ours.dtype)
            ):
                rows = np.flatnonzero(ours.to_numpy() != theirs.to_numpy())
                return False, f"{column}: differs in {len(rows)} rows, e.g. {ours.index[rows[:3]]}"
        else:
            scale = None if conditioning is None else conditioning.scale.get(column)
            why, gap = compare_floats(
                ours.to_numpy(np.float64), theirs.to_numpy(np.float64, na_value=np.nan), scale
            )
            if why is not None:
                return False, f"{column}: {why}"
            worst = max(worst, gap)
    return True, f"equal (max rel diff {worst:.0e})"


def check_and_time(
    engines: dict[str, Callable[[], Any]],
    columns: tuple[str, ...],
    runs: int,
    conditioning: Conditioning | None = None,
) -> tuple[dict[str, Any], Any]:
    """Check every engine against the first, then time them all (medians after the check).

    Returns the figures and the first engine's result.
    """
    checks, first = {}, {}
    reference: Any = None
    expected: pd.DataFrame | None = None
    for name, run in engines.items():
        gc.collect()
        started = time.perf_counter()
        result = run()
        first[name] = time.perf_counter() - started
        if expected is None:
            reference, expected = result, as_pandas(result, columns)
        checks[name] = compare(expected, as_pandas(result, columns), conditioning)
    assert expected is not None
    failed = {name: why for name, (ok, why) in checks.items() if not ok}
    if failed:
        for name, why in failed.items():
            print(f"CHECK FAILED {name}: {why}", file=sys.stderr)
        raise SystemExit("the peers do not compute the same table; timings not shown")
    # the checked call was each engine's warm-up
    seconds = {name: median_seconds(run, runs, warmup=0)[0] for name, run in engines.items()}
    part = {
        "rows": len(expected),
        "seconds": seconds,
        "first_seconds": first,
        "checks": {name: why for name, (_, why) in checks.items()},
    }
    return part, reference


def bench_features(
    sales: pd.DataFrame, inputs: PeerInputs, d: Days, runs: int
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Part 1: check every peer against client_features, then time them all."""
    engines: dict[str, Callable[[], Any]] = {
        "am_analytics.client_features": lambda: client_features(sales, as_of=d.as_of),
        "polars (lazy, streaming)": lambda: polars_features(
            inputs.polars_sales, inputs.polars_clients, d
        ),
        "duckdb SQL, native table": lambda: duckdb_features(inputs.duckdb_native, d),
        "pandas, idiomatic": lambda: pandas_features(sales, d),
    }
    conditioning = Conditioning.features(sales, d)
    part, features = check_and_time(engines, FEATURES, runs, conditioning)
    trend_skipped = conditioning.skip["trend"]
    flag_skipped = conditioning.skip["net_nonpositive"]
    residue_trends = features["trend"].to_numpy()[trend_skipped]
    residue_trends = residue_trends[np.isfinite(residue_trends)]
    part["cancelling"] = {
        "trend_rows": int(trend_skipped.sum()),
        "trend_finite_in_am_analytics": len(residue_trends),
        "trend_largest_abs_in_am_analytics": float(np.abs(residue_trends).max(initial=0.0)),
        "net_rows": int(flag_skipped.sum()),
        "net_flagged_positive_in_am_analytics": int(
            (~features["net_nonpositive"][flag_skipped]).sum()
        ),
    }
    return part, features


def bench_rfm(sales: pd.DataFrame, inputs: PeerInputs, d: Days, runs: int) -> dict[str, Any]:
    """Part 2: check the polars and DuckDB summaries against rfm_summary, then time them."""
    engines: dict[str, Callable[[], Any]] = {
        "am_analytics.rfm_summary": lambda: rfm_summary(sales, as_of=d.as_of),
        "polars (lazy, streaming)": lambda: polars_rfm(
            inputs.polars_sales, inputs.polars_clients, d
        ),
        "duckdb SQL, native table": lambda: duckdb_rfm(inputs.duckdb_native, d),
    }
    return check_and_time(engines, RFM, runs)[0]


# ---------------------------------------------------------------------------
# Part 3: ValueSegmenter
# ---------------------------------------------------------------------------


def bench_clustering(features: pd.DataFrame, runs: int) -> dict[str, Any] | str:
    """Part 3: fit (k=5, k="auto") and predict on the features of every client.

    Returns the reason when the segmenter cannot be imported.
    """
    try:
        from am_analytics.segments._clustering import ValueSegmenter
    except ImportError as error:
        return f"am_analytics.segments._clustering.ValueSegmenter is not available ({error})"

    def fit(k: int | str, method: str = "kmeans") -> Any:
        return ValueSegmenter(k=k, method=method, random_state=0).fit(features)

    # checks before timing (and the warm-up): a fresh segmenter's fit_predict gives the
    # labels of fit + predict, one per client, and k + 1 tiers at most (0: no tier)
    labels = np.asarray(fit(5).predict(features))
    again = np.asarray(ValueSegmenter(k=5, method="kmeans", random_state=0).fit_predict(features))
    if len(labels) != len(features) or not np.array_equal(labels, again):
        raise SystemExit("ValueSegmenter: fit_predict differs from fit + predict (k=5, seed 0)")
    if not set(np.unique(labels)) <= set(range(6)):
        raise SystemExit(f"ValueSegmenter: tiers outside 0..5 for k=5: {np.unique(labels)}")
    rows, models = [], {}
    for k, method in ((5, "kmeans"), ("auto", "kmeans"), (5, "gmm")):
        seconds, model = median_seconds(lambda k=k, m=method: fit(k, m), runs, warmup=0)
        models[k, method] = model
        tiers = np.asarray(model.predict(features))
        rows.append(
            {
                "k": k,
                "method": method,
                "seconds": seconds,
                "k_fitted": int(model.k_),
                "algorithm": str(model.algorithm_),
                "tiered": int(np.count_nonzero(tiers != 0)),
            }
        )
    model = models[5, "kmeans"]
    predict_seconds, _ = median_seconds(lambda: model.predict(features), runs)
    return {"clients": len(features), "fit": rows, "predict_seconds": predict_seconds}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def print_table(part: dict[str, Any], reference: str) -> None:
    seconds = part["seconds"]
    ours = seconds[reference]
    header = f"   {'engine':<34} {'seconds':>8} {'vs am_analytics':>16} {'first run':>10}  check"
    print(header)
    print("   " + "-" * (len(header) + 26))
    for name, value in seconds.items():
        check = "reference" if name == reference else part["checks"][name]
        print(
            f"   {name:<34} {value:>8.3f} {value / ours:>15.2f}x "
            f"{part['first_seconds'][name]:>10.3f}  {check}"
        )


def print_features(part: dict[str, Any], sales_rows: int, runs: int) -> list[tuple[str, bool]]:
    """Print part 1 and return its goals."""
    print(
        f"\n1. client_features, as_of {AS_OF}, {len(FEATURES)} columns: {sales_rows:,} sales "
        f"rows -> {part['rows']:,} clients"
    )
    print(
        f"   median of {runs} runs after the checked run (the warm-up). Timed: from in-memory "
        "inputs to the features table\n   (client ids, in category order)."
    )
    print(
        "   am_analytics and pandas read the validated Dataset's sales frame (categorical "
        "client_id); polars and DuckDB read\n   int32 client codes, timestamp[ns] order dates "
        "and amounts, and a code -> client_id table, from an Arrow table / polars\n   frames / "
        f"DuckDB tables built beforehand ({part['setup_seconds']:.1f} s, not timed). Results "
        "are checked equal to client_features\n   (clients, order, ints, flags, dates, NaN/NaT, "
        f"floats within {RELATIVE_TOLERANCE:g} relative) before timing. 'first run': that "
        "checked call,\n   each engine's first in this process (it also pays for fresh memory "
        "pages)."
    )
    print_table(part, "am_analytics.client_features")
    c = part["cancelling"]
    print(
        f"   Not compared (float residue of sums that cancel, see Conditioning): trend of "
        f"{c['trend_rows']:,} clients whose earlier year nets to\n   ~0 (all refunded; true "
        f"trend NaN): am_analytics gives {c['trend_finite_in_am_analytics']:,} finite trends "
        f"there, largest |trend| {c['trend_largest_abs_in_am_analytics']:.1e};\n   "
        f"net_nonpositive of {c['net_rows']:,} clients whose net cancels to ~0 (true value "
        f"True): am_analytics gives False for {c['net_flagged_positive_in_am_analytics']:,}. "
        "monetary is compared\n   within 1e-9 of the client's turnover (sum of |amount|), "
        "refund_share within 1e-9 absolute."
    )
    seconds = part["seconds"]
    ours = seconds["am_analytics.client_features"]
    peers = {k: v for k, v in seconds.items() if k.startswith(("polars", "duckdb"))}
    fastest = min(peers, key=peers.__getitem__)
    pandas_seconds = seconds["pandas, idiomatic"]
    return [
        (
            f"client_features within {GOAL_PEER_RATIO}x of the faster of DuckDB and polars: "
            f"{ours:.3f} s vs {peers[fastest]:.3f} s ({fastest}) = {ours / peers[fastest]:.2f}x",
            ours <= GOAL_PEER_RATIO * peers[fastest],
        ),
        (
            f"client_features at least {GOAL_PANDAS_SPEEDUP:g}x faster than idiomatic pandas: "
            f"{pandas_seconds / ours:.1f}x faster",
            pandas_seconds >= GOAL_PANDAS_SPEEDUP * ours,
        ),
    ]


def print_rfm(part: dict[str, Any], runs: int) -> None:
    print(
        f"\n2. rfm_summary (lifetimes semantics, days): {part['rows']:,} clients with an order; "
        f"median of {runs} after the checked run, same\n   inputs and checks as part 1; "
        "context, no goal"
    )
    print_table(part, "am_analytics.rfm_summary")


def print_clustering(part: dict[str, Any] | str, runs: int) -> list[tuple[str, bool]]:
    print("\n3. ValueSegmenter (recency_days / frequency / monetary, random_state=0)")
    if isinstance(part, str):
        print(f"   NOT RUN: {part}")
        return []
    print(
        f"   on the {part['clients']:,}-client features table of part 1; median of {runs}, after "
        "two checked k=5 kmeans fits (the\n   warm-up: a fresh segmenter's fit_predict equals "
        "fit + predict, tiers in 0..5)"
    )
    header = f"   {'call':<24} {'seconds':>8} {'k_':>4}  {'algorithm_':<18} {'clients tiered':>15}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    for r in part["fit"]:
        call = f"fit(k={r['k']!r}, {r['method']})"
        print(
            f"   {call:<24} {r['seconds']:>8.3f} {r['k_fitted']:>4}  {r['algorithm']:<18} "
            f"{r['tiered']:>15,}"
        )
    print(f"   {'predict (k=5, kmeans)':<24} {part['predict_seconds']:>8.3f}")
    worst = max(part["fit"], key=lambda r: r["seconds"])
    return [
        (
            f"clustering {part['clients']:,} clients under {GOAL_CLUSTER_SECONDS:g} s: slowest "
            f"fit {worst['seconds']:.2f} s (k={worst['k']!r}, {worst['method']})",
            worst["seconds"] < GOAL_CLUSTER_SECONDS,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M sales rows instead of 10M")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of parts 1, 2 (median)")
    parser.add_argument("--cluster-runs", type=int, default=3, help="timed runs of part 3")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    started = time.perf_counter()
    millions = 1 if args.quick else 10
    folder = prepare(millions) / "parquet"
    loaded = time.perf_counter()
    data = am_analytics.load(folder, as_of=AS_OF)
    if not data.is_clean:
        raise SystemExit(f"the generated data has rejects:\n{data.rejects.head()}")
    print(
        f"am_analytics.load({folder}, as_of={AS_OF}): {len(data.sales):,} sales, "
        f"{len(data.clients):,} clients in {time.perf_counter() - loaded:.1f} s (not timed below)"
    )
    print(
        f"polars {pl.__version__}, duckdb {duckdb.__version__}, pandas {pd.__version__}, "
        f"numpy {np.__version__}, pyarrow {pa.__version__}; polars threads "
        f"{pl.thread_pool_size()}, duckdb threads "
        f"{duckdb.execute('SELECT current_setting(?)', ['threads']).fetchone()[0]}"  # type: ignore[index]
    )
    print(
        f"{os.cpu_count()} cores; load average before the run {os.getloadavg()[0]:.1f} "
        "(other processes on the machine skew every figure below)"
    )
    sales = data.sales
    days = Days.of(AS_OF)
    setup_started = time.perf_counter()
    inputs = peer_inputs(sales)
    setup = time.perf_counter() - setup_started

    part1, features = bench_features(sales, inputs, days, args.runs)
    part1["setup_seconds"] = setup
    goals = print_features(part1, len(sales), args.runs)
    part2 = bench_rfm(sales, inputs, days, args.runs)
    print_rfm(part2, args.runs)
    del data, sales, inputs
    gc.collect()

    part3 = bench_clustering(features, args.cluster_runs)
    goals += print_clustering(part3, args.cluster_runs)

    print("\nGoals")
    for text, ok in goals:
        print(f"   {verdict(ok)}  {text}")
    print(
        f"\n(whole run {time.perf_counter() - started:.0f} s; load average now "
        f"{os.getloadavg()[0]:.1f})"
    )
    if args.json:
        report = {
            "sales_millions": millions,
            "client_features": part1,
            "rfm_summary": part2,
            "value_segmenter": part3,
            "goals": [{"goal": text, "pass": ok} for text, ok in goals],
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
