"""CRM export files, and the way from the rows of each source into a Dataset.

The connectors turn each source into :class:`SourceRows` (canonical columns,
the source row of each record, and the rows set aside with a reason, such as
voided orders), and :func:`assemble` validates them with the rules of
:func:`am_analytics.load`. Rejects keep the file (or API object) and row
of the source record, so every source row is either kept or rejected with a
reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import CrmFormatError, InputFileError
from ..schemas import TABLES, ValidationRules
from ._crm import CrmMapping, ObjectMap
from .files import file_kind, file_stem, read_text_table, sha256_of

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset

__all__ = [
    "ExportFile",
    "SourceRows",
    "assemble",
    "managers_from_owners",
    "object_of_export",
    "read_export_files",
    "set_aside_rows",
]


@dataclass
class ExportFile:
    """One export file (or workbook sheet) as text, with its headers as written."""

    path: Path
    label: str
    frame: pd.DataFrame
    encoding: str | None
    sha256: str | None
    malformed: pd.DataFrame

    @property
    def stem(self) -> str:
        """The file name without table-file suffixes (``Deals_2026.csv`` -> ``Deals_2026``)."""
        return file_stem(self.path)


def read_export_files(paths: str | Path | Iterable[str | Path], *, crm: str) -> list[ExportFile]:
    """Every export file under ``paths`` (files, folders, or a mix), read as text.

    Raises
    ------
    InputFileError
        A path does not exist, a file cannot be read, or there are no export files.
    """
    given = [paths] if isinstance(paths, (str, Path)) else list(paths)
    files: list[Path] = []
    for item in map(Path, given):
        if not item.exists():
            raise InputFileError(f"{item} does not exist", source=str(item))
        if item.is_dir():
            files.extend(
                sorted(p for p in item.iterdir() if p.is_file() and file_kind(p) is not None)
            )
        else:
            files.append(item)
    if not files:
        raise InputFileError(
            f"no CSV, Excel or Parquet files in {', '.join(map(str, given))}; "
            f"put the {crm} export files there",
            source=", ".join(map(str, given)),
        )
    exports = []
    for path in files:
        frame, encoding, malformed = read_text_table(path)
        frame.columns = pd.Index([str(c).strip().lstrip("\ufeff") for c in frame.columns])
        exports.append(ExportFile(path, path.name, frame, encoding, sha256_of(path), malformed))
    return exports


def object_of_export(
    file: ExportFile,
    mapping: CrmMapping,
    *,
    fits: Callable[[ObjectMap, list[str]], bool],
    crm_name: str,
) -> ObjectMap:
    """The object an export file holds: by its name, else the one its headers fit best.

    ``fits`` says whether headers give an object the fields it cannot do
    without; among the objects they fit, the one with most mapped headers wins.

    Raises
    ------
    CrmFormatError
        The headers fit no object, or fit two equally well.
    """
    by_name = mapping.object_of_file(file.stem)
    if by_name is not None:
        return by_name
    headers = [str(c) for c in file.frame.columns]
    scores = {o.name: len(o.resolve(headers)) for o in mapping.objects.values() if fits(o, headers)}
    if not scores:
        patterns = "; ".join(f"{n}: {', '.join(o.files)}" for n, o in mapping.objects.items())
        shown = ", ".join(headers[:8]) + (", ..." if len(headers) > 8 else "")
        raise CrmFormatError(
            f"{file.label} is no {crm_name} export that am_analytics knows: its name matches "
            f"no file pattern and its headers ({shown}) lack the fields of every object. "
            f"Name the file after its object ({patterns}) or export the object's id and "
            "owner fields",
            crm=mapping.crm,
            source=file.label,
        )
    best = max(scores.values())
    top = [name for name, score in scores.items() if score == best]
    if len(top) > 1:
        raise CrmFormatError(
            f"{file.label}: its headers fit {' and '.join(top)} equally well; rename the "
            f"file after its object, e.g. {top[0]}_{file.path.name}",
            crm=mapping.crm,
            source=file.label,
        )
    return mapping.object(top[0])


# --- into a Dataset ---------------------------------------------------------------------


@dataclass
class SourceRows:
    """The rows one source gives one canonical table, before validation.

    Attributes
    ----------
    table
        The canonical table.
    source
        The file (``Deals.csv``) or API object (``Zoho CRM Deals``) in messages.
    frame
        Canonical columns; the index is the 1-based row of each record in the source.
    set_aside
        Source rows not used, with why: ``row`` (1-based), ``column``, ``check``,
        ``value``, ``reason``. They become rejects.
    """

    table: str
    source: str
    frame: pd.DataFrame
    set_aside: pd.DataFrame = field(default_factory=lambda: set_aside_rows([], [], "", [], []))
    sha256: str | None = None
    encoding: str | None = None


def set_aside_rows(
    rows: Any, values: Any, check: str, reasons: Any, column: Any = None
) -> pd.DataFrame:
    """Source rows left out of their table, in the layout of :attr:`SourceRows.set_aside`."""
    rows = np.asarray(rows, dtype="int64")
    return pd.DataFrame(
        {
            "row": rows,
            "column": column if np.ndim(column) else np.full(len(rows), column, dtype=object),
            "check": np.full(len(rows), check, dtype=object),
            "value": np.asarray(values, dtype=object).astype(str) if len(rows) else [],
            "reason": reasons if np.ndim(reasons) else np.full(len(rows), reasons, dtype=object),
        }
    )


def assemble(
    parts: Iterable[SourceRows],
    *,
    crm: str,
    report: pd.DataFrame,
    as_of: Any = None,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
) -> Dataset:
    """Validate the canonical rows of every source into a :class:`~am_analytics.Dataset`.

    Rows of one table from several sources are validated together (keys must
    be unique across them); each reject names the source and row of its record.
    """
    from ..dataset import _build
    from .files import RawTable

    by_table: dict[str, list[SourceRows]] = {}
    for part in parts:
        by_table.setdefault(part.table, []).append(part)
    raws: dict[str, RawTable] = {}
    origins: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for table, pieces in by_table.items():
        raws[table], origins[table] = _raw_table(table, pieces)
    _require_tables(raws, crm=crm, report=report)
    # A module with no records (no won deals yet, nothing changed since the last
    # sync) is an empty table, not a broken file.
    data = _build(
        raws, as_of=as_of, on_orphans=on_orphans, rules=rules or ValidationRules(), allow_empty=True
    )
    return replace(
        data, rejects=_locate_rejects(data.rejects, origins), mapping=report.reset_index(drop=True)
    )


def _raw_table(table: str, pieces: list[SourceRows]) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
    """One RawTable from several sources, and each of its rows' (source, source row)."""
    from .files import RawTable

    frames, aside, source_parts, row_parts = [], [], [], []
    offset = 0
    for piece in pieces:
        kept = len(piece.frame)
        frame = piece.frame.copy()
        frame.index = pd.RangeIndex(offset, offset + kept)
        frames.append(frame)
        set_aside = piece.set_aside.assign(
            row=np.arange(offset + kept, offset + kept + len(piece.set_aside))
        )
        aside.append(set_aside)
        source_parts.append(np.full(kept + len(set_aside), piece.source, dtype=object))
        row_parts.append(
            np.concatenate(
                [
                    np.asarray(piece.frame.index, dtype="int64"),
                    piece.set_aside["row"].to_numpy(dtype="int64"),
                ]
            )
        )
        offset += kept + len(set_aside)
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    labels = list(dict.fromkeys(p.source for p in pieces))
    sources, rows = np.concatenate(source_parts), np.concatenate(row_parts)
    raw = RawTable(
        frame=frame,
        source=", ".join(labels),
        headers=[str(c) for c in frame.columns],
        columns={str(c): str(c) for c in frame.columns},
        sha256=pieces[0].sha256 if len(pieces) == 1 else None,
        encoding=", ".join(sorted({p.encoding for p in pieces if p.encoding})) or None,
        malformed=pd.concat(aside, ignore_index=True),
        # every row named by its own source and row, so that messages and causes
        # name the record, not its place in the combined table
        row_names=sources + " row " + rows.astype("str"),
    )
    return raw, (sources, rows)


def _require_tables(raws: Mapping[str, Any], *, crm: str, report: pd.DataFrame) -> None:
    """A MissingTableError that says which export or object provides a missing table."""
    from ..errors import MissingTableError

    missing = [t for t in ("managers", "clients", "sales") if t not in raws]
    if missing:
        seen = ", ".join(sorted(set(report["object"]))) if len(report) else "nothing"
        raise MissingTableError(
            f"the {crm} sources give no {', '.join(missing)}; read so far: {seen}. "
            f"See the {crm} guide for the exports (or API objects) each table comes from",
            tables=missing,
        )


def _locate_rejects(
    rejects: pd.DataFrame, origins: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> pd.DataFrame:
    """Rejects with the source and row of their record instead of the combined row."""
    if rejects.empty:
        return rejects
    out = rejects.copy()
    for table, (sources, rows) in origins.items():
        mine = (out["table"] == table).to_numpy()
        position = out.loc[mine, "row"].to_numpy(dtype="int64") - 1
        out.loc[mine, "source"] = sources[position]
        out.loc[mine, "row"] = rows[position]
    order = {t: i for i, t in enumerate(TABLES)}
    out = out.assign(_order=out["table"].map(order))
    out = out.sort_values(["_order", "source", "row"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def managers_from_owners(owners: Iterable[pd.DataFrame], *, source: str) -> SourceRows:
    """The managers table derived from record owners, for when no user list is given.

    Each frame has ``manager_id`` and ``name`` (the owner columns of one
    source). One manager per id, named as in its first record; ids without a
    record name get the id as name. Row ``n`` of the derived source is the
    ``n``-th distinct owner.

    Examples
    --------
    >>> deals = pd.DataFrame({"manager_id": ["U2", "U1", "U2"], "name": ["王芳", "李雷", "王芳"]})
    >>> managers_from_owners([deals], source="owners in Deals.csv").frame
      manager_id name
    1         U2   王芳
    2         U1   李雷
    """
    pairs = pd.concat([o[["manager_id", "name"]] for o in owners], ignore_index=True)
    pairs = pairs[pairs["manager_id"].notna() & (pairs["manager_id"].astype("str") != "")]
    first = pairs.drop_duplicates("manager_id").reset_index(drop=True)
    first["name"] = first["name"].where(first["name"].notna(), first["manager_id"])
    first.index = pd.RangeIndex(1, len(first) + 1)
    return SourceRows("managers", source, first)
