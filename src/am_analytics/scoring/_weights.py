"""Criterion weights: expert judgement (AHP) and data-driven (entropy, CRITIC).

PCA weights, with their varimax rotation, are in :mod:`._pca`; they share this
module's checks of the decision matrix.

Every function returns weights that are non-negative and sum to 1. The
data-driven ones take a decision matrix — a frame whose rows are the
alternatives (managers) and whose columns are the criteria — and return a
Series indexed by its columns, named ``weight``; their result does not depend on
the order of the rows.

Each docstring states the exact variant computed and where it comes from; the
tests check every method against a published worked example.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError

__all__ = [
    "SAATY_RANDOM_INDEX",
    "ahp_weights",
    "critic_weights",
    "entropy_weights",
]

SAATY_RANDOM_INDEX: Final[Mapping[int, float]] = MappingProxyType(
    {
        1: 0.0,
        2: 0.0,
        3: 0.58,
        4: 0.90,
        5: 1.12,
        6: 1.24,
        7: 1.32,
        8: 1.41,
        9: 1.45,
        10: 1.49,
        11: 1.51,
        12: 1.48,
        13: 1.56,
        14: 1.57,
        15: 1.59,
    }
)
"""Saaty's random consistency index RI by matrix order n = 1..15.

The mean consistency index of random reciprocal matrices, as tabulated by
Saaty, T. L. (1980), *The Analytic Hierarchy Process*, McGraw-Hill, and
repeated in Saaty, T. L. (2008), "Decision making with the analytic hierarchy
process", *Int. J. Services Sciences* 1(1), 83-98.
"""

RECIPROCAL_TOLERANCE: Final = 1e-6
"""How far ``a_ij * a_ji`` may stray from 1 before a pairwise matrix is refused."""


# --------------------------------------------------------------------------- AHP


@overload
def ahp_weights(
    matrix: pd.DataFrame, *, max_consistency_ratio: float | None = ...
) -> tuple[pd.Series, float]: ...


@overload
def ahp_weights(
    matrix: npt.NDArray[Any] | Sequence[Sequence[float]],
    *,
    max_consistency_ratio: float | None = ...,
) -> tuple[npt.NDArray[np.float64], float]: ...


def ahp_weights(
    matrix: pd.DataFrame | npt.NDArray[Any] | Sequence[Sequence[float]],
    *,
    max_consistency_ratio: float | None = 0.10,
) -> tuple[pd.Series | npt.NDArray[np.float64], float]:
    """Weights from a pairwise comparison matrix by Saaty's eigenvector method.

    Parameters
    ----------
    matrix
        A positive reciprocal matrix: ``a_ij`` says how much more important
        criterion *i* is than criterion *j* (Saaty's 1-9 scale), ``a_ji = 1/a_ij``
        and ``a_ii = 1``. A DataFrame must have the same labels on its index and
        its columns (in any order; the columns are aligned to the index).
    max_consistency_ratio
        The largest consistency ratio accepted; Saaty recommends 0.10. ``None``
        accepts any ratio.

    Returns
    -------
    weights
        The principal right eigenvector, normalised to sum 1: a Series indexed
        by the labels for a DataFrame, else an array.
    consistency_ratio
        ``CR = CI / RI`` with ``CI = (lambda_max - n) / (n - 1)`` and ``RI`` from
        :data:`SAATY_RANDOM_INDEX`; 0 when n <= 2 (every such matrix is
        consistent); NaN when n > 15 and the check is off (no published RI).

    Raises
    ------
    ConfigError
        The matrix is not square, holds a value that is missing, not finite or
        not positive, is not reciprocal within ``RECIPROCAL_TOLERANCE``
        (``a_ij * a_ji = 1 +/- 1e-6``), or its consistency ratio exceeds
        ``max_consistency_ratio``.

    Notes
    -----
    The variant is Saaty's principal eigenvector (Saaty 1980, ch. 2; Saaty 2008,
    section 3), not the row geometric mean or the normalised column average
    that some tools use as approximations. By the Perron-Frobenius theorem the
    eigenvector of the largest eigenvalue of a positive matrix is unique and
    positive. For a perfectly consistent matrix ``a_ij = w_i / w_j`` it is ``w``
    itself and ``lambda_max = n``, so CR = 0.

    Examples
    --------
    >>> import pandas as pd
    >>> judgements = pd.DataFrame(
    ...     [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]],
    ...     index=["sales", "clients", "satisfaction"],
    ...     columns=["sales", "clients", "satisfaction"],
    ... )
    >>> weights, cr = ahp_weights(judgements)
    >>> weights.round(3)
    sales           0.637
    clients         0.258
    satisfaction    0.105
    Name: weight, dtype: float64
    >>> round(cr, 3)
    0.033
    """
    labels, values = _pairwise_values(matrix)
    _check_max_consistency_ratio(max_consistency_ratio)
    n = values.shape[0]
    _check_reciprocal(values, labels)
    weights, lambda_max = _principal_eigenvector(values)
    cr = _consistency_ratio(lambda_max, n, check=max_consistency_ratio is not None)
    if max_consistency_ratio is not None and cr > max_consistency_ratio:
        raise ConfigError(
            f"the pairwise comparison matrix is too inconsistent: its consistency ratio is "
            f"{cr:.3f} (lambda_max {lambda_max:.3f} for n = {n}), above the allowed "
            f"{max_consistency_ratio:g}. Revise the judgements that contradict each other "
            f"(if A > B and B > C then A should be > C by about the product), or pass "
            f"max_consistency_ratio=None to accept the matrix as it is"
        )
    if labels is None:
        return weights, cr
    return pd.Series(weights, index=pd.Index(labels), name="weight"), cr


def _pairwise_values(
    matrix: pd.DataFrame | npt.NDArray[Any] | Sequence[Sequence[float]],
) -> tuple[list[Hashable] | None, npt.NDArray[np.float64]]:
    """The labels (None for an array) and the float values of a pairwise matrix, checked."""
    labels: list[Hashable] | None = None
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index)
        if matrix.index.has_duplicates or matrix.columns.has_duplicates:
            raise ConfigError(
                "the pairwise comparison matrix has duplicate labels; expected each criterion "
                "once on the index and once on the columns"
            )
        if set(matrix.index) != set(matrix.columns):
            only_rows = [x for x in matrix.index if x not in set(matrix.columns)]
            only_cols = [x for x in matrix.columns if x not in set(matrix.index)]
            raise ConfigError(
                "the pairwise comparison matrix must have the same criteria on its index and "
                f"its columns; only on the index: {only_rows}, only on the columns: {only_cols}"
            )
        matrix = matrix.loc[:, matrix.index]
        try:
            values = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"the pairwise comparison matrix must hold numbers: {exc}; write each "
                "judgement as a number such as 3 or 1/3 = 0.333"
            ) from None
    else:
        try:
            values = np.asarray(matrix, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"the pairwise comparison matrix must hold numbers: {exc}; write each "
                "judgement as a number such as 3 or 1/3 = 0.333"
            ) from None
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] == 0:
        raise ConfigError(
            "the pairwise comparison matrix must be square (n criteria by n criteria, n >= 1); "
            f"got shape {values.shape}"
        )
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ConfigError(
            f"the pairwise comparison matrix must hold positive finite numbers; cell "
            f"{_cell(labels, i, j)} is {values[i, j]:g} ({int(bad.sum())} such cell(s)). "
            "Use Saaty's scale 1/9 .. 9, with 1 on the diagonal"
        )
    return labels, values


def _cell(labels: list[Hashable] | None, i: int, j: int) -> str:
    """A cell's name for messages: ``[sales, clients]`` or ``[0, 1]``."""
    if labels is None:
        return f"[{i}, {j}]"
    return f"[{labels[i]}, {labels[j]}]"


def _check_max_consistency_ratio(max_consistency_ratio: float | None) -> None:
    """Refuse a threshold that is not a positive finite number (None is allowed)."""
    if max_consistency_ratio is None:
        return
    if not (np.isfinite(max_consistency_ratio) and max_consistency_ratio > 0):
        raise ConfigError(
            f"max_consistency_ratio must be a positive number such as 0.10, or None to turn "
            f"the check off; got {max_consistency_ratio!r}"
        )


def _check_reciprocal(values: npt.NDArray[np.float64], labels: list[Hashable] | None) -> None:
    """Refuse a matrix whose cells are not reciprocal (``a_ij * a_ji = 1``, so ``a_ii = 1``)."""
    product = values * values.T
    bad = np.abs(product - 1.0) > RECIPROCAL_TOLERANCE
    if not bad.any():
        return
    i, j = min((int(a), int(b)) for a, b in np.argwhere(bad) if a <= b)
    if i == j:
        raise ConfigError(
            f"the pairwise comparison matrix must have 1 on its diagonal; cell "
            f"{_cell(labels, i, i)} is {values[i, i]:g}. A criterion is exactly as "
            "important as itself"
        )
    raise ConfigError(
        f"the pairwise comparison matrix is not reciprocal: cell {_cell(labels, i, j)} is "
        f"{values[i, j]:g} and cell {_cell(labels, j, i)} is {values[j, i]:g}, whose product "
        f"is {product[i, j]:g}, expected 1 (+/- {RECIPROCAL_TOLERANCE:g}); "
        f"{int(bad.sum()) // 2} pair(s) differ. Set cell {_cell(labels, j, i)} to "
        f"1/{values[i, j]:g} = {1 / values[i, j]:.6g}, or fill only the upper triangle "
        "and derive the lower one as its reciprocal"
    )


def _principal_eigenvector(
    values: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], float]:
    """The Perron eigenvector normalised to sum 1, and its eigenvalue ``lambda_max``."""
    eigenvalues, eigenvectors = np.linalg.eig(values)
    k = int(np.argmax(eigenvalues.real))
    vector = np.abs(eigenvectors[:, k].real)
    return vector / vector.sum(), float(eigenvalues[k].real)


def _consistency_ratio(lambda_max: float, n: int, *, check: bool) -> float:
    """Saaty's CR = CI / RI; 0 for n <= 2, NaN past the table when the check is off."""
    if n <= 2:
        return 0.0
    if n not in SAATY_RANDOM_INDEX:
        if check:
            raise ConfigError(
                f"no published random index for {n} criteria (Saaty's table stops at "
                f"{max(SAATY_RANDOM_INDEX)}), so the consistency ratio cannot be checked; "
                "group the criteria into a hierarchy of at most 15 per matrix, or pass "
                "max_consistency_ratio=None"
            )
        return float("nan")
    consistency_index = max(lambda_max - n, 0.0) / (n - 1)
    return consistency_index / SAATY_RANDOM_INDEX[n]


# ----------------------------------------------------------------- data-driven


def entropy_weights(frame: pd.DataFrame) -> pd.Series:
    """Shannon entropy weights of the criteria of a decision matrix.

    Parameters
    ----------
    frame
        Rows are alternatives, columns are criteria, oriented so that higher is
        better and scaled to be non-negative (the scorecard passes its 0-1
        normalised matrix). NaN marks a missing value.

    Returns
    -------
    pandas.Series
        One weight per column, indexed by the columns, non-negative, summing
        to 1, named ``weight``.

    Raises
    ------
    ConfigError
        Fewer than 2 rows, no columns, a non-numeric column, an infinite or a
        negative value.

    Notes
    -----
    The variant of Shannon's entropy method as set out by Zeleny (1982,
    *Multiple Criteria Decision Making*) and Hwang & Yoon (1981, pp. 52-54),
    with ``m`` alternatives::

        p_ij = x_ij / sum_i x_ij
        e_j  = -(1 / ln m) * sum_i p_ij ln p_ij      (0 ln 0 = 0)
        d_j  = 1 - e_j
        w_j  = d_j / sum_j d_j

    A criterion on which the alternatives differ more (lower entropy) gets
    more weight. A column whose values are all equal, whose sum is 0, or with
    fewer than 2 values present carries no information: ``d_j = 0``. If no
    column carries information the weights are equal.

    Missing values: a row with NaN in a column is ignored for that column only
    (``m`` is then that column's count of values present).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"sales": [0.1, 0.4, 0.9], "calls": [0.5, 0.6, 0.55]})
    >>> entropy_weights(frame).round(4)
    sales    0.9898
    calls    0.0102
    Name: weight, dtype: float64
    """
    values = _criteria_values(frame, method="entropy weights")
    negative = np.flatnonzero((values < 0).any(axis=0))
    if negative.size:
        columns = [str(c) for c in frame.columns[negative]]
        raise ConfigError(
            f"entropy weights need non-negative values; column(s) {columns} hold negative "
            "values. Orient and rescale the criteria first (for example min-max to 0-1)"
        )
    observed = ~np.isnan(values)
    present = observed.sum(axis=0)
    x = np.where(observed, values, 0.0)
    totals = x.sum(axis=0)
    informative = (present >= 2) & (totals > 0) & ~_constant_columns(values, observed)
    p = np.divide(x, totals, out=np.zeros_like(x), where=totals > 0)
    log_p = np.log(p, out=np.zeros_like(p), where=p > 0)
    scale = np.log(np.maximum(present, 2))
    entropy = -(p * log_p).sum(axis=0) / scale
    diversification = np.where(informative, np.clip(1.0 - entropy, 0.0, None), 0.0)
    return _as_weights(diversification, frame.columns)


def critic_weights(frame: pd.DataFrame) -> pd.Series:
    """CRITIC weights: contrast intensity times conflict with the other criteria.

    Parameters
    ----------
    frame
        Rows are alternatives, columns are criteria oriented so that higher is
        better; any scale, since each column is min-max normalised here. NaN
        marks a missing value.

    Returns
    -------
    pandas.Series
        One weight per column, indexed by the columns, non-negative, summing
        to 1, named ``weight``.

    Raises
    ------
    ConfigError
        Fewer than 2 rows, no columns, a non-numeric column or an infinite value.

    Notes
    -----
    CRITIC (CRiteria Importance Through Intercriteria Correlation) of
    Diakoulaki, Mavrotas & Papayannakis (1995), "Determining objective weights
    in multiple criteria problems: the CRITIC method", *Computers & Operations
    Research* 22(7), 763-770::

        r_ij = (x_ij - min_i x_ij) / (max_i x_ij - min_i x_ij)
        C_j  = sigma_j * sum_k (1 - rho_jk)
        w_j  = C_j / sum_j C_j

    with ``sigma_j`` the population standard deviation (divisor m, as
    :func:`numpy.std`) of normalised column *j* and ``rho_jk`` the Pearson
    correlation of columns *j* and *k*. Because of the min-max step the
    weights do not change when a column is multiplied by a positive number or
    shifted. With complete data the choice of divisor does not matter: the
    factor ``sqrt(m / (m - 1))`` is common to every ``C_j`` and cancels.

    A constant column has ``sigma = 0`` and so weight 0; its correlation with
    the other columns is undefined, and such a pair contributes nothing to
    their sums (so adding a constant column leaves the other weights as they
    were). If every ``C_j`` is 0 the weights are equal.

    Missing values: each column's min, max and deviation use the values
    present in it; each correlation uses the rows where both columns are
    present (pairwise deletion), and a pair with too few such rows to have a
    correlation contributes nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {
    ...         "sales": [1.0, 2.0, 3.0, 4.0],
    ...         "margin": [2.0, 4.0, 6.0, 9.0],
    ...         "csat": [4.0, 1.0, 3.0, 2.0],
    ...     }
    ... )
    >>> critic_weights(frame).round(3)
    sales     0.252
    margin    0.248
    csat      0.500
    Name: weight, dtype: float64
    """
    values = _criteria_values(frame, method="CRITIC weights")
    observed = ~np.isnan(values)
    varying = _varying_columns(values)
    normalised = _min_max(values, observed, varying)
    sigma = np.where(varying, np.nanstd(normalised, axis=0), 0.0)
    correlation = _pairwise_correlation(normalised)
    conflict = np.where(np.isnan(correlation), 0.0, 1.0 - correlation)
    np.fill_diagonal(conflict, 0.0)
    return _as_weights(sigma * conflict.sum(axis=1), frame.columns)


# -------------------------------------------------------------------- helpers


def _criteria_values(frame: pd.DataFrame, *, method: str) -> npt.NDArray[np.float64]:
    """The decision matrix as floats (NaN for missing), after the checks every method shares."""
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(
            f"{method} need a DataFrame with one row per alternative and one column per "
            f"criterion; got {type(frame).__name__}"
        )
    if frame.shape[1] == 0:
        raise ConfigError(f"{method} need at least one criterion column; the frame has none")
    if frame.shape[0] < 2:
        raise ConfigError(
            f"{method} are learned from differences between alternatives and need at least "
            f"2 rows; the frame has {frame.shape[0]}. Fit on the whole population, or give "
            "the weights explicitly"
        )
    if frame.columns.has_duplicates:
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ConfigError(f"{method} need distinct column names; duplicated: {duplicated}")
    not_numeric = [
        str(c)
        for c, dtype in frame.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))
    ]
    if not_numeric:
        raise ConfigError(
            f"{method} need numeric criteria; column(s) {not_numeric} are not numeric. "
            "Convert or drop them first"
        )
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        columns = [str(c) for c in frame.columns[infinite]]
        raise ConfigError(
            f"{method} need finite values; column(s) {columns} hold infinity. Replace it "
            "with a bounded value or NaN"
        )
    return values


def _constant_columns(
    values: npt.NDArray[np.float64], observed: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Columns whose present values are all equal (an all-missing column counts as constant)."""
    high = np.where(observed, values, -np.inf).max(axis=0)
    low = np.where(observed, values, np.inf).min(axis=0)
    return ~(high > low)


def _varying_columns(values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Columns with at least 2 values present that are not all equal."""
    observed = ~np.isnan(values)
    return ~_constant_columns(values, observed) & (observed.sum(axis=0) >= 2)


def _min_max(
    values: npt.NDArray[np.float64],
    observed: npt.NDArray[np.bool_],
    varying: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Each varying column scaled to 0-1 by its own min and max; other columns all 0."""
    low = np.where(observed, values, np.inf).min(axis=0)
    high = np.where(observed, values, -np.inf).max(axis=0)
    span = np.where(varying, high - low, 1.0)
    low = np.where(varying, low, 0.0)
    return np.where(varying, (values - low) / span, 0.0)


def _pairwise_correlation(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pearson correlations over the rows where both columns are present; NaN where undefined."""
    if not np.isnan(values).any():
        centred = values - values.mean(axis=0)
        scale = np.sqrt((centred**2).sum(axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = centred / scale
        correlation = np.clip(unit.T @ unit, -1.0, 1.0)
        return np.where(np.isfinite(correlation), correlation, np.nan)
    return pd.DataFrame(values).corr(min_periods=2).to_numpy(dtype=np.float64)


def _as_weights(raw: npt.NDArray[np.float64], columns: pd.Index) -> pd.Series:
    """Raw importances scaled to sum 1 (equal weights when all are 0), as a Series."""
    raw = np.clip(np.asarray(raw, dtype=np.float64), 0.0, None)
    total = raw.sum()
    weights = raw / total if total > 0 else np.full(raw.shape, 1.0 / raw.size)
    return pd.Series(weights, index=columns.copy(), name="weight")
