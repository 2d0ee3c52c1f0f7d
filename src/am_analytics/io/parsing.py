"""Vectorised readers of raw cells: dates, amounts, numbers, flags, enumerations, periods.

Each reader takes a column as it came from a file or a frame (strings, Python
objects, or values that are already typed) and returns a :class:`ParsedColumn`:
the values in their canonical dtype, and for every cell that held something
that could not be read, the reason. A cell that cannot be read never becomes a
silent NaN: the loader turns each reason into a reject.

Clean columns take a fast path (already-typed values, or one vectorised
conversion); only the cells that fail it go through the slower, forgiving
readers, and those work on the distinct values rather than on every row.

Accepted forms
--------------
dates
    ``2026-07-01``, ``2026/07/01``, ``2026-7-1``, ``2026.7.1``, ``2026年7月1日``,
    ``20260701``, any of those followed by a time (``10:30``, ``10:30:15``,
    ``10:30:15.250``, optionally ``T``-separated, optionally with an offset
    ``Z`` / ``+08:00``), year-last forms ``01/07/2026`` (see ``dayfirst``), and
    Excel serial day numbers (``46204``, ``46204.5``). Dates that datetime64[ns]
    cannot hold (before 1677-09-22 or from 2262-04-11, such as the "no end"
    marker ``9999-12-31``) fail as out of range; in open-ended columns (an end
    date) a date past the range is read as missing, with a note.
numbers and money
    ``1234.5``, ``1,234.50``, ``¥1,234.50``, ``￥1234``, ``CNY 1,234``,
    ``1,234.00元``, ``RMB 1234``, ``$1,234``, ``USD 1,234``, ``-1,234``,
    ``(1,234.00)`` (a negative), full-width digits. Money in more than one
    currency within a column is rejected: convert to the reporting currency first.
probabilities
    ``0.8``, ``80%``; a column whose values run above 1 (up to 100) is read as
    percentages.
flags
    ``true/false``, ``yes/no``, ``y/n``, ``t/f``, ``1/0``, ``是/否``, ``已完成/未完成``,
    ``完成/未完成``, ``√/×``.
periods
    ``2026Q3``, ``2026-Q3``, ``2026 q3``, ``2026年第3季度``, ``2026年三季度``,
    ``2026-07``, ``2026/7``, ``2026年7月``, ``2026``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from ._cells import ParsedColumn, _as_text, _fail, _for_every_row, _present, _text_cells
from ._dates import parse_date
from ._formulas import restore_formulas

__all__ = [
    "ParsedColumn",
    "parse_bool",
    "parse_date",
    "parse_enum",
    "parse_integer",
    "parse_number",
    "parse_period",
    "parse_text",
]

NUMBER_EXAMPLES: Final = "1234.5, 1,234.50, ¥1,234.50, CNY 1,234 or (120.00)"

_CURRENCIES: Final[dict[str, str]] = {
    "人民币": "CNY", "rmb": "CNY", "cny": "CNY", "元": "CNY", "¥": "CNY",
    "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港元": "HKD",
    "us$": "USD", "usd": "USD", "美元": "USD", "$": "USD",
    "eur": "EUR", "€": "EUR", "欧元": "EUR",
    "gbp": "GBP", "£": "GBP", "英镑": "GBP",
}  # fmt: skip
_CURRENCY_PATTERN: Final = "|".join(
    re.escape(token) for token in sorted(_CURRENCIES, key=len, reverse=True)
)
_NUMBER: Final = re.compile(
    rf"^(?P<sign1>[-+])?\s*(?P<cur1>{_CURRENCY_PATTERN})?\s*(?P<sign2>[-+])?\s*"
    rf"(?P<number>\d[\d,' ]*(?:\.\d*)?|\.\d+)\s*(?P<cur2>{_CURRENCY_PATTERN})?\s*(?P<percent>%)?$"
)

_TRUE: Final = frozenset(
    {"true", "t", "yes", "y", "1", "1.0", "是", "已完成", "完成", "√", "✓", "对"}
)
_FALSE: Final = frozenset({"false", "f", "no", "n", "0", "0.0", "否", "未完成", "×", "✗", "错"})

_CHINESE_DIGITS: Final = {"一": "1", "二": "2", "三": "3", "四": "4"}
_QUARTER: Final = re.compile(r"^(\d{4})(?:年)?[-/]?(?:第)?\s*(?:Q([1-4])|([1-4一二三四])季度?)$")
_MONTH: Final = re.compile(r"^(\d{4})(?:[-/.]|年)(\d{1,2})月?$")
_YEAR: Final = re.compile(r"^(\d{4})年?$")


def parse_text(raw: pd.Series) -> ParsedColumn:
    """Read text and ids: strings with surrounding blanks removed; blank is missing.

    Text that a writer neutralised so that spreadsheets would not run it as a
    formula (``'=x``, see :mod:`am_analytics.io._formulas`) is read back as it
    was (``=x``).

    Examples
    --------
    >>> parse_text(pd.Series([" C001 ", "", None, 1001, "'=SUM(A1)", "'plain"])).values.tolist()
    ['C001', nan, nan, '1001', '=SUM(A1)', "'plain"]
    """
    text, maybe_quoted = _text_cells(raw)
    # only text that starts with an apostrophe can be a neutralised formula
    return ParsedColumn(restore_formulas(text) if maybe_quoted else text)


def _parse_categorical_text(raw: pd.Series) -> ParsedColumn:
    """A categorical text column read as :func:`parse_text` reads text, kept categorical.

    Only the categories are read; categories that read the same (``"C1"`` and
    ``" C1"``) become one, and blank ones missing.
    """
    text = parse_text(pd.Series(raw.cat.categories)).values
    category_codes, categories = pd.factorize(text)
    codes = raw.cat.codes.to_numpy()
    if np.array_equal(category_codes, np.arange(len(category_codes))):
        merged = codes  # each category read as itself (tidy ids), or none at all
    else:  # categories merged or made missing (only blank ones: every cell missing)
        merged = np.where(codes >= 0, category_codes.take(codes, mode="clip"), -1)
    # the codes index the categories by construction: pandas need not check them
    values = pd.Categorical.from_codes(
        merged, dtype=pd.CategoricalDtype(pd.Index(categories, dtype="str")), validate=False
    )
    return ParsedColumn(pd.Series(values, index=raw.index, copy=False))


def parse_enum(
    raw: pd.Series, *, allowed: tuple[str, ...], aliases: Mapping[str, str] | None = None
) -> ParsedColumn:
    """Read an enumeration: case, blanks and hyphens do not matter; aliases are mapped.

    Values that are not recognised are kept as written so that the schema's
    check rejects them with the list of allowed values.

    Examples
    --------
    >>> raw = pd.Series(["Complaint", "投诉", "odd one"])
    >>> parse_enum(raw, allowed=("complaint",), aliases={"投诉": "complaint"}).values.tolist()
    ['complaint', 'complaint', 'odd one']
    """
    if isinstance(raw.dtype, pd.CategoricalDtype):
        # a column read from a dictionary: its distinct values are read, then taken for every row
        categories = parse_enum(pd.Series(raw.cat.categories), allowed=allowed, aliases=aliases)
        return ParsedColumn(_for_every_row(categories.values, raw))
    text = _as_text(raw)
    aliases = aliases or {}
    lookup = {}
    for value in text.dropna().unique():
        normal = re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", value).lower())
        lookup[value] = normal if normal in allowed else aliases.get(normal, value)
    return ParsedColumn(text.map(lookup).astype("str"))


def parse_bool(raw: pd.Series) -> ParsedColumn:
    """Read yes/no flags into the nullable ``boolean`` dtype.

    Examples
    --------
    >>> parsed = parse_bool(pd.Series(["是", "否", "TRUE", "maybe", None]))
    >>> parsed.values.tolist()
    [True, False, True, <NA>, <NA>]
    >>> parsed.failures[3]
    "cannot read 'maybe' as yes/no; write true/false, yes/no, 1/0 or 是/否"
    """
    if raw.dtype == bool or isinstance(raw.dtype, pd.BooleanDtype):
        return ParsedColumn(raw.astype("boolean"))
    text = _as_text(raw).str.lower()
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[text.isin(_TRUE)] = True
    values[text.isin(_FALSE)] = False
    failed = text.notna() & values.isna()
    reason = "cannot read {value!r} as yes/no; write true/false, yes/no, 1/0 or 是/否"
    return ParsedColumn(values, _fail(raw, failed, reason))


def parse_number(
    raw: pd.Series, *, money: bool = False, probability: bool = False, label: str = "value"
) -> ParsedColumn:
    """Read numbers, amounts with currency marks, and probabilities into float64.

    Parameters
    ----------
    raw
        The raw column.
    money
        Accept currency symbols and codes, and reject a column that mixes
        currencies (each minority-currency cell gets a reason).
    probability
        Accept ``80%``; read a column whose values exceed 1 as percentages.
    label
        The column's name, used in reasons.

    Examples
    --------
    >>> raw = pd.Series(["¥1,234.50", "CNY 1,234", "1,234.00元", "(120.00)", "abc", None])
    >>> parsed = parse_number(raw, money=True, label="amount")
    >>> parsed.values.tolist()
    [1234.5, 1234.0, 1234.0, -120.0, nan, nan]
    >>> print(parsed.failures[4])  # doctest: +NORMALIZE_WHITESPACE
    cannot read 'abc' as a number;
    write amounts like 1234.5, 1,234.50, ¥1,234.50, CNY 1,234 or (120.00)
    """
    present = _present(raw)
    if raw.dtype.kind in "iuf":
        values = raw.astype("float64")
        failures = pd.Series([], dtype="str")
    elif raw.dtype.kind == "b" or isinstance(raw.dtype, pd.BooleanDtype):
        values = pd.Series(np.nan, index=raw.index)
        failures = _fail(raw, present, f"{label} {{value!r}} is a yes/no flag, not a number")
    else:
        values, failures = _parse_number_text(raw, present, money=money, label=label)
    notes: tuple[str, ...] = ()
    if probability:
        values, notes = _as_probability(values, raw, label)
    return ParsedColumn(values, failures, notes)


def _parse_number_text(
    raw: pd.Series, present: pd.Series, *, money: bool, label: str
) -> tuple[pd.Series, pd.Series]:
    """Numbers from text: a fast vectorised pass, then the forgiving reader for the rest."""
    if raw.dtype == object:
        raw = raw.astype("str").mask(raw.isna())
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    rest = present & values.isna()
    if not rest.any():
        return values, pd.Series([], dtype="str")
    cells = raw[rest]
    uniques = pd.Series(cells.unique(), dtype="str")
    parsed, currency = _read_numbers(uniques, allow_currency=money)
    what, examples = ("amounts", NUMBER_EXAMPLES) if money else ("numbers", "1234.5 or 1,234.5")
    reason = pd.Series(
        f"cannot read {{value!r}} as a number; write {what} like {examples}", uniques
    )
    reason = reason.where(parsed.isna().to_numpy())
    cell_currency = cells.map(dict(zip(uniques, currency, strict=True)))
    seen = cell_currency.value_counts()
    if money and len(seen) > 1:
        main = str(seen.index[0])
        minority = currency.notna() & (currency != main)
        parsed = parsed.mask(minority)
        mixed = label + " {value!r} is in " + currency + f" but most amounts are in {main}; "
        mixed = (mixed + "convert to one reporting currency before loading").set_axis(reason.index)
        reason = reason.mask(minority.set_axis(reason.index), mixed)
    values[rest] = cells.map(dict(zip(uniques, parsed, strict=True))).astype("float64")
    cell_reason = cells.map(dict(zip(uniques, reason, strict=True))).dropna()
    text = [r.format(value=v) for r, v in zip(cell_reason, cells[cell_reason.index], strict=True)]
    return values, pd.Series(text, index=cell_reason.index, dtype="str")


def _read_numbers(uniques: pd.Series, *, allow_currency: bool) -> tuple[pd.Series, pd.Series]:
    """The forgiving number reader, on distinct values: (value or NaN, currency or None)."""
    normal = uniques.str.normalize("NFKC").str.strip().str.lower()
    negative_paren = normal.str.match(r"^\(.*\)$")
    inner = normal.where(~negative_paren, normal.str.slice(1, -1)).str.strip()
    parts = inner.str.extract(_NUMBER)
    digits = parts["number"].str.replace(r"[,' ]", "", regex=True)
    number = pd.to_numeric(digits, errors="coerce")
    grouped_ok = parts["number"].isna() | parts["number"].str.match(
        r"^\d{1,3}(?:([,' ])\d{3})*(?:\.\d*)?$|^\d+(?:\.\d*)?$|^\.\d+$"
    )
    signs = parts["sign1"].notna().astype(int) + parts["sign2"].notna().astype(int)
    one_sign = (signs + negative_paren.astype(int)) <= 1
    number = number.where(grouped_ok.fillna(False).astype(bool) & one_sign)
    sign = np.where((parts["sign1"] == "-") | (parts["sign2"] == "-"), -1.0, 1.0)
    sign = np.where(negative_paren.to_numpy(), -1.0, sign)
    percent = parts["percent"].notna().to_numpy()
    value = number.to_numpy(dtype="float64") * sign / np.where(percent, 100.0, 1.0)
    token = parts["cur1"].fillna(parts["cur2"])
    currency = token.map(lambda t: _CURRENCIES.get(t) if isinstance(t, str) else None)
    if not allow_currency:
        value = np.where(token.notna().to_numpy(), np.nan, value)
    return pd.Series(value, dtype="float64"), currency.astype("object")


def _as_probability(
    values: pd.Series, raw: pd.Series, label: str
) -> tuple[pd.Series, tuple[str, ...]]:
    """Read a column given in percent (values above 1, none above 100) as fractions."""
    text = raw.astype("str") if raw.dtype == object else raw
    has_percent_sign = (
        text.str.contains("%", regex=False).fillna(False).astype(bool)
        if isinstance(text.dtype, pd.StringDtype)
        else pd.Series(False, index=raw.index)
    )
    plain = values.where(~has_percent_sign)
    if plain.gt(1).any() and not plain.gt(100).any():
        values = values.where(has_percent_sign, values / 100)
        return values, (f"{label} read as percentages (values above 1 were divided by 100)",)
    return values, ()


def parse_integer(raw: pd.Series, *, label: str = "value") -> ParsedColumn:
    """Read whole numbers into the nullable ``Int64`` dtype.

    Examples
    --------
    >>> parsed = parse_integer(pd.Series(["1", "2.0", "2.5"]), label="revision")
    >>> parsed.values.tolist(), parsed.failures.tolist()
    ([1, 2, <NA>], ["revision '2.5' is not a whole number"])
    """
    number = parse_number(raw, label=label)
    values = number.values
    fractional = values.notna() & (values != values.round())
    failures = pd.concat(
        [
            number.failures,
            _fail(raw, fractional, f"{label} {{value!r}} is not a whole number"),
        ]
    )
    return ParsedColumn(values.mask(fractional).astype("Int64"), failures.astype("str"))


def parse_period(raw: pd.Series) -> ParsedColumn:
    """Read periods into their canonical text (``2026Q3``, ``2026-07``, ``2026``).

    Examples
    --------
    >>> raw = pd.Series(["2026q3", "2026年第3季度", "2026年三季度", "2026/7", "2026"])
    >>> parse_period(raw).values.tolist()
    ['2026Q3', '2026Q3', '2026Q3', '2026-07', '2026']
    """
    text = _as_text(raw)
    uniques = pd.Series(text.dropna().unique(), dtype="str")
    lookup = {u: _read_period(u) for u in uniques}
    values = text.map(lookup).astype("str")
    failed = text.notna() & values.isna()
    reason = "cannot read {value!r} as a period; write quarters like 2026Q3 or months like 2026-07"
    return ParsedColumn(values, _fail(raw, failed, reason))


def _read_period(text: str) -> str | None:
    """One distinct period text -> canonical text, or None."""
    normal = unicodedata.normalize("NFKC", text).upper().replace(" ", "")
    if match := _QUARTER.match(normal):
        quarter = match.group(2) or _CHINESE_DIGITS.get(match.group(3), match.group(3))
        return f"{match.group(1)}Q{quarter}"
    if (match := _MONTH.match(normal)) and 1 <= int(match.group(2)) <= 12:
        return f"{match.group(1)}-{int(match.group(2)):02d}"
    if match := _YEAR.match(normal):
        return match.group(1)
    return None
