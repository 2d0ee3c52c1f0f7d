"""Helpers shared by the simulation stages: random draws, ids, columns and frames."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._world import BoolArray, Codes, IntArray, _Span

_DAY_NS: Final = 86_400 * 10**9
_MINUTE_NS: Final = 60 * 10**9

# ---------------------------------------------------------------------------
# Random draws
# ---------------------------------------------------------------------------


def _uniform_days(rng: np.random.Generator, low: IntArray, high: IntArray) -> IntArray:
    """A uniform day in ``[low, high)`` per element (``low`` where the range is empty)."""
    width = np.maximum(high - low, 1)
    return low + np.floor(rng.random(low.size) * width).astype(np.int64)


def _pick_within(rng: np.random.Generator, first: IntArray, count: IntArray) -> IntArray:
    """A uniform position in ``[first, first + count)`` per element (count >= 1)."""
    return first + np.minimum(np.floor(rng.random(first.size) * count), count - 1).astype(np.int64)


def _choice(rng: np.random.Generator, shares: Sequence[float], size: int) -> IntArray:
    """Indices drawn with the given (normalised) shares."""
    weights = np.asarray(shares, dtype=np.float64)
    cumulative = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cumulative, rng.random(size), side="right"), len(shares) - 1)


def _group_starts(keys: IntArray, n_groups: int) -> tuple[IntArray, IntArray, IntArray]:
    """Order of ``keys`` grouped by value, with each group's first position and size."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n_groups).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return order, first, counts


# ---------------------------------------------------------------------------
# Ids, columns and frames
# ---------------------------------------------------------------------------


def _id_width(count: int, minimum: int) -> int:
    """Digits of zero-padded ids so that ``count`` ids sort as strings."""
    return max(minimum, len(str(max(count, 1))))


def _fixed_width_ids(prefix: str, numbers: Codes, width: int) -> Any:
    """Arrow strings ``prefix`` + zero-padded ``numbers``, built digit by digit in numpy."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = head.size + width
    chars = np.empty((numbers.size, size), dtype=np.uint8)
    chars[:, : head.size] = head
    rest: npt.NDArray[np.unsignedinteger[Any]] = numbers.astype(
        np.uint32 if width <= 9 else np.uint64
    )
    for place in range(size - 1, head.size - 1, -1):  # a loop over digit places, not rows
        quotient = rest // 10
        chars[:, place] = rest - quotient * 10 + ord("0")
        rest = quotient
    offsets = np.arange(0, (numbers.size + 1) * size, size, dtype=np.int64)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))]
    return pa.Array.from_buffers(pa.large_string(), int(numbers.size), buffers)


def _sequential_ids(prefix: str, count: int, minimum_width: int) -> Any:
    """Ids ``prefix`` + 1..count, zero-padded so they sort as strings."""
    numbers = np.arange(1, count + 1, dtype=np.int64)
    return _fixed_width_ids(prefix, numbers, _id_width(count, minimum_width))


def _vocabulary(values: Any) -> Any:
    """``values`` (an Arrow array or a sequence of str) as an Arrow string array."""
    if isinstance(values, pa.Array):
        return values
    return pa.array(list(values), type=pa.large_string())


def _strings(values: Any, index: Codes, *, missing: BoolArray | None = None) -> pd.Series:
    """A ``str`` column of ``values[index]`` (NaN where ``missing``)."""
    taken = _vocabulary(values).take(pa.array(index, mask=missing))
    return pd.Series(taken, dtype="str")


def _joined(*parts: tuple[Any, Codes]) -> Any:
    """Arrow strings made by concatenating ``vocabulary[codes]`` of each part."""
    taken = [_vocabulary(values).take(pa.array(codes)) for values, codes in parts]
    return pc.binary_join_element_wise(*taken, pa.scalar("", type=pa.large_string()))


def _dates(span: _Span, days: Codes, *, missing: BoolArray | None = None) -> pd.Series:
    """Midnight ``datetime64[ns]`` values of day indices (NaT where ``missing``)."""
    values = days.astype(np.int64) * _DAY_NS + span.start.value
    stamps = values.astype("datetime64[ns]")
    if missing is not None:
        stamps[missing] = np.datetime64("NaT")
    return pd.Series(stamps)


def _minutes(span: _Span, minutes: Codes, *, missing: BoolArray | None = None) -> pd.Series:
    """``datetime64[ns]`` values of minutes counted from ``start`` (NaT where ``missing``)."""
    stamps = (minutes.astype(np.int64) * _MINUTE_NS + span.start.value).astype("datetime64[ns]")
    if missing is not None:
        stamps[missing] = np.datetime64("NaT")
    return pd.Series(stamps)


def _frame(columns: dict[str, pd.Series | npt.NDArray[Any]]) -> pd.DataFrame:
    """A frame from equally long columns, with a fresh RangeIndex."""
    return pd.DataFrame(
        {
            name: value.reset_index(drop=True) if isinstance(value, pd.Series) else value
            for name, value in columns.items()
        }
    )
