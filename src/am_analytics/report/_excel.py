"""An evaluation as one Excel workbook: an About sheet, a sheet per frame, a sheet per manager.

Written with XlsxWriter, which writes a workbook several times faster than
openpyxl (the library still reads workbooks with openpyxl), in its
``constant_memory`` mode: each row goes to a temporary file as soon as the next
one starts, so a sheet of a million rows never sits in memory, and the rows are
written top to bottom, left to right. The cells (typed, number formats,
neutralised text, widths) are made by :mod:`._excel_cells`; this module lays
out the sheets, the charts and the About sheet, and saves the file atomically.
Text is always written with ``write_string``, so no text ever becomes a
formula, a number or a link. Every word (sheet names, headers, titles) comes
from the message catalogue.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
from xlsxwriter import Workbook  # type: ignore[import-untyped]
from xlsxwriter.exceptions import FileCreateError  # type: ignore[import-untyped]

from ..errors import OutputPathError
from ..io._writing import _output_errors, check_output_file, replacing_file
from ._cards import Card, manager_cards
from ._excel_cells import (
    DAY,
    GENERAL,
    Cells,
    Table,
    card_facts,
    card_table,
    column_width,
    excel_serials,
    frame_table,
    safe_texts,
    text_cells,
)
from ._messages import Messages, column_label, messages

if TYPE_CHECKING:
    from ..evaluation import Evaluation

#: Excel's limit on the length of a sheet name.
SHEET_NAME_LIMIT: Final = 31
#: Characters Excel refuses in a sheet name.
SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")

#: XlsxWriter's options: rows streamed to temporary files, and text never taken for a
#: formula, a number or a link (``write_string`` never does; this holds for any other
#: call too).
WORKBOOK_OPTIONS: Final = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

#: The charts drawn beside a frame's table: frame -> (category column, value columns, key).
CHARTS: Final = {
    "grade_distribution": ("grade", ("computed", "final"), "chart_grades"),
    "score_distribution": ("band_start", ("managers",), "chart_scores"),
}

#: The XlsxWriter method writing each kind of cells; every other kind is a number.
WRITE_METHODS: Final = {"bool": "write_boolean", "text": "write_string"}


def write_excel(evaluation: Evaluation, path: str | Path, *, language: str | None = None) -> Path:
    """Write an evaluation as an Excel workbook at ``path``, replacing it atomically.

    Parameters
    ----------
    evaluation
        The :class:`~am_analytics.Evaluation` to write.
    path
        The ``.xlsx`` file to write; an existing one is replaced whole, and a
        failed write leaves it as it was.
    language
        ``"zh"`` or ``"en"``: the words of the sheet names, headers and
        titles; default: the evaluation's ``config.language``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigError
        For a language without a catalogue.
    OutputPathError
        If ``path`` does not end in ``.xlsx``, is a folder, or cannot be written.

    Notes
    -----
    The sheets, in order: ``说明`` / ``About`` (period, previous period,
    as_of, library version, and a row per sheet: what it holds, or why a
    section is absent); one sheet per frame of the present sections, in
    section order, titled from the catalogue (``frame.<name>``), the frame's
    index (ids) as the first columns, a bold frozen header and an autofilter;
    then one sheet per manager card of the HTML report (``M0020 闫浩然``, best
    rank first): the card's facts (score, grade, rank and its interval,
    movement, readiness) and its tables (criteria, goals of the period, skill
    gaps, recommended training, next actions), each under a bold title.
    ``grade_distribution`` and ``score_distribution`` get a column chart
    beside their table.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> from am_analytics import EvaluationConfig, evaluate, load_sample
    >>> evaluation = evaluate(load_sample(), config=EvaluationConfig(sensitivity_draws=100))
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "evaluation.xlsx"
    >>> book = openpyxl.load_workbook(write_excel(evaluation, target, language="en"))
    >>> book.sheetnames[:3]
    ['About', 'Data quality', 'Rejected rows']
    >>> book["Scores"]["B1"].value, book["Scores"]["B2"].value
    ('Name', '闫浩然')
    >>> book["M0020 闫浩然"]["A1"].value, book["M0020 闫浩然"]["B1"].value
    ('Name', '闫浩然')
    """
    words = messages(language or evaluation.config.language)
    frames = evaluation.frames()
    tables = {name: frame_table(name, frame, words) for name, frame in frames.items()}
    cards = _cards(evaluation, words, managers=None)
    names = _unique_sheet_names(
        [words("excel.about_sheet")]
        + [table.title for table in tables.values()]
        + [_card_sheet_name(card) for card in cards]
    )
    frame_sheets = dict(zip(tables, names[1 : 1 + len(tables)], strict=True))
    card_sheets = names[1 + len(tables) :]

    def fill(book: _Book) -> None:
        about = _contents(evaluation, words, frame_sheets, card_sheets, tables)
        _write_about(book, names[0], evaluation, words, about)
        for name, table in tables.items():
            _write_frame_sheet(book, frame_sheets[name], table, words)
        for sheet_name, card in zip(card_sheets, cards, strict=True):
            _write_manager_sheet(book, sheet_name, card, words)

    return _write_workbook(path, fill)


def write_manager_excel(
    evaluation: Evaluation, manager_id: str, path: str | Path, *, language: str | None = None
) -> Path:
    """Write one manager's card as an Excel workbook at ``path``, replacing it atomically.

    The About sheet and the manager's sheet, laid out as in
    :func:`write_excel`: the manager's own review pack. A manager scored but
    not active has no card, and the workbook holds the About sheet only.

    Raises
    ------
    AmAnalyticsError
        If ``manager_id`` was not evaluated (the message suggests close ids).
    ConfigError
        For a language without a catalogue.
    OutputPathError
        If ``path`` does not end in ``.xlsx``, is a folder, or cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> from am_analytics import EvaluationConfig, evaluate, load_sample
    >>> evaluation = evaluate(load_sample(), config=EvaluationConfig(sensitivity_draws=100))
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "M0020.xlsx"
    >>> book = openpyxl.load_workbook(write_manager_excel(evaluation, "M0020", target))
    >>> book.sheetnames, book["M0020 闫浩然"]["B2"].value
    (['说明', 'M0020 闫浩然'], 'M0020')
    """
    words = messages(language or evaluation.config.language)
    evaluation.manager(manager_id)  # an unknown manager fails before any writing
    cards = _cards(evaluation, words, managers=[manager_id])
    names = _unique_sheet_names(
        [words("excel.about_sheet")] + [_card_sheet_name(card) for card in cards]
    )

    def fill(book: _Book) -> None:
        about = _contents(evaluation, words, {}, names[1:], {})
        _write_about(book, names[0], evaluation, words, about)
        for sheet_name, card in zip(names[1:], cards, strict=True):
            _write_manager_sheet(book, sheet_name, card, words)

    return _write_workbook(path, fill)


def _cards(
    evaluation: Evaluation, words: Messages, *, managers: list[str] | None
) -> tuple[Card, ...]:
    """The manager cards of the HTML report, without their figures (none without scores)."""
    if "scores" not in evaluation.frames():
        return ()
    return manager_cards(evaluation, words, managers=managers, with_figures=False)


def _card_sheet_name(card: Card) -> str:
    """The wanted name of a manager's sheet: id and name (``M0020 闫浩然``)."""
    return f"{card.manager_id} {card.name}"


# --- the workbook ----------------------------------------------------------------------


class _Book:
    """An XlsxWriter workbook and its cell formats, each format made once."""

    def __init__(self, path: Path, *, scratch: str) -> None:
        self.workbook = Workbook(str(path), {**WORKBOOK_OPTIONS, "tmpdir": scratch})
        self.bold = self.workbook.add_format({"bold": True})
        self.title = self.workbook.add_format({"bold": True, "font_size": 12})
        self.heading = self.workbook.add_format({"bold": True, "font_size": 14})
        self._number_formats: dict[str, Any] = {}

    def sheet(self, name: str) -> Any:
        """A new sheet named ``name`` (valid and unique: see :func:`_unique_sheet_names`)."""
        return self.workbook.add_worksheet(name)

    def number_format(self, number_format: str | None) -> Any:
        """The cell format of ``number_format`` (None for ``General``, Excel's default)."""
        if number_format is None or number_format == GENERAL:
            return None
        if number_format not in self._number_formats:
            made = self.workbook.add_format({"num_format": number_format})
            self._number_formats[number_format] = made
        return self._number_formats[number_format]

    def close(self) -> None:
        """Write the file; an operating system's error is raised as itself."""
        try:
            self.workbook.close()
        except FileCreateError as exc:
            # XlsxWriter wraps the OSError: unwrapped, it reads as a path problem
            cause = exc.args[0] if exc.args else exc
            raise cause from None

    def discard(self) -> None:
        """Close the sheets' streams of a failed write (their folder is removed after)."""
        for sheet in self.workbook.worksheets():
            # XlsxWriter closes them only in close(); a stream the failure left half
            # closed must not hide the error that brought us here
            with contextlib.suppress(Exception):
                sheet._opt_close()


def _write_workbook(path: str | Path, fill: Callable[[_Book], None]) -> Path:
    """Fill a workbook and save it at ``path`` atomically (``.xlsx`` only)."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise OutputPathError(
            f"{target} does not end in .xlsx; an Excel workbook is written as .xlsx: "
            f"give a name such as {target.with_suffix('.xlsx').name}",
            path=str(target),
        )
    check_output_file(target)
    with (
        replacing_file(target) as temporary,
        _output_errors(target),
        # the sheets' streams and XlsxWriter's parts, removed whatever happens
        tempfile.TemporaryDirectory(prefix="am-analytics-xlsx-") as scratch,
    ):
        book = _Book(temporary, scratch=scratch)
        try:
            fill(book)
            book.close()
        except BaseException:
            book.discard()
            raise
    return target


# --- sheet names ---------------------------------------------------------------------


def _unique_sheet_names(wanted: Sequence[str]) -> list[str]:
    """Valid, unique sheet names: forbidden characters replaced, 31 characters at most.

    Excel compares names without case, so ``Scores`` and ``scores`` clash; a
    repeated name gets `` (2)``, `` (3)``, ... within the limit.

    Examples
    --------
    >>> _unique_sheet_names(["a/b", "A/B", "x" * 40])
    ['a_b', 'A_B (2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    taken: set[str] = set()
    names = []
    for name in wanted:
        clean = SHEET_NAME_FORBIDDEN.sub("_", name).strip().strip("'") or "_"
        candidate = clean[:SHEET_NAME_LIMIT].rstrip().strip("'") or "_"
        repeat = 1
        while candidate.casefold() in taken:
            repeat += 1
            suffix = f" ({repeat})"
            candidate = clean[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


# --- cells ---------------------------------------------------------------------------


def _write_cells(
    book: _Book,
    sheet: Any,
    columns: Sequence[Cells],
    *,
    first_row: int,
    row_count: int,
    first_column: int = 0,
) -> None:
    """Write columns of typed cells from ``first_row`` down (None stays an empty cell).

    Row by row, left to right: a streamed sheet keeps only the row being written.
    """
    writers = [
        (
            getattr(sheet, WRITE_METHODS.get(cells.kind, "write_number")),
            cells.values,
            book.number_format(cells.number_format),
        )
        for cells in columns
    ]
    for offset in range(row_count):
        row = first_row + offset
        for column, (write, values, cell_format) in enumerate(writers, start=first_column):
            value = values[offset]
            if value is not None:
                write(row, column, value, cell_format)


def _write_labels(sheet: Any, row: int, labels: Sequence[str], cell_format: Any) -> None:
    """A row of text cells in ``cell_format`` (neutralised already: see :func:`safe_texts`)."""
    for column, label in enumerate(labels):
        sheet.write_string(row, column, label, cell_format)


def _set_widths(sheet: Any, widths: Sequence[float]) -> None:
    """Set the column widths, in characters."""
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)


# --- sheets --------------------------------------------------------------------------


def _write_frame_sheet(book: _Book, sheet_name: str, table: Table, words: Messages) -> None:
    """One frame on its sheet: bold frozen header, autofilter, ids frozen on the left."""
    sheet = book.sheet(sheet_name)
    _set_widths(sheet, table.widths)
    sheet.freeze_panes(1, table.id_columns)
    if table.labels:
        sheet.autofilter(0, 0, table.row_count, len(table.labels) - 1)
    _write_labels(sheet, 0, table.labels, book.bold)
    _write_cells(book, sheet, table.columns, first_row=1, row_count=table.row_count)
    if table.name in CHARTS:
        _add_chart(book, sheet, sheet_name, table, words)


def _add_chart(book: _Book, sheet: Any, sheet_name: str, table: Table, words: Messages) -> None:
    """A column chart of a distribution beside its table (skipped when a column is missing)."""
    category, series, key = CHARTS[table.name]
    names = table.column_names
    if category not in names or any(s not in names for s in series) or not table.row_count:
        return
    chart = book.workbook.add_chart({"type": "column"})
    last = table.row_count
    categories = names.index(category)
    for name in series:
        column = names.index(name)
        chart.add_series(
            {
                "name": [sheet_name, 0, column],
                "categories": [sheet_name, 1, categories, last, categories],
                "values": [sheet_name, 1, column, last, column],
                # the values the chart shows until the file is recalculated: XlsxWriter
                # reads them from the sheet, which a streamed sheet no longer holds
                "name_data": [table.labels[column]],
                "categories_data": table.columns[categories].values,
                "values_data": table.columns[column].values,
            }
        )
    chart.set_title({"name": words(f"excel.{key}")})
    chart.set_x_axis({"name": column_label(category, words)})
    chart.set_y_axis({"name": words("excel.chart_managers")})
    sheet.insert_chart(1, len(names) + 1, chart)


def _write_about(
    book: _Book, sheet_name: str, evaluation: Evaluation, words: Messages, contents: pd.DataFrame
) -> None:
    """The first sheet: what the workbook describes, and a row per sheet (or absent section)."""
    sheet = book.sheet(sheet_name)
    table = frame_table("about", contents, words)
    as_of = excel_serials(pd.Series([evaluation.as_of]))[0]
    facts = [
        ("excel.period", text_cells([str(evaluation.period)])),
        ("excel.previous_period", text_cells([str(evaluation.previous_period)])),
        ("excel.as_of", Cells([float(as_of)], "day", DAY)),
        ("excel.library_version", text_cells([metadata.version("am-analytics")])),
        ("excel.language", text_cells([words("report.language_name")])),
    ]
    labels = safe_texts([words(key) for key, _ in facts])
    widths = list(table.widths)
    widths[0] = max(widths[0], *(column_width(label, Cells([], "text")) for label in labels))
    _set_widths(sheet, widths)
    sheet.write_string(0, 0, safe_texts([words("report.title")])[0], book.heading)
    for row, (label, (_, value)) in enumerate(zip(labels, facts, strict=True), start=1):
        sheet.write_string(row, 0, label, book.bold)
        _write_cells(book, sheet, [value], first_row=row, row_count=1, first_column=1)
    header = len(facts) + 2  # the title, the facts, a blank row, then the table's header
    sheet.autofilter(header, 0, header + table.row_count, len(table.labels) - 1)
    _write_labels(sheet, header, table.labels, book.bold)
    _write_cells(book, sheet, table.columns, first_row=header + 1, row_count=table.row_count)
    note = safe_texts([words("excel.formula_note")])[0]
    sheet.write_string(header + table.row_count + 2, 0, note)


def _contents(
    evaluation: Evaluation,
    words: Messages,
    frame_sheets: Mapping[str, str],
    card_sheets: Sequence[str],
    tables: Mapping[str, Table],
) -> pd.DataFrame:
    """A row per sheet (and per absent section): sheet, section, frame, rows, contents, notes.

    Without frame sheets (a manager's workbook) only the manager sheets are listed.
    """
    rows: list[tuple[Any, ...]] = []
    for section in evaluation.sections if frame_sheets else ():
        title = words.get(f"section.{section.name}", section.name)
        notes = "; ".join(section.notes)
        if not section.present:
            rows.append(("", title, "", None, section.absent_reason, notes))
        for frame in section.frames:
            about = words.get(f"frame_about.{frame}", "")
            table = tables[frame]
            if table.total_rows > table.row_count:
                cut = words("excel.rows_cut", shown=table.row_count, total=table.total_rows)
                about = f"{about} {cut}".strip()
            rows.append((frame_sheets[frame], title, frame, table.total_rows, about, notes))
    cards = words("excel.manager_cards")
    for name in card_sheets:
        rows.append((name, cards, "", None, words("excel.manager_card_about"), ""))
    columns = ["sheet", "section", "frame", "rows", "contents", "notes"]
    contents = pd.DataFrame(rows, columns=columns).astype({"rows": "Int64"})
    return contents.astype(
        dict.fromkeys(["sheet", "section", "frame", "contents", "notes"], "string")
    )


def _write_manager_sheet(book: _Book, sheet_name: str, card: Card, words: Messages) -> None:
    """A manager's card: the facts, then each table under a bold title, a blank row between."""
    sheet = book.sheet(sheet_name)
    facts = card_facts(card, words)
    tables = [card_table(table, words) for table in card.tables]
    _set_widths(sheet, _card_widths(facts, tables))
    for row, (label, cells) in enumerate(facts):
        if label:
            sheet.write_string(row, 0, label, book.bold)
        # a sentence has no label: it starts in the first column and runs on to the right
        first_column = 1 if label else 0
        _write_cells(book, sheet, cells, first_row=row, row_count=1, first_column=first_column)
    row = len(facts)
    for table in tables:
        row += 1  # a blank row above each table
        sheet.write_string(row, 0, table.title, book.title)
        _write_labels(sheet, row + 1, table.labels, book.bold)
        _write_cells(book, sheet, table.columns, first_row=row + 2, row_count=table.row_count)
        row += 2 + table.row_count
        if table.note:
            sheet.write_string(row, 0, table.note)
            row += 1


def _card_widths(
    facts: Sequence[tuple[str, Sequence[Cells]]], tables: Sequence[Table]
) -> list[float]:
    """The widest of each column over the labelled facts and the tables (sentences run on)."""
    widths: dict[int, float] = {}
    for label, cells in facts:
        if not label:
            continue
        shown = [column_width(label, Cells([], "text"))]
        shown += [column_width("", c) for c in cells]
        for column, width in enumerate(shown):
            widths[column] = max(widths.get(column, 0.0), width)
    for table in tables:
        for column, width in enumerate(table.widths):
            widths[column] = max(widths.get(column, 0.0), width)
    return [widths[column] for column in sorted(widths)]
