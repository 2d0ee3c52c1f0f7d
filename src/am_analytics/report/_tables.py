"""Tables of the HTML report: the frames' columns chosen, labelled and typed for display.

A :class:`Table` holds the raw values and each column's :data:`Kind`; the
templates format them by kind and language (``cell`` filter), and keep the raw
number in ``data-value`` so a reader's sort (and a test) sees the frame's value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
from markupsafe import Markup

from ._messages import Messages, column_label

#: How a column is shown: ``text`` as it is, ``value`` through the catalogue's
#: ``value.*`` words (segments, statuses), ``int``, ``number`` (two decimals),
#: ``score`` (one), ``money`` (thousands separators, no decimals), ``share``
#: (a 0–1 share as a percentage), ``percent`` (a 0–100 figure with ``%``),
#: ``signed`` (one decimal with its sign), ``change`` (a whole number with its
#: sign: ranks climbed), ``points`` (a change of a 0–1 share, in percentage
#: points), ``date``.
Kind: TypeAlias = Literal[
    "text",
    "value",
    "int",
    "number",
    "score",
    "money",
    "share",
    "percent",
    "signed",
    "change",
    "points",
    "date",
]

#: Kinds shown right-aligned and sorted as numbers.
NUMERIC_KINDS = frozenset(
    {"int", "number", "score", "money", "share", "percent", "signed", "change", "points"}
)

#: Columns of sentences, which may wrap; every other cell keeps to one line.
PROSE_COLUMNS = frozenset(
    {"reason", "override_reason", "action", "lifted_by", "held_back_by", "note", "unmet"}
)


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure of the page: its caption and its SVG."""

    caption: str
    svg: Markup


def figure(draw: Callable[..., Markup], *data: object, title: str, **options: object) -> Figure:
    """``draw(*data, title=title, **options)`` with ``title`` as its caption too."""
    return Figure(title, draw(*data, title=title, **options))


@dataclass(frozen=True, slots=True)
class Column:
    """A displayed column: the frame's column (or index name), its label and kind."""

    name: str
    label: str
    kind: Kind

    @property
    def numeric(self) -> bool:
        """Whether the column is a number (right-aligned, sorted numerically)."""
        return self.kind in NUMERIC_KINDS

    @property
    def prose(self) -> bool:
        """Whether the column holds sentences, which may wrap."""
        return self.name in PROSE_COLUMNS


@dataclass(frozen=True, slots=True)
class Table:
    """A table of the report: a title, its columns and rows of raw values.

    ``key`` names the frame it shows (``data-frame`` in the page), so a test
    can match each table against the frame.
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    total_rows: int
    note: str = ""

    @property
    def empty(self) -> bool:
        """Whether the table has no row to show."""
        return not self.rows


def table(
    key: str,
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, Kind]],
    words: Messages,
    *,
    title: str | None = None,
    limit: int | None = None,
) -> Table:
    """A :class:`Table` of ``frame``'s ``columns`` (name, kind), the first ``limit`` rows.

    The index counts as a column when named. Columns the frame lacks are left
    out, so a table shows what the evaluation has.
    """
    flat = frame.reset_index() if frame.index.name is not None else frame
    shown = [(name, kind) for name, kind in columns if name in flat.columns]
    head = flat if limit is None else flat.head(limit)
    values = [_display_values(head[name], kind) for name, kind in shown]
    rows = tuple(zip(*values, strict=True)) if values else ()
    return Table(
        key=key,
        title=title if title is not None else words(f"frame.{key}"),
        columns=tuple(Column(name, column_label(name, words), kind) for name, kind in shown),
        rows=rows,
        total_rows=len(flat),
        note=words("text.rows_shown", shown=len(rows), total=len(flat))
        if len(rows) < len(flat)
        else "",
    )


def _display_values(column: pd.Series, kind: Kind) -> list[object]:
    """A column's values as plain Python objects, missing values as None."""
    if kind in NUMERIC_KINDS:
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            numbers = pd.to_numeric(column, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        return [float(x) if np.isfinite(x) else None for x in numbers.tolist()]
    values = column.tolist()
    if kind == "date":
        return [None if is_missing(x) else pd.Timestamp(x) for x in values]
    return [None if is_missing(x) else str(x) for x in values]


def finite_or_none(value: object) -> float | None:
    """A value as a finite float, or None (missing, infinite, not a number)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def is_missing(value: object) -> bool:
    """Whether a scalar is missing (None, NaN, NA, NaT)."""
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def format_value(value: object, kind: str, words: Messages) -> str:
    """``value`` written for a reader of ``words``' language, by its kind (see ``_tables.Kind``).

    Examples
    --------
    >>> from am_analytics.report import messages
    >>> en, zh = messages("en"), messages("zh")
    >>> format_value(1234567.8, "money", en), format_value(1234567.8, "money", zh)
    ('1.2M', '123.5万')
    >>> format_value(0.1234, "share", en), format_value(-2.0, "signed", en)
    ('12.3%', '−2.0')
    >>> format_value(None, "int", en)
    '–'
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "date":
        return words("format.date").format(d=pd.Timestamp(value))  # type: ignore[arg-type]
    if kind == "value":
        return words.get(f"value.{value}", str(value))
    if kind not in NUMERIC_KINDS:
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if kind == "money":
        return _money(number, words)
    text = {
        "int": f"{number:,.0f}",
        "number": f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.2f}",
        "score": f"{number:.1f}",
        "share": f"{number * 100:.1f}%",
        "percent": f"{number:.1f}%",
        "points": f"{number * 100:.1f}" + words("unit.points"),
        "signed": f"{number:+.1f}",
        "change": f"{number:+,.0f}",
    }[kind]
    return text.replace("-", "−")  # a true minus sign: a hyphen reads as a dash


#: The large-number units, largest first: each language names those it counts in.
MONEY_UNITS = (("billion", 1e9), ("hundred_million", 1e8), ("million", 1e6), ("ten_thousand", 1e4))


def _money(amount: float, words: Messages) -> str:
    """An amount in the language's large-number units (万 and 亿 in Chinese, M and B in English)."""
    for key, size in MONEY_UNITS:
        unit = words(f"unit.{key}")
        if unit and abs(amount) >= size:
            return f"{amount / size:,.1f}{unit}".replace("-", "−")
    return f"{amount:,.0f}".replace("-", "−")
