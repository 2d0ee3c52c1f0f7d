"""Order statistics of a million scores: rank interpolation, ranks and percentiles.

A binary search over a sorted array is several times faster when the values
looked up arrive in ascending order (each search starts near the last one).
Sorting with ``argsort`` to get there costs more than the searches save, so
:func:`ascending_order` sorts packed keys instead: the leading bits of each
value with the row number in the trailing bits, one ``uint64`` sort, which
numpy does with SIMD several times faster than an ``argsort``. The order is
ascending up to values that agree in their leading bits (a relative
difference below about ``2**-28`` at ten million rows); every function here
gives exact results whatever the order, the order only makes them fast.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "ascending_order",
    "interpolate_ranks",
    "population_percentiles",
    "rank_and_percentile",
    "standing",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Up to this many values, a lookup in row order beats sorting them first.
SORTED_LOOKUP_ROWS: Final = 4096
#: Up to this many grid points (a criterion of few distinct values, such as a
#: count), a binary search in row order is as fast as sorting the values first.
SORTED_LOOKUP_GRID: Final = 32

_SIGN_BIT: Final = np.uint64(1 << 63)


def ascending_order(values: FloatArray) -> IntArray:
    """Row positions that put ``values`` in ascending order, nearly.

    Values whose leading ``64 - bits(len(values))`` bits agree keep their row
    order among themselves; all other pairs come out in ascending order. NaN
    comes first or last (by its sign bit).

    Examples
    --------
    >>> import numpy as np
    >>> ascending_order(np.array([3.0, -1.0, 2.5, -0.0, 0.0, 2.5])).tolist()
    [1, 3, 4, 2, 5, 0]
    """
    n_rows = len(values)
    index_bits = np.uint64(max(1, (n_rows - 1).bit_length()))
    keys = np.empty(n_rows, dtype=np.uint64)
    # packed block by block: the temporaries stay one block long (past a few
    # million rows each row-length one is fresh memory from the kernel)
    for start in range(0, n_rows, KEY_BLOCK_ROWS):
        block = keys[start : start + KEY_BLOCK_ROWS]
        block[...] = _sortable_keys(values[start : start + KEY_BLOCK_ROWS])
        block >>= index_bits
        block <<= index_bits
        block |= np.arange(start, start + len(block), dtype=np.uint64)
    keys.sort()
    keys &= (np.uint64(1) << index_bits) - np.uint64(1)
    return keys.view(np.int64)


#: Rows packed into sort keys together (temporaries of this length only).
KEY_BLOCK_ROWS: Final = 1 << 16


def _sortable_keys(values: FloatArray) -> npt.NDArray[np.uint64]:
    """Unsigned integers in the order of ``values`` (-0.0 and 0.0 alike; NaN at an end)."""
    bits = (values + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0: equal values, equal keys
    # IEEE floats sort as integers once negative ones have all bits flipped and
    # positive ones their sign bit set
    flips = (bits.view(np.int64) >> 63).view(np.uint64)
    flips |= _SIGN_BIT  # in place: one row-length temporary, not two
    bits ^= flips
    return bits


def interpolate_ranks(x: FloatArray, grid: FloatArray, percentiles: FloatArray) -> FloatArray:
    """``np.interp`` on a rank grid: 0 below it, 1 above it, NaN for NaN.

    An empty grid (no manager of the population had a value) places nobody: NaN.
    Past :data:`SORTED_LOOKUP_ROWS` values, a grid of whole numbers (counts) is
    read as a table of every number in its range, and past
    :data:`SORTED_LOOKUP_GRID` grid points the other values are looked up in
    ascending order (the same numbers, found faster).

    Examples
    --------
    >>> import numpy as np
    >>> grid, percentiles = np.array([1.0, 2.0, 4.0]), np.array([1 / 6, 1 / 2, 5 / 6])
    >>> interpolate_ranks(np.array([0.0, 1.5, 3.0, np.nan, 9.0]), grid, percentiles).round(4)
    array([0.    , 0.3333, 0.6667,    nan, 1.    ])
    """
    if not len(grid):
        return np.full_like(x, np.nan)
    if len(x) <= SORTED_LOOKUP_ROWS or len(grid) == 1:
        interpolated = np.interp(x, grid, percentiles, 0.0, 1.0)
        # on a one-point grid (a constant criterion) numpy gives NaN that point's value
        return np.where(np.isnan(x), np.nan, interpolated) if len(grid) == 1 else interpolated
    # a count's table is read four times faster than np.interp searches even a short grid
    if _whole_numbers(grid):
        return _interpolate_whole_numbers(x, grid, percentiles)
    if len(grid) <= SORTED_LOOKUP_GRID:
        return np.interp(x, grid, percentiles, 0.0, 1.0)
    # NaN sorts to a block's end and np.interp passes it through: no need to set it aside
    return _interpolate_in_order(x, grid, percentiles)


#: Widest range of a grid of whole numbers looked up in a table of every number in it.
WHOLE_NUMBER_SPAN: Final = 1 << 16


def _whole_numbers(grid: FloatArray) -> bool:
    """Whether the grid holds whole numbers only, spanning at most :data:`WHOLE_NUMBER_SPAN`
    (and small enough that every whole number between them is a float)."""
    return bool(
        grid[0] >= -_EXACT_WHOLE
        and grid[-1] <= _EXACT_WHOLE
        and grid[-1] - grid[0] <= WHOLE_NUMBER_SPAN
        and (grid == np.floor(grid)).all()
    )


#: Past this, not every whole number is a float (2**53).
_EXACT_WHOLE: Final = float(2**53)


def _interpolate_whole_numbers(
    x: FloatArray, grid: FloatArray, percentiles: FloatArray
) -> FloatArray:
    """``np.interp`` for a grid of whole numbers (counts): a table of every number in its
    range, read at each whole value inside it; other values are looked up in order."""
    low = grid[0]
    table = np.interp(np.arange(low, grid[-1] + 1), grid, percentiles, 0.0, 1.0)
    out = np.empty_like(x)
    inside = np.empty(len(x), dtype=bool)
    # block by block: the temporaries stay one block long (past a few million rows
    # each row-length one is fresh memory from the kernel)
    for start in range(0, len(x), KEY_BLOCK_ROWS):
        rows = slice(start, start + KEY_BLOCK_ROWS)
        _read_table(x[rows], low, table, out=out[rows], inside=inside[rows])
    if not inside.all():
        rest = np.flatnonzero(~inside)
        out[rest] = _interpolate_in_order(x[rest], grid, percentiles)
    return out


def _read_table(
    x: FloatArray,
    low: float,
    table: FloatArray,
    *,
    out: FloatArray,
    inside: npt.NDArray[np.bool_],
) -> None:
    """Write ``table[x - low]`` into ``out`` where that is a whole position in the table,
    and where it is into ``inside``; the other rows of ``out`` get the first entry."""
    offset = x - low  # NaN, fractions and values outside the range are not in the table
    np.floor(offset, out=out)  # ``out`` holds the whole parts until the table is read
    np.equal(out, offset, out=inside)
    inside &= offset >= 0
    inside &= offset < len(table)
    position = offset.view(np.intp)  # cast into the memory of ``offset``, not needed after
    position[...] = 0
    np.copyto(position, out, casting="unsafe", where=inside)
    np.take(table, position, out=out, mode="clip")  # "clip": no buffer; all are in range


#: Rows sorted together before their lookup: the gather and scatter of a
#: block this size stay in the processor's cache, a third faster than one sort of all.
LOOKUP_BLOCK_ROWS: Final = 1 << 15


def _interpolate_in_order(
    values: FloatArray, grid: FloatArray, percentiles: FloatArray
) -> FloatArray:
    """``np.interp`` of ``values``, looked up in ascending order block by block."""
    out = np.empty_like(values)
    for start in range(0, len(values), LOOKUP_BLOCK_ROWS):
        block = values[start : start + LOOKUP_BLOCK_ROWS]
        order = ascending_order(block)
        out[start : start + LOOKUP_BLOCK_ROWS][order] = np.interp(
            block[order], grid, percentiles, 0.0, 1.0
        )
    return out


def rank_and_percentile(points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Rank (1 = best, ties share the best) and percentile (% scoring at most as much).

    Unscored rows (NaN) get neither.

    Examples
    --------
    >>> import numpy as np
    >>> rank, percentile = rank_and_percentile(np.array([50.0, np.nan, 80.0, 50.0]))
    >>> rank.tolist(), percentile.round(2).tolist()
    ([2.0, nan, 1.0, 2.0], [66.67, nan, 100.0, 66.67])
    """
    rank, percentile, _ = standing(points, None, tolerance=0.0)
    return rank, percentile


def population_percentiles(
    points: FloatArray, population: FloatArray | None, *, tolerance: float
) -> FloatArray:
    """% of the (sorted) ``population`` scoring at most each of ``points`` (+ ``tolerance``).

    NaN where a point is NaN or there is no population.

    Examples
    --------
    >>> import numpy as np
    >>> population = np.array([0.0, 50.0, 100.0])
    >>> population_percentiles(np.array([50.0, np.nan, 75.0]), population, tolerance=1e-9)
    array([66.66666667,         nan, 66.66666667])
    """
    return standing(points, population, tolerance=tolerance)[2]


def standing(
    points: FloatArray, population: FloatArray | None, *, tolerance: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each point's rank and percentile among ``points``, and its population percentile.

    See :func:`rank_and_percentile` and :func:`population_percentiles`: one
    sort of the points serves all three.
    """
    n_rows = len(points)
    unscored = np.isnan(points)
    if unscored.any():
        scored = np.flatnonzero(~unscored)
        scored = scored[ascending_order(points[scored])]
    else:  # every row scored (the usual case): no positions to gather first
        scored = ascending_order(points)
    # the scored rows, by ascending points (nearly); the arrays below are this
    # function's own and worked on in place, each new one being fresh memory
    nearly_sorted = points[scored]
    n_scored = len(scored)
    at_most = _count_at_most(nearly_sorted)
    # whole numbers below 2**53: the same in floats as in integers
    in_order = np.subtract(n_scored + 1, at_most, dtype=np.float64)
    rank = _at_rows(scored, in_order, n_rows)
    at_most *= 100
    percentile = _at_rows(scored, np.divide(at_most, max(n_scored, 1), out=in_order), n_rows)
    if population is None or not len(population):
        return rank, percentile, np.full(n_rows, np.nan)
    # looked up in ascending order: a search that moves forward through the
    # population's memory, three times faster than random probes at a million rows
    nearly_sorted += tolerance
    found = np.searchsorted(population, nearly_sorted, side="right")
    found *= 100
    in_population = np.divide(found, len(population), out=in_order)
    return rank, percentile, _at_rows(scored, in_population, n_rows)


def _at_rows(rows: IntArray, values: npt.NDArray[np.number], n_rows: int) -> FloatArray:
    """``values`` placed at ``rows`` of a new float array, NaN at the other rows."""
    out = np.empty(n_rows) if len(rows) == n_rows else np.full(n_rows, np.nan)
    out[rows] = values
    return out


def _count_at_most(nearly_sorted: FloatArray) -> IntArray:
    """For each value, how many of the values are at most as large.

    The values come nearly in ascending order (:func:`ascending_order`): where
    one sits where the sorted values hold an equal one, the count is the end
    of that run of equal values; the few others are searched for.
    """
    if not len(nearly_sorted):
        return np.zeros(0, dtype=np.intp)
    exact = np.sort(nearly_sorted)
    run_ends = np.flatnonzero(np.r_[exact[1:] != exact[:-1], True])
    run_ends += 1
    # all values distinct (scores of continuous criteria): each is its own run's end
    counts = (
        run_ends
        if len(run_ends) == len(exact)
        else np.repeat(run_ends, np.diff(run_ends, prepend=0))
    )
    misplaced = np.flatnonzero(nearly_sorted != exact)
    if len(misplaced):
        counts[misplaced] = np.searchsorted(exact, nearly_sorted[misplaced], side="right")
    return counts
