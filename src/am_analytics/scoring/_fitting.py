"""Fitting a scorecard: learn bounds, rank grids, weights and grade thresholds from a population."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ._fitted import FittedScorecard, Reading, read_criteria
from ._pca import pca_weights
from ._scorecard import Scorecard
from ._weights import ahp_weights, critic_weights, entropy_weights

__all__ = ["fit_scorecard"]

#: Most points kept of a criterion's empirical distribution under ``rank``.
RANK_GRID_POINTS: Final = 10_001


def fit_scorecard(card: Scorecard, frame: pd.DataFrame) -> FittedScorecard:
    """Fit ``card`` on the population ``frame`` (see :meth:`Scorecard.fit`)."""
    return _fitted_and_reading(card, frame)[0]


def fit_and_score(card: Scorecard, frame: pd.DataFrame) -> tuple[FittedScorecard, pd.DataFrame]:
    """Fit ``card`` on ``frame`` and score it (see :meth:`Scorecard.fit_score`)."""
    fitted, reading = _fitted_and_reading(card, frame)
    return fitted, fitted._table(frame, reading)


def _fitted_and_reading(card: Scorecard, frame: pd.DataFrame) -> tuple[FittedScorecard, Reading]:
    """The scorecard fitted on ``frame``, and ``frame`` read and scored as its score() would.

    Fitting normalises and aggregates every row of the population (the grade
    thresholds and population percentiles need their scores): the same numbers
    ``score`` computes from the fitted scorecard.
    """
    # only read here: float64 columns stay views of the frame rather than copies
    columns, infinite = read_criteria(card, frame, share=True)
    if len(frame) == 0:
        raise ConfigError("cannot fit a scorecard on an empty frame; it needs a population")
    spreads = _spreads(card, columns)
    params = _normalization_params(card, columns, spreads)
    grids = {s.metric: s.grid for s in spreads if s.grid is not None}
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
    norms, missing = unweighted._normalized(columns)
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
    scores = unweighted._aggregate(norms, weights.to_numpy())
    scores *= 100  # in place on the new array: the same numbers as score()'s 100 * points
    unscored = np.isnan(scores)
    population = np.sort(scores[~unscored] if unscored.any() else scores)
    fitted = FittedScorecard(
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
    return fitted, Reading(columns, infinite, norms, missing, scores)


@dataclass(frozen=True, slots=True)
class _Spread:
    """What one sort of a criterion's values gives: its range, its median, its rank grid."""

    metric: str
    lower: float
    upper: float
    median: float
    grid: tuple[np.ndarray, np.ndarray] | None


def _spreads(card: Scorecard, columns: list[np.ndarray]) -> list[_Spread]:
    """Each criterion's :class:`_Spread` (with its rank grid under ``rank``).

    The criteria are sorted one after another in one buffer: past a few million
    rows a new array per criterion is fresh memory from the kernel, slower to
    touch than to sort.
    """
    buffer = np.empty(len(columns[0]) if columns else 0)
    spreads = []
    for metric, x in zip(card.metrics, columns, strict=True):
        np.copyto(buffer, x)
        buffer.sort()  # NaN sorts to the end: cut off rather than gather the values first
        ordered = buffer[: len(x) - np.count_nonzero(np.isnan(x))]
        present = len(ordered) > 0
        spreads.append(
            _Spread(
                metric,
                lower=ordered[0] if present else np.nan,
                upper=ordered[-1] if present else np.nan,
                median=_sorted_median(ordered),
                grid=_rank_grid(ordered) if card.normalization == "rank" else None,
            )
        )
    return spreads


def _normalization_params(
    card: Scorecard, columns: list[np.ndarray], spreads: list[_Spread]
) -> pd.DataFrame:
    """Direction, bounds, centre, scale and median of each criterion in the population."""
    criteria = card.criteria
    direction = [1.0 if c.resolved_direction == "higher" else -1.0 for c in criteria]
    if card.normalization == "goalposts":
        lower = np.array([c.floor for c in criteria], dtype=float)
        upper = np.array([c.cap for c in criteria], dtype=float)
    else:
        lower = np.array([s.lower for s in spreads])
        upper = np.array([s.upper for s in spreads])
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
            "median": [s.median for s in spreads],
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


def _rank_grid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A criterion's distinct values and their mid-rank percentiles, from its sorted values.

    The mid-rank percentile of a value is (values below + half the values
    equal) / n. Values between two population values are interpolated
    linearly; below the minimum they score 0, above the maximum 1. Past
    :data:`RANK_GRID_POINTS` distinct values the grid keeps evenly spaced ones
    (by position among the distinct values), so the fitted object stays small.
    """
    if not len(x):  # nobody has a value: the criterion cannot place anyone
        nobody = np.empty(0)
        return nobody, nobody
    changes = x[1:] != x[:-1]
    if np.count_nonzero(changes) == len(changes):
        # every value distinct (a continuous criterion): the k-th distinct value
        # starts at k, so no row-length list of starts is needed
        starts = _kept_positions(len(x))
        ends = starts + 1
    else:
        starts = np.flatnonzero(np.r_[True, changes])
        ends = np.r_[starts[1:], len(x)]
        keep = _kept_positions(len(starts))
        starts, ends = starts[keep], ends[keep]
    counts = ends - starts
    # x[starts] gathers a copy: the grid holds nothing of the sort buffer
    return x[starts], (starts + counts / 2) / max(len(x), 1)


def _kept_positions(n_values: int) -> np.ndarray:
    """Which of ``n_values`` distinct values a grid keeps: all, or :data:`RANK_GRID_POINTS`
    evenly spaced (by position) past that."""
    if n_values <= RANK_GRID_POINTS:
        return np.arange(n_values)
    return np.unique(np.linspace(0, n_values - 1, RANK_GRID_POINTS).round().astype(int))


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
