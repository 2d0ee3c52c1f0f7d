"""Evaluation.to_excel: typed cells, formats, frozen headers, manager cards, formulas, atomic."""

from __future__ import annotations

import dataclasses
import datetime
import re
import string
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import am_analytics
from am_analytics import ConfigError, EvaluationConfig, evaluate
from am_analytics.errors import OutputPathError
from am_analytics.evaluation import Evaluation, Section
from am_analytics.io._formulas import FORMULA_START, neutralise_formulas
from am_analytics.report import _excel, _excel_cells, _messages, messages
from am_analytics.report._cards import manager_cards
from am_analytics.report._files import keeps_index

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
CONFIG = EvaluationConfig(sensitivity_draws=100)
HYPERLINK = '=HYPERLINK("http://x","y")'
TEAM = "@SUM(1+1)"
CLIENT = "+cmd|' /C calc'!A0"
SUMMARY = "\tcall back =1+1"
SUM = "=1+1"


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate(am_analytics.load(SAMPLE), config=CONFIG)


@pytest.fixture(scope="module")
def workbook_zh(
    evaluation: Evaluation, tmp_path_factory: pytest.TempPathFactory
) -> openpyxl.Workbook:
    """The sample evaluation written once in Chinese and read back."""
    path = evaluation.to_excel(tmp_path_factory.mktemp("zh") / "evaluation.xlsx", language="zh")
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def workbook_en(
    evaluation: Evaluation, tmp_path_factory: pytest.TempPathFactory
) -> openpyxl.Workbook:
    """The sample evaluation written once in English and read back."""
    path = evaluation.to_excel(tmp_path_factory.mktemp("en") / "evaluation.xlsx", language="en")
    return openpyxl.load_workbook(path)


def _replace_frames(evaluation: Evaluation, changed: dict[str, pd.DataFrame]) -> Evaluation:
    """The evaluation with some frames replaced (or added to the scores section)."""
    sections = []
    for section in evaluation.sections:
        frames = {name: changed.get(name, frame) for name, frame in section.frames.items()}
        if section.name == "scores":
            frames |= {n: f for n, f in changed.items() if n not in evaluation.frames()}
        sections.append(dataclasses.replace(section, frames=frames))
    return dataclasses.replace(evaluation, sections=tuple(sections))


def _without_frames(evaluation: Evaluation, names: set[str]) -> Evaluation:
    """The evaluation without the frames ``names``."""
    sections = tuple(
        dataclasses.replace(s, frames={n: f for n, f in s.frames.items() if n not in names})
        for s in evaluation.sections
    )
    return dataclasses.replace(evaluation, sections=sections)


def _hostile(evaluation: Evaluation) -> Evaluation:
    """The evaluation with formula-starting text in a name, team, client and complaint."""
    scores = evaluation.frames()["scores"].copy()
    scores.loc["M0020", ["name", "team"]] = [HYPERLINK, TEAM]
    clients = evaluation.frames()["clients"].copy()
    first = clients.index[0]
    clients.loc[first, "name"] = CLIENT
    clients.loc[first, "monetary"] = -120.5
    clients.loc[clients.index[1], "name"] = SUM
    complaints = evaluation.frames()["overdue_complaints"].copy()
    complaints["summary"] = SUMMARY
    changed = {"scores": scores, "clients": clients, "overdue_complaints": complaints}
    return _replace_frames(evaluation, changed)


def _table(sheet: Any, top: int = 1) -> pd.DataFrame:
    """The table of a sheet whose header is on row ``top``, as openpyxl reads its values."""
    rows = list(sheet.iter_rows(min_row=top, values_only=True))
    header = [str(label) for label in rows[0]]
    return pd.DataFrame([list(row) for row in rows[1:]], columns=header, dtype=object)


def _flat(frame: pd.DataFrame, whole: pd.DataFrame | None = None) -> pd.DataFrame:
    """A frame as the workbook lays it out: its index (when ``whole``'s is data) first."""
    return frame.reset_index() if keeps_index(frame if whole is None else whole) else frame


def _assert_cells_equal(written: pd.Series, original: pd.Series, where: str) -> None:
    """A column read back from the workbook holds the frame's values, typed."""
    cells = written.tolist()
    if pd.api.types.is_bool_dtype(original):
        expected = [None if pd.isna(v) else bool(v) for v in original]
        assert cells == expected, where
        assert all(isinstance(c, bool) for c in cells if c is not None), where
    elif pd.api.types.is_datetime64_any_dtype(original):
        expected = [None if pd.isna(v) else v.to_pydatetime() for v in original]
        assert cells == expected, where
        assert all(isinstance(c, datetime.datetime) for c in cells if c is not None), where
    elif pd.api.types.is_numeric_dtype(original):
        numbers = original.to_numpy(dtype=float, na_value=np.nan)
        assert [c is None for c in cells] == (~np.isfinite(numbers)).tolist(), where
        assert all(isinstance(c, int | float) for c in cells if c is not None), where
        got = np.array([np.nan if c is None else c for c in cells], dtype=float)
        expected_numbers = np.where(np.isfinite(numbers), numbers, np.nan)
        np.testing.assert_allclose(got, expected_numbers, rtol=1e-9, err_msg=where)
    else:
        text = neutralise_formulas(original.astype("string")).fillna("")
        assert [c if c is not None else "" for c in cells] == text.tolist(), where
        assert all(isinstance(c, str) for c in cells if c is not None), where


def _starts_formula(value: object) -> bool:
    """Whether a cell's value is text a spreadsheet would run (no apostrophe in front)."""
    return isinstance(value, str) and re.match(FORMULA_START.lstrip("^'*"), value) is not None


def _same_row(written: list[Any], expected: list[Any]) -> bool:
    """Cells equal to the values: numbers to 1e-12 (Excel keeps 15-16 digits), others exactly."""
    if len(written) != len(expected):
        return False
    return all(
        w == pytest.approx(e, rel=1e-12) if isinstance(e, float) else w == e
        for w, e in zip(written, expected, strict=True)
    )


def _characters(width: float | None) -> float:
    """A stored column width as the characters Excel shows (XlsxWriter adds 5 pixels of padding)."""
    return round(float(width or 0) - 5 / 7, 1)


def _active_by_rank(evaluation: Evaluation) -> pd.DataFrame:
    """The managers that get a card: active ones, best rank first."""
    scores = evaluation.frames()["scores"]
    return scores[scores["active"]].sort_values("rank")


def _card_layout(sheet: Any, card: Any) -> dict[str, list[list[Any]]]:
    """A manager sheet read as the card lays it out: the facts, then each table's rows.

    Asserts the layout on the way: the facts end at a blank row; each table is a
    bold title, a bold header, its rows and its note, if any, then a blank row.
    """
    rows = list(sheet.iter_rows())
    facts = next(i for i, row in enumerate(rows) if row[0].value is None)
    layout = {"facts": [_values(row) for row in rows[:facts]]}
    position = facts + 1
    for table in card.tables:
        title, header = rows[position][0], rows[position + 1]
        assert (title.value, title.font.b, title.font.sz) == (table.title, True, 12)
        assert _values(header) == [column.label for column in table.columns]
        assert all(cell.font.b for cell in header[: len(table.columns)])
        body = rows[position + 2 : position + 2 + len(table.rows)]
        layout[table.key] = [
            _values(row) + [None] * (len(table.columns) - len(_values(row))) for row in body
        ]
        position += 2 + len(table.rows)
        if table.note:
            assert rows[position][0].value == table.note
            position += 1
        assert position == len(rows) or rows[position][0].value is None
        position += 1
    assert position >= len(rows)
    return layout


def _cells_of(sheet: Any, top: int, column: int, count: int) -> list[Any]:
    """``count`` cells of a column from row ``top`` down (1-based)."""
    return [sheet.cell(top + i, column) for i in range(count)]


def _values(row: tuple[Any, ...]) -> list[Any]:
    """The values of a row of cells, trailing empty cells left out."""
    values = [cell.value for cell in row]
    while values and values[-1] is None:
        values.pop()
    return values


# --- sheets --------------------------------------------------------------------------


def test_sheets_are_about_frames_and_managers_in_chinese(
    evaluation: Evaluation, workbook_zh: openpyxl.Workbook
) -> None:
    """Sheets: 说明, then one per frame of the present sections, then one per scored manager."""
    words = messages("zh")
    frames = evaluation.frames()
    scores = frames["scores"]
    names = workbook_zh.sheetnames
    assert names[0] == "说明"
    assert names[1 : 1 + len(frames)] == [words(f"frame.{name}") for name in frames]
    cards = names[1 + len(frames) :]
    ranked = _active_by_rank(evaluation)
    assert len(cards) == len(ranked) == len(scores)  # every sample manager is active
    assert cards[0] == f"{ranked.index[0]} {ranked['name'].iloc[0]}" == "M0020 闫浩然"
    assert [card.split(" ")[0] for card in cards] == ranked.index.tolist()
    assert {"综合评分", "客户", "等级分布"} <= set(names)


def test_sheets_are_named_in_english(
    evaluation: Evaluation, workbook_en: openpyxl.Workbook
) -> None:
    """In English the same sheets take English names."""
    names = workbook_en.sheetnames
    assert names[:4] == ["About", "Data quality", "Rejected rows", "Scores"]
    assert "Clients" in names and "Grade distribution" in names
    assert len(names) == 1 + len(evaluation.frames()) + len(_active_by_rank(evaluation))


def test_language_defaults_to_the_configuration(evaluation: Evaluation, tmp_path: Path) -> None:
    """Without ``language`` the configuration's language (zh) is used; an unknown one is refused."""
    small = _without_frames(evaluation, set(evaluation.frames()) - {"data_quality"})
    book = openpyxl.load_workbook(small.to_excel(tmp_path / "a.xlsx"))
    assert book.sheetnames == ["说明", "数据质量"]
    with pytest.raises(ConfigError, match="report language must be one of zh, en"):
        small.to_excel(tmp_path / "b.xlsx", language="fr")


def test_about_sheet_lists_every_sheet_and_the_absent_sections(
    evaluation: Evaluation, tmp_path: Path
) -> None:
    """About: period, as_of as a date, a row per sheet, and the reason of an absent section."""
    absent = Section("goals", absent_reason="needs the goals table, which the dataset lacks")
    sections = tuple(absent if s.name == "goals" else s for s in evaluation.sections)
    lacking = dataclasses.replace(evaluation, sections=sections)
    book = openpyxl.load_workbook(lacking.to_excel(tmp_path / "a.xlsx", language="en"))
    about = book["About"]
    assert [about.cell(row, 1).value for row in range(2, 6)] == [
        "Period",
        "Previous period",
        "As of",
        "am_analytics version",
    ]
    assert about["B2"].value == "2026Q3" and about["B3"].value == "2026Q2"
    assert about["B4"].value == datetime.datetime(2026, 11, 15)
    assert about["B4"].number_format == "yyyy-mm-dd"
    contents = _table(about, top=8).iloc[:-2]  # a blank row and the note on formulas end it
    assert contents["Sheet"].dropna().tolist() == book.sheetnames[1:]
    goals = contents[contents["Section"] == "Goals"]
    assert goals["Contents"].tolist() == ["needs the goals table, which the dataset lacks"]
    scores = contents[contents["Table"] == "scores"]
    assert scores["Rows"].tolist() == [len(evaluation.frames()["scores"])]


# --- cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame_name",
    ["scores", "score_change", "clients", "goal_status", "overdue_complaints", "readiness"],
)
def test_cells_hold_the_frame_values_typed(
    evaluation: Evaluation, workbook_en: openpyxl.Workbook, frame_name: str
) -> None:
    """Numbers as numbers (to 1e-9), dates as datetimes, text as text, NaN as empty cells."""
    frame = _flat(evaluation.frames()[frame_name])
    written = _table(workbook_en[messages("en")(f"frame.{frame_name}")])
    assert len(written) == len(frame)
    assert written.shape[1] == frame.shape[1]
    for position, column in enumerate(frame.columns):
        _assert_cells_equal(written.iloc[:, position], frame.iloc[:, position], column)


def test_number_formats_follow_the_column_names(workbook_en: openpyxl.Workbook) -> None:
    """Shares and rates as 0.0%, scores as 0.0, money as #,##0, days as yyyy-mm-dd."""

    def format_of(sheet_name: str, label: str) -> str:
        sheet = workbook_en[sheet_name]
        labels = [cell.value for cell in sheet[1]]
        return str(sheet.cell(2, labels.index(label) + 1).number_format)

    assert format_of("Feedback summary", "SLA breach rate") == "0.0%"
    assert format_of("Scores", "Sales: normalised") == "0.0%"
    assert format_of("Rank intervals", "P(same grade)") == "0.0%"
    assert format_of("Segment migration rates", "Champions") == "0.0%"
    assert format_of("Scores", "Score") == "0.0"
    assert format_of("Scores", "Percentile") == "0.0"  # 0-100 here, not a fraction
    assert format_of("Scores", "Sales: value") == "#,##0"
    assert format_of("Clients", "Monetary value") == "#,##0"
    assert format_of("Clients", "Due date") == "yyyy-mm-dd"
    assert format_of("Overdue complaints", "Opened at") == "yyyy-mm-dd hh:mm"
    assert format_of("Training impact", "p-value") == "0.000"


def test_headers_are_bold_frozen_and_filtered(
    evaluation: Evaluation, workbook_zh: openpyxl.Workbook
) -> None:
    """Every frame sheet: a bold header, frozen below it (and right of the ids), an autofilter."""
    words = messages("zh")
    for name, frame in evaluation.frames().items():
        sheet = workbook_zh[words(f"frame.{name}")]
        flat = _flat(frame)
        assert all(cell.font.b for cell in sheet[1]), name
        assert sheet.max_column == flat.shape[1], name
        ids = frame.index.nlevels if keeps_index(frame) else int(flat.columns[0].endswith("_id"))
        assert sheet.freeze_panes == f"{openpyxl.utils.get_column_letter(ids + 1)}2", name
        last = openpyxl.utils.get_column_letter(flat.shape[1])
        assert sheet.auto_filter.ref == f"A1:{last}{len(frame) + 1}", name
    scores = workbook_zh["综合评分"]
    assert [cell.value for cell in scores[1]][:4] == [
        "客户经理编号",
        "姓名",
        "团队",
        "销售额：原值",
    ]
    assert scores.freeze_panes == "B2"


def test_column_widths_count_chinese_double_and_are_capped(
    workbook_zh: openpyxl.Workbook,
) -> None:
    """A column of Chinese names is twice as wide as their length; long text stops at 50."""
    clients = workbook_zh["客户"]
    names = [c for (c,) in clients.iter_rows(min_row=2, min_col=2, max_col=2, values_only=True)]
    widest = max(_excel_cells.text_width(name) for name in names if name)
    assert widest >= 2 * max(len(name) for name in names if name) - 4  # mostly Chinese
    assert _characters(clients.column_dimensions["B"].width) == min(widest + 1, 50)
    adjustments = workbook_zh["目标调整建议"]
    assert max(_characters(d.width) for d in adjustments.column_dimensions.values()) == 50
    assert _excel_cells.text_width("客户ab") == 6


# --- formulas ------------------------------------------------------------------------


def test_formula_text_is_neutralised_and_negative_amounts_stay_numbers(
    evaluation: Evaluation, tmp_path: Path
) -> None:
    """Formula-starting names, teams, clients, summaries get an apostrophe; -120.5 stays numeric."""
    hostile = _hostile(evaluation)
    book = openpyxl.load_workbook(hostile.to_excel(tmp_path / "h.xlsx", language="en"))
    scores = _table(book["Scores"])
    row = scores[scores["Manager ID"] == "M0020"].iloc[0]
    assert (row["Name"], row["Team"]) == ("'" + HYPERLINK, "'" + TEAM)
    clients = _table(book["Clients"])
    assert (clients["Name"].iloc[0], clients["Monetary value"].iloc[0]) == ("'" + CLIENT, -120.5)
    assert clients["Name"].iloc[1] == "'" + SUM
    assert book["Clients"].cell(2, 6).data_type == "n"
    assert [cell.data_type for cell in (book["Clients"]["B2"], book["Clients"]["B3"])] == ["s", "s"]
    complaints = _table(book["Overdue complaints"])
    assert set(complaints["summary"]) == {"'" + SUMMARY}
    card = book[book.sheetnames[1 + len(hostile.frames())]]
    values = [v for row in card.iter_rows(values_only=True) for v in row]
    assert "'" + HYPERLINK in values and "'" + TEAM in values
    formulas = [
        (sheet.title, cell.coordinate)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" or _starts_formula(cell.value)
    ]
    assert formulas == []  # every formula-looking text, on every sheet, is behind an apostrophe
    # the CSV files go through the same neutralisation
    hostile.to_csv(tmp_path / "csv")
    text = (tmp_path / "csv" / "clients.csv").read_text(encoding="utf-8-sig")
    assert f'"\'{CLIENT}"' in text or f"'{CLIENT}" in text


def test_formula_like_sheet_names_are_valid(evaluation: Evaluation, tmp_path: Path) -> None:
    """A manager named like a formula gets a sheet named without Excel's forbidden characters."""
    book = openpyxl.load_workbook(_hostile(evaluation).to_excel(tmp_path / "h.xlsx"))
    card = book.sheetnames[1 + len(evaluation.frames())]
    assert card == 'M0020 =HYPERLINK("http___x","y")'[:31]


@given(st.lists(st.text(alphabet=string.printable + "客户经理'", max_size=40), max_size=30))
def test_sheet_names_are_valid_and_unique(wanted: list[str]) -> None:
    """Any names become valid sheet names: 31 characters, none forbidden, unique without case."""
    names = _excel._unique_sheet_names(wanted)
    assert len(names) == len(wanted)
    assert all(0 < len(name) <= 31 for name in names)
    assert not any(set(name) & set("[]:*?/\\") for name in names)
    assert not any(name.startswith("'") or name.endswith("'") for name in names)
    assert len({name.casefold() for name in names}) == len(names)


# --- manager cards -------------------------------------------------------------------


def test_manager_sheets_hold_the_cards_of_the_html_report(
    evaluation: Evaluation, workbook_en: openpyxl.Workbook
) -> None:
    """A sheet per card, best rank first: its facts, then its tables, rows equal to the card's."""
    words = messages("en")
    cards = manager_cards(evaluation, words, managers=None, with_figures=False)
    names = workbook_en.sheetnames[1 + len(evaluation.frames()) :]
    assert names == [f"{card.manager_id} {card.name}" for card in cards]
    for name, card in list(zip(names, cards, strict=True))[::9]:
        layout = _card_layout(workbook_en[name], card)
        for table in card.tables:
            for written, row in zip(layout[table.key], table.rows, strict=True):
                expected = [
                    words.get(f"value.{v}", v) if c.kind == "value" and v is not None else v
                    for c, v in zip(table.columns, row, strict=True)
                ]
                expected = [
                    v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in expected
                ]
                assert _same_row(written, expected), (name, table.key, written, expected)


def test_manager_sheet_facts_and_criteria_come_from_the_scores(
    evaluation: Evaluation, workbook_en: openpyxl.Workbook
) -> None:
    """M0020's facts and criteria table hold the scores frame's values, with formats by kind."""
    scores = evaluation.frames()["scores"]
    manager = scores.loc["M0020"]
    sheet = workbook_en["M0020 闫浩然"]
    card = manager_cards(evaluation, messages("en"), managers=["M0020"], with_figures=False)[0]
    layout = _card_layout(sheet, card)
    facts = {row[0]: row[1:] for row in layout["facts"] if len(row) > 1}
    assert facts["Name"] == [manager["name"]] and facts["Manager ID"] == ["M0020"]
    assert facts["Team"] == [manager["team"]] and facts["Grade"] == [manager["grade"]]
    assert facts["Score"] == [pytest.approx(manager["score"], rel=1e-12)]
    interval = evaluation.frames()["rank_intervals"].loc["M0020"]
    low, high = int(interval["rank_p05"]), int(interval["rank_p95"])
    assert facts["Rank"] == [manager["rank"], f"interval {low}–{high}"]
    assert sheet["B5"].number_format == "0.0" and sheet["C8"].number_format == "+0.0;-0.0"
    criteria = [c.removesuffix("_value") for c in scores.columns if c.endswith("_value")]
    expected = [
        [messages("en").get(f"value.{c}", c)]
        + [float(manager[f"{c}_{part}"]) for part in ("value", "norm", "contribution")]
        for c in criteria
    ]
    assert len(layout["criteria"]) == len(expected) > 0
    assert all(map(_same_row, layout["criteria"], expected)), layout["criteria"]
    top = next(r for r in range(1, sheet.max_row) if sheet.cell(r, 1).value == "Criteria") + 2
    formats = [c.number_format for c in sheet[top][1:4]]
    assert formats == ["#,##0.00", "0.0%", "0.0"]  # number, share, score


def test_manager_sheet_goals_are_the_managers_goals_of_the_period(
    evaluation: Evaluation, workbook_en: openpyxl.Workbook
) -> None:
    """M0020's goals table: that manager's own goals overlapping the period, from goal_status."""
    status = evaluation.frames()["goal_status"]
    period = evaluation.period
    own = status[
        (status["owner_id"] == "M0020")
        & (status["owner_kind"] == "manager")
        & (status["period_start"] <= period.end_time)
        & (status["period_end"] >= period.start_time)
    ]
    card = manager_cards(evaluation, messages("en"), managers=["M0020"], with_figures=False)[0]
    written = _card_layout(workbook_en["M0020 闫浩然"], card)["card_goals"]
    words = messages("en")
    expected = [
        [
            words.get(f"value.{g.metric}", g.metric),
            *(g.target, g.actual_to_date, g.attainment, g.projection_low, g.projection_high),
            words.get(f"value.{g.status}", g.status),
        ]
        for g in own.sort_values("attainment").itertuples()
    ]
    assert len(written) == len(own) > 0
    assert all(map(_same_row, written, expected)), (written, expected)


def test_card_dates_are_excel_dates(evaluation: Evaluation, workbook_en: openpyxl.Workbook) -> None:
    """The next actions' due dates are date cells (yyyy-mm-dd) equal to the clients' due dates."""
    clients = evaluation.frames()["clients"]
    sheet = workbook_en["M0020 闫浩然"]
    top = next(r for r in range(1, sheet.max_row) if sheet.cell(r, 1).value == "Client ID") + 1
    cells = [c for c in _cells_of(sheet, top, 5, 5) if c.value is not None]
    assert cells and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in cells)
    ids = [c.value for c in _cells_of(sheet, top, 1, len(cells))]
    due = clients.loc[ids, "due_date"].dt.to_pydatetime().tolist()
    assert [c.value for c in cells] == due


# --- charts --------------------------------------------------------------------------


def test_distributions_get_bar_charts(workbook_en: openpyxl.Workbook) -> None:
    """The grade distribution (computed, final) and score distribution sheets hold a bar chart."""
    grades = workbook_en["Grade distribution"]._charts
    scores = workbook_en["Score distribution"]._charts
    assert [type(c).__name__ for c in grades + scores] == ["BarChart", "BarChart"]
    assert [c.type for c in grades + scores] == ["col", "col"]  # upright columns
    assert len(grades[0].series) == 2 and len(scores[0].series) == 1
    assert grades[0].series[1].val.numRef.f == "'Grade distribution'!$C$2:$C$4"
    assert grades[0].series[1].tx.strRef.f == "'Grade distribution'!$C$1"  # "Final"
    assert grades[0].series[0].cat.strRef.f == "'Grade distribution'!$A$2:$A$4"
    # the values a viewer shows before recalculating are the table's
    table = _table(workbook_en["Grade distribution"])
    cached = [point.v for point in grades[0].series[1].val.numRef.numCache.pt]
    assert cached == pytest.approx(table["Final"].astype(float).tolist())
    categories = [point.v for point in grades[0].series[1].cat.strRef.strCache.pt]
    assert categories == table["Grade"].tolist()


def test_charts_are_skipped_without_their_frames(evaluation: Evaluation, tmp_path: Path) -> None:
    """Without the distribution frames the workbook has no chart and no such sheet."""
    plain = _without_frames(evaluation, {"grade_distribution", "score_distribution"})
    book = openpyxl.load_workbook(plain.to_excel(tmp_path / "p.xlsx", language="en"))
    assert "Grade distribution" not in book.sheetnames
    assert all(not book[name]._charts for name in book.sheetnames)


# --- files ---------------------------------------------------------------------------


def test_a_failed_write_leaves_the_previous_file(
    evaluation: Evaluation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error mid-write leaves the earlier workbook as it was and no temporary file."""
    small = _without_frames(evaluation, set(evaluation.frames()) - {"data_quality", "scores"})
    target = small.to_excel(tmp_path / "out" / "evaluation.xlsx")
    before = target.read_bytes()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where a library's temporaries go

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(_excel, "_write_manager_sheet", broken)
    with pytest.raises(RuntimeError, match="disk gone"):
        small.to_excel(target, language="en")
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["evaluation.xlsx"]
    assert list(scratch.iterdir()) == []


def test_a_failed_save_is_an_output_path_error(
    evaluation: Evaluation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operating system's error while saving reads as a path problem, and nothing is left."""
    small = _without_frames(evaluation, set(evaluation.frames()) - {"data_quality"})

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("zipfile.ZipFile.write", full_disk)
    monkeypatch.setattr("zipfile.ZipFile.writestr", full_disk)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(OutputPathError, match=r"No space left on device.*free disk space"):
        small.to_excel(tmp_path / "out" / "evaluation.xlsx")
    assert list((tmp_path / "out").iterdir()) == [] and list(scratch.iterdir()) == []


def test_only_xlsx_files_are_written(evaluation: Evaluation, tmp_path: Path) -> None:
    """A name not ending in .xlsx, or a folder, is refused with the fix in the message."""
    with pytest.raises(OutputPathError, match=r"does not end in \.xlsx.*evaluation\.xlsx"):
        evaluation.to_excel(tmp_path / "evaluation.xls")
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(OutputPathError, match="is a folder"):
        evaluation.to_excel(tmp_path / "folder.xlsx")


def test_every_sample_column_and_frame_has_words(evaluation: Evaluation) -> None:
    """Each frame has a title and an about line, each column a label (segments excepted)."""
    segments = set(evaluation.frames()["clients"]["segment"].cat.categories)
    for language in ("zh", "en"):
        words = messages(language)
        for name, frame in evaluation.frames().items():
            assert f"frame.{name}" in words.entries, (language, name)
            assert f"frame_about.{name}" in words.entries, (language, name)
            for column in [*_flat(frame).columns]:
                if column in segments:
                    continue  # the migration matrix's columns are named by data
                labelled = f"column.{column}" in words.entries or any(
                    pattern.fullmatch(str(column)) for pattern, _ in _messages.COLUMN_PATTERNS
                )
                assert labelled, (language, name, column)


def test_a_manager_workbook_holds_the_about_sheet_and_the_card(
    evaluation: Evaluation, workbook_en: openpyxl.Workbook, tmp_path: Path
) -> None:
    """write_manager_excel: About, then the manager's sheet exactly as the full workbook has it."""
    book = openpyxl.load_workbook(
        _excel.write_manager_excel(evaluation, "M0020", tmp_path / "m.xlsx", language="en")
    )
    assert book.sheetnames == ["About", "M0020 闫浩然"]
    about = _table(book["About"], top=8).iloc[:-2]
    assert about["Sheet"].tolist() == ["M0020 闫浩然"]
    alone, full = book["M0020 闫浩然"], workbook_en["M0020 闫浩然"]
    assert list(alone.iter_rows(values_only=True)) == list(full.iter_rows(values_only=True))
    widths = {key: dimension.width for key, dimension in alone.column_dimensions.items()}
    assert widths == {key: dimension.width for key, dimension in full.column_dimensions.items()}
    with pytest.raises(am_analytics.AmAnalyticsError, match="did you mean"):
        _excel.write_manager_excel(evaluation, "M002", tmp_path / "n.xlsx")
    assert not (tmp_path / "n.xlsx").exists()
