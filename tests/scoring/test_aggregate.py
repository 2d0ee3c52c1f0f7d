"""The criterion-by-criterion aggregation kernel against the plain formulas."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.scoring._aggregate import aggregate_columns


def _reference(columns: list[np.ndarray], weights: np.ndarray, method: str) -> np.ndarray:
    """Each row's weighted mean (arithmetic, or of logs) over its present criteria, by
    np.where and fresh arrays, criterion after criterion in the same order."""
    total = np.zeros(len(columns[0]))
    present_weight = np.zeros(len(columns[0]))
    for x, w in zip(columns, weights, strict=True):
        present = ~np.isnan(x)
        if method == "geometric":
            term = np.log(np.maximum(np.where(present, x, 1.0), 0.01)) * w
        else:
            term = np.where(present, x, 0.0) * w
        total = total + term
        present_weight = present_weight + np.where(present, w, 0.0)
    mean = np.full(len(total), np.nan)
    np.divide(total, present_weight, out=mean, where=present_weight > 0)
    return np.exp(mean) if method == "geometric" else np.clip(mean, 0.0, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 70_000),  # past 32,768 rows: aggregated in blocks
    st.integers(1, 6),
    st.sampled_from(["weighted_sum", "geometric"]),
    st.integers(0, 2**32 - 1),
)
def test_aggregate_columns_equals_the_plain_formula(
    n_rows: int, n_criteria: int, method: str, seed: int
) -> None:
    """Exactly equal, with zeros, ones, NaN, rows missing everything and zero weights,
    in one block of rows or several."""
    rng = np.random.default_rng(seed)
    pool = np.r_[rng.random(20), 0.0, 1.0, np.nan]
    columns = [rng.choice(pool, n_rows) for _ in range(n_criteria)]
    weights = rng.choice(np.r_[rng.random(5), 0.0], n_criteria)
    if weights.sum() == 0:
        weights[0] = 1.0
    weights = weights / weights.sum()
    got = aggregate_columns(columns, weights, method=method, floor=0.01)
    np.testing.assert_array_equal(got, _reference(columns, weights, method))
