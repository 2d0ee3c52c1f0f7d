"""The validated tables of one organisation, with their rejects and provenance.

:func:`load` reads a folder of files and :func:`from_frames` takes frames
already in memory; both apply the same rules and return a :class:`Dataset`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

import pandas as pd

from ._dataset_cache import CachedTables, cache_key, read_entry, source_digests, write_entry
from ._validation import OnOrphans, TableReport, empty_rejects, reject_causes, validate_tables
from .errors import ConfigError, InputFileError, MissingTableError, OutputPathError
from .io._writing import write_tables
from .io.aliases import table_for_name
from .io.files import RawTable, Source, find_sources, read_source
from .periods import DateLike, parse_as_of
from .schemas import TABLES, ValidationRules

__all__ = ["Dataset", "from_frames", "load", "save"]


@dataclass(frozen=True)
class Dataset:
    """Validated canonical tables, the rows rejected on the way, and where each came from.

    ``managers``, ``clients`` and ``sales`` are always present; the other
    tables are ``None`` when the source had none. See :mod:`am_analytics.schemas`
    for the columns and dtypes of each table.

    Attributes
    ----------
    rejects
        One row per rule a source row broke: ``table, source, row, column,
        check, value, reason, cause`` (``row`` is the 1-based data row in the
        source). ``cause`` is empty for a problem of the row itself; a row
        rejected only because a row it refers to was rejected names that row's
        problem there (``managers.csv row 3: conflicting duplicate key ...``),
        followed down the chain to the first. :meth:`reject_causes` groups them.
    reports
        Per table: source, SHA-256, encoding, rows read / kept / rejected, how
        headers were mapped and what was ignored. :meth:`summary` shows them.
    as_of
        The date the data describes, if one was given.
    rules
        The validation rules that were applied.
    mapping
        For data read from a CRM: how each source column was used (see
        :func:`am_analytics.io.mapping_report`); ``None`` for files read with :func:`load`.
    """

    managers: pd.DataFrame
    clients: pd.DataFrame
    sales: pd.DataFrame
    surveys: pd.DataFrame | None = None
    feedback: pd.DataFrame | None = None
    ratings: pd.DataFrame | None = None
    goals: pd.DataFrame | None = None
    training: pd.DataFrame | None = None
    opportunities: pd.DataFrame | None = None
    rejects: pd.DataFrame = field(default_factory=empty_rejects, repr=False)
    reports: tuple[TableReport, ...] = field(default=(), repr=False)
    as_of: pd.Timestamp | None = None
    rules: ValidationRules = field(default_factory=ValidationRules, repr=False)
    mapping: pd.DataFrame | None = field(default=None, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        """A table by name, or :class:`MissingTableError` if the dataset has none.

        Examples
        --------
        >>> from am_analytics import load_sample
        >>> load_sample().table("sales").columns[:3].tolist()
        ['order_id', 'client_id', 'manager_id']
        """
        if name not in TABLES:
            raise ConfigError(f"unknown table {name!r}; the tables are {', '.join(TABLES)}")
        frame = getattr(self, name)
        if frame is None:
            raise MissingTableError(
                f"this dataset has no {name} table; add {name}.csv (or .xlsx/.parquet) "
                "to the data folder",
                tables=[name],
            )
        return frame

    def tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """The tables present, in canonical order, as (name, frame)."""
        for name in TABLES:
            frame = getattr(self, name)
            if frame is not None:
                yield name, frame

    def summary(self) -> pd.DataFrame:
        """Per table: source, SHA-256, encoding, rows read / kept / rejected, column mapping.

        Why rows were rejected, grouped by the problem to fix, is in
        :meth:`reject_causes`.

        Examples
        --------
        >>> from am_analytics import load_sample
        >>> summary = load_sample().summary()
        >>> bool((summary.rows_read == summary.rows_kept + summary.rows_rejected).all())
        True
        """
        columns = [f.name for f in fields(TableReport)]
        return pd.DataFrame(
            [[getattr(r, c) for c in columns] for r in self.reports], columns=columns
        )

    def reject_causes(self) -> pd.DataFrame:
        """The rejected rows grouped by root cause: one row per problem to fix.

        One conflicting duplicate in ``managers`` rejects both copies and then
        every client, sale, survey, ... of that manager; here it is one line, so
        the fix is one line too. (:meth:`summary` stays one row per table.)

        Returns
        -------
        pandas.DataFrame
            Most rows first, one row per cause: ``cause`` (the row to fix and
            its problem, ``managers.csv row 3: ...``), ``table`` and ``row`` of
            that row, ``rows_rejected`` (it and every row rejected because of
            it) and ``by_table`` (``managers 1, clients 2, sales 3``). The
            ``rows_rejected`` add up to the rows rejected in all tables.

        Examples
        --------
        >>> import pandas as pd
        >>> data = from_frames(
        ...     managers=pd.DataFrame({"manager_id": ["M1", "M1"], "name": ["王芳", "李雷"]}),
        ...     clients=pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["M1", "M1"]}),
        ...     sales=pd.DataFrame({"order_id": ["S1"], "client_id": ["C1"], "manager_id": ["M1"],
        ...                         "order_date": ["2026-07-01"], "amount": ["1200"]}),
        ... )
        >>> causes = data.reject_causes()
        >>> causes[["table", "row", "rows_rejected", "by_table"]]
              table  row  rows_rejected                       by_table
        0  managers    1              4  managers 1, clients 2, sales 1
        1  managers    2              1                     managers 1
        >>> print(causes.cause[0])  # doctest: +NORMALIZE_WHITESPACE
        managers (frame) row 1: conflicting duplicate key manager_id='M1' (rows 1, 2);
        keep one of them
        """
        return reject_causes(self.rejects)

    @property
    def is_clean(self) -> bool:
        """True when no row was rejected."""
        return self.rejects.empty


def load(
    path: str | Path,
    *,
    as_of: DateLike | None = None,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
    engine: Literal["pandas", "dask"] = "pandas",
    persist: bool = True,
    cache: str | Path | None = None,
) -> Dataset:
    """Read and validate a folder of table files (or one workbook with a sheet per table).

    Parameters
    ----------
    path
        A folder holding ``managers``, ``clients``, ``sales`` and optionally
        ``surveys``, ``feedback``, ``ratings``, ``goals``, ``training``,
        ``opportunities`` as ``.csv`` (any common encoding), ``.xlsx`` or
        ``.parquet``; or a workbook whose sheets are named after the tables.
        Chinese names work too (``订单.csv``, a sheet ``客户``).
    as_of
        The date the data describes. Dates more than a year after it are rejected.
    on_orphans
        ``"reject"`` rows that refer to an unknown client or manager (the
        default), or ``"keep"`` them.
    rules
        Organisation-specific validation rules.
    engine
        ``"pandas"`` (the default) reads every table into memory. ``"dask"``
        reads the sales lazily as a Dask DataFrame, one partition per file of
        a ``sales/`` folder (``sales/month=2026-07/part-0.parquet`` or many CSV
        files), validated with the same rules on the running Dask client's
        cluster; the other tables, the rejects and the reports are pandas as
        usual. Needs the ``dask`` extra; see the "Running on a cluster" guide.
    persist
        With ``engine="dask"``: keep the validated sales partitions on the
        workers (they spill to disk when memory runs short), so the files are
        read and validated once, not again by every computation on them.
        ``False`` leaves the sales lazy, for data larger than the cluster's
        memory and disk. The pandas engine holds every table in memory anyway.
    cache
        A folder for the validated tables (created if missing). A load whose
        files (by SHA-256), rules, ``as_of`` and ``on_orphans`` are those of an
        earlier load with the same cache reads that load's tables, rejects and
        reports back from Parquet instead of validating again; the dataset is
        the same. Otherwise the files are validated and the result stored,
        replacing the earlier entry of the same folder. A cache that cannot be
        written only warns. With the pandas engine only.

    Returns
    -------
    Dataset
        The kept rows of every table, the rejects and the provenance.

    Raises
    ------
    MissingTableError
        A required table (managers, clients, sales) has no file.
    DataValidationError
        Required columns are missing (all of them are listed at once).
    InputFileError
        A file cannot be read (encoding, format, empty required table).

    Examples
    --------
    >>> import am_analytics, pathlib
    >>> folder = pathlib.Path(am_analytics.sample.sample_dir())
    >>> data = am_analytics.load(folder, as_of="2026-11-15")
    >>> data.summary()[["table", "rows_read", "rows_rejected"]].head(3)
          table  rows_read  rows_rejected
    0  managers         40              0
    1   clients       2000              0
    2     sales        ...              0
    """
    rules = rules or ValidationRules()
    if engine == "dask":
        if cache is not None:
            raise ConfigError(
                "cache= works with the pandas engine; leave it out with engine='dask'"
            )
        return _load_distributed(
            path, as_of=as_of, on_orphans=on_orphans, rules=rules, persist=persist
        )
    if engine != "pandas":
        raise ConfigError(f"engine must be 'pandas' or 'dask', got {engine!r}")
    sources = find_sources(path)
    if cache is not None:
        return _load_cached(
            Path(path), sources, Path(cache), as_of=as_of, on_orphans=on_orphans, rules=rules
        )
    raws = {table: read_source(source) for table, source in sources.items()}
    return _build(raws, as_of=as_of, on_orphans=on_orphans, rules=rules)


def _load_cached(
    path: Path,
    sources: dict[str, Source],
    cache: Path,
    *,
    as_of: DateLike | None,
    on_orphans: OnOrphans,
    rules: ValidationRules,
) -> Dataset:
    """``load(cache=...)``: the cached tables of an unchanged load, else validate and store."""
    if cache.exists() and not cache.is_dir():
        raise OutputPathError(f"cache {cache} is a file; give a folder", path=str(cache))
    stamp = None if as_of is None else parse_as_of(as_of)
    digests = source_digests(sources)
    key = cache_key(sources, digests, rules=rules, as_of=stamp, on_orphans=on_orphans)
    cached = read_entry(cache, key)
    if cached is None:
        raws = {
            table: read_source(source, sha256=digests[table]) for table, source in sources.items()
        }
        data = _build(raws, as_of=stamp, on_orphans=on_orphans, rules=rules)
        built = CachedTables(dict(data.tables()), data.rejects, data.reports)
        write_entry(cache, key, built, origin=path)
        return data
    return Dataset(
        **cached.tables, rejects=cached.rejects, reports=cached.reports, as_of=stamp, rules=rules
    )


def _load_distributed(
    path: str | Path,
    *,
    as_of: DateLike | None,
    on_orphans: OnOrphans,
    rules: ValidationRules,
    persist: bool,
) -> Dataset:
    """``load(engine="dask")``: the sales a lazy Dask DataFrame, the rest as usual."""
    # imported here: importing am_analytics never imports dask
    from .io._dask_sales import read_tables_distributed

    stamp = None if as_of is None else parse_as_of(as_of)
    read = read_tables_distributed(
        path, as_of=stamp, on_orphans=on_orphans, rules=rules, persist=persist
    )
    return Dataset(
        **read.tables, rejects=read.rejects, reports=tuple(read.reports), as_of=stamp, rules=rules
    )


def from_frames(
    *,
    as_of: DateLike | None = None,
    on_orphans: OnOrphans = "reject",
    rules: ValidationRules | None = None,
    **tables: pd.DataFrame,
) -> Dataset:
    """Validate tables already in memory, with the same rules as :func:`load`.

    Headers go through the same aliases (a frame with ``客户编号`` works), and
    ``row`` in rejects is the 1-based position in the given frame.

    Examples
    --------
    >>> import pandas as pd
    >>> data = from_frames(
    ...     managers=pd.DataFrame({"manager_id": ["M1"], "name": ["王芳"]}),
    ...     clients=pd.DataFrame({"客户编号": ["C1", "C2"], "负责人": ["M1", "M9"]}),
    ...     sales=pd.DataFrame({"order_id": ["S1"], "client_id": ["C1"], "manager_id": ["M1"],
    ...                         "order_date": ["2026/7/1"], "amount": ["¥1,200"]}),
    ... )
    >>> data.sales[["order_date", "amount"]]
      order_date  amount
    0 2026-07-01  1200.0
    >>> data.rejects[["table", "row", "column", "check", "value", "cause"]]
         table  row      column      check value cause
    0  clients    2  manager_id  reference    M9
    >>> data.rejects.reason[0]
    "manager_id 'M9' is not a known manager (not in managers, or its row there was rejected)"
    """
    rules = rules or ValidationRules()
    unknown = [name for name in tables if name not in TABLES and table_for_name(name) is None]
    if unknown:
        raise ConfigError(
            f"unknown table names: {', '.join(unknown)}; the tables are {', '.join(TABLES)}"
        )
    raws: dict[str, RawTable] = {}
    for name, frame in tables.items():
        table = name if name in TABLES else str(table_for_name(name))
        if not isinstance(frame, pd.DataFrame):
            raise ConfigError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
        data = frame.reset_index(drop=True)
        data.columns = pd.Index([str(c) for c in frame.columns])
        raws[table] = RawTable.from_frame(data, table=table, source=f"{table} (frame)")
    return _build(raws, as_of=as_of, on_orphans=on_orphans, rules=rules)


def save(dataset: Dataset, path: str | Path, *, format: str = "csv") -> list[Path]:
    """Write the kept rows of every table to a folder that :func:`load` reads back.

    One file per table present (``managers.csv``, ``clients.csv``, ...). CSV
    files are UTF-8 and read back equal, values and dtypes; text a spreadsheet
    would run as a formula (``=cmd``, ``@x``, ``-x``) is written with a leading
    ``'`` that :func:`load` takes off again. ``format="parquet"`` writes
    Parquet. Rejects are not written: save ``dataset.rejects`` yourself if you
    need them.

    The tables are written to a hidden temporary folder beside ``path``
    (``.name.<random>.partial``) that then takes the place of ``path``, so an
    interrupted save leaves a previous folder as it was. An existing ``path``
    is replaced as a whole, and so may hold only table files.

    Returns
    -------
    list of pathlib.Path
        The files written, in table order.

    Raises
    ------
    OutputPathError
        ``path`` is a file, cannot be written, or holds files that are not tables.

    Examples
    --------
    >>> import tempfile
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = save(data, folder)
    ...     again = load(folder, as_of=data.as_of)
    >>> again.sales.equals(data.sales)
    True
    """
    return write_tables(dict(dataset.tables()), path, format=format)


def _build(
    raws: dict[str, RawTable],
    *,
    as_of: DateLike | None,
    on_orphans: OnOrphans,
    rules: ValidationRules,
    allow_empty: bool = False,
) -> Dataset:
    """Validate raw tables into a Dataset; empty required tables are an error unless allowed."""
    if on_orphans not in ("reject", "keep"):
        raise ConfigError(f"on_orphans must be 'reject' or 'keep', got {on_orphans!r}")
    stamp = None if as_of is None else parse_as_of(as_of)
    for table in () if allow_empty else ("managers", "clients", "sales"):
        raw = raws.get(table)
        if raw is not None and raw.rows_read == 0:
            raise InputFileError(
                f"{raw.source} has a header but no rows; the {table} table cannot be empty",
                source=raw.source,
            )
    tables, rejects, reports = validate_tables(
        raws, rules=rules, as_of=stamp, on_orphans=on_orphans
    )
    return Dataset(**tables, rejects=rejects, reports=tuple(reports), as_of=stamp, rules=rules)
