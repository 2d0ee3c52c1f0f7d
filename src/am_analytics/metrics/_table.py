"""The manager × metric table of one period: :func:`manager_metrics`."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._engines import is_dask_frame
from .._metric_names import RATING_TEMPLATE
from .._metric_names import REGISTRY as _REGISTRY
from ..dataset import Dataset
from ..errors import ConfigError, MissingTableError, MissingTableWarning, NonFiniteValueWarning
from ..periods import DateLike, PeriodLike, period_window, to_period
from ._context import MetricContext
from ._registry import FloatArray, Metric, get_metric


@keyword_only_since("period")
def manager_metrics(
    dataset: Dataset,
    *,
    period: PeriodLike,
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
    >>> m = manager_metrics(load_sample(), period="2026Q3", metrics=["sales_amount", "new_clients"])
    >>> m.columns.tolist(), m.index.name
    (['sales_amount', 'new_clients'], 'manager_id')
    """
    if is_dask_frame(dataset.sales):  # Dask sales: reduced on their cluster
        from ._distributed import manager_metrics_on_cluster

        return manager_metrics_on_cluster(dataset, period=period, metrics=metrics, as_of=as_of)
    quarter = to_period(period)
    window = period_window(quarter, as_of=as_of if as_of is not None else dataset.as_of)
    ctx = MetricContext(dataset, quarter, window)
    requested = _requested(dataset, metrics)
    return _metric_table(dataset, requested, lambda metric: metric.compute(ctx), _in_scope(ctx))


def credited_sales(
    dataset: Dataset, *, period: PeriodLike, as_of: DateLike | None = None
) -> pd.Series:
    """How many sales rows (orders and refunds) are credited to each manager in ``period``.

    Who sold at all in a period, for the sales in memory or on a Dask cluster
    (where only the per-manager counts come back).

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`; its sales may be a Dask DataFrame.
    period, as_of
        As in :func:`manager_metrics`.

    Returns
    -------
    pandas.Series
        ``sales_rows`` per manager of the managers table, in its order, indexed by
        ``manager_id``.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> rows = credited_sales(load_sample(), period="2026Q3")
    >>> bool(rows.sum() > 0), rows.index.name
    (True, 'manager_id')
    """
    quarter = to_period(period)
    window = period_window(quarter, as_of=as_of if as_of is not None else dataset.as_of)
    if is_dask_frame(dataset.sales):
        from ._distributed import ClusterMetricContext, SumsNeeded, gather_sales_sums

        (sums,) = gather_sales_sums(dataset, [(quarter, window)], SumsNeeded())
        ctx: MetricContext = ClusterMetricContext(dataset, quarter, window, sums=sums)
    else:
        ctx = MetricContext(dataset, quarter, window)
    ids = pd.Index(dataset.managers["manager_id"].to_numpy(), name="manager_id")
    return pd.Series(ctx.sales_rows().astype(np.int64), index=ids, name="sales_rows")


def _metric_table(
    dataset: Dataset,
    requested: list[tuple[str, Metric]],
    compute: Callable[[Metric], FloatArray | pd.DataFrame],
    in_scope: np.ndarray,
) -> pd.DataFrame:
    """The table of the ``requested`` metrics' values, for the managers in scope.

    ``compute`` gives a metric's values, one per managers-table row (a family's
    as a frame): from the sales in memory, or from the sums a cluster gave back.
    """
    columns: dict[str, FloatArray] = {}
    # a family (rating_<competency>) is computed once, however many members are asked for
    computed: dict[str, FloatArray | pd.DataFrame] = {}
    for name, metric in requested:
        if metric.name not in computed:
            computed[metric.name] = compute(metric)
        values = computed[metric.name]
        if isinstance(values, pd.DataFrame):
            columns.update(_family_members(name, values))
        else:
            columns[name] = values
    frame = pd.DataFrame(columns, index=pd.Index(dataset.managers["manager_id"], name="manager_id"))
    frame = frame.iloc[np.flatnonzero(in_scope)]
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
        stacklevel=4,  # past the keyword-only wrapper
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
                stacklevel=4,  # past the keyword-only wrapper
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
    if name == RATING_TEMPLATE:
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
    return current.to_numpy() | (ctx.sales_rows() > 0)
