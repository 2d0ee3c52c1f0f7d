"""Reading CSV with pyarrow: delimiter, malformed rows, quotes left open, failures in words."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Final, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputFileError
from ._encodings import _SNIFF_BYTES, _not_utf8, _open_bytes

#: Cell texts read as missing.
NULL_VALUES: Final = ["", "#N/A", "N/A", "n/a", "NULL", "null", "NaN", "nan", "None", "none"]
_DELIMITERS: Final = (",", "\t", ";", "|")
#: pyarrow's CSV block: a single row (or a quoted cell) may not be longer.
_BLOCK_BYTES: Final = 1 << 24
#: Lines inside one cell that look like records (as many delimiters as the header has,
#: less one) for the cell to be taken for a quote left open; a legitimate address or
#: comment over two or three lines cannot hold this many.
_RUNAWAY_RECORDS: Final = 3
_CLOSE_THE_QUOTE: Final = (
    'Close the quote (write a quote inside a cell as ""), or export the file again'
)
_TIMESTAMP_PARSERS: Final = [pacsv.ISO8601, "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]


def _in_words(exc: Exception) -> str:
    """A reader's failure said as what happened and what to do, for the messages pyarrow
    words in its own terms; other messages as they are."""
    text = str(exc)
    if "magic bytes" in text:
        return (
            "it is not a Parquet file, or it is cut short (a Parquet file ends with the "
            "marker PAR1 and this one does not); export or download it again, completely"
        )
    if "Parquet file size is 0 bytes" in text:
        return "it is empty (0 bytes); export it again"
    if "straddl" in text:
        mib = _BLOCK_BYTES / (1 << 20)
        size = f"{mib:g} MiB" if mib >= 1 else f"{_BLOCK_BYTES:,} bytes"
        return (
            f'a row runs on for more than {size}; most likely a quote (") '
            "opens a cell and is never closed, so the rest of the file reads as one cell. "
            + _CLOSE_THE_QUOTE
        )
    return text


def _header_and_delimiter(path: Path, encoding: str) -> tuple[list[str], str]:
    """The header row's cells and the delimiter that splits it best."""
    text = _first_line(path, encoding)
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: _split_header(first_line, d) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: len(counts[d]))
    return [h.strip() for h in counts[delimiter]], delimiter


def _split_header(line: str, delimiter: str) -> list[str]:
    """The header's cells split at ``delimiter`` (quotes respected), however long they are."""
    if delimiter not in line:
        return [line]
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a cell past the csv module's field limit: not this delimiter
        return [line]


def _first_line(path: Path, encoding: str) -> str:
    """The text up to the end of the first line, however long the line is."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pieces: list[str] = []
    with _open_bytes(path) as handle:
        while chunk := handle.read(_SNIFF_BYTES):
            pieces.append(decoder.decode(chunk, final=False))
            if "\n" in pieces[-1] or "\r" in pieces[-1]:
                break
    return "".join(pieces)


def _arrow_csv(
    path: Path,
    encoding: str,
    delimiter: str,
    column_types: dict[str, pa.DataType],
    headers: list[str],
) -> tuple[pa.Table, pd.DataFrame]:
    """One pyarrow read under our (trimmed) header names; rows with the wrong number
    of fields are set aside."""
    width = len(headers)
    bad: list[tuple[int | None, str, int]] = []

    def keep_aside(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text, row.actual_columns))
        return "skip"

    convert = pacsv.ConvertOptions(
        column_types=column_types,
        null_values=NULL_VALUES,
        strings_can_be_null=True,
        timestamp_parsers=_TIMESTAMP_PARSERS,
    )

    def read(use_threads: bool) -> pa.Table:
        bad.clear()
        try:
            return arrow_read(use_threads)
        except pa.ArrowInvalid as exc:
            if "invalid UTF8" in str(exc):
                raise _not_utf8(path) from None
            raise

    def arrow_read(use_threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                use_threads=use_threads,
                block_size=_BLOCK_BYTES,
                column_names=headers,
                skip_rows=1,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=keep_aside
            ),
            convert_options=convert,
        )

    table = read(use_threads=True)
    if bad and any(number is None for number, _, _ in bad):
        table = read(use_threads=False)  # row numbers are only known single-threaded
    _refuse_runaway_quote(path.name, table, bad, delimiter)
    malformed = pd.DataFrame(
        {
            # pyarrow numbers physical lines from 1 with the header; rows here are 0-based data rows
            "row": [int(cast(int, n)) - 2 for n, _, _ in bad],
            "value": [text[:200] for _, text, _ in bad],
            "reason": [
                f"row has {fields} fields but the header has {width}; "
                "check the delimiter and quoting of this row"
                for _, _, fields in bad
            ],
        }
    )
    return table, malformed


def _refuse_runaway_quote(
    label: str, table: pa.Table, bad: list[tuple[int | None, str, int]], delimiter: str
) -> None:
    """Raise if a quote left open has read the records after it into one cell.

    pyarrow reads on to the next quote in the file, so the rows swallowed are
    silently lost (or, with the swallowing row, counted as one malformed row).
    """
    # At most 1000 repeats: the regex engine's limit; far more than a sentence holds.
    needed = min(max(len(table.column_names) - 1, 1), 1000)
    record_lines = f"\\n(?:[^\\n{delimiter}]*[{delimiter}]){{{needed}}}"
    for name, cells in zip(table.column_names, table.columns, strict=True):
        if not pa.types.is_large_string(cells.type) or not _has_line_break(cells):
            continue
        breaks = pc.fill_null(pc.match_substring(cells, "\n"), False)
        candidates = np.flatnonzero(breaks.to_numpy(zero_copy_only=False))
        records = pc.count_substring_regex(cells.take(candidates), record_lines)
        hits = np.flatnonzero(records.to_numpy(zero_copy_only=False) >= _RUNAWAY_RECORDS)
        if hits.size:
            position = candidates[hits[0]]
            skipped = np.array([cast(int, n) - 2 for n, _, _ in bad], dtype=np.int64)
            row = _surviving_rows(table.num_rows, skipped)[position]
            raise _runaway_quote(label, int(row) + 1, name, cells[int(position)].as_py())
    # A quote never closed takes the row to the end of the file: it is one malformed row.
    texts = pa.array([text for _, text, _ in bad], pa.large_string())
    hits = np.flatnonzero(
        pc.count_substring_regex(texts, record_lines).to_numpy() >= _RUNAWAY_RECORDS
    )
    if hits.size:
        number, text, _ = bad[hits[0]]
        quote = max(text.find('"'), 0)
        name = table.column_names[min(text[:quote].count(delimiter), len(table.column_names) - 1)]
        raise _runaway_quote(label, cast(int, number) - 1, name, text[quote + 1 :])


def _has_line_break(cells: pa.ChunkedArray) -> bool:
    """Whether any cell may hold a line break: a byte search of the text buffers, so
    a clean file costs a few milliseconds a million rows."""
    return any(
        chunk.buffers()[2] is not None and b"\n" in chunk.buffers()[2].to_pybytes()
        for chunk in cells.chunks
    )


def _runaway_quote(label: str, row: int, column: str, cell: str) -> InputFileError:
    """The error for a quote opened in (row, column) that swallowed the lines after it."""
    lines = cell.rstrip("\r\n").count("\n")
    return InputFileError(
        f'{label} row {row}, column {column!r}: a quote (") opens this cell and is not '
        f"closed at its end, so the next {lines:,} lines of the file read as part of this "
        f"one cell, which begins {cell[:40]!r}. " + _CLOSE_THE_QUOTE,
        source=label,
    )


def _surviving_rows(kept: int, skipped_rows: np.ndarray) -> pd.Index:
    """0-based data rows of the kept rows, given the rows that were set aside."""
    all_rows = np.arange(kept + len(skipped_rows))
    return pd.Index(np.setdiff1d(all_rows, skipped_rows, assume_unique=True))
