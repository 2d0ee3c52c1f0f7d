"""The metric context's set helpers: distinct pairs and pairs in common."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from am_analytics.metrics._context import common, distinct

INTEGERS = st.lists(st.integers(0, 2**62), max_size=200)


@given(INTEGERS)
def test_distinct_gives_each_value_once_ascending(values: list[int]) -> None:
    """The same set as pd.unique, sorted."""
    array = np.array(values, dtype=np.int64)
    np.testing.assert_array_equal(distinct(array), np.sort(pd.unique(array)))


@given(INTEGERS, INTEGERS)
def test_common_gives_the_values_in_both(some: list[int], others: list[int]) -> None:
    """The intersection of two sets of values (each without repeats), ascending."""
    a = np.unique(np.array(some, dtype=np.int64))
    b = np.unique(np.array(others, dtype=np.int64))
    np.testing.assert_array_equal(common(a, b), np.intersect1d(a, b))


def test_common_by_hand() -> None:
    """Order of the inputs does not matter; values in one only are dropped."""
    assert common(np.array([9, 1, 5]), np.array([5, 2, 9])).tolist() == [5, 9]
