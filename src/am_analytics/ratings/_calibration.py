"""Rater calibration, competency scores and rater bias."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..schemas import RATER_ROLES
from ._layout import (
    _SELF,
    ROLE_WEIGHTS,
    BoolArray,
    FloatArray,
    IntArray,
    _check_method,
    _finite_number,
    _Layout,
    _layout,
    _per_key_mean,
    _sum_by,
)


def calibrate(ratings: pd.DataFrame, *, method: str = "rater_center") -> pd.DataFrame:
    """Remove each rater's leniency or severity from their scores.

    Parameters
    ----------
    ratings
        A validated ratings table. Leniency is estimated on every rating in it
        (all periods, competencies and roles); to estimate it on some periods
        only, filter the frame first.
    method
        ``"rater_center"`` (default), ``"zscore"`` or ``"none"``; see Notes.

    Returns
    -------
    pandas.DataFrame
        A copy of ``ratings`` with two more columns (existing ones of the same
        name are replaced); the input is not modified.

    Raises
    ------
    ConfigError
        If ``method`` is not one of :data:`CALIBRATION_METHODS`.
    DataValidationError
        If a required column is missing, ``score`` is not numeric, a key
        column has missing values or ``rater_role`` has an unknown role.

    Notes
    -----
    Output columns, added to those of ``ratings``:

    ``leniency``
        The rater's estimated offset (float, score points; positive = lenient).
    ``calibrated_score``
        The score with the leniency removed (float). It may leave the rating
        scale (a severe rater's 5 can become 5.3); it is not clipped, so that
        shifts and averages stay exact.

    A rater is a (``rater_id``, ``rater_role``) pair (see the module notes).

    ``"none"``
        ``calibrated_score = score``, ``leniency = 0``.
    ``"rater_center"``
        ``calibrated_score = score - leniency``, where the leniency is the
        rater's mean deviation from the consensus of the *other* raters of the
        same item: for each of the rater's ratings, the score minus the mean
        calibrated score the same manager got for the same competency and
        period from the other raters, ``self`` ratings never counting in a
        consensus. Since the consensus is made of calibrated scores, the
        leniencies are the fixed point of that rule; they are found exactly by
        one sparse linear solve (the rater-by-rater graph Laplacian of
        co-rating), not by iterating. Ratings without another non-self rating
        of the same item do not count, and a rater with no such rating gets
        leniency 0. Self raters are measured against the calibrated consensus
        of the non-self raters.

        Leniency is only identified relative to the raters one is compared
        with (directly or through others): a team whose supervisor and peers
        are all lenient cannot be told from a strong team. Within each group
        of raters linked by co-rating, the zero point is the group's *typical*
        rater, the median leniency weighted by comparable ratings (midpoint on
        an exact split): calibrated scores are on that rater's scale. A mean
        would do as well when leniency is spread evenly, but one extreme
        rater would then shift the calibrated scores of their whole group and
        make every other rater look severe.

        Why not "the rater's mean minus the overall mean"? That confounds
        leniency with the quality of whom a rater happens to rate: the
        supervisor of a strong team would look lenient and be marked down. On
        the synthetic sample it makes competency scores *worse* than no
        calibration. Why the fixed point rather than one pass of "deviation
        from the others' raw mean"? A single pass over-corrects: with two
        raters one point apart it swaps them instead of meeting in the middle,
        and a lenient rater inflates the consensus every other rater is
        measured against. The fixed point removes a constant offset exactly.
    ``"zscore"``
        Standardise within rater, ``z = (score - rater mean) / rater sd``
        (sample sd), and map back onto the rating scale with the overall mean
        and sd of all scores in the frame: ``calibrated_score = overall mean +
        overall sd * z``, comparable with the other methods. A rater with a
        single rating or a zero sd gets ``z = 0``. ``leniency`` is the rater's
        mean minus the overall mean (the offset removed before rescaling).
        This also equalises how much raters spread their scores, but it
        ignores whom they rated, so it shares the confounding above.

    Examples
    --------
    Two peers rate two managers; R1 is one point more lenient than R2 on both:

    >>> import pandas as pd
    >>> ratings = pd.DataFrame({
    ...     "manager_id": pd.Categorical(["M1", "M1", "M2", "M2"]),
    ...     "period": "2026Q3",
    ...     "rater_id": ["R1", "R2", "R1", "R2"],
    ...     "rater_role": "peer",
    ...     "competency": "teamwork",
    ...     "score": [4.0, 3.0, 5.0, 4.0],
    ... })
    >>> calibrate(ratings)[["manager_id", "rater_id", "score", "leniency", "calibrated_score"]]
      manager_id rater_id  score  leniency  calibrated_score
    0         M1       R1    4.0       0.5               3.5
    1         M1       R2    3.0      -0.5               3.5
    2         M2       R1    5.0       0.5               4.5
    3         M2       R2    4.0      -0.5               4.5
    """
    _check_method(method)
    layout = _layout(ratings)
    leniency, calibrated = _calibration(layout, method)
    return ratings.assign(leniency=leniency[layout.key], calibrated_score=calibrated)


def competency_scores(
    ratings: pd.DataFrame,
    *,
    method: str = "rater_center",
    role_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One calibrated score per manager, period and competency, roles weighted.

    The ratings are calibrated (:func:`calibrate`, leniency estimated on the
    whole frame), averaged within each rater role, and the role means are
    combined in a weighted mean whose weights are renormalised over the roles
    present. Roles of weight 0 (``self`` by default) are left out.

    Parameters
    ----------
    ratings
        A validated ratings table.
    method
        The calibration method, as in :func:`calibrate`.
    role_weights
        Weight of each rater role (:data:`am_analytics.schemas.RATER_ROLES`),
        each finite and at least 0, not all 0. Roles not named get weight 0.
        Defaults to :data:`ROLE_WEIGHTS`.

    Returns
    -------
    pandas.DataFrame
        One row per (manager_id, period, competency) that has a rating, sorted
        by manager (category order), period and competency.

    Raises
    ------
    ConfigError
        If ``method`` or ``role_weights`` is invalid.
    DataValidationError
        As for :func:`calibrate`.

    Notes
    -----
    Output columns:

    ``manager_id``
        Categorical with the categories of ``ratings.manager_id``.
    ``period``, ``competency``
        As in ``ratings``.
    ``score``
        Weighted mean of the role means of the calibrated scores (float); NaN
        when no role of positive weight rated the item (e.g. only ``self``).
    ``n_ratings``
        Ratings that counted, i.e. from roles of positive weight (int).
    ``n_raters``
        Distinct ``rater_id`` among them (int; equal to ``n_ratings`` in a
        table that respects its key).
    ``roles``
        The roles that counted, sorted and joined by ``+``
        (``"peer+supervisor"``); empty when none did.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({
    ...     "manager_id": pd.Categorical(["M1"] * 4),
    ...     "period": "2026Q3",
    ...     "rater_id": ["S-1", "M2", "M3", "M1"],
    ...     "rater_role": ["supervisor", "peer", "peer", "self"],
    ...     "competency": "teamwork",
    ...     "score": [4.0, 2.0, 3.0, 5.0],
    ... })
    >>> competency_scores(ratings, method="none")
      manager_id  period competency   score  n_ratings  n_raters            roles
    0         M1  2026Q3   teamwork  3.4375          3         3  peer+supervisor

    (0.5 * 4 + 0.3 * 2.5) / (0.5 + 0.3) = 3.4375: the client weight is
    renormalised away, the self rating is left out.
    """
    _check_method(method)
    weights = _role_weight_vector(ROLE_WEIGHTS if role_weights is None else role_weights)
    layout = _layout(ratings)
    _, calibrated = _calibration(layout, method)
    return _aggregate_roles(layout, calibrated, weights)


def rater_bias(ratings: pd.DataFrame, *, threshold: float = 1.96) -> pd.DataFrame:
    """Each rater's leniency with its standard error, and whether it stands out.

    Parameters
    ----------
    ratings
        A validated ratings table; leniency is estimated on all of it, as in
        :func:`calibrate` with ``method="rater_center"``.
    threshold
        A rater is an outlier when ``|z| > threshold`` (default 1.96: 5%
        two-sided).

    Returns
    -------
    pandas.DataFrame
        One row per rater, i.e. per (``rater_id``, ``rater_role``) pair (a
        manager rating as peer and as self has two rows, see the module
        notes), sorted by leniency descending, then ``rater_id`` and role.

    Raises
    ------
    ConfigError
        If ``threshold`` is not a positive number.
    DataValidationError
        As for :func:`calibrate`.

    Notes
    -----
    Output columns:

    ``rater_id``, ``rater_role``
        The rater (str).
    ``n_ratings``
        The rater's ratings (int).
    ``n_comparable``
        Those with another non-self rating of the same item (int).
    ``leniency``
        As in :func:`calibrate`: the mean deviation of the rater's scores from
        the other raters' calibrated consensus (0 without comparable ratings).
    ``std_error``
        Sample sd of those deviations / sqrt(n_comparable); NaN with fewer than
        2 comparable ratings. It treats the consensus as known, so it is a
        little optimistic.
    ``z``
        ``leniency / std_error`` (±inf for a perfectly consistent non-zero
        offset, NaN when undefined).
    ``outlier``
        ``|z| > threshold`` (bool; False when ``z`` is NaN). Each rater is
        tested on their own, so among many typical raters a few cross the
        threshold by chance (5% of them at 1.96); raise it for a stricter list.

    Leniency is measured from the typical rater of the rater's group (see
    :func:`calibrate`), so one very lenient rater stands out alone rather than
    making all the others look severe.

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({
    ...     "manager_id": pd.Categorical(["M1", "M1", "M2", "M2", "M3", "M3"]),
    ...     "period": "2026Q3",
    ...     "rater_id": ["R1", "R2"] * 3,
    ...     "rater_role": "peer",
    ...     "competency": "teamwork",
    ...     "score": [4.0, 3.0, 5.0, 3.0, 4.0, 3.0],
    ... })
    >>> rater_bias(ratings)[["rater_id", "n_comparable", "leniency", "std_error"]].round(3)
      rater_id  n_comparable  leniency  std_error
    0       R1             3     0.667      0.333
    1       R2             3    -0.667      0.333
    """
    cutoff = _finite_number(threshold)
    if cutoff is None or cutoff <= 0:
        raise ConfigError(
            f"threshold must be a positive number (a |z| cut-off), got {threshold!r}; "
            "pass e.g. threshold=1.96"
        )
    layout = _layout(ratings)
    consensus = _consensus(layout)
    return _bias_table(layout, consensus, cutoff)


def _role_weight_vector(role_weights: Mapping[str, float]) -> FloatArray:
    """The weights aligned with RATER_ROLES, after checking them."""
    if not isinstance(role_weights, Mapping):
        raise ConfigError(
            f"role_weights must be a mapping of rater role to weight, got "
            f"{type(role_weights).__name__}; pass e.g. {{'supervisor': 0.5, 'peer': 0.5}}"
        )
    unknown = sorted(str(role) for role in role_weights if role not in RATER_ROLES)
    if unknown:
        raise ConfigError(
            f"role_weights names unknown rater roles {unknown}; the roles are "
            f"{', '.join(RATER_ROLES)}. Fix the role names"
        )
    weights = np.zeros(len(RATER_ROLES))
    for role, weight in role_weights.items():
        number = _finite_number(weight)
        if number is None or number < 0:
            raise ConfigError(
                f"role weight of {role!r} must be a finite number of at least 0, got "
                f"{weight!r}; use 0 to leave a role out"
            )
        weights[RATER_ROLES.index(role)] = number
    if weights.sum() <= 0:
        raise ConfigError(
            f"role_weights are all 0 ({dict(role_weights)}); at least one role needs a "
            "positive weight, e.g. {'supervisor': 0.5, 'peer': 0.3, 'client': 0.2}"
        )
    return weights


@dataclass(frozen=True, slots=True)
class _Consensus:
    """Rater leniency from the consensus of the other raters."""

    leniency: FloatArray  # per key
    deviation: FloatArray  # per row: score - other raters' calibrated mean; NaN if none


def _calibration(layout: _Layout, method: str) -> tuple[FloatArray, FloatArray]:
    """Per-key leniency and per-row calibrated score of ``method``."""
    if method == "rater_center":
        leniency = _consensus(layout).leniency
        return leniency, layout.score - leniency[layout.key]
    if method == "zscore":
        return _zscore(layout)
    return np.zeros(layout.n_keys), layout.score.copy()


def _consensus(layout: _Layout) -> _Consensus:
    """Leniency as the fixed point of "mean deviation from the other raters' calibrated mean".

    Non-self raters are solved jointly (see :func:`_solve_leniency`); self
    raters are then measured against the calibrated non-self consensus.
    """
    item, score = layout.item, layout.score
    nonself = layout.valid & (layout.role != _SELF)
    n_nonself = np.bincount(item[nonself], minlength=layout.n_items)
    leniency = _solve_leniency(layout, nonself, n_nonself)
    calibrated = np.where(nonself, score - leniency[layout.key], 0.0)
    total = _sum_by(item, layout.n_items, calibrated)
    others = n_nonself[item] - nonself
    comparable = layout.valid & (others > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        others_mean = (total[item] - calibrated) / others
    deviation = np.where(comparable, score - others_mean, np.nan)
    self_keys = layout.key_parts[1] == _SELF
    self_mean = _per_key_mean(layout, deviation, comparable)
    leniency[self_keys] = np.nan_to_num(self_mean[self_keys], nan=0.0)
    return _Consensus(leniency=leniency, deviation=deviation)


def _solve_leniency(layout: _Layout, nonself: BoolArray, n_nonself: IntArray) -> FloatArray:
    """Leniency of every non-self rater, solving the fixed point exactly.

    For rater j with comparable ratings r (items g with n_g >= 2 non-self
    ratings), the fixed point ``sum_r [score_r - lambda_j - mean_{o != j in g}
    (score_o - lambda_o)] = 0`` is the linear system ``L lambda = b`` with L the
    Laplacian of the co-rating graph (edge weight sum_g 1 / (n_g - 1)) and b
    the summed deviations from the others' raw means. L is singular once per
    connected group of raters; one rater per group is pinned at 0, the rest
    solved, and each group shifted so that its typical rater (the weighted
    median, weights = comparable ratings) has leniency 0.
    """
    # scipy.sparse costs a tenth of a second to import: load it when ratings are calibrated
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import spsolve

    n_keys, n_items, item, key = layout.n_keys, layout.n_items, layout.item, layout.key
    leniency = np.zeros(n_keys)
    rows = np.flatnonzero(nonself & (n_nonself[item] >= 2))
    if rows.size == 0:
        return leniency
    item_r, key_r, score_r = item[rows], key[rows], layout.score[rows]
    group_n = n_nonself[item_r].astype(np.float64)
    group_sum = _sum_by(item_r, n_items, score_r)
    deviation = score_r - (group_sum[item_r] - score_r) / (group_n - 1)
    b = _sum_by(key_r, n_keys, deviation)
    n_j = _sum_by(key_r, n_keys)
    incidence = sp.csr_array((np.ones(rows.size), (item_r, key_r)), shape=(n_items, n_keys))
    per_item = np.zeros(n_items)
    per_item[item_r] = 1.0 / (group_n - 1)
    entry_item = np.repeat(np.arange(n_items), np.diff(incidence.indptr))
    weighted = sp.csr_array(
        (incidence.data * per_item[entry_item], incidence.indices, incidence.indptr),
        shape=(n_items, n_keys),
    )
    co_rating = (incidence.T @ weighted).tocsr()  # diagonal: sum_r 1 / (n_g - 1)
    laplacian = (sp.diags_array(n_j + co_rating.diagonal()) - co_rating).tocsr()
    n_groups, group = connected_components(co_rating, directed=False)
    pinned = np.zeros(n_keys, dtype=bool)
    pinned[np.unique(group, return_index=True)[1]] = True
    free = np.flatnonzero(~pinned)
    if free.size:
        reduced = laplacian[free][:, free].tocsc()
        leniency[free] = np.atleast_1d(spsolve(reduced, b[free]))
    return leniency - _typical_leniency(leniency, n_j, group, n_groups)[group]


def _typical_leniency(
    leniency: FloatArray, weight: FloatArray, group: IntArray, n_groups: int
) -> FloatArray:
    """Each group's weighted median leniency (midpoint when the weight splits exactly).

    0 for groups without weight (raters with no comparable rating).
    """
    total = _sum_by(group, n_groups, weight)
    order = np.lexsort((leniency, group))
    sorted_group, sorted_leniency = group[order], leniency[order]
    before = np.concatenate([[0.0], np.cumsum(total)[:-1]])
    within = np.cumsum(weight[order]) - before[sorted_group]
    half = total[sorted_group] / 2
    position = np.arange(order.size)
    lower = np.full(n_groups, order.size - 1)
    upper = np.full(n_groups, order.size - 1)
    reached, passed = within >= half, within > half
    np.minimum.at(lower, sorted_group[reached], position[reached])
    np.minimum.at(upper, sorted_group[passed], position[passed])
    median = (sorted_leniency[lower] + sorted_leniency[upper]) / 2
    return np.where(total > 0, median, 0.0)


def _zscore(layout: _Layout) -> tuple[FloatArray, FloatArray]:
    """Per-key leniency (rater mean - overall mean) and the z-score calibration."""
    valid, score, key = layout.valid, layout.score, layout.key
    if not valid.any():
        return np.zeros(layout.n_keys), score.copy()
    mean = _per_key_mean(layout, score, valid)
    n = _sum_by(key[valid], layout.n_keys)
    squares = _sum_by(key[valid], layout.n_keys, (score[valid] - mean[key[valid]]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(squares / (n - 1))
    usable = (n >= 2) & (sd > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(usable[key], (score - mean[key]) / sd[key], 0.0)
    overall_mean = float(score[valid].mean())
    overall_sd = float(score[valid].std(ddof=1)) if valid.sum() >= 2 else 0.0
    calibrated = np.where(valid, overall_mean + overall_sd * z, np.nan)
    return np.nan_to_num(mean - overall_mean, nan=0.0), calibrated


def _aggregate_roles(layout: _Layout, calibrated: FloatArray, weights: FloatArray) -> pd.DataFrame:
    """Role means per item, combined with the weights renormalised over the roles present."""
    n_items, n_roles = layout.n_items, len(RATER_ROLES)
    counted = layout.valid & (weights[layout.role] > 0)
    cell = layout.item[counted] * n_roles + layout.role[counted]
    size = n_items * n_roles
    count = np.bincount(cell, minlength=size).reshape(n_items, n_roles)
    total = _sum_by(cell, size, calibrated[counted])
    total = total.reshape(n_items, n_roles)
    present = count > 0
    role_mean = np.divide(total, count, out=np.zeros_like(total), where=present)
    weight = np.where(present, weights[None, :], 0.0)
    weight_sum = weight.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (weight * role_mean).sum(axis=1) / weight_sum
    n_raters = _distinct_raters(layout, counted)
    manager, period, competency = layout.item_parts
    return pd.DataFrame(
        {
            "manager_id": _manager_column(layout, manager),
            "period": layout.periods.take(period).to_numpy(),
            "competency": layout.competencies.take(competency).to_numpy(),
            "score": np.where(weight_sum > 0, score, np.nan),
            "n_ratings": count.sum(axis=1).astype(np.int64),
            "n_raters": n_raters,
            "roles": _role_labels(present),
        }
    )


def _distinct_raters(layout: _Layout, counted: BoolArray) -> IntArray:
    """Distinct rater_id among the counted ratings of each item.

    A sparse item × rater_id matrix merges repeated pairs, which is cheaper than
    hashing the pairs.
    """
    import scipy.sparse as sp  # see _solve_leniency

    shape = (layout.n_items, len(layout.rater_ids))
    ones = np.ones(int(counted.sum()), dtype=np.int8)
    pairs = sp.csr_array((ones, (layout.item[counted], layout.rater[counted])), shape=shape)
    pairs.sum_duplicates()
    return np.diff(pairs.indptr).astype(np.int64)


def _role_labels(present: BoolArray) -> pd.Series:
    """``"peer+supervisor"``-style labels of the roles present in each row."""
    order = np.argsort(RATER_ROLES)
    names = [RATER_ROLES[i] for i in order]
    bits = (present[:, order] * (1 << np.arange(len(order)))).sum(axis=1)
    labels = np.asarray(
        [
            "+".join(n for b, n in enumerate(names) if mask >> b & 1)
            for mask in range(1 << len(names))
        ],
        dtype=object,
    )
    return pd.Series(labels[bits], dtype="str")


def _manager_column(layout: _Layout, codes: IntArray) -> Any:
    """manager_id values for codes, categorical with every category when the input was."""
    if layout.manager_dtype is not None:
        return pd.Categorical.from_codes(codes, dtype=layout.manager_dtype)
    return layout.manager_values.take(codes).to_numpy()


def _bias_table(layout: _Layout, consensus: _Consensus, threshold: float) -> pd.DataFrame:
    """One row per rater: leniency, its standard error, z and the outlier flag."""
    key, deviation = layout.key, consensus.deviation
    comparable = ~np.isnan(deviation)
    n_ratings = np.bincount(key, minlength=layout.n_keys)
    n_comparable = np.bincount(key[comparable], minlength=layout.n_keys)
    mean = _per_key_mean(layout, deviation, comparable)
    spread = (deviation[comparable] - mean[key[comparable]]) ** 2
    squares = _sum_by(key[comparable], layout.n_keys, spread)
    with np.errstate(invalid="ignore", divide="ignore"):
        std_error = np.sqrt(squares / (n_comparable - 1)) / np.sqrt(n_comparable)
        std_error = np.where(n_comparable >= 2, std_error, np.nan)
        z = consensus.leniency / std_error
    rater, role = layout.key_parts
    table = pd.DataFrame(
        {
            "rater_id": layout.rater_ids.take(rater).to_numpy(),
            "rater_role": np.asarray(RATER_ROLES, dtype=object)[role],
            "n_ratings": n_ratings.astype(np.int64),
            "n_comparable": n_comparable.astype(np.int64),
            "leniency": consensus.leniency,
            "std_error": std_error,
            "z": z,
            "outlier": np.abs(np.nan_to_num(z, nan=0.0)) > threshold,
        }
    ).astype({"rater_id": "str", "rater_role": "str"})
    order = np.lexsort((role, rater, -consensus.leniency))
    return table.iloc[order].reset_index(drop=True)
