"""Checks shared by the analysis functions on the frames they are given."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .errors import DataValidationError


def require_columns(
    frame: pd.DataFrame, columns: Sequence[str], name: str, *, needed_by: str = ""
) -> None:
    """Raise a :class:`DataValidationError` naming the columns ``frame`` lacks.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "sales")
    Traceback (most recent call last):
    ...
    am_analytics.errors.DataValidationError: sales lacks the column(s) ['b']; it has ['a']
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"{name} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        purpose = f" {needed_by} needs" if needed_by else ""
        raise DataValidationError(
            f"{name} lacks the column(s) {missing}{purpose}; it has "
            f"{list(map(str, frame.columns))}",
            missing={name: missing},
        )
