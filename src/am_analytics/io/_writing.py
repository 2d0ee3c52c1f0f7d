"""Every file am_analytics writes: safe for spreadsheets, put in place atomically.

Two kinds of output go through this module:

- **dataset folders** (:func:`write_tables`, used by ``save``, ``write_sample``
  and ``am-analytics sample`` / ``import``): one file per table that
  :func:`~am_analytics.load` reads back equal; CSV floats are written so they
  read back identical.
- **result files** (:func:`write_csv`: scores, segments, portfolios, rejects,
  mapping reports): CSV with a BOM so that Excel shows Chinese text, numbers
  with at most 15 significant digits (no ``124234.89000000001``).

In both, text cells a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``, tab, carriage return) are neutralised with an apostrophe
(:mod:`._formulas`), index labels and headers included; numbers stay numbers,
and ``load`` takes the apostrophe off again.

Nothing is written in place. A file is written to a hidden temporary in the
same folder (``.scores.csv.<random>.partial``) and renamed over the target; a
folder of tables is written to a hidden sibling folder, then swapped with the
old one. An interruption (Ctrl-C, an error) removes the temporary and leaves
the previous output as it was. After a hard kill the temporary can remain; its
name ends in ``.partial``, which no reader takes for a table.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pandas as pd

from ..errors import ConfigError, OutputPathError
from ..schemas import TABLES
from ._formulas import neutralise_formulas
from .aliases import table_for_name
from .files import file_kind, file_stem

__all__ = [
    "check_output_file",
    "check_output_folder",
    "replacing_file",
    "replacing_folder",
    "spreadsheet_safe",
    "write_csv",
    "write_tables",
]

#: The name ending of a temporary file or folder being written.
PARTIAL_SUFFIX: Final = ".partial"
#: Significant digits of floats in result files: cents stay exact up to 1e12.
RESULT_FLOAT_FORMAT: Final = "%.15g"
TABLE_FORMATS: Final = ("csv", "parquet")


# --- checks before the work starts ---------------------------------------------------


def check_output_file(path: str | Path, *, inputs: Iterable[str | Path] = ()) -> bool:
    """Raise :class:`OutputPathError` if ``path`` cannot take a file; else whether one exists.

    A file that exists is replaced by the write; a folder, a path under a
    file, an unwritable folder, an input file, or a file that the input folder
    would read as a table (``data/sales.csv``) is refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(folder / "scores.csv", inputs=[folder])
    False
    >>> check_output_file(folder / "sales.csv", inputs=[folder])
    Traceback (most recent call last):
    ...
    am_analytics.errors.OutputPathError: ... would be read as the sales table of the input ...
    """
    target = Path(path)
    if target.is_dir():
        raise OutputPathError(
            f"{target} is a folder; give a file name such as {target / 'out.csv'}",
            path=str(target),
        )
    for source in map(Path, inputs):
        if _same(source, target):
            raise OutputPathError(
                f"{target} is an input of this command; writing it would destroy the data. "
                "Write the output to another file",
                path=str(target),
            )
        if source.is_dir() and _same(source, target.parent) and _table_named(target):
            raise OutputPathError(
                f"{target} would be read as the {_table_named(target)} table of the input "
                f"folder {source}; write the output to another folder",
                path=str(target),
            )
    _check_creatable(target)
    return target.exists()


def check_output_folder(
    path: str | Path, *, inputs: Iterable[str | Path] = (), names: Iterable[str] = ()
) -> bool:
    """Raise :class:`OutputPathError` if ``path`` cannot take a dataset folder.

    An existing folder is replaced as a whole, so it may hold only table files
    and the files named in ``names`` (``rejects.csv``); a folder holding
    anything else, a file, an input or a folder holding an input, and an
    unwritable place are refused. Returns whether there are files to replace.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine")
    >>> check_output_folder(folder / "data")
    False
    >>> check_output_folder(folder)
    Traceback (most recent call last):
    ...
    am_analytics.errors.OutputPathError: ... holds files that are not tables (notes.txt)...
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputPathError(
            f"{target} is a file, and the tables need a folder; give a folder that does "
            "not exist yet (it is created) or one written by am_analytics",
            path=str(target),
        )
    for source in map(Path, inputs):
        if _same(source, target) or _inside(source, target):
            raise OutputPathError(
                f"{target} holds the input {source}; writing the tables there would replace "
                "it. Write them to another folder",
                path=str(target),
            )
    if not target.is_dir():
        _check_creatable(target)
        return False
    _check_replaceable(target, set(names))
    _check_creatable(target)
    return any(target.iterdir())


def _check_replaceable(folder: Path, names: set[str]) -> None:
    """Refuse a folder that holds anything but table files and the given names."""
    foreign = sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if entry.name not in names and (entry.is_dir() or _table_named(entry) is None)
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputPathError(
            f"{folder} holds files that are not tables ({shown}); writing replaces the "
            "whole folder, so they would be lost. Write to a new folder, or move them",
            path=str(folder),
        )


def _check_creatable(target: Path) -> None:
    """Refuse a path whose nearest existing folder is a file or cannot be written."""
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(
            f"{target} cannot be created: {existing} is a file, not a folder",
            path=str(target),
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"{target} cannot be written: no permission to write in {existing}",
            path=str(target),
        )


def _table_named(path: Path) -> str | None:
    """The table a file of a dataset folder would be read as, if any."""
    return table_for_name(file_stem(path)) if file_kind(path) else None


def _same(a: Path, b: Path) -> bool:
    """Whether two paths name the same place (existing or not)."""
    return a.resolve() == b.resolve()


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies somewhere under ``folder``."""
    return folder.resolve() in path.resolve().parents


# --- atomic replacement ------------------------------------------------------------


def _temporary(path: Path) -> Path:
    """A fresh hidden sibling of ``path`` for writing it: ``.name.<random>.partial``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")


@contextmanager
def replacing_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is renamed to ``path``.

    On any error or interruption the temporary is removed and ``path`` is as
    it was before.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with replacing_file(target) as temporary:
    ...     _ = temporary.write_text("done")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('done', ['out.txt'])
    """
    target = Path(path)
    with _output_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(target)
    try:
        yield temporary
        with _output_errors(target):
            os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def replacing_folder(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder to fill; on success it takes the place of ``path``.

    An existing folder at ``path`` is moved aside, the new one renamed in, and
    the old one removed, so a reader sees the old tables or the new ones,
    never a mix (for an instant, between the two renames, no folder). On any
    error or interruption the temporary folder is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "data"
    >>> with replacing_folder(target) as folder:
    ...     _ = (folder / "sales.csv").write_text("order_id\\n")
    >>> [p.name for p in target.iterdir()], [p.name for p in target.parent.iterdir()]
    (['sales.csv'], ['data'])
    """
    target = Path(path)
    temporary = _temporary(target)
    with _output_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.mkdir()
    try:
        yield temporary
        with _output_errors(target):
            _swap_in(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _swap_in(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``, moving an existing ``target`` aside and removing it."""
    if not target.exists():
        new.rename(target)
        return
    old = _temporary(target)
    target.rename(old)
    try:
        shutil.copymode(old, new)
        new.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _output_errors(target: Path) -> Iterator[None]:
    """Turn an operating-system error while writing into an OutputPathError."""
    try:
        yield
    except OSError as exc:
        raise OutputPathError(
            f"cannot write {target}: {exc.strerror or exc}; check the path, the "
            "permissions and the free disk space",
            path=str(target),
        ) from exc


# --- cells ---------------------------------------------------------------------------


def spreadsheet_safe(frame: pd.DataFrame, *, index: bool = True) -> pd.DataFrame:
    """The frame with its index as columns (if kept) and no cell a spreadsheet would run.

    Text cells, categories, index labels and headers that start a formula get
    an apostrophe (:func:`~am_analytics.io._formulas.neutralise_formulas`);
    numbers are untouched. Write the result with ``index=False``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"amount": [-120.5], "note": ["=HYPERLINK(1)"]},
    ...                      index=pd.Index(["@id"], name="client_id"))
    >>> spreadsheet_safe(frame).to_dict("records")
    [{'client_id': "'@id", 'amount': -120.5, 'note': "'=HYPERLINK(1)"}]
    """
    if index:
        names = [name if name is not None else "" for name in frame.index.names]
        frame = frame.reset_index(names=names, allow_duplicates=True)
    out = frame.copy(deep=False)
    for position in range(out.shape[1]):
        out.isetitem(position, _safe_cells(out.iloc[:, position]).array)
    labels = pd.Series([str(label) for label in out.columns], dtype="str")
    out.columns = pd.Index(neutralise_formulas(labels))
    return out


def _safe_cells(values: pd.Series) -> pd.Series:
    """A column with its formula-starting text neutralised (in the categories, for categoricals)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = pd.Series(values.cat.categories)
        return values.cat.rename_categories(neutralise_formulas(categories).array)
    return neutralise_formulas(values) if _holds_text(values) else values


def _holds_text(values: pd.Series) -> bool:
    """Whether a column is text, or objects among which are strings (``.str`` works on it)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    kind = pd.api.types.infer_dtype(values, skipna=True)
    return values.dtype == object and kind in ("string", "mixed", "mixed-integer", "empty")


# --- writers -------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = True) -> Path:
    """Write a result table as a CSV file for spreadsheets, atomically.

    UTF-8 with a BOM (Excel shows Chinese text), formula-starting text
    neutralised, floats with at most 15 significant digits. An existing file
    is replaced; check the path first with :func:`check_output_file`.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "scores.csv"
    >>> frame = pd.DataFrame({"name": ["=1+1"], "sales": [124234.89000000001]})
    >>> print(write_csv(frame, target, index=False).read_text(encoding="utf-8-sig"), end="")
    name,sales
    '=1+1,124234.89
    """
    target = Path(path)
    with replacing_file(target) as temporary, _output_errors(target):
        _write_result_csv(frame, temporary, index=index)
    return target


def _write_result_csv(frame: pd.DataFrame, path: Path, *, index: bool) -> None:
    """Write a result table to ``path`` as it stands (no temporary)."""
    # CRLF as RFC 4180 and Excel have it; it also makes the writer quote a text
    # cell holding a bare carriage return, which readers would take for a line end.
    spreadsheet_safe(frame, index=index).to_csv(
        path,
        index=False,
        encoding="utf-8-sig",
        float_format=RESULT_FLOAT_FORMAT,
        lineterminator="\r\n",
    )


def write_tables(
    frames: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    format: str = "csv",
    reports: Mapping[str, pd.DataFrame] | None = None,
) -> list[Path]:
    """Write one file per table into ``out_dir``, in a form :func:`~am_analytics.load` reads back.

    ``"csv"`` files are UTF-8 without an index (dates ``YYYY-MM-DD``, datetimes
    with a time of day ``YYYY-MM-DD HH:MM:SS``, floats written so they read
    back identical, formula-starting text neutralised); ``"parquet"`` keeps
    the dtypes. Canonical tables come first, in table order. ``reports`` are
    written beside them as result CSV files (:func:`write_csv`), e.g.
    ``{"rejects": rejects}``.

    The folder is written whole to a temporary sibling and then takes the
    place of ``out_dir``: an existing folder is replaced (it may hold only
    table files and the reports' files), and an interruption leaves it as it
    was. Returns the files written.

    Raises
    ------
    ConfigError
        If ``format`` is not ``"csv"`` or ``"parquet"``.
    OutputPathError
        If ``out_dir`` is a file, cannot be written, or holds other files.
    """
    if format not in TABLE_FORMATS:
        raise ConfigError(f"unknown table file format {format!r}; use 'csv' or 'parquet'")
    reports = reports or {}
    folder = Path(out_dir)
    check_output_folder(folder, names=[f"{name}.csv" for name in reports])
    names = [name for name in TABLES if name in frames]
    names += [name for name in frames if name not in TABLES]
    with replacing_folder(folder) as temporary, _output_errors(folder):
        for name in names:
            _write_table(frames[name], temporary / f"{name}.{format}", format=format)
        for name, frame in reports.items():
            _write_result_csv(frame, temporary / f"{name}.csv", index=False)
    return [folder / f"{name}.{format}" for name in names] + [
        folder / f"{name}.csv" for name in reports
    ]


def _write_table(frame: pd.DataFrame, path: Path, *, format: str) -> None:
    """Write one dataset table as CSV (read back identical) or Parquet."""
    if format == "parquet":
        frame.to_parquet(path, index=False)
        return
    cells = spreadsheet_safe(_datetimes_as_text(frame), index=False)
    cells.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator=_line_end(cells))


def _line_end(frame: pd.DataFrame) -> str:
    """``"\\n"``, or ``"\\r\\n"`` when a text cell holds a carriage return.

    The CSV writer quotes only cells holding a character of the line end, and
    readers take a bare carriage return for one: such a cell must be quoted.
    """
    for column in frame.columns:
        values = frame[column]
        if _holds_text(values) and values.str.contains("\r", regex=False).any():
            return "\r\n"
    return "\n"


def _datetimes_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with datetime columns that carry a time of day formatted as text."""
    out = frame.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_datetime64_any_dtype(values):
            continue
        if (values.notna() & (values.dt.normalize() != values)).any():
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S")
    return out
