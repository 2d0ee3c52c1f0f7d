"""How robust a ranking is to the choices behind it: Monte Carlo over weights and methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ._fitted import FittedScorecard, read_columns
from ._fitting import fit_scorecard
from ._one import GRADE_TOLERANCE
from ._scorecard import Aggregation, Normalization


@dataclass(frozen=True)
class Sensitivity:
    """The result of :func:`sensitivity`.

    Attributes
    ----------
    managers
        Per scored manager: ``score``, ``rank`` and ``grade`` under the fitted
        scorecard; ``median_rank``, ``rank_p05`` and ``rank_p95`` (the 5-95 %
        interval of the rank over the draws) and ``p_same_grade`` (share of
        draws in which the manager keeps that grade).
    mean_abs_rank_shift
        Mean over draws and managers of |rank in the draw − fitted rank|.
    n_draws
        The number of draws.
    """

    managers: pd.DataFrame
    mean_abs_rank_shift: float
    n_draws: int


def sensitivity(
    fitted: FittedScorecard,
    frame: pd.DataFrame,
    *,
    n: int = 1000,
    weight_noise: float = 0.2,
    normalizations: Sequence[Normalization] = (),
    aggregations: Sequence[Aggregation] = (),
    seed: int = 0,
) -> Sensitivity:
    """Monte Carlo robustness of the ranks and grades of ``fitted`` on ``frame``.

    Each draw multiplies every weight by an independent factor uniform on
    ``[1 − weight_noise, 1 + weight_noise]`` and renormalises them to sum 1
    (the uncertainty analysis of the OECD/JRC Handbook on Constructing
    Composite Indicators, 2008, ch. 7). When ``normalizations`` or
    ``aggregations`` are given, each draw also picks one method uniformly among
    the fitted scorecard's own and those listed; the alternatives are fitted on
    ``frame``. Ranks within a draw are ordinal (ties by row order); grades use
    the fitted score bands, or the forced distribution's quotas applied to the
    draw's ranking.

    Returns
    -------
    Sensitivity
        Per-manager rank intervals and grade stability, and the overall mean
        absolute rank shift.

    Examples
    --------
    >>> import pandas as pd
    >>> from am_analytics.scoring import Scorecard, Criterion
    >>> frame = pd.DataFrame({"sales_amount": [1.0, 2, 3, 4], "csat_mean": [4.0, 3, 2, 1]})
    >>> card = Scorecard([Criterion("sales_amount", weight=2), Criterion("csat_mean", weight=1)])
    >>> result = sensitivity(card.fit(frame), frame, n=200)
    >>> result.managers["median_rank"].tolist()
    [4.0, 3.0, 2.0, 1.0]
    """
    if n < 1:
        raise ConfigError(f"n must be at least 1 draw, not {n}")
    if not 0 <= weight_noise < 1:
        raise ConfigError(f"weight_noise must be in [0, 1), not {weight_noise}")
    base = fitted.score(frame)
    scored = base["score"].notna().to_numpy()
    rng = np.random.default_rng(seed)
    weights = fitted.weights_.to_numpy() * rng.uniform(
        1 - weight_noise, 1 + weight_noise, size=(n, len(fitted.weights_))
    )
    weights /= weights.sum(axis=1, keepdims=True)
    scores = _draw_scores(fitted, frame, weights, normalizations, aggregations, rng)[:, scored]
    ranks = _ordinal_ranks(scores)
    base_rank = base["rank"].to_numpy(dtype=np.float64)[scored]
    base_grade = base["grade"].cat.codes.to_numpy()[scored]
    grades = _draw_grades(fitted, scores, ranks)
    managers = pd.DataFrame(
        {
            "score": base["score"].to_numpy()[scored],
            "rank": base["rank"].to_numpy()[scored],
            "grade": base["grade"].to_numpy()[scored],
            "median_rank": np.median(ranks, axis=0),
            "rank_p05": np.percentile(ranks, 5, axis=0),
            "rank_p95": np.percentile(ranks, 95, axis=0),
            "p_same_grade": (grades == base_grade).mean(axis=0),
        },
        index=frame.index[scored],
    )
    shift = float(np.abs(ranks - base_rank).mean()) if ranks.size else float("nan")
    return Sensitivity(managers=managers, mean_abs_rank_shift=shift, n_draws=n)


def _draw_scores(
    fitted: FittedScorecard,
    frame: pd.DataFrame,
    weights: np.ndarray,
    normalizations: Sequence[Normalization],
    aggregations: Sequence[Aggregation],
    rng: np.random.Generator,
) -> np.ndarray:
    """Scores per draw and row (draws × rows), each draw with its weights and methods."""
    card = fitted.scorecard
    variants = [
        (norm_method, agg)
        for norm_method in dict.fromkeys((card.normalization, *normalizations))
        for agg in dict.fromkeys((card.aggregation, *aggregations))
    ]
    choice = rng.integers(len(variants), size=len(weights))
    columns = read_columns(card, frame)
    scores = np.empty((len(weights), len(frame)))
    for v, (norm_method, agg) in enumerate(variants):
        draws = np.flatnonzero(choice == v)
        if not len(draws):
            continue
        variant = fitted
        if (norm_method, agg) != (card.normalization, card.aggregation):
            options = {"normalization": norm_method, "aggregation": agg, "weighting": "equal"}
            variant = fit_scorecard(card.with_options(**options), frame)
        norms, _ = variant._normalized(columns)
        scores[draws] = 100 * variant._aggregate(norms, weights[draws])
    return scores


def _ordinal_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score within each draw (row); ties by column order."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1)[None, :], axis=1)
    return ranks.astype(np.float64)


def _draw_grades(fitted: FittedScorecard, scores: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Grade codes per draw: fixed bands, or the forced distribution's quotas by rank."""
    grading = fitted.scorecard.grading
    if grading.bands is not None:
        thresholds = -np.asarray(fitted.thresholds_)
        return np.searchsorted(thresholds, -(scores + GRADE_TOLERANCE), side="left")
    shares = np.cumsum([share for _, share in grading.distribution or ()])[:-1]
    quotas = np.floor(shares * scores.shape[1] + 0.5 + 1e-9)
    return np.searchsorted(quotas, ranks - 1, side="right")
