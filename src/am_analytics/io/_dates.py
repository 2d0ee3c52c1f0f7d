"""Reading raw date cells: text in many forms, Excel serials and typed datetimes."""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from ._cells import ParsedColumn, _as_text, _fail

DATE_EXAMPLES: Final = "2026-07-01, 2026/7/1 or 2026年7月1日"

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
    # compared in the column's own unit (numpy would cast a wider one to ns and overflow);
    # missing values (NaT) compare False, so they stay within
    values = wall.to_numpy()
    early = values < EARLIEST_DATE.to_datetime64().astype(values.dtype)
    late = values >= END_OF_DATES.to_datetime64().astype(values.dtype)
    if not (early.any() or late.any()):
        # already nanoseconds (Parquet's usual unit): kept as they are, not copied
        same = wall.dtype == "datetime64[ns]"
        return ParsedColumn(wall if same else wall.astype("datetime64[ns]"), notes=notes)
    side = pd.Series(np.where(early, -1, np.where(late, 1, 0)), index=raw.index, dtype="int8")
    outside = side != 0
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
