"""Vectorised aggregation kernels: a normalised matrix and weights in, one score per row out.

Every kernel takes

``norm``
    a float array of shape ``(n_rows, n_criteria)``, values in [0, 1] where
    higher is better, NaN for a missing value;
``weights``
    either one weight vector of shape ``(n_criteria,)`` summing to 1, giving
    scores of shape ``(n_rows,)``, or a stack of ``n_draws`` vectors of shape
    ``(n_draws, n_criteria)`` (Monte Carlo sensitivity analysis), giving scores
    of shape ``(n_draws, n_rows)``. The stack is handled by matrix products,
    with no Python loop over draws or rows.

Missing values are handled by row-wise reweighting: the weights of a row's
missing criteria are dropped and the rest renormalised for that row. A row
with no criterion of positive weight present scores NaN.

The inputs are trusted (the scorecard validates them); only shapes are checked.
:func:`topsis_rank` is the classic TOPSIS on raw data, kept beside the kernel
it shares its distance computation with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError

__all__ = ["aggregate_columns", "geometric", "topsis", "topsis_rank", "weighted_sum"]

FloatArray = npt.NDArray[np.float64]


def weighted_sum(norm: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted arithmetic mean of each row's present criteria, in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> norm = np.array([[1.0, 0.0], [0.5, np.nan], [np.nan, np.nan]])
    >>> weighted_sum(norm, np.array([0.75, 0.25]))
    array([0.75, 0.5 , nan])
    >>> weighted_sum(norm, np.array([[0.75, 0.25], [0.5, 0.5]]))
    array([[0.75, 0.5 ,  nan],
           [0.5 , 0.5 ,  nan]])
    """
    stack, single = _weight_stack(norm, weights)
    present = ~np.isnan(norm)
    total = stack @ np.where(present, norm, 0.0).T
    scores = _per_present_weight(total, stack, present)
    return _shaped(np.clip(scores, 0.0, 1.0), single)


def geometric(norm: FloatArray, weights: FloatArray, *, floor: float = 0.01) -> FloatArray:
    """Weighted geometric mean ``prod max(x, floor) ** w`` of each row's present criteria.

    The floor keeps one zero from zeroing the whole score: without it a manager
    at the bottom on a single criterion would score 0 whatever the rest, and
    the weights would mean nothing. Scores lie in [floor, 1].

    Examples
    --------
    >>> import numpy as np
    >>> norm = np.array([[1.0, 0.25], [0.0, 1.0], [0.5, np.nan]])
    >>> geometric(norm, np.array([0.5, 0.5]))
    array([0.5, 0.1, 0.5])
    """
    stack, single = _weight_stack(norm, weights)
    present = ~np.isnan(norm)
    logs = np.log(np.maximum(np.where(present, norm, 1.0), floor))
    total = stack @ logs.T
    return _shaped(np.exp(_per_present_weight(total, stack, present)), single)


def topsis(
    norm: FloatArray,
    weights: FloatArray,
    *,
    ideal: FloatArray,
    anti_ideal: FloatArray,
) -> FloatArray:
    """Closeness ``d- / (d+ + d-)`` to fixed ideal and anti-ideal points, in [0, 1].

    Distances are Euclidean in the weighted space ``v = w * x``. ``ideal`` and
    ``anti_ideal`` are per-criterion points in normalised units with
    ``anti_ideal <= ideal``, fixed when the scorecard is fitted so that a
    score does not depend on who else is scored.

    Each value is first clipped to ``[anti_ideal, ideal]``. Without the clip a
    value above the ideal would move away from it as it improved, raising
    ``d+``, so improving a criterion could lower the closeness; with it the
    closeness never decreases when any value increases.

    Missing criteria are dropped from both distances (renormalising the
    remaining weights would scale both distances alike, so the closeness is the
    same). When ``d+ + d-`` is 0 — every present criterion of positive weight
    has ``ideal == anti_ideal``, so the row sits at the ideal — the closeness
    is 1.0.

    Examples
    --------
    >>> import numpy as np
    >>> norm = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [1.5, np.nan]])
    >>> topsis(norm, np.array([0.5, 0.5]), ideal=np.ones(2), anti_ideal=np.zeros(2))
    array([1. , 0. , 0.5, 1. ])
    """
    stack, single = _weight_stack(norm, weights)
    clipped = np.clip(norm, anti_ideal, ideal)
    return _shaped(_closeness(clipped, stack, ideal, anti_ideal), single)


def topsis_rank(
    matrix: pd.DataFrame | FloatArray | Sequence[Sequence[float]],
    weights: npt.ArrayLike,
    directions: npt.ArrayLike,
) -> FloatArray:
    """Classic TOPSIS closeness of Hwang & Yoon (1981) on a raw decision matrix.

    Parameters
    ----------
    matrix
        Rows are alternatives, columns criteria, in their own units.
    weights
        One non-negative weight per criterion (only their ratios matter).
    directions
        One per criterion: ``1`` where more is better (benefit), ``-1`` where
        less is better (cost).

    Returns
    -------
    numpy.ndarray
        The relative closeness to the ideal solution of each alternative, in
        [0, 1]; the highest ranks first.

    Notes
    -----
    Hwang, C.-L. & Yoon, K. (1981), *Multiple Attribute Decision Making:
    Methods and Applications*, Springer, pp. 128-134: vector normalisation
    ``r_ij = x_ij / sqrt(sum_i x_ij**2)``, weighting ``v_ij = w_j r_ij``, ideal
    and anti-ideal as each column's best and worst (max and min for a benefit,
    the reverse for a cost), Euclidean distances ``S+`` and ``S-``, and
    closeness ``S- / (S+ + S-)``.

    Examples
    --------
    >>> matrix = [[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]]
    >>> topsis_rank(matrix, [0.3, 0.4, 0.3], [1, 1, 1]).round(4)
    array([0.5037, 0.6581, 0.7482, 0.334 ])
    """
    values = np.asarray(matrix, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    signs = np.asarray(directions)
    if values.ndim != 2 or w.shape != (values.shape[1],) or signs.shape != w.shape:
        raise ConfigError(
            f"topsis_rank needs a 2-D matrix and one weight and one direction per column; "
            f"got matrix {values.shape}, weights {w.shape}, directions {signs.shape}"
        )
    if not np.isin(signs, (1, -1)).all():
        raise ConfigError(f"directions must be 1 (benefit) or -1 (cost); got {signs.tolist()}")
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise ConfigError(f"weights must be non-negative and not all zero; got {w.tolist()}")
    if not np.isfinite(values).all():
        raise ConfigError("topsis_rank needs a complete, finite matrix; it holds NaN or infinity")
    length = np.sqrt((values**2).sum(axis=0))
    length = np.where(length > 0, length, 1.0)
    oriented = values / length * signs  # a cost flipped in sign: its best is now the max
    best, worst = oriented.max(axis=0), oriented.min(axis=0)
    return _closeness(oriented, (w / w.sum())[np.newaxis, :], best, worst)[0]


def aggregate_columns(
    columns: Sequence[FloatArray],
    weights: FloatArray,
    *,
    method: str,
    floor: float = 0.01,
    ideal: FloatArray | None = None,
    anti_ideal: FloatArray | None = None,
) -> FloatArray:
    """:func:`weighted_sum`, :func:`geometric` or :func:`topsis` for one weight vector,
    criterion by criterion.

    The results are those of the matrix kernels on ``np.column_stack(columns)``
    (to rounding), but the work holds a few row-length arrays instead of
    ``(n_rows, n_criteria)`` temporaries: with a million rows, that is what
    keeps scoring fast.

    Examples
    --------
    >>> import numpy as np
    >>> columns = [np.array([1.0, 0.5, np.nan]), np.array([0.0, np.nan, np.nan])]
    >>> aggregate_columns(columns, np.array([0.75, 0.25]), method="weighted_sum")
    array([0.75, 0.5 ,  nan])
    """
    n_rows = len(columns[0]) if columns else 0
    if method == "topsis":
        present_weight = np.zeros(n_rows)
        total = np.zeros(n_rows)
        assert ideal is not None and anti_ideal is not None
        to_anti = np.zeros(n_rows)
        for x, w, best, worst in zip(columns, weights, ideal, anti_ideal, strict=True):
            present = ~np.isnan(x)
            value = np.clip(np.where(present, x, best), worst, best)
            total += w * w * (value - best) ** 2
            to_anti += w * w * np.where(present, value - worst, 0.0) ** 2
            present_weight += present * float(w > 0)
        d_plus, d_minus = np.sqrt(total), np.sqrt(to_anti)
        spread = d_plus + d_minus
        closeness = np.divide(d_minus, spread, out=np.ones(n_rows), where=spread > 0)
        return np.where(present_weight > 0, np.clip(closeness, 0.0, 1.0), np.nan)
    mean = np.empty(n_rows)
    # block by block of rows, through buffers of one block: past a few million rows
    # each row-length temporary is fresh memory from the kernel, slower to touch
    # than to compute, and a block's criteria stay in the processor's cache
    term = np.empty(min(n_rows, ROW_BLOCK))
    present = np.empty(len(term), dtype=bool)
    for start in range(0, n_rows, ROW_BLOCK):
        rows = slice(start, start + ROW_BLOCK)
        _block_mean([x[rows] for x in columns], weights, method, floor, term, present, mean[rows])
    return mean


#: Rows aggregated together (a block's columns stay in the processor's cache).
ROW_BLOCK: Final = 1 << 15


def _block_mean(
    columns: list[FloatArray],
    weights: FloatArray,
    method: str,
    floor: float,
    term_buffer: FloatArray,
    present_buffer: npt.NDArray[np.bool_],
    out: FloatArray,
) -> None:
    """:func:`aggregate_columns`' weighted sum or geometric mean of one block, into ``out``."""
    n_rows = len(out)
    term, present = term_buffer[:n_rows], present_buffer[:n_rows]
    total = out  # the sums are divided in place at the end
    total.fill(0.0)
    present_weight = np.zeros(n_rows)
    for x, w in zip(columns, weights, strict=True):
        np.isnan(x, out=present)
        np.logical_not(present, out=present)
        if method == "geometric":
            np.log(np.maximum(x, floor, out=term), out=term)
            term *= w
        else:
            np.multiply(x, w, out=term)
        # a missing value adds nothing (the old 0 × w): total and weight skip it
        np.add(total, term, out=total, where=present)
        np.add(present_weight, w, out=present_weight, where=present)
    np.divide(total, present_weight, out=out, where=present_weight > 0)
    out[present_weight == 0] = np.nan  # no criterion of positive weight present
    if method == "geometric":
        np.exp(out, out=out)
    else:
        np.clip(out, 0.0, 1.0, out=out)


def _weight_stack(norm: FloatArray, weights: FloatArray) -> tuple[FloatArray, bool]:
    """Weights as a ``(n_draws, n_criteria)`` stack, and whether a single vector was given."""
    stack = np.asarray(weights, dtype=np.float64)
    single = stack.ndim == 1
    stack = np.atleast_2d(stack)
    if norm.ndim != 2 or stack.ndim != 2 or stack.shape[1] != norm.shape[1]:
        raise ValueError(
            f"norm must be (n_rows, n_criteria) and weights (n_criteria,) or (n_draws, "
            f"n_criteria); got norm {norm.shape} and weights {np.shape(weights)}"
        )
    return stack, single


def _per_present_weight(
    total: FloatArray, stack: FloatArray, present: npt.NDArray[np.bool_]
) -> FloatArray:
    """``total`` divided by each row's weight on its present criteria; NaN where that is 0."""
    present_weight = stack @ present.T.astype(np.float64)
    return np.divide(
        total,
        present_weight,
        out=np.full(total.shape, np.nan),
        where=present_weight > 0,
    )


def _closeness(
    values: FloatArray, stack: FloatArray, ideal: FloatArray, anti_ideal: FloatArray
) -> FloatArray:
    """TOPSIS closeness ``(n_draws, n_rows)``, distances weighted by ``w**2``, NaN cells skipped."""
    present = ~np.isnan(values)
    to_ideal = np.where(present, (values - ideal) ** 2, 0.0)
    to_anti = np.where(present, (values - anti_ideal) ** 2, 0.0)
    squared_weights = stack**2
    d_plus = np.sqrt(squared_weights @ to_ideal.T)
    d_minus = np.sqrt(squared_weights @ to_anti.T)
    spread = d_plus + d_minus
    closeness = np.divide(d_minus, spread, out=np.ones(spread.shape), where=spread > 0)
    closeness = np.clip(closeness, 0.0, 1.0)
    weighted_present = (stack > 0).astype(np.float64) @ present.T.astype(np.float64)
    return np.where(weighted_present > 0, closeness, np.nan)


def _shaped(scores: FloatArray, single: bool) -> FloatArray:
    """``(n_rows,)`` for a single weight vector, else ``(n_draws, n_rows)``."""
    return scores[0] if single else scores
