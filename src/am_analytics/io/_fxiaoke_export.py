"""纷享销客 Excel/CSV exports (对象列表 > 导出) into a Dataset.

An export's headers are the tenant's field labels (客户名称, 销售订单金额(元),
生命状态 ...), and its lookups are display names, not ids: an order names its
account (客户名称) and owner (负责人). Names are resolved to ids through the
客户 and 人员 exports read alongside; a name shared by two accounts cannot be
credited to either, so its rows are set aside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from ._crm import (
    REPORT_COLUMNS,
    ObjectMap,
    find_header,
    load_mapping,
    report_rows,
    require_object_columns,
)
from ._crm_sources import (
    ExportFile,
    SourceRows,
    assemble,
    managers_from_owners,
    object_of_export,
    read_export_files,
    set_aside_rows,
)
from ._fxiaoke_records import CRM, FxiaokeOptions, finish_columns, split_voided

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset
    from ..schemas import ValidationRules

__all__ = ["read_export"]

# Columns an export must give, per table. Exports may lack ids: a 客户 export
# without 客户编号 uses the name as the client id, a 人员 export without 员工编号
# the person's name as the manager id.
_NEEDED: Final[dict[str, tuple[str, ...]]] = {
    "managers": ("name",),
    "clients": ("manager_id",),
    "sales": ("order_id", "client_id", "manager_id", "order_date", "amount"),
    "opportunities": ("opportunity_id", "client_id", "manager_id", "amount"),
}
# Lookups that hold display names in an export: column -> the table whose names they are.
_LOOKUPS: Final[dict[str, str]] = {"client_id": "clients", "manager_id": "managers"}


def read_export(
    paths: str | Path | Iterable[str | Path],
    *,
    mapping: str | Path | None = None,
    realised_statuses: Iterable[str] | None = None,
    as_of: object = None,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
) -> Dataset:
    """Read 纷享销客 exports (客户, 销售订单, 商机, 人员) into a validated Dataset.

    Parameters
    ----------
    paths
        An export file, several files, or a folder of them (xlsx, CSV in
        UTF-8 or GBK, parquet). Files are told apart by name (``*客户*``,
        ``*销售订单*``, ``*商机*``, ``*人员*``/``*员工*``, or the API name),
        else by their headers; several files of one object are combined.
    mapping
        A TOML file laid over the default mapping (tenant labels, custom
        fields such as ``大区``); see ``docs/fxiaoke.md``.
    realised_statuses
        Life statuses (生命状态) whose records count, as codes or labels;
        default ``["normal"]`` (正常). Other records are set aside as voided.
    as_of, on_orphans, rules
        As in :func:`am_analytics.load`.

    Returns
    -------
    Dataset
        With ``mapping`` set to the mapping report (:func:`mapping_report`).
        Orders of a voided (作废) or 审核中 record, and rows whose 客户名称 names
        two accounts, are in ``rejects`` with the reason.

    Raises
    ------
    CrmFormatError
        A file's object cannot be told, or it lacks a needed field.
    MissingTableError
        No 客户 or no 销售订单 export was given.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "客户.csv").write_text(
    ...     "客户编号,客户名称,负责人\\nA1,华美贸易,王芳\\n", encoding="utf-8")
    >>> _ = (folder / "销售订单.csv").write_text(
    ...     "销售订单编号,客户名称,负责人,下单日期,销售订单金额(元),生命状态\\n"
    ...     "SO1,华美贸易,王芳,2026-07-01,\\"1,200.00\\",正常\\n"
    ...     "SO2,华美贸易,王芳,2026-07-02,500.00,作废\\n", encoding="utf-8")
    >>> data = read_export(folder)
    >>> data.sales[["order_id", "client_id", "manager_id", "amount"]]
      order_id client_id manager_id  amount
    0      SO1        A1         王芳  1200.0
    >>> data.rejects[["source", "row", "check", "value"]]
             source  row  check value
    0  销售订单.csv    2  voided    作废
    """
    crm_mapping = load_mapping(CRM, mapping)
    options = FxiaokeOptions.from_mapping(crm_mapping, realised_statuses=realised_statuses)
    sheets = [
        _read_sheet(
            file, object_of_export(file, crm_mapping, fits=_fits, crm_name="纷享销客"), options
        )
        for file in read_export_files(paths, crm=CRM)
    ]
    indexes = {table: _NameIndex.of(sheets, table) for table in set(_LOOKUPS.values())}
    parts = [_resolve_names(sheet, indexes) for sheet in sheets]
    report = pd.concat([_sheet_report(sheet, indexes) for sheet in sheets], ignore_index=True)
    if indexes["managers"] is None:
        parts.append(_derived_managers(sheets))
        report = _mark_derived(report, sheets)
    return assemble(parts, crm=CRM, report=report, as_of=as_of, on_orphans=on_orphans, rules=rules)


@dataclass
class _Sheet:
    """One export file read as one object: canonical columns of the records that count."""

    file: ExportFile
    objmap: ObjectMap
    chosen: dict[str, str]
    frame: pd.DataFrame
    set_aside: pd.DataFrame
    used: dict[str, str]
    owners: pd.DataFrame
    department: str | None


def _fits(objmap: ObjectMap, headers: list[str]) -> bool:
    """Whether the headers give every field an export of this object needs."""
    chosen = objmap.resolve(headers)
    needed = _NEEDED.get(objmap.table, ())
    identified = objmap.table != "clients" or "client_id" in chosen or "name" in chosen
    return identified and all(c in chosen for c in needed) and len(chosen) >= 2


def _read_sheet(file: ExportFile, objmap: ObjectMap, options: FxiaokeOptions) -> _Sheet:
    """The counted records of one export in canonical columns, and the rows set aside."""
    headers = [str(h) for h in file.frame.columns]
    chosen = objmap.resolve(headers)
    _require(objmap, chosen, file)
    records = file.frame.set_axis(file.frame.index + 1)
    life = find_header(headers, options.life_status_fields)
    deleted = find_header(headers, options.deleted_fields)
    keep, voided = split_voided(records, life_header=life, deleted_header=deleted, options=options)
    kept = records[keep]
    frame = pd.DataFrame({c: kept[h] for c, h in chosen.items()}, index=kept.index)
    frame = finish_columns(_ids_from_names(frame, objmap.table), objmap.table, options)
    malformed = set_aside_rows(
        file.malformed["row"].to_numpy(dtype="int64") + 1,
        file.malformed["value"],
        "malformed_row",
        file.malformed["reason"].to_numpy(),
    )
    used = {h: note for h, note in ((life, _LIFE_NOTE), (deleted, _DELETED_NOTE)) if h}
    department = find_header(headers, options.owner_department_fields)
    return _Sheet(
        file,
        objmap,
        chosen,
        frame,
        pd.concat([malformed, voided], ignore_index=True),
        used,
        _owners(frame, kept, department),
        department,
    )


_LIFE_NOTE: Final = "生命状态: records not in realised_statuses are set aside as voided"
_DELETED_NOTE: Final = "deleted records are set aside"


def _require(objmap: ObjectMap, chosen: Mapping[str, str], file: ExportFile) -> None:
    """A CrmFormatError when the export lacks a field its table needs."""
    needed = list(_NEEDED.get(objmap.table, ()))
    if objmap.table == "clients" and "client_id" not in chosen:
        needed.append("name")
    if objmap.table == "opportunities" and "stage" not in chosen:
        needed.append("status")
    require_object_columns(objmap, chosen, needed, source=file.label, crm=CRM)


def _ids_from_names(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """An export without an id column identifies its clients or people by name."""
    key = {"clients": "client_id", "managers": "manager_id"}.get(table)
    if key is None or key in frame:
        return frame
    return frame.assign(**{key: frame["name"]})


def _owners(frame: pd.DataFrame, kept: pd.DataFrame, department: str | None) -> pd.DataFrame:
    """The owners (负责人) of the records, with their main department when exported."""
    if "manager_id" not in frame:
        return pd.DataFrame(columns=["manager_id", "name", "team"])
    team = kept[department] if department else pd.Series(None, frame.index, "object")
    return pd.DataFrame(
        {"manager_id": frame["manager_id"], "name": frame["manager_id"], "team": team}
    )


@dataclass(frozen=True, slots=True)
class _NameIndex:
    """The ids behind the display names of one table's exports."""

    ids: pd.Series  # name -> id, for names of exactly one record
    ambiguous: pd.Series  # name -> "id1, id2", for names of several
    sources: str

    @classmethod
    def of(cls, sheets: list[_Sheet], table: str) -> _NameIndex | None:
        """The index of the kept records of ``table``'s exports, or None without them."""
        mine = [s for s in sheets if s.objmap.table == table and "name" in s.frame]
        if not mine:
            return None
        key = "client_id" if table == "clients" else "manager_id"
        pairs = pd.concat([s.frame[["name", key]] for s in mine], ignore_index=True)
        pairs = pairs.dropna().drop_duplicates()
        ids = pairs.groupby("name", sort=True)[key].agg(lambda v: ", ".join(sorted(v)))
        counts = pairs["name"].value_counts()
        several = counts[counts > 1].index
        return cls(
            ids[~ids.index.isin(several)],
            ids[ids.index.isin(several)],
            ", ".join(s.file.label for s in mine),
        )


def _resolve_names(sheet: _Sheet, indexes: Mapping[str, _NameIndex | None]) -> SourceRows:
    """The sheet's rows with display names replaced by ids; ambiguous names set aside."""
    frame, aside = sheet.frame, [sheet.set_aside]
    for column, target in _LOOKUPS.items():
        index = indexes[target]
        if index is None or column not in frame or target == sheet.objmap.table:
            continue
        names = frame[column]
        clash = names.isin(index.ambiguous.index).to_numpy()
        if clash.any():
            header = sheet.chosen[column]
            reasons = [_ambiguous_reason(n, header, target, index) for n in names[clash]]
            aside.append(
                set_aside_rows(frame.index[clash], names[clash], "ambiguous_name", reasons, column)
            )
        frame = frame[~clash]
        resolved = frame[column].map(index.ids)
        frame = frame.assign(**{column: resolved.where(resolved.notna(), frame[column])})
    set_aside = pd.concat(aside, ignore_index=True).sort_values("row", kind="stable")
    return SourceRows(
        sheet.objmap.table,
        sheet.file.label,
        frame,
        set_aside.reset_index(drop=True),
        sha256=sheet.file.sha256,
        encoding=sheet.file.encoding,
    )


def _ambiguous_reason(name: str, header: str, target: str, index: _NameIndex) -> str:
    """Why a row naming two accounts (or people) is set aside, and the fix."""
    what = "accounts" if target == "clients" else "people"
    return (
        f"{header} {name!r} names several {what} in {index.sources} "
        f"(ids {index.ambiguous[name]}); the row cannot be credited to one of them: "
        "rename the duplicates in Fxiaoke or remove one from the export, then export again"
    )


def _sheet_report(sheet: _Sheet, indexes: Mapping[str, _NameIndex | None]) -> pd.DataFrame:
    """The mapping-report rows of one export file."""
    rows = report_rows(
        source=sheet.file.label,
        object_name=sheet.objmap.name,
        headers=[str(h) for h in sheet.file.frame.columns],
        table=sheet.objmap.table,
        chosen=sheet.chosen,
        used=sheet.used,
    )
    for column, target in _LOOKUPS.items():
        index = indexes[target]
        if index is not None and target != sheet.objmap.table:
            named = (rows["column"] == column).to_numpy()
            rows.loc[named, "note"] = f"names resolved to ids through {index.sources}"
    return rows


def _derived_managers(sheets: list[_Sheet]) -> SourceRows:
    """Managers from the owners (负责人) of the records, when no 人员 export is given."""
    owning = [s for s in sheets if len(s.owners.columns) and "manager_id" in s.chosen]
    owners = [s.owners for s in owning] or [pd.DataFrame(columns=["manager_id", "name", "team"])]
    labels = ", ".join(s.file.label for s in owning)
    derived = managers_from_owners(owners, source=f"owners (负责人) in {labels}")
    teams = pd.concat(owners, ignore_index=True).dropna(subset=["manager_id", "team"])
    team = teams.drop_duplicates("manager_id").set_index("manager_id")["team"]
    derived.frame["team"] = derived.frame["manager_id"].map(team)
    return derived


def _mark_derived(report: pd.DataFrame, sheets: list[_Sheet]) -> pd.DataFrame:
    """Report rows saying the managers table was built from owner columns."""
    note = "managers derived from the owners: no 人员 export was given"
    extra = []
    for sheet in sheets:
        owner = sheet.chosen.get("manager_id")
        if owner is None:
            continue
        extra.append([sheet.file.label, sheet.objmap.name, owner, "managers", "manager_id"])
        extra.append([sheet.file.label, sheet.objmap.name, owner, "managers", "name"])
        if sheet.department is not None:
            is_department = (report["source"] == sheet.file.label) & (
                report["source_column"] == sheet.department
            )
            report.loc[is_department, ["table", "column", "status", "note"]] = [
                "managers",
                "team",
                "derived",
                note,
            ]
    derived = pd.DataFrame(extra, columns=REPORT_COLUMNS[:5]).assign(status="derived", note=note)
    return pd.concat([report, derived], ignore_index=True)[REPORT_COLUMNS]
