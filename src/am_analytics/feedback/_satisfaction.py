"""Satisfaction per manager: CSAT with an interval and an empirical-Bayes adjusted value, NPS."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy.special import ndtri, stdtrit

from .._checks import require_columns
from ..errors import DataValidationError
from ..metrics._feedback import (
    _adjusted,
    _answers,
    _csat_stats,
    _divide,
    _shrink_weight,
    _shrinkage_prior,
)
from ..periods import DateLike, PeriodLike, period_window, to_period
from ._common import FloatArray, _group_codes, _in_window

#: The CSAT scale of the surveys table; interval ends are clipped to it.
CSAT_SCALE: Final = (1.0, 5.0)


_Z95: Final = float(ndtri(0.975))


def satisfaction(
    surveys: pd.DataFrame,
    *,
    period: PeriodLike,
    by: str = "manager_id",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """CSAT and NPS per manager (or other group) for one period, with their uncertainty.

    Parameters
    ----------
    surveys
        A surveys table: ``survey_date``, the ``by`` column and the answers
        ``csat`` (1..5) and/or ``nps`` (0..10), either possibly missing.
    period
        ``"2026Q3"``, ``"2026-07"``, ``"2026"`` or a :class:`pandas.Period`;
        surveys dated in its window count.
    by
        The grouping column. When it is categorical (``manager_id`` of a
        validated table) every category gets a row, answered or not.
    as_of
        Count only surveys up to and including this day.

    Returns
    -------
    pandas.DataFrame
        One row per group, indexed by ``by``. ``attrs["csat_prior"]`` holds
        the prior of the shrinkage: ``mean``, ``between_var`` (tau^2),
        ``within_var`` (sigma^2) and ``strength`` (sigma^2 / tau^2, in responses).

    Raises
    ------
    DataValidationError
        If ``survey_date`` or ``by`` is missing, or neither ``csat`` nor ``nps``.
    ConfigError
        If the period cannot be read or ``as_of`` is before it.

    Notes
    -----
    Output columns:

    ``responses``
        Survey rows in the window (int).
    ``csat_responses``, ``nps_responses``
        Rows that answered CSAT, NPS (int).
    ``csat_mean``, ``csat_low``, ``csat_high``
        Mean CSAT and its 95% Student *t* interval, mean +- t(0.975, n-1) s/sqrt(n),
        clipped to the 1..5 scale. NaN without answers; the interval is NaN with
        one answer (no spread to estimate). Identical answers give a zero-width
        interval: the *t* interval knows no better, which is one more reason to
        rank by ``csat_adjusted``.
    ``csat_adjusted``
        The mean shrunk toward the population under a normal-normal model,
        ``prior_mean + w (csat_mean - prior_mean)``, ``w = n / (n + sigma^2/tau^2)``
        (see below). Groups without answers get the prior mean.
    ``csat_weight``
        ``w``, the weight of the group's own mean (0..1).
    ``nps``, ``nps_low``, ``nps_high``
        ``100 (promoters - detractors) / n`` and its 95% adjusted Wald
        interval (Rocks 2016, "Interval estimation for the 'Net Promoter
        Score'", The American Statistician 70(4)): add 3/4 to the promoters,
        3/4 to the detractors and 3 to ``n``, then take
        ``(p - d) +- 1.96 sqrt((p + d - (p - d)^2) / n)`` with the multinomial
        variance of the difference of shares, clipped to -100..100. The
        pseudo-counts keep the interval honest where the plain Wald interval
        collapses to a point (all promoters, one answer). NaN without answers.
    ``promoters``, ``passives``, ``detractors``
        Answers of 9-10, 7-8 and 0-6 (int).

    The shrinkage is empirical Bayes. ``sigma^2`` is the pooled within-group
    variance of CSAT (sum of squares around each group's mean over
    ``sum(n - 1)``). ``tau^2``, the variance of the true group means, is the
    DerSimonian-Laird method-of-moments estimate: with ``v_i = sigma^2/n_i``,
    weights ``1/v_i`` and Cochran's ``Q`` of the group means around their
    weighted mean, ``tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))``
    over the ``k`` groups with answers. The prior mean is the
    random-effects mean ``sum(mean_i / (v_i + tau^2)) / sum(1 / (v_i + tau^2))``.
    The prior strength ``sigma^2 / tau^2`` reads as a number of responses: a
    group with that many answers is weighted half its own mean, half the
    population. When ``tau^2`` is estimated as 0 (the spread of the group
    means is no more than noise would give) every group gets the prior mean:
    the data give no evidence to rank anyone apart. With fewer than two
    answered groups ``tau^2 = 0``. When no group has two answers the pooled
    variance cannot be formed and the variance of all answers stands in for
    it (an upper bound, so it shrinks more, not less); when it is 0 (all
    answers equal) nothing is shrunk.

    Examples
    --------
    >>> surveys = pd.DataFrame({
    ...     "manager_id": pd.Categorical(["A", "A", "B", "B"], categories=["A", "B", "C"]),
    ...     "survey_date": pd.to_datetime(["2026-07-01"] * 4),
    ...     "csat": [1.0, 3.0, 3.0, 5.0], "nps": [10.0, 6.0, 9.0, 8.0]})
    >>> s = satisfaction(surveys, period="2026Q3")
    >>> s[["responses", "csat_mean", "csat_adjusted", "nps"]]
                responses  csat_mean  csat_adjusted    nps
    manager_id
    A                   2        2.0            2.5    0.0
    B                   2        4.0            3.5   50.0
    C                   0        NaN            3.0    NaN
    >>> s.attrs["csat_prior"]["strength"]
    2.0
    """
    require_columns(surveys, ["survey_date", by], "surveys")
    if "csat" not in surveys.columns and "nps" not in surveys.columns:
        raise DataValidationError(
            "surveys has neither a csat nor an nps column, so there is no satisfaction "
            "to summarise; add at least one of them",
            missing={"surveys": ["csat", "nps"]},
        )
    window = period_window(to_period(period), as_of=as_of)
    rows = surveys.iloc[np.flatnonzero(_in_window(surveys["survey_date"], window))]
    codes, groups = _group_codes(rows[by])
    k = len(groups)
    csat_n, csat_mean, csat_ss = _csat_stats(codes, _answers(rows, "csat"), k)
    prior = _shrinkage_prior(csat_n, csat_mean, csat_ss)
    weight = _shrink_weight(csat_n, prior)
    csat_low, csat_high = _t_interval(csat_n, csat_mean, csat_ss)
    nps = _nps_stats(codes, _answers(rows, "nps"), k)
    frame = pd.DataFrame(
        {
            "responses": np.bincount(codes[codes >= 0], minlength=k).astype(np.int64),
            "csat_responses": csat_n.astype(np.int64),
            "csat_mean": csat_mean,
            "csat_low": csat_low,
            "csat_high": csat_high,
            "csat_adjusted": _adjusted(csat_mean, weight, prior),
            "csat_weight": weight,
            **nps,
        },
        index=groups,
    )
    frame.attrs["csat_prior"] = prior.as_dict()
    return frame


def _t_interval(n: FloatArray, mean: FloatArray, ss: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The 95% Student t interval of each mean, clipped to the CSAT scale; NaN for n < 2."""
    low = np.full(len(n), np.nan)
    high = np.full(len(n), np.nan)
    ok = n >= 2
    se = np.sqrt(ss[ok] / (n[ok] - 1) / n[ok])
    half = stdtrit(n[ok] - 1, 0.975) * se
    low[ok] = np.clip(mean[ok] - half, *CSAT_SCALE)
    high[ok] = np.clip(mean[ok] + half, *CSAT_SCALE)
    return low, high


def _nps_stats(codes: np.ndarray, nps: FloatArray, n_groups: int) -> dict[str, np.ndarray]:
    """NPS with its Wald interval, and the promoter / passive / detractor counts."""
    answered = (codes >= 0) & ~np.isnan(nps)
    groups, values = codes[answered], nps[answered]
    promoters = np.bincount(groups[values >= 9], minlength=n_groups)
    detractors = np.bincount(groups[values <= 6], minlength=n_groups)
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)
    p, d = _divide(promoters.astype(np.float64), n), _divide(detractors.astype(np.float64), n)
    # adjusted Wald (Rocks 2016): 3/4 pseudo-promoter and -detractor, 3 pseudo-answers
    n_adj = n + 3
    p_adj, d_adj = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    half = _Z95 * np.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj)
    centre = np.where(n > 0, p_adj - d_adj, np.nan)
    return {
        "nps_responses": n.astype(np.int64),
        "nps": 100 * (p - d),
        "nps_low": np.clip(100 * (centre - half), -100, 100),
        "nps_high": np.clip(100 * (centre + half), -100, 100),
        "promoters": promoters.astype(np.int64),
        "passives": (n - promoters - detractors).astype(np.int64),
        "detractors": detractors.astype(np.int64),
    }
