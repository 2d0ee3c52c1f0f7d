"""The metric registry and the manager × metric table of one period.

Each :class:`Metric` knows its direction (is more better?), its unit, what it
means and which tables it needs. :func:`manager_metrics` computes any of them
for every manager in one period; scorecards, goals and reports name metrics
from this registry, and later modules add theirs with :func:`register_metric`.

Definitions shared by the sales metrics
---------------------------------------
* A sale is credited to ``sales.manager_id`` (who may differ from the client's
  owner).
* An *order* is a sale with ``amount >= 0`` (a zero amount is a free order); a
  negative amount is a refund or credit note. Refunds reduce ``sales_amount``
  but are not orders, and a client who only had a refund in the period is not
  active.
* A client is *active* for a manager in a period when the manager was credited
  with at least one of its orders in it.
* Windows are half-open ``[start, end)``: the whole last day counts. When
  ``as_of`` falls inside the period, the window ends after that day and the
  comparison windows (previous year) are cut the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from .dataset import Dataset, DateLike
from .errors import ConfigError, MissingTableError, MissingTableWarning, NonFiniteValueWarning
from .periods import PeriodLike, Window, period_window, to_period

__all__ = [
    "Metric",
    "MetricContext",
    "get_metric",
    "list_metrics",
    "manager_metrics",
    "register_metric",
]

Direction: TypeAlias = Literal["higher", "lower"]
FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]
IntArray: TypeAlias = np.ndarray[Any, np.dtype[np.int64]]

#: The prefix of the per-competency rating metrics (``rating_communication``, ...).
RATING_PREFIX: Final = "rating_"
_RATING_TEMPLATE: Final = "rating_<competency>"


@dataclass(frozen=True, slots=True)
class Metric:
    """A per-manager, per-period measure.

    Parameters
    ----------
    name
        Column name in :func:`manager_metrics`; snake_case.
    direction
        ``"higher"`` if more is better, ``"lower"`` if less is better.
    unit
        What one unit is (``"currency"``, ``"clients"``, ``"share"``, ...).
    description
        One sentence a sales director understands, including edge cases.
    tables
        The dataset tables the metric reads.
    compute
        ``compute(context) -> values``: one value per row of the managers table
        (a float array), from a :class:`MetricContext`. A metric that yields a
        family of columns (``rating_<competency>``) returns a DataFrame with one
        column per member instead.
    """

    name: str
    direction: Direction
    unit: str
    description: str
    tables: tuple[str, ...]
    compute: Callable[[MetricContext], FloatArray | pd.DataFrame]

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ConfigError(
                f"metric {self.name!r}: direction must be 'higher' or 'lower', "
                f"not {self.direction!r}"
            )


_REGISTRY: dict[str, Metric] = {}


def register_metric(metric: Metric, *, replace: bool = False) -> Metric:
    """Add ``metric`` to the registry, so scorecards and goals can name it.

    Raises
    ------
    ConfigError
        If a metric of that name exists and ``replace`` is false.

    Examples
    --------
    >>> import numpy as np
    >>> m = Metric("team_size", "higher", "managers", "Managers in the team.",
    ...            ("managers",), lambda ctx: np.ones(len(ctx.dataset.managers)))
    >>> register_metric(m).name
    'team_size'
    >>> _ = _REGISTRY.pop("team_size")
    """
    if metric.name in _REGISTRY and not replace:
        raise ConfigError(
            f"a metric named {metric.name!r} is already registered; "
            "choose another name or pass replace=True"
        )
    _REGISTRY[metric.name] = metric
    return metric


def get_metric(name: str, *, dataset: Dataset | None = None) -> Metric:
    """The registered metric called ``name`` (``rating_<competency>`` included).

    Raises
    ------
    ConfigError
        If no metric has that name.

    Examples
    --------
    >>> get_metric("complaint_count").direction
    'lower'
    >>> get_metric("rating_teamwork").unit
    'score'
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name.startswith(RATING_PREFIX) and len(name) > len(RATING_PREFIX):
        return _REGISTRY[_RATING_TEMPLATE]
    raise ConfigError(
        f"unknown metric {name!r}; known metrics: {', '.join(_REGISTRY)} "
        "(list_metrics() describes them)"
    )


def list_metrics() -> pd.DataFrame:
    """The registered metrics: ``name, direction, unit, tables, description``.

    Examples
    --------
    >>> m = list_metrics().set_index("name")
    >>> m.loc["sales_amount", ["direction", "unit", "tables"]].tolist()
    ['higher', 'currency', 'sales']
    """
    return pd.DataFrame(
        {
            "name": [m.name for m in _REGISTRY.values()],
            "direction": [m.direction for m in _REGISTRY.values()],
            "unit": [m.unit for m in _REGISTRY.values()],
            "tables": [", ".join(m.tables) for m in _REGISTRY.values()],
            "description": [m.description for m in _REGISTRY.values()],
        }
    )


# ---------------------------------------------------------------------------
# The period context metrics are computed from
# ---------------------------------------------------------------------------


class MetricContext:
    """Everything one period's metrics share, computed once and on demand.

    Arrays are indexed by the row of the managers table (the codes of every
    ``manager_id`` categorical); ids kept as orphans (``on_orphans="keep"``)
    fall outside it and are ignored.

    Attributes
    ----------
    dataset, period
        What is measured.
    window
        ``[start, end)`` of the period, cut after ``as_of``.
    """

    def __init__(self, dataset: Dataset, period: pd.Period, window: Window) -> None:
        self.dataset = dataset
        self.period = period
        self.window = window
        self.n_managers = len(dataset.managers)

    # -- helpers ------------------------------------------------------------

    def per_manager(self, codes: np.ndarray, weights: np.ndarray | None = None) -> FloatArray:
        """Count (or sum ``weights``) per manager row from manager codes."""
        valid = (codes >= 0) & (codes < self.n_managers)
        if not valid.all():
            codes = codes[valid]
            weights = None if weights is None else weights[valid]
        return np.bincount(codes, weights=weights, minlength=self.n_managers).astype(np.float64)

    def ratio(self, numerator: FloatArray, denominator: FloatArray) -> FloatArray:
        """``numerator / denominator``, NaN where the denominator is not positive."""
        out = np.full(self.n_managers, np.nan)
        defined = denominator > 0
        np.divide(numerator, denominator, out=out, where=defined)
        return out

    @staticmethod
    def in_window(times: np.ndarray, window: Window) -> np.ndarray:
        """Boolean mask of ``datetime64[ns]`` values (as int64) inside ``window``."""
        return (times >= window.start.value) & (times < window.end.value)

    # -- sales ----------------------------------------------------------------

    @cached_property
    def _sales(self) -> dict[str, np.ndarray]:
        sales = self.dataset.sales
        return {
            "manager": sales["manager_id"].cat.codes.to_numpy(),
            "client": sales["client_id"].cat.codes.to_numpy(),
            "time": sales["order_date"].to_numpy().view(np.int64),
            "amount": sales["amount"].to_numpy(dtype=np.float64),
        }

    @cached_property
    def _n_clients(self) -> int:
        return len(self.dataset.sales["client_id"].cat.categories)

    def sales_in(self, window: Window) -> dict[str, np.ndarray]:
        """The sales columns (``manager, client, time, amount``) inside ``window``."""
        rows = np.flatnonzero(self.in_window(self._sales["time"], window))
        return {name: values[rows] for name, values in self._sales.items()}

    @cached_property
    def sales(self) -> dict[str, np.ndarray]:
        """The period's sales columns."""
        return self.sales_in(self.window)

    def sales_total(self, window: Window) -> FloatArray:
        """Net sales per manager in ``window``."""
        sales = self.sales_in(window)
        return self.per_manager(sales["manager"], sales["amount"])

    def client_pairs(self, sales: dict[str, np.ndarray]) -> IntArray:
        """Distinct manager-client pairs with an order, as ``manager * n_clients + client``."""
        orders = sales["amount"] >= 0
        pairs = (
            sales["manager"][orders].astype(np.int64) * self._n_clients + sales["client"][orders]
        )
        return pd.unique(pairs)

    @cached_property
    def active_pairs(self) -> IntArray:
        """The period's distinct manager-client pairs with an order."""
        return self.client_pairs(self.sales)

    def pair_managers(self, pairs: IntArray) -> np.ndarray:
        """The manager code of each pair from :meth:`client_pairs`."""
        return pairs // self._n_clients

    @cached_property
    def previous_window(self) -> Window:
        """The whole period before this one."""
        previous = self.period - 1
        return Window(previous.start_time.normalize(), self.window.start)

    # -- other tables ---------------------------------------------------------

    def rows_in(self, table: str, time_column: str) -> pd.DataFrame:
        """Rows of ``table`` whose ``time_column`` falls in the period's window."""
        frame = self.dataset.table(table)
        times = frame[time_column].to_numpy().view(np.int64)
        return frame.iloc[np.flatnonzero(self.in_window(times, self.window))]

    def manager_codes(self, frame: pd.DataFrame) -> np.ndarray:
        """The manager row of each row of ``frame``."""
        return frame["manager_id"].cat.codes.to_numpy()


# ---------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------


def _sales_amount(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.sales["manager"], ctx.sales["amount"])


def _order_count(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.sales["manager"][ctx.sales["amount"] >= 0])


def _active_clients(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.pair_managers(ctx.active_pairs))


def _new_clients(ctx: MetricContext) -> FloatArray:
    everything = ctx._sales
    before = (everything["time"] < ctx.window.start.value) & (everything["amount"] >= 0)
    seen = np.zeros(ctx._n_clients, dtype=bool)
    seen[everything["client"][before]] = True
    sales = ctx.sales
    first = (sales["amount"] >= 0) & ~seen[sales["client"]]
    clients, times, managers = sales["client"][first], sales["time"][first], sales["manager"][first]
    first_time = np.full(ctx._n_clients, np.iinfo(np.int64).max)
    np.minimum.at(first_time, clients, times)
    on_first_day = _day(times) == _day(first_time[clients])
    pairs = pd.unique(
        managers[on_first_day].astype(np.int64) * ctx._n_clients + clients[on_first_day]
    )
    return ctx.per_manager(ctx.pair_managers(pairs))


def _day(times: np.ndarray) -> np.ndarray:
    """Whole days since the epoch of int64 nanosecond times."""
    return times // (86_400 * 10**9)


def _client_retention(ctx: MetricContext) -> FloatArray:
    previous = ctx.client_pairs(ctx.sales_in(ctx.previous_window))
    kept = pd.Index(ctx.active_pairs).get_indexer(pd.Index(previous)) >= 0
    managers = ctx.pair_managers(previous)
    return ctx.ratio(ctx.per_manager(managers[kept]), ctx.per_manager(managers))


def _avg_order_value(ctx: MetricContext) -> FloatArray:
    orders = ctx.sales["amount"] >= 0
    total = ctx.per_manager(ctx.sales["manager"][orders], ctx.sales["amount"][orders])
    return ctx.ratio(total, _order_count(ctx))


def _sales_growth_yoy(ctx: MetricContext) -> FloatArray:
    last_year = ctx.sales_total(ctx.window.shift_years(-1))
    return ctx.ratio(_sales_amount(ctx) - last_year, last_year)


def _surveys(ctx: MetricContext, column: str) -> tuple[np.ndarray, FloatArray]:
    """Manager codes and answers of the period's surveys that answered ``column``."""
    surveys = ctx.rows_in("surveys", "survey_date")
    answers = surveys[column].to_numpy(dtype=np.float64)
    answered = ~np.isnan(answers)
    return ctx.manager_codes(surveys)[answered], answers[answered]


def _csat_mean(ctx: MetricContext) -> FloatArray:
    managers, csat = _surveys(ctx, "csat")
    return ctx.ratio(ctx.per_manager(managers, csat), ctx.per_manager(managers))


def _nps(ctx: MetricContext) -> FloatArray:
    managers, nps = _surveys(ctx, "nps")
    net = np.where(nps >= 9, 100.0, 0.0) - np.where(nps <= 6, 100.0, 0.0)
    return ctx.ratio(ctx.per_manager(managers, net), ctx.per_manager(managers))


def _survey_count(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.manager_codes(ctx.rows_in("surveys", "survey_date")))


def _complaints(ctx: MetricContext) -> pd.DataFrame:
    feedback = ctx.rows_in("feedback", "opened_at")
    return feedback[feedback["kind"].to_numpy() == "complaint"]


def _complaint_count(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.manager_codes(_complaints(ctx)))


def _complaints_per_100_clients(ctx: MetricContext) -> FloatArray:
    return 100 * ctx.ratio(_complaint_count(ctx), _active_clients(ctx))


def _median_resolution_hours(ctx: MetricContext) -> FloatArray:
    complaints = _complaints(ctx)
    resolved_at = complaints["resolved_at"]
    resolved = resolved_at.notna().to_numpy() & (
        resolved_at.to_numpy().view(np.int64) < ctx.window.end.value
    )
    hours = (resolved_at - complaints["opened_at"]).dt.total_seconds().to_numpy()[resolved] / 3600
    medians = pd.Series(hours).groupby(ctx.manager_codes(complaints)[resolved]).median()
    out = np.full(ctx.n_managers, np.nan)
    inside = medians.index.to_numpy() < ctx.n_managers
    out[medians.index.to_numpy()[inside]] = medians.to_numpy()[inside]
    return out


def _competency_ratings(ctx: MetricContext) -> pd.DataFrame:
    from .ratings import competency_scores

    ratings = ctx.dataset.table("ratings")
    periods = _rating_periods(ratings["period"])
    starts, ends = periods["start"], periods["end"]
    # leniency is a lasting trait: estimate it on every rating up to the period's end
    known = ratings[(starts < ctx.window.end).to_numpy()]
    scores = competency_scores(known)
    rating_start = scores["period"].map(starts.groupby(ratings["period"]).first())
    rating_end = scores["period"].map(ends.groupby(ratings["period"]).first())
    overlaps = (rating_start < ctx.window.end) & (rating_end > ctx.window.start)
    scores = scores[overlaps.to_numpy()]
    wide = scores.pivot_table(
        index=scores["manager_id"].cat.codes,
        columns="competency",
        values="score",
        aggfunc="mean",
        observed=True,
    )
    wide = wide.reindex(range(ctx.n_managers))
    competencies = sorted(pd.unique(ratings["competency"]))
    wide = wide.reindex(columns=competencies)
    wide.columns = [f"{RATING_PREFIX}{c}" for c in competencies]
    return wide.reset_index(drop=True)


def _rating_periods(periods: pd.Series) -> pd.DataFrame:
    """Start and end (exclusive) of each rating's period."""
    labels = pd.unique(periods)
    parsed = [to_period(label) for label in labels]
    starts = pd.Series([p.start_time.normalize() for p in parsed], index=labels)
    ends = pd.Series([(p + 1).start_time.normalize() for p in parsed], index=labels)
    return pd.DataFrame({"start": periods.map(starts), "end": periods.map(ends)})


_BUILTIN: Final = (
    Metric("sales_amount", "higher", "currency",
           "Net sales credited to the manager in the period: orders minus refunds.",
           ("sales",), _sales_amount),
    Metric("order_count", "higher", "orders",
           "Orders (sales with an amount of 0 or more) credited to the manager.",
           ("sales",), _order_count),
    Metric("active_clients", "higher", "clients",
           "Distinct clients with at least one order credited to the manager.",
           ("sales",), _active_clients),
    Metric("new_clients", "higher", "clients",
           "Clients whose first-ever order falls in the period, counted for each manager "
           "credited with an order on that first day.",
           ("sales",), _new_clients),
    Metric("client_retention", "higher", "share",
           "Share of the manager's active clients of the previous period who ordered from "
           "the manager again in this one; NaN without previous clients.",
           ("sales",), _client_retention),
    Metric("avg_order_value", "higher", "currency",
           "Mean amount of the manager's orders (refunds excluded); NaN without orders.",
           ("sales",), _avg_order_value),
    Metric("sales_growth_yoy", "higher", "share",
           "Net sales against the same window a year earlier, minus 1; NaN when last "
           "year's net sales were not positive.",
           ("sales",), _sales_growth_yoy),
    Metric("csat_mean", "higher", "score 1-5",
           "Mean CSAT of the period's surveys about the manager; NaN without answers.",
           ("surveys",), _csat_mean),
    Metric("nps", "higher", "points -100..100",
           "Net promoter score: % promoters (9-10) minus % detractors (0-6) among the "
           "period's NPS answers; NaN without answers.",
           ("surveys",), _nps),
    Metric("survey_count", "higher", "responses",
           "Survey responses about the manager dated in the period.",
           ("surveys",), _survey_count),
    Metric("complaint_count", "lower", "complaints",
           "Complaints about the manager opened in the period.",
           ("feedback",), _complaint_count),
    Metric("complaints_per_100_clients", "lower", "complaints per 100 clients",
           "Complaints opened in the period per 100 active clients; NaN without active clients.",
           ("feedback", "sales"), _complaints_per_100_clients),
    Metric("median_resolution_hours", "lower", "hours",
           "Median hours from opening to resolution of the complaints opened in the period "
           "and resolved by its end; NaN when none was.",
           ("feedback",), _median_resolution_hours),
    Metric(_RATING_TEMPLATE, "higher", "score",
           "Calibrated 360-degree rating of one competency (rater leniency removed, roles "
           "weighted as in ratings.competency_scores), one column per rated competency.",
           ("ratings",), _competency_ratings),
)  # fmt: skip
for _metric in _BUILTIN:
    register_metric(_metric)


# ---------------------------------------------------------------------------
# The manager × metric table
# ---------------------------------------------------------------------------


def manager_metrics(
    dataset: Dataset,
    period: PeriodLike,
    *,
    metrics: Sequence[str] | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """One row per manager and one column per metric, for one period.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`.
    period
        ``"2026Q3"``, ``"2026-07"``, ``"2026"`` or a :class:`pandas.Period`.
    metrics
        Metric names (see :func:`list_metrics`); ``rating_<competency>`` names
        one competency. ``None`` computes every registered metric whose tables
        the dataset has, and warns (:class:`MissingTableWarning`) about the others.
    as_of
        Count only what happened up to and including this day (default: the
        dataset's ``as_of``). A period still running is measured to date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``manager_id`` in the managers table's order.

    Raises
    ------
    MissingTableError
        If a metric asked for by name needs a table the dataset lacks.
    ConfigError
        If a metric name is unknown or the period cannot be read.

    Notes
    -----
    Rows: every manager whose status is not ``left`` and who was hired before
    the window ends, plus anyone credited with a sale in the window (a manager
    who has since left is still evaluated for the periods they worked). Counts
    are 0 where nothing happened; ratios and means are NaN where they are
    undefined (no orders, no surveys, ...). See each metric's description in
    :func:`list_metrics`. A sum that goes past the largest float (amounts of
    1e308) comes out infinite, with a
    :class:`~am_analytics.errors.NonFiniteValueWarning` naming the metric and
    the managers.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> m = manager_metrics(load_sample(), "2026Q3", metrics=["sales_amount", "new_clients"])
    >>> m.columns.tolist(), m.index.name
    (['sales_amount', 'new_clients'], 'manager_id')
    """
    quarter = to_period(period)
    window = period_window(quarter, as_of=as_of if as_of is not None else dataset.as_of)
    ctx = MetricContext(dataset, quarter, window)
    columns: dict[str, FloatArray] = {}
    for name, metric in _requested(dataset, metrics):
        values = metric.compute(ctx)
        if isinstance(values, pd.DataFrame):
            columns.update(_family_members(name, values))
        else:
            columns[name] = values
    frame = pd.DataFrame(columns, index=pd.Index(dataset.managers["manager_id"], name="manager_id"))
    frame = frame.iloc[np.flatnonzero(_in_scope(ctx))]
    _warn_infinite(frame)
    counts = [c for c in frame.columns if get_metric(c).unit in _COUNT_UNITS]
    return frame.astype(dict.fromkeys(counts, np.int64))


def _warn_infinite(frame: pd.DataFrame) -> None:
    """Say which managers' metrics came out infinite: a sum past the largest float."""
    values = frame.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if not infinite.any():
        return
    found = "; ".join(
        f"{column} for {', '.join(map(str, frame.index[infinite[:, j]]))}"
        for j, column in enumerate(frame.columns)
        if infinite[:, j].any()
    )
    warnings.warn(
        f"metrics are infinite ({found}): a sum of amounts went past the largest float "
        f"({np.finfo(np.float64).max:.1e}); check those managers' sales for implausible "
        "amounts (load with ValidationRules(max_amount=...) to reject them)",
        NonFiniteValueWarning,
        stacklevel=3,
    )


_COUNT_UNITS: Final = frozenset({"orders", "clients", "responses", "complaints", "items"})


def _requested(dataset: Dataset, names: Sequence[str] | None) -> list[tuple[str, Metric]]:
    """The metrics to compute, as (requested name, metric), checking their tables."""
    if names is None:
        chosen: list[tuple[str, Metric]] = []
        skipped: list[tuple[str, Metric]] = []
        for metric in _REGISTRY.values():
            missing = _missing_tables(dataset, metric.tables)
            (skipped if missing else chosen).append((metric.name, metric))
        if skipped:
            warnings.warn(
                "skipped metrics whose tables are missing: "
                + "; ".join(
                    f"{name} (needs {', '.join(_missing_tables(dataset, m.tables))})"
                    for name, m in skipped
                ),
                MissingTableWarning,
                stacklevel=3,
            )
        return chosen
    if isinstance(names, str):
        names = [names]
    requested = [(name, get_metric(name)) for name in dict.fromkeys(names)]
    for name, metric in requested:
        missing = _missing_tables(dataset, metric.tables)
        if missing:
            raise MissingTableError(
                f"metric {name!r} needs the {' and '.join(missing)} table(s), which this "
                f"dataset lacks; add {missing[0]}.csv to the data folder or drop the metric",
                tables=missing,
            )
    return requested


def _missing_tables(dataset: Dataset, tables: Iterable[str]) -> list[str]:
    return [t for t in tables if getattr(dataset, t) is None]


def _family_members(name: str, values: pd.DataFrame) -> dict[str, FloatArray]:
    """The columns of a metric family; one member only when it was asked for by name."""
    if name == _RATING_TEMPLATE:
        return {c: values[c].to_numpy(dtype=np.float64) for c in values.columns}
    if name not in values.columns:
        known = ", ".join(values.columns) or "none"
        raise ConfigError(
            f"no ratings for the competency of {name!r}; the rated competencies give "
            f"{known}; check the name or the ratings table"
        )
    return {name: values[name].to_numpy(dtype=np.float64)}


def _in_scope(ctx: MetricContext) -> np.ndarray:
    """Managers evaluated in the period (see :func:`manager_metrics`)."""
    managers = ctx.dataset.managers
    hired = managers["hire_date"].isna() | (managers["hire_date"] < ctx.window.end)
    current = (managers["status"] != "left") & hired
    sold = ctx.per_manager(ctx.sales["manager"]) > 0
    return current.to_numpy() | sold


def _register_extensions() -> None:
    """Register the metrics of modules built on this one.

    Imported last, so that they can import this module without a cycle.
    """
    from .feedback import register_feedback_metrics
    from .goals import register_goal_metrics

    register_feedback_metrics()
    register_goal_metrics()


_register_extensions()
