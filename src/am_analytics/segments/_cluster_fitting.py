"""Fitting the value clusters: k-means (full or mini-batch), Gaussian mixtures, silhouettes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture

from ..errors import DataValidationError

#: The candidate numbers of tiers under ``k="auto"``.
AUTO_K: Final = (3, 4, 5, 6, 7, 8)


#: Most clients in the sample on which ``k="auto"`` scores silhouettes; the
#: silhouette costs O(rows²) distances (computed once for all candidates).
SILHOUETTE_ROWS: Final = 10_000


#: Rows of the sample whose distances to all others are held at once (40 MB each).
_SILHOUETTE_BLOCK: Final = 500

#: Rows of a block whose distances are computed together: 8 rows × 10,000
#: clients of float64 stay in a core's cache through the three passes per
#: feature; whole 500-row blocks (40 MB) went through memory each time and
#: took twice as long.
_DISTANCE_ROWS: Final = 8


#: Random k-means++ initialisations for k-means (the best inertia is kept).
N_INIT: Final = 4


#: Above this many clients k-means runs as MiniBatchKMeans. Measured here (2
#: cores, 3 features, k=5, one OpenMP thread): full k-means with 4 inits took
#: 0.35 s at 200k rows, 0.75 s at 500k, 1.3 s at 1M and 4.1 s at 2M; the
#: mini-batch path 0.23, 0.35, 0.45 and 0.77 s, with the same inertia to 4 digits.
MINIBATCH_THRESHOLD: Final = 200_000


#: Rows per mini-batch. Batches are fed through ``partial_fit`` rather than
#: ``fit``: in scikit-learn 1.9 ``MiniBatchKMeans.fit`` draws each batch with
#: ``choice(n, p=weights)``, which costs O(n) per batch (fit on 1M rows took
#: 2-4 s, on 10M rows 380 s, against 0.3 s and 1.7 s for this path).
MINIBATCH_BATCH_SIZE: Final = 65_536


#: Clients in the sample whose k-means centres start the mini-batch pass.
MINIBATCH_INIT_ROWS: Final = 100_000


#: Most clients a Gaussian mixture is fitted on (about 2.5 s at k=5 here; the
#: full population of 1M took 25 s); every client is then assigned.
GMM_FIT_ROWS: Final = 50_000


_LOG_2PI: Final = math.log(2 * math.pi)


@dataclass(frozen=True, slots=True)
class _Clusters:
    """Fitted clusters in the standardised space: centres, and the mixture's shape."""

    algorithm: str
    centers: np.ndarray
    covariances: np.ndarray | None = None
    weights: np.ndarray | None = None

    def assign(self, points: np.ndarray) -> np.ndarray:
        """The cluster (0-based row of ``centers``) of each point; ties go to the lower row."""
        if len(points) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.argmax(self.scores(points), axis=1).astype(np.int64)

    def scores(self, points: np.ndarray) -> np.ndarray:
        """n × k: how well each cluster fits each point (higher is better).

        Each column depends on its own cluster alone, so the scores of
        :meth:`reordered` clusters are these columns, permuted.
        """
        if self.covariances is not None and self.weights is not None:
            return _gmm_log_density(points, self.centers, self.covariances, self.weights)
        return -_squared_distances(points, self.centers)

    def reordered(self, order: np.ndarray) -> _Clusters:
        """The same clusters with rows in ``order`` (new row i = old row ``order[i]``)."""
        return _Clusters(
            self.algorithm,
            self.centers[order],
            None if self.covariances is None else self.covariances[order],
            None if self.weights is None else self.weights[order],
        )


def _squared_distances(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """n × k squared Euclidean distances, column by column (exact, no expansion)."""
    out = np.empty((len(points), len(centers)))
    for j, center in enumerate(centers):
        out[:, j] = ((points - center) ** 2).sum(axis=1)
    return out


def _gmm_log_density(
    points: np.ndarray, means: np.ndarray, covariances: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """n × k log of weight × Gaussian density: the posterior up to a per-row constant."""
    n, d = points.shape
    out = np.empty((n, len(means)))
    for j, (mean, covariance, weight) in enumerate(zip(means, covariances, weights, strict=True)):
        lower = np.linalg.cholesky(covariance)
        # numpy's inverse of the tiny factor: scipy's triangular solve took ~10 ms a
        # call here once OpenBLAS threads had gone to sleep, numpy's takes microseconds
        inverse = np.linalg.inv(lower)
        diff = points - mean
        # Mahalanobis distance row by row of the (features × features) inverse:
        # elementwise passes, no BLAS call with a million-row operand
        mahalanobis = np.zeros(n)
        for row in inverse:
            mahalanobis += (diff * row).sum(axis=1) ** 2
        log_det = 2.0 * np.log(np.diag(lower)).sum()
        with np.errstate(divide="ignore"):  # a weight of 0 is a component never chosen
            log_weight = np.log(weight)
        out[:, j] = log_weight - 0.5 * (d * _LOG_2PI + log_det + mahalanobis)
    return out


def _canonical_order(raw: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    """Rows sorted by feature values, first feature first, ``monetary`` breaking ties.

    Rows equal on every key are interchangeable, so any permutation of the input
    yields the same sorted array.
    """
    keys = [monetary, *(raw[:, j] for j in reversed(range(raw.shape[1])))]
    return np.lexsort(keys)


def _cluster(
    points: np.ndarray,
    k_option: int | str,
    method: str,
    seed: int | None,
    features: tuple[str, ...],
) -> tuple[int, _Clusters, dict[int, float]]:
    """Choose k (if ``"auto"``) and cluster ``points``; also the silhouettes on the sample."""
    sample = points[_systematic(len(points), SILHOUETTE_ROWS)]
    if k_option == "auto":
        k, silhouettes, reusable = _choose_k(sample, method, seed, full=len(points))
        model = reusable if reusable is not None else _fit_model(points, k, method, seed)
        return k, model, silhouettes
    k = int(k_option)
    _check_enough(_distinct_rows(points), k, features)
    model = _fit_model(points, k, method, seed)
    return k, model, {k: _silhouettes(sample, [model.assign(sample)])[0]}


def _fit_model(points: np.ndarray, k: int, method: str, seed: int | None) -> _Clusters:
    """Cluster ``points`` (in canonical order) into ``k`` clusters with ``method``."""
    if method == "gmm":
        return _fit_gmm(points, k, seed)
    if len(points) > MINIBATCH_THRESHOLD:
        return _fit_minibatch(points, k, seed)
    kmeans = KMeans(k, n_init=N_INIT, random_state=seed).fit(points)
    return _Clusters("kmeans", kmeans.cluster_centers_)


def _fit_minibatch(points: np.ndarray, k: int, seed: int | None) -> _Clusters:
    """k-means for many clients: centres from a sample, refined by one mini-batch pass."""
    start = KMeans(k, n_init=N_INIT, random_state=seed)
    start.fit(points[_systematic(len(points), MINIBATCH_INIT_ROWS)])
    model = MiniBatchKMeans(
        k,
        init=start.cluster_centers_,
        n_init=1,
        batch_size=MINIBATCH_BATCH_SIZE,
        random_state=seed,
        # well-started centres are not starved; reassigning them would only add noise
        reassignment_ratio=0.0,
    )
    shuffled = np.random.default_rng(seed).permutation(len(points))
    # equal batches, so even the last one holds at least k rows
    for batch in np.array_split(shuffled, math.ceil(len(points) / MINIBATCH_BATCH_SIZE)):
        model.partial_fit(points[np.sort(batch)])
    return _Clusters("minibatch-kmeans", model.cluster_centers_)


def _fit_gmm(points: np.ndarray, k: int, seed: int | None) -> _Clusters:
    """A full-covariance Gaussian mixture on a sample, started from k-means centres."""
    sample = points[_systematic(len(points), GMM_FIT_ROWS)]
    start = KMeans(k, n_init=N_INIT, random_state=seed).fit(sample)
    mixture = GaussianMixture(
        k,
        covariance_type="full",
        means_init=start.cluster_centers_,
        max_iter=300,
        random_state=seed,
    ).fit(sample)
    return _Clusters("gmm", mixture.means_, mixture.covariances_, mixture.weights_)


def _choose_k(
    sample: np.ndarray, method: str, seed: int | None, *, full: int
) -> tuple[int, dict[int, float], _Clusters | None]:
    """The best k of :data:`AUTO_K` by silhouette on ``sample`` (ties: smaller k).

    Also returns the winner's clusters when ``sample`` is the whole population
    (then refitting would repeat the same computation).
    """
    distinct = _distinct_rows(sample)
    candidates = [k for k in AUTO_K if k < distinct]  # silhouette needs k < distinct points
    if not candidates:
        raise DataValidationError(
            f'k="auto" needs at least {AUTO_K[0] + 1} clients with distinct, complete features; '
            f"found {distinct}; give more clients or a fixed k"
        )
    # six small fits on the sample, not a loop over clients
    models = {k: _fit_model(sample, k, method, seed) for k in candidates}
    scores = _silhouettes(sample, [models[k].assign(sample) for k in candidates])
    silhouettes = dict(zip(candidates, scores, strict=True))
    best = candidates[0]
    for k in candidates[1:]:
        if silhouettes[k] > silhouettes[best] or math.isnan(silhouettes[best]):
            best = k
    if math.isnan(silhouettes[best]):
        raise DataValidationError(
            "no candidate k gave a defined silhouette (every clustering put the sample in one "
            "cluster); give a fixed k"
        )
    return best, silhouettes, models[best] if len(sample) == full else None


def _silhouettes(sample: np.ndarray, labelings: Sequence[np.ndarray]) -> list[float]:
    """The mean silhouette of each labelling of ``sample``; NaN where it is undefined.

    The numbers of :func:`sklearn.metrics.silhouette_score` (Euclidean; a client
    alone in its cluster scores 0), but the rows² distances, the costly part and
    the same for every candidate k, are computed once, a block of rows at a
    time, and shared: six candidates on 10,000 rows took 3.8 s through
    ``silhouette_score`` here, 0.7 s this way (both on one thread). The
    labellings' one-hot columns sit side by side in one matrix, so each block
    of distances is read by one matrix product instead of one per candidate
    (each column's sums are the same dot products, so the same bits).
    """
    m = len(sample)
    codes, sizes = [], []
    for labels in labelings:
        _, code = np.unique(labels, return_inverse=True)
        codes.append(code.reshape(-1))
        sizes.append(np.bincount(code.reshape(-1)).astype(np.float64))
    offsets = np.cumsum([0, *(len(size) for size in sizes)])
    onehot = np.zeros((m, int(offsets[-1])))
    for code, offset in zip(codes, offsets[:-1], strict=True):  # a handful of labellings
        onehot[np.arange(m), offset + code] = 1.0
    totals = np.zeros(len(labelings))
    squared = np.empty((min(m, _SILHOUETTE_BLOCK), m))
    difference = np.empty((min(m, _DISTANCE_ROWS), m))
    columns = [np.ascontiguousarray(sample[:, j]) for j in range(sample.shape[1])]
    for start in range(0, m, _SILHOUETTE_BLOCK):
        block = sample[start : start + _SILHOUETTE_BLOCK]
        rows = np.arange(len(block))
        distances = squared[: len(block)]
        # a few rows at a time, so each row's passes stay in cache; every element
        # goes through the same operations as a whole block at once
        for first in range(0, len(block), _DISTANCE_ROWS):
            part = block[first : first + _DISTANCE_ROWS]
            squares = distances[first : first + len(part)]
            scratch = difference[: len(part)]
            # exact differences, no |a|²+|b|²-2ab cancellation; the first square is
            # written (0 + d² is d²), the others added, into buffers reused by every block
            np.subtract(part[:, 0, None], columns[0][None, :], out=squares)
            np.multiply(squares, squares, out=squares)
            for j in range(1, len(columns)):
                np.subtract(part[:, j, None], columns[j][None, :], out=scratch)
                np.multiply(scratch, scratch, out=scratch)
                squares += scratch
            np.sqrt(squares, out=squares)
        all_sums = distances @ onehot  # block × all clusters: summed distance to each
        for i, (code, size) in enumerate(zip(codes, sizes, strict=True)):
            sums = all_sums[:, offsets[i] : offsets[i + 1]]
            own = code[start : start + len(block)]
            own_size = size[own]
            inside = sums[rows, own] / np.maximum(own_size - 1, 1)
            means = sums / size
            means[rows, own] = np.inf
            nearest = means.min(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                score = (nearest - inside) / np.maximum(inside, nearest)
            score[own_size == 1] = 0.0
            totals[i] += np.nan_to_num(score, nan=0.0, posinf=0.0, neginf=0.0).sum()
    return [totals[i] / m if 2 <= len(size) < m else math.nan for i, size in enumerate(sizes)]


def _check_enough(distinct: int, k: int, features: tuple[str, ...]) -> None:
    """Raise unless there are at least ``k`` distinct complete feature rows."""
    if distinct < k:
        raise DataValidationError(
            f"k={k} needs at least {k} clients with distinct, complete values of "
            f"{', '.join(features)}; found {distinct}; lower k or give more clients"
        )


def _systematic(n: int, size: int) -> np.ndarray:
    """``size`` evenly spaced row positions of ``n`` (all rows when ``n <= size``)."""
    if n <= size:
        return np.arange(n)
    return (np.arange(size) * n) // size


def _distinct_rows(sorted_points: np.ndarray) -> int:
    """Distinct rows of a lexicographically sorted array."""
    if len(sorted_points) == 0:
        return 0
    return 1 + int(np.count_nonzero((sorted_points[1:] != sorted_points[:-1]).any(axis=1)))
