"""Scoring one record with plain Python floats: the low-latency path for services.

The arithmetic mirrors the vectorised kernels of ``_fitted`` and ``_aggregate``
step by step, so :meth:`FittedScorecard.score_one` agrees with
:meth:`FittedScorecard.score` (to rounding; a test checks it).
"""

from __future__ import annotations

import array
import bisect
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from ..errors import DataValidationError

if TYPE_CHECKING:
    from ._fitted import FittedScorecard

#: Scores this close below a grade's threshold reach it: the single-record and the
#: frame paths round differently in the last bits, and must grade alike.
GRADE_TOLERANCE: Final = 1e-9
#: A population score this close above a record's score counts as "at most" it in
#: ``population_percentile``, for the same reason.
POPULATION_TOLERANCE: Final = GRADE_TOLERANCE

Normalizer = Callable[[float], float]
_SQRT2 = math.sqrt(2.0)


def scalar_scorer(fitted: FittedScorecard) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function scoring one mapping of metric values, built once per fitted scorecard."""
    card = fitted.scorecard
    metrics = card.metrics
    params = fitted.params_
    criteria = card.criteria
    normalizers = [_normalizer(fitted, j, criteria[j]) for j in range(len(metrics))]
    weights = [float(w) for w in fitted.weights_]
    medians = [float(m) for m in params["median"]]
    ideal = [float(v) for v in params["ideal"]]
    anti = [float(v) for v in params["anti"]]
    negated = [-t for t in fitted.thresholds_]
    grades = card.grading.grades
    # bisect on a flat array of doubles: compact, and about 0.5 µs even among a million
    # scores, half the time of a list of floats or of an ndarray (boxing each probe);
    # empty when the scorecard was read from JSON that predates population scores
    scores = fitted.population_scores_
    population = array.array("d", b"" if scores is None else scores.astype(np.float64).tobytes())
    population_size = len(population)
    policy = card.missing
    aggregation = card.aggregation
    floor = card.geometric_floor
    norm_keys = [f"{m}_norm" for m in metrics]
    contribution_keys = [f"{m}_contribution" for m in metrics]
    columns = list(zip(metrics, normalizers, medians, strict=True))

    def score_one(record: Mapping[str, Any]) -> dict[str, Any]:
        norms: list[float | None] = []
        missing = []
        not_finite = []
        for metric, normalize, median in columns:
            value = _number(record.get(metric), metric)
            if value is not None and math.isinf(value):
                not_finite.append(metric)
                value = None
            if value is None:
                missing.append(metric)
                if policy != "median":
                    norms.append(None)
                    continue
                value = median
            norm = normalize(value)
            if math.isnan(norm):  # the criterion places nobody: no value in the population
                if metric not in missing:
                    missing.append(metric)
                norms.append(None)
                continue
            norms.append(norm)
        if missing and policy == "reject":
            norms = [None] * len(norms)
        if aggregation == "weighted_sum":
            score = _weighted_sum(norms, weights)
        elif aggregation == "geometric":
            score = _geometric(norms, weights, floor)
        else:
            score = _topsis(norms, weights, ideal, anti)
        out: dict[str, Any] = {}
        terms = [0.0 if n is None else n * w for n, w in zip(norms, weights, strict=True)]
        if not sum(terms) > 0:
            terms = [0.0 if n is None else w for n, w in zip(norms, weights, strict=True)]
        total = sum(terms)
        points = None if score is None else 100 * score
        for n, term, norm_key, contribution_key in zip(
            norms, terms, norm_keys, contribution_keys, strict=True
        ):
            out[norm_key] = n
            if n is None or points is None:
                out[contribution_key] = None
            else:
                out[contribution_key] = (term / total if total > 0 else 0.0) * points
        out["score"] = points
        out["grade"] = (
            None
            if points is None
            else grades[bisect.bisect_left(negated, -(points + GRADE_TOLERANCE))]
        )
        if points is None or not population_size:
            out["population_percentile"] = None
        else:
            at_most = bisect.bisect_right(population, points + POPULATION_TOLERANCE)
            # 100 × count / n in score()'s order of operations: both agree to the last bit
            out["population_percentile"] = 100 * at_most / population_size
        out["missing"] = missing
        out["not_finite"] = not_finite
        return out

    return score_one


def _number(value: Any, metric: str) -> float | None:
    """A record's value as a float (infinity included); ``None`` when absent, empty or NaN."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"score_one: {metric}={value!r} is not a number; pass numbers (or None for missing)"
        ) from None
    return None if math.isnan(number) else number


def _normalizer(fitted: FittedScorecard, j: int, criterion: Any) -> Normalizer:
    """The scalar form of ``FittedScorecard._normalize_column`` for criterion ``j``."""
    p = fitted.params_.iloc[j]
    method = fitted.scorecard.normalization
    higher = bool(p["direction"] > 0)
    lower_bound, upper_bound = float(p["lower"]), float(p["upper"])
    floor, cap = criterion.floor, criterion.cap

    def clipped(x: float) -> float:
        if floor is not None and x < floor:
            return float(floor)
        if cap is not None and x > cap:
            return float(cap)
        return x

    if method == "target":
        target = float(p["center"])

        def up(x: float) -> float:
            if higher:
                return min(max(x / target, 0.0), 1.0)
            return 1.0 if x <= 0 else min(max(target / x, 0.0), 1.0)

        return lambda x: up(clipped(x))
    if method != "goalposts" and math.isnan(lower_bound):
        return lambda x: math.nan  # nobody in the population had a value: it places nobody
    if method in ("minmax", "goalposts"):
        span = upper_bound - lower_bound

        def up(x: float) -> float:
            if method == "goalposts":
                x = min(max(x, lower_bound), upper_bound)
            return 0.5 if span <= 0 else min(max((x - lower_bound) / span, 0.0), 1.0)

    elif method == "zscore":
        center, scale = float(p["center"]), float(p["scale"])

        def up(x: float) -> float:
            return 0.5 if not scale > 0 else 0.5 * math.erfc(-((x - center) / scale) / _SQRT2)

    else:
        grid, percentiles = (a.tolist() for a in fitted.grids_[fitted.scorecard.metrics[j]])

        def up(x: float) -> float:
            i = bisect.bisect_right(grid, x)
            if i == 0:
                return 0.0 if x < grid[0] else percentiles[0]
            if i == len(grid):
                return percentiles[-1] if x == grid[-1] else 1.0
            x0, x1 = grid[i - 1], grid[i]
            return percentiles[i - 1] + (x - x0) * (percentiles[i] - percentiles[i - 1]) / (x1 - x0)

    if higher:
        return lambda x: up(clipped(x))
    return lambda x: 1.0 - up(clipped(x))


def _weighted_sum(norms: list[float | None], weights: list[float]) -> float | None:
    total = present = 0.0
    for n, w in zip(norms, weights, strict=True):
        if n is not None:
            total += w * n
            present += w
    return min(max(total / present, 0.0), 1.0) if present > 0 else None


def _geometric(norms: list[float | None], weights: list[float], floor: float) -> float | None:
    total = present = 0.0
    for n, w in zip(norms, weights, strict=True):
        if n is not None:
            total += w * math.log(max(n, floor))
            present += w
    return math.exp(total / present) if present > 0 else None


def _topsis(
    norms: list[float | None], weights: list[float], ideal: list[float], anti: list[float]
) -> float | None:
    d_plus = d_minus = 0.0
    weighted = False
    for n, w, best, worst in zip(norms, weights, ideal, anti, strict=True):
        if n is None:
            continue
        v = min(max(n, worst), best)
        d_plus += w * w * (v - best) ** 2
        d_minus += w * w * (v - worst) ** 2
        weighted = weighted or w > 0
    if not weighted:
        return None
    d_plus, d_minus = math.sqrt(d_plus), math.sqrt(d_minus)
    spread = d_plus + d_minus
    return min(max(d_minus / spread, 0.0), 1.0) if spread > 0 else 1.0
