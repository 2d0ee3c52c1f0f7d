"""Inter-rater reliability: intraclass correlations and Krippendorff's alpha."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataValidationError
from ._layout import BoolArray, FloatArray, IntArray, _layout

#: The intraclass correlations of Shrout & Fleiss (1979), in the order :func:`icc` lists them.
ICC_FORMS: Final = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")


_ICC_DESCRIPTIONS: Final = (
    "one-way random effects, absolute agreement, single rater",
    "two-way random effects, absolute agreement, single rater",
    "two-way mixed effects, consistency, single rater",
    "one-way random effects, absolute agreement, mean of k raters",
    "two-way random effects, absolute agreement, mean of k raters",
    "two-way mixed effects, consistency, mean of k raters",
)


_ALPHA: Final = "krippendorff_alpha"


#: Two-sided confidence level of the ICC intervals.
_CONFIDENCE: Final = 0.95


#: The columns of :func:`reliability` and their dtypes.
_RELIABILITY_COLUMNS: Final = MappingProxyType(
    {
        "competency": "str",
        "period": "str",
        "statistic": "str",
        "value": "float64",
        "f": "float64",
        "df1": "float64",
        "df2": "float64",
        "p_value": "float64",
        "ci_low": "float64",
        "ci_high": "float64",
        "n_targets": "int64",
        "n_raters": "int64",
        "note": "str",
    }
)


def icc(matrix: pd.DataFrame | npt.ArrayLike) -> pd.DataFrame:
    """The six intraclass correlations of Shrout & Fleiss (1979).

    Parameters
    ----------
    matrix
        A targets × judges matrix of scores (DataFrame or 2-D array): one row
        per rated target (manager), one column per judge (rater). Rows with any
        missing value are dropped, since the ICCs need every judge to rate
        every target; see :func:`reliability` for incomplete 360 data.

    Returns
    -------
    pandas.DataFrame
        One row per form of :data:`ICC_FORMS`.

    Raises
    ------
    DataValidationError
        If ``matrix`` is not a numeric 2-D matrix with at least 2 complete rows
        and 2 columns.

    Notes
    -----
    Output columns:

    ``form``
        ``ICC1``, ``ICC2``, ``ICC3`` (single judge) and ``ICC1k``, ``ICC2k``,
        ``ICC3k`` (mean of the k judges): Shrout & Fleiss's ICC(1,1), ICC(2,1),
        ICC(3,1), ICC(1,k), ICC(2,k), ICC(3,k).
    ``description``
        Model, type and unit in McGraw & Wong's (1996) terms.
    ``icc``
        The estimate (float).
    ``f``, ``df1``, ``df2``, ``p_value``
        The F test of ICC = 0: ``MSR/MSW`` on (n-1, n(k-1)) degrees of freedom
        for the one-way forms, ``MSR/MSE`` on (n-1, (n-1)(k-1)) for the others.
    ``ci_low``, ``ci_high``
        95% confidence interval: the F-based intervals of Shrout & Fleiss and
        McGraw & Wong; for ICC2 the Satterthwaite approximation, and for ICC2k
        its Spearman-Brown step-up, as in R's ``psych::ICC`` and pingouin's
        ``intraclass_corr``.

    With n targets, k judges, MSR the between-targets, MSC the between-judges,
    MSW the within-target and MSE the residual mean squares:
    ICC1 = (MSR - MSW) / (MSR + (k-1) MSW), ICC2 = (MSR - MSE) / (MSR + (k-1) MSE
    + k (MSC - MSE) / n), ICC3 = (MSR - MSE) / (MSR + (k-1) MSE), ICC1k = (MSR -
    MSW) / MSR, ICC2k = (MSR - MSE) / (MSR + (MSC - MSE) / n), ICC3k = (MSR -
    MSE) / MSR. A matrix without variance gives NaN. When F < 1 (judges agree
    less than chance would have them) the estimates are negative and the
    k-judge forms and the intervals can leave [-1, 1] or even come out
    inverted; read them as "no reliability", not as numbers to compare.

    Examples
    --------
    The example of Shrout & Fleiss (1979), Table 2: six targets, four judges.

    >>> table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> icc(table)[["form", "icc", "f", "df1", "df2"]].round(2)
        form   icc      f  df1  df2
    0   ICC1  0.17   1.79    5   18
    1   ICC2  0.29  11.03    5   15
    2   ICC3  0.71  11.03    5   15
    3  ICC1k  0.44   1.79    5   18
    4  ICC2k  0.62  11.03    5   15
    5  ICC3k  0.91  11.03    5   15
    """
    scores = _score_matrix(matrix)
    complete = scores[~np.isnan(scores).any(axis=1)]
    n, k = complete.shape
    if n < 2 or k < 2:
        raise DataValidationError(
            f"icc needs at least 2 targets (rows) without missing scores and 2 judges "
            f"(columns); found {n} complete rows and {k} columns. Pass a fuller matrix, or "
            "use reliability() on the ratings table for incomplete 360 data"
        )
    result = _icc_statistics(complete)
    return pd.DataFrame(
        {
            "form": list(ICC_FORMS),
            "description": list(_ICC_DESCRIPTIONS),
            "icc": result["value"],
            "f": result["f"],
            "df1": result["df1"].astype("int64"),
            "df2": result["df2"].astype("int64"),
            "p_value": result["p_value"],
            "ci_low": result["ci_low"],
            "ci_high": result["ci_high"],
        }
    )


def reliability(ratings: pd.DataFrame, *, min_targets: int = 3) -> pd.DataFrame:
    """Inter-rater reliability per competency and period: the six ICCs and Krippendorff's alpha.

    Parameters
    ----------
    ratings
        A validated ratings table. Every rating counts, ``self`` ratings
        included, and raw scores are used (reliability is a property of the
        ratings as given); filter the frame first to measure, say, supervisors
        and peers only.
    min_targets
        Fewest managers (at least 2) a complete block needs for its ICCs.

    Returns
    -------
    pandas.DataFrame
        Seven rows per (competency, period), sorted by competency and period:
        the forms of :data:`ICC_FORMS`, then ``krippendorff_alpha``.

    Raises
    ------
    ConfigError
        If ``min_targets`` is not an integer of at least 2.
    DataValidationError
        As for :func:`calibrate`.

    Notes
    -----
    Output columns: ``competency``, ``period``, ``statistic`` (the ICC form or
    ``krippendorff_alpha``), ``value``, ``f``, ``df1``, ``df2``, ``p_value``,
    ``ci_low``, ``ci_high`` (as in :func:`icc`; NaN on alpha rows),
    ``n_targets`` and ``n_raters`` (int), and ``note`` (str, empty when there
    is nothing to say).

    **ICCs on a complete block.** The ICCs need every rater to rate every
    manager, which 360 designs rarely give (a supervisor rates one team, a
    peer a few team-mates). Each (competency, period) manager × rater matrix
    is therefore cut down to a complete block by a deterministic greedy rule:
    while a cell is missing, drop the manager or rater whose remaining cells
    are most often missing (the highest *share* of missing cells; on a tie a
    rater goes before a manager, and among equals the first in order goes:
    managers in category order, raters by id, then role). A rater is a
    (``rater_id``, ``rater_role``) pair, as everywhere in this module, so a
    manager's self-rating is not merged with their peer ratings into one
    column. The ICCs are those of
    :func:`icc` on that block; ``n_targets`` and ``n_raters`` give its size
    and ``note`` how much of the full matrix it kept. A block with fewer than
    ``min_targets`` managers or 2 raters gives NaN and a note saying so.

    **Krippendorff's alpha** (interval level, the ``krippendorff`` package)
    uses the full, incomplete matrix: managers are the units, raters the
    coders, and every manager with at least two ratings contributes.
    ``n_targets`` and ``n_raters`` are those of the full matrix. Alpha is NaN,
    with a note, when no manager has two ratings or the ratings do not vary.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = {"R1": [5, 3, 4, 2], "R2": [4, 3, 4, 1], "R3": [5, 4, 5, 3]}
    >>> ratings = pd.DataFrame({
    ...     "manager_id": pd.Categorical([m for _ in scores for m in ("M1", "M2", "M3", "M4")]),
    ...     "period": "2026Q3",
    ...     "rater_id": [r for r in scores for _ in range(4)],
    ...     "rater_role": "peer",
    ...     "competency": "teamwork",
    ...     "score": [float(s) for r in scores for s in scores[r]],
    ... })
    >>> reliability(ratings)[["statistic", "value", "n_targets", "n_raters"]].round(3)
                statistic  value  n_targets  n_raters
    0                ICC1  0.717          4         3
    1                ICC2  0.735          4         3
    2                ICC3  0.909          4         3
    3               ICC1k  0.884          4         3
    4               ICC2k  0.893          4         3
    5               ICC3k  0.968          4         3
    6  krippendorff_alpha  0.675          4         3

    R3 is lenient: the consistency forms (ICC3) ignore that, the absolute
    agreement forms (ICC1, ICC2) and alpha do not.
    """
    if isinstance(min_targets, bool) or not isinstance(min_targets, int) or min_targets < 2:
        raise ConfigError(
            f"min_targets must be an integer of at least 2 (the ICCs compare managers), "
            f"got {min_targets!r}; pass e.g. min_targets=3"
        )
    layout = _layout(ratings)
    group = layout.competency * layout.n_periods + layout.period
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.unique(group[order]))
    rows: list[dict[str, Any]] = []
    for rows_of_group in np.split(order, bounds[1:]) if order.size else []:
        first = rows_of_group[0]
        labels = {
            "competency": layout.competencies[layout.competency[first]],
            "period": layout.periods[layout.period[first]],
        }
        matrix = _rating_matrix(
            layout.manager[rows_of_group], layout.key[rows_of_group], layout.score[rows_of_group]
        )
        rows.extend({**labels, **row} for row in _group_reliability(matrix, min_targets))
    frame = pd.DataFrame(rows, columns=list(_RELIABILITY_COLUMNS))
    return frame.astype(dict(_RELIABILITY_COLUMNS))


def _score_matrix(matrix: pd.DataFrame | npt.ArrayLike) -> FloatArray:
    """``matrix`` as a float 2-D array; DataValidationError if it is not one."""
    try:
        values = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            f"icc needs a numeric targets × judges matrix; its values cannot be read as "
            f"numbers ({error}). Pass a DataFrame or 2-D array of scores"
        ) from None
    if values.ndim != 2:
        raise DataValidationError(
            f"icc needs a 2-D targets × judges matrix, got {values.ndim} dimensions "
            f"(shape {values.shape}); pivot the ratings to one row per target first"
        )
    return values


def _icc_statistics(y: FloatArray) -> dict[str, FloatArray]:
    """The six ICCs with F tests and 95% intervals, in ICC_FORMS order (complete matrix)."""
    # imported here: scipy.stats adds about 0.4 s to importing the package (the metric
    # registry loads this package), and only reliability needs it
    from scipy import stats

    n, k = y.shape
    grand = y.mean()
    ss_rows = k * ((y.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((y.mean(axis=0) - grand) ** 2).sum()
    ss_within = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum()
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    msw = ss_within / (n * (k - 1))
    mse = (ss_within - ss_cols) / ((n - 1) * (k - 1))
    df_w, df_e = n * (k - 1), (n - 1) * (k - 1)
    upper_q = (1 + _CONFIDENCE) / 2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        icc1k, icc3k = (msr - msw) / msr, (msr - mse) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        f1, f3 = msr / msw, msr / mse
        f1_low = f1 / stats.f.ppf(upper_q, n - 1, df_w)
        f1_high = f1 * stats.f.ppf(upper_q, df_w, n - 1)
        f3_low = f3 / stats.f.ppf(upper_q, n - 1, df_e)
        f3_high = f3 * stats.f.ppf(upper_q, df_e, n - 1)
        low2, high2 = _icc2_interval(icc2, msr, msc, mse, n, k, upper_q)
        ci_low = [
            (f1_low - 1) / (f1_low + k - 1), low2, (f3_low - 1) / (f3_low + k - 1),
            1 - 1 / f1_low, k * low2 / (1 + (k - 1) * low2), 1 - 1 / f3_low,
        ]  # fmt: skip
        ci_high = [
            (f1_high - 1) / (f1_high + k - 1), high2, (f3_high - 1) / (f3_high + k - 1),
            1 - 1 / f1_high, k * high2 / (1 + (k - 1) * high2), 1 - 1 / f3_high,
        ]  # fmt: skip
    p1, p3 = stats.f.sf(f1, n - 1, df_w), stats.f.sf(f3, n - 1, df_e)
    return {
        "value": np.asarray([icc1, icc2, icc3, icc1k, icc2k, icc3k], dtype=np.float64),
        "f": np.asarray([f1, f3, f3, f1, f3, f3], dtype=np.float64),
        "df1": np.full(6, n - 1, dtype=np.float64),
        "df2": np.asarray([df_w, df_e, df_e, df_w, df_e, df_e], dtype=np.float64),
        "p_value": np.asarray([p1, p3, p3, p1, p3, p3], dtype=np.float64),
        "ci_low": np.asarray(ci_low, dtype=np.float64),
        "ci_high": np.asarray(ci_high, dtype=np.float64),
    }


def _icc2_interval(
    icc2: float, msr: float, msc: float, mse: float, n: int, k: int, upper_q: float
) -> tuple[float, float]:
    """McGraw & Wong's interval of ICC(2,1), Satterthwaite degrees of freedom (errstate on)."""
    a = k * icc2 / (n * (1 - icc2))
    b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    if not np.isfinite(v) or v <= 0:
        return math.nan, math.nan
    from scipy import stats

    f_low = stats.f.ppf(upper_q, n - 1, v)
    f_high = stats.f.ppf(upper_q, v, n - 1)
    spread = k * msc + (k * n - k - n) * mse
    low = n * (msr - f_low * mse) / (f_low * spread + n * msr)
    high = n * (f_high * msr - mse) / (spread + n * f_high * msr)
    return float(low), float(high)


def _rating_matrix(manager: IntArray, rater: IntArray, score: FloatArray) -> FloatArray:
    """The manager × rater matrix of one (competency, period) group (NaN where unrated).

    Managers and raters keep the order of their codes (category order; rater id, then role).
    """
    managers, row = np.unique(manager, return_inverse=True)
    raters, column = np.unique(rater, return_inverse=True)
    matrix = np.full((managers.size, raters.size), np.nan)
    matrix[row, column] = score
    return matrix


def _complete_block(present: BoolArray) -> tuple[BoolArray, BoolArray]:
    """Rows and columns of a complete sub-matrix, by the greedy rule of :func:`reliability`.

    A loop over managers and raters (each step drops one), with missing counts
    updated incrementally, so a step costs O(rows + columns).
    """
    missing = ~present
    n_rows, n_cols = missing.shape
    rows, cols = np.ones(n_rows, dtype=bool), np.ones(n_cols, dtype=bool)
    row_missing = missing.sum(axis=1).astype(np.int64)
    col_missing = missing.sum(axis=0).astype(np.int64)
    while n_rows and n_cols:
        row_share = np.where(rows, row_missing / n_cols, -1.0)
        col_share = np.where(cols, col_missing / n_rows, -1.0)
        worst_row, worst_col = int(np.argmax(row_share)), int(np.argmax(col_share))
        if max(row_share[worst_row], col_share[worst_col]) <= 0:
            break
        if col_share[worst_col] >= row_share[worst_row]:
            cols[worst_col] = False
            n_cols -= 1
            row_missing -= missing[:, worst_col]
        else:
            rows[worst_row] = False
            n_rows -= 1
            col_missing -= missing[worst_row, :]
    return rows, cols


def _group_reliability(matrix: FloatArray, min_targets: int) -> list[dict[str, Any]]:
    """The seven rows (six ICCs on the complete block, alpha on all) of one group."""
    present = ~np.isnan(matrix)
    keep_rows, keep_cols = _complete_block(present)
    block = matrix[keep_rows][:, keep_cols]
    n_t, n_r = block.shape
    full_t, full_r = matrix.shape
    nothing = dict.fromkeys(("value", "f", "df1", "df2", "p_value", "ci_low", "ci_high"), np.nan)
    if n_t < min_targets or n_r < 2:
        note = (
            f"the complete block has {n_t} managers × {n_r} raters (of {full_t} × {full_r}); "
            f"the ICCs need at least {min_targets} managers all rated by the same 2 or more "
            "raters"
        )
        icc_rows = [dict(nothing) for _ in ICC_FORMS]
    else:
        result = _icc_statistics(block)
        note = f"complete block: {n_t} of {full_t} managers, {n_r} of {full_r} raters"
        if np.ptp(block) == 0:
            note = f"all scores in the complete block are equal, the ICCs are undefined; {note}"
        icc_rows = [{name: float(values[i]) for name, values in result.items()} for i in range(6)]
    rows = [
        {"statistic": form, **values, "n_targets": n_t, "n_raters": n_r, "note": note}
        for form, values in zip(ICC_FORMS, icc_rows, strict=True)
    ]
    alpha, alpha_note = _interval_alpha(matrix, present)
    alpha_row = {**nothing, "value": alpha, "n_targets": full_t, "n_raters": full_r}
    rows.append({"statistic": _ALPHA, **alpha_row, "note": alpha_note})
    return rows


def _interval_alpha(matrix: FloatArray, present: BoolArray) -> tuple[float, str]:
    """Krippendorff's interval alpha of a units × coders matrix, or NaN and why not."""
    import krippendorff  # imported here, as scipy.stats is: only reliability needs it

    if not (present.sum(axis=1) >= 2).any():
        return math.nan, "no manager has ratings from two raters; alpha needs pairable ratings"
    unit, coder = np.nonzero(present)
    domain, value = np.unique(matrix[unit, coder], return_inverse=True)
    if domain.size < 2:
        return math.nan, "all ratings are equal; alpha is undefined"
    counts = np.zeros((matrix.shape[0], domain.size), dtype=np.int64)
    np.add.at(counts, (unit, value), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = float(
            krippendorff.alpha(
                value_counts=counts, value_domain=domain, level_of_measurement="interval"
            )
        )
    if not math.isfinite(alpha):
        return math.nan, "the pairable ratings do not vary; alpha is undefined"
    return alpha, ""
