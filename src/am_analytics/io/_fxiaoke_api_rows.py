"""纷享销客 OpenAPI records (JSON objects) into canonical rows.

The query API gives lookups as ids with a display twin (``owner`` is
``["1000"]``, ``owner__r`` is ``{"name": "王芳", ...}``), money as strings and
times as epoch milliseconds. Text columns take the display value, ids the
first item of a list, and times become naive datetimes in the organisation's
time zone; a date without time (order date, close date, hire date) is stored
as local midnight, so it is read as a local date, never as the UTC day before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from ..schemas import column_kinds, required_columns
from ._crm import REPORT_COLUMNS, ObjectMap, find_header, report_rows, require_object_columns
from ._crm_sources import SourceRows, managers_from_owners
from ._crm_sync import Watermark
from ._fxiaoke_records import CRM, FxiaokeOptions, finish_columns, split_voided

__all__ = ["Batch", "mark_derived", "owners_as_managers", "read_records"]

# Canonical date columns that hold a date without time: Fxiaoke stores them as
# local (Beijing) midnight, so they are read as local dates.
_DATE_ONLY: Final = frozenset({"order_date", "expected_close", "hire_date"})


@dataclass
class Batch:
    """What one object's records gave: canonical rows, report rows, owners, sync mark."""

    name: str
    rows: SourceRows
    report: pd.DataFrame
    owners: pd.DataFrame
    mark: Watermark


def read_records(
    objmap: ObjectMap,
    records: list[dict[str, Any]],
    mark: Watermark | None,
    options: FxiaokeOptions,
    timezone: str,
) -> Batch:
    """One object's fetched records as canonical rows (new ones only, when syncing)."""
    source = f"Fxiaoke {objmap.name}"
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    headers = [str(c) for c in frame.columns]
    modified = find_header(headers, options.modified_fields)
    times = _utc(frame[modified]) if modified else pd.Series(pd.NaT, frame.index, "M8[ns, UTC]")
    ids = frame["_id"].astype("str") if "_id" in frame else frame.index.to_series().astype("str")
    new_mark = (mark or Watermark(pd.Timestamp(0, tz="UTC"))).advance(times, ids)
    frame = frame[mark.is_new(times, ids)] if mark is not None else frame
    chosen = objmap.resolve(headers)
    if len(frame):
        require_object_columns(objmap, chosen, _needed(objmap), source=source, crm=CRM)
    life = find_header(headers, options.life_status_fields)
    deleted = find_header(headers, options.deleted_fields)
    keep, aside = split_voided(frame, life_header=life, deleted_header=deleted, options=options)
    canonical = _canonical(frame[keep], chosen, objmap, timezone)
    canonical = finish_columns(canonical, objmap.table, options)
    used = {h: _USED[i] for i, h in enumerate((life, deleted, modified)) if h}
    used |= {f"{h}__r": f"display name of {h}" for h in _displayed(chosen, objmap, headers)}
    report = report_rows(
        source=source,
        object_name=objmap.name,
        headers=headers,
        table=objmap.table,
        chosen=chosen,
        used=used,
    )
    rows = SourceRows(objmap.table, source, canonical, aside)
    return Batch(objmap.name, rows, report, _owners(frame[keep], chosen), new_mark)


_USED: Final = (
    "life status: records not in realised_statuses are set aside as voided",
    "deleted records are set aside",
    "last modification time: incremental sync",
)


def _needed(objmap: ObjectMap) -> list[str]:
    """The canonical columns an object's records must give (a status may come from the stage)."""
    needed = required_columns(objmap.table)
    if objmap.table == "opportunities" and "stage" in objmap.columns:
        return [c for c in needed if c != "status"]
    return needed


def _displayed(chosen: Mapping[str, str], objmap: ObjectMap, headers: list[str]) -> list[str]:
    """Chosen fields of text columns whose ``__r`` display value is present."""
    text = {c for c, kind in column_kinds(objmap.table).items() if kind in ("text", "enum")}
    return [h for c, h in chosen.items() if c in text and f"{h}__r" in headers]


def _canonical(
    frame: pd.DataFrame, chosen: Mapping[str, str], objmap: ObjectMap, timezone: str
) -> pd.DataFrame:
    """API values as canonical cells: first of a list, display names of text, local dates."""
    kinds = column_kinds(objmap.table)
    columns: dict[str, pd.Series] = {}
    for column, header in chosen.items():
        raw = _first(frame[header])
        if kinds[column] in ("text", "enum") and f"{header}__r" in frame:
            shown = _first(frame[f"{header}__r"]).map(_display_name, na_action="ignore")
            raw = shown.where(shown.notna(), raw)
        elif kinds[column] == "date":
            raw = _local_times(raw, timezone, date_only=column in _DATE_ONLY)
        columns[column] = raw
    if not len(frame) and not columns:
        columns = {c: pd.Series([], dtype="object") for c in required_columns(objmap.table)}
    return pd.DataFrame(columns, index=frame.index)


def _first(values: pd.Series) -> pd.Series:
    """Lists (owner ``["1000"]``) as their first item; other values as they are."""
    # API records arrive as Python objects, so this per-value step costs no more than reading them
    return values.map(
        lambda v: (v[0] if v else None) if isinstance(v, list) else v, na_action="ignore"
    )


def _display_name(value: object) -> object:
    """The name a ``__r`` value shows: ``{"name": …}``, ``{"deptName": …}`` or text."""
    if isinstance(value, dict):
        return value.get("name") or value.get("deptName") or value.get("label")
    return value


def _epoch(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Epoch milliseconds as UTC times, and which present cells were not numbers."""
    numbers = pd.to_numeric(values, errors="coerce")
    known = numbers.notna().to_numpy()
    millis = np.where(known, numbers.fillna(0).to_numpy(dtype="float64"), 0).round()
    stamps = pd.Series(pd.to_datetime(millis.astype("int64"), unit="ms", utc=True), values.index)
    return stamps.where(known), values.notna().to_numpy() & ~known


def _utc(values: pd.Series) -> pd.Series:
    """Modification times (epoch ms) as UTC timestamps."""
    return _epoch(_first(values))[0]


def _local_times(values: pd.Series, timezone: str, *, date_only: bool) -> pd.Series:
    """Epoch ms as naive local datetimes (dates at local midnight); other text kept."""
    stamps, unreadable = _epoch(values)
    local = stamps.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[ns]")
    if date_only:
        local = local.dt.normalize()
    if not unreadable.any():
        return local
    # keep what is not a number as text, so validation rejects it with the value
    return local.astype("object").where(~unreadable, values)


def _owners(frame: pd.DataFrame, chosen: Mapping[str, str]) -> pd.DataFrame:
    """The owners of the records: id (first of ``owner``) and name (``owner__r``)."""
    header = chosen.get("manager_id")
    if header is None or not len(frame):
        return pd.DataFrame({"manager_id": [], "name": []}, dtype="object")
    ids = _first(frame[header])
    label = f"{header}__r"
    names = _first(frame[label]).map(_display_name, na_action="ignore") if label in frame else ids
    return pd.DataFrame({"manager_id": ids, "name": names})


def owners_as_managers(batches: list[Batch]) -> SourceRows:
    """Managers from the owners of the records read, when PersonnelObj is not read."""
    owning = [b for b in batches if len(b.owners)]
    owners = [b.owners for b in owning] or [pd.DataFrame({"manager_id": [], "name": []})]
    names = ", ".join(b.name for b in owning) or "no records"
    return managers_from_owners(owners, source=f"Fxiaoke owners of {names}")


def mark_derived(report: pd.DataFrame, batches: list[Batch]) -> pd.DataFrame:
    """Report rows saying the managers table came from owner fields (``owner``, ``owner__r``)."""
    note = "managers derived from the records' owners: PersonnelObj was not read"
    out = report.copy()
    rows = []
    for batch in batches:
        mine = (out["object"] == batch.name).to_numpy()
        owner = out.loc[mine & (out["column"] == "manager_id").to_numpy(), "source_column"]
        for header in owner:
            rows.append([f"Fxiaoke {batch.name}", batch.name, header, "managers", "manager_id"])
            shown = mine & (out["source_column"] == f"{header}__r").to_numpy()
            out.loc[shown, ["table", "column", "status", "note"]] = [
                "managers", "name", "derived", note
            ]  # fmt: skip
    derived = pd.DataFrame(rows, columns=REPORT_COLUMNS[:5]).assign(status="derived", note=note)
    return pd.concat([out, derived], ignore_index=True)[REPORT_COLUMNS]
