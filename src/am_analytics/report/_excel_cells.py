"""Frames and card tables as typed Excel cells: values, number formats, labels, widths.

A frame (or a table of a manager's card) becomes a :class:`Table` of
:class:`Cells`, one per column, ready for XlsxWriter: numbers stay numbers with
a number format chosen from the column's name (:data:`NUMBER_FORMATS`) or, in a
card, from the column's kind (:data:`KIND_FORMATS`); datetimes are Excel serial
day numbers with a date format (what Excel stores for a date); booleans are
booleans; NaN, NA and infinities are empty cells. Text goes through the
neutralisation every CSV of the project gets
(:func:`~am_analytics.io._writing.spreadsheet_safe`): text starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written behind an
apostrophe, and the writer writes it as a string, never as a formula. Headers
come from the message catalogue (``column.<name>``, or a ``column_pattern`` for
columns named by data).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from ..io._formulas import FORMULA_START, neutralise_formulas
from ..io._writing import spreadsheet_safe
from ._messages import Messages, column_label
from ._tables import finite_or_none

if TYPE_CHECKING:
    from ._cards import Card
    from ._tables import Table as CardTable

#: The data rows a sheet can hold: Excel's 1,048,576 rows less the header.
MAX_ROWS: Final = 1_048_575
#: Excel's limit on the text of one cell.
CELL_TEXT_LIMIT: Final = 32767
#: The widest a column is made, in characters (a long note wraps in the formula bar).
MAX_WIDTH: Final = 50
#: The narrowest column: room for the autofilter's button.
MIN_WIDTH: Final = 6
#: Control characters an XML file cannot hold (tab, line feed and carriage return it can).
ILLEGAL_CHARACTERS_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

SCORE: Final = "0.0"
MONEY: Final = "#,##0"
PERCENT: Final = "0.0%"
#: A figure already on the 0-100 scale, shown with a percent sign (not multiplied by 100).
PERCENT_POINTS: Final = '0.0"%"'
PROBABILITY_TEST: Final = "0.000"
#: Excel's default format: numbers as they are (ranks, whole or tied).
GENERAL: Final = "General"
RANK: Final = GENERAL
COUNT: Final = "#,##0"
DECIMAL: Final = "#,##0.00"
SIGNED: Final = "+0.0;-0.0"
CHANGE: Final = "+0;-0"
DAY: Final = "yyyy-mm-dd"
DAY_TIME: Final = "yyyy-mm-dd hh:mm"

#: The number format of a numeric column by its name: the first pattern that
#: matches the whole name wins; other integer columns get :data:`COUNT`, other
#: floats :data:`DECIMAL` (goal targets, for one, are money or a rate by metric).
#: Shares, rates, normalised values and probabilities hold fractions (0.25 is
#: 25 %); ``percentile`` holds 0-100 here, like a score, so it is no percentage.
NUMBER_FORMATS: Final = (
    (re.compile(r"p_value|pre_trend_p"), PROBABILITY_TEST),
    (
        re.compile(
            r"share|.+_share|.+_rate|.+_norm|probability_.+|p_same_grade|attainment|pace"
            r"|mismatch_ratio|.+_deviation"
        ),
        PERCENT,
    ),
    (re.compile(r"rank|.+_rank|rank_.+"), RANK),
    (
        re.compile(
            r"score|.+_score|score_.+|.+_contribution|.*percentile.*|potential_index"
            r"|nps|nps_.+|band_start|band_end"
        ),
        SCORE,
    ),
    (
        re.compile(
            r"revenue|revenue_.+|monetary|amount|.+_amount_value|expected_value"
            r"|expected_spend_per_purchase|avg_order_value"
        ),
        MONEY,
    ),
)
#: Frames whose every float column is a fraction (the migration matrix's rows sum to 1).
PERCENT_FRAMES: Final = re.compile(r".+_rates")

#: The number format of a card table's column by its kind (``_tables.Kind``); ``share``
#: holds fractions, ``percent`` a 0-100 figure.
KIND_FORMATS: Final[Mapping[str, str]] = {
    "int": COUNT,
    "number": DECIMAL,
    "score": SCORE,
    "money": MONEY,
    "share": PERCENT,
    "percent": PERCENT_POINTS,
    "signed": SIGNED,
    "change": CHANGE,
    "date": DAY,
}

#: Cells up to which a column's width is measured in plain Python: on a card's few
#: cells a pandas call costs more than the loop it replaces.
FEW_CELLS: Final = 64
#: A text a spreadsheet would run as a formula (the rule of ``io._formulas``).
_FORMULA_START: Final = re.compile(FORMULA_START)

#: Characters that take two columns on screen (CJK, Hangul, full-width forms).
WIDE_CHARACTERS: Final = (
    r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)

#: Excel's day 0 in the 1900 date system; serial 1 is 1900-01-01.
EXCEL_EPOCH: Final = pd.Timestamp("1899-12-31")
#: The last serial before the 29 February 1900 that Excel counts but never was.
EXCEL_LEAP_BUG: Final = 59

#: What a column holds, which says how it is written: ``bool`` as booleans,
#: ``text`` as strings, the others as numbers (``day`` and ``datetime`` are
#: serial day numbers).
CellKind: TypeAlias = Literal["bool", "int", "float", "day", "datetime", "text"]


@dataclass(frozen=True, slots=True)
class Cells:
    """One column of cells.

    Attributes
    ----------
    values
        Python ``bool``, ``int``, ``float`` or ``str`` values, None for an
        empty cell.
    kind
        How the values are written (:data:`CellKind`).
    number_format
        Excel's number format of the cells, or None for ``General``.
    """

    values: list[Any]
    kind: CellKind
    number_format: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A frame, or a table of a manager's card, ready to write on a sheet.

    Attributes
    ----------
    name, title
        The frame's name (``scores``) or the card table's key, and its title
        from the catalogue.
    column_names, labels
        The written columns (index first) and their header labels.
    columns
        The cells of each column, the same number of rows in each (at most
        :data:`MAX_ROWS`).
    widths
        Each column's width in characters.
    id_columns
        How many leading columns are ids (kept in view when scrolling right).
    total_rows
        The frame's rows, those past Excel's limit (or a card's limit) included.
    row_count
        The rows written.
    note
        A line under the table (a card table's "the first 5 of 105 rows").
    """

    name: str
    title: str
    column_names: list[str]
    labels: list[str]
    columns: list[Cells]
    widths: list[float]
    id_columns: int
    total_rows: int
    row_count: int
    note: str = ""


def keeps_index(frame: pd.DataFrame) -> bool:
    """Whether a frame's index is data (named, or labels) rather than row numbers.

    The rule of the CSV and JSON files (``_files.keeps_index``), repeated here
    because the files module calls the workbook writers (a test checks both agree).

    Examples
    --------
    >>> keeps_index(pd.DataFrame({"a": [1]})), keeps_index(pd.DataFrame({"a": [1]}, index=["M1"]))
    (False, True)
    """
    named = any(name is not None for name in frame.index.names)
    return named or not isinstance(frame.index, pd.RangeIndex)


def frame_table(
    name: str, frame: pd.DataFrame, words: Messages, *, index: bool | None = None
) -> Table:
    """A frame's header labels, typed cells and column widths, its index (ids) first.

    ``index`` says whether the index is written (default: :func:`keeps_index`);
    a part of a frame is written as the whole frame is.

    Examples
    --------
    >>> from am_analytics.report import messages
    >>> frame = pd.DataFrame({"score": [81.25, float("nan")], "note": ["=1+1", "ok"]})
    >>> table = frame_table("scores", frame, messages("en"))
    >>> table.labels, table.columns[0].values, table.columns[0].number_format
    (['Score', 'Note'], [81.25, None], '0.0')
    >>> table.columns[1].values
    ["'=1+1", 'ok']
    """
    index = keeps_index(frame) if index is None else index
    total_rows = len(frame)
    frame = frame.iloc[:MAX_ROWS]  # Excel's limit; the About sheet says what was left out
    index_names = [str(n) if n is not None else "" for n in frame.index.names] if index else []
    names = index_names + [str(column) for column in frame.columns]
    safe = spreadsheet_safe(frame, index=index)  # the neutralisation every CSV gets
    percent_frame = PERCENT_FRAMES.fullmatch(name) is not None
    labels, columns = [], []
    for position, column in enumerate(names):
        values, kind = _typed_values(safe.iloc[:, position])
        cells_format = number_format(column, kind, percent_frame=percent_frame)
        labels.append(column_label(column, words))
        columns.append(Cells(values, kind, cells_format))
    first_is_id = not index and bool(names) and names[0].endswith("_id")
    return Table(
        name=name,
        title=safe_texts([words.get(f"frame.{name}", name)])[0],
        column_names=names,
        labels=safe_texts(labels),
        columns=columns,
        widths=[column_width(label, cells) for label, cells in zip(labels, columns, strict=True)],
        id_columns=len(index_names) if index else int(first_is_id),
        total_rows=total_rows,
        row_count=len(frame),
    )


def card_table(table: CardTable, words: Messages) -> Table:
    """A table of a manager's card as cells: formats by column kind, ``value`` words as text.

    The values are the card's own (the frames' values, unrounded); a ``value``
    column is written as its word from the catalogue (``value.ahead``).

    Examples
    --------
    >>> from am_analytics.report import messages
    >>> from am_analytics.report._tables import Column, Table as CardTable
    >>> goals = CardTable(
    ...     "card_goals", "Goals", (Column("status", "Status", "value"),
    ...     Column("attainment", "Attainment", "share")), (("behind", 0.5),), 1)
    >>> cells = card_table(goals, messages("en")).columns
    >>> cells[0].values, cells[1].values, cells[1].number_format
    (['behind'], [0.5], '0.0%')
    """
    by_column = list(zip(*table.rows, strict=True)) or [() for _ in table.columns]
    columns = [
        _card_cells(list(values), column.kind, words)
        for column, values in zip(table.columns, by_column, strict=True)
    ]
    labels = [column.label for column in table.columns]
    return Table(
        name=table.key,
        title=safe_texts([table.title])[0],
        column_names=[column.name for column in table.columns],
        labels=safe_texts(labels),
        columns=columns,
        widths=[column_width(label, cells) for label, cells in zip(labels, columns, strict=True)],
        id_columns=0,
        total_rows=table.total_rows,
        row_count=len(table.rows),
        note=safe_texts([table.note])[0] if table.note else "",
    )


def card_facts(card: Card, words: Messages) -> list[tuple[str, list[Cells]]]:
    """The lines above a manager's tables: ``(label, cells)``, or ``("", [a sentence])``.

    Labelled lines: name, id, team, level, score, grade, rank (and its
    interval), movement (and the score change); then the card's sentences:
    the committee's override, what lifted and held back the score, the
    promotion readiness.
    """
    lines = [
        ("column.name", [text_cells([card.name])]),
        ("column.manager_id", [text_cells([card.manager_id])]),
        ("column.team", [text_cells([card.team])]),
    ]
    if card.level:
        lines.append(("column.level", [text_cells([card.level])]))
    lines += [
        ("column.score", [number_cells([card.score], SCORE)]),
        ("column.grade", [text_cells([card.grade])]),
    ]
    rank = [number_cells([card.rank], RANK)]
    if card.rank_low is not None and card.rank_high is not None:
        low, high = (f"{value:.0f}" for value in (card.rank_low, card.rank_high))
        rank.append(text_cells([words("text.rank_interval", low=low, high=high)]))
    movement = words.get(f"value.{card.movement}", card.movement)
    lines += [
        ("column.rank", rank),
        ("column.movement", [text_cells([movement]), number_cells([card.score_change], SIGNED)]),
    ]
    return [(safe_texts([words(key)])[0], cells) for key, cells in lines] + [
        ("", [text_cells([sentence])]) for sentence in _card_sentences(card, words)
    ]


def _card_sentences(card: Card, words: Messages) -> list[str]:
    """The card's sentences: the committee's override, what lifted and held back, readiness."""
    sentences = []
    if card.computed_grade and card.computed_grade != card.grade:
        override = words(
            "text.override",
            computed=card.computed_grade,
            final=card.grade,
            reason=card.override_reason,
        )
        sentences.append(override)
    if card.lifted_by:
        sentences.append(words("text.lifted_by") + card.lifted_by)
    if card.held_back_by:
        sentences.append(words("text.held_back_by") + card.held_back_by)
    if card.readiness:
        sentences.append(card.readiness)
    return sentences


def text_cells(texts: Sequence[str | None]) -> Cells:
    """A few text cells, neutralised like every other (empty text is an empty cell).

    Examples
    --------
    >>> text_cells(["=1+1", "", None, "ok"]).values
    ["'=1+1", None, None, 'ok']
    """
    return Cells([_safe_text(text) for text in texts], "text")


def _safe_text(text: str | None) -> str | None:
    """One text as a cell: XML's illegal characters dropped, neutralised, Excel's length kept."""
    if not text:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if _FORMULA_START.match(text):
        text = "'" + text
    return text[:CELL_TEXT_LIMIT] or None


def number_cells(numbers: Sequence[object], cells_format: str | None) -> Cells:
    """Number cells with a number format; None, NaN and infinities are empty cells.

    Examples
    --------
    >>> number_cells([0.25, None, float("inf")], PERCENT).values
    [0.25, None, None]
    """
    values = [finite_or_none(number) for number in numbers]
    return Cells(values, "float", cells_format)


def _card_cells(values: list[object], kind: str, words: Messages) -> Cells:
    """A card column's values as cells, by the column's kind."""
    if kind == "date":
        days, _ = _datetimes(pd.Series(pd.to_datetime(pd.Series(values, dtype=object))))
        return Cells(days, "day", DAY)
    if kind in KIND_FORMATS:
        return number_cells(values, KIND_FORMATS[kind])
    if kind == "value":
        return text_cells([None if v is None else words.get(f"value.{v}", str(v)) for v in values])
    return text_cells([None if v is None else str(v) for v in values])


def _typed_values(values: pd.Series) -> tuple[list[Any], CellKind]:
    """A column as Python cell values (None for missing) and its kind.

    NaN, NA, NaT and infinities become None (an empty cell); datetimes become
    Excel serial day numbers.
    """
    if values.dtype == object:
        values = _inferred(values)
    if pd.api.types.is_bool_dtype(values):
        return _objects(values).tolist(), "bool"
    if pd.api.types.is_datetime64_any_dtype(values):
        return _datetimes(values)
    if pd.api.types.is_integer_dtype(values) and not values.hasnans:
        return values.to_numpy(dtype=np.int64).tolist(), "int"
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        cells = numbers.astype(object)
        cells[~np.isfinite(numbers)] = None
        kind: CellKind = "int" if pd.api.types.is_integer_dtype(values) else "float"
        return cells.tolist(), kind
    return _texts(values), "text"


def _objects(values: pd.Series) -> np.ndarray:
    """A column as a writable object array, None where a value is missing."""
    cells = np.array(values.to_numpy(dtype=object), dtype=object)
    cells[values.isna().to_numpy(dtype=bool)] = None
    return cells


def _inferred(values: pd.Series) -> pd.Series:
    """An object column as numbers, booleans or datetimes when it holds only those."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return pd.to_numeric(values)
    if kind == "boolean":
        return values.astype("boolean")
    if kind in ("datetime64", "datetime"):
        return pd.to_datetime(values)
    return values


def _datetimes(values: pd.Series) -> tuple[list[Any], CellKind]:
    """A datetime column as serial day numbers (``"day"`` when no value has a time of day)."""
    if values.dt.tz is not None:  # Excel has no time zones: keep the local wall time
        values = values.dt.tz_localize(None)
    has_time = bool((values.notna() & (values.dt.normalize() != values)).any())
    serials = excel_serials(values)
    cells = serials.astype(object)
    cells[np.isnan(serials)] = None
    return cells.tolist(), "datetime" if has_time else "day"


def excel_serials(values: pd.Series) -> np.ndarray:
    """Naive datetimes as Excel's serial day numbers (1900 date system), NaN for NaT.

    Written as numbers with a date format they are what Excel stores for a
    date, computed for the whole column at once instead of cell by cell.

    Examples
    --------
    >>> days = pd.to_datetime(["1900-01-01 00:00", "1900-03-01 00:00", "2026-10-06 12:00"])
    >>> days = pd.Series(days)
    >>> excel_serials(days).tolist()
    [1.0, 61.0, 46301.5]
    """
    days = ((values - EXCEL_EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    # Excel counts a 29 February 1900 (Lotus 1-2-3's leap year): later days are one more
    return np.where(days > EXCEL_LEAP_BUG, days + 1, days)


def _texts(values: pd.Series) -> list[Any]:
    """A column as text: characters XML cannot hold dropped, Excel's length kept, "" as None."""
    text = values.astype("string")
    illegal = text.str.contains(ILLEGAL_CHARACTERS_RE.pattern, regex=True, na=False)
    if illegal.any():
        # dropping a character can bring a formula start to the front ("\x01=1+1"):
        # what was not neutralised before is neutralised now
        before = text[illegal]
        stripped = before.str.replace(ILLEGAL_CHARACTERS_RE.pattern, "", regex=True)
        was_risky = before.str.contains(FORMULA_START, regex=True, na=False)
        text[illegal] = stripped.where(was_risky, neutralise_formulas(stripped))
    text = text.str.slice(0, CELL_TEXT_LIMIT)
    cells = _objects(text)
    cells[(text == "").fillna(False).to_numpy(dtype=bool)] = None
    return cells.tolist()


def number_format(name: str, kind: str, *, percent_frame: bool = False) -> str | None:
    """The number format of a column by its name and kind (:data:`NUMBER_FORMATS`).

    Examples
    --------
    >>> number_format("sla_breach_rate", "float"), number_format("revenue", "float")
    ('0.0%', '#,##0')
    >>> number_format("score", "float"), number_format("clients", "int")
    ('0.0', '#,##0')
    >>> number_format("due_date", "day"), number_format("name", "text") is None
    ('yyyy-mm-dd', True)
    """
    if kind == "day":
        return DAY
    if kind == "datetime":
        return DAY_TIME
    if kind not in ("int", "float"):
        return None
    if percent_frame and kind == "float":
        return PERCENT
    for pattern, cells_format in NUMBER_FORMATS:
        if pattern.fullmatch(name):
            return cells_format
    return COUNT if kind == "int" else DECIMAL


def column_width(label: str, cells: Cells) -> float:
    """A column's width in characters: its label or widest cell, within the limits.

    Examples
    --------
    >>> column_width("Score", number_cells([81.25], SCORE))
    8.0
    >>> column_width("Note", text_cells(["y" * 80]))  # at most MAX_WIDTH
    50.0
    """
    width = max(text_width(label) + 2, _cells_width(cells))
    return float(min(max(width + 1, MIN_WIDTH), MAX_WIDTH))


def text_width(text: str) -> int:
    """The columns ``text`` takes on screen: two for a CJK character, one for others."""
    return len(text) + len(re.findall(WIDE_CHARACTERS, text))


def _cells_width(cells: Cells) -> int:
    """The widest of a column's cells as shown, in characters."""
    if cells.kind == "day":
        return 10
    if cells.kind == "datetime":
        return 16
    if cells.kind == "bool":
        return 5
    present = [v for v in cells.values if v is not None]
    if not present:
        return 0
    if cells.kind == "text" and len(present) <= FEW_CELLS:
        return max(text_width(text) for text in present)
    if cells.kind == "text":
        text = pd.Series(present, dtype="string")
        shown = text.str.len() + text.str.count(WIDE_CHARACTERS)
        return int(shown.max())
    extremes = (min(present), max(present))
    return max(len(_shown_number(float(v), cells.number_format)) for v in extremes)


def _shown_number(value: float, cells_format: str | None) -> str:
    """A number roughly as Excel shows it with ``cells_format``."""
    shown = {
        PERCENT: "{:.1%}",
        PERCENT_POINTS: "{:.1f}%",
        MONEY: "{:,.0f}",
        COUNT: "{:,.0f}",
        SCORE: "{:.1f}",
        SIGNED: "{:+.1f}",
        CHANGE: "{:+.0f}",
        PROBABILITY_TEST: "{:.3f}",
        DECIMAL: "{:,.2f}",
    }.get(cells_format or "", "{:.10g}")
    return shown.format(value)


def safe_texts(texts: Sequence[str]) -> list[str]:
    """Texts written as cells, neutralised like every other text cell.

    Examples
    --------
    >>> safe_texts(["Score", "=1+1"])
    ['Score', "'=1+1"]
    """
    return [_safe_text(text) or "" for text in texts]
