"""A scorecard fitted on a population: scores any frame, one record, or explains one."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..errors import ConfigError
from ._aggregate import geometric, topsis, weighted_sum
from ._explain import Explanation, explain
from ._scorecard import Criterion, Scorecard
from ._weights import ahp_weights, critic_weights, entropy_weights, pca_weights

__all__ = ["Explanation", "FittedScorecard", "fit_scorecard"]

_FORMAT: Final = "am_analytics.FittedScorecard"
_VERSION: Final = 1
#: Most points kept of a criterion's empirical distribution under ``rank``.
RANK_GRID_POINTS: Final = 10_001
#: Scores this close below a grade's threshold reach it: the single-record and the
#: frame paths round differently in the last bits, and must grade alike.
GRADE_TOLERANCE: Final = 1e-9
_PARAMS: Final = ("lower", "upper", "center", "scale", "median", "median_norm", "ideal", "anti")


@dataclass(frozen=True, eq=False)
class FittedScorecard:
    """A :class:`Scorecard` with everything learned from its population.

    Made by :meth:`Scorecard.fit`; scores new frames (:meth:`score`) and single
    records (:meth:`score_one`) without the population, and round-trips through
    JSON (:meth:`to_json` / :meth:`from_json`) with identical scores.

    Attributes
    ----------
    scorecard
        The specification that was fitted.
    weights_
        The weight of each criterion (sums to 1), indexed by metric.
    params_
        Per criterion (rows, by metric): ``direction`` (+1 higher is better, -1
        lower), ``lower``/``upper`` (min and max, or the goalposts),
        ``center``/``scale`` (mean and standard deviation), ``median`` (raw),
        ``median_norm``, ``ideal`` / ``anti`` (TOPSIS points, normalised).
    grids_
        Under ``rank``: per metric, the population values and their mid-rank
        percentiles (thinned to at most :data:`RANK_GRID_POINTS` points).
    thresholds_
        The lowest score of each grade but the last, best first.
    median_score_
        The population's median score.
    consistency_ratio_
        The AHP consistency ratio (NaN for other weightings).
    notes_
        What fitting decided that a reader should know.
    n_fitted_
        Rows of the population.
    """

    scorecard: Scorecard
    weights_: pd.Series
    params_: pd.DataFrame
    grids_: Mapping[str, tuple[np.ndarray, np.ndarray]]
    thresholds_: tuple[float, ...]
    median_score_: float
    consistency_ratio_: float
    notes_: tuple[str, ...]
    n_fitted_: int
    _population: pd.DataFrame | None = field(default=None, repr=False)

    # -- scoring a frame -------------------------------------------------------

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Score every row of ``frame`` (a :func:`~am_analytics.metrics.manager_metrics` table).

        Returns
        -------
        pandas.DataFrame
            Same index as ``frame``. Per criterion ``<metric>_value`` (the value
            read), ``<metric>_norm`` (0..1, higher is better) and
            ``<metric>_contribution`` (points of the score); then ``score``
            (0..100), ``rank`` (1 = best; equal scores share the best rank),
            ``percentile`` (share of the scored rows scoring at most as much,
            in %), ``grade``, and ``missing`` (the criteria without a value,
            comma-separated).

        Notes
        -----
        Contributions add up to the score. Under ``weighted_sum`` each is
        ``100 × weight × norm`` (weights rescaled over the criteria present);
        under ``geometric`` and ``topsis`` the score is shared out in
        proportion to ``weight × norm``. Under ``missing="reject"`` a row with a
        missing value has no score, rank or grade.

        Examples
        --------
        >>> import pandas as pd
        >>> from am_analytics.scoring import Scorecard, Criterion
        >>> frame = pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]}, index=["a", "b", "c"])
        >>> fitted = Scorecard([Criterion("sales_amount", weight=1)]).fit(frame)
        >>> fitted.score(frame)["score"].tolist()
        [0.0, 50.0, 100.0]
        """
        values = read_values(self.scorecard, frame)
        norm, missing = self._normalized(values)
        weights = self.weights_.to_numpy()
        points = 100 * self._aggregate(norm, weights)
        contributions = _contributions(norm, weights, points)
        out = {}
        for j, metric in enumerate(self.scorecard.metrics):
            out[f"{metric}_value"] = values[:, j]
            out[f"{metric}_norm"] = norm[:, j]
            out[f"{metric}_contribution"] = contributions[:, j]
        result = pd.DataFrame(out, index=frame.index)
        score = pd.Series(points, index=frame.index)
        result["score"] = points
        result["rank"] = score.rank(ascending=False, method="min").astype("Int64")
        result["percentile"] = score.rank(pct=True, method="max") * 100
        result["grade"] = self.grades(points)
        result["missing"] = _missing_labels(missing, self.scorecard.metrics)
        return result

    def grades(self, scores: np.ndarray) -> pd.Categorical[Any]:
        """The grade of each score (missing where the score is)."""
        grades = self.scorecard.grading.grades
        position = np.searchsorted(
            -np.asarray(self.thresholds_), -(scores + GRADE_TOLERANCE), side="left"
        )
        codes = np.where(np.isnan(scores), -1, position)
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(grades)))

    def _normalized(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values on 0..1 (higher is better) and the mask of missing ones."""
        missing = np.isnan(values)
        if self.scorecard.missing == "median":
            values = np.where(missing, self.params_["median"].to_numpy(), values)
        norm = np.column_stack(
            [self._normalize_column(j, values[:, j]) for j in range(values.shape[1])]
        )
        if self.scorecard.missing == "reject":
            norm[missing.any(axis=1)] = np.nan
        return norm, missing

    def _normalize_column(self, j: int, x: np.ndarray) -> np.ndarray:
        """One criterion's normalised values (see :class:`Scorecard` for the methods)."""
        p = self.params_.iloc[j]
        method = self.scorecard.normalization
        higher = p["direction"] > 0
        if method == "target":
            target = p["center"]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = x / target if higher else np.where(x <= 0, 1.0, target / x)
            return np.clip(ratio, 0.0, 1.0)
        x = np.clip(x, p["lower"], p["upper"]) if method == "goalposts" else x
        if method in ("minmax", "goalposts"):
            span = p["upper"] - p["lower"]
            up = (x - p["lower"]) / span if span > 0 else np.where(np.isnan(x), np.nan, 0.5)
            up = np.clip(up, 0.0, 1.0)
        elif method == "zscore":
            up = ndtr((x - p["center"]) / p["scale"]) if p["scale"] > 0 else _half(x)
        else:
            grid, percentiles = self.grids_[self.scorecard.metrics[j]]
            up = np.where(np.isnan(x), np.nan, np.interp(x, grid, percentiles, 0.0, 1.0))
        return up if higher else 1.0 - up

    def _aggregate(self, norm: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Aggregate normalised rows into 0..1 (weights may be 2-D: draws × criteria)."""
        method = self.scorecard.aggregation
        if method == "geometric":
            return geometric(norm, weights, floor=self.scorecard.geometric_floor)
        if method == "topsis":
            return topsis(
                norm,
                weights,
                ideal=self.params_["ideal"].to_numpy(),
                anti_ideal=self.params_["anti"].to_numpy(),
            )
        return weighted_sum(norm, weights)

    # -- scoring one record -------------------------------------------------

    def score_one(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Score one record given as a plain mapping; returns a plain dict.

        This is the entry point for services: no pandas on the way, a few
        microseconds per call. Keys absent or ``None`` count as missing.

        Returns
        -------
        dict
            ``score`` (``None`` if unscored), ``grade``, ``missing`` (list of
            metrics), and per criterion ``<metric>_norm`` and
            ``<metric>_contribution``, equal to :meth:`score` on the same row.

        Examples
        --------
        >>> import pandas as pd
        >>> from am_analytics.scoring import Scorecard, Criterion
        >>> frame = pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]})
        >>> fitted = Scorecard([Criterion("sales_amount", weight=1)]).fit(frame)
        >>> fitted.score_one({"sales_amount": 25.0})["score"]
        75.0
        """
        return self._scalar_scorer(record)

    @property
    def _scalar_scorer(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        scorer = self.__dict__.get("_scorer")
        if scorer is None:
            from ._one import scalar_scorer

            scorer = scalar_scorer(self)
            object.__setattr__(self, "_scorer", scorer)
        return scorer

    # -- explaining ---------------------------------------------------------

    def explain(self, manager_id: Any, frame: pd.DataFrame | None = None) -> Explanation:
        """What lifted and what held back one manager's score, against the population median.

        Parameters
        ----------
        manager_id
            The row label in ``frame``.
        frame
            The metrics frame holding that manager; default: the population the
            scorecard was fitted on (not kept after :meth:`from_json`).

        Examples
        --------
        >>> import pandas as pd
        >>> from am_analytics.scoring import Scorecard, Criterion
        >>> frame = pd.DataFrame(
        ...     {"sales_amount": [10.0, 20, 30], "csat_mean": [4.0, 3, 5]}, index=list("abc")
        ... )
        >>> card = Scorecard(["sales_amount", "csat_mean"], weighting="equal")
        >>> print(card.fit(frame).explain("c"))
        c scores 100.0 (grade A, rank 1 of 3); the median manager scores 25.0.
        Lifted by: sales_amount 30 (median 20, +25.0 points); csat_mean 5 (median 4, +25.0 points).
        """
        if frame is None:
            if self._population is None:
                raise ConfigError(
                    "this scorecard was loaded from JSON and no longer holds its population; "
                    "pass the metrics frame: fitted.explain(manager_id, frame)"
                )
            frame = self._population
        if manager_id not in frame.index:
            raise ConfigError(f"{manager_id!r} is not a row of the frame; check the manager id")
        return explain(self, frame, manager_id)

    # -- persistence --------------------------------------------------------

    def to_json(self) -> str:
        """Everything needed to score, as JSON (floats written exactly).

        Examples
        --------
        >>> import pandas as pd
        >>> from am_analytics.scoring import Scorecard, Criterion
        >>> frame = pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]})
        >>> fitted = Scorecard([Criterion("sales_amount", weight=1)]).fit(frame)
        >>> FittedScorecard.from_json(fitted.to_json()).score_one({"sales_amount": 15})["score"]
        25.0
        """
        payload = {
            "format": _FORMAT,
            "version": _VERSION,
            "scorecard": self.scorecard.to_dict(),
            "weights": _floats(self.weights_.to_numpy()),
            "params": {k: _floats(self.params_[k].to_numpy()) for k in ("direction", *_PARAMS)},
            "grids": {m: [_floats(g), _floats(p)] for m, (g, p) in self.grids_.items()},
            "thresholds": _floats(np.asarray(self.thresholds_)),
            "median_score": _float(self.median_score_),
            "consistency_ratio": _float(self.consistency_ratio_),
            "notes": list(self.notes_),
            "n_fitted": self.n_fitted_,
        }
        return json.dumps(payload, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> FittedScorecard:
        """Rebuild a fitted scorecard from :meth:`to_json`'s output."""
        try:
            data = json.loads(text)
            if data.get("format") != _FORMAT:
                raise ValueError("not a fitted scorecard")
            if data.get("version") != _VERSION:
                raise ValueError(f"format version {data.get('version')}, expected {_VERSION}")
            card = Scorecard.from_dict(data["scorecard"], source="the fitted scorecard")
            metrics = list(card.metrics)
            params = pd.DataFrame({k: _array(v) for k, v in data["params"].items()}, index=metrics)
            return cls(
                scorecard=card,
                weights_=pd.Series(_array(data["weights"]), index=metrics, name="weight"),
                params_=params,
                grids_={m: (_array(g), _array(p)) for m, (g, p) in data["grids"].items()},
                thresholds_=tuple(np.nan_to_num(_array(data["thresholds"]), nan=math.inf)),
                median_score_=_nan(data["median_score"]),
                consistency_ratio_=_nan(data["consistency_ratio"]),
                notes_=tuple(data["notes"]),
                n_fitted_=int(data["n_fitted"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ConfigError(
                f"cannot read the fitted scorecard JSON: {error}; "
                "give the text written by FittedScorecard.to_json()"
            ) from None


def _floats(values: np.ndarray) -> list[float | None]:
    return [_float(v) for v in values.tolist()]


def _float(value: float) -> float | None:
    """JSON has no NaN or infinity: write them as null (infinite thresholds are +inf)."""
    return value if math.isfinite(value) else None


def _array(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _half(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), np.nan, 0.5)


def _contributions(norm: np.ndarray, weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points of the score per criterion: shares of ``weight × norm`` (see ``score``)."""
    present = ~np.isnan(norm)
    terms = np.where(present, norm, 0.0) * weights
    # a row at zero on every criterion (a geometric floor) shares by weight alone
    terms = np.where(terms.sum(axis=1, keepdims=True) > 0, terms, present * weights)
    total = terms.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total > 0, terms / total, 0.0)
    out = shares * points[:, None]
    out[~present] = np.nan
    return out


def _missing_labels(missing: np.ndarray, metrics: tuple[str, ...]) -> np.ndarray:
    """Comma-separated names of each row's missing criteria ("" when none)."""
    labels = np.full(missing.shape[0], "", dtype=object)
    for j, metric in enumerate(metrics):
        rows = missing[:, j]
        labels[rows] = np.where(labels[rows] == "", metric, labels[rows] + ", " + metric)
    return labels


# ---------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------


def read_values(card: Scorecard, frame: pd.DataFrame) -> np.ndarray:
    """The criteria's raw values as a float matrix, clipped to each floor/cap."""
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"expected a DataFrame of metrics, got {type(frame).__name__}")
    absent = [m for m in card.metrics if m not in frame.columns]
    if absent:
        raise ConfigError(
            f"the frame has no column for the criteria {absent}; its columns are "
            f"{list(frame.columns)}; compute them with manager_metrics() or drop the criteria"
        )
    columns = []
    for criterion in card.criteria:
        column = frame[criterion.metric]
        if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
            raise ConfigError(
                f"criterion {criterion.metric!r}: the column is {column.dtype}, not numeric"
            )
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        if criterion.floor is not None or criterion.cap is not None:
            x = np.clip(x, criterion.floor, criterion.cap)
        columns.append(x)
    values = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    values[~np.isfinite(values)] = np.nan
    return values


def fit_scorecard(card: Scorecard, frame: pd.DataFrame) -> FittedScorecard:
    """Fit ``card`` on the population ``frame`` (see :meth:`Scorecard.fit`)."""
    values = read_values(card, frame)
    if len(frame) == 0:
        raise ConfigError("cannot fit a scorecard on an empty frame; it needs a population")
    criteria = tuple(card.criteria)
    params = _normalization_params(card, criteria, values)
    grids = _rank_grids(card, values, params)
    unweighted = FittedScorecard(
        card, pd.Series(np.nan, index=list(card.metrics)), params, grids, (), math.nan,
        math.nan, (), len(frame),
    )  # fmt: skip
    norm, _ = unweighted._normalized(values)
    params["median_norm"] = _nanmedian(norm)
    params["ideal"] = _column_extreme(norm, np.nanmax, 1.0)
    params["anti"] = _column_extreme(norm, np.nanmin, 0.0)
    weights, consistency, notes = _fit_weights(card, criteria, norm)
    scores = 100 * unweighted._aggregate(norm, weights.to_numpy())
    return FittedScorecard(
        scorecard=card,
        weights_=weights,
        params_=params,
        grids_=grids,
        thresholds_=_grade_thresholds(card, scores),
        median_score_=float(np.nanmedian(scores)) if (~np.isnan(scores)).any() else math.nan,
        consistency_ratio_=consistency,
        notes_=tuple(notes),
        n_fitted_=len(frame),
        _population=frame,
    )


def _normalization_params(
    card: Scorecard, criteria: tuple[Criterion, ...], values: np.ndarray
) -> pd.DataFrame:
    """Direction, bounds, centre and scale of each criterion from the population."""
    direction = [1.0 if c.resolved_direction == "higher" else -1.0 for c in criteria]
    if card.normalization == "goalposts":
        lower = [float(c.floor) for c in criteria]  # type: ignore[arg-type]
        upper = [float(c.cap) for c in criteria]  # type: ignore[arg-type]
    else:
        lower, upper = _column_extreme(values, np.nanmin), _column_extreme(values, np.nanmax)
    if card.normalization == "target":
        center = np.array([float(c.target) for c in criteria])  # type: ignore[arg-type]
        scale = np.full(len(criteria), np.nan)
    else:
        center = _column_stat(values, np.nanmean)
        # a constant column's sd can come out as rounding noise; it is exactly 0
        scale = np.where(
            np.asarray(upper) > np.asarray(lower), _column_stat(values, np.nanstd), 0.0
        )
    params = pd.DataFrame(
        {"direction": direction, "lower": lower, "upper": upper, "center": center, "scale": scale},
        index=list(card.metrics),
    )
    params["median"] = _nanmedian(values)
    return params


def _column_stat(values: np.ndarray, stat: Callable[..., Any]) -> np.ndarray:
    """A NaN-ignoring statistic per column, NaN for columns without values."""
    present = (~np.isnan(values)).any(axis=0)
    out = np.full(values.shape[1], np.nan)
    if present.any():
        out[present] = stat(values[:, present], axis=0)
    return out


def _column_extreme(values: np.ndarray, stat: Callable[..., Any], empty: float = np.nan) -> Any:
    out = _column_stat(values, stat)
    return np.where(np.isnan(out), empty, out)


def _nanmedian(values: np.ndarray) -> np.ndarray:
    return _column_stat(values, np.nanmedian)


def _rank_grids(
    card: Scorecard, values: np.ndarray, params: pd.DataFrame
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each criterion's distinct values and their mid-rank percentiles (``rank`` only).

    The mid-rank percentile of a value is (values below + half the values
    equal) / n. Values between two population values are interpolated
    linearly; below the minimum they score 0, above the maximum 1. Past
    :data:`RANK_GRID_POINTS` distinct values the grid is thinned to evenly
    spaced points, so the fitted object stays small.
    """
    if card.normalization != "rank":
        return {}
    grids = {}
    for j, metric in enumerate(card.metrics):
        x = values[:, j]
        x = x[~np.isnan(x)]
        grid, counts = np.unique(x, return_counts=True)
        below = np.cumsum(counts) - counts
        percentiles = (below + counts / 2) / max(len(x), 1)
        if len(grid) > RANK_GRID_POINTS:
            keep = np.unique(np.linspace(0, len(grid) - 1, RANK_GRID_POINTS).round().astype(int))
            grid, percentiles = grid[keep], percentiles[keep]
        grids[metric] = (grid, percentiles)
    return grids


def _fit_weights(
    card: Scorecard, criteria: tuple[Criterion, ...], norm: np.ndarray
) -> tuple[pd.Series, float, list[str]]:
    """The criteria's weights (summing to 1), the AHP consistency ratio, and notes."""
    metrics = list(card.metrics)
    notes: list[str] = []
    consistency = math.nan
    if card.weighting == "fixed":
        given = np.array([float(c.weight or 0.0) for c in criteria])
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
        weights, note = _data_weights(card.weighting, metrics, norm)
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


def _grade_thresholds(card: Scorecard, scores: np.ndarray) -> tuple[float, ...]:
    """The lowest score of each grade but the last, best first.

    Bands give their minimums. A forced distribution gives, for each grade, the
    score of the last manager inside its cumulative quota (quota = share × n,
    rounded half up) in the population, so managers tied with that score get
    the better grade too; a grade whose cumulative quota is 0 gets +inf.
    """
    grading = card.grading
    if grading.bands is not None:
        return tuple(minimum for _, minimum in grading.bands[:-1])
    shares = np.cumsum([share for _, share in grading.distribution or ()])[:-1]
    ordered = np.sort(scores[~np.isnan(scores)])[::-1]
    quotas = np.floor(shares * len(ordered) + 0.5 + 1e-9).astype(int)
    return tuple(float(ordered[q - 1]) if q >= 1 else math.inf for q in quotas)
