"""Value tiers by clustering clients' features: tier 1 holds the most valuable clients.

:class:`ValueSegmenter` is a scikit-learn clusterer over a
:func:`~am_analytics.segments._features.client_features` frame. It clusters the
log-standardised features (k-means or a Gaussian mixture), then orders and
names the clusters by the mean net value (``monetary``) of their clients, so
that tier 1 means the same thing whatever the seed, the row order or the run.

How it works, and why
---------------------
1. **Preprocessing.** Each feature ``x`` becomes ``sign(x)·log1p(|x|)`` (net
   value can be zero or negative after refunds; the log tames the long right
   tail of money and order counts), then is standardised with the mean and
   standard deviation learned at ``fit`` (a constant feature keeps scale 1).
2. **Canonical order.** Before anything that depends on row order (means,
   samples, k-means initialisation, mini-batches), rows are sorted by their
   feature values (``np.lexsort``; ``monetary`` breaks remaining ties), so a
   shuffled frame yields the same centres and the same tiers.
3. **Samples** are systematic: evenly spaced rows of that canonical order, a
   deterministic sample stratified along the sort keys, independent of the seed.
4. **Choosing k** (``k="auto"``): each k in 3..8 is clustered on a sample of at
   most :data:`SILHOUETTE_ROWS` clients and scored by its mean silhouette on
   that sample (the numbers of :func:`sklearn.metrics.silhouette_score`, with
   the pairwise distances computed once for all candidates); the best k wins,
   ties going to the smaller k. The chosen k is then fitted on all clients.
5. **Clustering.** ``method="kmeans"``: Lloyd's k-means with k-means++ and
   :data:`N_INIT` initialisations; above :data:`MINIBATCH_THRESHOLD` clients,
   ``MiniBatchKMeans`` started from k-means centres of a
   :data:`MINIBATCH_INIT_ROWS` sample and fed one pass of shuffled batches of
   :data:`MINIBATCH_BATCH_SIZE` through ``partial_fit``. ``method="gmm"``: a
   full-covariance Gaussian mixture started from the k-means centres, fitted on
   a sample of at most :data:`GMM_FIT_ROWS` clients; a client goes to the
   component of highest posterior probability.
6. **Tiers.** Clusters are ordered by the mean ``monetary`` (original units) of
   the clients they hold at ``fit``: tier 1 is the most valuable. Clients with a
   missing or infinite value in a used feature (with the default features:
   clients without any order, whose ``recency_days`` is NaN) are never dropped
   and never guessed: they get tier 0, :data:`UNTIERED_NAME`.

Fitting runs on one thread (OpenMP and BLAS): on two shared cores k-means ran
2-4x faster that way, and sums then add up in a fixed order, so the centres do
not depend on the number of cores. Measured on the 2-core reference machine (shared
with other jobs; best of three), 1,000,000 clients × 3 features: ``fit`` with
``k="auto"`` 2.0 s, with ``k=5`` 2.0 s, ``predict`` 0.15 s (k-means); 3.1 s,
2.2 s and 0.3 s with ``method="gmm"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from threadpoolctl import threadpool_limits

from ..errors import ConfigError, DataValidationError
from ._cluster_fitting import _canonical_order, _cluster, _Clusters
from ._cluster_json import read_segmenter, restore_segmenter, silhouette_series, write_segmenter

__all__ = ["DEFAULT_FEATURES", "NotFittedError", "ValueSegmenter"]


#: The features clustered by default: the classic R, F and M.
DEFAULT_FEATURES: Final = ("recency_days", "frequency", "monetary")


#: The tier of clients that cannot be placed (a used feature missing).
UNTIERED: Final = 0


#: The name of tier 0.
UNTIERED_NAME: Final = "no tier (no orders or missing data)"


_METHODS: Final = ("kmeans", "gmm")


class NotFittedError(ConfigError, _SklearnNotFittedError):  # type: ignore[misc]
    """A :class:`ValueSegmenter` was asked to predict before being fitted.

    Both an :class:`~am_analytics.errors.ConfigError` and scikit-learn's
    ``NotFittedError``, so either family of ``except`` catches it.
    """


class ValueSegmenter(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Cluster clients into value tiers; tier 1 = highest mean net value.

    A scikit-learn clusterer (``fit`` / ``predict`` / ``fit_predict``,
    ``get_params`` / ``set_params`` / ``clone``) that reads its features by
    name from a client-features frame. See the module docstring for the method.

    Parameters
    ----------
    k
        The number of tiers: an int >= 2, or ``"auto"`` to pick the best of
        3..8 by silhouette on a sample of at most 10,000 clients (ties go to
        the smaller k).
    method
        ``"kmeans"`` (default) or ``"gmm"`` (full-covariance Gaussian mixture).
    features
        The numeric columns clustered, in order. The frame given to ``fit``
        must also hold ``monetary``, which orders the tiers.
    random_state
        Seed of the k-means initialisations, mini-batch order and mixture fit;
        ``None`` for fresh randomness. Samples do not depend on it.

    Attributes
    ----------
    k_
        The number of tiers fitted.
    algorithm_
        ``"kmeans"``, ``"minibatch-kmeans"`` or ``"gmm"``: what ran.
    feature_names_in_, n_features_in_
        The features, as scikit-learn names them.
    feature_means_, feature_scales_
        Mean and standard deviation of each feature's signed log1p at fit.
    centers_
        k × features: the centres (mixture means) in the standardised space;
        row ``i`` is tier ``i + 1``.
    covariances_, weights_
        The mixture's covariances (k × features × features) and weights (k);
        ``None`` for k-means.
    silhouette_
        Silhouette on the sample by k (index ``k``): every candidate under
        ``k="auto"``, else the fitted k; NaN where it is undefined.
    tier_names_
        The name of tiers 1..k (tier 0 is :data:`UNTIERED_NAME`).
    tiers_
        One row per tier (1..k, then 0), index ``value_tier``: ``name``,
        ``clients``, ``share`` (of clients), ``monetary_mean``,
        ``monetary_share`` (of the total net value), and ``<feature>_center``
        (the centre in the feature's own units; NaN for tier 0).
    labels_
        The tier of each row of the fitted frame (not kept by ``to_json``).
    n_fitted_
        Rows of the fitted frame.

    Notes
    -----
    Stability: a permutation of the rows gives the same centres and tiers
    (rows are put in a canonical order first); on well-separated data the tiers
    do not depend on ``random_state``, since they are named by value, not by
    the arbitrary cluster numbers. Fitting runs on one thread, so neither does
    the number of cores. ``sklearn.utils.estimator_checks`` is not run: it
    feeds bare arrays of arbitrary width, while this estimator reads named
    columns and needs ``monetary`` to name its tiers.

    Measured on the 2-core reference machine (shared with other jobs, best of
    three), 1,000,000 clients with lognormal net value, geometric frequency and
    uniform recency: k-means ``fit`` with ``k="auto"`` 2.0 s (it chose 3), with
    ``k=5`` 2.0 s, ``predict`` 0.15 s; the mixture 3.1 s, 2.2 s and 0.3 s.

    Examples
    --------
    >>> import pandas as pd
    >>> features = pd.DataFrame(
    ...     {
    ...         "recency_days": [5.0, 8, 6, 60, 90, 75, 400, 380, 500, None],
    ...         "frequency": [40, 35, 50, 6, 5, 8, 1, 1, 2, 0],
    ...         "monetary": [9e5, 7e5, 1.2e6, 3e4, 2e4, 4e4, 500, 300, 800, -120],
    ...     },
    ...     index=pd.Index([f"C{i}" for i in range(10)], name="client_id"),
    ... )
    >>> segmenter = ValueSegmenter(k=3).fit(features)
    >>> segmenter.predict(features).tolist()
    [1, 1, 1, 2, 2, 2, 3, 3, 3, 0]
    >>> segmenter.tiers_[["name", "clients", "monetary_mean"]].round()
                                               name  clients  monetary_mean
    value_tier
    1                        tier 1 (most valuable)        3       933333.0
    2                                        tier 2        3        30000.0
    3                       tier 3 (least valuable)        3          533.0
    0           no tier (no orders or missing data)        1         -120.0
    """

    # learned state, set by fit or from_json (declared for readers and mypy)
    k_: int
    algorithm_: str
    feature_names_in_: np.ndarray
    n_features_in_: int
    feature_means_: np.ndarray
    feature_scales_: np.ndarray
    centers_: np.ndarray
    covariances_: np.ndarray | None
    weights_: np.ndarray | None
    silhouette_: pd.Series
    tier_names_: tuple[str, ...]
    tiers_: pd.DataFrame
    labels_: np.ndarray
    n_fitted_: int

    def __init__(
        self,
        *,
        k: int | str = "auto",
        method: str = "kmeans",
        features: Sequence[str] = DEFAULT_FEATURES,
        random_state: int | None = 0,
    ) -> None:
        # scikit-learn convention: store untouched, validate in fit
        self.k = k
        self.method = method
        self.features = features
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------

    def fit(self, frame: pd.DataFrame, y: object = None) -> ValueSegmenter:
        """Learn the preprocessing, the clusters and their value order from ``frame``.

        Parameters
        ----------
        frame
            One row per client with the ``features`` columns and ``monetary``
            (a :func:`~am_analytics.segments._features.client_features` table).
        y
            Ignored (scikit-learn's signature).

        Returns
        -------
        ValueSegmenter
            ``self``, fitted.

        Raises
        ------
        ConfigError
            ``k``, ``method``, ``features`` or ``random_state`` is invalid.
        DataValidationError
            A column is missing or not numeric, or too few clients can be
            clustered (k needs at least k clients with distinct features).
        """
        k_option, method, features, seed = self._checked_params()
        raw = _read_columns(frame, features)
        monetary = _read_columns(frame, ("monetary",))[:, 0]
        complete = np.isfinite(raw).all(axis=1)
        if not complete.any():
            raise DataValidationError(
                f"no client has complete values of {', '.join(features)} ({len(raw)} rows); "
                "cluster clients that have orders, or choose features they all have"
            )
        # canonical order: the same rows in any order give the same bits downstream
        order = _canonical_order(raw[complete], monetary[complete])
        logged = _signed_log1p(raw[complete][order])
        means = logged.mean(axis=0)
        scales = logged.std(axis=0)
        # a constant feature (whose float std is rounding noise, not 0): keep it unscaled
        scales[logged.min(axis=0) == logged.max(axis=0)] = 1.0
        points = (logged - means) / scales
        # One thread (OpenMP and BLAS): measured here, k-means and the mixture on
        # two shared cores ran 2-4x faster on one thread than on two (their
        # barriers stall when the other core is busy), and one thread adds partial
        # sums in a fixed order, so centres come out bit-identical whatever the
        # machine's core count.
        with threadpool_limits(limits=1):
            k, model, silhouettes = _cluster(points, k_option, method, seed, features)
        scores = model.scores(points)
        clusters = np.argmax(scores, axis=1).astype(np.int64)
        value_order = _value_order(clusters, monetary[complete][order], k)
        model = model.reordered(value_order)

        self.k_ = k
        self.algorithm_ = model.algorithm
        self.feature_names_in_ = np.asarray(features, dtype=object)
        self.n_features_in_ = len(features)
        self.feature_means_, self.feature_scales_ = means, scales
        self.centers_, self.covariances_, self.weights_ = (
            model.centers,
            model.covariances,
            model.weights,
        )
        self.silhouette_ = silhouette_series(silhouettes)
        self.tier_names_ = _tier_names(k)
        # predict(frame), from the scores at hand: the reordered clusters score each
        # row in the same columns, permuted, and a row's score is the same whatever
        # the order of the rows
        labels = np.full(len(raw), UNTIERED, dtype=np.int64)
        labels[np.flatnonzero(complete)[order]] = np.argmax(scores[:, value_order], axis=1) + 1
        self.labels_ = labels
        self.tiers_ = self._tier_table(self.labels_, monetary)
        self.n_fitted_ = len(frame)
        return self

    def fit_predict(self, frame: pd.DataFrame, y: object = None) -> np.ndarray:
        """Fit on ``frame`` and return its tiers (see :meth:`fit` and :meth:`predict`).

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [3.0, 4, 200, 210, 700, 650],
        ...      "frequency": [30, 25, 4, 5, 1, 1],
        ...      "monetary": [5e5, 6e5, 8e3, 9e3, 90, 70]}
        ... )
        >>> ValueSegmenter(k=3).fit_predict(frame).tolist()
        [1, 1, 2, 2, 3, 3]
        """
        return self.fit(frame).labels_

    # -- predicting ------------------------------------------------------------

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The tier of each client of ``frame`` under the fitted centres.

        Parameters
        ----------
        frame
            One row per client with the fitted ``features`` columns (e.g. the
            next quarter's client features); ``monetary`` is needed only if it
            is a feature.

        Returns
        -------
        numpy.ndarray
            int64, one per row in order: 1..k (1 = most valuable), or 0 where a
            used feature is missing or infinite.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [3.0, 4, 200, 210, 700, 650],
        ...      "frequency": [30, 25, 4, 5, 1, 1],
        ...      "monetary": [5e5, 6e5, 8e3, 9e3, 90, 70]}
        ... )
        >>> segmenter = ValueSegmenter(k=3).fit(frame)
        >>> later = pd.DataFrame(
        ...     {"recency_days": [10.0, 600, None], "frequency": [40, 2, 0],
        ...      "monetary": [7e5, 150, 0.0]}
        ... )
        >>> segmenter.predict(later).tolist()
        [1, 3, 0]
        """
        self._check_fitted()
        raw = _read_columns(frame, tuple(self.feature_names_in_))
        complete = np.isfinite(raw).all(axis=1)
        tiers = np.full(len(raw), UNTIERED, dtype=np.int64)
        points = (_signed_log1p(raw[complete]) - self.feature_means_) / self.feature_scales_
        tiers[complete] = self._model().assign(points) + 1
        return tiers

    def labels(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The tier of each client of ``frame``, with its name, for reports.

        Returns
        -------
        pandas.DataFrame
            Same index as ``frame``; see Notes.

        Notes
        -----
        Columns:

        - ``value_tier`` int64: 1..k, 1 = most valuable; 0 when a feature is missing;
        - ``value_tier_name`` ordered categorical: ``"tier 1 (most valuable)"``,
          ``"tier 2"``, …, ``"tier k (least valuable)"``, then
          ``"no tier (no orders or missing data)"``.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [3.0, 4, 200, 210, 700, 650],
        ...      "frequency": [30, 25, 4, 5, 1, 1],
        ...      "monetary": [5e5, 6e5, 8e3, 9e3, 90, 70]},
        ...     index=pd.Index(list("abcdef"), name="client_id"),
        ... )
        >>> ValueSegmenter(k=3).fit(frame).labels(frame).loc[["a", "c", "e"]]
                   value_tier          value_tier_name
        client_id
        a                   1   tier 1 (most valuable)
        c                   2                   tier 2
        e                   3  tier 3 (least valuable)
        """
        return self._labels_frame(self.predict(frame), frame.index)

    def _labels_frame(self, tiers: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """:meth:`labels` of the rows of ``index`` from their tiers (as :meth:`predict` gives)."""
        # tier t is category t - 1; tier 0 is the last category
        codes = np.where(tiers == UNTIERED, self.k_, tiers - 1)
        names = pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype([*self.tier_names_, UNTIERED_NAME], ordered=True)
        )
        return pd.DataFrame({"value_tier": tiers, "value_tier_name": names}, index=index)

    # -- persistence -----------------------------------------------------------

    def to_json(self) -> str:
        """Everything needed to predict, as plain JSON (floats exact, no NaN tokens).

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame(
        ...     {"recency_days": [3.0, 4, 200, 210, 700, 650],
        ...      "frequency": [30, 25, 4, 5, 1, 1],
        ...      "monetary": [5e5, 6e5, 8e3, 9e3, 90, 70]}
        ... )
        >>> text = ValueSegmenter(k=3).fit(frame).to_json()
        >>> ValueSegmenter.from_json(text).predict(frame).tolist()
        [1, 1, 2, 2, 3, 3]
        """
        self._check_fitted()
        return write_segmenter(self)

    @classmethod
    def from_json(cls, text: str) -> ValueSegmenter:
        """Rebuild a fitted segmenter from :meth:`to_json`'s output (``labels_`` is not kept).

        Raises
        ------
        ConfigError
            The text is not a segmenter written by :meth:`to_json`.
        """
        try:
            data = read_segmenter(text)
            params = data["params"]
            segmenter = cls(
                k=params["k"],
                method=params["method"],
                features=tuple(params["features"]),
                random_state=params["random_state"],
            )
            segmenter._checked_params()
            restore_segmenter(segmenter, data)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise ConfigError(
                f"cannot read the ValueSegmenter JSON: {error}; "
                "give the text written by ValueSegmenter.to_json()"
            ) from None
        return segmenter

    # -- internals ---------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` (or ``from_json``) has run: scikit-learn's ``check_is_fitted`` asks."""
        return hasattr(self, "centers_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                "this ValueSegmenter is not fitted yet: call fit(client_features) first, "
                "or load a fitted one with ValueSegmenter.from_json(text)"
            )

    def _model(self) -> _Clusters:
        return _Clusters(self.algorithm_, self.centers_, self.covariances_, self.weights_)

    def _checked_params(self) -> tuple[int | str, str, tuple[str, ...], int | None]:
        """The parameters, validated (scikit-learn validates in fit, not in __init__)."""
        k, method, features, seed = self.k, self.method, self.features, self.random_state
        if k != "auto" and not (
            isinstance(k, int | np.integer) and not isinstance(k, bool) and k >= 2
        ):
            raise ConfigError(
                f'k must be "auto" or an integer >= 2; found {k!r}; '
                'give the number of tiers, or "auto" to choose 3..8 by silhouette'
            )
        if method not in _METHODS:
            raise ConfigError(
                f"method must be one of {', '.join(map(repr, _METHODS))}; found {method!r}"
            )
        if (
            isinstance(features, str)
            or not isinstance(features, Sequence)
            or not features
            or not all(isinstance(f, str) and f for f in features)
        ):
            raise ConfigError(
                f"features must be a non-empty sequence of column names; found {features!r}; "
                f"e.g. {DEFAULT_FEATURES!r}"
            )
        repeated = sorted({f for f in features if list(features).count(f) > 1})
        if repeated:
            raise ConfigError(f"features are repeated: {repeated}; list each column once")
        if seed is not None and (
            not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0
        ):
            raise ConfigError(
                f"random_state must be a non-negative integer or None; found {seed!r}"
            )
        return k, method, tuple(features), None if seed is None else int(seed)

    def _tier_table(self, tiers: np.ndarray, monetary: np.ndarray) -> pd.DataFrame:
        """The per-tier summary of the fitted frame (see :attr:`tiers_`)."""
        k = self.k_
        # canonical order again, so the float sums do not depend on the row order
        order = np.lexsort((monetary, tiers))
        tiers, monetary = tiers[order], monetary[order]
        slots = np.where(tiers == UNTIERED, k, tiers - 1)  # rows 1..k, then 0
        counts = np.bincount(slots, minlength=k + 1)
        present = np.isfinite(monetary)
        totals = np.bincount(slots[present], weights=monetary[present], minlength=k + 1)
        valued = np.bincount(slots[present], minlength=k + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = totals / valued
            money_share = totals / totals.sum() if totals.sum() != 0 else np.full(k + 1, np.nan)
        out: dict[str, Any] = {
            "name": [*self.tier_names_, UNTIERED_NAME],
            "clients": counts.astype(np.int64),
            "share": counts / max(len(tiers), 1),
            "monetary_mean": means,
            "monetary_share": money_share,
        }
        centers = _signed_expm1(self.centers_ * self.feature_scales_ + self.feature_means_)
        for j, feature in enumerate(self.feature_names_in_):
            out[f"{feature}_center"] = np.r_[centers[:, j], np.nan]
        index = pd.Index(np.r_[np.arange(1, k + 1), UNTIERED].astype(np.int64), name="value_tier")
        return pd.DataFrame(out, index=index)


def _value_order(clusters: np.ndarray, monetary: np.ndarray, k: int) -> np.ndarray:
    """Cluster rows by descending mean ``monetary`` (empty or valueless clusters last)."""
    present = np.isfinite(monetary)
    totals = np.bincount(clusters[present], weights=monetary[present], minlength=k)
    counts = np.bincount(clusters[present], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(counts > 0, totals / counts, -np.inf)
    return np.lexsort((np.arange(k), -means))


def _tier_names(k: int) -> tuple[str, ...]:
    """``tier 1 (most valuable)``, ``tier 2``, …, ``tier k (least valuable)``."""
    names = [f"tier {t}" for t in range(1, k + 1)]
    names[0] += " (most valuable)"
    names[-1] += " (least valuable)"
    return tuple(names)


def _read_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The ``columns`` of ``frame`` as an n × len(columns) float64 array (NA → NaN)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"ValueSegmenter reads columns by name and needs a DataFrame of client features; "
            f"found {type(frame).__name__}; pass the client_features(...) table"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"the client features lack column(s) {', '.join(missing)}; "
            "compute them with client_features(sales, as_of=...) or choose other features",
            missing={"client_features": missing},
        )
    for column in columns:
        if not pd.api.types.is_numeric_dtype(frame[column].dtype):
            raise DataValidationError(
                f"feature {column!r} must be numeric; found dtype {frame[column].dtype}; "
                "cluster numeric columns only"
            )
    out = np.empty((len(frame), len(columns)))
    for j, column in enumerate(columns):
        out[:, j] = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    """``sign(x) · log1p(|x|)``: a log that keeps zero and the sign of refunds."""
    return np.sign(x) * np.log1p(np.abs(x))


def _signed_expm1(y: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_signed_log1p`."""
    return np.sign(y) * np.expm1(np.abs(y))
