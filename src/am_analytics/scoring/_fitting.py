"""Fitting a scorecard: learn bounds, rank grids, weights and grade thresholds from a population."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ._fitted import FittedScorecard, read_columns
from ._pca import pca_weights
from ._scorecard import Scorecard
from ._weights import ahp_weights, critic_weights, entropy_weights

__all__ = ["fit_scorecard"]

#: Most points kept of a criterion's empirical distribution under ``rank``.
RANK_GRID_POINTS: Final = 10_001


def fit_scorecard(card: Scorecard, frame: pd.DataFrame) -> FittedScorecard:
    """Fit ``card`` on the population ``frame`` (see :meth:`Scorecard.fit`)."""
    columns = read_columns(card, frame)
    if len(frame) == 0:
        raise ConfigError("cannot fit a scorecard on an empty frame; it needs a population")
    # one sort per criterion gives its range, its median and its rank grid
    # (numpy sorts NaN to the end: cut them off rather than gather the values first)
    ordered = [np.sort(x)[: len(x) - np.count_nonzero(np.isnan(x))] for x in columns]
    params = _normalization_params(card, columns, ordered)
    grids = _rank_grids(card, ordered) if card.normalization == "rank" else {}
    unweighted = FittedScorecard(
        scorecard=card,
        weights_=pd.Series(np.nan, index=list(card.metrics)),
        params_=params,
        grids_=grids,
        thresholds_=(),
        median_score_=math.nan,
        consistency_ratio_=math.nan,
        notes_=(),
        n_fitted_=len(frame),
    )
    norms, _ = unweighted._normalized(columns)
    params["median_norm"] = [
        unweighted._normalize_column(j, np.array([median]))[0]
        for j, median in enumerate(params["median"])
    ]
    if card.aggregation == "topsis":
        params["ideal"] = _column_stat(norms, np.nanmax, empty=1.0)
        params["anti"] = _column_stat(norms, np.nanmin, empty=0.0)
    else:
        params["ideal"], params["anti"] = 1.0, 0.0
    weights, consistency, notes = _fit_weights(card, norms)
    scores = 100 * unweighted._aggregate(norms, weights.to_numpy())
    population = np.sort(scores[~np.isnan(scores)])
    return FittedScorecard(
        scorecard=card,
        weights_=weights,
        params_=params,
        grids_=grids,
        thresholds_=_grade_thresholds(card, population),
        median_score_=_sorted_median(population),
        consistency_ratio_=consistency,
        notes_=tuple(notes),
        n_fitted_=len(frame),
        population_scores_=population,
        _population=frame,
    )


def _normalization_params(
    card: Scorecard, columns: list[np.ndarray], ordered: list[np.ndarray]
) -> pd.DataFrame:
    """Direction, bounds, centre, scale and median of each criterion in the population.

    ``ordered`` holds each criterion's values present, sorted.
    """
    criteria = card.criteria
    direction = [1.0 if c.resolved_direction == "higher" else -1.0 for c in criteria]
    if card.normalization == "goalposts":
        lower = np.array([c.floor for c in criteria], dtype=float)
        upper = np.array([c.cap for c in criteria], dtype=float)
    else:
        lower = np.array([x[0] if len(x) else np.nan for x in ordered])
        upper = np.array([x[-1] if len(x) else np.nan for x in ordered])
    center = scale = np.full(len(criteria), np.nan)
    if card.normalization == "target":
        center = np.array([c.target for c in criteria], dtype=float)
    elif card.normalization == "zscore":
        center = _column_stat(columns, np.nanmean)
        # a constant column's sd can come out as rounding noise; it is exactly 0
        scale = np.where(upper > lower, _column_stat(columns, np.nanstd), 0.0)
    return pd.DataFrame(
        {
            "direction": direction,
            "lower": lower,
            "upper": upper,
            "center": center,
            "scale": scale,
            "median": [_sorted_median(x) for x in ordered],
        },
        index=list(card.metrics),
    )


def _sorted_median(ordered: np.ndarray) -> float:
    """``np.median`` of ascending values without its partition: the middle value(s)' mean."""
    n_values = len(ordered)
    if not n_values:
        return math.nan
    return float(np.mean(ordered[(n_values - 1) // 2 : n_values // 2 + 1]))


def _column_stat(
    columns: list[np.ndarray], stat: Callable[..., Any], *, empty: float = np.nan
) -> np.ndarray:
    """A NaN-ignoring statistic per column; ``empty`` for columns without values."""
    out = np.full(len(columns), empty)
    for j, column in enumerate(columns):
        if not np.isnan(column).all():
            out[j] = stat(column)
    return out


def _rank_grids(
    card: Scorecard, ordered: list[np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each criterion's distinct values and their mid-rank percentiles.

    The mid-rank percentile of a value is (values below + half the values
    equal) / n. Values between two population values are interpolated
    linearly; below the minimum they score 0, above the maximum 1. Past
    :data:`RANK_GRID_POINTS` distinct values the grid keeps evenly spaced ones
    (by position among the distinct values), so the fitted object stays small.
    """
    grids = {}
    for metric, x in zip(card.metrics, ordered, strict=True):
        if not len(x):  # nobody has a value: the criterion cannot place anyone
            grids[metric] = (x, x)
            continue
        starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
        ends = np.r_[starts[1:], len(x)]
        if len(starts) > RANK_GRID_POINTS:  # thinned before the percentiles are worked out
            keep = np.unique(np.linspace(0, len(starts) - 1, RANK_GRID_POINTS).round().astype(int))
            starts, ends = starts[keep], ends[keep]
        counts = ends - starts
        grids[metric] = (x[starts], (starts + counts / 2) / max(len(x), 1))
    return grids


def _fit_weights(card: Scorecard, norms: list[np.ndarray]) -> tuple[pd.Series, float, list[str]]:
    """The criteria's weights (summing to 1), the AHP consistency ratio, and notes."""
    metrics = list(card.metrics)
    notes: list[str] = []
    consistency = math.nan
    if card.weighting == "fixed":
        given = np.array([float(c.weight or 0.0) for c in card.criteria])
        weights = given / given.sum()
        if not math.isclose(given.sum(), 1.0, rel_tol=1e-9):
            notes.append(
                f"the fixed weights summed to {given.sum():g} and were normalised to sum 1"
            )
    elif card.weighting == "equal":
        weights = np.full(len(metrics), 1 / len(metrics))
    elif card.weighting == "ahp":
        matrix = np.asarray(card.pairwise, dtype=float)
        raw, consistency = ahp_weights(matrix, max_consistency_ratio=card.max_consistency_ratio)
        weights = np.asarray(raw, dtype=float)
        notes.append(f"AHP consistency ratio {consistency:.3f}")
    else:
        weights, note = _data_weights(card.weighting, metrics, np.column_stack(norms))
        notes.append(note)
    return pd.Series(weights, index=metrics, name="weight"), consistency, notes


_DATA_WEIGHTS: Final = {"entropy": entropy_weights, "critic": critic_weights, "pca": pca_weights}


def _data_weights(method: str, metrics: list[str], norm: np.ndarray) -> tuple[np.ndarray, str]:
    """Entropy, CRITIC or PCA weights from the population's complete normalised rows."""
    complete = norm[~np.isnan(norm).any(axis=1)]
    if len(complete) < 3:
        raise ConfigError(
            f"weighting={method!r} learns weights from the population, but only "
            f"{len(complete)} row(s) have every criterion; it needs at least 3. "
            "Use fixed or equal weights, or a larger population"
        )
    weights = _DATA_WEIGHTS[method](pd.DataFrame(complete, columns=metrics))
    note = f"{method} weights learned from {len(complete)} complete rows of the population"
    return weights.reindex(metrics).to_numpy(dtype=float), note


def _grade_thresholds(card: Scorecard, population: np.ndarray) -> tuple[float, ...]:
    """The lowest score of each grade but the last, best first, from the sorted ``population``.

    Bands give their minimums. A forced distribution gives, for each grade, the
    score of the last manager inside its cumulative quota (quota = share × n,
    rounded half up) in the population, so managers tied with that score get
    the better grade too; a grade whose cumulative quota is 0 gets +inf.
    """
    grading = card.grading
    if grading.bands is not None:
        return tuple(minimum for _, minimum in grading.bands[:-1])
    shares = np.cumsum([share for _, share in grading.distribution or ()])[:-1]
    ordered = population[::-1]
    quotas = np.floor(shares * len(ordered) + 0.5 + 1e-9).astype(int)
    return tuple(float(ordered[q - 1]) if q >= 1 else math.inf for q in quotas)
