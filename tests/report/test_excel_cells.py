"""Frames and card tables as Excel cells: typed values, formats, labels, widths, Excel's limits."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel

from am_analytics import EvaluationConfig
from am_analytics.evaluation import Evaluation, Section
from am_analytics.io._formulas import neutralise_formulas
from am_analytics.report import _excel_cells, _files, messages
from am_analytics.report._excel_cells import (
    card_table,
    excel_serials,
    frame_table,
    number_format,
    text_cells,
    text_width,
)
from am_analytics.report._messages import column_label
from am_analytics.report._tables import Column
from am_analytics.report._tables import Table as CardTable


def _evaluation(frames: dict[str, pd.DataFrame]) -> Evaluation:
    """A hand-made evaluation whose one section holds ``frames``."""
    return Evaluation(
        period=pd.Period("2026Q3"),
        previous_period=pd.Period("2026Q2"),
        as_of=pd.Timestamp("2026-11-15"),
        sections=(Section("teams", frames),),
        timings={},
        config=EvaluationConfig(),
    )


def test_hand_made_frame_round_trips_with_its_types(tmp_path: Path) -> None:
    """Ints, floats with NaN/inf, bools, NA, dates, periods and categories come back typed."""
    frame = pd.DataFrame(
        {
            "clients": [3, -4],
            "revenue": [-120.5, float("nan")],
            "trend": [0.25, float("inf")],
            "rank": pd.array([1, None], dtype="Int64"),
            "active": [True, False],
            "mismatch": pd.array([True, None], dtype="boolean"),
            "due_date": pd.to_datetime(["2026-10-30", None]),
            "opened_at": pd.to_datetime(["2026-10-06 13:54", "2026-10-07 00:00"]),
            "period": pd.PeriodIndex(["2026Q3", "2026Q2"], freq="Q"),
            "grade": pd.Categorical(["A", None]),
            "name": ["-5", "#N/A"],
        },
        index=pd.Index(["M1", "M2"], name="manager_id"),
    )
    path = _evaluation({"teams": frame}).to_excel(tmp_path / "t.xlsx", language="en")
    sheet = openpyxl.load_workbook(path)["Teams"]
    assert [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        ["M1", 3, -120.5, 0.25, 1, True, True, datetime.datetime(2026, 10, 30),
         datetime.datetime(2026, 10, 6, 13, 54), "2026Q3", "A", "'-5"],
        ["M2", -4, None, None, None, False, None, None,
         datetime.datetime(2026, 10, 7), "2026Q2", None, "#N/A"],
    ]  # fmt: skip
    assert sheet["L3"].data_type == "s"  # "#N/A" is text, not Excel's error value
    formats = [cell.number_format for cell in sheet[2]]
    assert formats[1:4] == ["#,##0", "#,##0", "#,##0.00"]
    assert formats[7:9] == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm"]


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("sla_breach_rate", "float", "0.0%"),
        ("share", "float", "0.0%"),
        ("probability_alive", "float", "0.0%"),
        ("p_same_grade", "float", "0.0%"),
        ("own_deviation", "float", "0.0%"),
        ("p_value", "float", "0.000"),
        ("score", "float", "0.0"),
        ("percentile", "float", "0.0"),
        ("sales_amount_contribution", "float", "0.0"),
        ("revenue_Champions", "float", "#,##0"),
        ("sales_amount_value", "float", "#,##0"),
        ("median_rank", "float", "General"),
        ("target", "float", "#,##0.00"),
        ("clients", "int", "#,##0"),
        ("due_date", "day", "yyyy-mm-dd"),
        ("opened_at", "datetime", "yyyy-mm-dd hh:mm"),
        ("name", "text", None),
        ("active", "bool", None),
    ],
)
def test_number_format_by_column_name(name: str, kind: str, expected: str | None) -> None:
    """The documented rule: shares and rates %, scores 0.0, money #,##0, other floats 0.00."""
    assert number_format(name, kind) == expected


def test_every_float_of_a_rates_frame_is_a_percentage() -> None:
    """In a ``*_rates`` frame (a migration matrix) floats are fractions, whatever the column."""
    assert number_format("Champions", "float", percent_frame=True) == "0.0%"
    assert number_format("Champions", "int", percent_frame=True) == "#,##0"


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("score", "综合得分", "Score"),
        ("clients_Champions", "客户数：冠军客户", "Clients: Champions"),
        ("revenue_tier_A", "收入：A 档", "Revenue: tier A"),
        ("clients_value_2", "客户数：价值档 2", "Clients: value tier 2"),
        ("grade_B", "B 级人数", "Grade B"),
        ("csat_adjusted_norm", "CSAT（修正）：标准化", "CSAT (adjusted): normalised"),
        ("rating_teamwork_value", "团队合作：原值", "Teamwork: value"),
        ("Need Attention", "Need Attention", "Need Attention"),
    ],
)
def test_column_labels_from_the_catalogue_and_patterns(name: str, zh: str, en: str) -> None:
    """A label is the column's entry, else a pattern filled with the part named by data."""
    assert (column_label(name, messages("zh")), column_label(name, messages("en"))) == (zh, en)


def test_text_width_counts_wide_characters_twice() -> None:
    """CJK and full-width characters take two columns, others one."""
    assert text_width("客户ab") == 6
    assert text_width("（A）") == 5
    assert text_width("") == 0


@given(
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.just(-120.5)),
        min_size=1,
        max_size=30,
    )
)
def test_float_cells_hold_the_finite_values_and_nothing_else(values: list[float]) -> None:
    """Each float is written as itself, and NaN and infinities as empty cells."""
    table = frame_table("teams", pd.DataFrame({"trend": values}), messages("en"))
    written = table.columns[0]
    assert (written.kind, written.number_format) == ("float", "#,##0.00")
    assert all(v is None or type(v) is float for v in written.values)
    expected = [v if np.isfinite(v) else None for v in values]
    assert written.values == expected


@given(st.lists(st.text(max_size=20), min_size=1, max_size=20))
@example(["\x01=1+1", "'\x02@x", "=\x03x"])  # a dropped control character exposes "="
def test_text_cells_are_neutralised_exactly_when_they_start_a_formula(texts: list[str]) -> None:
    """Text starting with = + - @ tab or CR (after apostrophes) gets one apostrophe more."""
    table = frame_table("teams", pd.DataFrame({"note": texts}), messages("en"))
    written = table.columns[0].values
    illegal = _excel_cells.ILLEGAL_CHARACTERS_RE
    for text, cell in zip(texts, written, strict=True):
        text = illegal.sub("", text)
        risky = text.lstrip("'")[:1] in ("=", "+", "-", "@", "\t", "\r")
        expected = ("'" + text if risky else text) or None
        assert cell == expected
    # the few texts of a card are neutralised by the same rule, without pandas
    assert text_cells(texts).values == written


def test_widths_are_capped_and_leave_room_for_the_filter() -> None:
    """A 200-character note gets the widest column (50); a short header at least 6."""
    frame = pd.DataFrame({"note": ["x" * 200], "z": [1]})
    table = frame_table("teams", frame, messages("en"))
    assert table.widths == [50.0, 6.0]


def test_rows_past_excels_limit_are_left_out_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frame longer than a sheet keeps its first rows; the About sheet gives the full count."""
    monkeypatch.setattr(_excel_cells, "MAX_ROWS", 5)
    teams = pd.DataFrame({"team": [f"T{i}" for i in range(12)], "managers": range(12)})
    path = _evaluation({"teams": teams}).to_excel(tmp_path / "cut.xlsx", language="en")
    book = openpyxl.load_workbook(path)
    assert book["Teams"].max_row == 6
    assert book["Teams"].auto_filter.ref == "A1:B6"
    about = next(book["About"].iter_rows(min_row=9, max_row=9, values_only=True))
    assert about[:4] == ("Teams", "Teams", "teams", 12)
    assert about[4].endswith("the first 5 of 12 rows are written; the CSV files hold them all.)")


def test_index_rule_is_the_csv_files_rule() -> None:
    """The workbook writes a frame's index exactly when the CSV and JSON files do."""
    frames = [
        pd.DataFrame({"a": [1, 2]}),
        pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(2, name="row")),
        pd.DataFrame({"a": [1, 2]}, index=["M1", "M2"]),
        pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(5, 7)),
        pd.DataFrame({"a": [1]}, index=pd.MultiIndex.from_tuples([("M1", "x")])),
        pd.DataFrame({"a": [1, 2]}).iloc[[1]],
    ]
    assert [_excel_cells.keeps_index(f) for f in frames] == [_files.keeps_index(f) for f in frames]


def test_dates_are_excel_serial_days() -> None:
    """Known serials: 1900-01-01 is 1, 1900-03-01 is 61 (after Excel's 29 February 1900)."""
    days = pd.Series(pd.to_datetime(["1900-01-01 00:00", "1900-02-28 00:00", "1900-03-01 00:00"]))
    assert excel_serials(days).tolist() == [1.0, 59.0, 61.0]
    moments = pd.Series(pd.to_datetime(["2026-10-06 13:54", "2026-11-15 00:00", None]))
    serials = excel_serials(moments)
    assert serials[1] == 46341.0 and np.isnan(serials[2])
    assert serials[0] == pytest.approx(46301 + (13 * 60 + 54) / 1440, abs=1e-9)


@given(
    st.datetimes(
        min_value=datetime.datetime(1900, 3, 1), max_value=datetime.datetime(2100, 12, 31)
    ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
)
def test_serial_days_read_back_as_the_same_moment(moment: datetime.datetime) -> None:
    """A serial day read back by openpyxl is the datetime written (to the millisecond)."""
    serial = excel_serials(pd.Series([pd.Timestamp(moment)]))[0]
    assert abs(from_excel(serial) - moment) <= datetime.timedelta(milliseconds=1)


def test_card_tables_take_formats_by_kind_and_words_for_values() -> None:
    """Each kind gets its number format; values become words; text is neutralised; None is empty."""
    kinds = ["text", "value", "int", "number", "score", "money", "share", "percent"]
    kinds += ["signed", "change", "date"]
    row = ("=1+1", "at_risk", 3.0, 1234.5, 81.25, 120000.0, 0.25, 25.0, -1.5, 2.0)
    row += (pd.Timestamp("2026-10-07"),)
    table = CardTable(
        "card_goals",
        "Goals",
        tuple(Column(kind, kind.title(), kind) for kind in kinds),  # type: ignore[arg-type]
        (row, (None,) * len(kinds)),
        total_rows=9,
        note="The first 2 of 9 rows",
    )
    cells = card_table(table, messages("en"))
    assert [c.number_format for c in cells.columns] == [
        None, None, "#,##0", "#,##0.00", "0.0", "#,##0", "0.0%", '0.0"%"',
        "+0.0;-0.0", "+0;-0", "yyyy-mm-dd",
    ]  # fmt: skip
    first = [c.values[0] for c in cells.columns]
    at_risk = messages("en")("value.at_risk")
    assert first == ["'=1+1", at_risk, 3.0, 1234.5, 81.25, 120000.0, 0.25, 25.0, -1.5, 2.0, 46302.0]
    assert all(c.values[1] is None for c in cells.columns)
    assert (cells.row_count, cells.total_rows, cells.note) == (2, 9, "The first 2 of 9 rows")
    assert cells.labels == [kind.title() for kind in kinds]


def test_card_text_matches_the_frames_neutralisation() -> None:
    """A card's text cells follow the same rule as the frames' (io._formulas)."""
    texts = ["=1+1", "+cmd|' /C calc'!A0", "-5", "@x", "'=x", "ok", "", None]
    expected = neutralise_formulas(pd.Series(texts, dtype="string")).replace("", None)
    assert text_cells(texts).values == [None if pd.isna(t) else t for t in expected]
