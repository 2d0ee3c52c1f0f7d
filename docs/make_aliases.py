"""Write docs/aliases.md from the alias table in am_analytics.io.aliases.

Run ``python docs/make_aliases.py`` after changing the aliases; a test checks
that the page and the code agree.
"""

from __future__ import annotations

from pathlib import Path

from am_analytics.io.aliases import header_aliases

PAGE = Path(__file__).with_name("aliases.md")

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


def render() -> str:
    """The page's Markdown."""
    parts = [INTRO]
    for table, rows in header_aliases().groupby("table", sort=False):
        parts.append(f"\n## {table}\n\n| column | accepted headers |\n|---|---|")
        for column, aliases in rows.groupby("column", sort=False):
            names = ", ".join(f"`{a}`" for a in aliases.alias)
            parts.append(f"| `{column}` | {names} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
