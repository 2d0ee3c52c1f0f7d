"""What training managers took: courses, hours, completion and assessment per category."""

from __future__ import annotations

from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataValidationError
from ..periods import DateLike, PeriodLike, period_window, to_period

FloatArray: TypeAlias = npt.NDArray[np.float64]


_TRAINING_REQUIRED: Final = ("manager_id", "category", "start_date")


#: The columns of :func:`training_summary` and their dtypes.
_SUMMARY_COLUMNS: Final = {
    "manager_id": "str",
    "category": "str",
    "courses": "int64",
    "completed": "int64",
    "hours": "float64",
    "completion_rate": "float64",
    "mean_assessment_score": "float64",
}


def training_summary(
    training: pd.DataFrame, *, period: PeriodLike, as_of: DateLike | None = None
) -> pd.DataFrame:
    """Courses, hours, completion and assessment per manager and category in a period.

    Parameters
    ----------
    training
        A validated training table (see :class:`am_analytics.schemas.TrainingSchema`).
    period
        ``"2026Q3"``, ``"2026-07"``, ``"2026"`` or a :class:`pandas.Period`;
        a course counts in the period its ``start_date`` falls in.
    as_of
        Count only courses started up to and including this day.

    Returns
    -------
    pandas.DataFrame
        One row per manager and category with a course started in the window,
        sorted by manager and category.

    Raises
    ------
    DataValidationError
        If ``training`` lacks ``manager_id``, ``category`` or ``start_date``.
    ConfigError
        If the period cannot be read or ``as_of`` is before it starts.

    Notes
    -----
    Output columns:

    - ``manager_id``, ``category``;
    - ``courses``: course records started in the window;
    - ``completed``: those completed (0 when ``completed`` is absent);
    - ``hours``: sum of ``hours`` of all those courses, completed or not
      (NaN when the table has no hours);
    - ``completion_rate``: ``completed / courses`` (NaN without ``completed``);
    - ``mean_assessment_score``: mean of the non-missing assessment scores
      (NaN when there are none).

    Examples
    --------
    >>> training = pd.DataFrame({
    ...     "manager_id": ["m1", "m1", "m2"],
    ...     "category": ["sales_skills", "sales_skills", "compliance"],
    ...     "start_date": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-30"]),
    ...     "hours": [16.0, 24.0, 4.0],
    ...     "completed": pd.array([True, False, True]),
    ...     "assessment_score": [80.0, np.nan, 90.0],
    ... })
    >>> summary = training_summary(training, period="2026Q3")
    >>> summary[["manager_id", "category", "courses", "hours", "completion_rate"]]
      manager_id      category  courses  hours  completion_rate
    0         m1  sales_skills        2   40.0              0.5
    1         m2    compliance        1    4.0              1.0
    >>> summary["mean_assessment_score"].tolist()
    [80.0, 90.0]
    """
    _check_training(training)
    window = period_window(to_period(period), as_of=as_of)
    start = training["start_date"]
    rows = training.loc[(start >= window.start) & (start < window.end)]
    has_completed = "completed" in rows.columns
    frame = pd.DataFrame(
        {
            "manager_id": rows["manager_id"].astype("str"),
            "category": rows["category"].astype("str"),
            "courses": 1,
            "completed": _completed(rows).astype("int64"),
            "hours": _column(rows, "hours"),
            "score": _column(rows, "assessment_score"),
        }
    )
    grouped = frame.groupby(["manager_id", "category"], sort=True)
    out = grouped.agg(
        courses=("courses", "sum"),
        completed=("completed", "sum"),
        hours=("hours", lambda h: h.sum(min_count=1)),
        mean_assessment_score=("score", "mean"),
    ).reset_index()
    out["completion_rate"] = out["completed"] / out["courses"] if has_completed else np.nan
    return out[list(_SUMMARY_COLUMNS)].astype(_SUMMARY_COLUMNS)


def _check_training(training: pd.DataFrame) -> None:
    """Raise a DataValidationError naming the required training columns that are missing."""
    if not isinstance(training, pd.DataFrame):
        raise DataValidationError(
            f"training must be a DataFrame (the training table), got {type(training).__name__}"
        )
    missing = [c for c in _TRAINING_REQUIRED if c not in training.columns]
    if missing:
        raise DataValidationError(
            f"the training table lacks the column(s) {missing}; it has "
            f"{list(map(str, training.columns))}. Load it with am_analytics.load or rename "
            "the columns to the canonical names",
            missing={"training": missing},
        )


def _completed(rows: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Whether each course was completed; a missing flag (or column) counts as not completed."""
    if "completed" not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    return rows["completed"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _column(rows: pd.DataFrame, name: str) -> FloatArray:
    """A numeric column as floats, all NaN when absent."""
    if name not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=np.float64)
