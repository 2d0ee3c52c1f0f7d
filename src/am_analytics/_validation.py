"""Turning raw tables into canonical ones, with every failing row accounted for.

Each table goes through the same steps, in the order of ``schemas.TABLES`` so
that a table is checked after the tables it refers to:

1. read each canonical column with its kind's reader (``io.parsing``); a cell
   that cannot be read rejects its row;
2. resolve references (``sales.client_id`` against the kept clients, ...) into
   categoricals; unknown ids reject their row, or are kept with
   ``on_orphans="keep"``;
3. enforce the key: exact duplicate rows keep the first, rows that share a key
   but differ are all rejected;
4. validate with the table's pandera schema, lazily, and turn its failure
   cases into rejects.

A row is kept only if no step rejected it, so for every table
``rows_read == rows_kept + rows_rejected``.

A row rejected only because the row it refers to was rejected (a sale of a
client whose manager row is a conflicting duplicate) carries that row's reject
as its ``cause``, followed down the chain to the first one, so that
:func:`reject_causes` can show one line per problem to fix.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from .errors import DataValidationError, MissingTableError
from .io.aliases import closest_header, value_aliases
from .io.files import RawTable
from .io.parsing import (
    ParsedColumn,
    parse_bool,
    parse_date,
    parse_enum,
    parse_integer,
    parse_number,
    parse_period,
    parse_text,
)
from .schemas import (
    REQUIRED_TABLES,
    TABLES,
    ValidationRules,
    column_default,
    column_kinds,
    key_columns,
    references,
    required_columns,
    table_schema,
)

REJECT_COLUMNS: Final = ["table", "source", "row", "column", "check", "value", "reason", "cause"]
OnOrphans = Literal["reject", "keep"]

# Reference lookups run in slices of this many rows, so both cores share a large one.
_LOOKUP_SLICE: Final = 4_000_000
# Sorted keys are compared in slices of this many rows (with one row of overlap).
_COMPARE_SLICE: Final = 1_000_000

# Order checks between two dates: the check -> (later column, earlier column).
_DATE_ORDER: Final = {
    "resolved_after_opened": ("resolved_at", "opened_at"),
    "period_end_after_start": ("period_end", "period_start"),
    "end_after_start": ("end_date", "start_date"),
}
# Columns whose allowed values an organisation sets, and where.
_CONFIGURED_VALUES: Final = {
    "competency": "ValidationRules(competencies=...)",
    "category": "ValidationRules(training_categories=...)",
}
# Which column a whole-row check blames.
_ROW_CHECK_COLUMN: Final = {
    "csat_or_nps": "csat",
    **{check: later for check, (later, _) in _DATE_ORDER.items()},
}


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


def empty_rejects() -> pd.DataFrame:
    """A rejects frame with no rows.

    Examples
    --------
    >>> empty_rejects().columns.tolist()
    ['table', 'source', 'row', 'column', 'check', 'value', 'reason', 'cause']
    """
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS})
    return frame.astype({"row": "int64"})


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
    rejects = pd.concat(all_rejects, ignore_index=True) if all_rejects else empty_rejects()
    return kept, rejects, reports


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
    raw.frame = raw.frame.iloc[:0]
    # Arrow's hashing and sorting kernels release the GIL: on large tables the key
    # test and the reference lookups (in slices) run side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
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
    _apply_schema(table, frame, issues, rules=rules, as_of=as_of)
    if table == "goals":
        _check_goal_metrics(frame, issues, rules=rules)
    rejects = issues.frame()
    rejected = issues.rows()
    own_roots = _rejected_roots(table, frame, rejects, issues)
    if len(rejected):
        frame = frame[~frame.index.isin(rejected)]
    return frame.reset_index(drop=True), rejects, notes, own_roots


class _Issues:
    """Collects the rejects of one table as column-wise pieces, concatenated once."""

    def __init__(self, table: str, raw: RawTable) -> None:
        self.table = table
        self.source = raw.source
        self.values = raw.frame  # where the ``value`` of a reject is read from
        self.row_names = raw.row_names
        self.pieces: list[pd.DataFrame] = []
        if len(raw.malformed):
            self.pieces.append(
                pd.DataFrame(
                    {
                        "row": raw.malformed["row"].to_numpy(dtype="int64"),
                        # rows set aside before validation (voided CRM records) say which check
                        "column": _malformed_field(raw.malformed, "column", None),
                        "check": _malformed_field(raw.malformed, "check", "malformed_row"),
                        "value": raw.malformed["value"].astype("str").to_numpy(),
                        "reason": raw.malformed["reason"].astype("str").to_numpy(),
                        "cause": None,
                    }
                )
            )

    def add(
        self, index: pd.Index, column: str | None, check: str, reasons: Any, causes: Any = None
    ) -> None:
        """Reject the rows at ``index`` (frame labels) with one reason each, or one for all.

        ``causes`` names, per row, the reject of another table that this one follows from.
        """
        if len(index) == 0:
            return
        if column is not None and column in self.values.columns:
            value = _as_display(self.values[column].reindex(index))
        else:
            value = np.full(len(index), None, dtype=object)
        self.pieces.append(
            pd.DataFrame(
                {
                    "row": np.asarray(index, dtype="int64"),
                    "column": column,
                    "check": check,
                    "value": value,
                    "reason": reasons if np.ndim(reasons) else np.full(len(index), reasons),
                    "cause": causes,
                }
            )
        )

    def name_rows(self, positions: pd.Series) -> pd.Series:
        """How messages name rows at these 0-based positions: ``5``, or ``Deals.csv row 5``."""
        if self.row_names is None:
            return (positions + 1).astype("str")
        return pd.Series(self.row_names[positions.to_numpy()], index=positions.index, dtype="str")

    def place(self, positions: pd.Series) -> pd.Series:
        """Where rows at these 0-based positions are: ``sales.csv row 5``."""
        if self.row_names is None:
            return f"{self.source} row " + (positions + 1).astype("str")
        return self.name_rows(positions)

    def read_values_from(self, frame: pd.DataFrame) -> None:
        """Read the values of later rejects from ``frame`` (the columns as read)."""
        self.values = frame

    def rows(self) -> pd.Index:
        """Frame labels of every rejected row (malformed rows are not in the frame)."""
        if not self.pieces:
            return pd.Index([], dtype="int64")
        return pd.Index(np.unique(np.concatenate([p["row"].to_numpy() for p in self.pieces])))

    def rejected_cells(self) -> set[tuple[int, str]]:
        """(row label, column) pairs already rejected, so later steps do not repeat them."""
        return {
            (int(r), str(c))
            for p in self.pieces
            for r, c in zip(p["row"], p["column"], strict=True)
            if c is not None
        }

    def frame(self) -> pd.DataFrame:
        """The rejects in the public layout, row numbers 1-based, sorted by row."""
        if not self.pieces:
            return empty_rejects()
        out = pd.concat(self.pieces, ignore_index=True)
        out["row"] = out["row"] + 1
        out["cause"] = out["cause"].fillna("")
        out.insert(0, "table", self.table)
        out.insert(1, "source", self.source)
        out = out.sort_values(["row", "column", "check"], kind="stable", na_position="first")
        return (
            out[REJECT_COLUMNS]
            .reset_index(drop=True)
            .astype(
                {
                    "table": "str",
                    "source": "str",
                    "column": "str",
                    "check": "str",
                    "value": "str",
                    "reason": "str",
                    "cause": "str",
                }
            )
        )


def _malformed_field(malformed: pd.DataFrame, name: str, default: str | None) -> Any:
    """A column of the rows set aside before validation, or ``default`` for all of them."""
    return malformed[name].to_numpy(dtype=object) if name in malformed.columns else default


def _as_display(values: pd.Series) -> np.ndarray:
    """Cell values as text for the rejects' ``value`` column."""
    if values.dtype.kind == "M":
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
    else:
        text = values.astype("str")
    return np.asarray(text.astype(object).where(values.notna(), None))


# --- step 1: columns --------------------------------------------------------------------


def _parse_columns(
    table: str, source: pd.DataFrame, issues: _Issues, *, rules: ValidationRules
) -> tuple[pd.DataFrame, list[str]]:
    """Every canonical column read into its dtype, absent ones filled; extras kept as they are."""
    kinds = column_kinds(table)
    schema = table_schema(table, rules=rules)
    columns: dict[str, pd.Series] = {}
    notes: list[str] = []
    for column, kind in kinds.items():
        default = column_default(table, column)
        if column not in source.columns:
            columns[column] = _absent(kind, default, source.index)
            continue
        parsed = _read_column(table, column, kind, source[column], schema=schema, rules=rules)
        values = parsed.values
        if default is not None:
            # only empty cells take the default: an unreadable one stays missing, so
            # that its row (rejected for it) cannot collide with another on the key
            empty = values.isna() & ~values.index.isin(parsed.failures.index)
            values = values.mask(empty, default)
        columns[column] = values
        notes.extend(parsed.notes)
        issues.add(parsed.failures.index, column, "parse", parsed.failures.to_numpy())
    extras = {c: source[c] for c in source.columns if c not in kinds}
    # copy=False: the columns are new arrays already; consolidating them would copy every one.
    return pd.DataFrame({**columns, **extras}, index=source.index, copy=False), notes


def _read_column(
    table: str,
    column: str,
    kind: str,
    raw: pd.Series,
    *,
    schema: pa.DataFrameSchema,
    rules: ValidationRules,
) -> ParsedColumn:
    """Read one raw column with the reader of its kind."""
    if kind in ("id", "ref", "text"):
        return parse_text(raw)
    if kind == "enum":
        checks = schema.columns[column].checks
        allowed = next(c.statistics["allowed_values"] for c in checks if c.name == "isin")
        return parse_enum(raw, allowed=tuple(allowed), aliases=value_aliases(table, column))
    if kind == "date":
        return parse_date(
            raw,
            dayfirst=rules.dayfirst,
            timezone=rules.timezone,
            open_ended=bool(schema.columns[column].metadata.get("open_ended")),
            label=column,
        )
    if kind in ("money", "number", "probability"):
        return parse_number(
            raw, money=kind == "money", probability=kind == "probability", label=column
        )
    if kind == "integer":
        return parse_integer(raw, label=column)
    if kind == "bool":
        return parse_bool(raw)
    return parse_period(raw)


def _absent(kind: str, default: Any, index: pd.Index) -> pd.Series:
    """An absent optional column: its default, or missing values of the right dtype."""
    dtype: Any = {
        "date": "datetime64[ns]",
        "money": "float64",
        "number": "float64",
        "probability": "float64",
        "integer": "Int64",
        "bool": "boolean",
    }.get(kind, "str")
    if default is not None:
        return pd.Series(default, index=index).astype(dtype)
    return pd.Series(pd.NA if dtype in ("Int64", "boolean") else np.nan, index=index, dtype=dtype)


# --- step 2: references -----------------------------------------------------------------


def _resolve_references(
    table: str,
    frame: pd.DataFrame,
    kept: dict[str, pd.DataFrame],
    roots: dict[str, pd.Series],
    positions: dict[str, np.ndarray],
    issues: _Issues,
    *,
    on_orphans: OnOrphans,
) -> pd.DataFrame:
    """Reference columns as categoricals over the referenced keys; unknown ids handled.

    ``positions`` holds each reference column's positions among the referenced
    keys (:func:`_positions`). The schema's checks of these columns (present,
    categorical) are enforced here, where they cost nothing. An unknown id whose
    row was rejected in its table is rejected with that row's root cause.
    """
    updates: dict[str, Any] = {}
    for column, target in references(table).items():
        keys = kept[target][key_columns(target)[0]]
        values = frame[column]
        codes = positions[column]
        empty = values.isna()
        issues.add(
            values.index[empty.to_numpy()], column, "required", f"{column} is empty; it is required"
        )
        unknown = ~empty.to_numpy() & (codes < 0)
        categories = pd.Index(keys)
        if unknown.any():
            missing_ids = values[unknown]
            if on_orphans == "keep":
                extra = pd.Index(pd.unique(missing_ids), dtype="str")
                categories = categories.append(extra)
                codes[unknown] = len(keys) + extra.get_indexer(pd.Index(missing_ids))
            else:
                issues.add(
                    missing_ids.index,
                    column,
                    "reference",
                    _orphan_reasons(column, target, missing_ids),
                    _causes(missing_ids, roots[target]),
                )
        # the codes come from the lookup, so pandas need not check them again
        updates[column] = pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(categories), validate=False
        )
    if table == "goals":
        _check_goal_owners(
            frame, kept["managers"], roots["managers"], issues, on_orphans=on_orphans
        )
    return frame.assign(**updates) if updates else frame


def _submit_lookups(
    pool: ThreadPoolExecutor, values: pd.Series, keys: pd.Series
) -> list[Future[np.ndarray]]:
    """Look up each value's position among ``keys``, slice by slice, on the pool."""
    arrow_values, arrow_keys = _arrow_strings(values), _arrow_strings(keys)
    starts = range(0, max(len(arrow_values), 1), _LOOKUP_SLICE)
    return [
        pool.submit(_positions, arrow_values.slice(i, _LOOKUP_SLICE), arrow_keys) for i in starts
    ]


def _positions(values: pa_arrow.ChunkedArray, keys: pa_arrow.ChunkedArray) -> np.ndarray:
    """For each value, its position among ``keys`` (-1 where absent or missing)."""
    positions = pc.index_in(values, value_set=keys)
    return np.asarray(positions.fill_null(-1), dtype=np.int32)


def _arrow_strings(values: pd.Series) -> pa_arrow.ChunkedArray:
    """A string column as Arrow data, sharing the buffers of Arrow-backed columns."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        values = values.astype("str")
    return values.array.__arrow_array__()


def _orphan_reasons(column: str, target: str, ids: pd.Series) -> np.ndarray:
    """Why each unknown id is unknown."""
    singular = {"managers": "manager", "clients": "client"}.get(target, target)
    return (
        f"{column} "
        + ids.map(repr).astype("str")
        + f" is not a known {singular} (not in {target}, or its row there was rejected)"
    ).to_numpy()


def _causes(ids: pd.Series, roots: pd.Series) -> np.ndarray:
    """For each id, the root cause of its rejected row (None for ids that never had one)."""
    return np.array(roots.reindex(ids.astype("str").to_numpy()).to_numpy(dtype=object))


def _check_goal_owners(
    frame: pd.DataFrame,
    managers: pd.DataFrame,
    manager_roots: pd.Series,
    issues: _Issues,
    *,
    on_orphans: OnOrphans,
) -> None:
    """A goal's owner is a known manager, or a known team for team goals."""
    if on_orphans == "keep":
        return
    is_team = frame["owner_kind"] == "team"
    known = np.where(
        is_team,
        frame["owner_id"].isin(set(managers["team"].dropna())),
        frame["owner_id"].isin(set(managers["manager_id"])),
    )
    unknown = frame["owner_id"].notna().to_numpy() & ~known
    ids = frame.loc[unknown, "owner_id"]
    what = pd.Series(
        np.where(is_team[unknown], "team (not a team in managers)", "manager (not in managers)"),
        index=ids.index,
    ).astype("str")
    reasons = ("owner_id " + ids.map(repr).astype("str") + " is not a known " + what).to_numpy()
    # team owners have no row of their own in managers, so no cause to name
    causes = _causes(ids, manager_roots)
    causes[is_team[unknown].to_numpy()] = None
    issues.add(ids.index, "owner_id", "reference", reasons, causes)


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
    # Validation sits below the metric registry, so it imports the registry only
    # here, when a goals table is validated (no import at module load, so no
    # circle). Known names are read from the registry rather than listed in
    # ValidationRules so that metrics added with register_metric() count at once.
    from .metrics import RATING_PREFIX, list_metrics

    names = [n for n in list_metrics()["name"] if not n.startswith(RATING_PREFIX)]
    return names + [RATING_PREFIX + c for c in rules.competencies]


# --- causes -----------------------------------------------------------------------------


def _rejected_roots(
    table: str, frame: pd.DataFrame, rejects: pd.DataFrame, issues: _Issues
) -> pd.Series:
    """Each rejected key of ``table`` and the root cause of its row (first row of a key wins)."""
    key = key_columns(table)
    in_frame = (rejects["row"] - 1).isin(frame.index).to_numpy()  # malformed rows have no key
    if len(key) != 1 or not in_frame.any():
        return pd.Series([], dtype=object)
    found = rejects[in_frame]
    positions = found["row"] - 1
    roots = row_roots(found, issues.place(positions))
    keys = frame[key[0]].reindex(positions.to_numpy()).to_numpy(dtype=object)
    named = pd.Series(roots.to_numpy(dtype=object), index=pd.Index(keys, dtype=object))
    named = named[named.index.notna()]
    return named[~named.index.duplicated(keep="first")]


def row_roots(rejects: pd.DataFrame, places: pd.Series) -> pd.Series:
    """For each reject, the root cause of its row, as ``"<place>: <reason>"``.

    A row's root is its own first problem; a row with none of its own (every
    problem follows from another rejected row) takes the cause of its first one.
    ``places`` names each reject's row (``managers.csv row 3``).
    """
    own = (rejects["cause"] == "").to_numpy()
    described = np.where(own, (places + ": " + rejects["reason"]).to_numpy(), rejects["cause"])
    lines = pd.DataFrame(
        {
            "table": rejects["table"].to_numpy(),
            "source": rejects["source"].to_numpy(),
            "row": rejects["row"].to_numpy(),
            "own": own,
            "root": described,
        },
        index=rejects.index,
    )
    # own problems first, so the first root of a row is its own when it has one
    lines = lines.sort_values("own", ascending=False, kind="stable")
    first = lines.groupby(["table", "source", "row"], sort=False)["root"].transform("first")
    return first.reindex(rejects.index)


def reject_causes(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows grouped by root cause: one row per problem to fix.

    Columns: ``cause`` (where and what), ``table`` and ``row`` of the row to fix,
    ``rows_rejected`` (that row and every row rejected because of it) and
    ``by_table`` (the same count per table, in words); most rows first.
    """
    if rejects.empty:
        columns = {"cause": "str", "table": "str", "row": "int64", "rows_rejected": "int64"}
        return pd.DataFrame(
            {c: pd.Series(dtype=d) for c, d in {**columns, "by_table": "str"}.items()}
        )
    places = rejects["source"] + " row " + rejects["row"].astype("str")
    rows = rejects.assign(root=row_roots(rejects, places)).drop_duplicates(
        ["table", "source", "row"]
    )
    rows = rows.assign(order=rows["table"].map({t: i for i, t in enumerate(TABLES)}))
    rows = rows.sort_values(["order", "source", "row"], kind="stable")
    groups = rows.groupby("root", sort=False)
    counts = rows.groupby(["root", "order", "table"], sort=True).size()
    words = counts.index.get_level_values("table") + " " + counts.astype("str").to_numpy()
    by_table = (
        pd.Series(words, index=counts.index.get_level_values("root"))
        .groupby(level=0)
        .agg(", ".join)
    )
    out = pd.DataFrame(
        {
            "cause": groups["root"].first(),
            "table": groups["table"].first(),
            "row": groups["row"].first(),
            "rows_rejected": groups.size(),
        }
    )
    out["by_table"] = by_table.reindex(out.index)
    out = out.sort_values("rows_rejected", ascending=False, kind="stable")
    return out.reset_index(drop=True).astype({"cause": "str", "table": "str", "by_table": "str"})


# --- step 3: keys -----------------------------------------------------------------------


def _has_repeated_keys(table: str, frame: pd.DataFrame) -> bool:
    """Whether any key value occurs twice (the common answer, no, must be cheap)."""
    key = key_columns(table)
    if len(key) == 1:
        return _may_have_duplicates(frame[key[0]])
    return bool(frame.duplicated(subset=key).any())


def _enforce_key(table: str, frame: pd.DataFrame, issues: _Issues) -> None:
    """Exact duplicates keep the first row; rows sharing a key but differing are all rejected."""
    key = key_columns(table)
    shared = frame.duplicated(subset=key, keep=False) & frame[key].notna().all(axis=1)
    if not shared.any():
        return
    rows = frame[shared]
    by_key = [rows[k] for k in key]
    variants = rows.drop_duplicates()
    conflicting = variants[variants.duplicated(subset=key, keep=False)].set_index(key).index
    is_conflict = rows.set_index(key).index.isin(conflicting)

    exact = rows.index[rows.duplicated(keep="first").to_numpy() & ~is_conflict]
    first = pd.Series(rows.index, index=rows.index).groupby(by_key, observed=True).transform("min")
    one, many = ("", "") if issues.row_names is not None else ("row ", "rows ")
    reasons = f"exact duplicate of {one}" + issues.name_rows(first[exact])
    issues.add(exact, key[0], "duplicate", reasons.to_numpy())

    clash = rows[is_conflict]
    if len(clash):
        numbers = issues.name_rows(pd.Series(clash.index, index=clash.index))
        listed = numbers.groupby([clash[k] for k in key], observed=True).transform(", ".join)
        named = (
            clash[key]
            .astype("str")
            .apply(lambda r: ", ".join(f"{k}={v!r}" for k, v in r.items()), axis=1)
        )
        reasons = "conflicting duplicate key " + named + f" ({many}" + listed + ")"
        reasons += "; keep one of them"
        issues.add(clash.index, key[0], "duplicate", reasons.to_numpy())


def _may_have_duplicates(values: pd.Series) -> bool:
    """A quick test for repeated keys (sorting is faster than hashing on large string columns).

    Equal keys are neighbours once sorted; the sorted keys are compared a slice at a
    time, so the sorted copy never exists whole.
    """
    if len(values) < 100_000 or not isinstance(values.dtype, pd.StringDtype):
        return bool(values.duplicated().any())
    array = _arrow_strings(values)
    order = pc.sort_indices(array)
    for start in range(0, len(order), _COMPARE_SLICE):
        # one row of overlap, so pairs across slice edges are compared too
        ordered = pc.take(array, order.slice(start, _COMPARE_SLICE + 1)).combine_chunks()
        if pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py():
            return True
    return False


# --- step 4: schema ---------------------------------------------------------------------


def _apply_schema(
    table: str,
    frame: pd.DataFrame,
    issues: _Issues,
    *,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
) -> None:
    """Run the pandera schema lazily and reject each failing row with a reason in words."""
    schema = table_schema(table, rules=rules, as_of=as_of, check_keys=False)
    # Reference columns were checked when they were resolved; pandera would also
    # walk their (possibly million) categories in Python to check the dtype.
    schema = schema.remove_columns(list(references(table)))
    try:
        schema.validate(frame, lazy=True, inplace=True)  # no coercion, so nothing is changed
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return
    # pandera names a failure by the check's error text; map it back to the check.
    checks = {str(c.error): c for c in schema.checks}
    for column in schema.columns.values():
        checks.update({str(c.error): c for c in column.checks})
    cases = cases[cases["index"].notna()].copy()
    names = [checks[c].name if c in checks else str(c) for c in cases["check"]]
    cases["name"] = names
    cases["column"] = [
        _ROW_CHECK_COLUMN.get(n, c) for n, c in zip(names, cases["column"], strict=True)
    ]
    cases = cases.drop_duplicates(subset=["index", "column", "name"])
    already = issues.rejected_cells()
    for (column, name, check), group in cases.groupby(["column", "name", "check"], sort=False):
        labels = [int(i) for i in group["index"] if (int(i), str(column)) not in already]
        if labels:
            rows = frame.loc[labels]
            short, reasons = _describe(
                str(column), str(name), checks.get(str(check)), rows, rules, as_of
            )
            issues.add(rows.index, str(column), short, reasons)


def _describe(
    column: str,
    name: str,
    check: pa.Check | None,
    rows: pd.DataFrame,
    rules: ValidationRules,
    as_of: pd.Timestamp | None,
) -> tuple[str, Any]:
    """A failed check's short name and a reason in words for each failing row."""
    values = rows[column]
    display = pd.Series(_as_display(values), index=values.index).astype("str")
    shown = f"{column} " + display
    stats: dict[str, Any] = (check.statistics or {}) if check is not None else {}
    if name in ("not_nullable", "str_length"):
        return "required", f"{column} is empty; it is required"
    if name == "isin":
        allowed = ", ".join(map(str, stats["allowed_values"]))
        listed = f"{column} " + display.map(repr).astype("str") + f" is not one of: {allowed}"
        if column in _CONFIGURED_VALUES:
            listed += f"; if it is one of yours, add it to {_CONFIGURED_VALUES[column]}"
        return "allowed_values", listed.to_numpy()
    is_range = name in ("in_range", "greater_than_or_equal_to")
    if is_range and values.dtype.kind == "M":
        earliest, latest = rules.date_bounds(as_of)
        late = (values > latest).to_numpy() if latest is not None else False
        early = shown + f" is before {earliest:%Y-%m-%d}; check the year"
        after = shown + f" is more than {rules.max_years_after_as_of} year(s) after as_of "
        after = after + (f"{as_of:%Y-%m-%d}; check the year" if as_of is not None else "")
        return "date_range", np.where(late, after, early)
    if is_range:
        low, high = stats.get("min_value"), stats.get("max_value")
        bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
        return "range", (shown + f" is out of range: it must be {bounds}").to_numpy()
    if name == "finite":
        return "finite", (shown + " is not a finite number").to_numpy()
    if name == "max_amount":
        bound = f"{rules.max_amount:g}"
        reasons = shown + f" is beyond the plausible bound ±{bound}; check the unit and the "
        reasons += f"decimal point, or raise ValidationRules(max_amount={bound}) if it is real"
        return "max_amount", reasons.to_numpy()
    if name == "integer":
        return "integer", (shown + " is not a whole number").to_numpy()
    if name in _DATE_ORDER:
        earlier = _DATE_ORDER[name][1]
        other = pd.Series(_as_display(rows[earlier]), index=rows.index).astype("str")
        return name, (shown + f" is before {earlier} " + other).to_numpy()
    return name, str(check.error) if check is not None else f"{column} fails {name}"
