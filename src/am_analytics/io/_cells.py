"""Raw cells as stripped text, and the :class:`ParsedColumn` every cell reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

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
