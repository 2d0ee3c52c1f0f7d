"""Loading on Dask: the small tables eagerly, the sales lazily, one partition per sales file.

A dataset folder for the Dask engine holds the small tables as files, as for
the pandas engine (``managers.parquet``, ``clients.csv``, ...), and the sales as
a folder of files: hive-partitioned Parquet (``sales/month=2026-07/part-0.parquet``)
or many CSV files (``sales/2026-07.csv``), read in path order. A single
``sales`` file works too (one partition).

Each sales file is one partition, read with the pandas engine's reader and
validated with the pandas engine's rules (:func:`~am_analytics._validation`'s
per-table step) against the kept managers and clients; its rejects name the
file (relative to the dataset folder) and the 1-based row in that file.

Order ids shared by several files are found without moving the table
(:func:`_keys_in_several_files`): each file sends the 64-bit hashes of its
distinct order ids, split into hash buckets; one task per bucket finds the
hashes present in more than one file. Only the rows carrying such a hash (in
practice few) are then brought together and validated as one table, so that
the rule of the pandas engine applies to them unchanged: exact duplicates keep
the first row (in file order), rows that share a key but differ are all
rejected. Ids repeated within one file only are handled within its partition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .._engines import import_dask
from .._validation import (
    TableReport,
    _validate_in_order,
    _validate_table,
    check_columns,
    empty_rejects,
)
from ..errors import ConfigError, DataValidationError, InputFileError
from ..schemas import TABLES, ValidationRules, key_columns, required_columns
from .aliases import map_headers, table_for_name
from .files import RawTable, Source, file_kind, find_sources, read_source
from .parsing import parse_text

if TYPE_CHECKING:
    import dask.dataframe as dd

    from .._keys import OnOrphans

__all__ = ["DistributedTables", "read_tables_distributed"]

_SALES: Final = "sales"
_KEY: Final = key_columns(_SALES)[0]
# At most this many hash buckets; a bucket's task holds ~8 bytes per distinct id of 1/B of the data.
_MAX_BUCKETS: Final = 64
# One bucket per this many bytes of sales files: ~10M ids, ~80 MB of hashes for Parquet.
_BYTES_PER_BUCKET: Final = 256 * 2**20


@dataclass(frozen=True)
class DistributedTables:
    """What :func:`read_tables_distributed` returns: the tables, all rejects, a report per table."""

    tables: dict[str, Any]
    rejects: pd.DataFrame
    reports: list[TableReport]


@dataclass(frozen=True)
class _SalesFile:
    """One sales file and its name in rejects (relative to the dataset folder)."""

    path: Path
    label: str


@dataclass(frozen=True)
class _Context:
    """What every partition is validated against: the kept keys of the tables it refers to."""

    kept: dict[str, pd.DataFrame]
    roots: dict[str, pd.Series]
    rules: ValidationRules
    as_of: pd.Timestamp | None
    on_orphans: OnOrphans

    def validate(self, raw: RawTable) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """Sales rows validated with the pandas engine's rules: kept rows, rejects, notes."""
        frame, rejects, notes, _ = _validate_table(
            _SALES,
            raw,
            self.kept,
            self.roots,
            rules=self.rules,
            as_of=self.as_of,
            on_orphans=self.on_orphans,
        )
        return frame, rejects, notes


@dataclass(frozen=True)
class _SharedKeys:
    """Hashes of order ids found in several files, and per file the rows of them that are kept."""

    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    kept_rows: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class _PartitionCounts:
    """Rows read, kept and rejected in one partition, with the file's digest and reading notes."""

    rows_read: int
    rows_kept: int
    rows_rejected: int
    sha256: str
    encoding: str | None
    notes: tuple[str, ...]


def read_tables_distributed(
    path: str | Path,
    *,
    as_of: pd.Timestamp | None,
    on_orphans: OnOrphans,
    rules: ValidationRules,
    persist: bool = False,
) -> DistributedTables:
    """Validate a dataset folder with the sales as a lazy Dask DataFrame.

    The small tables are read and validated eagerly. The sales are validated
    once, partition by partition, to count their rows and collect their rejects
    (only those come back). The returned sales frame is lazy: each computation
    on it reads and validates its files again, unless ``persist`` keeps the
    validated partitions in the cluster's memory.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from am_analytics import ValidationRules, generate
    >>> frames = generate(n_managers=5, n_clients=20, seed=1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name in ("managers", "clients", "sales"):
    ...         frames[name].to_parquet(pathlib.Path(folder, f"{name}.parquet"))
    ...     read = read_tables_distributed(
    ...         folder, as_of=None, on_orphans="reject", rules=ValidationRules()
    ...     )
    ...     kept = read.tables["sales"].compute()
    >>> len(kept) == len(frames["sales"]) == read.reports[2].rows_read
    True
    """
    if on_orphans != "reject":
        raise ConfigError(
            f"on_orphans={on_orphans!r} is not available with engine='dask' (the kept "
            "unknown ids would make each partition's categories differ); use "
            "on_orphans='reject', or engine='pandas'"
        )
    dask = _import_dask()
    folder = Path(path)
    sales_files, small_sources = _find_sales_files(folder)
    if not sales_files:
        check_columns({t: read_source(s) for t, s in small_sources.items()})
    scans = dask.compute(*[dask.delayed(_scan_file)(f, 0) for f in sales_files[:1]])
    first_empty = scans[0][1]
    raws = {table: read_source(source) for table, source in small_sources.items()}
    meta_raw = RawTable.from_frame(first_empty, table=_SALES, source=sales_files[0].label)
    kept, roots, rejects, reports, meta = _validate_small_tables(
        {**raws, _SALES: meta_raw}, rules=rules, as_of=as_of, on_orphans=on_orphans
    )
    context = _Context(
        {t: kept[t][key_columns(t)] for t in ("managers", "clients")},
        {t: roots[t] for t in ("managers", "clients")},
        rules,
        as_of,
        on_orphans,
    )
    shared, shared_rejects = _shared_keys(sales_files, first_empty, context, dask=dask)
    sales, sales_rejects, report = _validate_sales(
        sales_files, meta, meta_raw, shared, shared_rejects, context, dask=dask, persist=persist
    )
    at = [t for t in TABLES if t in kept or t == _SALES].index(_SALES)
    reports.insert(at, report)
    pieces = [r for r in rejects if r["table"].iloc[0] in TABLES[: TABLES.index(_SALES)]]
    later = [r for r in rejects if r["table"].iloc[0] in TABLES[TABLES.index(_SALES) + 1 :]]
    all_rejects = pd.concat([empty_rejects(), *pieces, sales_rejects, *later], ignore_index=True)
    return DistributedTables({**kept, _SALES: sales}, all_rejects, reports)


# --- files ------------------------------------------------------------------------------


def _find_sales_files(folder: Path) -> tuple[list[_SalesFile], dict[str, Source]]:
    """The sales files (a folder named after the table, or one file) and the other sources."""
    if not folder.is_dir():
        raise InputFileError(
            f"{folder} is not a folder; engine='dask' reads a dataset folder with the sales "
            "as a folder of Parquet or CSV files (sales/month=2026-07/part-0.parquet)",
            source=str(folder),
        )
    sources = find_sources(folder)
    folders = [
        p for p in sorted(folder.iterdir()) if p.is_dir() and table_for_name(p.name) == _SALES
    ]
    if folders and _SALES in sources:
        raise InputFileError(
            f"more than one source for the sales in {folder} ({folders[0].name}/ and "
            f"{sources[_SALES].label}); keep the folder or the file",
            source=str(folder),
        )
    if folders:
        paths = sorted(p for p in folders[0].rglob("*") if p.is_file() and file_kind(p))
        paths = [p for p in paths if file_kind(p) in ("csv", "parquet")]
        if not paths:
            raise InputFileError(
                f"{folders[0]} holds no .parquet or .csv files; write one file per month "
                "(sales/month=2026-07/part-0.parquet)",
                source=str(folders[0]),
            )
    elif _SALES in sources:
        paths = [sources[_SALES].path]
    else:
        return [], sources  # check_columns names the missing table
    files = [_SalesFile(p, p.relative_to(folder).as_posix()) for p in paths]
    return files, {t: s for t, s in sources.items() if t != _SALES}


def _read_sales_file(file: _SalesFile) -> RawTable:
    """One sales file as the pandas engine reads it, named by its path in the dataset."""
    raw = read_source(Source(file.path, _SALES))
    raw.source = file.label
    return raw


def _check_sales_headers(raw: RawTable) -> None:
    """Every sales file has the required columns (the first one is checked with the tables)."""
    missing = [c for c in required_columns(_SALES) if c not in raw.frame.columns]
    if missing:
        raise DataValidationError(
            f"{raw.source}: required columns {', '.join(missing)} not found (it has "
            f"{', '.join(raw.headers)}); every sales file needs the same columns",
            missing={_SALES: missing},
        )


# --- small tables -----------------------------------------------------------------------


def _validate_small_tables(
    raws: dict[str, RawTable],
    *,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
    on_orphans: OnOrphans,
) -> tuple[
    dict[str, pd.DataFrame],
    dict[str, pd.Series],
    list[pd.DataFrame],
    list[TableReport],
    pd.DataFrame,
]:
    """Every table but the sales validated, and the sales' columns and dtypes (from no rows)."""
    # nothing refers to the sales, so validating their zero rows among the others
    # changes no other table: it gives the kept sales' columns and dtypes
    kept, roots, rejects, reports = _validate_in_order(
        raws, rules=rules, as_of=as_of, on_orphans=on_orphans
    )
    meta = kept.pop(_SALES)
    reports = [report for report in reports if report.table != _SALES]
    return kept, roots, [r for r in rejects if len(r)], reports, meta


# --- order ids in several files ---------------------------------------------------------


def _key_hashes(frame: pd.DataFrame) -> np.ndarray:
    """The 64-bit hash of each row's order id as validation reads it (0 where it is empty)."""
    ids = parse_text(frame[_KEY]).values
    hashes = pd.util.hash_array(ids.fillna("").to_numpy(dtype=object), categorize=False)
    # an empty id shares no key (validation rejects it as required)
    return np.where(ids.isna().to_numpy(), np.uint64(0), hashes)


def _scan_file(file: _SalesFile, buckets: int) -> tuple[list[np.ndarray], pd.DataFrame]:
    """A file's distinct order-id hashes split into buckets, and its columns (with no rows)."""
    if file_kind(file.path) == "parquet":
        # only the id column is read: the hashes need nothing else
        names = pq.read_schema(file.path).names
        mapping, _ = map_headers(_SALES, names)
        empty = pq.read_schema(file.path).empty_table().to_pandas(ignore_metadata=True)
        raw = RawTable.from_frame(empty, table=_SALES, source=file.label)
        headers = [h for h, c in mapping.items() if c == _KEY]
        if buckets and headers:
            ids = pq.read_table(file.path, columns=headers).to_pandas(ignore_metadata=True)
            raw.frame = ids.rename(columns={headers[0]: _KEY})
    else:
        raw = _read_sales_file(file)
        empty = raw.frame.iloc[:0].rename(columns={c: h for h, c in raw.columns.items()})
    _check_sales_headers(RawTable.from_frame(empty, table=_SALES, source=file.label))
    if not buckets:
        return [], empty
    hashes = np.unique(_key_hashes(raw.frame))
    hashes = hashes[hashes != 0]
    return [hashes[hashes % buckets == b] for b in range(buckets)], empty


def _hashes_in_several_files(*per_file: np.ndarray) -> np.ndarray:
    """The hashes of one bucket present in more than one file (each file's are distinct)."""
    values, counts = np.unique(
        np.concatenate([np.empty(0, np.uint64), *per_file]), return_counts=True
    )
    return values[counts > 1]


def _keys_in_several_files(files: Sequence[_SalesFile], *, dask: Any) -> np.ndarray:
    """Hashes of the order ids found in more than one file: a hash set partitioned by bucket.

    Each file sends only the 64-bit hashes of its distinct ids, one array per
    bucket (``hash % B``, one bucket per 256 MB of files); bucket ``b``'s task
    receives every file's array ``b`` and keeps the hashes seen more than once.
    No row leaves its partition, and no task holds more than one bucket's
    hashes (8 bytes per distinct id, of 1/B of the data).
    """
    total = sum(f.path.stat().st_size for f in files)
    buckets = int(np.clip(-(-total // _BYTES_PER_BUCKET), 1, _MAX_BUCKETS))
    scans = [dask.delayed(_scan_file, nout=2)(f, buckets)[0] for f in files]
    per_bucket = [
        dask.delayed(_hashes_in_several_files)(*[dask.delayed(_bucket)(s, b) for s in scans])
        for b in range(buckets)
    ]
    found = dask.compute(*per_bucket)
    return np.sort(np.concatenate([np.empty(0, np.uint64), *found]))


def _bucket(per_bucket: list[np.ndarray], bucket: int) -> np.ndarray:
    """One bucket of a file's hashes."""
    return per_bucket[bucket]


def _rows_with_hashes(file: _SalesFile, hashes: np.ndarray) -> pd.DataFrame:
    """The raw rows of a file whose order id has one of these hashes, with their file row."""
    raw = _read_sales_file(file)
    rows = raw.frame[np.isin(_key_hashes(raw.frame), hashes)]
    return rows.assign(_source=file.label, _row=rows.index.to_numpy())


def _shared_keys(
    files: Sequence[_SalesFile], empty: pd.DataFrame, context: _Context, *, dask: Any
) -> tuple[_SharedKeys, pd.DataFrame]:
    """Rows whose order id is in several files, validated together: what is kept, the rejects."""
    if len(files) < 2:
        return _SharedKeys(), empty_rejects()
    hashes = _keys_in_several_files(files, dask=dask)
    if not len(hashes):
        return _SharedKeys(), empty_rejects()
    parts = dask.compute(*[dask.delayed(_rows_with_hashes)(f, hashes) for f in files])
    rows = pd.concat(parts, ignore_index=True)
    sources, file_rows = rows.pop("_source").to_numpy(), rows.pop("_row").to_numpy()
    names = np.array([f"{s} row {r + 1}" for s, r in zip(sources, file_rows, strict=True)])
    raw = RawTable(
        rows,
        source="sales (order ids in several files)",
        headers=list(rows.columns),
        columns={c: c for c in rows.columns if c in empty.columns or c == _KEY},
        row_names=names,
    )
    _, rejects, _ = context.validate(raw)
    positions = rejects["row"].to_numpy() - 1
    rejects = rejects.assign(source=sources[positions], row=file_rows[positions] + 1)
    kept = np.ones(len(rows), dtype=bool)
    kept[positions] = False
    kept_rows = {label: file_rows[kept & (sources == label)] for label in pd.unique(sources[kept])}
    return _SharedKeys(hashes, kept_rows), rejects


# --- sales partitions -------------------------------------------------------------------


def _validated_partition(
    file: _SalesFile, shared: _SharedKeys, context: _Context
) -> tuple[pd.DataFrame, pd.DataFrame, _PartitionCounts]:
    """One sales file validated: the kept rows, its rejects and its counts.

    Rows whose order id is in other files too were validated with those files'
    rows (:func:`_shared_keys`): here they are left out, but for the ones kept there.
    """
    raw = _read_sales_file(file)
    _check_sales_headers(raw)
    rows_read = raw.rows_read
    if len(shared.hashes):
        in_several = np.isin(_key_hashes(raw.frame), shared.hashes)
        kept_there = raw.frame.index.isin(shared.kept_rows.get(file.label, []))
        raw.frame = raw.frame[~(in_several & ~kept_there)]
    encoding = raw.encoding
    sha256 = str(raw.sha256)
    frame, rejects, notes = context.validate(raw)
    counts = _PartitionCounts(
        rows_read=rows_read,
        rows_kept=len(frame),
        rows_rejected=int(rejects["row"].nunique()),
        sha256=sha256,
        encoding=encoding,
        notes=tuple(notes),
    )
    return frame, rejects, counts


def _validate_sales(
    files: Sequence[_SalesFile],
    meta: pd.DataFrame,
    meta_raw: RawTable,
    shared: _SharedKeys,
    shared_rejects: pd.DataFrame,
    context: _Context,
    *,
    dask: Any,
    persist: bool,
) -> tuple[dd.DataFrame, pd.DataFrame, TableReport]:
    """The lazy sales frame, and (computed once, small) their rejects and report."""
    import dask.dataframe as dd

    context_task = _shared_object(context, dask=dask)
    parts = [dask.delayed(_validated_partition, nout=3)(f, shared, context_task) for f in files]
    frames, small = [p[0] for p in parts], [*(p[1] for p in parts), *(p[2] for p in parts)]
    if persist:
        # one pass: the validated partitions stay on the workers, the small parts come back
        persisted = dask.persist(*frames, *small)
        frames, small = list(persisted[: len(frames)]), list(persisted[len(frames) :])
    computed = dask.compute(*small)
    rejects, counts = list(computed[: len(files)]), list(computed[len(files) :])
    sales = dd.from_delayed(frames, meta=meta, verify_meta=False)
    order = {f.label: i for i, f in enumerate(files)}
    rejects = pd.concat([empty_rejects(), *rejects, shared_rejects], ignore_index=True)
    rejects = (
        rejects.assign(_file=rejects["source"].map(order))
        .sort_values(["_file", "row", "column", "check"], kind="stable", na_position="first")
        .drop(columns="_file")
        .reset_index(drop=True)
    )
    rejected = int(shared_rejects[["source", "row"]].drop_duplicates().shape[0])
    notes = list(dict.fromkeys(n for c in counts for n in c.notes))
    notes.append(f"{len(files)} file(s), one partition each")
    digest = hashlib.sha256(
        "\n".join(f"{f.label} {c.sha256}" for f, c in zip(files, counts, strict=True)).encode()
    )
    report = TableReport(
        table=_SALES,
        source=files[0].label.split("/")[0] + "/" if "/" in files[0].label else files[0].label,
        sha256=digest.hexdigest(),
        encoding=counts[0].encoding,
        rows_read=sum(c.rows_read for c in counts),
        rows_kept=sum(c.rows_kept for c in counts),
        rows_rejected=sum(c.rows_rejected for c in counts) + rejected,
        columns=", ".join(f"{h}→{c}" if h != c else c for h, c in meta_raw.columns.items()),
        ignored_columns=", ".join(h for h in meta_raw.headers if h not in meta_raw.columns),
        notes="; ".join(notes),
    )
    return sales, rejects, report


def _shared_object(value: Any, *, dask: Any) -> Any:
    """``value`` sent to the cluster once (scattered to every worker when a client is running)."""
    try:
        from distributed import get_client

        client: Any = get_client()  # distributed is not fully typed
    except (ImportError, ValueError):
        return dask.delayed(value, pure=True)
    return client.scatter(value, broadcast=True, hash=False)


def _import_dask() -> Any:
    """The dask package, or a ConfigError that says engine='dask' needs the extra."""
    try:
        return import_dask()
    except ConfigError:
        raise ConfigError(
            "engine='dask' needs dask and distributed: pip install 'am-analytics[dask]', "
            "or load with engine='pandas'"
        ) from None
