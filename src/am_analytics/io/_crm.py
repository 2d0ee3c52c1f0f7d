"""CRM field mappings and the report of how each source column was used.

A CRM holds *objects* (Zoho's modules, Fxiaoke's ``…Obj``); a mapping says,
for each object, which canonical table its records become and which source
field feeds each canonical column. The default mapping of each CRM ships as
TOML next to its connector; a user's TOML file is laid over it, so a custom
field (``Region__c``, ``大区``) is one line. :func:`mapping_report` shows how
each source column was used, and :func:`mapping_summary` counts it per source.

The connectors' other shared parts: export files and the way into a Dataset
(:mod:`._crm_sources`), and the watermarks of incremental syncs (:mod:`._crm_sync`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError, CrmFormatError
from ..schemas import TABLES, column_kinds
from .aliases import normalize_header

if TYPE_CHECKING:
    from ..dataset import Dataset

__all__ = [
    "MAPPING_STATUSES",
    "REPORT_COLUMNS",
    "CrmMapping",
    "ObjectMap",
    "find_header",
    "load_mapping",
    "mapping_report",
    "mapping_summary",
    "report_rows",
    "require_object_columns",
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
    user = read_toml(path, what=f"{crm} mapping") if path is not None else {}
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


#: The statuses of a :func:`mapping_report` row, in the order summaries show them.
MAPPING_STATUSES: Final = ("mapped", "used", "derived", "ignored")


def mapping_summary(report: pd.DataFrame) -> pd.DataFrame:
    """How many columns of each source were mapped, used, derived and ignored.

    Parameters
    ----------
    report
        A :func:`mapping_report`.

    Returns
    -------
    pandas.DataFrame
        One row per source, indexed by ``source`` in the order of the report,
        with one int column per status: ``mapped, used, derived, ignored``
        (0 where a source has none).

    Examples
    --------
    >>> report = pd.DataFrame({
    ...     "source": ["Deals.csv", "Deals.csv", "Deals.csv", "Accounts.csv"],
    ...     "status": ["mapped", "mapped", "ignored", "mapped"],
    ... })
    >>> mapping_summary(report)
                  mapped  used  derived  ignored
    source
    Deals.csv          2     0        0        1
    Accounts.csv       1     0        0        0
    """
    counts = report.groupby(["source", "status"], sort=False).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(MAPPING_STATUSES), fill_value=0).astype("int64")
    counts.columns.name = None
    return counts


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
