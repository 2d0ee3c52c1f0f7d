"""Reading table files: CSV (any common encoding), Excel workbooks and Parquet.

A dataset folder holds one file per table, named after the table
(``sales.csv``, ``sales.csv.gz``, ``sales.parquet``, ``sales.xlsx``; the names
of :func:`~am_analytics.io.aliases.table_for_name` such as ``订单.csv`` work
too), or one workbook with a sheet per table. Files that name no table are
left alone.

CSV files are read with pyarrow. The encoding (UTF-8, UTF-8 with BOM, UTF-16
with BOM, GB18030/GBK) and the delimiter (``,``, tab, ``;`` or ``|``) are
detected. Columns are first read straight into their canonical types (the fast
path, for clean exports); if any cell does not convert, the typed columns are
read again as text and go through the forgiving readers of
:mod:`am_analytics.io.parsing`. Rows with the wrong number of fields are kept
aside as malformed rows with their row numbers. A quote that opens a cell and is
not closed, so that the records after it read as part of that cell, is an
error naming the row and column where it opens.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputFileError
from ..schemas import TABLES, column_kinds
from .aliases import map_headers, normalize_header, table_for_name

__all__ = ["RawTable", "Source", "find_sources", "read_source", "read_text_table"]

CSV_SUFFIXES: Final = (".csv", ".csv.gz", ".csv.bz2", ".txt", ".tsv")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
PARQUET_SUFFIXES: Final = (".parquet", ".pq")

#: Cell texts read as missing.
NULL_VALUES: Final = ["", "#N/A", "N/A", "n/a", "NULL", "null", "NaN", "nan", "None", "none"]
_DELIMITERS: Final = (",", "\t", ";", "|")
_SNIFF_BYTES: Final = 1 << 16
_SCAN_CHUNK: Final = 1 << 23
#: pyarrow's CSV block: a single row (or a quoted cell) may not be longer.
_BLOCK_BYTES: Final = 1 << 24
#: Lines inside one cell that look like records (as many delimiters as the header has,
#: less one) for the cell to be taken for a quote left open; a legitimate address or
#: comment over two or three lines cannot hold this many.
_RUNAWAY_RECORDS: Final = 3
_CLOSE_THE_QUOTE: Final = (
    'Close the quote (write a quote inside a cell as ""), or export the file again'
)

_FAST_TYPES: Final[dict[str, pa.DataType]] = {
    "date": pa.timestamp("ns"),
    "money": pa.float64(),
    "number": pa.float64(),
    "probability": pa.float64(),
    "integer": pa.int64(),
}
_TIMESTAMP_PARSERS: Final = [pacsv.ISO8601, "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]


@dataclass(frozen=True)
class Source:
    """Where a table comes from: a file, and for workbooks the sheet."""

    path: Path
    table: str
    sheet: str | None = None

    @property
    def label(self) -> str:
        """The name used in messages and rejects: ``sales.csv`` or ``book.xlsx[sales]``."""
        return self.path.name if self.sheet is None else f"{self.path.name}[{self.sheet}]"


@dataclass
class RawTable:
    """A table as read from its source, before validation.

    ``frame`` has canonical names for the recognised headers (the others keep
    theirs); its index is the 0-based data row in the source, so ``index + 1``
    is the row number users see in rejects.
    """

    frame: pd.DataFrame
    source: str
    headers: list[str]
    columns: dict[str, str]
    sha256: str | None = None
    encoding: str | None = None
    malformed: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"row": [], "value": [], "reason": []})
    )
    conflicts: list[str] = field(default_factory=list)
    #: For a table combined from several sources: each row's name in messages
    #: (``"Deals_2.csv row 5"``), by 0-based position.
    row_names: np.ndarray | None = None

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, table: str, source: str, **details: Any
    ) -> RawTable:
        """Wrap a frame as read, giving its recognised headers their canonical names.

        Headers that claim one column twice are kept as they are and reported in
        ``conflicts``, which validation turns into an error.
        """
        headers = [str(c) for c in frame.columns]
        mapping, conflicts = map_headers(table, headers)
        if not conflicts:
            frame = frame.rename(columns=mapping)
        return cls(frame, source, headers, mapping, conflicts=conflicts, **details)

    @property
    def rows_read(self) -> int:
        """Data rows in the source, malformed ones included."""
        return len(self.frame) + len(self.malformed)


def file_kind(path: Path) -> str | None:
    """'csv', 'excel', 'parquet' or None, from the file name."""
    name = path.name.lower()
    for kind, suffixes in (
        ("csv", CSV_SUFFIXES),
        ("excel", EXCEL_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    return None


def file_stem(path: Path) -> str:
    """The file name without its table-file suffixes (``sales.csv.gz`` -> ``sales``)."""
    name = path.name
    for suffix in sorted(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def find_sources(directory: str | Path) -> dict[str, Source]:
    """The source of each table found in a dataset folder (or a single workbook).

    Raises
    ------
    InputFileError
        The path does not exist, or two files claim the same table.

    Examples
    --------
    >>> from am_analytics.sample import sample_dir
    >>> sources = find_sources(sample_dir())
    >>> sources["sales"].label, list(sources)[:3]
    ('sales.csv', ['managers', 'clients', 'sales'])
    """
    path = Path(directory)
    if not path.exists():
        raise InputFileError(f"{path} does not exist", source=str(path))
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    found: dict[str, list[Source]] = {}
    for file in files:
        for source in _sources_in(file, single=path.is_file()):
            found.setdefault(source.table, []).append(source)
    clashes = {t: s for t, s in found.items() if len(s) > 1}
    if clashes:
        lines = [f"{t}: {', '.join(s.label for s in ss)}" for t, ss in clashes.items()]
        raise InputFileError(
            f"more than one source for the same table in {path} ({'; '.join(lines)}); "
            "keep one file per table",
            source=str(path),
        )
    return {table: found[table][0] for table in TABLES if table in found}


def _sources_in(file: Path, *, single: bool) -> Iterator[Source]:
    """The tables one file provides."""
    kind = file_kind(file)
    if kind is None:
        return
    table = table_for_name(file_stem(file))
    if kind != "excel":
        if table is not None:
            yield Source(file, table)
        return
    sheets = _sheet_names(file)
    by_sheet = {s: table_for_name(s) for s in sheets}
    if table is not None and (len(sheets) == 1 or table not in by_sheet.values()):
        # sales.xlsx: its (first) sheet is the sales table, whatever the sheet is called.
        yield Source(file, table, sheets[0])
        return
    if table is None or single:
        for sheet, sheet_table in by_sheet.items():
            if sheet_table is not None:
                yield Source(file, sheet_table, sheet)


def _sheet_names(file: Path) -> list[str]:
    """The sheet names of a workbook, or an InputFileError if it is not one."""
    import openpyxl  # imported here: only Excel users pay for it

    try:
        workbook = openpyxl.load_workbook(file, read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputFileError(
            f"{file.name} is not a readable Excel workbook ({exc}); "
            "save it again as .xlsx, or export CSV",
            source=str(file),
        ) from None
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_source(source: Source) -> RawTable:
    """Read one table's source into a :class:`RawTable` with canonical headers.

    Raises
    ------
    InputFileError
        The file cannot be read as a table.

    Examples
    --------
    >>> from am_analytics.sample import sample_dir
    >>> raw = read_source(find_sources(sample_dir())["clients"])
    >>> raw.encoding, raw.rows_read, raw.columns["client_id"]
    ('utf-8', 2000, 'client_id')
    """
    kind = file_kind(source.path)
    reader = {"csv": _read_csv, "excel": _read_excel, "parquet": _read_parquet}[str(kind)]
    # hashlib releases the GIL: the file is hashed while it is being parsed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_of, source.path)
        with _read_errors(source):
            raw = reader(source)
        raw.sha256 = digest.result()
    return raw


@contextmanager
def _read_errors(source: Source) -> Iterator[None]:
    """Turn the readers' failures on a file that is not a table into an InputFileError."""
    try:
        yield
    except InputFileError:
        raise
    except (pa.ArrowException, OSError, ValueError, zipfile.BadZipFile, UnicodeError) as exc:
        raise InputFileError(
            f"{source.label} cannot be read as a table: {_in_words(exc)}", source=source.label
        ) from None


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


def _check_headers(headers: list[str], source: Source) -> None:
    """Reject blank and repeated headers, which make columns ambiguous."""
    seen: dict[str, int] = {}
    for header in headers:
        seen[normalize_header(header)] = seen.get(normalize_header(header), 0) + 1
    repeated = [h for h, n in seen.items() if n > 1 and h]
    if repeated:
        raise InputFileError(
            f"{source.label} has repeated column headers ({', '.join(repeated)}); "
            "rename or remove the copies",
            source=source.label,
        )


# --- CSV ---------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV file: utf-8, utf-8-sig, utf-16 or gb18030.

    Byte-order marks decide at once. Otherwise the file is scanned for its first
    non-ASCII bytes, which are tried as UTF-8 and then as GB18030 (a superset of
    GBK and GB2312).

    Raises
    ------
    InputFileError
        The file is empty, binary, or in none of those encodings.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "clients.csv"
    >>> _ = path.write_bytes("客户编号,负责人\\nC1,M1\\n".encode("gbk"))
    >>> detect_encoding(path)
    'gb18030'
    """
    with _open_bytes(path) as handle:
        head = handle.read(_SNIFF_BYTES)
        if not head.strip(b" \r\n\t\xef\xbb\xbf"):
            raise InputFileError(
                f"{path.name} is empty; export the table again with its header row",
                source=path.name,
            )
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in head:
            raise InputFileError(
                f"{path.name} is not a text file (it holds NUL bytes); "
                "check that it is the CSV export and not a workbook or an archive",
                source=path.name,
            )
        chunk = head
        while chunk:
            if not chunk.isascii():
                return _utf8_or_gb18030(chunk + handle.read(4), path)
            chunk = handle.read(_SCAN_CHUNK)
    return "utf-8"


def _open_bytes(path: Path):  # type: ignore[no-untyped-def]
    """Open a possibly compressed file for reading bytes."""
    name = path.name.lower()
    if name.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")
    return path.open("rb")


def _utf8_or_gb18030(chunk: bytes, path: Path) -> str:
    """Decide between UTF-8 and GB18030 on a chunk holding non-ASCII bytes.

    A chunk that is mostly UTF-8 but holds bytes that are not mixes two
    encodings: it is an error naming the place, not a guess. (GBK text has
    stray byte pairs that happen to be UTF-8, hence "mostly".)
    """
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(chunk, final=False)
        except UnicodeDecodeError:
            if encoding == "utf-8" and _mostly_utf8(chunk):
                raise _not_utf8(path) from None
            continue
        return encoding
    raise InputFileError(
        f"{path.name} is neither UTF-8 nor GBK/GB18030 text; "
        "save it again as CSV UTF-8 (Excel: Save As > CSV UTF-8)",
        source=path.name,
    )


def _mostly_utf8(chunk: bytes) -> bool:
    """Whether more non-ASCII characters decode as UTF-8 than fail to."""
    text = chunk.decode("utf-8", errors="replace")
    failed = text.count("\ufffd")
    ascii_chars = len(text.encode("ascii", errors="ignore"))
    return len(text) - ascii_chars - failed > failed


def _not_utf8(path: Path) -> InputFileError:
    """The error for a UTF-8 file with bytes that are not UTF-8: which line, which byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = lines = 0
    with _open_bytes(path) as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                offset = consumed - len(pending) + exc.start
                line = lines + data.count(b"\n", 0, exc.start) + 1
                text = data[data.rfind(b"\n", 0, exc.start) + 1 :].split(b"\n", 1)[0]
                break
            consumed += len(chunk)
            lines += chunk.count(b"\n")
        else:
            return InputFileError(f"{path.name} is not valid UTF-8 text", source=path.name)
    try:
        shown = f"; as GBK/GB18030 it reads {text.decode('gb18030').strip()[:80]!r}"
    except UnicodeDecodeError:
        shown = ""
    return InputFileError(
        f"{path.name} is UTF-8 text, but line {line} (byte offset {offset}) is not UTF-8{shown}. "
        "A file in two encodings cannot be read safely (a line saved as GBK in a UTF-8 "
        "export?): fix that line, or save the whole file again as CSV UTF-8",
        source=path.name,
    )


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


def _read_csv(source: Source) -> RawTable:
    """Read a CSV table: typed in one pass when clean, else text then forgiving readers."""
    path = source.path
    encoding = detect_encoding(path)
    headers, delimiter = _header_and_delimiter(path, encoding)
    _check_headers(headers, source)
    mapping, _ = map_headers(source.table, headers)
    kinds = column_kinds(source.table)
    typed = {h: _FAST_TYPES[kinds[c]] for h, c in mapping.items() if kinds[c] in _FAST_TYPES}
    # large_string is what pandas' str dtype holds: no conversion copy afterwards.
    text_types = {h: pa.large_string() for h in headers}

    def unreadable(exc: Exception) -> InputFileError:
        return InputFileError(
            f"{source.label} cannot be read as {encoding} CSV with delimiter {delimiter!r}: "
            + _in_words(exc),
            source=source.label,
        )

    try:
        table, malformed = _arrow_csv(path, encoding, delimiter, {**text_types, **typed}, headers)
    except pa.ArrowInvalid as exc:
        if "conversion error" not in str(exc):
            raise unreadable(exc) from None
        # A cell does not fit its column's type: read text, for the forgiving readers.
        try:
            table, malformed = _arrow_csv(path, encoding, delimiter, text_types, headers)
        except pa.ArrowInvalid as exc:
            raise unreadable(exc) from None
    frame = table.to_pandas()
    if len(malformed):
        frame.index = _surviving_rows(len(frame), malformed["row"].to_numpy())
    return RawTable.from_frame(
        frame, table=source.table, source=source.label, encoding=encoding, malformed=malformed
    )


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


def read_text_table(
    path: Path, *, sheet: str | None = None
) -> tuple[pd.DataFrame, str | None, pd.DataFrame]:
    """A file's cells as text under its headers as written: (frame, encoding, malformed rows).

    For sources whose headers are not canonical (CRM exports): nothing is
    renamed or typed. The frame's index is the 0-based data row; ``malformed``
    holds the rows with the wrong number of fields. Parquet columns keep their
    types.

    Raises
    ------
    InputFileError
        The file cannot be read as a table.
    """
    source = Source(path, "", sheet)
    kind = file_kind(path)
    with _read_errors(source):
        if kind == "parquet":
            frame = pq.read_table(path).to_pandas(ignore_metadata=True)
            _check_headers([str(c) for c in frame.columns], source)
            return frame, None, pd.DataFrame({"row": [], "value": [], "reason": []})
        if kind == "excel":
            return _excel_frame(source), None, pd.DataFrame({"row": [], "value": [], "reason": []})
        encoding = detect_encoding(path)
        headers, delimiter = _header_and_delimiter(path, encoding)
        _check_headers(headers, source)
        text_types = {h: pa.large_string() for h in headers}
        table, malformed = _arrow_csv(path, encoding, delimiter, text_types, headers)
    frame = table.to_pandas()
    if len(malformed):
        frame.index = _surviving_rows(len(frame), malformed["row"].to_numpy())
    return frame, encoding, malformed


# --- Excel and Parquet ------------------------------------------------------------------


def _read_excel(source: Source) -> RawTable:
    """Read one sheet as text; the forgiving readers then handle dates and serials."""
    frame = _excel_frame(source)
    return RawTable.from_frame(frame, table=source.table, source=source.label)


def _excel_frame(source: Source) -> pd.DataFrame:
    """One sheet's cells as text under its trimmed headers, blank rows dropped."""
    frame = pd.read_excel(source.path, sheet_name=source.sheet or 0, dtype=str, engine="openpyxl")
    frame = frame.dropna(how="all")
    headers = [str(h).strip() for h in frame.columns]
    unnamed = [h for h in headers if h.startswith("Unnamed:")]
    if unnamed and len(unnamed) == len(headers):
        raise InputFileError(
            f"{source.label} has no header row; put the column names in the first row",
            source=source.label,
        )
    frame.columns = pd.Index(headers)
    _check_headers(headers, source)
    return frame


def _read_parquet(source: Source) -> RawTable:
    """Read a Parquet file; its column types are kept, a stored index becomes a column."""
    frame = pq.read_table(source.path).to_pandas(ignore_metadata=True)
    _check_headers([str(c) for c in frame.columns], source)
    return RawTable.from_frame(frame, table=source.table, source=source.label)
