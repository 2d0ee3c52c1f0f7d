""":func:`manager_metrics` of a dataset whose sales are a Dask DataFrame, on its cluster.

The sales metrics are ratios of per-manager sums and counts. The sums (net
sales, orders, order amounts, last year's sales) add up over any split of the
sales. The counts of distinct clients (active, new, retained and previous
clients) come from sets of manager-client pairs: each partition sends its
distinct pairs per window, and for new clients the pairs of each client's
first day with an order; the sets are merged in a tree on the cluster (no
shuffle of the sales rows), and the last merge counts them per manager. Only
the per-manager frame comes back. The ratios are then taken as the pandas
metrics take them. Metrics over the other tables run on the driver as they do
with pandas sales.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Final

import numpy as np
import pandas as pd

from .._engines import NS_PER_DAY, check_known_categories, daily_net_sales, gather_aggregates
from ..dataset import Dataset
from ..errors import ConfigError
from ..periods import DateLike, PeriodLike, Window, period_window, to_period
from ._context import MetricContext
from ._registry import FloatArray, IntArray, Metric, get_metric
from ._sales import SALES_METRICS, _order_count, _sales_amount
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
#: The per-manager sums, which add up over any split of the sales.
_SUMS: Final = ("sales_amount", "order_count", "order_amount", "last_year_sales", "sales_rows")
#: The per-manager counts of distinct clients, from the merged sets of client pairs.
_CLIENT_COUNTS: Final = ("active_clients", "new_clients", "retained_clients", "previous_clients")
_COMPONENTS: Final = (*_SUMS, *_CLIENT_COUNTS)
#: The kinds of rows of a client-pair set: a window's pairs with an order, the pairs of
#: the period before it, and (for every window) the pairs of each client's first day.
_ACTIVE, _PREVIOUS, _FIRST_DAY = 0, 1, 2
_PAIR_SET_META: Final = pd.DataFrame(
    {column: pd.Series([], dtype=np.int64) for column in ("kind", "window", "pair", "time")}
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

    Every partition gives its per-manager sums and its client-pair sets for every
    window; the sums are added up and the sets merged in a tree, without a shuffle.

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
    check_known_categories(sales, ("client_id", "manager_id"))
    n_clients = len(sales["client_id"].cat.categories)
    last_end = max(window.end for _, window in windows)
    # nothing after the last window counts (earlier rows decide new and retained clients)
    ledger = sales[list(_LEDGER_COLUMNS)]
    ledger = ledger[ledger["order_date"] < last_end]
    windows = tuple(windows)
    sums = partial(_partition_sums, managers=managers, windows=windows)
    pair_sets = partial(_partition_pair_sets, managers=managers, windows=windows)
    merge = partial(_merged_pair_sets, n_clients=n_clients)
    counts = partial(_client_counts, windows=windows, n_managers=len(managers), n_clients=n_clients)
    wanted: list[Any] = [
        ledger.reduction(chunk=sums, combine=_add_up, aggregate=_add_up, meta=_float_frame(_SUMS)),
        ledger.reduction(
            chunk=pair_sets, combine=merge, aggregate=counts, meta=_float_frame(_CLIENT_COUNTS)
        ),
    ]
    if needs.pairs:
        active = partial(_active_pairs, n_clients=n_clients)
        wanted.append(
            ledger.reduction(chunk=pair_sets, combine=merge, aggregate=active, meta=_PAIR_SET_META)
        )
    if needs.daily:
        wanted.append(daily_net_sales(ledger))
    gathered = gather_aggregates(*wanted)
    components = pd.concat(gathered[:2], axis=1)[list(_COMPONENTS)]
    pairs: pd.DataFrame | None = gathered[2] if needs.pairs else None
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


def _float_frame(columns: Sequence[str]) -> pd.DataFrame:
    """An empty frame of float ``columns``: the meta of a per-manager reduction."""
    return pd.DataFrame({column: pd.Series([], dtype=np.float64) for column in columns})


def _add_up(per_manager: pd.DataFrame) -> pd.DataFrame:
    """Sums of several partitions (stacked, indexed by window and manager row) added up."""
    return per_manager.groupby(level=[0, 1]).sum()


def _partition_context(
    sales: pd.DataFrame, managers: pd.DataFrame, period: pd.Period, window: Window
) -> MetricContext:
    """The pandas context of one partition's sales."""
    dataset = Dataset(managers=managers, clients=pd.DataFrame(), sales=sales)
    return MetricContext(dataset, period, window)


def _partition_sums(
    sales: pd.DataFrame,
    *,
    managers: pd.DataFrame,
    windows: tuple[tuple[pd.Period, Window], ...],
) -> pd.DataFrame:
    """The :data:`_SUMS` of one partition, per window and manager row."""
    parts = []
    for period, window in windows:
        ctx = _partition_context(sales, managers, period, window)
        rows = ctx.sales
        orders = rows["amount"] >= 0
        sums = {
            "sales_amount": _sales_amount(ctx),
            "order_count": _order_count(ctx),
            "order_amount": ctx.per_manager(rows["manager"][orders], rows["amount"][orders]),
            "last_year_sales": ctx.sales_total(ctx.window.shift_years(-1)),
            "sales_rows": ctx.sales_rows(),
        }
        parts.append(pd.DataFrame(sums))
    return pd.concat(parts, keys=range(len(parts)))


def _partition_pair_sets(
    sales: pd.DataFrame,
    *,
    managers: pd.DataFrame,
    windows: tuple[tuple[pd.Period, Window], ...],
) -> pd.DataFrame:
    """One partition's client-pair sets (``manager * n_clients + client``).

    Per window: the distinct pairs with an order in it (:data:`_ACTIVE`) and in
    the period before it (:data:`_PREVIOUS`); for all windows: the pairs with an
    order on the client's first day with one in this partition
    (:data:`_FIRST_DAY`), with their earliest time that day.
    """
    parts = []
    for number, (period, window) in enumerate(windows):
        ctx = _partition_context(sales, managers, period, window)
        previous = ctx.client_pairs(ctx.sales_in(ctx.previous_window))
        parts.append(_pair_rows(_ACTIVE, number, ctx.active_pairs))
        parts.append(_pair_rows(_PREVIOUS, number, previous))
    rows = ctx._sales  # every row of the partition: the first days look before the windows
    orders = rows["amount"] >= 0
    pairs = rows["manager"][orders].astype(np.int64) * ctx._n_clients + rows["client"][orders]
    parts.append(_pair_rows(_FIRST_DAY, -1, pairs, rows["time"][orders]))
    return _merged_pair_sets(pd.concat(parts, ignore_index=True), n_clients=ctx._n_clients)


def _pair_rows(
    kind: int, window: int, pairs: IntArray, times: IntArray | None = None
) -> pd.DataFrame:
    """Rows of a client-pair set."""
    return pd.DataFrame(
        {
            "kind": np.full(len(pairs), kind, dtype=np.int64),
            "window": np.full(len(pairs), window, dtype=np.int64),
            "pair": pairs.astype(np.int64),
            "time": np.zeros(len(pairs), dtype=np.int64) if times is None else times,
        }
    )


def _merged_pair_sets(sets: pd.DataFrame, *, n_clients: int) -> pd.DataFrame:
    """Client-pair sets of several partitions (stacked) as one.

    The window sets are united. Of the first-day pairs, only those on their
    client's earliest day stay (a partition whose first day for the client is
    later had no order on the earliest one), each with its earliest time.
    Done with numpy on flat arrays: a merge holds up to a few rows per client,
    in workers whose memory may be small.
    """
    first_day = sets["kind"].to_numpy() == _FIRST_DAY
    united = sets[~first_day].drop_duplicates(["kind", "window", "pair"])
    pair = sets["pair"].to_numpy()[first_day]
    time = sets["time"].to_numpy()[first_day]
    client = pair % n_clients  # a floor modulo: right for manager -1 too
    day = time // NS_PER_DAY
    earliest = np.full(n_clients, np.iinfo(np.int64).max)
    np.minimum.at(earliest, client, day)
    on_first_day = day == earliest[client]
    pair, time = pair[on_first_day], time[on_first_day]
    order = np.lexsort((time, pair))  # by pair, then time: each pair's earliest first
    pair, time = pair[order], time[order]
    first = np.ones(len(pair), dtype=bool)
    np.not_equal(pair[1:], pair[:-1], out=first[1:])
    return pd.concat(
        [united, _pair_rows(_FIRST_DAY, -1, pair[first], time[first])], ignore_index=True
    )


def _client_counts(
    sets: pd.DataFrame,
    *,
    windows: tuple[tuple[pd.Period, Window], ...],
    n_managers: int,
    n_clients: int,
) -> pd.DataFrame:
    """The :data:`_CLIENT_COUNTS` per window and manager row, from the partitions' pair sets.

    As the pandas metrics count them (:mod:`~am_analytics.metrics._sales`): a
    client is new in a window when its first order is in it, for each manager
    credited with an order on that first day before the window's end.
    """
    merged = _merged_pair_sets(sets, n_clients=n_clients)
    kind, number = merged["kind"].to_numpy(), merged["window"].to_numpy()
    pair, time = merged["pair"].to_numpy(), merged["time"].to_numpy()
    first_pair, first_time = pair[kind == _FIRST_DAY], time[kind == _FIRST_DAY]
    client = first_pair % n_clients
    earliest = np.full(n_clients, np.iinfo(np.int64).max)
    np.minimum.at(earliest, client, first_time)
    client_first = earliest[client]  # each first-day pair's client's first order time

    def per_manager(pairs: IntArray) -> FloatArray:
        managers = pairs // n_clients
        managers = managers[(managers >= 0) & (managers < n_managers)]
        return np.bincount(managers, minlength=n_managers).astype(np.float64)

    parts = []
    for w, (_, window) in enumerate(windows):
        active = pair[(kind == _ACTIVE) & (number == w)]
        previous = pair[(kind == _PREVIOUS) & (number == w)]
        start, end = window.start.value, window.end.value
        new = (client_first >= start) & (client_first < end) & (first_time < end)
        counts = {
            "active_clients": per_manager(active),
            "new_clients": per_manager(first_pair[new]),
            "retained_clients": per_manager(previous[np.isin(previous, active)]),
            "previous_clients": per_manager(previous),
        }
        parts.append(pd.DataFrame(counts))
    return pd.concat(parts, keys=range(len(parts)))


def _active_pairs(sets: pd.DataFrame, *, n_clients: int) -> pd.DataFrame:
    """Each window's distinct pairs with an order, from the partitions' pair sets."""
    merged = _merged_pair_sets(sets, n_clients=n_clients)
    active = merged[merged["kind"].to_numpy() == _ACTIVE]
    return active.sort_values(["window", "pair"], ignore_index=True)
