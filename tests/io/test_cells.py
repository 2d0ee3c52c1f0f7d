"""Text cells read without stripping what is already tidy (io/_cells.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.io._cells import _as_text, _edges, _text_cells

# Every code point that str.strip removes (measured over all of Unicode), and some
# that it keeps but that share a first byte with one (、 with U+3000, · with U+00A0).
STRIPPED = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)
LOOKALIKES = "、·°\u200b\ufeff中"


def _stripped(values: list[str | None]) -> pd.Series:
    """The reference: every cell stripped, blank ones missing."""
    text = pd.Series(values, dtype="str").str.strip()
    return text.mask(text == "")


def test_every_white_space_character_is_flagged_at_either_end() -> None:
    """Each character str.strip removes marks a cell untidy, before or after CJK or ASCII."""
    cells = [f"{space}{body}" for space in STRIPPED for body in ("客户", "C1")]
    cells += [f"{body}{space}" for space in STRIPPED for body in ("客户", "C1")]
    untidy, _ = _edges(pd.Series(cells, dtype="str"))  # type: ignore[misc]
    assert untidy.all()
    assert [chr(c) for c in range(0x110000) if chr(c).strip() == ""] == list(STRIPPED)


def test_tidy_cjk_and_ascii_cells_are_not_flagged() -> None:
    """Clean Chinese and ASCII text, missing cells included, needs no strip at all."""
    cells = pd.Series(["上海华信科技有限公司", "C000001", None, "华东一组", "SO0001"], dtype="str")
    untidy, quoted = _edges(cells)  # type: ignore[misc]
    assert not untidy.any() and not quoted.any()
    assert _as_text(cells) is cells


def test_blank_and_quoted_cells_are_flagged() -> None:
    """Empty cells are untidy (they become missing); a leading apostrophe is reported."""
    untidy, quoted = _edges(pd.Series(["", "'=x", "a'", None], dtype="str"))  # type: ignore[misc]
    assert untidy.tolist() == [True, False, False, False]
    assert quoted.tolist() == [False, True, False, False]


cell = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(f"aC1'=中客户{STRIPPED}{LOOKALIKES}"), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(cell, min_size=1, max_size=40))
def test_reading_only_flagged_cells_equals_stripping_every_cell(values: list[str | None]) -> None:
    """The fast read gives exactly the stripped text, for text and for categoricals."""
    expected = _stripped(values)
    text, maybe_quoted = _text_cells(pd.Series(values, dtype="str"))
    pd.testing.assert_series_equal(text, expected, check_names=False)
    assert maybe_quoted or not text.str.startswith("'").fillna(False).any()
    categorical, _ = _text_cells(pd.Series(values, dtype="category"))
    pd.testing.assert_series_equal(categorical, expected, check_names=False)


@pytest.mark.parametrize("size", [0, 1, 5])
def test_chunked_and_sliced_text_is_read_per_chunk(size: int) -> None:
    """Several Arrow chunks, and slices of them, are read with their own offsets."""
    import pyarrow as pa

    chunk = pa.array([" a", "b", None, "c "] * size, pa.large_string())
    table = pa.table({"x": pa.chunked_array([chunk, chunk], pa.large_string())})
    series = table.to_pandas()["x"]
    assert series.dtype == "str"
    sliced = series.iloc[1:]
    pd.testing.assert_series_equal(
        _as_text(sliced), _stripped(sliced.tolist()).set_axis(sliced.index), check_names=False
    )


def test_cjk_cells_that_end_like_white_space_are_not_flagged() -> None:
    """统 (E7 BB 9F) ends in the last byte of U+205F but its lead byte clears it; 、
    (E3 80 81) is flagged, as it shares U+3000's lead byte (stripping keeps it)."""
    cells = pd.Series(["智能客服系统", "渠道伙伴", "咨询、", "系统\u205f", "伙伴\u3000"])
    untidy, quoted = _edges(cells)  # type: ignore[misc]
    assert untidy.tolist() == [False, False, True, True, True]
    assert not quoted.any()
