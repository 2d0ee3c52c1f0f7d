"""A scorecard fitted on a population: scores any frame, one record, or explains one."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..errors import ConfigError, NonFiniteValueWarning
from ._aggregate import aggregate_columns, geometric, topsis, weighted_sum
from ._explain import Explanation, explain
from ._scorecard import Scorecard
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
        ``center``/``scale`` (mean and standard deviation under ``zscore``;
        ``center`` is the target under ``target``), ``median`` (raw),
        ``median_norm`` (the median's normalised value), ``ideal`` / ``anti``
        (TOPSIS points, normalised; 1 and 0 under other aggregations).
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
            in %), ``grade``, ``missing`` (the criteria without a value,
            comma-separated) and ``not_finite`` (those of them whose value was
            infinite, such as an overflowing sum of sales: the row has data
            there, but no number the score can use).

        Notes
        -----
        Contributions add up to the score. Under ``weighted_sum`` each is
        ``100 × weight × norm`` (weights rescaled over the criteria present);
        under ``geometric`` and ``topsis`` the score is shared out in
        proportion to ``weight × norm``. Under ``missing="reject"`` a row with a
        missing value has no score, rank or grade.

        An infinite value is never used silently: it is left out like a missing
        one (under ``reweight`` its weight is shared among the row's other
        criteria), named in ``not_finite``, and a
        :class:`~am_analytics.errors.NonFiniteValueWarning` names the rows.

        Examples
        --------
        >>> import pandas as pd
        >>> from am_analytics.scoring import Scorecard, Criterion
        >>> frame = pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]}, index=["a", "b", "c"])
        >>> fitted = Scorecard([Criterion("sales_amount", weight=1)]).fit(frame)
        >>> fitted.score(frame)["score"].tolist()
        [0.0, 50.0, 100.0]
        """
        columns = read_columns(self.scorecard, frame)
        norms, missing = self._normalized(columns)
        weights = self.weights_.to_numpy()
        points = 100 * self._aggregate(norms, weights)
        contributions = _contributions(norms, weights, points)
        metrics = self.scorecard.metrics
        out: dict[str, Any] = {}
        for metric, value, norm, contribution in zip(
            metrics, columns, norms, contributions, strict=True
        ):
            out[f"{metric}_value"], out[f"{metric}_norm"] = value, norm
            out[f"{metric}_contribution"] = contribution
        rank, percentile = _rank_and_percentile(points)
        out["score"] = points
        out["rank"] = pd.array(rank, dtype="Int64")
        out["percentile"] = percentile
        out["grade"] = self.grades(points)
        out["missing"] = _missing_labels(missing, metrics)
        out["not_finite"] = _not_finite_labels(frame, metrics)
        # the arrays are this call's own: no need for pandas to copy them into one block
        return pd.DataFrame(out, index=frame.index, copy=False)

    def grades(self, scores: np.ndarray) -> pd.Categorical[Any]:
        """The grade of each score (missing where the score is)."""
        grades = self.scorecard.grading.grades
        position = np.searchsorted(
            -np.asarray(self.thresholds_), -(scores + GRADE_TOLERANCE), side="left"
        )
        codes = np.where(np.isnan(scores), -1, position)
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(grades)))

    def _normalized(self, columns: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each criterion's values on 0..1 (higher is better), and where values are missing."""
        missing = [np.isnan(x) for x in columns]
        if self.scorecard.missing == "median":
            medians = self.params_["median"].to_numpy()
            columns = [
                np.where(m, med, x) for x, m, med in zip(columns, missing, medians, strict=True)
            ]
        norms = [self._normalize_column(j, x) for j, x in enumerate(columns)]
        # a criterion that places nobody (no value in the population) is missing too
        missing = [m | np.isnan(n) for m, n in zip(missing, norms, strict=True)]
        if self.scorecard.missing == "reject" and norms:
            incomplete = np.logical_or.reduce(missing)
            for norm in norms:
                norm[incomplete] = np.nan
        return norms, missing

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
        if method != "goalposts" and np.isnan(p["lower"]):
            # nobody in the population had a value: the criterion places nobody
            return np.full_like(x, np.nan)
        x = np.clip(x, p["lower"], p["upper"]) if method == "goalposts" else x
        if method in ("minmax", "goalposts"):
            span = p["upper"] - p["lower"]
            up = (x - p["lower"]) / span if span > 0 else np.where(np.isnan(x), np.nan, 0.5)
            up = np.clip(up, 0.0, 1.0)
        elif method == "zscore":
            up = ndtr((x - p["center"]) / p["scale"]) if p["scale"] > 0 else _half(x)
        else:
            up = _interpolate(x, *self.grids_[self.scorecard.metrics[j]])
        return up if higher else 1.0 - up

    def _aggregate(self, norms: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
        """Aggregate normalised criteria into 0..1 per row.

        ``weights`` may also be a stack (draws × criteria), giving draws × rows.
        """
        method = self.scorecard.aggregation
        floor = self.scorecard.geometric_floor
        ideal, anti = self.params_["ideal"].to_numpy(), self.params_["anti"].to_numpy()
        if np.ndim(weights) == 1:
            return aggregate_columns(
                norms, weights, method=method, floor=floor, ideal=ideal, anti_ideal=anti
            )
        matrix = np.column_stack(norms)
        if method == "geometric":
            return geometric(matrix, weights, floor=floor)
        if method == "topsis":
            return topsis(matrix, weights, ideal=ideal, anti_ideal=anti)
        return weighted_sum(matrix, weights)

    # -- scoring one record -------------------------------------------------

    def score_one(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Score one record given as a plain mapping; returns a plain dict.

        This is the entry point for services: no pandas on the way, a few
        microseconds per call. Keys absent or ``None`` count as missing.

        Returns
        -------
        dict
            ``score`` (``None`` if unscored), ``grade``, ``missing`` (list of
            metrics), ``not_finite`` (those of them given as infinity), and per
            criterion ``<metric>_norm`` and ``<metric>_contribution``, equal to
            :meth:`score` on the same row. No warning is issued here (a service
            reads ``not_finite``).

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


#: Above this many values, rank interpolation sorts them first: a binary search
#: in order is several times faster than one jumping around the grid.
_SORTED_INTERPOLATION: Final = 4096


def _interpolate(x: np.ndarray, grid: np.ndarray, percentiles: np.ndarray) -> np.ndarray:
    """``np.interp`` on the rank grid: 0 below it, 1 above it, NaN for NaN.

    An empty grid (no manager of the population had a value) places nobody: NaN.
    """
    if not len(grid):
        return np.full_like(x, np.nan)
    if len(x) <= _SORTED_INTERPOLATION:
        return np.interp(x, grid, percentiles, 0.0, 1.0)
    # NaN would send numpy's argsort down a path several times slower: leave them out
    present = np.flatnonzero(~np.isnan(x))
    values = x[present]
    order = np.argsort(values)
    interpolated = np.empty_like(values)
    interpolated[order] = np.interp(values[order], grid, percentiles, 0.0, 1.0)
    out = np.full_like(x, np.nan)
    out[present] = interpolated
    return out


def _contributions(
    norms: list[np.ndarray], weights: np.ndarray, points: np.ndarray
) -> list[np.ndarray]:
    """Points of the score per criterion: shares of ``weight × norm`` (see ``score``)."""
    terms = [w * norm for w, norm in zip(weights, norms, strict=True)]  # NaN where missing
    total = _nansum(terms, len(points))
    flat = ~(total > 0)
    if flat.any():  # at zero on every criterion (a geometric floor): share by weight alone
        for w, norm, term in zip(weights, norms, terms, strict=True):
            term[flat] = np.where(np.isnan(norm[flat]), np.nan, w)
        total[flat] = _nansum([term[flat] for term in terms], int(flat.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = points / total
    for term in terms:
        term *= scale
    return terms


def _nansum(columns: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Row sums of ``columns`` ignoring NaN."""
    total = np.zeros(n_rows)
    for column in columns:
        total += np.where(np.isnan(column), 0.0, column)
    return total


def _rank_and_percentile(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = best, ties share the best) and percentile (% scoring at most as much).

    Unscored rows (NaN) get neither; one sort serves both.
    """
    scored = np.flatnonzero(~np.isnan(points))
    ordered = scored[np.argsort(-points[scored])]
    descending = points[ordered]
    new_value = np.r_[True, descending[1:] != descending[:-1]]
    first = np.maximum.accumulate(np.where(new_value, np.arange(len(ordered)), 0))
    rank = np.full(len(points), np.nan)
    percentile = np.full(len(points), np.nan)
    rank[ordered] = first + 1
    percentile[ordered] = 100 * (len(ordered) - first) / max(len(ordered), 1)
    return rank, percentile


def _not_finite_labels(frame: pd.DataFrame, metrics: tuple[str, ...]) -> np.ndarray:
    """Each row's criteria whose value is infinite, comma-separated; warns when there are any."""
    infinite = [np.isinf(frame[m].to_numpy(dtype=np.float64, na_value=np.nan)) for m in metrics]
    labels = _missing_labels(infinite, metrics)
    rows = np.flatnonzero(labels != "")
    if len(rows):
        shown = "; ".join(f"{frame.index[i]} ({labels[i]})" for i in rows[:_SHOWN_ROWS])
        more = f" and {len(rows) - _SHOWN_ROWS} more" if len(rows) > _SHOWN_ROWS else ""
        warnings.warn(
            f"{len(rows)} row(s) have infinite criteria, left out of their score as if "
            f"missing (see the not_finite column): {shown}{more}. An infinite metric is "
            "usually a sum past the largest float; check the data for implausible amounts",
            NonFiniteValueWarning,
            stacklevel=3,
        )
    return labels


#: Rows named in a warning before "and N more".
_SHOWN_ROWS: Final = 5


def _missing_labels(missing: list[np.ndarray], metrics: tuple[str, ...]) -> np.ndarray:
    """Comma-separated names of each row's missing criteria ("" when none)."""
    labels = np.full(len(missing[0]) if missing else 0, "", dtype=object)
    for rows, metric in zip(missing, metrics, strict=True):
        labels[rows] = np.where(labels[rows] == "", metric, labels[rows] + ", " + metric)
    return labels


# ---------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------


def read_columns(card: Scorecard, frame: pd.DataFrame) -> list[np.ndarray]:
    """Each criterion's raw values as a new float array: NaN where missing or not
    finite, clipped to the criterion's floor and cap."""
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
        x = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        x[~np.isfinite(x)] = np.nan
        if criterion.floor is not None or criterion.cap is not None:
            np.clip(x, criterion.floor, criterion.cap, out=x)
        columns.append(x)
    return columns


def fit_scorecard(card: Scorecard, frame: pd.DataFrame) -> FittedScorecard:
    """Fit ``card`` on the population ``frame`` (see :meth:`Scorecard.fit`)."""
    columns = read_columns(card, frame)
    if len(frame) == 0:
        raise ConfigError("cannot fit a scorecard on an empty frame; it needs a population")
    # one sort per criterion gives its range, its median and its rank grid
    ordered = [np.sort(x[~np.isnan(x)]) for x in columns]
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
    scored = scores[~np.isnan(scores)]
    return FittedScorecard(
        scorecard=card,
        weights_=weights,
        params_=params,
        grids_=grids,
        thresholds_=_grade_thresholds(card, scored),
        median_score_=float(np.median(scored)) if len(scored) else math.nan,
        consistency_ratio_=consistency,
        notes_=tuple(notes),
        n_fitted_=len(frame),
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
            "median": [np.median(x) if len(x) else np.nan for x in ordered],
        },
        index=list(card.metrics),
    )


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
        counts = np.diff(np.r_[starts, len(x)])
        grid = x[starts]
        percentiles = (starts + counts / 2) / max(len(x), 1)
        if len(grid) > RANK_GRID_POINTS:
            keep = np.unique(np.linspace(0, len(grid) - 1, RANK_GRID_POINTS).round().astype(int))
            grid, percentiles = grid[keep], percentiles[keep]
        grids[metric] = (grid, percentiles)
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
