"""A scorecard fitted on a population: scores any frame, one record, or explains one."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd

from ..errors import ConfigError, NonFiniteValueWarning
from ._aggregate import ROW_BLOCK, aggregate_columns, geometric, topsis, weighted_sum
from ._explain import Explanation, explain
from ._labels import criteria_labels
from ._one import GRADE_TOLERANCE, POPULATION_TOLERANCE, scalar_scorer
from ._ordering import interpolate_ranks, standing
from ._scorecard import Scorecard

__all__ = ["Explanation", "FittedScorecard", "Reading"]


class Reading(NamedTuple):
    """A frame's criteria as :meth:`FittedScorecard.score` reads them, and their scores."""

    columns: list[np.ndarray]  # the values read (floats, NaN where missing or infinite)
    infinite: list[np.ndarray]  # where each was infinite
    norms: list[np.ndarray]  # 0..1, higher is better
    missing: list[np.ndarray]  # where each norm is missing
    points: np.ndarray  # the scores, 0..100


_FORMAT: Final = "am_analytics.FittedScorecard"
_VERSION: Final = 1
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
    population_scores_
        The scores of the population's scored rows, sorted ascending (float64):
        what ``population_percentile`` places a new score among. ``None`` for a
        scorecard read from JSON written before they were kept; its population
        percentiles are then missing (NaN in :meth:`score`, ``None`` in
        :meth:`score_one`).
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
    population_scores_: np.ndarray | None = field(default=None, repr=False)
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
            in %), ``population_percentile`` (the same share among the
            population the scorecard was fitted on, :attr:`population_scores_`:
            it does not depend on the other rows of ``frame``), ``grade``,
            ``missing`` (the criteria without a value, comma-separated) and
            ``not_finite`` (those of them whose value was infinite, such as an
            overflowing sum of sales: the row has data there, but no number the
            score can use).

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

        ``percentile`` is among the rows scored together, ``population_percentile``
        among the three fitted on (scores 0, 50, 100): one of them scores at most
        25 points, two at most 50.

        >>> scored = fitted.score(pd.DataFrame({"sales_amount": [15.0, 20.0]}))
        >>> scored[["score", "percentile", "population_percentile"]].round(2).to_numpy().tolist()
        [[25.0, 50.0, 33.33], [50.0, 100.0, 66.67]]
        """
        # float64 columns read as they are are not copied: the frame's own memory
        # holds their values, and pandas shares it with the result below
        columns, infinite = read_criteria(self.scorecard, frame, share=True)
        norms, missing = self._normalized(columns)
        points = self._aggregate(norms, self.weights_.to_numpy())
        points *= 100  # in place on the new array: the same numbers as 100 * points
        return self._table(frame, Reading(columns, infinite, norms, missing, points))

    def _table(self, frame: pd.DataFrame, reading: Reading) -> pd.DataFrame:
        """:meth:`score`'s table of ``frame``, from its criteria read, normalised and scored."""
        columns, infinite, norms, missing, points = reading
        weights = self.weights_.to_numpy()
        contributions = _contributions(norms, weights, points)
        metrics = self.scorecard.metrics
        out: dict[str, Any] = {}
        for metric, value, norm, contribution in zip(
            metrics, columns, norms, contributions, strict=True
        ):
            # the frame's own column, when read as it is: copy-on-write keeps both
            # frames' values apart without a copy made now
            out[f"{metric}_value"] = frame[metric] if _is_shared(value) else value
            out[f"{metric}_norm"] = norm
            out[f"{metric}_contribution"] = contribution
        # the same allowance as score_one, so both paths place a population member alike
        rank, percentile, in_population = standing(
            points, self.population_scores_, tolerance=POPULATION_TOLERANCE
        )
        out["score"] = points
        out["rank"] = _integers(rank)
        out["percentile"] = percentile
        out["population_percentile"] = in_population
        out["grade"] = self.grades(points)
        out["missing"] = criteria_labels(missing, metrics)
        out["not_finite"] = _not_finite_labels(frame, infinite, metrics)
        # the arrays are this call's own: no need for pandas to copy them into one block
        return pd.DataFrame(out, index=frame.index, copy=False)

    def grades(self, scores: np.ndarray) -> pd.Categorical[Any]:
        """The grade of each score (missing where the score is)."""
        grades = self.scorecard.grading.grades
        bars = -np.asarray(self.thresholds_)
        codes: np.ndarray[Any, np.dtype[np.integer[Any]]] = np.empty(
            len(scores), dtype=np.int8 if len(grades) < 128 else np.intp
        )
        # block by block: the temporaries stay one block long (past a few million
        # rows each row-length one is fresh memory from the kernel)
        for start in range(0, len(scores), ROW_BLOCK):
            block = scores[start : start + ROW_BLOCK]
            lowered = np.negative(block + GRADE_TOLERANCE)
            position = np.searchsorted(bars, lowered, side="left")
            position[np.isnan(block)] = -1
            codes[start : start + ROW_BLOCK] = position
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(grades)))

    def _normalized(self, columns: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each criterion's values on 0..1 (higher is better), and where values are missing."""
        if self.scorecard.missing == "median":
            absent = [np.isnan(x) for x in columns]
            medians = self.params_["median"].to_numpy()
            columns = [
                np.where(m, med, x) for x, m, med in zip(columns, absent, medians, strict=True)
            ]
        norms = [self._normalize_column(j, x) for j, x in enumerate(columns)]
        # every normalisation keeps NaN NaN, so a norm is missing where its value is; and
        # a criterion that places nobody (no value in the population) is missing too
        missing = [np.isnan(n) for n in norms]
        if self.scorecard.missing == "median":
            missing = [m | a for m, a in zip(missing, absent, strict=True)]
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
            from scipy.special import ndtr  # scipy loads in 0.15 s: only when a z-score is asked

            up = ndtr((x - p["center"]) / p["scale"]) if p["scale"] > 0 else _half(x)
        else:
            up = interpolate_ranks(x, *self.grids_[self.scorecard.metrics[j]])
        # every method above gives a new array: turned around in place
        return up if higher else np.subtract(1.0, up, out=up)

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
            ``score`` (``None`` if unscored), ``grade``,
            ``population_percentile`` (share of the population the scorecard was
            fitted on scoring at most as much, in %, as :meth:`score` gives it;
            ``None`` if unscored or if the scorecard was read from JSON written
            before the population's scores were kept), ``missing`` (list of
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

        Two of the population's three scores (0, 50 and 100) are at most 75:

        >>> round(fitted.score_one({"sales_amount": 25.0})["population_percentile"], 4)
        66.6667
        """
        return self._scalar_scorer(record)

    @property
    def _scalar_scorer(self) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        scorer = self.__dict__.get("_scorer")
        if scorer is None:
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
        if self.population_scores_ is not None:
            payload["population_scores"] = _floats(self.population_scores_)
        return json.dumps(payload, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> FittedScorecard:
        """Rebuild a fitted scorecard from :meth:`to_json`'s output.

        JSON written before the population's scores were kept still loads:
        :attr:`population_scores_` is then ``None`` and population percentiles
        are missing; fit again to have them.
        """
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
                population_scores_=_population_scores(data.get("population_scores")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ConfigError(
                f"cannot read the fitted scorecard JSON: {error}; "
                "give the text written by FittedScorecard.to_json()"
            ) from None


def _population_scores(values: list[float | None] | None) -> np.ndarray | None:
    """The population's sorted scores from JSON; ``None`` when the JSON predates them."""
    if values is None:
        return None
    scores = _array(values)
    if np.isnan(scores).any() or (np.diff(scores) < 0).any():
        raise ValueError("population_scores must be finite numbers in ascending order")
    return scores


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


def _contributions(
    norms: list[np.ndarray], weights: np.ndarray, points: np.ndarray
) -> list[np.ndarray]:
    """Points of the score per criterion: shares of ``weight × norm`` (see ``score``)."""
    terms = [np.empty_like(points) for _ in norms]
    # block by block of rows: the block's terms are shared out while still in the
    # processor's cache, and no row-length temporary is made beside the results
    for start in range(0, len(points), ROW_BLOCK):
        rows = slice(start, start + ROW_BLOCK)
        _share_block(
            [norm[rows] for norm in norms], weights, points[rows], [term[rows] for term in terms]
        )
    return terms


def _share_block(
    norms: list[np.ndarray], weights: np.ndarray, points: np.ndarray, terms: list[np.ndarray]
) -> None:
    """:func:`_contributions` of one block of rows, written into ``terms`` (views)."""
    for w, norm, term in zip(weights, norms, terms, strict=True):
        np.multiply(w, norm, out=term)  # NaN where missing
    total = _nansum(terms, len(points))
    flat = ~(total > 0)
    if flat.any():  # at zero on every criterion (a geometric floor): share by weight alone
        for w, norm, term in zip(weights, norms, terms, strict=True):
            term[flat] = np.where(np.isnan(norm[flat]), np.nan, w)
        total[flat] = _nansum([term[flat] for term in terms], int(flat.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.divide(points, total, out=total)  # the total is not needed after
    for term in terms:
        term *= scale


def _nansum(columns: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Row sums of ``columns`` ignoring NaN."""
    total = np.zeros(n_rows)
    present = np.empty(n_rows, dtype=bool)
    for column in columns:
        np.isnan(column, out=present)
        np.logical_not(present, out=present)
        np.add(total, column, out=total, where=present)  # no row-length temporary
    return total


def _integers(values: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable Int64 array of whole numbers held as floats (NaN where missing)."""
    missing = np.isnan(values)
    if not missing.any():  # every row ranked: cast at once, without a filled copy first
        return pd.arrays.IntegerArray(values.astype(np.int64), missing)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _not_finite_labels(
    frame: pd.DataFrame, infinite: list[np.ndarray], metrics: tuple[str, ...]
) -> pd.api.extensions.ExtensionArray:
    """Each row's criteria whose value is infinite, comma-separated; warns when there are any."""
    labels = criteria_labels(infinite, metrics)
    rows = np.flatnonzero(np.logical_or.reduce(infinite)) if infinite else np.array([], int)
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


# ---------------------------------------------------------------------------
# Reading the criteria
# ---------------------------------------------------------------------------


def read_columns(card: Scorecard, frame: pd.DataFrame) -> list[np.ndarray]:
    """Each criterion's raw values as a new float array: NaN where missing or not
    finite, clipped to the criterion's floor and cap."""
    return read_criteria(card, frame)[0]


def read_criteria(
    card: Scorecard, frame: pd.DataFrame, *, share: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`read_columns`, and where each criterion's value was infinite.

    With ``share``, a float64 column read as it is (all finite, no floor or
    cap) comes as a read-only view of the frame's memory instead of a copy
    (see :func:`_is_shared`).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"expected a DataFrame of metrics, got {type(frame).__name__}")
    absent = [m for m in card.metrics if m not in frame.columns]
    if absent:
        raise ConfigError(
            f"the frame has no column for the criteria {absent}; its columns are "
            f"{list(frame.columns)}; compute them with manager_metrics() or drop the criteria"
        )
    columns, infinite_values = [], []
    for criterion in card.criteria:
        column = frame[criterion.metric]
        if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
            raise ConfigError(
                f"criterion {criterion.metric!r}: the column is {column.dtype}, not numeric"
            )
        clipped = criterion.floor is not None or criterion.cap is not None
        if share and not clipped and _is_float64(column):
            x = _read_only(column.to_numpy())
        else:
            x = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        infinite_here = np.isinf(x)  # NaN is missing already; infinity becomes missing
        if infinite_here.any():
            x = x.copy() if _is_shared(x) else x  # a view that needs changing is copied after all
            x[infinite_here] = np.nan
        infinite_values.append(infinite_here)
        if clipped:
            np.clip(x, criterion.floor, criterion.cap, out=x)
        columns.append(x)
    return columns, infinite_values


def _is_float64(column: pd.Series) -> bool:
    """Whether a column holds numpy float64 (read as it is, without conversion)."""
    return isinstance(column.dtype, np.dtype) and column.dtype == np.float64


def _read_only(values: np.ndarray) -> np.ndarray:
    """A read-only view of ``values`` (what :func:`_is_shared` recognises)."""
    view = values.view()
    view.flags.writeable = False
    return view


def _is_shared(value: np.ndarray) -> bool:
    """Whether ``read_criteria(..., share=True)`` gave this column as a view of the frame.

    Its own copies are writeable; only its views of the frame are not.
    """
    return not value.flags.writeable
