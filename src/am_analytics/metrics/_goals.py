"""The goal metric ``goal_attainment``, and the reading of a goals table it shares with goals.

:func:`goal_revisions` and :func:`targets_in_force_on` read the goals table
the way :func:`am_analytics.goals.attainment` does (defaults filled in; the
target in force on a day), so the metric and the goals package agree.
"""

from __future__ import annotations

from typing import Any, Final, cast

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import DataValidationError
from ..periods import Window
from ._context import MetricContext
from ._registry import FloatArray, Metric

_REQUIRED: Final = ("goal_id", "owner_id", "metric", "target", "period_start", "period_end")
_DAY: Final = pd.Timedelta(days=1)


def goal_revisions(goals: pd.DataFrame) -> pd.DataFrame:
    """The goal rows with defaults filled in (a copy; the input is untouched)."""
    missing = [c for c in _REQUIRED if c not in goals.columns]
    if missing:
        raise DataValidationError(
            f"the goals table lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(_REQUIRED)} (see docs/tables.md)",
            missing={"goals": missing},
        )
    out = pd.DataFrame(
        {
            "goal_id": goals["goal_id"].astype(str).to_numpy(),
            "owner_id": goals["owner_id"].astype(str).to_numpy(),
            "metric": goals["metric"].astype(str).to_numpy(),
            "target": goals["target"].to_numpy(dtype=np.float64),
            # nanoseconds, like the dataset's dates, so that they merge whatever the input unit
            "period_start": _days(goals["period_start"]),
            "period_end": _days(goals["period_end"]),
        }
    )
    kind = goals["owner_kind"] if "owner_kind" in goals.columns else None
    out["owner_kind"] = "manager" if kind is None else kind.fillna("manager").astype(str).to_numpy()
    revision = goals["revision"] if "revision" in goals.columns else None
    out["revision"] = 1 if revision is None else revision.fillna(1).to_numpy(dtype=np.int64)
    set_on = goals["set_on"] if "set_on" in goals.columns else None
    out["set_on"] = pd.NaT if set_on is None else _days(set_on)
    out["set_on"] = out["set_on"].astype("datetime64[ns]")
    return out.sort_values(["goal_id", "revision"], kind="stable", ignore_index=True)


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as midnight ``datetime64[ns]`` values."""
    return pd.to_datetime(dates).dt.normalize().to_numpy().astype("datetime64[ns]")


def targets_in_force_on(steps: pd.DataFrame, revisions: pd.DataFrame) -> pd.DataFrame:
    """Add ``revision`` and ``target``: the revision with the latest set_on <= date."""
    first = revisions.drop_duplicates("goal_id", keep="first")[["goal_id", "revision", "target"]]
    dated = revisions[revisions["set_on"].notna()].sort_values(
        ["set_on", "revision"], kind="stable"
    )
    # several revisions set the same day: the highest is the one in force
    dated = dated.drop_duplicates(["goal_id", "set_on"], keep="last")
    # only the columns the match reads are sorted and merged, not every column of the steps
    left = pd.DataFrame(
        {"goal_id": steps["goal_id"].to_numpy(), "date": steps["date"].to_numpy(),
         "_row": np.arange(len(steps))}
    ).sort_values("date", kind="stable")  # fmt: skip
    matched = pd.merge_asof(
        left,
        dated[["goal_id", "set_on", "revision", "target"]],
        left_on="date",
        right_on="set_on",
        by="goal_id",
        direction="backward",
    ).sort_values("_row")
    fallback = steps[["goal_id"]].merge(first, on="goal_id", how="left")
    has = matched["revision"].notna().to_numpy()
    revision = np.where(
        has, matched["revision"].to_numpy(dtype=float), fallback["revision"].to_numpy(dtype=float)
    )
    target = np.where(
        has, matched["target"].to_numpy(dtype=float), fallback["target"].to_numpy(dtype=float)
    )
    return steps.assign(revision=revision.astype(np.int64), target=target)


def attainment_ratio(numerator: np.ndarray, denominator: np.ndarray) -> FloatArray:
    """``numerator / denominator``: inf for a positive numerator over 0, NaN for 0/0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(numerator, dtype=float) / np.asarray(denominator, dtype=float)
    return np.where(np.isfinite(ratio) | (numerator > 0), ratio, np.nan)


def _goal_attainment_metric(ctx: MetricContext) -> FloatArray:
    """``goal_attainment`` per managers-table row for a MetricContext."""
    dataset: Dataset = ctx.dataset
    out = np.full(ctx.n_managers, np.nan)
    if dataset.goals is None:
        return out
    revisions = goal_revisions(dataset.goals)
    goals = revisions[
        (revisions["metric"] == "sales_amount") & (revisions["owner_kind"] == "manager")
    ].drop_duplicates("goal_id", keep="first")
    # Any: pandas' stubs do not take a Timestamp as a clip bound
    window_start: Any = ctx.window.start
    window_end: Any = ctx.window.end
    overlap = (
        (goals["period_end"] + _DAY).clip(upper=window_end)
        - goals["period_start"].clip(lower=window_start)
    ).dt.days
    goals = goals[(overlap > 0).to_numpy()].assign(overlap=overlap[overlap > 0])
    if goals.empty:
        return out
    best = goals.sort_values(["owner_id", "overlap", "period_start"], ascending=[True, False, True],
                             kind="stable").drop_duplicates("owner_id")  # fmt: skip
    best = best.assign(date=best["period_end"].clip(upper=window_end - _DAY)).reset_index(drop=True)
    best = targets_in_force_on(best.drop(columns=["revision", "target", "set_on"]), revisions)
    rows = pd.Index(dataset.managers["manager_id"].astype(str)).get_indexer(
        pd.Index(best["owner_id"])
    )
    found = rows >= 0
    actual = _net_sales_to_date(ctx, best, rows)
    out[rows[found]] = attainment_ratio(actual, best["target"].to_numpy())[found]
    return out


def _net_sales_to_date(ctx: MetricContext, goals: pd.DataFrame, rows: np.ndarray) -> FloatArray:
    """Each goal owner's net sales over ``[period_start, date]`` (NaN for an unknown owner)."""
    actual = np.full(len(goals), np.nan)
    windows = goals.groupby(["period_start", "date"], sort=False).indices
    for key, members in windows.items():  # distinct goal windows, a handful
        start, end = cast(tuple[pd.Timestamp, pd.Timestamp], key)
        if end < start:
            continue
        totals = ctx.sales_total(Window(pd.Timestamp(start), pd.Timestamp(end) + _DAY))
        known = members[rows[members] >= 0]
        actual[known] = totals[rows[known]]
    return actual


#: ``goal_attainment``: each manager's attainment of their own sales goal.
GOAL_ATTAINMENT: Final = Metric(
    "goal_attainment", "higher", "share",
    "Net sales from the start of the manager's sales goal to the window's end, over the "
    "target in force then (the goal overlapping the window most); NaN without a goal.",
    ("goals", "sales"), _goal_attainment_metric,
)  # fmt: skip
