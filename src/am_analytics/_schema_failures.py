"""Step 4 of validation: the pandera schema run lazily, each failure a reject in words."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ._rejects import _as_display, _Issues
from .schemas import ValidationRules, references, table_schema

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
    schema = _without_proven_checks(schema)
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


def _without_proven_checks(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """The schema less the checks that reading the columns has already proved.

    Text and id columns are read by ``parse_text``, which makes a blank cell
    missing, so every string it keeps has a character: ``str_length >= 1`` cannot
    fail (an empty one fails ``nullable`` instead, with the same reject), and on
    millions of ids pandera would measure every string to find that out. The
    tests check that the full schema accepts every table :func:`load` keeps.
    """
    updates: dict[str, dict[str, Any]] = {}
    for name, column in schema.columns.items():
        if (column.metadata or {}).get("kind") not in ("id", "text"):
            continue
        kept = [c for c in column.checks if not _is_nonempty_check(c)]
        if len(kept) != len(column.checks):
            updates[name] = {"checks": kept}
    return schema.update_columns(updates) if updates else schema


def _is_nonempty_check(check: pa.Check) -> bool:
    """Whether a check is ``str_length(min_value=1)`` and nothing more."""
    stats = check.statistics or {}
    return (
        check.name == "str_length"
        and stats.get("min_value") in (0, 1)
        and stats.get("max_value") is None
        and stats.get("exact_value") is None
    )


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
