"""Zoho CRM records into canonical rows, and the UI export files that hold them.

UI exports and API answers carry the same records under different names
(``Deal Owner.id`` in a file, ``Owner.id`` once the API's JSON is flattened),
so both go through one conversion: a :class:`RecordBatch` (one file, or one
module fetched) becomes the :class:`~am_analytics.io._crm_sources.SourceRows` of its
canonical table(s) and the mapping-report rows of its columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..schemas import column_kinds, key_columns
from ._crm import (
    REPORT_COLUMNS,
    CrmMapping,
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
from .parsing import parse_number

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset
    from ..schemas import ValidationRules

__all__ = ["RecordBatch", "ZohoOptions", "build_dataset", "read_export"]

CRM: Final = "zoho"
#: UI exports write every id as ``zcrm_<digits>``; the API writes the digits.
ID_PREFIX: Final = "zcrm_"
#: Canonical columns each table's records cannot do without.
_NEEDED: Final = {
    "managers": ("manager_id", "name"),
    "clients": ("client_id", "manager_id"),
    "opportunities": ("opportunity_id", "manager_id", "amount", "stage"),
}
#: Zoho user statuses -> canonical manager statuses (anything else is rejected).
_USER_STATUS: Final = {
    "active": "active",
    "inactive": "left",
    "disabled": "left",
    "deactive": "left",
    "deleted": "left",
}
_FIELD_OPTIONS: Final = (
    "exchange_rate_fields",
    "currency_fields",
    "modified_time_fields",
    "owner_name_fields",
    "deal_contact_fields",
    "contact_account_fields",
)
# A trailing UTC offset of an API datetime (``+05:30``, ``-0800``, ``Z``).
_OFFSET: Final = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"


@dataclass(frozen=True, slots=True)
class ZohoOptions:
    """The ``[options]`` of a Zoho mapping, checked.

    Examples
    --------
    >>> options = ZohoOptions.from_mapping(load_mapping("zoho"), won_stages=["Won", "Closed Won"])
    >>> options.won_stages, options.exchange_rate
    (('Won', 'Closed Won'), 'divide')
    """

    won_stages: tuple[str, ...] = ("Closed Won",)
    lost_stages: tuple[str, ...] = ("Closed Lost", "Closed Lost to Competition")
    exchange_rate: str = "divide"
    users_type: str = "AllUsers"
    exchange_rate_fields: tuple[str, ...] = ()
    currency_fields: tuple[str, ...] = ()
    modified_time_fields: tuple[str, ...] = ()
    owner_name_fields: tuple[str, ...] = ()
    deal_contact_fields: tuple[str, ...] = ()
    contact_account_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.exchange_rate not in ("divide", "multiply"):
            raise ConfigError(
                f'zoho option exchange_rate must be "divide" or "multiply", '
                f"got {self.exchange_rate!r}"
            )
        if self.users_type not in ("AllUsers", "ActiveUsers"):
            raise ConfigError(
                f'zoho option users_type must be "AllUsers" or "ActiveUsers", '
                f"got {self.users_type!r}"
            )
        both = {s.casefold() for s in self.won_stages} & {s.casefold() for s in self.lost_stages}
        if both:
            raise ConfigError(
                f"zoho stages {', '.join(sorted(both))} are both won and lost; "
                "list each stage in won_stages or lost_stages, not both"
            )

    @classmethod
    def from_mapping(
        cls, mapping: CrmMapping, *, won_stages: Iterable[str] | None = None
    ) -> ZohoOptions:
        """The options of ``mapping``; ``won_stages`` (if given) replaces the mapping's."""
        given = dict(mapping.options)
        unknown = set(given) - {
            "won_stages",
            "lost_stages",
            "exchange_rate",
            "users_type",
            *_FIELD_OPTIONS,
        }
        if unknown:
            raise ConfigError(
                f"unknown zoho options {', '.join(sorted(unknown))}; see docs/zoho.md for the "
                "options (won_stages, lost_stages, exchange_rate, users_type, ...)"
            )
        if won_stages is not None:
            given["won_stages"] = [won_stages] if isinstance(won_stages, str) else list(won_stages)
        lists = {k: _names(k, v) for k, v in given.items() if k not in _SCALARS}
        return cls(
            exchange_rate=str(given.get("exchange_rate", "divide")),
            users_type=str(given.get("users_type", "AllUsers")),
            **lists,
        )


_SCALARS: Final = ("exchange_rate", "users_type")


def _names(option: str, value: object) -> tuple[str, ...]:
    """An option that lists names, as a tuple of strings."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"zoho option {option} must be a name or a list of names, got {value!r}")


@dataclass
class RecordBatch:
    """The records of one Zoho module from one source, with the fields as the source names them.

    ``frame``'s index is the 1-based row of each record in the source (the file's
    data row, or the position in the fetched stream); ``set_aside`` holds rows
    already left out (malformed CSV lines, deleted records), in the layout of
    :func:`~am_analytics.io._crm_sources.set_aside_rows`.
    """

    object_name: str
    source: str
    frame: pd.DataFrame
    set_aside: pd.DataFrame = field(default_factory=lambda: set_aside_rows([], [], "", [], []))
    api: bool = False
    sha256: str | None = None
    encoding: str | None = None


@dataclass
class _Converted:
    """What one batch gives: canonical rows, mapping-report rows, record owners."""

    parts: list[SourceRows]
    report: pd.DataFrame
    owners: pd.DataFrame | None


def build_dataset(
    batches: Iterable[RecordBatch],
    *,
    mapping: CrmMapping,
    options: ZohoOptions,
    timezone: str | None = None,
    as_of: Any = None,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
    extra_report: pd.DataFrame | None = None,
) -> Dataset:
    """Every batch converted and validated into one Dataset (managers from owners if no Users)."""
    batches = list(batches)
    has_users = any(mapping.object(b.object_name).table == "managers" for b in batches)
    parts: list[SourceRows] = []
    reports = [] if extra_report is None else [extra_report]
    owners: list[pd.DataFrame] = []
    for batch in batches:
        converted = _convert(batch, mapping.object(batch.object_name), options, timezone=timezone)
        parts.extend(converted.parts)
        reports.append(_mark_owner_names(converted.report, batch, options, derived=not has_users))
        if converted.owners is not None:
            owners.append(converted.owners)
    if not has_users and owners:
        sources = ", ".join(dict.fromkeys(b.source for b in batches))
        parts.append(managers_from_owners(owners, source=f"owners of records in {sources}"))
    report = pd.concat(reports, ignore_index=True)
    return assemble(parts, crm=CRM, report=report, as_of=as_of, on_orphans=on_orphans, rules=rules)


def _convert(
    batch: RecordBatch, objmap: ObjectMap, options: ZohoOptions, *, timezone: str | None
) -> _Converted:
    """One batch into canonical rows of its table (and sales, for deals)."""
    frame = batch.frame
    chosen = objmap.resolve(frame.columns)
    needed = _NEEDED.get(objmap.table, key_columns(objmap.table)[:1])
    contact = find_header(frame.columns, options.deal_contact_fields)
    if objmap.table == "opportunities" and contact is None:
        needed = (*needed, "client_id")
    require_object_columns(objmap, chosen, needed, source=batch.source, crm=CRM)
    rows = pd.DataFrame({c: frame[h] for c, h in chosen.items()}, index=frame.index)
    rows = _tidy_ids(rows, objmap.table)
    if batch.api:
        for column, kind in column_kinds(objmap.table).items():
            if kind == "date" and column in rows:
                rows[column] = org_local_time(rows[column], timezone)
    used = _used_fields(frame, options)
    if objmap.table == "opportunities":
        parts, used = _deal_parts(batch, rows, chosen, options, used, contact)
    elif objmap.name == "Contacts":
        parts, used = _contact_parts(batch, rows, options, used)
    else:
        if objmap.table == "managers" and "status" in rows:
            rows["status"] = _user_status(rows["status"])
        parts = [_source_rows(objmap.table, batch, rows, batch.set_aside)]
    report = report_rows(
        source=batch.source,
        object_name=objmap.name,
        headers=[str(c) for c in frame.columns],
        table=objmap.table,
        chosen=chosen,
        used=used,
    )
    if objmap.table == "opportunities":
        report = pd.concat([report, _sales_report(batch, chosen)], ignore_index=True)
        stage = report["source_column"] == chosen["stage"]
        report.loc[stage, "note"] = "also decides the status (won/lost/open) and the sales"
    return _Converted(parts, report, _owners(batch, rows, options, objmap.table))


def _source_rows(
    table: str, batch: RecordBatch, frame: pd.DataFrame, set_aside: pd.DataFrame
) -> SourceRows:
    """SourceRows of one batch, carrying its file's checksum and encoding."""
    return SourceRows(table, batch.source, frame, set_aside, batch.sha256, batch.encoding)


def strip_id_prefix(values: pd.Series) -> pd.Series:
    """Ids as text without the export's ``zcrm_`` prefix (so export ids equal API ids).

    Examples
    --------
    >>> strip_id_prefix(pd.Series(["zcrm_4876876000000412001", "554023000000235011", None]))
    0    4876876000000412001
    1     554023000000235011
    2                    NaN
    dtype: str
    """
    text = values.astype("str").mask(values.isna()).str.strip()
    return text.str.removeprefix(ID_PREFIX)


def _tidy_ids(rows: pd.DataFrame, table: str) -> pd.DataFrame:
    """Id and reference columns without the ``zcrm_`` prefix."""
    kinds = column_kinds(table)
    ids = {str(c): strip_id_prefix(rows[c]) for c in rows if kinds.get(str(c)) in ("id", "ref")}
    return rows.assign(**ids) if ids else rows


def org_local_time(values: pd.Series, timezone: str | None) -> pd.Series:
    """API datetimes as naive text in the organisation's time: converted to ``timezone``
    when given, else their wall-clock time as written. Dates without an offset stay as they are.

    Examples
    --------
    >>> times = pd.Series(["2026-07-01T10:00:00+05:30", "2026-07-02", None])
    >>> org_local_time(times, "Asia/Shanghai").tolist()
    ['2026-07-01T12:30:00', '2026-07-02', nan]
    >>> org_local_time(times, None).tolist()
    ['2026-07-01T10:00:00', '2026-07-02', nan]
    """
    text = values.astype("str").mask(values.isna())
    has_offset = text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool)
    if timezone is None or not has_offset.any():
        return text.str.replace(_OFFSET, "", regex=True)
    stamps = pd.to_datetime(text.where(has_offset), format="ISO8601", utc=True, errors="coerce")
    local = stamps.dt.tz_convert(timezone).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return text.where(~has_offset | local.isna(), local)


def _user_status(values: pd.Series) -> pd.Series:
    """Zoho user statuses as canonical manager statuses; unknown ones left for validation."""
    text = values.astype("str").mask(values.isna())
    return text.str.strip().str.lower().map(_USER_STATUS).fillna(text)


def _used_fields(frame: pd.DataFrame, options: ZohoOptions) -> dict[str, str]:
    """Fields read for a rule rather than a column, with what they are used for."""
    purposes = {
        "exchange_rate_fields": "converts Amount to the home currency",
        "currency_fields": "the record's currency (Amount is converted with Exchange_Rate)",
        "modified_time_fields": "modification time: the watermark of incremental API syncs",
    }
    used: dict[str, str] = {}
    for option, purpose in purposes.items():
        header = find_header(frame.columns, getattr(options, option))
        if header is not None:
            used[header] = purpose
    return used


# --- deals -----------------------------------------------------------------------------


def _deal_parts(
    batch: RecordBatch,
    rows: pd.DataFrame,
    chosen: Mapping[str, str],
    options: ZohoOptions,
    used: dict[str, str],
    contact: str | None,
) -> tuple[list[SourceRows], dict[str, str]]:
    """Every deal as an opportunity, the won ones also as sales."""
    frame = batch.frame
    client = rows["client_id"] if "client_id" in rows else pd.Series(pd.NA, index=rows.index)
    if contact is not None:
        used[contact] = "the client of deals without an account (B2C: the contact)"
        client = client.fillna(strip_id_prefix(frame[contact]))
    rate_header = find_header(frame.columns, options.exchange_rate_fields)
    rates = frame[rate_header] if rate_header is not None else None
    amount, bad_rate = _home_amounts(rows["amount"], rates, how=options.exchange_rate)
    status = _deal_status(rows["stage"], options)
    deals = rows.assign(client_id=client, amount=amount, status=status)
    if "probability" in deals:
        deals["probability"] = _numbers_or_text(deals["probability"], lambda p: p / 100)
    aside = set_aside_rows(
        deals.index[bad_rate],
        frame.loc[bad_rate, rate_header] if rate_header is not None else [],
        "exchange_rate",
        "Exchange_Rate is not a positive number; the amount cannot be converted "
        "to the home currency (fix the rate in Zoho CRM)",
        "amount",
    )
    won = (status == "won").to_numpy()
    sales = pd.DataFrame(
        {
            "order_id": deals["opportunity_id"],
            "client_id": deals["client_id"],
            "manager_id": deals["manager_id"],
            "order_date": deals.get("expected_close", pd.Series(pd.NA, index=deals.index)),
            "amount": deals["amount"],
        }
    )
    parts = [
        _source_rows("opportunities", batch, deals[~bad_rate], pd.concat([batch.set_aside, aside])),
        _source_rows("sales", batch, sales[won & ~bad_rate], aside[won[bad_rate]]),
    ]
    return parts, used


def _deal_status(stages: pd.Series, options: ZohoOptions) -> pd.Series:
    """won / lost / open from the deal stage, compared without regard to case."""
    folded = stages.astype("str").mask(stages.isna()).str.strip().str.casefold()
    won = folded.isin([s.casefold() for s in options.won_stages]).to_numpy(dtype=bool)
    lost = folded.isin([s.casefold() for s in options.lost_stages]).to_numpy(dtype=bool)
    return pd.Series(np.select([won, lost], ["won", "lost"], "open"), index=stages.index)


def _home_amounts(
    amounts: pd.Series, rates: pd.Series | None, *, how: str
) -> tuple[pd.Series, np.ndarray]:
    """Amounts in the home currency, and which rows have an unusable exchange rate.

    Amounts that cannot be read stay as written, for validation to reject them
    with the standard reason.
    """
    if rates is None:
        return amounts, np.zeros(len(amounts), dtype=bool)
    rate = parse_number(rates, label="Exchange_Rate").values
    written = rates.notna().to_numpy() & (rates.astype("str").str.strip() != "").to_numpy()
    bad = written & ~(rate > 0).to_numpy()
    usable = rate.where(rate > 0, 1.0)
    convert = (lambda a: a / usable) if how == "divide" else (lambda a: a * usable)
    return _numbers_or_text(amounts, convert), bad


def _numbers_or_text(values: pd.Series, transform: Any) -> pd.Series:
    """Numbers transformed; cells that are not numbers kept as written for validation."""
    parsed = parse_number(values, money=True, label="value")
    if not len(parsed.failures):  # typed: validation need not read them again
        return transform(parsed.values).astype("float64")
    out = transform(parsed.values).astype(object)
    if len(parsed.failures):
        out[parsed.failures.index] = values[parsed.failures.index]
    return out.where(parsed.values.notna() | out.index.isin(parsed.failures.index), None)


def _sales_report(batch: RecordBatch, chosen: Mapping[str, str]) -> pd.DataFrame:
    """Report rows for the fields that also feed sales (won deals only)."""
    feeds = {
        "opportunity_id": "order_id",
        "client_id": "client_id",
        "manager_id": "manager_id",
        "expected_close": "order_date",
        "amount": "amount",
    }
    rows = [
        (batch.source, batch.object_name, chosen[c], "sales", s, "mapped", "won deals only")
        for c, s in feeds.items()
        if c in chosen
    ]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


# --- contacts and owners ----------------------------------------------------------------


def _contact_parts(
    batch: RecordBatch, rows: pd.DataFrame, options: ZohoOptions, used: dict[str, str]
) -> tuple[list[SourceRows], dict[str, str]]:
    """Contacts without an account as clients; the others set aside as people at a client."""
    header = find_header(batch.frame.columns, options.contact_account_fields)
    if header is None:
        return [_source_rows("clients", batch, rows, batch.set_aside)], used
    used = {**used, header: "contacts with an account are people at that client, not clients"}
    account = strip_id_prefix(batch.frame[header])
    person = account.notna().to_numpy() & (account != "").fillna(False).to_numpy(dtype=bool)
    aside = set_aside_rows(
        rows.index[person],
        rows.loc[person, "client_id"],
        "not_a_client",
        (
            "contact of account " + account[person].astype("str") + "; the account is the client"
        ).to_numpy(dtype=object),
        "client_id",
    )
    return [
        _source_rows("clients", batch, rows[~person], pd.concat([batch.set_aside, aside]))
    ], used


def _owners(
    batch: RecordBatch, rows: pd.DataFrame, options: ZohoOptions, table: str
) -> pd.DataFrame | None:
    """The owners of the records (manager_id, name), to derive managers when there are no Users."""
    if table == "managers" or "manager_id" not in rows:
        return None
    header = find_header(batch.frame.columns, options.owner_name_fields)
    names = batch.frame[header] if header is not None else pd.Series(pd.NA, index=rows.index)
    return pd.DataFrame({"manager_id": rows["manager_id"], "name": names}, index=rows.index)


def _mark_owner_names(
    report: pd.DataFrame, batch: RecordBatch, options: ZohoOptions, *, derived: bool
) -> pd.DataFrame:
    """Report rows saying which owner fields built the managers table (when derived)."""
    header = find_header(batch.frame.columns, options.owner_name_fields)
    owner_id = report[(report["column"] == "manager_id") & (report["status"] == "mapped")]
    if not derived or owner_id.empty or report["table"].eq("managers").any():
        return report
    note = "managers derived from record owners (no Users export or module)"
    extra = owner_id.iloc[:1].assign(table="managers", status="derived", note=note)
    report = report.copy()
    if header is not None:
        name_row = report["source_column"] == header
        report.loc[name_row, ["table", "column", "status", "note"]] = [
            "managers",
            "name",
            "derived",
            note,
        ]
    return pd.concat([report, extra], ignore_index=True)


# --- export files -----------------------------------------------------------------------


def read_export(
    paths: str | Path | Iterable[str | Path],
    *,
    mapping: str | Path | None = None,
    won_stages: Iterable[str] | None = None,
    as_of: Any = None,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
) -> Dataset:
    """Read Zoho CRM export files (Users, Accounts, Contacts, Deals) into a Dataset.

    Parameters
    ----------
    paths
        An export file, several files, or a folder of them (CSV, Excel, Parquet).
        Each file's module is told by its name (``Deals*``, ``Potentials*``,
        ``Accounts*``, ``Contacts*``, ``Users*``) or, failing that, by its headers.
        Several files of one module are combined.
    mapping
        A TOML file laid over the default mapping (custom fields, stages, ...).
    won_stages
        Deal stages that count as won, replacing the mapping's ``won_stages``.
    as_of, on_orphans, rules
        As for :func:`am_analytics.load`.

    Returns
    -------
    Dataset
        managers (from Users, else from the records' owners), clients (accounts,
        and contacts without an account), opportunities (every deal), sales (won
        deals), rejects, and ``mapping`` (see :func:`mapping_report`).

    Raises
    ------
    CrmFormatError
        A file is no known module, or lacks the fields a table needs.
    MissingTableError
        No Deals (or no Accounts) file was given.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "Accounts_001.csv").write_text(
    ...     "Record Id,Account Owner.id,Account Owner,Account Name\\n"
    ...     "zcrm_11,zcrm_7,Li Lei,Acme\\n"
    ... )
    >>> _ = (folder / "Deals_001.csv").write_text(
    ...     "Record Id,Deal Owner.id,Deal Owner,Amount,Closing Date,Account Name.id,Stage\\n"
    ...     "zcrm_21,zcrm_7,Li Lei,1200,2026-07-01,zcrm_11,Closed Won\\n"
    ... )
    >>> data = read_export(folder)
    >>> data.sales[["order_id", "client_id", "manager_id", "amount"]]
      order_id client_id manager_id  amount
    0       21        11          7  1200.0
    """
    zoho_map = load_mapping(CRM, mapping)
    options = ZohoOptions.from_mapping(zoho_map, won_stages=won_stages)
    files = read_export_files(paths, crm=CRM)
    batches = [
        _export_batch(file, object_of_export(file, zoho_map, fits=_fits, crm_name="Zoho CRM"))
        for file in files
    ]
    return build_dataset(
        batches, mapping=zoho_map, options=options, as_of=as_of, on_orphans=on_orphans, rules=rules
    )


def _export_batch(file: ExportFile, objmap: ObjectMap) -> RecordBatch:
    """One export file as a batch: 1-based rows, malformed lines set aside."""
    frame = file.frame.copy()
    frame.index = pd.Index(np.asarray(frame.index, dtype="int64") + 1)
    malformed = file.malformed
    aside = set_aside_rows(
        malformed["row"].to_numpy(dtype="int64") + 1,
        malformed["value"],
        "malformed_row",
        malformed["reason"].astype("str").to_numpy(dtype=object),
    )
    return RecordBatch(
        objmap.name, file.label, frame, aside, sha256=file.sha256, encoding=file.encoding
    )


def _fits(objmap: ObjectMap, headers: list[str]) -> bool:
    """Whether the headers give the module its key and at least one more field."""
    chosen = objmap.resolve(headers)
    return key_columns(objmap.table)[0] in chosen and len(chosen) >= 2
