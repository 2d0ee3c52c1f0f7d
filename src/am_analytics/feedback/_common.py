"""Shared pieces of the feedback functions: checks, group codes, time windows."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ..metrics._feedback import _nanoseconds
from ..periods import DateLike, Window, parse_as_of

FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]


BoolArray: TypeAlias = np.ndarray[Any, np.dtype[np.bool_]]


def _group_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Group codes (-1 for missing) and the groups, all categories of a categorical."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    return column.cat.codes.to_numpy().astype(np.int64), pd.Index(
        column.cat.categories, name=column.name
    )


def _in_window(times: pd.Series, window: Window) -> BoolArray:
    """Mask of the datetimes inside ``[start, end)``."""
    ns = _nanoseconds(times)
    return (ns >= window.start.value) & (ns < window.end.value) & times.notna().to_numpy()


def _end_of_day(as_of: DateLike) -> pd.Timestamp:
    """The moment the day ``as_of`` ends (midnight after it)."""
    return parse_as_of(as_of).normalize() + pd.Timedelta(days=1)


def _per_group(values: pd.Series, n_groups: int) -> FloatArray:
    """A Series indexed by group code, as an array over all groups (NaN where absent)."""
    out = np.full(n_groups, np.nan)
    out[values.index.to_numpy(dtype=np.int64)] = values.to_numpy(dtype=np.float64)
    return out
