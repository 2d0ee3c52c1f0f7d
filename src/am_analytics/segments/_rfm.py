"""RFM scores on a fixed reference scale, named RFM segments, and ABC (Pareto) tiers.

:class:`RFMScorer` learns quantile edges of recency, frequency and net revenue
from a reference population and scores any client against them, so periods
scored with the same fitted scorer are comparable and a client's move between
segments reflects a real change, not a shifted scale. :func:`rfm_segments`
names the score cells with a checked rule table (:class:`SegmentRules`, TOML),
and :func:`abc_tiers` grades clients by their share of revenue.

All three read the per-client features of
:func:`~am_analytics.segments.client_features` (``recency_days``,
``frequency``, ``monetary``; index ``client_id``).
"""

from __future__ import annotations

import json
import math
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataValidationError

IntArray = npt.NDArray[np.int64]


FloatArray = npt.NDArray[np.float64]


#: The features an RFM score reads, in R, F, M order.
RFM_FEATURES: Final = ("recency_days", "frequency", "monetary")


#: The score columns, in the same order.
SCORE_COLUMNS: Final = ("R", "F", "M")


#: Most bins a score may have: each score is one digit of ``rfm_cell`` ("545").
MAX_BINS: Final = 9


#: Where :meth:`RFMScorer.transform` records the bins of its scores (``DataFrame.attrs``).
BINS_ATTR: Final = "rfm_bins"


#: A cost no placement of edges reaches: marks infeasible positions in the search.
_INFEASIBLE: Final = 2**62


#: Cumulative shares this close below a tier boundary count as reaching it
#: (sums of floats land a few ulps short of an exact 0.8).
_SHARE_TOLERANCE: Final = 1e-12


_FORMAT: Final = "am_analytics.RFMScorer"


_VERSION: Final = 1


class RFMScorer:
    """Recency, frequency and monetary scores 1..``bins`` on a scale fitted once.

    :meth:`fit` learns, from a reference population, the ``bins - 1`` edges of
    each measure; :meth:`transform` scores any features frame against them, so
    every period scored by one fitted scorer uses the same scale. The fitted
    scorer round-trips exactly through :meth:`to_json` / :meth:`from_json`.

    Parameters
    ----------
    bins
        Scores run 1..``bins`` (2 to 9; 5 is the usual "quintile" RFM), higher
        is better: most recent, most orders, most net revenue.

    Attributes
    ----------
    edges_
        The learned edges: rows ``edge`` 1..bins-1, columns ``recency_days``,
        ``frequency`` and ``monetary``. Edge ``j`` separates scores ``j`` and
        ``j + 1``: F > j exactly when ``frequency > edges_.loc[j, "frequency"]``
        (likewise M), and R > j exactly when ``recency_days <
        edges_.loc[j, "recency_days"]``. NaN when the reference had no value
        of that measure.
    n_fitted_
        Rows of the reference population.

    Notes
    -----
    **The tie rule** (deterministic and independent of row order: it reads only
    the sorted distinct values and their counts). Each measure is read as
    higher-is-better: ``-recency_days``, ``frequency``, and ``monetary``
    clipped at 0, so every net revenue <= 0 counts as one value at the bottom.
    With the reference's distinct values ``v_1 < ... < v_k`` (missing values
    left out), counts ``n_1..n_k`` and ``n`` values in all:

    1. Edges sit *on* distinct values: an edge on ``v_p`` puts the values up to
       ``v_p`` below it. Equal values therefore always share a score, and a
       better value never scores lower than a worse one.
    2. Edges lie on ``v_1 .. v_(k-1)``, so the lowest value scores 1 and the
       highest scores ``bins``.
    3. When ``k >= bins`` the edges are on distinct values, so **all scores
       1..bins are used however heavily values tie**: with 60 % one-time buyers
       F = 1 is exactly the one-time buyers and the other 40 % share F = 2..5.
       When ``k < bins`` each distinct value gets its own score and some scores
       between 1 and ``bins`` are skipped.
    4. Among the placements allowed by 1-3, the one chosen makes the shares of
       the reference below the edges, ``c_j``, closest to the quantiles
       ``j / bins``: it has the least ``sum_j |c_j - j / bins|`` (computed
       exactly, in integers, by a dynamic programme of ``k × bins`` steps). Of
       placements equally close, the one with the lower edges wins (compared
       first edge first).

    A value scores 1 + the number of edges strictly below it, so a later
    client beyond the reference's range scores 1 or ``bins``. With a single
    distinct value every edge sits on it (the reference all scores 1); with
    none the edges are NaN and everyone scores 1.

    **Missing values.** A client without any order has ``recency_days`` NaN and
    scores R = 1 (never bought is the least recent of all); its ``frequency``
    of 0 and net revenue <= 0 score F = 1 and M = 1 like any other lowest
    value, so such clients are scored, never dropped. Any missing or
    non-finite value scores 1 and is left out of the fit.

    Examples
    --------
    >>> import pandas as pd
    >>> features = pd.DataFrame(
    ...     {
    ...         "recency_days": [3.0, 40.0, 200.0, 10.0, None, 90.0],
    ...         "frequency": [9, 1, 1, 4, 0, 1],
    ...         "monetary": [5000.0, 120.0, 80.0, 900.0, -50.0, 300.0],
    ...     },
    ...     index=pd.Index(["c1", "c2", "c3", "c4", "c5", "c6"], name="client_id"),
    ... )
    >>> scorer = RFMScorer(bins=3).fit(features)
    >>> scorer.edges_
          recency_days  frequency  monetary
    edge
    1             90.0        0.0      80.0
    2             40.0        1.0     300.0
    >>> scorer.transform(features)
               R  F  M rfm_cell
    client_id
    c1         3  3  3      333
    c2         2  2  2      222
    c3         1  2  1      121
    c4         3  3  3      333
    c5         1  1  1      111
    c6         1  2  2      122
    """

    edges_: pd.DataFrame
    n_fitted_: int

    def __init__(self, bins: int = 5) -> None:
        _check_bins(bins)
        self.bins = bins

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_fitted_} clients" if hasattr(self, "edges_") else ""
        return f"RFMScorer(bins={self.bins}{fitted})"

    def fit(self, features: pd.DataFrame) -> RFMScorer:
        """Learn the edges of each measure from a reference population; returns ``self``.

        Parameters
        ----------
        features
            One row per client with ``recency_days``, ``frequency`` and
            ``monetary`` (:func:`~am_analytics.segments.client_features`).

        Raises
        ------
        DataValidationError
            If a column is missing or not numeric.
        ConfigError
            If the frame is empty: there is no population to learn from.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [1.0, 5.0], "frequency": [1, 3], "monetary": [10.0, 99.0]}
        ... )
        >>> RFMScorer(bins=2).fit(frame).edges_["frequency"].tolist()
        [1.0]
        """
        columns = _read_features(features)
        if len(features) == 0:
            raise ConfigError(
                "cannot fit RFM scores on an empty features frame; it needs a reference "
                "population of clients"
            )
        edges = {
            name: _from_better(name, _fit_edges(_to_better(name, x), self.bins))
            for name, x in columns.items()
        }
        self.edges_ = pd.DataFrame(edges, index=pd.RangeIndex(1, self.bins, name="edge"))
        self.n_fitted_ = len(features)
        return self

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """Score each client against the fitted edges.

        Returns
        -------
        pandas.DataFrame
            Same index as ``features``; columns ``R``, ``F``, ``M`` (int64,
            1..bins) and ``rfm_cell`` (the three scores as text, e.g.
            ``"545"``). ``attrs["rfm_bins"]`` records ``bins``, so
            :func:`rfm_segments` can refuse rules written for another scale.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [1.0, 5.0], "frequency": [1, 3], "monetary": [10.0, 99.0]}
        ... )
        >>> scorer = RFMScorer(bins=2).fit(frame)
        >>> later = pd.DataFrame(
        ...     {"recency_days": [2.0], "frequency": [7], "monetary": [-5.0]}, index=["new"]
        ... )
        >>> scorer.transform(later)["rfm_cell"].tolist()
        ['221']
        """
        edges = self._fitted_edges()
        columns = _read_features(features)
        scores = {
            score: _score(_to_better(name, columns[name]), _to_better(name, edges[name]))
            for score, name in zip(SCORE_COLUMNS, RFM_FEATURES, strict=True)
        }
        cell = scores["R"] * 100 + scores["F"] * 10 + scores["M"]
        out = pd.DataFrame(scores, index=features.index, copy=False)
        out["rfm_cell"] = pd.Series(cell, index=features.index).astype(str)
        out.attrs[BINS_ATTR] = self.bins
        return out

    def fit_transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """:meth:`fit` on ``features``, then :meth:`transform` them.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [1.0, 5.0], "frequency": [1, 3], "monetary": [10.0, 99.0]}
        ... )
        >>> RFMScorer(bins=2).fit_transform(frame)["rfm_cell"].tolist()
        ['211', '122']
        """
        return self.fit(features).transform(features)

    def _fitted_edges(self) -> dict[str, FloatArray]:
        """The edges of each measure as arrays; ConfigError before :meth:`fit`."""
        if not hasattr(self, "edges_"):
            raise ConfigError(
                "this RFMScorer is not fitted yet; call fit(features) on a reference "
                "population first (or load a fitted one with RFMScorer.from_json)"
            )
        return {name: self.edges_[name].to_numpy(dtype=np.float64) for name in RFM_FEATURES}

    def to_json(self) -> str:
        """The fitted scorer as JSON (floats written exactly, NaN as null).

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [1.0, 5.0], "frequency": [1, 3], "monetary": [10.0, 99.0]}
        ... )
        >>> text = RFMScorer(bins=2).fit(frame).to_json()
        >>> RFMScorer.from_json(text).edges_["monetary"].tolist()
        [10.0]
        """
        edges = self._fitted_edges()
        payload = {
            "format": _FORMAT,
            "version": _VERSION,
            "bins": self.bins,
            "edges": {
                name: [v if math.isfinite(v) else None for v in values.tolist()]
                for name, values in edges.items()
            },
            "n_fitted": self.n_fitted_,
        }
        return json.dumps(payload, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> RFMScorer:
        """Rebuild a fitted scorer from :meth:`to_json`'s output.

        Raises
        ------
        ConfigError
            If the text is not a fitted RFM scorer of a known version.
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError("not a fitted RFMScorer")
            if data.get("version") != _VERSION:
                raise ValueError(f"format version {data.get('version')}, expected {_VERSION}")
            scorer = cls(bins=data["bins"])
            edges = {
                name: np.array(
                    [math.nan if v is None else float(v) for v in data["edges"][name]],
                    dtype=np.float64,
                )
                for name in RFM_FEATURES
            }
            if any(len(values) != scorer.bins - 1 for values in edges.values()):
                raise ValueError(f"each measure needs {scorer.bins - 1} edges")
            scorer.edges_ = pd.DataFrame(edges, index=pd.RangeIndex(1, scorer.bins, name="edge"))
            scorer.n_fitted_ = int(data["n_fitted"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
            raise ConfigError(
                f"cannot read the RFM scorer JSON: {error}; give the text written by "
                "RFMScorer.to_json()"
            ) from None
        return scorer


def rfm_scores(features: pd.DataFrame, *, bins: int = 5) -> pd.DataFrame:
    """RFM scores of the clients of ``features``, on quantiles of the same clients.

    Shorthand for ``RFMScorer(bins).fit(features).transform(features)``; see
    :class:`RFMScorer` for the tie rule and missing values. To score several
    periods on one scale, fit one :class:`RFMScorer` and transform each period.

    Parameters
    ----------
    features
        One row per client with ``recency_days``, ``frequency`` and
        ``monetary`` (:func:`~am_analytics.segments.client_features`).
    bins
        Scores run 1..``bins`` (2 to 9).

    Returns
    -------
    pandas.DataFrame
        Same index as ``features``.

    Notes
    -----
    Columns: ``R``, ``F``, ``M`` (int64, 1..bins, higher is better) and
    ``rfm_cell`` (text, e.g. ``"545"``).

    Examples
    --------
    >>> import pandas as pd
    >>> one_timers = pd.DataFrame(
    ...     {
    ...         "recency_days": [5.0, 50, 80, 120, 300, 20, 60, 7, 33, 400],
    ...         "frequency": [1, 1, 1, 1, 1, 1, 2, 3, 5, 9],
    ...         "monetary": [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    ...     }
    ... )
    >>> rfm_scores(one_timers)["F"].tolist()
    [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    """
    return RFMScorer(bins).fit_transform(features)


def _check_bins(bins: object) -> None:
    """Raise ConfigError unless ``bins`` is an integer from 2 to :data:`MAX_BINS`."""
    if (
        isinstance(bins, bool)
        or not isinstance(bins, int | np.integer)
        or not 2 <= bins <= MAX_BINS
    ):
        raise ConfigError(
            f"bins must be an integer from 2 to {MAX_BINS} (each score is one digit of "
            f"rfm_cell), got {bins!r}"
        )


def _read_features(features: pd.DataFrame) -> dict[str, FloatArray]:
    """The three RFM measures as new float arrays, NaN where missing or not finite."""
    if not isinstance(features, pd.DataFrame):
        raise DataValidationError(
            f"expected a features DataFrame, got {type(features).__name__}; build it with "
            "client_features(sales, as_of=...)"
        )
    missing = [name for name in RFM_FEATURES if name not in features.columns]
    if missing:
        raise DataValidationError(
            f"the features frame lacks the columns {missing} (it has "
            f"{list(map(str, features.columns))}); build it with client_features(sales, as_of=...)",
            missing={"features": missing},
        )
    columns = {}
    for name in RFM_FEATURES:
        column = features[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise DataValidationError(
                f"features.{name} must be numeric, found dtype {column.dtype}; convert it with "
                "pandas.to_numeric or rebuild the frame with client_features"
            )
        x = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        x[~np.isfinite(x)] = np.nan
        columns[name] = x
    return columns


def _to_better(name: str, x: FloatArray) -> FloatArray:
    """A measure turned higher-is-better: fewer days is better; net <= 0 counts as 0."""
    if name == "recency_days":
        return -x
    if name == "monetary":
        return np.where(np.isnan(x), np.nan, np.maximum(x, 0.0))
    return x


def _from_better(name: str, edges: FloatArray) -> FloatArray:
    """Edges back in the measure's own units (days for recency)."""
    return -edges if name == "recency_days" else edges


def _fit_edges(x: FloatArray, bins: int) -> FloatArray:
    """The ``bins - 1`` ascending edges of higher-is-better values (the tie rule of RFMScorer)."""
    present = x[~np.isnan(x)]
    if len(present) == 0:
        return np.full(bins - 1, np.nan)
    values, counts = np.unique(present, return_counts=True)
    if len(values) == 1:
        return np.full(bins - 1, values[0])
    positions = _edge_positions(counts, bins)
    return values[positions - 1]


def _edge_positions(counts: IntArray, bins: int) -> IntArray:
    """Where the edges go: for edge j, the number p_j of distinct values below it.

    ``counts`` are the counts of at least two distinct values, in ascending
    order. Positions run over 1..k-1; they rise strictly when there are at
    least ``bins`` distinct values and by steps of 0 or 1 (covering every
    position) otherwise. The cost of edge j at position p is ``|bins × c_p -
    j × n|`` (``c_p`` values below it, ``n`` in all), ``n × bins`` times the
    gap between its share and ``j / bins``, so sums compare exactly.
    ``best[j][p]`` is the least cost of edges j.. with edge j at p; the
    forward pass then takes, edge by edge, the lowest position that keeps the
    total least.
    """
    k, n, edges = len(counts), int(counts.sum()), bins - 1
    below = np.cumsum(counts)[:-1]  # clients below an edge at positions 1..k-1
    j = np.arange(1, bins)[:, None]
    cost = np.abs(bins * below[None, :] - j * n).astype(np.int64)  # edges × positions
    strict = k >= bins
    best = np.empty_like(cost)
    best[-1] = cost[-1]
    if not strict:
        best[-1, :-1] = _INFEASIBLE  # the last edge must reach the last position
    for e in range(edges - 2, -1, -1):
        best[e] = np.minimum(cost[e] + _successor_best(best[e + 1], strict), _INFEASIBLE)
    if not strict:
        best[0, 1:] = _INFEASIBLE  # the first edge must start at the first position
    positions = np.empty(edges, dtype=np.int64)
    p = int(np.argmin(best[0]))  # argmin takes the first, i.e. the lowest, of equals
    positions[0] = p
    for e in range(1, edges):
        remaining = best[e - 1, p] - cost[e - 1, p]
        if strict:
            p = p + 1 + int(np.argmax(best[e, p + 1 :] == remaining))
        else:
            p = p if best[e, p] == remaining else p + 1
        positions[e] = p
    return positions + 1


def _successor_best(next_best: IntArray, strict: bool) -> IntArray:
    """For each position, the least cost of the following edges given this one's position."""
    shifted_end = np.array([_INFEASIBLE], dtype=np.int64)
    if strict:  # the next edge anywhere above: a suffix minimum, shifted by one
        suffix = np.minimum.accumulate(next_best[::-1])[::-1]
        return np.concatenate([suffix[1:], shifted_end])
    # the next edge at the same position or the one above
    return np.minimum(next_best, np.concatenate([next_best[1:], shifted_end]))


def _score(x: FloatArray, edges: FloatArray) -> IntArray:
    """1 + the number of edges strictly below each value; 1 for missing values."""
    if np.isnan(edges).any():
        return np.ones(len(x), dtype=np.int64)
    above = np.searchsorted(edges, x, side="left").astype(np.int64)
    return np.where(np.isnan(x), 1, above + 1)
