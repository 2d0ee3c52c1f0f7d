"""References looked up by their categories, and keys proved unique without a sort (_keys.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from am_analytics import _keys
from am_analytics._keys import _may_have_duplicates, _strictly_increasing, _submit_lookups

ids = st.lists(st.sampled_from(["C1", "C2", "C10", "C3", "M1"]), max_size=30)


@given(ids)
def test_strictly_increasing_ids_have_no_repeats(values: list[str]) -> None:
    """True exactly when each id is above the one before, which rules out repeats."""
    array = pa.chunked_array([pa.array(values, pa.large_string())])
    assert _strictly_increasing(array) == all(a < b for a, b in pairwise(values))
    if _strictly_increasing(array):
        assert len(set(values)) == len(values)


def test_a_missing_id_voids_the_sorted_test() -> None:
    """C1, missing, C1: the comparisons with the missing id cannot vouch for the repeat."""
    array = pa.chunked_array([pa.array(["C1", None, "C1"], pa.large_string())])
    assert not _strictly_increasing(array)


def test_a_repeat_at_the_end_of_sorted_ids_is_found() -> None:
    """200,000 sorted ids with the last repeated: the sort-free test declines, the sort finds it."""
    values = [f"S{i:07d}" for i in range(200_000)]
    assert not _may_have_duplicates(pd.Series(values, dtype="str"))
    assert _may_have_duplicates(pd.Series([*values, values[-1]], dtype="str"))


@given(st.lists(st.one_of(st.none(), st.sampled_from(["C1", "C2", "C9"])), max_size=20))
def test_categorical_lookups_equal_row_lookups(values: list[str | None]) -> None:
    """A categorical's positions among the keys are those of its values, row by row."""
    keys = pd.Series(["C2", "C1", "C3"], dtype="str")
    with ThreadPoolExecutor(max_workers=1) as pool:
        rows = np.concatenate(
            [f.result() for f in _submit_lookups(pool, pd.Series(values, dtype="str"), keys)]
        )
        by_category = np.concatenate(
            [f.result() for f in _submit_lookups(pool, pd.Series(values, dtype="category"), keys)]
        )
    np.testing.assert_array_equal(by_category, rows)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["C1", "C2", "C9"])), max_size=20))
def test_lookups_in_halves_equal_one_lookup(values: list[str | None]) -> None:
    """Large lookups run in two halves (one per core); together they give the whole one's
    positions, in order (the threshold forced down to every size)."""
    keys = pd.Series(["C2", "C1", "C3"], dtype="str")
    column = pd.Series(values, dtype="str")
    expected = np.array([["C2", "C1", "C3"].index(v) if v in ("C1", "C2") else -1 for v in values])
    with ThreadPoolExecutor(max_workers=2) as pool, pytest.MonkeyPatch.context() as patch:
        whole = _submit_lookups(pool, column, keys)
        patch.setattr(_keys, "_SPLIT_LOOKUP_ROWS", 0)
        halves = _submit_lookups(pool, column, keys)
        assert len(whole) == 1 and len(halves) == min(max(len(values), 1), 2)
        np.testing.assert_array_equal(np.concatenate([f.result() for f in halves]), expected)
        np.testing.assert_array_equal(np.concatenate([f.result() for f in whole]), expected)
