"""What the CRM connectors share: field mappings, export files, and the way into a Dataset.

A CRM holds *objects* (Zoho's modules, Fxiaoke's ``…Obj``); a mapping says,
for each object, which canonical table its records become and which source
field feeds each canonical column. The default mapping of each CRM ships as
TOML next to its connector; a user's TOML file is laid over it, so a custom
field (``Region__c``, ``大区``) is one line.

The connectors turn each source into :class:`SourceRows` (canonical columns,
the source row of each record, and the rows set aside with a reason, such as
voided orders), and :func:`assemble` validates them with the rules of
:func:`am_analytics.load`. Rejects keep the file (or API object) and row
of the source record, so every source row is either kept or rejected with a
reason, and :func:`mapping_report` shows how each source column was used.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError, CrmFormatError, InputFileError
from ..schemas import TABLES, ValidationRules, column_kinds
from .aliases import normalize_header

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset

from .files import (
    file_kind,
    file_stem,
    read_text_table,
    sha256_of,
)

__all__ = [
    "REPORT_COLUMNS",
    "CrmMapping",
    "ExportFile",
    "ObjectMap",
    "SourceRows",
    "SyncState",
    "Watermark",
    "assemble",
    "find_header",
    "load_mapping",
    "managers_from_owners",
    "mapping_report",
    "object_of_export",
    "read_export_files",
    "report_rows",
    "require_object_columns",
    "set_aside_rows",
]

#: The columns of :func:`mapping_report`.
REPORT_COLUMNS: Final = [
    "source",
    "object",
    "source_column",
    "table",
    "column",
    "status",
    "note",
]


@dataclass(frozen=True, slots=True)
class ObjectMap:
    """How the records of one CRM object become rows of one canonical table.

    Attributes
    ----------
    name
        The object: ``"Deals"``, ``"SalesOrderObj"``.
    table
        The canonical table its records become.
    files
        Patterns of export file names holding this object (``"Deals*"``,
        ``"*销售订单*"``), compared case-insensitively with the file's stem.
    columns
        For each canonical column, the source fields that may feed it, in order
        of preference: API names and export labels alike. The first one
        present in a source is used.
    """

    name: str
    table: str
    files: tuple[str, ...] = ()
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.table not in TABLES:
            raise ConfigError(
                f"object {self.name}: table {self.table!r} is not a canonical table; "
                f"use one of {', '.join(TABLES)}"
            )
        unknown = [c for c in self.columns if c not in column_kinds(self.table)]
        if unknown:
            raise ConfigError(
                f"object {self.name}: {', '.join(unknown)} not columns of {self.table}; "
                f"its columns are {', '.join(column_kinds(self.table))}"
            )

    def matches_file(self, stem: str) -> bool:
        """Whether an export file named ``stem`` holds this object."""
        return any(fnmatch.fnmatch(stem.casefold(), p.casefold()) for p in self.files)

    def resolve(self, headers: Iterable[str]) -> dict[str, str]:
        """Canonical column -> the source header that feeds it, among ``headers``."""
        headers = list(headers)
        found = {column: find_header(headers, fields) for column, fields in self.columns.items()}
        return {column: header for column, header in found.items() if header is not None}


def find_header(headers: Iterable[str], candidates: Iterable[str]) -> str | None:
    """The first of ``candidates`` among ``headers``, compared as normalised headers.

    Examples
    --------
    >>> find_header(["Deal Owner.id", "Amount"], ["Owner.id", "deal_owner.ID"])
    'Deal Owner.id'
    """
    by_form = {normalize_header(h): str(h) for h in reversed(list(headers))}
    for candidate in candidates:
        header = by_form.get(normalize_header(candidate))
        if header is not None:
            return header
    return None


@dataclass(frozen=True, slots=True)
class CrmMapping:
    """A CRM's objects and options: the packaged default with the user's file laid over it.

    Attributes
    ----------
    crm
        ``"zoho"`` or ``"fxiaoke"``.
    objects
        Object name -> :class:`ObjectMap`.
    options
        The connector's options (deal stages that count as won, time zone, ...),
        checked by the connector that reads them.
    """

    crm: str
    objects: Mapping[str, ObjectMap]
    options: Mapping[str, Any] = field(default_factory=dict)

    def object(self, name: str) -> ObjectMap:
        """The mapping of one object, or a ConfigError naming the ones there are."""
        try:
            return self.objects[name]
        except KeyError:
            raise ConfigError(
                f"the {self.crm} mapping has no object {name!r}; it has {', '.join(self.objects)}"
            ) from None

    def object_of_file(self, stem: str) -> ObjectMap | None:
        """The object an export file holds, judged by its name."""
        found = [o for o in self.objects.values() if o.matches_file(stem)]
        return found[0] if found else None


def load_mapping(crm: str, path: str | Path | None = None) -> CrmMapping:
    """The mapping of ``crm``: its packaged default, with the TOML file at ``path`` over it.

    In the user's file, ``[objects.<Object>.columns]`` entries put their source
    fields *before* the default ones (so a custom field wins), an empty list
    unmaps a column, ``files`` patterns are added, a new object needs its
    ``table``, and ``[options]`` replaces single options.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mapping.toml"
    >>> _ = path.write_text('[objects.Accounts.columns]\\nregion = "Region__c"\\n')
    >>> mapping = load_mapping("zoho", path)
    >>> mapping.object("Accounts").columns["region"][0]
    'Region__c'
    """
    default = read_packaged_toml("am_analytics.io", f"{crm}_mapping.toml")
    user = read_toml(path, what=f"a {crm} mapping") if path is not None else {}
    unknown = set(user) - {"objects", "options"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown sections {', '.join(sorted(unknown))}; "
            "a mapping file has [options] and [objects.<Object>] sections"
        )
    objects = {
        name: _object_map(name, spec, user.get("objects", {}).get(name, {}), source=path)
        for name, spec in default["objects"].items()
    }
    for name, spec in user.get("objects", {}).items():
        if name not in objects:
            objects[name] = _object_map(name, {}, spec, source=path)
    options = {**default.get("options", {}), **user.get("options", {})}
    return CrmMapping(crm=crm, objects=objects, options=options)


def _object_map(
    name: str, default: Mapping[str, Any], user: Mapping[str, Any], *, source: object
) -> ObjectMap:
    """One object's mapping: the default with the user's entries first."""
    table = user.get("table", default.get("table"))
    if table is None:
        raise ConfigError(f'{source}: object {name} needs a table (e.g. table = "clients")')
    columns = {c: _as_tuple(v) for c, v in default.get("columns", {}).items()}
    for column, value in user.get("columns", {}).items():
        own = _as_tuple(value)
        columns[column] = (*own, *columns.get(column, ())) if own else ()
    return ObjectMap(
        name=name,
        table=str(table),
        files=(*_as_tuple(user.get("files", ())), *_as_tuple(default.get("files", ()))),
        columns={c: v for c, v in columns.items() if v},
    )


def _as_tuple(value: object) -> tuple[str, ...]:
    """A TOML string or list of strings as a tuple of strings."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"expected a field name or a list of names, got {value!r}")


# --- export files ---------------------------------------------------------------------


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


def report_rows(
    *,
    source: str,
    object_name: str,
    headers: Iterable[str],
    table: str,
    chosen: Mapping[str, str],
    used: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Mapping-report rows for one source: every header mapped, used or ignored.

    ``used`` names headers read for a purpose other than a column (the deal
    stage that decides won deals, the life status that marks voided rows).
    """
    used = used or {}
    mapped = {header: column for column, header in chosen.items()}
    records: list[tuple[str, str | None, str | None, str, str]] = []
    for header in headers:
        if header in mapped:
            records.append((header, table, mapped[header], "mapped", ""))
        elif header in used:
            records.append((header, None, None, "used", used[header]))
        else:
            records.append((header, None, None, "ignored", "no canonical column takes it"))
    frame = pd.DataFrame(records, columns=REPORT_COLUMNS[2:])
    frame.insert(0, "object", object_name)
    frame.insert(0, "source", source)
    return frame[REPORT_COLUMNS]


def mapping_report(dataset: Dataset) -> pd.DataFrame:
    """How each source column became a canonical column, or why it was ignored.

    For a dataset read from CRM exports or APIs this is the connector's
    report; for one read with :func:`am_analytics.load` it is built from the
    tables' header mapping.

    Returns
    -------
    pandas.DataFrame
        One row per source column: ``source, object, source_column, table,
        column, status, note``; ``status`` is ``mapped`` (feeds ``column``),
        ``used`` (read for a rule, such as the deal stage), ``derived`` (a table
        built from it, such as managers from record owners) or ``ignored``.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> report = mapping_report(load_sample())
    >>> report[report.table == "sales"][["source_column", "column", "status"]].head(2)
       source_column     column  status
    14      order_id   order_id  mapped
    15     client_id  client_id  mapped
    """
    own = getattr(dataset, "mapping", None)
    if own is not None:
        return own.copy()
    pieces = []
    for report in dataset.reports:
        pairs = [p.split("→") for p in report.columns.split(", ") if p]
        ignored = [h for h in report.ignored_columns.split(", ") if h]
        chosen = {p[-1]: p[0] for p in pairs}
        pieces.append(
            report_rows(
                source=report.source,
                object_name=report.table,
                headers=[*chosen.values(), *ignored],
                table=report.table,
                chosen=chosen,
            )
        )
    if not pieces:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    return pd.concat(pieces, ignore_index=True)[REPORT_COLUMNS]


def require_object_columns(
    objmap: ObjectMap, chosen: Mapping[str, str], needed: Iterable[str], *, source: str, crm: str
) -> None:
    """A CrmFormatError naming the accepted fields when a needed column has no source field."""
    missing = [c for c in needed if c not in chosen]
    if missing:
        accepted = "; ".join(
            f"{c}: {' or '.join(objmap.columns.get(c, ())) or 'no field mapped'}" for c in missing
        )
        raise CrmFormatError(
            f"{source} ({objmap.name}) lacks the fields for {', '.join(missing)} ({accepted}); "
            "export those fields too, or map your own in a mapping file "
            f"([objects.{objmap.name}.columns])",
            crm=crm,
            source=source,
        )


# --- incremental sync -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watermark:
    """How far a sync of one object got: the latest modification time seen (UTC) and
    the ids of the records modified at exactly that time."""

    time: pd.Timestamp
    ids: frozenset[str] = frozenset()

    def is_new(self, times: pd.Series, ids: pd.Series) -> np.ndarray:
        """Which records (UTC modification times, ids) the previous sync did not see.

        Vendors filter on "modified at or after", so the records at the boundary
        come back; those whose id was seen at that very time are dropped.
        """
        later = (times > self.time).to_numpy(dtype=bool)
        at_mark = (times == self.time).to_numpy(dtype=bool)
        return later | (at_mark & ~ids.astype("str").isin(self.ids).to_numpy())

    def advance(self, times: pd.Series, ids: pd.Series) -> Watermark:
        """The watermark after also seeing these records."""
        if times.empty or times.isna().all():
            return self
        latest = times.max()
        if latest < self.time:
            return self
        at_latest = frozenset(ids[(times == latest).to_numpy()].astype("str"))
        return Watermark(latest, at_latest | self.ids if latest == self.time else at_latest)


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where the last sync of each object stopped; pass it as ``modified_since``.

    Examples
    --------
    >>> mark = Watermark(pd.Timestamp("2026-07-01 02:00Z"), frozenset({"1"}))
    >>> state = SyncState("zoho", {"Deals": mark})
    >>> SyncState.from_json(state.to_json()) == state
    True
    """

    crm: str
    marks: Mapping[str, Watermark] = field(default_factory=dict)

    def mark(self, name: str, since: pd.Timestamp | None = None) -> Watermark | None:
        """The watermark of one object, or one at ``since`` when the object is new."""
        if name in self.marks:
            return self.marks[name]
        return Watermark(since) if since is not None else None

    def to_json(self) -> str:
        """The state as JSON (times in ISO 8601 UTC)."""
        import json

        marks = {
            name: {"time": mark.time.isoformat(), "ids": sorted(mark.ids)}
            for name, mark in self.marks.items()
        }
        return json.dumps({"crm": self.crm, "marks": marks}, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> SyncState:
        """Read a state written by :meth:`to_json`."""
        import json

        try:
            data = json.loads(text)
            marks = {
                name: Watermark(pd.Timestamp(m["time"]).tz_convert("UTC"), frozenset(m["ids"]))
                for name, m in data["marks"].items()
            }
            return cls(str(data["crm"]), marks)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"not a sync state written by am_analytics: {exc}") from None
