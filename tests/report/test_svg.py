"""The SVG primitives of the figures: escaping, text fitting, number checks, scales and ticks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from am_analytics.errors import ConfigError
from am_analytics.report import _svg as svg


def test_escaped_text_cannot_open_markup_and_stays_valid_xml() -> None:
    """Markup characters are escaped; characters XML cannot hold become U+FFFD."""
    assert str(svg.escaped("<script>\"&'")) == "&lt;script&gt;&#34;&amp;&#39;"
    assert str(svg.escaped("a\x00b\x1fc")) == "a\ufffdb\ufffdc"
    assert str(svg.escaped("王芳\tok")) == "王芳\tok"


def test_text_width_counts_wide_characters_as_one_em() -> None:
    """A CJK character is one em wide, a Latin one 0.6 em."""
    assert svg.text_width("王芳") == 2 * svg.FONT_PX
    assert svg.text_width("ab") == pytest.approx(1.2 * svg.FONT_PX)
    assert svg.text_width("") == 0


def test_fitted_keeps_short_text_and_cuts_long_text_with_an_ellipsis() -> None:
    """Text within its room is unchanged; longer text is cut and ends in an ellipsis."""
    assert svg.fitted("王芳", 100) == "王芳"
    cut = svg.fitted("华东区域重点大客户组", 5 * svg.FONT_PX)
    assert cut == "华东区域…"
    assert svg.text_width(cut) <= 5 * svg.FONT_PX
    assert svg.fitted("abc", 1) == ""


def test_check_numbers_turns_gaps_into_nan_and_refuses_the_rest() -> None:
    """None and infinities become NaN; wrong lengths, text and huge values are refused."""
    array = svg.check_numbers([1, None, math.inf, -math.inf], "values", 4)
    assert array[0] == 1 and np.isnan(array[1:]).all()
    assert np.isnan(svg.check_numbers(None, "low", 2)).all()
    with pytest.raises(ConfigError, match="one number per label \\(3\\)"):
        svg.check_numbers([1, 2], "values", 3)
    with pytest.raises(ConfigError, match="values must hold numbers"):
        svg.check_numbers(["many"], "values", 1)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="beyond"):
        svg.check_numbers([2e15], "values", 1)


def test_scaled_maps_the_domain_linearly_and_keeps_values_inside() -> None:
    """0..10 onto 100..0 pixels: 5 at 50, 2.5 at 75; beyond the domain at the edges."""
    pixels = svg.scaled(np.array([0, 5, 2.5, 10, -3, 12, np.nan]), (0, 10), 100, 0)
    assert pixels[:6].tolist() == [100, 50, 75, 0, 100, 0]
    assert np.isnan(pixels[6])


def test_runs_are_the_unbroken_stretches_of_known_values() -> None:
    """[1, nan, 2, 3, nan, 4] has runs 0..1, 2..4 and 5..6."""
    runs = svg.runs(np.array([1, np.nan, 2, 3, np.nan, 4]))
    assert [(run.start, run.stop) for run in runs] == [(0, 1), (2, 4), (5, 6)]
    assert svg.runs(np.array([np.nan])) == []


def test_ticks_are_round_numbers_with_matching_labels() -> None:
    """Known answers: steps of 2 over 0..10, of 0.25 over 0..1, whole steps for ranks."""
    values, labels = svg.ticks(0, 10, 5)
    assert values.tolist() == [0, 2, 4, 6, 8, 10] and labels == ["0", "2", "4", "6", "8", "10"]
    values, labels = svg.ticks(0, 1, 4)
    assert labels == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    values, labels = svg.ticks(0.5, 3.5, 6, whole=True)
    assert labels == ["1", "2", "3"]
    assert svg.ticks(-1, 1_500_000, 3)[1] == ["0", "500,000", "1,000,000", "1,500,000"]
    assert "-0" not in svg.ticks(-0.3, 0.3, 4)[1]


@given(
    st.floats(-1e15, 1e15),
    st.floats(1e-6, 2e15),
    st.integers(2, 8),
    st.booleans(),
)
def test_ticks_lie_inside_their_span_evenly_spaced(
    lo: float, span: float, count: int, whole: bool
) -> None:
    """Ticks are increasing, evenly spaced, inside lo..hi, and not many more than asked for."""
    hi = lo + span
    assume(hi - lo >= 1e-6 * max(abs(lo), abs(hi)))  # as axis_domain guarantees
    values, labels = svg.ticks(lo, hi, count, whole=whole)
    assert len(values) == len(labels) <= 2 * count + 2
    assert whole or len(values) >= count // 2
    assert np.all(np.isfinite(values))
    if len(values):
        step = (hi - lo) / count
        assert values[0] >= lo - 1e-9 * max(1.0, abs(lo))
        assert values[-1] <= hi + 1e-9 * max(1.0, abs(hi)) + step * 1e-9
    if len(values) > 1:
        gaps = np.diff(values)
        assert np.allclose(gaps, gaps[0], rtol=1e-6)


def test_check_size_and_check_scale_refuse_what_cannot_be_drawn() -> None:
    """Figures smaller than the minimum, or scales that are not increasing, are refused."""
    assert svg.check_size(svg.MIN_WIDTH, svg.MIN_HEIGHT) == (svg.MIN_WIDTH, svg.MIN_HEIGHT)
    with pytest.raises(ConfigError, match="too small"):
        svg.check_size(svg.MIN_WIDTH - 1, 300)
    with pytest.raises(ConfigError, match="whole pixels"):
        svg.check_size(200.5, 300)  # type: ignore[arg-type]
    assert svg.check_scale((1, 5)) == (1.0, 5.0)
    with pytest.raises(ConfigError, match="lo < hi"):
        svg.check_scale((5, 1))
    with pytest.raises(ConfigError, match="too narrow"):
        svg.check_scale((1e12, 1e12 + 1))


def test_axis_domain_pads_the_data_and_widens_a_flat_span() -> None:
    """10..20 gets 5 % either side; a single value gets room around it."""
    assert svg.axis_domain(10, 20) == pytest.approx((9.5, 20.5))
    assert svg.axis_domain(80, 80) == (79, 81)
    lo, hi = svg.axis_domain(1e15, 1e15)
    assert lo < 1e15 < hi and hi - lo >= 1e9


def test_palette_series_differ_in_dash_as_well_as_colour() -> None:
    """No two of the first series share a dash pattern, so they part in black and white."""
    styles = [svg.PALETTE.style(index) for index in range(len(svg.PALETTE.series))]
    assert len({style.dash for style in styles}) == len(styles)
    assert svg.PALETTE.style(len(styles)) == styles[0]


def test_formatted_and_tick_texts_take_a_function_but_keep_ticks_apart() -> None:
    """A function writes values and ticks; ticks it would write alike keep their round labels."""
    millions = lambda value: f"{value / 1e6:.1f}M"  # noqa: E731
    assert svg.formatted(millions, np.array([2.5e6, np.nan])) == ["2.5M", ""]
    values, labels = svg.ticks(0, 3e6, 3)
    assert svg.tick_texts(values, labels, millions) == ["0.0M", "1.0M", "2.0M", "3.0M"]
    assert svg.tick_texts(values, labels, "{:.0f}") == labels
    close, close_labels = svg.ticks(1_000_000, 1_060_000, 3)
    assert svg.tick_texts(close, close_labels, millions) == close_labels
    with pytest.raises(ConfigError, match="cannot format"):
        svg.formatted(lambda value: f"{value:d}", np.array([1.5]))


def test_whisker_of_one_point_is_a_short_tick_across_it() -> None:
    """low == high draws one line across the position, ``reach`` either side, and no caps."""
    (tick,) = svg.whiskers(np.array([50.0]), np.array([20.0]), np.array([20.0]), "interval")
    assert 'class="interval single"' in tick
    assert f'x1="{50 - svg.SINGLE_PX:.1f}"' in tick and 'y1="20.0" ' in tick
    upright = svg.whiskers(np.array([50.0]), np.array([20.0]), np.array([30.0]), "interval")
    assert len(upright) == 3
