"""The actual value of a goal's metric for its owner over a window of days.

A *query* asks for one owner's value of one registry metric over the days
``[start, end]`` (both inclusive). :func:`owner_actuals` answers many queries at
once. A metric that adds up over days (:data:`TIME_ADDITIVE`) is read from
:class:`OwnerCumulative`: one pass over its table gives each owner's running
total, and a window's value is the difference of two of them, so the work grows
with the rows and the queries, not with the days of history. A mean with a
natural weight (:data:`RATIO_TOTALS`: ``csat_mean``, ``nps``,
``avg_order_value``) is the ratio of two such differences (the sum of the
answers or amounts over their count). Any other metric is computed once per
distinct (metric, window) for every manager with
:class:`~am_analytics.metrics.MetricContext` and the owners are looked up.

How a team's value is built from its managers' (the team is ``managers.team``
as the managers table has it now):

* **Additive metrics** (units ``currency``, ``clients``, ``orders``,
  ``responses``, ``complaints``, ``items``): the sum over the team's managers.
  ``new_clients`` counts a client once per manager credited on its first day,
  so a first order shared by two team members counts twice, as it does for
  each of them.
* **Means with a natural weight** (:data:`TEAM_WEIGHTS`): the mean of the
  managers' values weighted by that count (``csat_mean`` and ``nps`` by the
  responses that answered that question, ``avg_order_value`` by the orders,
  ``complaints_per_100_clients`` by
  the active clients), which equals the metric computed over the team's rows.
* **Other ratios and shares**: the unweighted mean of the managers who have a
  value — an approximation, said here because there is no better general rule.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any, Final, TypeAlias, cast

import numpy as np
import pandas as pd

from .._engines import NS_PER_DAY, is_dask_frame, sales_date_range
from ..dataset import Dataset
from ..errors import ConfigError
from ..metrics import MetricContext, get_metric
from ..periods import Window

FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]
IntArray: TypeAlias = np.ndarray[Any, np.dtype[np.int64]]

#: Units whose values add up over managers and over disjoint windows.
ADDITIVE_UNITS: Final = frozenset(
    {"currency", "clients", "orders", "responses", "complaints", "items"}
)
#: Mean metrics and the count metric that weighs a manager's value in a team's.
TEAM_WEIGHTS: Final = {
    "csat_mean": "survey_count",
    "nps": "survey_count",
    "avg_order_value": "order_count",
    "complaints_per_100_clients": "active_clients",
}
#: Survey means and the answer column they average (their weight counts its answers).
_ANSWER_COLUMNS: Final = {"csat_mean": "csat", "nps": "nps"}
#: Metrics that add up over disjoint windows (so a period's value is the sum
#: of its weeks'). ``active_clients`` is a count but not additive over time.
TIME_ADDITIVE: Final = frozenset(
    {"sales_amount", "order_count", "new_clients", "survey_count", "complaint_count"}
)
#: Means read as the ratio of two running totals: metric -> (numerator, denominator).
#: Summed over a team's rows, the ratio is the team's weighted mean too.
RATIO_TOTALS: Final = {
    "csat_mean": ("csat_sum", "csat_answers"),
    "nps": ("nps_net_sum", "nps_answers"),
    "avg_order_value": ("order_amount", "order_count"),
}


def _net_promoter(nps: FloatArray) -> FloatArray:
    """Each NPS answer's part of the score, as the ``nps`` metric counts it: +100, 0, -100."""
    return np.where(nps >= 9, 100.0, 0.0) - np.where(nps <= 6, 100.0, 0.0)


#: Running totals over the answered surveys: name -> (answer column, what an answer adds).
_ANSWER_TOTALS: Final[dict[str, tuple[str, Callable[[FloatArray], FloatArray]]]] = {
    "csat_answers": ("csat", np.ones_like),
    "csat_sum": ("csat", np.asarray),
    "csat_sum_squares": ("csat", np.square),
    "nps_answers": ("nps", np.ones_like),
    "nps_net_sum": ("nps", _net_promoter),
}
_QUERY_COLUMNS: Final = ("owner_id", "owner_kind", "metric", "start", "end")
_DAY: Final = pd.Timedelta(days=1)


def is_additive(metrics: pd.Series) -> np.ndarray:
    """Whether each metric accumulates over the days of a period (a count or an amount).

    Examples
    --------
    >>> is_additive(pd.Series(["sales_amount", "csat_mean"]))
    array([ True, False])
    """
    return metrics.isin(TIME_ADDITIVE).to_numpy(dtype=bool)


def owner_actuals(
    queries: pd.DataFrame, dataset: Dataset, *, cumulative: OwnerCumulative | None = None
) -> FloatArray:
    """The value of each query's metric for its owner over ``[start, end]``.

    Parameters
    ----------
    queries
        Columns ``owner_id``, ``owner_kind`` (manager/team), ``metric``,
        ``start`` and ``end`` (inclusive days). Optional ``period_start`` and
        ``period_end`` give the goal period a window belongs to (metrics that
        compare with the previous period, like ``client_retention``, need it);
        by default the window is its own period.
    dataset
        A validated :class:`~am_analytics.Dataset` holding the metrics' tables.
    cumulative
        The running totals of ``dataset`` to read additive metrics from; pass
        one to share them between calls (built here when not given).

    Returns
    -------
    numpy.ndarray
        One float per query, in order; NaN for an unknown owner, a window that
        ends before it starts, or a metric undefined there (a mean without
        answers).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> q = pd.DataFrame({"owner_id": ["M0001"], "owner_kind": ["manager"],
    ...                   "metric": ["sales_amount"], "start": [pd.Timestamp("2026-07-01")],
    ...                   "end": [pd.Timestamp("2026-09-30")]})
    >>> bool(owner_actuals(q, data)[0] > 0)
    True
    """
    out = np.full(len(queries), np.nan)
    if len(queries) == 0:
        return out
    missing = [c for c in _QUERY_COLUMNS if c not in queries.columns]
    if missing:
        raise ConfigError(f"actual-value queries need the columns {', '.join(missing)}")
    starts = pd.to_datetime(queries["start"]).dt.normalize()
    ends = pd.to_datetime(queries["end"]).dt.normalize()
    # a few metrics over many queries: compared by code, not string by string
    metric_codes, metrics = pd.factorize(queries["metric"].astype(str))
    from_totals = np.flatnonzero(metrics.isin([*TIME_ADDITIVE, *RATIO_TOTALS]))
    additive = np.isin(metric_codes, from_totals)
    if additive.any():
        cumulative = OwnerCumulative(dataset) if cumulative is None else cumulative
        codes = cumulative.owner_codes(queries["owner_id"], queries["owner_kind"])
        first, last = starts.to_numpy(), ends.to_numpy()
        for code in from_totals.tolist():  # all of a metric's queries at once
            rows = np.flatnonzero(metric_codes == code)
            out[rows] = cumulative.value(str(metrics[code]), codes[rows], first[rows], last[rows])
    if not additive.all():
        out[~additive] = _window_actuals(queries[~additive], dataset, starts[~additive],
                                         ends[~additive])  # fmt: skip
    return out


def _window_actuals(
    queries: pd.DataFrame, dataset: Dataset, starts: pd.Series, ends: pd.Series
) -> FloatArray:
    """:func:`owner_actuals` computed once per distinct window for every manager."""
    out = np.full(len(queries), np.nan)
    lookup = _OwnerLookup(dataset)
    p_start = pd.to_datetime(queries.get("period_start", starts)).dt.normalize()
    p_end = pd.to_datetime(queries.get("period_end", ends)).dt.normalize()
    keys = pd.DataFrame(
        {
            "metric": queries["metric"].to_numpy(),
            "start": starts.to_numpy(),
            "end": ends.to_numpy(),
            "p_start": p_start.to_numpy(),
            "p_end": p_end.to_numpy(),
        }
    )
    rows_of = keys.groupby(list(keys.columns), sort=False).indices
    owners = queries["owner_id"].astype(str).to_numpy()
    kinds = queries["owner_kind"].astype(str).to_numpy()
    values_of = _window_values(dataset, [_unpack(key) for key in rows_of])
    # One metric computation per distinct window, for every manager at once.
    for key, rows in rows_of.items():
        metric, start, end, period_start, period_end = _unpack(key)
        if end < start:
            continue
        values = values_of(metric, start, end, period_start, period_end)
        out[rows] = lookup.values(values, metric, owners[rows], kinds[rows])
    return out


_Bounds: TypeAlias = tuple[str, pd.Timestamp, pd.Timestamp, pd.Timestamp, pd.Timestamp]


def _window_values(
    dataset: Dataset, windows: list[_Bounds]
) -> Callable[..., dict[str, FloatArray]]:
    """Where the manager values of each (metric, start, end, period_start, period_end) come from."""
    if is_dask_frame(dataset.sales):  # Dask sales: every window's sums from one cluster job
        from ._distributed import ClusterWindowValues

        return ClusterWindowValues(dataset, windows)
    return lambda metric, *bounds: _manager_values(dataset, metric, *bounds)


def _unpack(key: Hashable) -> tuple[str, pd.Timestamp, pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """A group key of :func:`owner_actuals` as typed values."""
    parts: tuple[Any, ...] = tuple(key)  # type: ignore[arg-type]
    metric, start, end, period_start, period_end = parts
    return (
        str(metric),
        pd.Timestamp(start),
        pd.Timestamp(end),
        pd.Timestamp(period_start),
        pd.Timestamp(period_end),
    )


def manager_window_values(
    dataset: Dataset, metric: str, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, FloatArray]:
    """``metric`` (and its team weight) per managers-table row over ``[start, end]``.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> v = manager_window_values(load_sample(), "csat_mean", pd.Timestamp("2026-07-01"),
    ...                           pd.Timestamp("2026-09-30"))
    >>> sorted(v)
    ['csat_mean', 'survey_count']
    """
    return _manager_values(dataset, metric, start, end, start, end)


def _manager_values(
    dataset: Dataset,
    metric: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    period_start: pd.Timestamp,
    period_end: pd.Timestamp,
) -> dict[str, FloatArray]:
    """The metric and its weight metric, per manager row, over one window."""
    if is_dask_frame(dataset.sales):  # Dask sales: reduced on their cluster
        from ._distributed import ClusterWindowValues

        bounds = (metric, start, end, period_start, period_end)
        return ClusterWindowValues(dataset, [bounds])(*bounds)
    ctx = MetricContext(dataset, *_context_bounds(start, end, period_start, period_end))
    return _with_weight(ctx, metric, lambda name: get_metric(name).compute(ctx))


def _with_weight(
    ctx: MetricContext, metric: str, compute: Callable[[str], FloatArray | pd.DataFrame]
) -> dict[str, FloatArray]:
    """``metric``'s values and its team weight's (:data:`TEAM_WEIGHTS`), one per manager row.

    ``compute`` gives a registered metric's values in ``ctx``: from the sales in
    memory, or from the sums a cluster gave back.
    """
    values = {metric: _as_vector(compute(metric), metric)}
    weight = TEAM_WEIGHTS.get(metric)
    if metric in _ANSWER_COLUMNS:
        # weigh by the answers the mean is taken over, not by every response
        surveys = ctx.rows_in("surveys", "survey_date")
        answered = surveys[_ANSWER_COLUMNS[metric]].notna().to_numpy()
        values[str(weight)] = ctx.per_manager(ctx.manager_codes(surveys)[answered])
    elif weight is not None:
        values[weight] = _as_vector(compute(weight), weight)
    return values


def _as_vector(values: FloatArray | pd.DataFrame, metric: str) -> FloatArray:
    """One float per manager row (a metric family member is picked by name)."""
    if isinstance(values, pd.DataFrame):
        if metric not in values.columns:
            return np.full(len(values), np.nan)
        return values[metric].to_numpy(dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def _context_bounds(
    start: pd.Timestamp, end: pd.Timestamp, period_start: pd.Timestamp, period_end: pd.Timestamp
) -> tuple[pd.Period, Window]:
    """The metric context's period and window of a query over ``[start, end]`` (whole days)."""
    return _context_period(period_start, period_end), Window(start, end + _DAY)


def _context_period(start: pd.Timestamp, end: pd.Timestamp) -> pd.Period:
    """The calendar period ``[start, end]`` is (quarter, month or year), else a day."""
    for freq in ("Q", "M", "Y"):
        period = pd.Period(start, freq=freq)
        if period.start_time.normalize() == start and period.end_time.normalize() == end:
            return period
    return pd.Period(start, freq="D")


class _OwnerLookup:
    """Maps owners (managers or teams) onto the manager rows their values come from."""

    def __init__(self, dataset: Dataset) -> None:
        managers = dataset.managers
        self.manager_row = pd.Index(managers["manager_id"].astype(str))
        teams = managers["team"] if "team" in managers.columns else pd.Series(pd.NA, managers.index)
        codes, names = pd.factorize(teams.astype("str").where(teams.notna()), sort=False)
        self.team_index = pd.Index(names.astype(str))
        # membership[t, m] is 1 when manager row m belongs to team t
        self.membership = np.zeros((len(names), len(managers)))
        known = codes >= 0
        self.membership[codes[known], np.flatnonzero(known)] = 1.0

    def team_values(self, values: dict[str, FloatArray], metric: str) -> FloatArray:
        """The metric per team from its managers' values (see the module's rules)."""
        value = values[metric]
        present = ~np.isnan(value)
        filled = np.where(present, value, 0.0)
        if metric in TEAM_WEIGHTS:
            weight = np.where(present, values[TEAM_WEIGHTS[metric]], 0.0)
            return _safe_ratio(self.membership @ (filled * weight), self.membership @ weight)
        if metric in TIME_ADDITIVE or _unit(metric) in ADDITIVE_UNITS:
            return self.membership @ filled
        return _safe_ratio(self.membership @ filled, self.membership @ present.astype(float))

    def values(
        self, values: dict[str, FloatArray], metric: str, owners: np.ndarray, kinds: np.ndarray
    ) -> FloatArray:
        """The value of each owner, NaN for owners the tables do not know."""
        out = np.full(len(owners), np.nan)
        team = kinds == "team"
        rows = self.manager_row.get_indexer(owners[~team])
        found = rows >= 0
        picked = out[~team]
        picked[found] = values[metric][rows[found]]
        out[~team] = picked
        if team.any():
            team_rows = self.team_index.get_indexer(owners[team])
            per_team = self.team_values(values, metric)
            found_team = team_rows >= 0
            picked = out[team]
            picked[found_team] = per_team[team_rows[found_team]]
            out[team] = picked
        return out


def _unit(metric: str) -> str:
    return get_metric(metric).unit


def _safe_ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``, NaN where the denominator is not positive."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def weekly_owner_series(
    dataset: Dataset, metric: str, owners: pd.DataFrame, week_ends: pd.DatetimeIndex
) -> FloatArray:
    """An additive metric per owner and week: rows ``owners``, columns ``week_ends``.

    Week ``j`` is the seven days ending on ``week_ends[j]`` (inclusive).
    ``owners`` has columns ``owner_id`` and ``owner_kind``; unknown owners get 0.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> owners = pd.DataFrame({"owner_id": ["M0001", "华东一组"],
    ...                        "owner_kind": ["manager", "team"]})
    >>> ends = pd.date_range("2026-07-05", periods=3, freq="7D")
    >>> weekly_owner_series(load_sample(), "sales_amount", owners, ends).shape
    (2, 3)
    """
    cumulative = OwnerCumulative(dataset)
    codes = cumulative.owner_codes(owners["owner_id"], owners["owner_kind"])
    ends = week_ends.normalize().to_numpy()
    grid = (np.repeat(codes, len(ends)), np.tile(ends - np.timedelta64(6, "D"), len(codes)))
    values = cumulative.between(metric, grid[0], grid[1], np.tile(ends, len(codes)))
    return np.nan_to_num(values.reshape(len(codes), len(ends)))


class OwnerCumulative:
    """Each owner's running totals of the additive metrics, built once per total.

    Owners are coded as :meth:`owner_codes` says (managers-table rows, then
    teams). A total's rows (orders, responses, complaints, first-day
    clients, answers) are credited to their manager and to the manager's
    team, and summed cumulatively per owner; the value over ``[start, end]``
    is the running total after ``end`` minus the one before ``start``.
    Running totals are kept on the owners × days grid when that grid is not
    much larger than the rows (:data:`_DENSE_CELLS_PER_ROW`): a window's value
    is then two look-ups. Otherwise the rows are sorted by (owner, day) and
    the totals found by binary search. Equal to summing the window's rows up
    to rounding (a few units in the last place of the owner's running total).
    Besides the metrics of :data:`TIME_ADDITIVE` the totals are the parts of
    the means in :data:`RATIO_TOTALS` and ``csat_sum_squares`` (the sum of
    the squared CSAT answers).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> totals = OwnerCumulative(load_sample())
    >>> codes = totals.owner_codes(pd.Series(["M0001", "M9999"]), pd.Series(["manager"] * 2))
    >>> codes
    array([ 0, -1])
    >>> day = np.datetime64("2026-07-01")
    >>> totals.between("order_count", codes, np.array([day] * 2), np.array([day + 91] * 2))
    array([43., nan])
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        managers = dataset.managers
        self.managers = pd.Index(managers["manager_id"].astype(str))
        teams = managers["team"] if "team" in managers.columns else pd.Series(pd.NA, managers.index)
        codes, names = pd.factorize(teams.astype("str").where(teams.notna()), sort=False)
        self.teams = pd.Index(names.astype(str))
        #: the owner code of each manager row's team (-1 without a team)
        self.team_of = np.where(codes >= 0, codes + len(managers), -1)
        self._built: dict[str, tuple[IntArray | None, FloatArray, int, int]] = {}

    def value(
        self, metric: str, owners: IntArray, starts: np.ndarray, ends: np.ndarray
    ) -> FloatArray:
        """An additive metric or a mean of :data:`RATIO_TOTALS` per owner over ``[start, end]``.

        NaN as :meth:`between` says, and for a mean without answers (or orders).
        """
        if metric not in RATIO_TOTALS:
            return self.between(metric, owners, starts, ends)
        numerator, denominator = RATIO_TOTALS[metric]
        return _safe_ratio(self.between(numerator, owners, starts, ends),
                           self.between(denominator, owners, starts, ends))  # fmt: skip

    @cached_property
    def first_sale_day(self) -> pd.Timestamp:
        """The day of the earliest sale (NaT without sales), the sales in memory or on a cluster."""
        dates = sales_date_range(self.dataset.sales)
        return dates[0].normalize() if dates is not None else cast(pd.Timestamp, pd.NaT)

    @property
    def n_owners(self) -> int:
        """Managers and teams."""
        return len(self.managers) + len(self.teams)

    def owner_codes(self, owner_id: pd.Series, owner_kind: pd.Series) -> IntArray:
        """Manager rows ``0..n-1``, teams ``n..``, -1 for an owner the tables do not know."""
        # queries repeat few owners many times (a goal per day): look each pair up once
        owner, _ = pd.factorize(owner_id, use_na_sentinel=False)
        kind, kinds = pd.factorize(owner_kind, use_na_sentinel=False)
        pairs = owner.astype(np.int64) * max(len(kinds), 1) + kind
        _, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
        distinct = self._distinct_owner_codes(owner_id.iloc[first], owner_kind.iloc[first])
        return distinct[inverse.reshape(-1)]

    def _distinct_owner_codes(self, owner_id: pd.Series, owner_kind: pd.Series) -> IntArray:
        """:meth:`owner_codes` of every row, looked up one by one."""
        ids = pd.Index(owner_id.astype(str).to_numpy())
        team = owner_kind.astype(str).to_numpy() == "team"
        as_team = self.teams.get_indexer(ids)
        codes = np.where(team, np.where(as_team >= 0, as_team + len(self.managers), -1),
                         self.managers.get_indexer(ids))  # fmt: skip
        return codes.astype(np.int64)

    def between(
        self, metric: str, owners: IntArray, starts: np.ndarray, ends: np.ndarray
    ) -> FloatArray:
        """``metric`` of each owner code over ``[start, end]`` (days, inclusive); NaN for an
        unknown owner or a window that ends before it starts."""
        keys, running, origin, span = self._running(metric)
        start = _days(starts) - origin
        end = _days(ends) - origin + 1
        base = np.maximum(owners, 0) * span
        values = _total_before(keys, running, base, np.clip(end, 0, span - 1)) - _total_before(
            keys, running, base, np.clip(start, 0, span - 1)
        )
        return np.where((owners >= 0) & (end > start), values, np.nan)

    def _running(self, metric: str) -> tuple[IntArray | None, FloatArray, int, int]:
        """Each owner's running totals, the first day and the days per owner (``span``).

        Either on the grid (keys ``None``; cell ``owner * span + day`` holds the
        total of the days before ``day``), or the rows' sorted ``owner * span +
        day`` keys, each with the owner's running total up to and including it.
        """
        if metric not in self._built:
            managers, days, weights = _metric_rows(self.dataset, metric)
            inside = (managers >= 0) & (managers < len(self.managers))  # orphans count nowhere
            if not inside.all():
                managers, days, weights = managers[inside], days[inside], weights[inside]
            origin = int(days.min()) - 1 if days.size else 0
            span = int(days.max()) - origin + 2 if days.size else 2
            days = days - origin
            if self.n_owners * span <= _DENSE_CELLS_PER_ROW * len(days) + _DENSE_CELLS_ALWAYS:
                running = self._running_on_grid(managers, days, weights, span)
                self._built[metric] = (None, running, origin, span)
            else:
                keys, running = self._running_by_row(managers, days, weights, span)
                self._built[metric] = (keys, running, origin, span)
        return self._built[metric]

    def _running_on_grid(
        self, managers: IntArray, days: IntArray, weights: FloatArray, span: int
    ) -> FloatArray:
        """The owners × days grid: per owner, the total of the days before each day.

        The managers' days are summed from the rows, each team's from its
        managers' days; a total restarts on each owner's row of the grid.
        """
        n_managers = len(self.managers)
        per_day = np.zeros((self.n_owners, span))
        per_day[:n_managers] = np.bincount(
            managers * span + days, weights=weights, minlength=n_managers * span
        ).reshape(n_managers, span)
        in_team = np.flatnonzero(self.team_of >= 0)
        np.add.at(per_day, self.team_of[in_team], per_day[in_team])
        before = np.zeros_like(per_day)
        np.cumsum(per_day[:, :-1], axis=1, out=before[:, 1:])
        return before.reshape(-1)

    def _running_by_row(
        self, managers: IntArray, days: IntArray, weights: FloatArray, span: int
    ) -> tuple[IntArray, FloatArray]:
        """Each row credited to its manager and the manager's team, sorted by ``owner *
        span + day``: the sorted keys and each owner's running total up to each row."""
        teams = self.team_of[managers]
        in_team = teams >= 0
        owners = np.concatenate([managers, teams[in_team]]).astype(np.int64)
        days = np.concatenate([days, days[in_team]])
        weights = np.concatenate([weights, weights[in_team]])
        keys = owners * span + days
        order = np.argsort(keys, kind="stable")
        # restarted per owner, so rounding grows with the owner's total, not everyone's
        running = pd.Series(weights[order]).groupby(owners[order]).cumsum()
        return keys[order], np.asarray(running, dtype=np.float64)


#: Running totals are kept on the owners × days grid when it has at most this many
#: cells per row (or at most :data:`_DENSE_CELLS_ALWAYS`, 64 MB): 32 bytes a row, what
#: the rows' sorted keys and totals take otherwise. At 10M sales rows (5,625 owners,
#: 1,050 days) the grid has 0.6 cells a row; the sort and the binary searches it
#: saves took 10 of the 30 s of ``attainment``.
_DENSE_CELLS_PER_ROW: Final = 4
_DENSE_CELLS_ALWAYS: Final = 1 << 23


def _total_before(
    keys: IntArray | None, running: FloatArray, base: IntArray, day: IntArray
) -> FloatArray:
    """The running total of owner ``base // span`` before ``day`` (0 before its first row)."""
    if keys is None:
        return running[base + day]
    last = np.searchsorted(keys, base + day) - 1
    same_owner = (last >= 0) & (keys[np.maximum(last, 0)] >= base)
    return (
        np.where(same_owner, running[np.maximum(last, 0)], 0.0)
        if keys.size
        else np.zeros(len(base))
    )


def _days(dates: np.ndarray) -> IntArray:
    """Whole days since the epoch of datetime64 values (NaT stays NaT's integer)."""
    # integer floor division: numpy's datetime64[ns] -> [D] cast is five times slower
    nanoseconds = np.asarray(dates, dtype="datetime64[ns]").view(np.int64)
    days = nanoseconds // NS_PER_DAY
    days[nanoseconds == _NAT] = _NAT
    return days


_NAT: Final = np.iinfo(np.int64).min


def _metric_rows(dataset: Dataset, metric: str) -> tuple[IntArray, IntArray, FloatArray]:
    """The rows an additive total adds up: manager code, day and value of each."""
    if metric in _ANSWER_TOTALS:
        column, part = _ANSWER_TOTALS[metric]
        surveys = dataset.table("surveys")
        answers = (
            surveys[column].to_numpy(dtype=np.float64, na_value=np.nan)
            if column in surveys.columns
            else np.full(len(surveys), np.nan)
        )
        answered = ~np.isnan(answers)
        codes = surveys["manager_id"].cat.codes.to_numpy().astype(np.int64)[answered]
        days = _days(surveys["survey_date"].to_numpy()[answered])
        return codes, days, np.asarray(part(answers[answered]), dtype=np.float64)
    if metric in ("survey_count", "complaint_count"):
        table, column = ("surveys", "survey_date") if metric == "survey_count" else (
            "feedback", "opened_at")  # fmt: skip
        frame = dataset.table(table)
        if metric == "complaint_count":
            frame = frame[frame["kind"].to_numpy() == "complaint"]
        codes = frame["manager_id"].cat.codes.to_numpy().astype(np.int64)
        return codes, _days(frame[column].to_numpy()), np.ones(len(frame))
    sales = dataset.sales
    if is_dask_frame(sales):  # Dask sales: the same rows, summed per (manager, day) on the cluster
        from ._distributed import daily_sales_rows

        return daily_sales_rows(sales, metric)
    codes = sales["manager_id"].cat.codes.to_numpy().astype(np.int64)
    days = _days(sales["order_date"].to_numpy())
    amount = sales["amount"].to_numpy(dtype=np.float64)
    if metric == "sales_amount":
        return codes, days, amount
    orders = amount >= 0
    if metric == "order_count":
        return codes[orders], days[orders], np.ones(int(orders.sum()))
    if metric == "order_amount":
        return codes[orders], days[orders], amount[orders]
    if metric == "new_clients":
        return _first_day_pairs(
            codes[orders], days[orders], sales["client_id"].cat.codes.to_numpy()[orders]
        )
    raise ConfigError(f"{metric!r} does not add up over days; the additive metrics are "
                      f"{', '.join(sorted(TIME_ADDITIVE))}")  # fmt: skip


def _first_day_pairs(
    managers: IntArray, days: IntArray, clients: np.ndarray
) -> tuple[IntArray, IntArray, FloatArray]:
    """``new_clients`` as rows: each (manager, client) with an order on the client's first day."""
    first = np.full(int(clients.max()) + 1 if clients.size else 0, np.iinfo(np.int64).max)
    np.minimum.at(first, clients, days)
    on_first = days == first[clients]
    pairs = pd.unique(managers[on_first] * (len(first) + 1) + clients[on_first].astype(np.int64))
    manager, client = np.divmod(pairs, len(first) + 1)
    return manager, first[client], np.ones(len(pairs))
