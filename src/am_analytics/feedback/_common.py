"""Shared pieces of the feedback functions: checks, group codes, time windows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, TypeAlias

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataValidationError
from ..periods import Window

if TYPE_CHECKING:
    from ..dataset import DateLike


FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]


BoolArray: TypeAlias = np.ndarray[Any, np.dtype[np.bool_]]


_NS_PER_HOUR: Final = 3_600 * 10**9


def _group_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Group codes (-1 for missing) and the groups, all categories of a categorical."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    return column.cat.codes.to_numpy().astype(np.int64), pd.Index(
        column.cat.categories, name=column.name
    )


def _answers(frame: pd.DataFrame, column: str) -> FloatArray:
    """The answers in ``column`` as floats (all NaN when the column is absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    try:
        return frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            f"surveys column {column!r} must be numeric; it holds {frame[column].dtype}: "
            "validate the table first",
        ) from error


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """Datetimes as int64 nanoseconds since the epoch (NaT as int64 min)."""
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _in_window(times: pd.Series, window: Window) -> BoolArray:
    """Mask of the datetimes inside ``[start, end)``."""
    ns = _nanoseconds(times)
    return (ns >= window.start.value) & (ns < window.end.value) & times.notna().to_numpy()


def _end_of_day(as_of: DateLike) -> pd.Timestamp:
    """The moment the day ``as_of`` ends (midnight after it)."""
    try:
        day = pd.Timestamp(as_of)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"cannot read as_of {as_of!r} as a date; give a day like '2026-11-15'"
        ) from error
    if pd.isna(day):
        raise ConfigError("as_of is missing; give a day like '2026-11-15'")
    return day.normalize() + pd.Timedelta(days=1)


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``; NaN where the denominator is not positive."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _per_group(values: pd.Series, n_groups: int) -> FloatArray:
    """A Series indexed by group code, as an array over all groups (NaN where absent)."""
    out = np.full(n_groups, np.nan)
    out[values.index.to_numpy(dtype=np.int64)] = values.to_numpy(dtype=np.float64)
    return out
