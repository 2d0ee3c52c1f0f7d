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
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

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

DATE_EXAMPLES: Final = "2026-07-01, 2026/7/1 or 2026年7月1日"
NUMBER_EXAMPLES: Final = "1234.5, 1,234.50, ¥1,234.50, CNY 1,234 or (120.00)"

_EXCEL_EPOCH: Final = pd.Timestamp("1899-12-30")
# The dates datetime64[ns] holds (1677-09-21 00:12 to 2262-04-11 23:47), a day in from
# each end so that converting a time zone cannot push a kept date out of it.
EARLIEST_DATE: Final = pd.Timestamp("1677-09-22")
END_OF_DATES: Final = pd.Timestamp("2262-04-11")  # the first date past the range
# Excel serials of 10000..99999 cover 1927..2173; compact dates are 8 digits.
_SERIAL: Final = re.compile(r"^\d{5}(?:\.\d+)?$")

_TIME: Final = (
    r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{1,2})(?::(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,9}))?)?)?"
    r"\s*(?P<offset>z|[+-]\d{2}:?\d{2})?"
)
_YEAR_FIRST: Final = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})" + _TIME + "$"
)
_YEAR_LAST: Final = re.compile(
    r"^(?P<first>\d{1,2})-(?P<second_part>\d{1,2})-(?P<year>\d{4})" + _TIME + "$"
)
_COMPACT: Final = re.compile(r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")

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


@dataclass(frozen=True)
class ParsedColumn:
    """A column read into its canonical dtype.

    Attributes
    ----------
    values
        The values; cells that failed are missing.
    failures
        The reason for each cell that held a value but could not be read,
        indexed like ``values`` (only the failed cells).
    notes
        Decisions taken for the whole column (e.g. "read as percentages").
    """

    values: pd.Series
    failures: pd.Series = field(default_factory=lambda: pd.Series([], dtype="str"))
    notes: tuple[str, ...] = ()


def _present(raw: pd.Series) -> pd.Series:
    """Cells that hold something (not missing, not blank text)."""
    present = raw.notna()
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype):
        text = raw[present].astype("str").str.strip()
        present.loc[text.index] = text != ""
    return present


def _as_text(raw: pd.Series) -> pd.Series:
    """Raw cells as stripped strings; blank cells become missing."""
    if raw.dtype.kind == "f":
        values = raw.to_numpy()
        finite = np.isfinite(values)
        if finite.any() and np.all(values[finite] == np.round(values[finite])):
            # Integer ids that picked up a float dtype (a NaN elsewhere) print without ".0".
            out = pd.Series(pd.NA, index=raw.index, dtype="str")
            out[finite] = values[finite].astype(np.int64).astype(str)
            return out
    if not isinstance(raw.dtype, pd.StringDtype):
        mask = raw.isna()
        raw = raw.astype("str").mask(mask)
    elif _is_tidy(raw):
        return raw
    text = raw.str.strip()
    return text.mask(text == "")


# First or last bytes that rule out a quick "already tidy": ASCII blanks, and any
# non-ASCII byte (white space such as U+3000 is multi-byte; such text is stripped).
_MAYBE_BLANK: Final = np.zeros(256, dtype=bool)
_MAYBE_BLANK[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
_MAYBE_BLANK[0x80:] = True


def _is_tidy(text: pd.Series) -> bool:
    """True when every cell is ASCII-bounded, non-blank and has no white space at its ends.

    Looks only at each string's first and last byte in Arrow's buffers: far
    cheaper than stripping millions of ids that are already clean. Text that
    starts or ends with a non-ASCII character is simply stripped.
    """
    try:
        import pyarrow as pa

        chunks = pa.chunked_array(text.array.__arrow_array__()).chunks
    except (AttributeError, TypeError, ValueError):
        return False
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return False
        offset_type = "int64" if pa.types.is_large_string(chunk.type) else "int32"
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ].astype(np.int64)
        valid = ~np.asarray(chunk.is_null(), dtype=bool)
        starts, ends = offsets[:-1][valid], offsets[1:][valid]
        if np.any(ends <= starts):
            return False
        if data_buffer is None:
            continue
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        if _MAYBE_BLANK[data[starts]].any() or _MAYBE_BLANK[data[ends - 1]].any():
            return False
    return True


def _fail(raw: pd.Series, failed: pd.Series, reason: str) -> pd.Series:
    """Reasons for the failed cells, each with its raw value quoted into ``reason``."""
    shown = raw[failed].astype("str")
    return pd.Series([reason.format(value=v) for v in shown], index=shown.index, dtype="str")


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
    return ParsedColumn(restore_formulas(_as_text(raw)))


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


def parse_date(
    raw: pd.Series,
    *,
    dayfirst: bool | None = None,
    timezone: str | None = None,
    open_ended: bool = False,
    label: str = "date",
) -> ParsedColumn:
    """Read dates and datetimes into naive ``datetime64[ns]``.

    Parameters
    ----------
    raw
        The raw column: text, Excel serial numbers, or datetimes.
    dayfirst
        For year-last dates (``01/07/2026``): ``True`` day first, ``False``
        month first, ``None`` decide per column from values that can only be
        read one way, and reject the values that stay ambiguous.
    timezone
        Convert datetimes that carry an offset to this zone; without it they
        keep the wall-clock time they were written with.
    open_ended
        The column is an end date, where a date past the range datetime64[ns]
        can hold (``9999-12-31``, ``3000-01-01``) is the usual way to write
        "no end": such dates are read as missing, with a note. Elsewhere, and
        for dates before the range, they fail as out of range.
    label
        The column's name, used in reasons.

    Examples
    --------
    >>> raw = pd.Series(
    ...     ["2026-07-01", "2026/7/1", "2026年7月1日", "20260701", "46204", "2026-02-30"]
    ... )
    >>> parsed = parse_date(raw, label="order_date")
    >>> parsed.values.dt.strftime("%Y-%m-%d").tolist()
    ['2026-07-01', '2026-07-01', '2026-07-01', '2026-07-01', '2026-07-01', nan]
    >>> parsed.failures.tolist()
    ["cannot read '2026-02-30' as a date; write dates like 2026-07-01, 2026/7/1 or 2026年7月1日"]

    A "no end" date is missing in an end-date column and out of range elsewhere:

    >>> parse_date(pd.Series(["9999-12-31"]), open_ended=True, label="end_date").notes
    ("end_date: 1 date after 2262-04-10 (such as '9999-12-31') read as missing: no end date",)
    >>> print(parse_date(pd.Series(["9999-12-31"]), label="order_date").failures[0])
    order_date '9999-12-31' is out of range: dates run from 1677-09-22 to 2262-04-10; check the year
    """
    if raw.dtype.kind == "M":
        return _typed_dates(raw, timezone=timezone, open_ended=open_ended, label=label)
    text = _as_text(raw) if raw.dtype.kind not in "iuf" else _numeric_date_text(raw)
    values = _iso_dates(text)
    rest = text.notna() & values.isna()
    if not rest.any():
        return ParsedColumn(values)
    uniques = pd.Series(text[rest].unique(), dtype="str")
    parsed, ambiguous, beyond = _read_dates(uniques, dayfirst=dayfirst, timezone=timezone)
    values[rest] = text[rest].map(dict(zip(uniques, parsed, strict=True))).astype("datetime64[ns]")
    still = rest & values.isna()
    side = text[still].map(dict(zip(uniques, beyond, strict=True))).astype("int8")
    failures, notes = _out_of_range(raw[still], side, open_ended=open_ended, label=label)
    unread = side.index[side.to_numpy() == 0]
    ambiguous_values = set(uniques[ambiguous])
    unclear = "{!r} could be day/month or month/day; set ValidationRules(dayfirst=True or False)"
    invalid = f"cannot read {{!r}} as a date; write dates like {DATE_EXAMPLES}"
    unread_reasons = pd.Series(
        [
            (unclear if t in ambiguous_values else invalid).format(v)
            for t, v in zip(text[unread], raw[unread].astype("str"), strict=True)
        ],
        index=unread,
        dtype="str",
    )
    return ParsedColumn(values, pd.concat([unread_reasons, failures]).sort_index(), notes)


def _typed_dates(
    raw: pd.Series, *, timezone: str | None, open_ended: bool, label: str
) -> ParsedColumn:
    """Datetimes already typed (Parquet, frames), in any unit, as naive ``datetime64[ns]``."""
    notes: tuple[str, ...] = ()
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        zone = str(raw.dtype.tz)
        converted = raw.dt.tz_convert(timezone) if timezone else raw
        if not timezone:
            notes = (f"{label} carried time zone {zone}; kept its wall-clock time",)
        wall = converted.dt.tz_localize(None)
    else:
        wall = raw
    side = pd.Series(
        np.where(wall < EARLIEST_DATE, -1, np.where(wall >= END_OF_DATES, 1, 0)),
        index=raw.index,
        dtype="int8",
    )
    outside = side != 0
    if not outside.any():
        return ParsedColumn(wall.astype("datetime64[ns]"), notes=notes)
    failures, range_notes = _out_of_range(
        wall[outside], side[outside], open_ended=open_ended, label=label
    )
    return ParsedColumn(wall.mask(outside).astype("datetime64[ns]"), failures, notes + range_notes)


def _out_of_range(
    raw: pd.Series, side: pd.Series, *, open_ended: bool, label: str
) -> tuple[pd.Series, tuple[str, ...]]:
    """Reasons for dates before (side -1) or past (side 1) the range, and the notes.

    In an open-ended column the dates past the range mean "no end": they are
    noted, not failed.
    """
    noted = (side == 1) if open_ended else pd.Series(False, index=side.index)
    failed = (side != 0) & ~noted
    latest = END_OF_DATES - pd.Timedelta(days=1)
    reason = (
        f"{label} {{value!r}} is out of range: dates run from {EARLIEST_DATE:%Y-%m-%d} "
        f"to {latest:%Y-%m-%d}; check the year"
    )
    notes: tuple[str, ...] = ()
    if noted.any():
        count, example = int(noted.sum()), _shown(raw[noted]).iloc[0]
        dates = "date" if count == 1 else "dates"
        notes = (
            f"{label}: {count} {dates} after {latest:%Y-%m-%d} (such as {example!r}) "
            "read as missing: no end date",
        )
    return _fail(_shown(raw), failed, reason), notes


def _shown(raw: pd.Series) -> pd.Series:
    """Cells as text for messages; datetimes without a midnight time of day."""
    if raw.dtype.kind == "M":
        return raw.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
    return raw.astype("str")


def _iso_dates(text: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` cells as datetimes, anything else missing (for the forgiving reader).

    pyarrow's strptime, not pandas': on a column of datetimes with a time of day
    pandas spends a second per million cells failing this format, arrow 30 ms.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(text)
    parsed = pc.strptime(cells, format="%Y-%m-%d", unit="ns", error_is_null=True)
    # strptime rolls impossible days over (2026-02-30 -> 03-02): keep the dates whose
    # day is the one written, in the ten-character form (others go to the forgiving reader)
    tidy = pc.and_(parsed.is_valid(), pc.equal(pc.utf8_length(cells), 10))
    written_day = pc.cast(pc.if_else(tidy, pc.utf8_slice_codeunits(cells, 8, 10), "0"), pa.int64())
    exact = pc.and_(tidy, pc.equal(pc.day(parsed), written_day))
    parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
    values = parsed.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    return pd.Series(values, index=text.index)


def _numeric_date_text(raw: pd.Series) -> pd.Series:
    """Numbers in a date column as text, so serials and yyyymmdd go through one reader."""
    values = raw.astype("float64")
    whole = values == values.round()
    text = values.map(lambda v: f"{v:.0f}" if np.isfinite(v) else None)
    text = text.where(whole, values.astype("str"))
    return text.astype("str").mask(values.isna())


def _read_dates(
    uniques: pd.Series, *, dayfirst: bool | None, timezone: str | None
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The forgiving date reader, on distinct values.

    Returns the datetimes, the ambiguous mask, and for each value -1 or 1 when it
    is a date before or past the range datetime64[ns] holds (else 0).
    """
    normal = (
        uniques.str.normalize("NFKC")
        .str.strip()
        .str.lower()
        .str.replace(r"(\d)\s*[年月]\s*(?=\d)", r"\1-", regex=True)
        .str.replace(r"(\d)\s*[日号]", r"\1", regex=True)
        .str.replace(r"^(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})", r"\1-\2-\3", regex=True)
        .str.replace(r"(\d)t(?=\d)", r"\1 ", regex=True)
    )
    first = normal.str.extract(_YEAR_FIRST)
    compact = normal.str.extract(_COMPACT)
    first = first.fillna(compact)
    last = normal.str.extract(_YEAR_LAST)
    swap, ambiguous = _day_month_order(last, dayfirst)
    last_day = last["first"].where(swap, last["second_part"])
    last_month = last["second_part"].where(swap, last["first"])
    parts = first.copy()
    use_last = first["year"].isna() & last["year"].notna() & ~ambiguous
    for column, source in (("year", last["year"]), ("month", last_month), ("day", last_day)):
        parts[column] = parts[column].where(~use_last, source)
    for column in ("hour", "minute", "second", "fraction", "offset"):
        parts[column] = parts[column].where(~use_last, last[column])
    stamps, beyond = _assemble(parts, timezone=timezone)
    serial = normal.str.match(_SERIAL) & stamps.isna()
    if serial.any():
        days = pd.to_numeric(normal[serial])
        stamps[serial] = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s")
    return stamps, ambiguous.to_numpy(), beyond


def _day_month_order(last: pd.DataFrame, dayfirst: bool | None) -> tuple[pd.Series, pd.Series]:
    """For year-last dates: which are day-first, and which stay ambiguous."""
    a = pd.to_numeric(last["first"]).to_numpy(dtype="float64")
    b = pd.to_numeric(last["second_part"]).to_numpy(dtype="float64")
    forced_dayfirst = a > 12
    forced_monthfirst = b > 12
    if dayfirst is None:
        if forced_dayfirst.any() and not forced_monthfirst.any():
            dayfirst = True
        elif forced_monthfirst.any() and not forced_dayfirst.any():
            dayfirst = False
    undecided = ~forced_dayfirst & ~forced_monthfirst & (a != b) & ~np.isnan(a)
    if dayfirst is None:
        swap = forced_dayfirst
        ambiguous = undecided
    else:
        swap = forced_dayfirst | (undecided & dayfirst)
        ambiguous = np.zeros(len(a), dtype=bool)
    return pd.Series(swap, index=last.index), pd.Series(ambiguous, index=last.index)


def _assemble(parts: pd.DataFrame, *, timezone: str | None) -> tuple[pd.Series, np.ndarray]:
    """Datetimes from extracted parts; impossible dates (Feb 30) become NaT.

    Dates outside the range datetime64[ns] holds become NaT too; the second
    value marks them -1 (before it) or 1 (past it).
    """
    numbers = pd.DataFrame(
        {
            unit: pd.to_numeric(parts[unit]).fillna(
                0 if unit in ("hour", "minute", "second") else np.nan
            )
            for unit in ("year", "month", "day", "hour", "minute", "second")
        }
    )
    # pandas picks a coarser unit for these; compared there, before the cast to ns
    wide = pd.to_datetime(numbers, errors="coerce")
    beyond = np.where(wide < EARLIEST_DATE, -1, np.where(wide >= END_OF_DATES, 1, 0))
    stamps = wide.mask(beyond != 0).astype("datetime64[ns]")
    fraction = parts["fraction"].fillna("").str.ljust(9, "0").replace("000000000", "0")
    stamps = stamps + pd.to_timedelta(pd.to_numeric(fraction.where(fraction != "", "0")), unit="ns")
    offset = parts["offset"]
    if timezone is not None and offset.notna().any():
        minutes = offset.map(_offset_minutes)
        utc = stamps - pd.to_timedelta(minutes, unit="min")
        local = utc.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
        stamps = stamps.where(offset.isna(), local.astype("datetime64[ns]"))
    return stamps, beyond.astype("int8")


def _offset_minutes(offset: object) -> float:
    """``+08:00`` -> 480; ``z`` -> 0; missing -> NaN."""
    if not isinstance(offset, str):
        return np.nan
    if offset == "z":
        return 0.0
    digits = offset[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    return float(-minutes if offset[0] == "-" else minutes)
