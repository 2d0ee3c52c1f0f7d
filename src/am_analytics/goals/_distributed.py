"""Goal actuals of a dataset whose sales are a Dask DataFrame, reduced on its cluster.

The running totals of :class:`~am_analytics.goals._actuals.OwnerCumulative`
need, per sales total, the value each manager adds on each day. Those rows are
made on the cluster by the pandas ``_metric_rows`` itself, run on each
partition (on client-complete partitions for ``new_clients``, whose first days
are per client), and summed per (manager, day) there: only one row per manager
and day comes back, and the running totals are built from them as from the
pandas rows. Window metrics that are not running totals (``active_clients``,
``client_retention``, ...) read per-manager sums of every window asked for,
gathered in one cluster job (see :class:`ClusterWindowValues`).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from .._engines import client_partitioned, gather_aggregates
from ..dataset import Dataset
from ..metrics import Metric, get_metric
from ..metrics._distributed import ClusterMetricContext, SalesSums, _needs, gather_sales_sums
from ..periods import Window
from ._actuals import (
    TEAM_WEIGHTS,
    FloatArray,
    IntArray,
    _Bounds,
    _context_bounds,
    _metric_rows,
    _with_weight,
)

__all__ = ["ClusterWindowValues", "daily_sales_rows"]

_LEDGER_COLUMNS: Final = ("client_id", "manager_id", "order_date", "amount")
_DAILY_META: Final = pd.DataFrame(
    {
        "manager": pd.Series([], dtype=np.int64),
        "day": pd.Series([], dtype=np.int64),
        "value": pd.Series([], dtype=np.float64),
    }
)


def daily_sales_rows(sales: Any, metric: str) -> tuple[IntArray, IntArray, FloatArray]:
    """The rows of a sales running total of the Dask ``sales``: one per (manager, day).

    The manager codes, days and values that ``_metric_rows`` gives for pandas
    sales, summed per manager and day on the cluster (a running total read at
    day boundaries is the same).

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from am_analytics import load_sample
    >>> sales = load_sample().sales
    >>> manager, day, value = daily_sales_rows(dd.from_pandas(sales, npartitions=3),
    ...                                        "order_count")
    >>> int(value.sum()) == int((sales["amount"] >= 0).sum())
    True
    """
    _metric_rows(_sales_only(sales._meta), metric)  # an unknown metric fails here, as in pandas
    columns = list(_LEDGER_COLUMNS)
    # a client's first day needs all of the client's rows in one partition
    ledger = client_partitioned(sales, columns) if metric == "new_clients" else sales[columns]
    per_partition = ledger.map_partitions(_partition_daily_rows, metric=metric, meta=_DAILY_META)
    per_day = per_partition.groupby(["manager", "day"])["value"].sum().reset_index()
    (rows,) = gather_aggregates(per_day)
    return (
        rows["manager"].to_numpy(dtype=np.int64),
        rows["day"].to_numpy(dtype=np.int64),
        rows["value"].to_numpy(dtype=np.float64),
    )


class ClusterWindowValues:
    """The manager values of many windows, their sales sums gathered in one cluster job.

    Called with ``(metric, start, end, period_start, period_end)`` it gives what
    ``_manager_values`` of :mod:`~am_analytics.goals._actuals` gives for pandas
    sales: the metric and its team weight per managers-table row.

    Examples
    --------
    >>> import dataclasses
    >>> import dask.dataframe as dd
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> on_cluster = dataclasses.replace(data, sales=dd.from_pandas(data.sales, npartitions=3))
    >>> q3 = ("active_clients", pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30"))
    >>> values = ClusterWindowValues(on_cluster, [(*q3, *q3[1:])])
    >>> sorted(values(*q3, *q3[1:]))
    ['active_clients']
    """

    def __init__(self, dataset: Dataset, windows: list[_Bounds]) -> None:
        self.dataset = dataset
        metrics: list[Metric] = []
        wanted: dict[tuple[pd.Period, Window], None] = {}
        for metric, start, end, period_start, period_end in windows:
            used = [get_metric(name) for name in (metric, TEAM_WEIGHTS.get(metric)) if name]
            if end >= start and any("sales" in m.tables for m in used):
                wanted[_context_bounds(start, end, period_start, period_end)] = None
                metrics.extend(used)
        sums = gather_sales_sums(dataset, list(wanted), _needs(metrics)) if wanted else []
        self.sums: dict[tuple[pd.Period, Window], SalesSums] = dict(zip(wanted, sums, strict=True))

    def __call__(
        self,
        metric: str,
        start: pd.Timestamp,
        end: pd.Timestamp,
        period_start: pd.Timestamp,
        period_end: pd.Timestamp,
    ) -> dict[str, FloatArray]:
        """The metric and its weight metric per manager row over ``[start, end]``."""
        period, window = key = _context_bounds(start, end, period_start, period_end)
        ctx = ClusterMetricContext(self.dataset, period, window, sums=self.sums.get(key))
        return _with_weight(ctx, metric, lambda name: ctx.value(get_metric(name).name))


def _sales_only(sales: pd.DataFrame) -> Dataset:
    """A dataset holding ``sales`` alone: all ``_metric_rows`` reads for a sales total."""
    return Dataset(managers=pd.DataFrame(), clients=pd.DataFrame(), sales=sales)


def _partition_daily_rows(sales: pd.DataFrame, *, metric: str) -> pd.DataFrame:
    """One partition's rows of the running total ``metric``, summed per (manager, day)."""
    manager, day, value = _metric_rows(_sales_only(sales), metric)
    rows = pd.DataFrame({"manager": manager, "day": day, "value": value})
    return rows.groupby(["manager", "day"], sort=False)["value"].sum().reset_index()
