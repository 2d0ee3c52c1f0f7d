"""Raw cells as stripped text, and the :class:`ParsedColumn` every cell reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd


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
    return _text_cells(raw)[0]


def _text_cells(raw: pd.Series) -> tuple[pd.Series, bool]:
    """Raw cells as stripped strings (blank cells missing), and whether any may start with ``'``.

    Arrow-backed text is inspected at the ends of each string first (:func:`_edges`):
    only the cells that may have white space at an end, or be blank, are stripped.
    """
    if raw.dtype.kind == "f":
        values = raw.to_numpy()
        finite = np.isfinite(values)
        if finite.any() and np.all(values[finite] == np.round(values[finite])):
            # Integer ids that picked up a float dtype (a NaN elsewhere) print without ".0".
            out = pd.Series(pd.NA, index=raw.index, dtype="str")
            out[finite] = values[finite].astype(np.int64).astype(str)
            return out, False
    if isinstance(raw.dtype, pd.CategoricalDtype):
        categories, any_quoted = _text_cells(pd.Series(raw.cat.categories))
        return _for_every_row(categories, raw), any_quoted
    if not isinstance(raw.dtype, pd.StringDtype):
        mask = raw.isna()
        raw = raw.astype("str").mask(mask)
    edges = _edges(raw)
    if edges is None:
        text = raw.str.strip()
        return text.mask(text == ""), True
    untidy, quoted = edges
    if not untidy.any():
        return raw, bool(quoted.any())
    rows = np.flatnonzero(untidy)
    stripped = raw.iloc[rows].str.strip()
    text = raw.copy()
    text.iloc[rows] = stripped.mask(stripped == "")
    return text, True


def _for_every_row(read: pd.Series, raw: pd.Series) -> pd.Series:
    """Text read from a categorical's distinct values, taken for each of its rows (Arrow's
    take; missing where the row is)."""
    taken = read.astype("str").array.take(raw.cat.codes.to_numpy(), allow_fill=True)
    return pd.Series(taken, index=raw.index, dtype="str")


# UTF-8 bytes that may begin a white-space character: the ASCII ones, and the lead
# bytes of U+0085/U+00A0 (C2), U+1680 (E1), U+2000..U+205F (E2) and U+3000 (E3), the
# white space that ``str.strip`` removes (tested over every code point).
_BLANK_LEAD: Final = np.zeros(256, dtype=bool)
_BLANK_LEAD[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
_BLANK_LEAD[[0xC2, 0xE1, 0xE2, 0xE3]] = True
_ASCII_BLANK: Final = _BLANK_LEAD & (np.arange(256) < 0x80)
_WIDE_BLANK_LEAD: Final = np.zeros(256, dtype=bool)
_WIDE_BLANK_LEAD[[0xE1, 0xE2, 0xE3]] = True
# The last bytes of the white space above U+007F: only a cell that ends in one of them
# can end in such white space, so most Chinese cells need no look at their lead byte.
_WIDE_BLANKS: Final = "\x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)
_WIDE_BLANK_LAST: Final = np.zeros(256, dtype=bool)
_WIDE_BLANK_LAST[[blank.encode()[-1] for blank in _WIDE_BLANKS]] = True
_QUOTE: Final = 0x27


def _edges(text: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Per cell: may it be blank or have white space at an end; does it start with ``'``.

    Reads only the first byte and the lead byte of the last character of each
    string in Arrow's buffers: far cheaper than stripping millions of ids or
    names that are already clean, Chinese text included. A cell is flagged when
    its first or last character may be white space (a superset: ``、`` shares
    U+3000's lead byte), so stripping the flagged cells strips every cell that
    needs it. Missing cells are never flagged. None when the column is not
    Arrow-backed text.
    """
    try:
        import pyarrow as pa

        chunks = pa.chunked_array(text.array.__arrow_array__()).chunks
    except (AttributeError, TypeError, ValueError):
        return None
    untidy_parts, quoted_parts = [np.zeros(0, dtype=bool)], [np.zeros(0, dtype=bool)]
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return None
        untidy, quoted = _chunk_edges(chunk, large=pa.types.is_large_string(chunk.type))
        untidy_parts.append(untidy)
        quoted_parts.append(quoted)
    return np.concatenate(untidy_parts), np.concatenate(quoted_parts)


def _chunk_edges(chunk: Any, *, large: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_edges` of one Arrow string chunk (``large``: 64-bit offsets)."""
    offset_type = "int64" if large else "int32"
    _, offsets_buffer, data_buffer = chunk.buffers()
    if offsets_buffer is None or len(chunk) == 0:
        return np.zeros(len(chunk), dtype=bool), np.zeros(len(chunk), dtype=bool)
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    starts, ends = offsets[:-1], offsets[1:]
    empty = ends <= starts
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
    if data is None or data.size == 0:
        untidy, quoted = empty, np.zeros(len(chunk), dtype=bool)
    else:
        # take(mode="clip"): the index of an empty cell at an end of the buffer stays in it
        first = data.take(starts, mode="clip")
        last = data.take(ends - 1, mode="clip")
        untidy = empty | _BLANK_LEAD[first] | _ASCII_BLANK[last]
        quoted = (first == _QUOTE) & ~empty
        wide = np.flatnonzero(_WIDE_BLANK_LAST[last])
        if wide.size:
            # the last character's lead byte, one or two bytes before: white space
            # is two (C2 ..) or three (E1/E2/E3 .. ..) bytes long
            tail = ends[wide]
            before = data.take(tail - 2, mode="clip")
            third = data.take(tail - 3, mode="clip")
            untidy[wide] |= (before == 0xC2) | ((before < 0xC0) & _WIDE_BLANK_LEAD[third])
    if chunk.null_count:
        valid = np.asarray(chunk.is_valid(), dtype=bool)
        untidy, quoted = untidy & valid, quoted & valid
    return untidy, quoted


def _fail(raw: pd.Series, failed: pd.Series, reason: str) -> pd.Series:
    """Reasons for the failed cells, each with its raw value quoted into ``reason``."""
    shown = raw[failed].astype("str")
    return pd.Series([reason.format(value=v) for v in shown], index=shown.index, dtype="str")
