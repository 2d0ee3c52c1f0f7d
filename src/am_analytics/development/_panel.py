"""The outcome panel of :func:`training_impact`: one value per manager and complete period.

Only complete periods up to ``as_of`` are used, and only periods in which the
manager was employed throughout (see :func:`_employed`). The sales are read as
integer codes: each credited manager's row in the managers table is looked up
once per category of ``sales.manager_id``, not once per sale. Sales on a Dask
cluster are read as their net sum per manager and day, which is all the panel
needs: its periods start at midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._engines import NS_PER_DAY, daily_net_sales, gather_aggregates, is_dask_frame
from ..dataset import Dataset
from ..errors import ConfigError
from ..metrics import manager_metrics
from ..periods import DateLike, parse_as_of


@dataclass(frozen=True, slots=True, eq=False)
class _Panel:
    """The outcome per manager and complete period, restricted to full employment."""

    frame: pd.DataFrame  # manager (str), t (int period index), y (float)
    bounds: npt.NDArray[np.int64]  # period start times (ns), plus the end of the last
    outcome: str
    log: bool
    dropped: int  # manager-periods without a positive outcome (log scale only)

    @property
    def n_periods(self) -> int:
        return len(self.bounds) - 1

    @classmethod
    def build(
        cls, dataset: Dataset, *, outcome: str, freq: str, log: bool, as_of: DateLike | None
    ) -> _Panel:
        """Measure ``outcome`` per manager and period and keep fully employed periods."""
        # each sale's manager as a row of the managers table, read once for both uses
        manager_row, times, amount = _credited_sales(dataset)
        periods = _complete_periods(dataset, times, freq=freq, as_of=as_of)
        bounds = np.asarray(
            [p.start_time.normalize().value for p in periods]
            + [(periods[-1] + 1).start_time.normalize().value],
            dtype=np.int64,
        )
        if outcome == "sales_amount":
            values = _sales_per_period(dataset, manager_row, times, amount, bounds)
        else:
            values = _metric_per_period(dataset, outcome, periods, as_of)
        frame = values.loc[_employed(dataset, manager_row, times, values, bounds)]
        y = frame["y"].to_numpy(dtype=np.float64)
        keep = np.isfinite(y) & (y > 0) if log else np.isfinite(y)
        dropped = int((~keep).sum()) if log else 0
        frame = frame.loc[keep].assign(y=np.log(y[keep]) if log else y[keep])
        return cls(frame.reset_index(drop=True), bounds, outcome, log, dropped)


def _complete_periods(
    dataset: Dataset, times: npt.NDArray[np.int64], *, freq: str, as_of: DateLike | None
) -> list[pd.Period]:
    """The periods from the first order's to the last one complete by ``as_of``."""
    if times.size == 0:
        raise ConfigError("the dataset has no sales, so there is no outcome to compare")
    cut = parse_as_of(as_of) if as_of is not None else dataset.as_of
    cut = pd.Timestamp(times.max()) if cut is None else cut
    first = pd.Timestamp(times.min()).to_period(freq)
    # a period is complete when it ends on or before the day after as_of
    last = (cut.normalize() + pd.Timedelta(days=1)).to_period(freq) - 1
    if last < first:
        raise ConfigError(
            f"no complete {freq} period between the first order "
            f"({pd.Timestamp(times.min()).date()}) and as_of {cut.date()}; use a later as_of "
            "or freq='M'"
        )
    return list(pd.period_range(first, last, freq=freq))


def _credited_sales(
    dataset: Dataset,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per sale: its credited manager's row in the managers table (-1: not there), time, amount.

    Dask sales come back from their cluster as one row per manager and day
    (at midnight) holding the day's net sales.
    """
    sales = dataset.sales
    if is_dask_frame(sales):
        (daily,) = gather_aggregates(daily_net_sales(sales))
        category_row = _category_rows(dataset, sales["manager_id"].cat.categories)
        return (
            category_row[daily["manager"].to_numpy()],
            daily["day"].to_numpy(dtype=np.int64) * NS_PER_DAY,
            daily["net_sales"].to_numpy(dtype=np.float64),
        )
    times = sales["order_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    return _manager_rows(dataset), times, sales["amount"].to_numpy(dtype=np.float64)


def _manager_rows(dataset: Dataset) -> npt.NDArray[np.intp]:
    """Per sale, the row of its credited manager in the managers table (-1: not there)."""
    credited = dataset.sales["manager_id"]
    if isinstance(credited.dtype, pd.CategoricalDtype):
        return _category_rows(dataset, credited.cat.categories)[credited.cat.codes.to_numpy()]
    ids = pd.Index(dataset.managers["manager_id"].astype("str"))
    return ids.get_indexer(pd.Index(credited.astype("str"))).astype(np.intp)


def _category_rows(dataset: Dataset, categories: pd.Index) -> npt.NDArray[np.intp]:
    """The managers-table row of each category of ``sales.manager_id``, then -1 for code -1.

    A categorical ``manager_id`` (as validation gives) is looked up once per
    category and gathered by code: converting ten million codes to text to
    look each one up cost seconds, the categories take milliseconds. The last
    slot, -1, is code -1's (a missing manager): no row, as when looked up by text.
    """
    ids = pd.Index(dataset.managers["manager_id"].astype("str"))
    return np.append(ids.get_indexer(categories.astype("str")), -1).astype(np.intp)


def _sales_per_period(
    dataset: Dataset,
    manager: npt.NDArray[np.intp],
    times: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    bounds: npt.NDArray[np.int64],
) -> pd.DataFrame:
    """Net credited sales of every manager of the managers table in every period."""
    ids = dataset.managers["manager_id"].astype("str").to_numpy()
    n_periods = len(bounds) - 1
    period = np.searchsorted(bounds, times, side="right") - 1
    inside = (manager >= 0) & (period >= 0) & (period < n_periods)
    cell = manager[inside] * n_periods + period[inside]
    totals = np.bincount(cell, weights=amount[inside], minlength=ids.size * n_periods)
    return pd.DataFrame(
        {
            "manager": np.repeat(ids, n_periods),
            "t": np.tile(np.arange(n_periods), ids.size),
            "y": totals,
        }
    )


def _metric_per_period(
    dataset: Dataset, outcome: str, periods: list[pd.Period], as_of: DateLike | None
) -> pd.DataFrame:
    """A registered metric per manager and period (one manager_metrics call per period)."""
    parts = []
    for t, period in enumerate(periods):  # periods, not managers: a dozen calls
        values = manager_metrics(dataset, period=period, metrics=[outcome], as_of=as_of)[outcome]
        parts.append(
            pd.DataFrame(
                {"manager": values.index.astype("str"), "t": t, "y": values.to_numpy(np.float64)}
            )
        )
    return pd.concat(parts, ignore_index=True)


def _employed(
    dataset: Dataset,
    sales_row: npt.NDArray[np.intp],
    times: npt.NDArray[np.int64],
    values: pd.DataFrame,
    bounds: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Rows of ``values`` in periods the manager worked throughout.

    From the first period starting on or after the hire date; for a manager no
    longer active (left, on leave), before the period of their last credited
    sale, since the date they stopped is not recorded and that period is partial.
    """
    managers = dataset.managers.assign(manager_id=dataset.managers["manager_id"].astype("str"))
    managers = managers.set_index("manager_id")
    row = managers.index.get_indexer(pd.Index(values["manager"]))
    t = values["t"].to_numpy()
    first = np.zeros(len(managers), dtype=np.int64)
    if "hire_date" in managers.columns:
        hired = managers["hire_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        known = ~np.isnat(managers["hire_date"].to_numpy(dtype="datetime64[ns]"))
        first = np.where(known, np.searchsorted(bounds[:-1], hired, side="left"), 0)
    last = np.full(len(managers), len(bounds), dtype=np.int64)
    if "status" in managers.columns:
        gone = managers["status"].astype("str").to_numpy() != "active"
        last_sale = np.full(len(managers), np.iinfo(np.int64).min)
        valid = sales_row >= 0
        np.maximum.at(last_sale, sales_row[valid], times[valid])
        stop = np.searchsorted(bounds, last_sale, side="right") - 1
        last = np.where(gone & (last_sale > np.iinfo(np.int64).min), stop, last)
    found = row >= 0
    safe = np.where(found, row, 0)
    return found & (t >= first[safe]) & (t < last[safe])
