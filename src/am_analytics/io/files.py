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

import hashlib
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputFileError
from ..schemas import TABLES, column_kinds
from ._csv import NULL_VALUES, _arrow_csv, _header_and_delimiter, _in_words, _surviving_rows
from ._encodings import detect_encoding
from .aliases import map_headers, normalize_header, table_for_name

__all__ = [
    "NULL_VALUES",
    "RawTable",
    "Source",
    "detect_encoding",
    "find_sources",
    "read_source",
    "read_text_table",
]

CSV_SUFFIXES: Final = (".csv", ".csv.gz", ".csv.bz2", ".txt", ".tsv")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
PARQUET_SUFFIXES: Final = (".parquet", ".pq")

#: Kinds of text column read as categoricals when stored with a small dictionary: the
#: references, which stay categorical, and text and enumerations (products, channels,
#: regions), whose readers then read the distinct values and take them for every row.
#: For 10M sales rows that is about 0.05 s of CPU to read such a column and 0.1 s to take
#: its strings, against 0.5 s to decode every row's string from the file and 0.15 s to
#: check it (the whole load: 3.3 -> 3.0 s of CPU).
_DICTIONARY_KINDS: Final = frozenset({"ref", "text", "enum"})
#: The largest dictionary page (compressed bytes) read as a dictionary.
_SMALL_DICTIONARY: Final = 64 * 1024

_FAST_TYPES: Final[dict[str, pa.DataType]] = {
    "date": pa.timestamp("ns"),
    "money": pa.float64(),
    "number": pa.float64(),
    "probability": pa.float64(),
    "integer": pa.int64(),
}


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


def read_source(source: Source, *, sha256: str | None = None) -> RawTable:
    """Read one table's source into a :class:`RawTable` with canonical headers.

    ``sha256`` is the file's SHA-256 when the caller has it already; otherwise
    the file is hashed while it is read.

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
        digest = None if sha256 is not None else pool.submit(sha256_of, source.path)
        with _read_errors(source):
            raw = reader(source)
        raw.sha256 = sha256 if digest is None else digest.result()
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
    """Read a Parquet file; its column types are kept, a stored index becomes a column.

    Reference, text and enumeration columns stored with a small dictionary (few
    distinct values: the managers' ids in the sales, the products) are read as
    categoricals over that dictionary, so that the readers check and look up the
    distinct values, not every row (:func:`_small_dictionaries`). Text and
    enumerations become strings again once read.
    """
    dictionary = _small_dictionaries(pq.ParquetFile(source.path), source.table)
    # pre_buffer=False: the column chunks are read as they are decoded, not all first,
    # which takes the file's size (compressed) off the memory peak at no cost in time
    table = pq.read_table(source.path, read_dictionary=dictionary or None, pre_buffer=False)
    frame = table.to_pandas(ignore_metadata=True)
    _check_headers([str(c) for c in frame.columns], source)
    return RawTable.from_frame(frame, table=source.table, source=source.label)


def _small_dictionaries(file: pq.ParquetFile, table: str) -> list[str]:
    """The reference columns whose every row group's dictionary page is small: at
    most 64 KiB and 1/16 of the column's bytes.

    A dictionary that large or larger may have hit the writer's size limit, after
    which pages are plain and reading them as a dictionary means hashing every
    value (slower than reading the strings); these columns are read as strings.
    """
    metadata = file.metadata
    if metadata.num_row_groups == 0:
        return []
    mapping, _ = map_headers(table, [str(n) for n in file.schema_arrow.names])
    kinds = column_kinds(table)
    arrow_types = file.schema_arrow
    names = [
        header
        for header, column in mapping.items()
        if kinds[column] in _DICTIONARY_KINDS and _is_text_type(arrow_types.field(header).type)
    ]
    positions = {metadata.schema.column(i).path: i for i in range(metadata.num_columns)}
    small = []
    for name in names:
        if name not in positions:
            continue
        groups = range(metadata.num_row_groups)
        chunks = [metadata.row_group(g).column(positions[name]) for g in groups]
        if all(
            chunk.has_dictionary_page
            and chunk.dictionary_page_offset is not None
            and (size := chunk.data_page_offset - chunk.dictionary_page_offset) <= _SMALL_DICTIONARY
            and size * 16 <= chunk.total_compressed_size
            for chunk in chunks
        ):
            small.append(name)
    return small


def _is_text_type(arrow_type: pa.DataType) -> bool:
    """Whether an Arrow type is a string type."""
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))
