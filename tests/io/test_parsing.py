"""Known answers for the raw-cell readers of am_analytics.io.parsing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from am_analytics.io.parsing import (
    parse_bool,
    parse_date,
    parse_enum,
    parse_integer,
    parse_number,
    parse_period,
    parse_text,
)

JULY_1 = pd.Timestamp("2026-07-01")


@pytest.mark.parametrize(
    "text",
    [
        "2026-07-01",
        "2026/07/01",
        "2026-7-1",
        "2026/7/1",
        "2026.7.1",
        "2026年7月1日",
        "2026年07月01日",
        "20260701",
        "46204",
        " 2026-07-01 ",
        "２０２６－０７－０１",
        "2026-07-01 00:00:00",
        "2026-07-01T00:00",
    ],
)
def test_date_forms_read_as_july_first(text: str) -> None:
    """Every documented date form of 1 July 2026 reads as that day."""
    parsed = parse_date(pd.Series([text]))
    assert parsed.values.iloc[0] == JULY_1
    assert parsed.failures.empty


def test_datetimes_keep_their_time() -> None:
    """Times, seconds, fractions and Chinese dates with times are kept."""
    raw = pd.Series(["2026-07-01 10:30", "2026/7/1 9:05:07.25", "2026年7月1日 23:59:59"])
    values = parse_date(raw).values
    assert values.tolist() == [
        pd.Timestamp("2026-07-01 10:30"),
        pd.Timestamp("2026-07-01 09:05:07.250"),
        pd.Timestamp("2026-07-01 23:59:59"),
    ]
    assert values.dtype == "datetime64[ns]"


def test_offsets_convert_to_the_organisation_time_zone() -> None:
    """With a time zone, 02:30Z and 10:30+08:00 are the same Beijing time."""
    raw = pd.Series(["2026-07-01T10:30:00+08:00", "2026-07-01T02:30:00Z"])
    beijing = parse_date(raw, timezone="Asia/Shanghai").values
    assert beijing.tolist() == [pd.Timestamp("2026-07-01 10:30")] * 2
    wall_clock = parse_date(raw).values
    assert wall_clock.tolist() == [
        pd.Timestamp("2026-07-01 10:30"),
        pd.Timestamp("2026-07-01 02:30"),
    ]


def test_excel_serial_with_fraction_is_a_datetime() -> None:
    """Serial 46204.5 is noon of 1 July 2026 (Excel's 1900 system)."""
    assert parse_date(pd.Series([46204.5])).values.iloc[0] == pd.Timestamp("2026-07-01 12:00")


def test_impossible_and_garbage_dates_fail_with_the_value_quoted() -> None:
    """Feb 30, month 13 and words are failures that quote the cell, never silent NaT."""
    raw = pd.Series(["2026-02-30", "2026-13-01", "soon", None, ""])
    parsed = parse_date(raw, label="order_date")
    assert parsed.values.isna().all()
    assert parsed.failures.index.tolist() == [0, 1, 2]
    assert "'soon'" in parsed.failures[2]


def test_leap_day() -> None:
    """29 Feb exists in 2024 and not in 2026."""
    parsed = parse_date(pd.Series(["2024-02-29", "2026-02-29"]))
    assert parsed.values.iloc[0] == pd.Timestamp("2024-02-29")
    assert parsed.failures.index.tolist() == [1]


def test_year_last_dates_follow_the_evidence_of_the_column() -> None:
    """13/07/2026 shows day-first, so 03/04/2026 is 3 April; alone it is ambiguous."""
    both = parse_date(pd.Series(["13/07/2026", "03/04/2026"])).values
    assert both.tolist() == [pd.Timestamp("2026-07-13"), pd.Timestamp("2026-04-03")]
    alone = parse_date(pd.Series(["03/04/2026", "05/05/2026"]))
    assert alone.failures.index.tolist() == [0]
    assert "dayfirst" in alone.failures[0]
    assert alone.values.iloc[1] == pd.Timestamp("2026-05-05")
    us = parse_date(pd.Series(["03/04/2026"]), dayfirst=False).values
    assert us.iloc[0] == pd.Timestamp("2026-03-04")


def test_typed_datetimes_pass_through_and_lose_their_zone() -> None:
    """Datetime columns are cast to naive ns; aware ones convert or keep wall time."""
    aware = pd.Series(pd.to_datetime(["2026-07-01 02:30"]).tz_localize("UTC"))
    assert parse_date(aware, timezone="Asia/Shanghai").values.iloc[0] == pd.Timestamp(
        "2026-07-01 10:30"
    )
    kept = parse_date(aware)
    assert kept.values.iloc[0] == pd.Timestamp("2026-07-01 02:30")
    assert kept.notes and "UTC" in kept.notes[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234.5", 1234.5),
        ("1,234.50", 1234.5),
        ("¥1,234.50", 1234.5),
        ("￥1,234.50", 1234.5),
        ("CNY 1,234", 1234.0),
        ("RMB1234", 1234.0),
        ("1,234.00元", 1234.0),
        ("1,234.00 人民币", 1234.0),
        ("(120.00)", -120.0),
        ("(¥1,200)", -1200.0),
        ("-1,234", -1234.0),
        ("¥-8", -8.0),
        ("-¥8", -8.0),
        ("1,234,567.891", 1234567.891),
        ("１，２３４", 1234.0),
        (".5", 0.5),
    ],
)
def test_amount_forms(text: str, value: float) -> None:
    """Thousands separators, currency marks and parenthesised negatives read as numbers."""
    parsed = parse_number(pd.Series([text]), money=True, label="amount")
    assert parsed.values.iloc[0] == pytest.approx(value)
    assert parsed.failures.empty


@pytest.mark.parametrize("text", ["abc", "12,34", "1.2.3", "¥", "1 234,5", "--5", "5 apples"])
def test_malformed_amounts_fail(text: str) -> None:
    """Misplaced separators and words are failures, not guesses."""
    parsed = parse_number(pd.Series([text]), money=True, label="amount")
    assert np.isnan(parsed.values.iloc[0])
    assert parsed.failures.index.tolist() == [0]
    assert repr(text) in parsed.failures[0]


def test_mixed_currencies_reject_the_minority() -> None:
    """A USD amount among CNY amounts is rejected with both currencies named."""
    parsed = parse_number(pd.Series(["¥5", "¥6", "USD 10", "7"]), money=True, label="amount")
    assert parsed.values.tolist()[:2] == [5.0, 6.0]
    assert parsed.values.iloc[3] == 7.0
    assert parsed.failures.index.tolist() == [2]
    assert "USD" in parsed.failures[2] and "CNY" in parsed.failures[2]


def test_currency_marks_are_not_numbers_outside_money() -> None:
    """A score of '¥5' is not a number."""
    parsed = parse_number(pd.Series(["¥5", "4"]), label="score")
    assert parsed.failures.index.tolist() == [0]
    assert parsed.values.iloc[1] == 4.0


def test_probability_percentages() -> None:
    """'80%' is 0.8; a column running to 80 is read as percent, with a note."""
    signs = parse_number(pd.Series(["80%", "0.5"]), probability=True)
    assert signs.values.tolist() == [0.8, 0.5]
    percent = parse_number(pd.Series([80, 50, None]), probability=True, label="probability")
    assert percent.values.iloc[:2].tolist() == [0.8, 0.5]
    assert "percent" in percent.notes[0]
    fractions = parse_number(pd.Series([0.8, 1.0]), probability=True)
    assert fractions.values.tolist() == [0.8, 1.0] and not fractions.notes


def test_integers() -> None:
    """'2.0' is 2; 2.5 is a failure."""
    parsed = parse_integer(pd.Series(["1", "2.0", "2.5", None]), label="revision")
    assert parsed.values.tolist() == [1, 2, pd.NA, pd.NA]
    assert parsed.failures.index.tolist() == [2]


def test_bools() -> None:
    """English, Chinese and numeric flags; anything else fails."""
    parsed = parse_bool(
        pd.Series(["是", "否", "Yes", "n", "1", "0", "已完成", "未完成", "x", None])
    )
    assert parsed.values.tolist()[:8] == [True, False, True, False, True, False, True, False]
    assert parsed.failures.index.tolist() == [8]


def test_enums_normalise_case_blanks_and_aliases() -> None:
    """'Closed Won' and '赢单' are won; unknown values are kept as written for the schema."""
    aliases = {"赢单": "won", "closed_won": "won"}
    allowed = ("open", "won", "lost")
    raw = pd.Series([" Won ", "Closed Won", "赢单", "closed-won", "Pending"])
    parsed = parse_enum(raw, allowed=allowed, aliases=aliases)
    assert parsed.values.tolist() == ["won", "won", "won", "won", "Pending"]


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2026Q3", "2026Q3"),
        ("2026-Q3", "2026Q3"),
        ("2026 q3", "2026Q3"),
        ("2026年第3季度", "2026Q3"),
        ("2026年三季度", "2026Q3"),
        ("2026-07", "2026-07"),
        ("2026/7", "2026-07"),
        ("2026年7月", "2026-07"),
        ("2026", "2026"),
    ],
)
def test_periods(text: str, period: str) -> None:
    """Quarters, months and years in English and Chinese forms."""
    assert parse_period(pd.Series([text])).values.iloc[0] == period


@pytest.mark.parametrize("text", ["2026Q5", "2026-13", "Q3", "next quarter"])
def test_bad_periods_fail(text: str) -> None:
    """Quarter 5, month 13 and words are failures."""
    assert parse_period(pd.Series([text])).failures.index.tolist() == [0]


def test_text_strips_and_keeps_integer_ids_intact() -> None:
    """Blank is missing; float-typed integer ids lose the '.0' they picked up."""
    assert parse_text(pd.Series([" C001 ", "", "  ", None])).values.isna().tolist() == [
        False,
        True,
        True,
        True,
    ]
    assert parse_text(pd.Series([1001.0, np.nan])).values.iloc[0] == "1001"


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: round(x, 2)), max_size=30))
def test_formatted_amounts_round_trip(values: list[float]) -> None:
    """Any amount written as ¥1,234.50 or (1,234.50) reads back to the number."""
    texts = [f"({abs(v):,.2f})" if v < 0 else f"¥{v:,.2f}" for v in values]
    parsed = parse_number(pd.Series(texts, dtype="str"), money=True)
    assert parsed.failures.empty
    np.testing.assert_allclose(parsed.values.to_numpy(dtype=float), values, rtol=0, atol=1e-6)


@given(
    st.dates(
        min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2100-12-31").date()
    )
)
def test_every_date_form_round_trips(day: object) -> None:
    """Any date written in each documented form reads back to that date."""
    stamp = pd.Timestamp(day)
    forms = [
        stamp.strftime("%Y-%m-%d"),
        f"{stamp.year}/{stamp.month}/{stamp.day}",
        f"{stamp.year}年{stamp.month}月{stamp.day}日",
        stamp.strftime("%Y%m%d"),
        str((stamp - pd.Timestamp("1899-12-30")).days),
    ]
    parsed = parse_date(pd.Series(forms))
    assert parsed.failures.empty
    assert (parsed.values == stamp).all()


BLANKS = " \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet=st.sampled_from([*"ab1上海é、", *BLANKS]), max_size=6),
        ),
        max_size=8,
    )
)
def test_text_is_stripped_like_python_strips(values: list[str | None]) -> None:
    """Arrow-backed text (whose quick 'already tidy' test skips stripping) equals str.strip()."""
    expected = [None if v is None or not v.strip() else v.strip() for v in values]
    got = parse_text(pd.Series(values, dtype="str")).values
    assert [None if pd.isna(v) else v for v in got] == expected


@pytest.mark.parametrize("text", ["9999-12-31", "99991231", "3000-01-01", "9999/12/31 23:59"])
def test_dates_past_the_range_fail_as_out_of_range(text: str) -> None:
    """A date datetime64[ns] cannot hold is a failure with the value quoted, not a crash."""
    parsed = parse_date(pd.Series(["2026-07-01", text]), label="order_date")
    assert parsed.values.isna().tolist() == [False, True]
    assert parsed.failures.to_dict() == {
        1: f"order_date {text!r} is out of range: dates run from 1677-09-22 to 2262-04-10; "
        "check the year"
    }


def test_open_ended_columns_read_no_end_as_missing_with_a_note() -> None:
    """In an end-date column 9999-12-31 means no end: missing, noted; 1677 still fails."""
    parsed = parse_date(
        pd.Series(["9999-12-31", "3000-01-01", "2026-07-01", "1677-09-21"]),
        open_ended=True,
        label="end_date",
    )
    assert parsed.values.isna().tolist() == [True, True, False, True]
    assert parsed.failures.index.tolist() == [3]
    assert "out of range" in parsed.failures[3]
    assert parsed.notes == (
        "end_date: 2 dates after 2262-04-10 (such as '9999-12-31') read as missing: no end date",
    )


@pytest.mark.parametrize("zone", [None, "UTC"])
def test_typed_datetimes_outside_the_range(zone: str | None) -> None:
    """Microsecond datetimes (as from Parquet) past or before the range fail, or are noted."""
    stamps = pd.Series(
        pd.to_datetime(["9999-12-31 00:00", "2026-07-01 10:30", "1600-01-01 00:00"]).as_unit("us")
    )
    if zone:
        stamps = stamps.dt.tz_localize(zone)
    parsed = parse_date(stamps, label="resolved_at", open_ended=True)
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.values.isna().tolist() == [True, False, True]
    assert parsed.failures.tolist() == [
        "resolved_at '1600-01-01' is out of range: dates run from 1677-09-22 to 2262-04-10; "
        "check the year"
    ]
    assert parsed.notes[-1].startswith("resolved_at: 1 date after 2262-04-10 (such as '9999-12")


def test_neutralised_formulas_are_read_back() -> None:
    """Cells a writer prefixed with ' come back as written; other text is untouched."""
    raw = pd.Series(['\'=HYPERLINK("http://x")', "'-x", "'@x", "''=x", "'plain", " '+1 "])
    assert parse_text(raw).values.tolist() == [
        '=HYPERLINK("http://x")',
        "-x",
        "@x",
        "'=x",
        "'plain",
        "+1",
    ]


@given(st.lists(st.text(alphabet=st.sampled_from([*"'=+-@\t\rab上 "]), max_size=6), max_size=8))
def test_neutralise_then_restore_is_the_identity(values: list[str]) -> None:
    """restore(neutralise(text)) is the text; so is reading it (text that needs no strip)."""
    from am_analytics.io._formulas import neutralise_formulas, restore_formulas

    series = pd.Series(values, dtype="str")
    assert restore_formulas(neutralise_formulas(series)).tolist() == values
    tidy = [v for v in values if v and v == v.strip()]
    read = parse_text(neutralise_formulas(pd.Series(tidy, dtype="str"))).values
    assert read.tolist() == tidy


def test_typed_datetimes_in_seconds_are_compared_in_seconds() -> None:
    """Second datetimes past 2262 are past the range (not wrapped around by a cast to
    nanoseconds); missing ones stay missing without a failure."""
    stamps = pd.Series(
        pd.to_datetime(["2026-07-01", None, "3000-01-01", "1600-01-01"]).as_unit("s")
    )
    parsed = parse_date(stamps, label="order_date")
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.values.isna().tolist() == [False, True, True, True]
    assert parsed.failures.index.tolist() == [2, 3]
    assert parsed.failures[2].startswith("order_date '3000-01-01' is out of range")
