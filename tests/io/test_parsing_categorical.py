"""Categorical ids read by their categories (io/parsing.py: _parse_categorical_text)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from am_analytics.io.parsing import _parse_categorical_text, parse_text


def test_categories_that_read_the_same_become_one() -> None:
    """' C1' and 'C1' are one id; blank and missing cells are missing."""
    parsed = _parse_categorical_text(pd.Series([" C1", "C1", None, "", "'=C2"], dtype="category"))
    assert parsed.values.cat.categories.tolist() == ["C1", "=C2"]
    assert parsed.values.cat.codes.tolist() == [0, 0, -1, -1, 1]


def test_a_column_without_ids_is_all_missing() -> None:
    """No categories at all, or only blank ones: every cell missing, nothing fails."""
    for values in ([None, None], ["", "  "]):
        parsed = _parse_categorical_text(pd.Series(values, dtype="category"))
        assert parsed.values.isna().all() and parsed.failures.empty


@given(st.lists(st.one_of(st.none(), st.sampled_from(["C1", " C1", "C2 ", "", "'@x"]))))
def test_categorical_ids_read_as_text_ids_do(values: list[str | None]) -> None:
    """Cell by cell, the categorical reader gives what parse_text gives."""
    categorical = _parse_categorical_text(pd.Series(values, dtype="category")).values
    text = parse_text(pd.Series(values, dtype="str")).values
    pd.testing.assert_series_equal(categorical.astype("str"), text, check_names=False)


def test_tidy_categories_keep_their_codes() -> None:
    """Ids that read as themselves keep the column's codes as they are (no pass over
    the rows); the categories come out as text."""
    raw = pd.Series(pd.Categorical.from_codes([2, 0, -1, 1, 2], categories=["M2", "M1", "M3"]))
    parsed = _parse_categorical_text(raw).values
    assert parsed.cat.categories.tolist() == ["M2", "M1", "M3"]
    assert parsed.cat.categories.dtype == "str"
    assert parsed.cat.codes.tolist() == [2, 0, -1, 1, 2]
    assert parsed.isna().tolist() == [False, False, True, False, False]
