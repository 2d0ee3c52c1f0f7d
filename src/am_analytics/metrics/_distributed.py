""":func:`manager_metrics` of a dataset whose sales are a Dask DataFrame, on its cluster.

The sales metrics are ratios of sums that add up over disjoint sets of
clients: net sales, orders, order amounts, distinct clients, new clients,
retained and previous clients, last year's sales. The sales are shuffled on the
cluster until each client's rows sit in one partition; on every partition the
pandas :class:`MetricContext` and the pandas metric functions compute those
sums per managers-table row; the partitions' sums are added up in a tree on the
cluster, and only that one per-manager frame comes back. The ratios are then
taken as the pandas metrics take them. Metrics over the other tables run on
the driver as they do with pandas sales.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Final

import numpy as np
import pandas as pd

from .._engines import NS_PER_DAY, client_partitioned, daily_net_sales, gather_aggregates
from ..dataset import Dataset
from ..errors import ConfigError
from ..periods import DateLike, PeriodLike, Window, period_window, to_period
from ._context import MetricContext
from ._registry import FloatArray, IntArray, Metric, get_metric
from ._sales import SALES_METRICS, _active_clients, _new_clients, _order_count, _sales_amount
from ._table import _in_scope, _metric_table, _requested

__all__ = [
    "ClusterMetricContext",
    "SalesSums",
    "SumsNeeded",
    "gather_sales_sums",
    "manager_metrics_on_cluster",
]

#: The sales metrics computed from the cluster's per-manager sums.
_SALES_METRIC_NAMES: Final = frozenset(metric.name for metric in SALES_METRICS)
_LEDGER_COLUMNS: Final = ("client_id", "manager_id", "order_date", "amount")
#: The per-manager sums one pass over client-complete partitions gives.
_COMPONENTS: Final = (
    "sales_amount",
    "order_count",
    "order_amount",
    "active_clients",
    "new_clients",
    "retained_clients",
    "previous_clients",
    "last_year_sales",
    "sales_rows",
)
_PAIRS_META: Final = pd.DataFrame(
    {"window": pd.Series([], dtype=np.int64), "pair": pd.Series([], dtype=np.int64)}
)


def manager_metrics_on_cluster(
    dataset: Dataset,
    *,
    period: PeriodLike,
    metrics: Sequence[str] | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """:func:`~am_analytics.metrics.manager_metrics` of a dataset with Dask sales.

    Same parameters, result and errors; a metric that reads the sales rows in a
    way the cluster sums do not cover raises :class:`ConfigError`.

    Examples
    --------
    >>> import dataclasses
    >>> import dask.dataframe as dd
    >>> from am_analytics import load_sample
    >>> from am_analytics.metrics import manager_metrics
    >>> data = load_sample()
    >>> on_cluster = dataclasses.replace(data, sales=dd.from_pandas(data.sales, npartitions=4))
    >>> names = ["sales_amount", "new_clients", "client_retention"]
    >>> pd.testing.assert_frame_equal(
    ...     manager_metrics_on_cluster(on_cluster, period="2026Q3", metrics=names),
    ...     manager_metrics(data, period="2026Q3", metrics=names), rtol=1e-9)
    """
    quarter = to_period(period)
    window = period_window(quarter, as_of=as_of if as_of is not None else dataset.as_of)
    requested = _requested(dataset, metrics)
    (sums,) = gather_sales_sums(dataset, [(quarter, window)], _needs([m for _, m in requested]))
    ctx = ClusterMetricContext(dataset, quarter, window, sums=sums)
    # the table of manager_metrics, with the sales metrics read from the cluster's sums
    return _metric_table(dataset, requested, lambda metric: ctx.value(metric.name), _in_scope(ctx))


@dataclass(frozen=True, slots=True)
class SalesSums:
    """What the cluster gives back for one period's window: aggregates, never sales rows.

    Attributes
    ----------
    components
        The per-manager sums of :data:`_COMPONENTS`, one row per managers-table row.
    pairs
        The window's distinct manager-client pairs with an order
        (``manager * n_clients + client``), when asked for.
    daily
        Net sales per manager row (``manager``) and day (``day``, days since
        1970) before the window's end, when asked for.
    """

    components: pd.DataFrame
    pairs: IntArray | None = None
    daily: pd.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class SumsNeeded:
    """Which of the optional parts of :class:`SalesSums` to bring back."""

    pairs: bool = False
    daily: bool = False


def _needs(metrics: Sequence[Metric]) -> SumsNeeded:
    """The optional sums that metrics other than the sales metrics read (see the context)."""
    others = [m for m in metrics if m.name not in _SALES_METRIC_NAMES and "sales" in m.tables]
    # their sales reads are active_pairs (per-client rates) and sales_total (goal windows)
    return SumsNeeded(pairs=bool(others), daily=bool(others))


def gather_sales_sums(
    dataset: Dataset, windows: Sequence[tuple[pd.Period, Window]], needs: SumsNeeded
) -> list[SalesSums]:
    """The :class:`SalesSums` of each (period, window), from one job on the cluster.

    One shuffle puts each client's sales in one partition; every partition gives
    its per-manager sums for every window; the sums are added up in a tree.

    Examples
    --------
    >>> import dataclasses
    >>> import dask.dataframe as dd
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> on_cluster = dataclasses.replace(data, sales=dd.from_pandas(data.sales, npartitions=2))
    >>> q3 = pd.Period("2026Q3")
    >>> (sums,) = gather_sales_sums(on_cluster, [(q3, period_window(q3))], SumsNeeded())
    >>> len(sums.components) == len(data.managers), sums.pairs is None
    (True, True)
    """
    managers = dataset.managers[["manager_id"]]
    sales: Any = dataset.sales  # a Dask DataFrame, which the annotation does not name
    last_end = max(window.end for _, window in windows)
    ledger = client_partitioned(sales, _LEDGER_COLUMNS)
    # nothing after the last window counts (earlier rows decide new and retained clients)
    ledger = ledger[ledger["order_date"] < last_end]
    one_pass = partial(_partition_components, managers=managers, windows=tuple(windows))
    wanted: list[Any] = [_summed(ledger, one_pass, _COMPONENTS)]
    if needs.pairs:
        wanted.append(
            ledger.map_partitions(
                _partition_pairs, managers=managers, windows=tuple(windows), meta=_PAIRS_META
            )
        )
    if needs.daily:
        wanted.append(daily_net_sales(sales[sales["order_date"] < last_end]))
    gathered = gather_aggregates(*wanted)
    components: pd.DataFrame = gathered[0]
    pairs: pd.DataFrame | None = gathered[1] if needs.pairs else None
    daily: pd.DataFrame | None = gathered[-1] if needs.daily else None
    out = []
    for number in range(len(windows)):
        mine = pd.DataFrame(components.xs(number, level=0))
        window_pairs = (
            None
            if pairs is None
            else pairs.loc[pairs["window"] == number, "pair"].to_numpy(dtype=np.int64)
        )
        out.append(SalesSums(mine, window_pairs, daily))
    return out


class ClusterMetricContext(MetricContext):
    """A :class:`MetricContext` whose sales stay on the cluster: it reads their sums.

    The sales metrics and the per-manager sales sums (:meth:`sales_total`,
    :attr:`active_pairs`) come from ``sums``; reading the sales rows themselves
    (:attr:`sales`, :meth:`sales_in`) raises :class:`ConfigError`.
    """

    def __init__(
        self, dataset: Dataset, period: pd.Period, window: Window, *, sums: SalesSums | None
    ) -> None:
        super().__init__(dataset, period, window)
        self._sums = sums
        #: the metric being computed, for the error when it reads the sales rows
        self._reading = "this metric"

    @property
    def sums(self) -> SalesSums:
        """The cluster's sums of this window (an error when none were gathered)."""
        if self._sums is None:
            raise self._rows_needed()
        return self._sums

    def value(self, name: str) -> FloatArray | pd.DataFrame:
        """The registered metric ``name`` per managers-table row."""
        if name in _SALES_METRIC_NAMES:
            return self._sales_metric(name)
        self._reading = name
        return get_metric(name).compute(self)

    @cached_property
    def active_pairs(self) -> IntArray:
        """The period's distinct manager-client pairs with an order, from the cluster."""
        if self.sums.pairs is None:
            raise self._rows_needed()
        return self.sums.pairs

    def sales_total(self, window: Window) -> FloatArray:
        """Net sales per manager in ``window`` (whole days), from the cluster's daily sums."""
        if window == self.window.shift_years(-1):
            return self.sums.components["last_year_sales"].to_numpy()
        daily = self.sums.daily
        whole_days = (
            window.start == window.start.normalize() and window.end == window.end.normalize()
        )
        if daily is None or not whole_days or window.end > self.window.end:
            raise self._rows_needed()
        day = daily["day"].to_numpy()
        inside = (day >= window.start.value // NS_PER_DAY) & (day < window.end.value // NS_PER_DAY)
        return self.per_manager(
            daily["manager"].to_numpy()[inside], daily["net_sales"].to_numpy()[inside]
        )

    def sales_rows(self) -> FloatArray:
        """Sales rows per manager in the period, from the cluster's sums."""
        return self.sums.components["sales_rows"].to_numpy()

    @cached_property
    def _sales(self) -> dict[str, np.ndarray]:
        raise self._rows_needed()

    @cached_property
    def sales(self) -> dict[str, np.ndarray]:
        """Not available: the rows stay on the cluster."""
        raise self._rows_needed()

    def sales_in(self, window: Window) -> dict[str, np.ndarray]:
        """Not available: the rows stay on the cluster."""
        raise self._rows_needed()

    def _sales_metric(self, name: str) -> FloatArray:
        """A sales metric from the cluster's sums, as the pandas metric divides them."""
        sums = {column: self.sums.components[column].to_numpy() for column in _COMPONENTS}
        if name == "client_retention":
            return self.ratio(sums["retained_clients"], sums["previous_clients"])
        if name == "avg_order_value":
            return self.ratio(sums["order_amount"], sums["order_count"])
        if name == "sales_growth_yoy":
            last_year = sums["last_year_sales"]
            return self.ratio(sums["sales_amount"] - last_year, last_year)
        return sums[name]

    def _rows_needed(self) -> ConfigError:
        """The error for a metric that would read the sales rows on the driver."""
        return ConfigError(
            f"metric {self._reading!r} reads the sales rows one by one, which stay on the "
            "cluster when the sales table is a Dask DataFrame; compute it with the pandas "
            "engine (load without engine='dask') or leave it out of metrics="
        )


def _summed(
    sales: Any, one_pass: Callable[[pd.DataFrame], pd.DataFrame], columns: Sequence[str]
) -> Any:
    """A tree reduction on the cluster: ``one_pass`` per partition, the per-manager sums added."""
    meta = pd.DataFrame({column: pd.Series([], dtype=np.float64) for column in columns})
    return sales.reduction(chunk=one_pass, combine=_add_up, aggregate=_add_up, meta=meta)


def _add_up(per_manager: pd.DataFrame) -> pd.DataFrame:
    """Sums of several partitions (stacked, indexed by window and manager row) added up."""
    return per_manager.groupby(level=[0, 1]).sum()


def _partition_context(
    sales: pd.DataFrame, managers: pd.DataFrame, period: pd.Period, window: Window
) -> MetricContext:
    """The pandas context of one partition's sales."""
    dataset = Dataset(managers=managers, clients=pd.DataFrame(), sales=sales)
    return MetricContext(dataset, period, window)


def _partition_components(
    sales: pd.DataFrame,
    *,
    managers: pd.DataFrame,
    windows: tuple[tuple[pd.Period, Window], ...],
) -> pd.DataFrame:
    """The :data:`_COMPONENTS` of one client-complete partition, per window and manager row."""
    parts = [
        _window_components(_partition_context(sales, managers, period, window))
        for period, window in windows
    ]
    return pd.concat(parts, keys=range(len(parts)))


def _window_components(ctx: MetricContext) -> pd.DataFrame:
    """The :data:`_COMPONENTS` of one partition's context, one row per manager row."""
    rows = ctx.sales
    orders = rows["amount"] >= 0
    # client_retention's counts, before its ratio (see metrics._sales._client_retention)
    previous = ctx.client_pairs(ctx.sales_in(ctx.previous_window))
    retained = pd.Index(ctx.active_pairs).get_indexer(pd.Index(previous)) >= 0
    previous_managers = ctx.pair_managers(previous)
    return pd.DataFrame(
        {
            "sales_amount": _sales_amount(ctx),
            "order_count": _order_count(ctx),
            "order_amount": ctx.per_manager(rows["manager"][orders], rows["amount"][orders]),
            "active_clients": _active_clients(ctx),
            "new_clients": _new_clients(ctx),
            "retained_clients": ctx.per_manager(previous_managers[retained]),
            "previous_clients": ctx.per_manager(previous_managers),
            "last_year_sales": ctx.sales_total(ctx.window.shift_years(-1)),
            "sales_rows": ctx.per_manager(rows["manager"]),
        }
    )


def _partition_pairs(
    sales: pd.DataFrame,
    *,
    managers: pd.DataFrame,
    windows: tuple[tuple[pd.Period, Window], ...],
) -> pd.DataFrame:
    """The distinct manager-client pairs with an order in each window, of one partition."""
    parts = [
        pd.DataFrame(
            {
                "window": number,
                "pair": _partition_context(sales, managers, period, window).active_pairs,
            }
        )
        for number, (period, window) in enumerate(windows)
    ]
    return pd.concat(parts, ignore_index=True).astype(_PAIRS_META.dtypes.to_dict())
