"""Fitting: the rank grids learned from the sorted values, and fit_score against fit and score."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.errors import ConfigError, NonFiniteValueWarning
from am_analytics.scoring import Criterion, Scorecard
from am_analytics.scoring._fitting import RANK_GRID_POINTS, _rank_grid


def _reference_grid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and mid-rank percentiles by np.unique, thinned by position."""
    values, starts, counts = np.unique(x, return_index=True, return_counts=True)
    if len(values) > RANK_GRID_POINTS:
        keep = np.unique(np.linspace(0, len(values) - 1, RANK_GRID_POINTS).round().astype(int))
        values, starts, counts = values[keep], starts[keep], counts[keep]
    return values, (starts + counts / 2) / len(x)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30_000), st.booleans(), st.integers(0, 2**32 - 1))
def test_rank_grid_equals_np_unique_with_and_without_ties(
    n_values: int, distinct: bool, seed: int
) -> None:
    """All-distinct values (read by position) and tied ones give np.unique's grid exactly."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n_values) if distinct else rng.integers(0, 15_000, n_values) / 4)
    grid, percentiles = _rank_grid(x)
    expected_grid, expected_percentiles = _reference_grid(x)
    np.testing.assert_array_equal(grid, expected_grid)
    np.testing.assert_array_equal(percentiles, expected_percentiles)


def test_rank_grid_of_nobody_is_empty() -> None:
    """No value present: an empty grid that places nobody."""
    grid, percentiles = _rank_grid(np.array([]))
    assert len(grid) == 0 and len(percentiles) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["minmax", "zscore", "rank"]),
    st.sampled_from(["fixed", "equal", "entropy", "critic"]),
    st.sampled_from(["weighted_sum", "geometric", "topsis"]),
    st.sampled_from(["reweight", "median", "reject"]),
    st.integers(2, 400),
    st.integers(0, 2**32 - 1),
)
def test_fit_score_equals_fit_then_score(
    normalization: str, weighting: str, aggregation: str, missing: str, n_rows: int, seed: int
) -> None:
    """fit_score gives fit() and its score() of the same frame exactly: ties, NaN, infinity."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "sales_amount": rng.normal(100, 30, n_rows),
            "new_clients": rng.integers(0, 5, n_rows).astype(np.int64),  # ties, an int column
            "csat_mean": np.where(rng.random(n_rows) < 0.2, np.nan, rng.uniform(1, 5, n_rows)),
        },
        index=[f"M{i % 97}" for i in range(n_rows)],  # repeated labels too
    )
    frame.iloc[0, 0] = np.inf
    card = Scorecard(
        [Criterion(metric, weight=w) for metric, w in zip(frame.columns, (3, 1, 2), strict=True)],
        normalization=normalization,  # type: ignore[arg-type]
        weighting=weighting,  # type: ignore[arg-type]
        aggregation=aggregation,  # type: ignore[arg-type]
        missing=missing,  # type: ignore[arg-type]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonFiniteValueWarning)  # both name the infinite row
        try:
            expected_fit = card.fit(frame)
        except ConfigError as error:  # a weighting the data cannot give: the same error
            with pytest.raises(ConfigError, match=re.escape(str(error))):
                card.fit_score(frame)
            return
        expected = expected_fit.score(frame)
        fitted, scored = card.fit_score(frame)
    pd.testing.assert_frame_equal(scored, expected, check_exact=True)
    assert fitted.to_json() == expected_fit.to_json()
