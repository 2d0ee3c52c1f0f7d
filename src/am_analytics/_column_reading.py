"""Step 1 of validation: each canonical column read into its dtype with its kind's reader."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ._rejects import _Issues
from .io.aliases import value_aliases
from .io.parsing import (
    ParsedColumn,
    _parse_categorical_text,
    parse_bool,
    parse_date,
    parse_enum,
    parse_integer,
    parse_number,
    parse_period,
    parse_text,
)
from .schemas import ValidationRules, column_default, column_kinds, table_schema

#: Tables of at least this many rows have their columns read two at a time.
_PARALLEL_ROWS: Final = 200_000


def _parse_columns(
    table: str, source: pd.DataFrame, issues: _Issues, *, rules: ValidationRules
) -> tuple[pd.DataFrame, list[str]]:
    """Every canonical column read into its dtype, absent ones filled; extras kept as they are."""
    kinds = column_kinds(table)
    schema = table_schema(table, rules=rules)
    columns: dict[str, pd.Series] = {}
    notes: list[str] = []
    # The readers' heavy parts (Arrow kernels, numpy) release the GIL: on large
    # tables two columns are read at a time.
    with ThreadPoolExecutor(max_workers=2 if len(source) >= _PARALLEL_ROWS else 1) as pool:
        reading = {
            column: pool.submit(
                _read_column, table, column, kind, source[column], schema=schema, rules=rules
            )
            for column, kind in kinds.items()
            if column in source.columns
        }
    for column, kind in kinds.items():
        default = column_default(table, column)
        if column not in source.columns:
            columns[column] = _absent(kind, default, source.index)
            continue
        parsed = reading[column].result()
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
    if kind == "ref" and isinstance(raw.dtype, pd.CategoricalDtype):
        # ids read as a dictionary stay one: their lookup is then of the distinct ids
        return _parse_categorical_text(raw)
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
