"""The validated-dataset cache of ``load(path, cache=...)``.

Validating ten million sales rows takes seconds; reading them back from
Parquet once validated takes the time of one Parquet read. An entry holds the
kept tables, the rejects and the reports of one load, in a folder named after
its key: the SHA-256 of

- every source's table, name (``sales.csv``, ``book.xlsx[sales]``) and
  SHA-256, so that any change of a file's bytes is a new key;
- the rules, ``as_of`` and ``on_orphans``, which decide what is kept;
- the metric names goals may name (``register_metric`` adds some);
- the library's version and this module's format, since a new version may
  validate differently.

An entry is written to a hidden folder and renamed into place, so a reader
never sees half of one. When an entry is written, the older entries of the
same source folder are removed; entries of other folders stay. An entry that
cannot be read (removed half-way, written by another format) is a miss.
Categorical columns are stored as their codes beside one file of categories,
so that a reference to a million clients is not stored once per row group.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa

from ._metric_names import BUILTIN_METRICS
from ._metric_names import REGISTRY as METRIC_REGISTRY
from ._validation import TableReport
from ._version import library_version
from .errors import OutputPathError
from .io._writing import replacing_folder
from .io.files import Source, sha256_of
from .schemas import ValidationRules

__all__ = ["CachedTables", "cache_key", "read_entry", "source_digests", "write_entry"]

#: Bumped when the layout of an entry changes; older entries are then misses.
CACHE_FORMAT: Final = 1
_MANIFEST: Final = "manifest.json"


@dataclass(frozen=True)
class CachedTables:
    """What one validation produced: the kept tables, the rejects and the reports."""

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    reports: tuple[TableReport, ...]


def source_digests(sources: dict[str, Source]) -> dict[str, str]:
    """The SHA-256 of each table's file, hashed side by side (hashlib releases the GIL).

    A workbook with a sheet per table is hashed once.
    """
    paths = sorted({source.path for source in sources.values()})
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = dict(zip(paths, pool.map(sha256_of, paths), strict=True))
    return {table: digests[source.path] for table, source in sources.items()}


def cache_key(
    sources: dict[str, Source],
    digests: dict[str, str],
    *,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
    on_orphans: str,
) -> str:
    """The key of one load: what a validation's outcome depends on, hashed.

    Examples
    --------
    >>> from am_analytics.sample import sample_dir
    >>> from am_analytics.io.files import find_sources
    >>> sources = find_sources(sample_dir())
    >>> digests = source_digests(sources)
    >>> rules = ValidationRules()
    >>> key = cache_key(sources, digests, rules=rules, as_of=None, on_orphans="reject")
    >>> dated = cache_key(
    ...     sources, digests, rules=rules, as_of=pd.Timestamp("2026-11-15"), on_orphans="reject"
    ... )
    >>> len(key), key == dated
    (64, False)
    """
    described = {
        "format": CACHE_FORMAT,
        "version": library_version(),
        "sources": [[t, s.label, digests[t]] for t, s in sources.items()],
        "rules": asdict(rules),
        "as_of": None if as_of is None else as_of.isoformat(),
        "on_orphans": on_orphans,
        "metrics": sorted({*BUILTIN_METRICS, *METRIC_REGISTRY}),
    }
    text = json.dumps(described, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_entry(cache: Path, key: str) -> CachedTables | None:
    """The tables of the entry ``key``, or ``None`` when there is none that can be read."""
    entry = cache / key
    try:
        manifest = json.loads((entry / _MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != CACHE_FORMAT or manifest.get("key") != key:
            return None
        tables = {
            table: _read_table(entry, table, described)
            for table, described in manifest["tables"].items()
        }
        rejects = pd.read_parquet(entry / "rejects.parquet")
        reports = tuple(TableReport(**report) for report in manifest["reports"])
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None
    return CachedTables(tables, rejects, reports)


def write_entry(cache: Path, key: str, cached: CachedTables, *, origin: Path) -> None:
    """Store one validation's tables under ``key``, then remove the older entries of ``origin``.

    A cache that cannot be written (a full disk, no permission) is not an
    error of the load: it warns, and the load returns its dataset.
    """
    manifest: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "key": key,
        "origin": str(origin.resolve()),
        "tables": {},
        "reports": [asdict(report) for report in cached.reports],
    }
    try:
        with replacing_folder(cache / key) as folder:
            for table, frame in cached.tables.items():
                manifest["tables"][table] = _write_table(folder, table, frame)
            cached.rejects.to_parquet(folder / "rejects.parquet", index=False)
            (folder / _MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    except (OSError, OutputPathError, pa.ArrowException) as exc:
        warnings.warn(
            f"the validated tables could not be cached in {cache} ({exc}); the next load "
            "validates the files again",
            stacklevel=3,
        )
        return
    _remove_older_entries(cache, keep=key, origin=manifest["origin"])


def _write_table(folder: Path, table: str, frame: pd.DataFrame) -> dict[str, Any]:
    """Write one table (categoricals as codes, their categories apart); how to read it back."""
    categoricals = {
        column: frame[column].cat
        for column in frame.columns
        if isinstance(frame[column].dtype, pd.CategoricalDtype)
    }
    stored = frame.assign(**{column: values.codes for column, values in categoricals.items()})
    stored.to_parquet(folder / f"{table}.parquet", index=False)
    for column, values in categoricals.items():
        pd.DataFrame({"category": values.categories}).to_parquet(
            folder / f"{table}.{column}.parquet", index=False
        )
    return {
        "categoricals": {
            column: {"ordered": bool(values.ordered), "name": values.categories.name}
            for column, values in categoricals.items()
        }
    }


def _read_table(entry: Path, table: str, described: dict[str, Any]) -> pd.DataFrame:
    """One table as it was written by :func:`_write_table`."""
    frame = pd.read_parquet(entry / f"{table}.parquet")
    for column, categorical in described["categoricals"].items():
        categories = pd.read_parquet(entry / f"{table}.{column}.parquet")["category"]
        dtype = pd.CategoricalDtype(
            pd.Index(categories).rename(categorical["name"]), ordered=categorical["ordered"]
        )
        frame[column] = pd.Categorical.from_codes(frame[column].to_numpy(), dtype=dtype)
    return frame


def _remove_older_entries(cache: Path, *, keep: str, origin: str) -> None:
    """Remove the entries other than ``keep`` that were written for the same folder."""
    for entry in cache.iterdir():
        if entry.name == keep or entry.name.startswith("."):
            continue
        try:
            written_for = json.loads((entry / _MANIFEST).read_text(encoding="utf-8"))["origin"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if written_for == origin:
            shutil.rmtree(entry, ignore_errors=True)
