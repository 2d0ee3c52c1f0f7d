"""Per-row criteria labels built from codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.scoring._labels import _labels_row_by_criterion, criteria_labels


def test_labels_name_the_flagged_criteria_in_order() -> None:
    """Each row lists its flagged criteria in the scorecard's order, comma-separated."""
    masks = [np.array([True, False, False, True]), np.array([False, False, True, True])]
    labels = criteria_labels(masks, ["csat_mean", "nps"])
    assert list(labels) == ["csat_mean", "", "nps", "csat_mean, nps"]


def test_labels_are_the_string_column_pandas_makes_itself() -> None:
    """The array equals (values and dtype) what pandas builds from the same Python strings."""
    masks = [np.array([True, False]), np.array([True, True])]
    labels = pd.Series(criteria_labels(masks, ["a", "b"]))
    expected = pd.Series(np.array(["a, b", "b"], dtype=object))
    pd.testing.assert_series_equal(labels, expected, check_exact=True)


def test_no_rows_give_an_empty_column() -> None:
    """Zero rows give zero labels, still a string column."""
    labels = criteria_labels([np.zeros(0, dtype=bool)], ["a"])
    assert len(labels) == 0 and labels.dtype == pd.Series(["x"]).dtype


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_codes_give_the_labels_joined_criterion_by_criterion(
    n_criteria: int, n_rows: int, seed: int
) -> None:
    """For any number of criteria (past 62 too) the labels equal the plain join."""
    rng = np.random.default_rng(seed)
    masks = [rng.random(n_rows) < 0.3 for _ in range(n_criteria)]
    names = [f"m{j}" for j in range(n_criteria)]
    expected = _labels_row_by_criterion(masks, names) if n_rows else np.array([], dtype=object)
    assert list(criteria_labels(masks, names)) == list(expected)
