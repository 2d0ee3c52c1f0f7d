"""Evaluation periods: quarters, months and years, cut at an ``as_of`` date.

A period is a :class:`pandas.Period` (``"2026Q3"``, ``"2026-07"``, ``"2026"``).
Windows are half-open, ``[start, end)``, so an order at any time on the last
day of a period counts in it and none counts twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd

from .errors import ConfigError

__all__ = ["DateLike", "PeriodLike", "Window", "parse_as_of", "period_window", "to_period"]

#: A period given by the caller: ``"2026Q3"``, ``"2026-07"``, ``"2026"`` or a ``pandas.Period``.
PeriodLike: TypeAlias = str | pd.Period

#: A date given by the caller: ``"2026-11-15"``, a ``datetime.date`` or a ``pandas.Timestamp``.
DateLike: TypeAlias = str | datetime.date | pd.Timestamp


def parse_as_of(value: object, *, name: str = "as_of") -> pd.Timestamp:
    """Read a date given by the caller, such as ``as_of``, as a :class:`pandas.Timestamp`.

    The time of day, if any, is kept; callers that work in whole days
    normalise the result themselves.

    Parameters
    ----------
    value
        Text such as ``"2026-11-15"``, a ``datetime.date`` or ``datetime.datetime``,
        a :class:`pandas.Timestamp` or a ``numpy.datetime64``.
    name
        The argument's name, used in the error message.

    Raises
    ------
    ConfigError
        If ``value`` is not a date, including ``None`` and missing values (``NaT``).

    Examples
    --------
    >>> parse_as_of("2026-11-15")
    Timestamp('2026-11-15 00:00:00')
    >>> parse_as_of("15 November 2026")
    Timestamp('2026-11-15 00:00:00')
    >>> parse_as_of("soon")
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: as_of must be a date like 2026-11-15, not 'soon'
    """
    wrong = ConfigError(f"{name} must be a date like 2026-11-15, not {value!r}")
    raw: Any = value  # what pd.Timestamp accepts is checked at run time, here
    try:
        stamp = pd.Timestamp(raw)
    except (TypeError, ValueError, OverflowError):
        raise wrong from None
    if pd.isna(stamp):  # None, NaT, NaN
        raise wrong
    return stamp


def to_period(period: PeriodLike) -> pd.Period:
    """Read a period given as text or as a :class:`pandas.Period`.

    Examples
    --------
    >>> to_period("2026Q3")
    Period('2026Q3', 'Q-DEC')
    >>> to_period("2026-07").freqstr
    'M'
    """
    if isinstance(period, pd.Period):
        return period
    if isinstance(period, str):
        try:
            parsed: object = pd.Period(period.strip())
        except (ValueError, TypeError):
            parsed = None
        # pandas reads "", "NaT" and "nan" as a missing period (NaT): not a period
        if isinstance(parsed, pd.Period):
            return parsed
    raise ConfigError(
        f"cannot read the period {period!r}; give a quarter like '2026Q3', "
        "a month like '2026-07' or a year like '2026'"
    )


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window ``[start, end)``."""

    start: pd.Timestamp
    end: pd.Timestamp

    def shift_years(self, years: int) -> Window:
        """The same window ``years`` earlier (negative) or later, calendar-wise.

        A window ending after 29 February moves to end after 28 February in a
        year without one (:class:`pandas.DateOffset` semantics).

        Examples
        --------
        >>> w = Window(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"))
        >>> w.shift_years(-1).end
        Timestamp('2023-03-01 00:00:00')
        """
        offset = pd.DateOffset(years=years)
        return Window(self.start + offset, self.end + offset)


def period_window(period: pd.Period, *, as_of: DateLike | None = None) -> Window:
    """The window of ``period``, cut after the day ``as_of`` when it falls inside.

    Examples
    --------
    >>> period_window(pd.Period("2026Q3"), as_of="2026-08-15")
    Window(start=Timestamp('2026-07-01 00:00:00'), end=Timestamp('2026-08-16 00:00:00'))
    """
    start = period.start_time.normalize()
    end = (period + 1).start_time.normalize()
    if as_of is not None:
        day = parse_as_of(as_of).normalize()
        cut = day + pd.Timedelta(days=1)
        if cut <= start:
            raise ConfigError(
                f"as_of {day.date()} is before the period {period} starts "
                f"({start.date()}); choose an earlier period or a later as_of"
            )
        end = min(end, cut)
    return Window(start, end)
