"""Write docs/aliases.md and docs/tables.md from the code that defines them.

Run ``python docs/make_reference.py`` after changing the aliases or the
schemas; a test checks that the pages and the code agree.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from am_analytics.io.aliases import header_aliases, value_aliases
from am_analytics.schemas import REQUIRED_TABLES, TABLES, key_columns, table_model, table_schema

HERE = Path(__file__).parent

INTRO = """# Header aliases

Source headers are matched to canonical columns after normalisation: Unicode
NFKC (full-width letters, digits and brackets become ASCII), lower case, a
trailing unit in brackets dropped (`金额(元)`, `Probability (%)`), and spaces,
`_`, `-` and `.` removed. So `Order ID`, `order_id` and `ORDER-ID` are one
header. Aliases are per table: `名称` is a client's name in `clients` and a
manager's in `managers`.

Headers that match nothing are kept as extra columns and listed as
`ignored_columns` in `Dataset.summary()`. Two headers that mean the same
column (say `客户编号` and `client_id`) are an error: keep one.

This page is generated from `am_analytics.header_aliases()`.
"""


def render_aliases() -> str:
    """docs/aliases.md."""
    parts = [INTRO]
    for table, rows in header_aliases().groupby("table", sort=False):
        parts.append(f"\n## {table}\n\n| column | accepted headers |\n|---|---|")
        for column, aliases in rows.groupby("column", sort=False):
            names = ", ".join(f"`{a}`" for a in aliases.alias)
            parts.append(f"| `{column}` | {names} |")
    parts.append(VALUES_INTRO)
    for table in TABLES:
        for name, column in table_schema(table).columns.items():
            words = value_aliases(table, name)
            if (column.metadata or {}).get("kind") == "enum" and words:
                listed = ", ".join(f"`{w}` → `{v}`" for w, v in words.items())
                parts.append(f"| `{table}.{name}` | {listed} |")
    return "\n".join(parts) + "\n"


VALUES_INTRO = """
## Enumeration values

Values of enumerations are compared in lower case with `_` for blanks and
hyphens (`Closed Won` is `closed_won`); besides the canonical values, these
words are accepted:

| column | accepted words |
|---|---|"""

TABLES_INTRO = """# Canonical tables

Every loader produces these nine tables (see `am_analytics.schemas` for the
pandera models). Column names are canonical English; headers from files are
mapped onto them ([aliases](aliases.md)). `managers`, `clients` and `sales`
are required; the others are optional, and a table that is present always has
all of its columns (absent optional ones are filled with their default or left
missing). Columns that match nothing are kept after the canonical ones.

* Ids are strings. A column that refers to another table is a `category`
  whose categories are that table's keys in its row order, so `.cat.codes`
  index its rows and group-bys cost integer work (`groupby(...,
  observed=False)` lists every manager, with or without activity). With
  `on_orphans="keep"` unknown ids are appended after the known ones.
* Dates are naive `datetime64[ns]` in the organisation's local time; money is
  `float64` in one reporting currency; `amount` may be negative (refunds).

The rules below are checked for every row; a row that breaks one goes to
`Dataset.rejects`. Dates must also lie between `ValidationRules.min_date`
(1990-01-01) and one year after `as_of`.
"""


def _rules(column: object) -> str:
    """A column's checks in words."""
    words = []
    for check in column.checks:  # type: ignore[attr-defined]
        stats = check.statistics or {}
        if check.name == "isin":
            words.append("one of " + ", ".join(f"`{v}`" for v in stats["allowed_values"]))
        elif check.name == "in_range":
            words.append(f"{stats['min_value']} to {stats['max_value']}")
        elif check.name == "greater_than_or_equal_to" and "date" not in str(column.dtype):  # type: ignore[attr-defined]
            words.append(f">= {stats['min_value']}")
        elif check.name == "greater_than_or_equal_to":
            continue  # the date range is explained once, above
        elif check.name == "str_length":
            words.append("not empty")
        elif check.name not in ("in_range",) and check.error:
            words.append(str(check.error))
    return "; ".join(words)


def render_tables() -> str:
    """docs/tables.md."""
    parts = [TABLES_INTRO]
    for table in TABLES:
        schema = table_schema(table)
        model = table_model(table)
        need = "required" if table in REQUIRED_TABLES else "optional"
        key = ", ".join(f"`{k}`" for k in key_columns(table))
        parts.append(
            f"\n## {table} ({need}; key {key})\n\n{inspect.cleandoc(model.__doc__ or '')}\n"
        )
        parts.append("| column | dtype | required | default | rules |\n|---|---|---|---|---|")
        for name, column in schema.columns.items():
            meta = column.metadata or {}
            dtype = "category" if meta.get("kind") == "ref" else str(column.dtype)
            dtype = "str" if dtype.startswith("string") else dtype
            refers = f" → `{meta['references']}`" if "references" in meta else ""
            default = meta.get("default")
            parts.append(
                f"| `{name}`{refers} | {dtype} | {'yes' if column.required else ''} "
                f"| {'' if default is None else f'`{default}`'} | {_rules(column)} |"
            )
        row_rules = [str(c.error) for c in schema.checks]
        if row_rules:
            parts.append("\nRow rules: " + "; ".join(row_rules) + ".")
    return "\n".join(parts) + "\n"


PAGES = {"aliases.md": render_aliases, "tables.md": render_tables}

if __name__ == "__main__":
    for page, render in PAGES.items():
        (HERE / page).write_text(render(), encoding="utf-8")
