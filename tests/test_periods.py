"""Reading the dates and periods a caller gives."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd
import pytest

from am_analytics.errors import ConfigError
from am_analytics.periods import Window, parse_as_of, period_window, to_period


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


PERIOD_HINT = "give a quarter like '2026Q3', a month like '2026-07' or a year like '2026'"


@pytest.mark.parametrize(
    ("value", "expected", "freqstr"),
    [
        ("2026Q3", pd.Period("2026Q3", freq="Q"), "Q-DEC"),
        (" 2026q3 ", pd.Period("2026Q3", freq="Q"), "Q-DEC"),
        ("2026-07", pd.Period("2026-07", freq="M"), "M"),
        ("2026", pd.Period("2026", freq="Y"), "Y-DEC"),
    ],
)
def test_to_period_reads_quarters_months_and_years(
    value: str, expected: pd.Period, freqstr: str
) -> None:
    """Text reads as the quarter, month or year it names, spaces and case aside."""
    period = to_period(value)
    assert period == expected
    assert period.freqstr == freqstr


def test_to_period_keeps_a_period_as_given() -> None:
    """A pandas Period is returned unchanged, whatever its frequency."""
    week = pd.Period("2026-07-06", freq="W")
    assert to_period(week) is week


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026Q5", "'2026Q5'"),
        ("2026-13", "'2026-13'"),
        ("garbage", "'garbage'"),
        ("Q3 2026", "'Q3 2026'"),
        (2026, "2026"),
        (None, "None"),
        (pd.Timestamp("2026-07-01"), "Timestamp('2026-07-01 00:00:00')"),
    ],
)
def test_to_period_rejects_other_input_with_an_example(value: object, shown: str) -> None:
    """Unreadable text and non-text raise ConfigError quoting the value and the three forms."""
    message = f"cannot read the period {shown}; {PERIOD_HINT}"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        to_period(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "  ", "NaT", "nan"])
def test_to_period_rejects_text_that_reads_as_missing(value: str) -> None:
    """Empty or missing-looking text is no period: a ConfigError, not a NaT passed on."""
    with pytest.raises(ConfigError, match=r"^cannot read the period"):
        to_period(value)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026Q1", "2026-01-01", "2026-04-01"),
        ("2026Q3", "2026-07-01", "2026-10-01"),
        ("2026Q4", "2026-10-01", "2027-01-01"),
        ("2026-02", "2026-02-01", "2026-03-01"),
        ("2024-02", "2024-02-01", "2024-03-01"),
        ("2026-12", "2026-12-01", "2027-01-01"),
        ("2026", "2026-01-01", "2027-01-01"),
    ],
)
def test_period_window_is_half_open_from_the_first_day_to_the_next_period(
    period: str, start: str, end: str
) -> None:
    """The window runs from the period's first day to the next period's first day, excluded."""
    window = period_window(to_period(period))
    assert window == Window(pd.Timestamp(start), pd.Timestamp(end))


@pytest.mark.parametrize(
    ("period", "as_of", "end"),
    [
        ("2026Q3", "2026-08-15", "2026-08-16"),
        ("2026Q3", "2026-08-15 13:45", "2026-08-16"),
        ("2026Q3", "2026-07-01", "2026-07-02"),
        ("2026Q3", "2026-09-30", "2026-10-01"),
        ("2026Q3", "2026-11-15", "2026-10-01"),
        ("2026-02", "2026-02-14", "2026-02-15"),
        ("2026", "2026-11-15", "2026-11-16"),
        ("2026", datetime.date(2026, 3, 31), "2026-04-01"),
    ],
)
def test_as_of_cuts_a_running_period_after_its_day(period: str, as_of: object, end: str) -> None:
    """as_of inside the period ends the window after that whole day; later, it changes nothing."""
    window = period_window(to_period(period), as_of=as_of)  # type: ignore[arg-type]
    assert window.start == to_period(period).start_time
    assert window.end == pd.Timestamp(end)


@pytest.mark.parametrize(
    ("period", "as_of", "message"),
    [
        (
            "2026Q3",
            "2026-06-30 23:59",
            "as_of 2026-06-30 is before the period 2026Q3 starts (2026-07-01); "
            "choose an earlier period or a later as_of",
        ),
        (
            "2026",
            "2025-12-31",
            "as_of 2025-12-31 is before the period 2026 starts (2026-01-01); "
            "choose an earlier period or a later as_of",
        ),
    ],
)
def test_as_of_before_the_period_is_a_config_error(period: str, as_of: str, message: str) -> None:
    """An as_of before the period's first day leaves nothing to count: the message says so."""
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        period_window(to_period(period), as_of=as_of)
