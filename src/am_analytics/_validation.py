"""Turning raw tables into canonical ones, with every failing row accounted for.

Each table goes through the same steps, in the order of ``schemas.TABLES`` so
that a table is checked after the tables it refers to:

1. read each canonical column with its kind's reader (``io.parsing``); a cell
   that cannot be read rejects its row (:mod:`._column_reading`);
2. resolve references (``sales.client_id`` against the kept clients, ...) into
   categoricals; unknown ids reject their row, or are kept with
   ``on_orphans="keep"``;
3. enforce the key: exact duplicate rows keep the first, rows that share a key
   but differ are all rejected (steps 2 and 3: :mod:`._keys`);
4. validate with the table's pandera schema, lazily, and turn its failure
   cases into rejects (:mod:`._schema_failures`).

A row is kept only if no step rejected it, so for every table
``rows_read == rows_kept + rows_rejected``.

A row rejected only because the row it refers to was rejected (a sale of a
client whose manager row is a conflicting duplicate) carries that row's reject
as its ``cause``, followed down the chain to the first one, so that
:func:`reject_causes` can show one line per problem to fix (:mod:`._rejects`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from difflib import get_close_matches

import numpy as np
import pandas as pd

from ._column_reading import _parse_columns
from ._keys import (
    OnOrphans,
    _enforce_key,
    _has_repeated_keys,
    _resolve_references,
    _submit_lookups,
)
from ._metric_names import BUILTIN_METRICS, RATING_PREFIX
from ._metric_names import REGISTRY as METRIC_REGISTRY
from ._rejects import (
    REJECT_COLUMNS,
    _Issues,
    _rejected_roots,
    empty_rejects,
    reject_causes,
    row_roots,
)
from ._schema_failures import _apply_schema
from .errors import DataValidationError, MissingTableError
from .io.aliases import closest_header
from .io.files import RawTable
from .schemas import (
    REQUIRED_TABLES,
    TABLES,
    ValidationRules,
    key_columns,
    references,
    required_columns,
)

__all__ = [
    "REJECT_COLUMNS",
    "OnOrphans",
    "TableReport",
    "check_columns",
    "empty_rejects",
    "reject_causes",
    "row_roots",
    "validate_tables",
]


@dataclass(frozen=True)
class TableReport:
    """Where a table came from and what happened to its rows."""

    table: str
    source: str
    sha256: str | None
    encoding: str | None
    rows_read: int
    rows_kept: int
    rows_rejected: int
    columns: str
    ignored_columns: str
    notes: str


def check_columns(raws: dict[str, RawTable]) -> None:
    """Raise once for every required table and column that is missing."""
    missing_tables = [t for t in REQUIRED_TABLES if t not in raws]
    if missing_tables:
        raise MissingTableError(
            f"required tables missing: {', '.join(missing_tables)}; "
            f"add a file per table named after it (e.g. {missing_tables[0]}.csv)",
            tables=missing_tables,
        )
    problems: list[str] = []
    missing: dict[str, list[str]] = {}
    for table, raw in raws.items():
        problems.extend(f"{raw.source}: {c}" for c in raw.conflicts)
        for column in required_columns(table):
            if column in raw.frame.columns or raw.conflicts:
                continue
            missing.setdefault(table, []).append(column)
            close = closest_header(table, column, raw.headers)
            hint = f"; closest header: {close!r}" if close else ""
            problems.append(f"{raw.source}: required column {column!r} not found{hint}")
    if problems:
        found = "; ".join(
            f"{raws[t].source} has {', '.join(raws[t].headers) or 'no headers'}" for t in missing
        )
        raise DataValidationError(
            "cannot use these tables:\n  - "
            + "\n  - ".join(problems)
            + (f"\nfound: {found}" if found else "")
            + "\nrename the headers, or see header_aliases() for the accepted names",
            missing=missing,
        )


def validate_tables(
    raws: dict[str, RawTable],
    *,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
    on_orphans: OnOrphans,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, list[TableReport]]:
    """Validate every raw table: the kept tables, all rejects, and a report per table."""
    kept, _, all_rejects, reports = _validate_in_order(
        raws, rules=rules, as_of=as_of, on_orphans=on_orphans
    )
    rejects = pd.concat(all_rejects, ignore_index=True) if all_rejects else empty_rejects()
    return kept, rejects, reports


def _validate_in_order(
    raws: dict[str, RawTable],
    *,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
    on_orphans: OnOrphans,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series], list[pd.DataFrame], list[TableReport]]:
    """Each raw table validated after those it refers to: the kept tables, each table's
    rejected keys and their root causes, the rejects of each table and its report."""
    check_columns(raws)
    kept: dict[str, pd.DataFrame] = {}
    roots: dict[str, pd.Series] = {}  # per table: rejected key -> the root cause of its row
    all_rejects: list[pd.DataFrame] = []
    reports: list[TableReport] = []
    for table in TABLES:
        if table not in raws:
            continue
        raw = raws[table]
        rows_read = raw.rows_read
        frame, rejects, notes, roots[table] = _validate_table(
            table, raw, kept, roots, rules=rules, as_of=as_of, on_orphans=on_orphans
        )
        kept[table] = frame
        all_rejects.append(rejects)
        reports.append(_report(table, raw, rows_read, frame, rejects, notes))
    return kept, roots, all_rejects, reports


def _report(
    table: str,
    raw: RawTable,
    rows_read: int,
    frame: pd.DataFrame,
    rejects: pd.DataFrame,
    notes: list[str],
) -> TableReport:
    """Provenance and row counts of one table."""
    ignored = [h for h in raw.headers if h not in raw.columns]
    return TableReport(
        table=table,
        source=raw.source,
        sha256=raw.sha256,
        encoding=raw.encoding,
        rows_read=rows_read,
        rows_kept=len(frame),
        rows_rejected=int(rejects["row"].nunique()),
        columns=", ".join(f"{h}→{c}" if h != c else c for h, c in raw.columns.items()),
        ignored_columns=", ".join(ignored),
        notes="; ".join(notes),
    )


def _validate_table(
    table: str,
    raw: RawTable,
    kept: dict[str, pd.DataFrame],
    roots: dict[str, pd.Series],
    *,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
    on_orphans: OnOrphans,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], pd.Series]:
    """One table through the four steps: (kept frame, rejects, notes, roots of rejected keys).

    ``roots`` holds, for each table already validated, the root cause of each
    rejected key (:func:`_rejected_roots`); orphans of those keys name it.

    The raw cells are dropped from ``raw`` once they are read (on large tables
    they are much of the memory peak); later rejects show the values as read.
    """
    issues = _Issues(table, raw)
    frame, notes = _parse_columns(table, raw.frame, issues, rules=rules)
    issues.read_values_from(frame)
    # a fresh frame: a slice such as iloc[:0] would keep every raw column's memory alive
    raw.frame = pd.DataFrame(columns=raw.frame.columns)
    # Arrow's hashing and sorting kernels release the GIL: on large tables the key
    # test and the reference lookups (in slices) run side by side, and beside the
    # schema, which checks the other columns (it skips the references; the cells it
    # rejects are not those that steps 2 and 3 reject, so the order does not matter).
    with ThreadPoolExecutor(max_workers=2) as pool:
        schema = pool.submit(_apply_schema, table, frame, issues, rules=rules, as_of=as_of)
        repeated = pool.submit(_has_repeated_keys, table, frame)
        lookups = {
            column: _submit_lookups(pool, frame[column], kept[target][key_columns(target)[0]])
            for column, target in references(table).items()
        }
        positions = {
            column: np.concatenate([part.result() for part in parts])
            for column, parts in lookups.items()
        }
        frame = _resolve_references(
            table, frame, kept, roots, positions, issues, on_orphans=on_orphans
        )
        if repeated.result():
            _enforce_key(table, frame, issues)
        schema.result()
    if table == "goals":
        _check_goal_metrics(frame, issues, rules=rules)
    rejects = issues.frame()
    rejected = issues.rows()
    own_roots = _rejected_roots(table, frame, rejects, issues)
    if len(rejected):
        frame = frame[~frame.index.isin(rejected)]
    return frame.reset_index(drop=True), rejects, notes, own_roots


def _check_goal_metrics(frame: pd.DataFrame, issues: _Issues, *, rules: ValidationRules) -> None:
    """A goal's metric is a registered metric, or ``rating_<competency>`` of a known competency."""
    known = _known_metrics(rules)
    metric = frame["metric"]
    unknown = metric.notna() & ~metric.isin(known)
    if not unknown.any():
        return
    listed = ", ".join(known)
    # one guess per distinct unknown name: a typo ('sales_amout') is the usual cause
    guesses = {
        name: "".join(f"did you mean {close!r}? " for close in get_close_matches(name, known, n=1))
        for name in metric[unknown].unique()
    }
    reasons = (
        "metric "
        + metric[unknown].map(repr).astype("str")
        + " is not a known metric; "
        + metric[unknown].map(guesses).astype("str")
        + f"known: {listed} (register_metric() adds one)"
    )
    issues.add(metric.index[unknown.to_numpy()], "metric", "allowed_values", reasons.to_numpy())


def _known_metrics(rules: ValidationRules) -> list[str]:
    """The metric names a goal may name: the registry's, with ratings per known competency."""
    # Known names are read from the registry's table (on this floor, filled by
    # am_analytics.metrics) rather than listed in ValidationRules, so that metrics
    # added with register_metric() count at once.
    registered = (n for n in METRIC_REGISTRY if not n.startswith(RATING_PREFIX))
    names = list(dict.fromkeys([*BUILTIN_METRICS, *registered]))
    return names + [RATING_PREFIX + c for c in rules.competencies]
