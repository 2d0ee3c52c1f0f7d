"""PCA criterion weights: principal components of the criteria, varimax-rotated."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError
from ._weights import _as_weights, _criteria_values, _pairwise_correlation, _varying_columns

__all__ = ["pca_weights"]

_KAISER_EPS: Final = 1e-9  # an eigenvalue must exceed 1 by this much to count as "> 1"
_VARIMAX_MAX_ITER: Final = 500  # sweeps over all pairs of factors
_VARIMAX_TOL: Final = 1e-12  # radians


def pca_weights(frame: pd.DataFrame, *, n_components: int | None = None) -> pd.Series:
    """Weights from varimax-rotated principal components (OECD/JRC Handbook, 2008).

    Parameters
    ----------
    frame
        Rows are alternatives, columns are criteria oriented so that higher is
        better; any scale, since the method works on correlations. NaN marks a
        missing value.
    n_components
        How many principal components to keep. ``None`` (the default) keeps
        those whose eigenvalue exceeds 1 (Kaiser's rule), and at least one.

    Returns
    -------
    pandas.Series
        One weight per column, indexed by the columns, non-negative, summing
        to 1, named ``weight``.

    Raises
    ------
    ConfigError
        Fewer than 2 rows, no columns, a non-numeric column, an infinite value,
        or ``n_components`` outside 1 .. the number of non-constant columns.

    Notes
    -----
    The weighting from factor analysis of the OECD/JRC *Handbook on
    Constructing Composite Indicators: Methodology and User Guide* (Nardo et
    al., OECD 2008, section 6.1, pp. 89-91, the Technology Achievement Index
    example of Tables 6.3 and 6.4):

    1. standardise the columns and take the principal components of their
       correlation matrix; keep ``n_components`` of them (loadings
       ``L = eigenvector * sqrt(eigenvalue)``);
    2. rotate the kept loadings with varimax (Kaiser 1958, with Kaiser's row
       normalisation);
    3. square the rotated loadings and scale each component's column to unit
       sum;
    4. give each indicator to the component on which it loads highest (largest
       absolute rotated loading); its weight within that component's
       intermediate composite is its scaled squared loading;
    5. weight each component by its share of the variance explained after
       rotation, multiply, and normalise the indicator weights to sum 1.

    The Handbook keeps the factors that have an eigenvalue above 1, explain
    more than 10 % of the variance each and 60 % together; on its TAI example
    that kept four factors (the fourth eigenvalue is 0.9), where Kaiser's rule
    alone keeps two: pass ``n_components=4`` to reproduce it. The tests check
    the example's eigenvalues and rotated loadings against the published
    tables.

    A constant column gets weight 0 and is left out of the analysis. Missing
    values: the correlation matrix uses pairwise deletion (rows where both
    columns are present); a pair with too few such rows is taken as
    uncorrelated. The Handbook itself imputes first; do so for heavy gaps.

    When kept eigenvalues tie exactly (say three criteria with identical
    pairwise correlations) the varimax optimum is not unique and the weights
    depend on rounding; measured data practically never tie.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {
    ...         "sales": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    ...         "margin": [1.2, 1.9, 3.1, 4.2, 4.8, 6.1],
    ...         "csat": [3.0, 1.0, 2.0, 2.0, 1.0, 3.0],
    ...         "nps": [2.8, 1.1, 2.2, 1.9, 1.2, 2.7],
    ...     }
    ... )
    >>> pca_weights(frame).round(3)  # two components, one per pair of alike criteria
    sales     0.251
    margin    0.250
    csat      0.249
    nps       0.249
    Name: weight, dtype: float64
    """
    values = _criteria_values(frame, method="PCA weights")
    varying = _varying_columns(values)
    _check_n_components(n_components, n_varying=int(varying.sum()))
    raw = np.zeros(values.shape[1])
    if varying.any():
        loadings = _rotated_loadings(values[:, varying], n_components=n_components)[1]
        # steps 3-5 reduce to w_i proportional to max_k L_ik**2: the scaled squared
        # loading L_ik**2 / E_k times the share E_k / sum E is L_ik**2 / sum E
        raw[varying] = (loadings**2).max(axis=1)
    return _as_weights(raw, frame.columns)


def _check_n_components(n_components: int | None, *, n_varying: int) -> None:
    """Refuse a component count that is not a whole number from 1 to ``n_varying``."""
    if n_components is not None and not (
        isinstance(n_components, int | np.integer)
        and not isinstance(n_components, bool)
        and 1 <= n_components <= max(n_varying, 1)
    ):
        raise ConfigError(
            f"n_components must be a whole number from 1 to {n_varying} (the number of "
            f"non-constant columns), or None for Kaiser's rule; got {n_components!r}"
        )


def _rotated_loadings(
    values: npt.NDArray[np.float64], *, n_components: int | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """All eigenvalues of the correlation matrix (descending) and the varimax-rotated loadings."""
    correlation = _pairwise_correlation(values)
    correlation = np.where(np.isnan(correlation), 0.0, correlation)
    np.fill_diagonal(correlation, 1.0)
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    if n_components is None:
        n_components = max(int((eigenvalues > 1.0 + _KAISER_EPS).sum()), 1)
    kept = np.clip(eigenvalues[:n_components], 0.0, None)
    loadings = eigenvectors[:, :n_components] * np.sqrt(kept)
    return eigenvalues, _varimax(loadings)


def _varimax(loadings: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Kaiser's (1958) varimax rotation, with Kaiser's row normalisation.

    Kaiser's own algorithm: sweeps over every pair of factors, rotating each
    pair by the angle that maximises the varimax criterion for that pair
    (closed form), until no angle exceeds ``_VARIMAX_TOL`` radians. Each step
    can only raise the criterion. (The SVD iteration of R's ``stats::varimax``
    reaches the same optimum on real data but can oscillate on an exact simple
    structure.)
    """
    n_rows, n_columns = loadings.shape
    if n_columns < 2:
        return loadings.copy()
    communality = np.sqrt((loadings**2).sum(axis=1, keepdims=True))
    communality = np.where(communality > 0, communality, 1.0)
    x = loadings / communality
    for _ in range(_VARIMAX_MAX_ITER):
        largest_angle = 0.0
        for j in range(n_columns - 1):
            for k in range(j + 1, n_columns):
                u = x[:, j] ** 2 - x[:, k] ** 2
                v = 2.0 * x[:, j] * x[:, k]
                a, b = u.sum(), v.sum()
                numerator = 2.0 * (u * v).sum() - 2.0 * a * b / n_rows
                denominator = (u**2 - v**2).sum() - (a**2 - b**2) / n_rows
                angle = 0.25 * float(np.arctan2(numerator, denominator))
                largest_angle = max(largest_angle, abs(angle))
                cos, sin = np.cos(angle), np.sin(angle)
                x[:, j], x[:, k] = x[:, j] * cos + x[:, k] * sin, x[:, k] * cos - x[:, j] * sin
        if largest_angle < _VARIMAX_TOL:
            break
    return x * communality
