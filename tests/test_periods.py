"""Reading the dates and periods a caller gives."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd
import pytest

from am_analytics.errors import ConfigError
from am_analytics.periods import parse_as_of, period_window


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-15", pd.Timestamp("2026-11-15")),
        (" 2026-11-15 ", pd.Timestamp("2026-11-15")),
        ("2026/11/15", pd.Timestamp("2026-11-15")),
        ("2026-11-15 13:45", pd.Timestamp("2026-11-15 13:45")),
        (pd.Timestamp("2026-11-15 13:45"), pd.Timestamp("2026-11-15 13:45")),
        (datetime.date(2026, 11, 15), pd.Timestamp("2026-11-15")),
        (datetime.datetime(2026, 11, 15, 8, 30), pd.Timestamp("2026-11-15 08:30")),
        (np.datetime64("2026-11-15"), pd.Timestamp("2026-11-15")),
        (np.datetime64("2026-11-15T08:30", "ns"), pd.Timestamp("2026-11-15 08:30")),
    ],
)
def test_parse_as_of_reads_dates_and_keeps_the_time(value: object, expected: pd.Timestamp) -> None:
    """Text, dates, datetimes, Timestamps and datetime64 all read; the time of day is kept."""
    stamp = parse_as_of(value)
    assert isinstance(stamp, pd.Timestamp)
    assert stamp == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "None"),
        ("garbage", "'garbage'"),
        ("", "''"),
        ("2026-13-45", "'2026-13-45'"),
        (pd.NaT, "NaT"),
        (np.datetime64("NaT"), "np.datetime64('NaT','generic')"),
        (float("nan"), "nan"),
        ([2026, 11, 15], "[2026, 11, 15]"),
    ],
)
def test_parse_as_of_rejects_non_dates_with_one_message(value: object, shown: str) -> None:
    """Missing and unreadable values raise ConfigError saying what was given and an example."""
    message = f"as_of must be a date like 2026-11-15, not {shown}"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        parse_as_of(value)


def test_parse_as_of_names_the_argument() -> None:
    """The message names the argument it was given for."""
    with pytest.raises(ConfigError, match=r"^since must be a date like 2026-11-15, not 'x'$"):
        parse_as_of("x", name="since")


def test_period_window_reports_an_unreadable_as_of() -> None:
    """A bad as_of for a period window is a ConfigError, not a pandas parse error."""
    with pytest.raises(ConfigError, match=r"^as_of must be a date like 2026-11-15, not 'soon'$"):
        period_window(pd.Period("2026Q3"), as_of="soon")
