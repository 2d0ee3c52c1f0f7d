"""ABC grading: the Pareto tiers of clients by revenue that Chinese CRMs use."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataValidationError
from ._rfm import _SHARE_TOLERANCE, FloatArray


def abc_tiers(features: pd.DataFrame, *, shares: Sequence[float] = (0.8, 0.95)) -> pd.DataFrame:
    """ABC (Pareto) tiers: A holds the top clients making the first 80 % of revenue, and so on.

    Clients with positive net revenue (``monetary``) are ranked by it,
    highest first, equal revenues by ``client_id`` (the index) ascending, so
    the result does not depend on row order. Walking down that list, a client
    whose predecessors together make less than ``shares[0]`` of the positive
    revenue is A — so the client whose cumulative share crosses (or reaches)
    80 % is still A, and A is the smallest set of top clients reaching 80 % —
    then B up to ``shares[1]``, and C for the rest. Clients with net revenue
    <= 0 (or missing) are C and have no cumulative share.

    Parameters
    ----------
    features
        One row per client with ``monetary``
        (:func:`~am_analytics.segments.client_features`), indexed by client.
    shares
        Increasing cumulative revenue shares in (0, 1) that close each tier but
        the last: ``(0.8, 0.95)`` gives A, B, C; more shares give more tiers
        (A, B, C, D, ...).

    Returns
    -------
    pandas.DataFrame
        Same index as ``features``.

    Raises
    ------
    ConfigError
        If ``shares`` is not increasing within (0, 1).
    DataValidationError
        If ``monetary`` is missing or not numeric.

    Notes
    -----
    Columns: ``tier`` (ordered categorical, A < B < C: A is the top tier) and
    ``cumulative_share`` (float: the share of the positive revenue made by this
    client and all ranked before it; NaN for net <= 0). Shares that reach a
    boundary within 1e-12 count as reaching it, so float rounding cannot move
    a client across.

    Examples
    --------
    >>> import pandas as pd
    >>> features = pd.DataFrame(
    ...     {"monetary": [50.0, 30, 10, 5, 3, 2, -4]},
    ...     index=pd.Index(list("abcdefg"), name="client_id"),
    ... )
    >>> abc_tiers(features)
              tier  cumulative_share
    client_id
    a            A              0.50
    b            A              0.80
    c            B              0.90
    d            B              0.95
    e            C              0.98
    f            C              1.00
    g            C               NaN
    """
    bounds = _check_shares(shares)
    money = _read_monetary(features)
    positive = np.flatnonzero(money > 0)  # NaN compares False: missing is not revenue
    # ties by client id: rank the ids once, then sort by (-money, id rank)
    id_rank = _id_rank(features.index)
    order = positive[np.lexsort((id_rank[positive], -money[positive]))]
    running = np.cumsum(money[order])
    total = running[-1] if len(running) else 0.0
    cumulative = np.full(len(features), np.nan)
    tier = np.full(len(features), len(bounds), dtype=np.int64)  # the last tier
    if total > 0:
        share = running / total
        before = np.concatenate([[0.0], share[:-1]])
        cumulative[order] = share
        # tier = how many boundaries the clients ranked before this one already reach
        tier[order] = np.searchsorted(bounds - _SHARE_TOLERANCE, before, side="right")
    labels = [chr(ord("A") + i) for i in range(len(bounds) + 1)]
    return pd.DataFrame(
        {
            "tier": pd.Categorical.from_codes(
                tier, dtype=pd.CategoricalDtype(labels, ordered=True)
            ),
            "cumulative_share": cumulative,
        },
        index=features.index,
    )


def _id_rank(index: pd.Index) -> np.ndarray:
    """Each row's rank in ``index``'s sort order (its position when already strictly sorted)."""
    if len(index) > 1:
        # client_features comes in the clients table's order, usually the ids' own
        # order: one comparison pass then replaces a sort of the ids
        with contextlib.suppress(TypeError, ValueError):
            if bool(np.asarray(index[1:] > index[:-1], dtype=bool).all()):
                return np.arange(len(index), dtype=np.int64)
    id_rank = np.empty(len(index), dtype=np.int64)
    id_rank[np.asarray(index.argsort(), dtype=np.int64)] = np.arange(len(index))
    return id_rank


def _check_shares(shares: object) -> FloatArray:
    """The tier boundaries as an array; ConfigError unless increasing within (0, 1)."""
    valid = (
        isinstance(shares, Sequence)
        and not isinstance(shares, str)
        and 1 <= len(shares) <= 25
        and all(
            isinstance(s, int | float | np.integer | np.floating) and not isinstance(s, bool)
            for s in shares
        )
    )
    bounds = np.asarray(shares, dtype=np.float64) if valid else np.array([np.nan])
    if not valid or not ((bounds > 0) & (bounds < 1)).all() or (np.diff(bounds) <= 0).any():
        raise ConfigError(
            f"shares must be increasing cumulative revenue shares strictly between 0 and 1, "
            f"e.g. (0.8, 0.95) for A/B/C; got {shares!r}"
        )
    return bounds


def _read_monetary(features: pd.DataFrame) -> FloatArray:
    """``features.monetary`` as floats; DataValidationError if absent or not numeric."""
    if not isinstance(features, pd.DataFrame) or "monetary" not in features.columns:
        raise DataValidationError(
            "abc_tiers needs a features frame with a monetary column (net revenue per client); "
            "build it with client_features(sales, as_of=...)",
            missing={"features": ["monetary"]},
        )
    column = features["monetary"]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        raise DataValidationError(
            f"features.monetary must be numeric, found dtype {column.dtype}; convert it with "
            "pandas.to_numeric"
        )
    return column.to_numpy(dtype=np.float64, na_value=np.nan)
