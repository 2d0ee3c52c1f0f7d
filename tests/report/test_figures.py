"""The report's SVG figures: geometry with known answers, escaping, gaps, empty input, bounds."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from am_analytics.errors import AmAnalyticsError, ConfigError
from am_analytics.report import _svg as svg
from am_analytics.report._figures import (
    bar_chart,
    burn_up_chart,
    grouped_bar_chart,
    interval_chart,
    radar_chart,
    trend_chart,
)

NS = "{http://www.w3.org/2000/svg}"
SCRIPT = "<script>alert(1)</script>"
QUOTES = "\"&'"
#: Attributes that hold one number, and how each is bounded by the viewBox.
X_ATTRIBUTES = ("x", "x1", "x2", "cx")
Y_ATTRIBUTES = ("y", "y1", "y2", "cy")
SIZE_ATTRIBUTES = ("width", "height", "r")
WORD_TAGS = (NS + "text", NS + "title")


def parse(markup: Markup) -> ET.Element:
    """The figure's markup as an XML tree (fails on anything but well-formed XML)."""
    return ET.fromstring(str(markup))


def shapes(root: ET.Element, tag: str, *classes: str) -> list[ET.Element]:
    """The elements of one tag carrying every class given, in document order."""
    return [
        element
        for element in root.iter(NS + tag)
        if set(classes) <= set(element.get("class", "").split())
    ]


def number(element: ET.Element, attribute: str) -> float:
    """One numeric attribute of an element."""
    return float(element.attrib[attribute])


def points(element: ET.Element) -> list[tuple[float, float]]:
    """The vertices of a polygon or polyline."""
    pairs = (pair.split(",") for pair in element.attrib["points"].split())
    return [(float(x), float(y)) for x, y in pairs]


def texts(root: ET.Element, *classes: str) -> list[str]:
    """The shown text of the ``<text>`` elements with the classes given."""
    return [element.text or "" for element in shapes(root, "text", *classes)]


def every_figure(
    labels: Sequence[str],
    values: Sequence[float | None],
    words: str,
    *,
    projection: tuple[float, float] | None = (1.0, 2.0),
) -> dict[str, Markup]:
    """Each figure drawn from the same labels and values, with ``words`` in every word slot."""
    low, high = projection if projection is not None else (None, None)
    return {
        "bar": bar_chart(labels, values, title=words, empty=words),
        "horizontal bar": bar_chart(labels, values, title=words, horizontal=True, empty=words),
        "grouped bar": grouped_bar_chart(
            labels, {words: values, "b": values}, title=words, empty=words
        ),
        "radar": radar_chart(
            labels, values, values, title=words, series_names=(words, words), empty=words
        ),
        "trend": trend_chart(
            labels, values, low=values, high=values, title=words, y_label=words, empty=words
        ),
        "burn-up": burn_up_chart(
            labels,
            values,
            values,
            projection_low=low,
            projection_high=high,
            title=words,
            series_names=(words, words),
            empty=words,
        ),
        "interval": interval_chart(
            labels,
            values,
            values,
            values,
            title=words,
            reference=1.0,
            reference_label=words,
            empty=words,
        ),
    }


# --- bars -----------------------------------------------------------------------------


def test_bar_heights_are_proportional_and_the_largest_spans_the_plot() -> None:
    """Values 1, 2, 4 give heights 1:2:4 from the zero line, the 4 reaching the plot's top."""
    root = parse(bar_chart(["A", "B", "C"], [1, 2, 4], title="grades"))
    bars = shapes(root, "rect", "bar")
    heights = [number(bar, "height") for bar in bars]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.15)
    assert heights[2] == pytest.approx(4 * heights[0], abs=0.15)
    (axis,) = shapes(root, "line", "axis")
    for bar in bars:
        assert number(bar, "y") + number(bar, "height") == pytest.approx(number(axis, "y1"))
    assert number(bars[2], "y") == pytest.approx(svg.PAD_PX + svg.LINE_PX)


def test_horizontal_bar_lengths_are_proportional_and_the_longest_reaches_the_values() -> None:
    """Horizontal bars of 1, 2, 4 start at zero and end 1:2:4, the 4 up to the value column."""
    width = 400
    root = parse(bar_chart(["甲", "乙", "丙"], [1, 2, 4], title="t", horizontal=True, width=width))
    bars = shapes(root, "rect", "bar")
    lengths = [number(bar, "width") for bar in bars]
    assert lengths[1] == pytest.approx(2 * lengths[0], abs=0.15)
    assert lengths[2] == pytest.approx(4 * lengths[0], abs=0.15)
    assert {number(bar, "x") for bar in bars} == {number(bars[0], "x")}
    value_column = svg.text_width("4") + 4
    end = number(bars[2], "x") + lengths[2]
    assert end == pytest.approx(width - svg.PAD_PX - value_column, abs=0.15)


def test_value_labels_are_the_formatted_values() -> None:
    """Each bar's value label is its value through value_format; a missing value has none."""
    root = parse(
        bar_chart(["a", "b", "c"], [1234.5, None, 0.25], title="t", value_format="{:,.1f}")
    )
    assert texts(root, "value-label") == ["1,234.5", "0.2"]
    assert len(shapes(root, "rect", "bar")) == 2
    assert texts(root, "tick-label") == ["a", "b", "c"]


def test_negative_bars_hang_below_the_zero_line() -> None:
    """A negative value draws down from the zero line, its label under the bar's end."""
    root = parse(bar_chart(["up", "down"], [2, -1], title="t"))
    up, down = shapes(root, "rect", "bar")
    (axis,) = shapes(root, "line", "axis")
    zero = number(axis, "y1")
    assert number(up, "y") + number(up, "height") == pytest.approx(zero)
    assert number(down, "y") == pytest.approx(zero)
    assert number(up, "height") == pytest.approx(2 * number(down, "height"), abs=0.15)
    down_label = shapes(root, "text", "value-label")[1]
    assert down_label.text == "-1"
    assert number(down_label, "y") > number(down, "y") + number(down, "height")


def test_horizontal_negative_bars_extend_left_of_zero() -> None:
    """Horizontally, a negative bar ends at the zero line and its label is anchored at its left."""
    root = parse(bar_chart(["up", "down"], [3, -1], title="t", horizontal=True))
    up, down = shapes(root, "rect", "bar")
    (axis,) = shapes(root, "line", "axis")
    zero = number(axis, "x1")
    assert number(up, "x") == pytest.approx(zero)
    assert number(down, "x") + number(down, "width") == pytest.approx(zero)
    assert number(up, "width") == pytest.approx(3 * number(down, "width"), abs=0.15)
    label = shapes(root, "text", "value-label")[1]
    assert label.get("text-anchor") == "end" and number(label, "x") < number(down, "x")


def test_highlight_marks_one_bar_and_must_be_a_label() -> None:
    """The highlighted bar carries its class and the strong colour; others are lighter."""
    root = parse(bar_chart(["A", "B", "C"], [1, 2, 3], title="t", highlight="B"))
    bars = shapes(root, "rect", "bar")
    assert [bar.get("class") for bar in bars] == ["bar", "bar highlight", "bar"]
    assert bars[1].get("fill") == svg.PALETTE.style(0).fill
    assert bars[0].get("fill") == bars[2].get("fill") == svg.PALETTE.other_bar
    with pytest.raises(ConfigError, match="highlight 'D' is not one of the labels"):
        bar_chart(["A", "B"], [1, 2], title="t", highlight="D")


def test_grouped_bars_keep_each_series_proportional_with_a_legend() -> None:
    """Two series side by side: heights in proportion across series, legend in order."""
    root = parse(grouped_bar_chart(["A", "B"], {"computed": [2, 4], "final": [1, None]}, title="t"))
    computed = shapes(root, "rect", "bar", "series-0")
    final = shapes(root, "rect", "bar", "series-1")
    assert len(computed) == 2 and len(final) == 1
    unit = number(final[0], "height")
    assert [number(bar, "height") for bar in computed] == pytest.approx(
        [2 * unit, 4 * unit], abs=0.2
    )
    assert number(computed[0], "x") < number(final[0], "x") < number(computed[1], "x")
    assert texts(root, "legend") == ["computed", "final"]


# --- radar ----------------------------------------------------------------------------


def test_radar_vertices_lie_at_the_value_share_of_each_spoke() -> None:
    """Values 0, 0.5, 1 and 0.25 sit at the centre, half, full and a quarter of their spokes."""
    root = parse(radar_chart(["n", "e", "s", "w"], [0, 0.5, 1, 0.25], title="t"))
    spokes = shapes(root, "line", "spoke")
    centre = (number(spokes[0], "x1"), number(spokes[0], "y1"))
    rims = [(number(spoke, "x2"), number(spoke, "y2")) for spoke in spokes]
    radius = centre[1] - rims[0][1]
    # Spokes start at the top and run clockwise (SVG's y grows downwards).
    cx, cy = centre
    expected_rims = [(cx, cy - radius), (cx + radius, cy), (cx, cy + radius), (cx - radius, cy)]
    for rim, expected in zip(rims, expected_rims, strict=True):
        assert rim == pytest.approx(expected, abs=0.15)
    (area,) = shapes(root, "polygon", "series-0")
    for vertex, rim, share in zip(points(area), rims, [0, 0.5, 1, 0.25], strict=True):
        expected = tuple(c + share * (r - c) for c, r in zip(centre, rim, strict=True))
        assert vertex == pytest.approx(expected, abs=0.15)


def test_radar_scales_by_maximum_and_clips_to_the_rim() -> None:
    """With maximum 100, 50 lies half way; 150 is drawn on the rim, -5 at the centre."""
    root = parse(radar_chart(["a", "b", "c"], [50, 150, -5], title="t", maximum=100))
    spokes = shapes(root, "line", "spoke")
    centre = (number(spokes[0], "x1"), number(spokes[0], "y1"))
    (area,) = shapes(root, "polygon", "series-0")
    vertices = points(area)
    assert vertices[0][1] == pytest.approx((centre[1] + number(spokes[0], "y2")) / 2, abs=0.15)
    assert vertices[1] == pytest.approx((number(spokes[1], "x2"), number(spokes[1], "y2")))
    assert vertices[2] == pytest.approx(centre)


def test_radar_missing_value_is_drawn_at_the_centre_and_marked() -> None:
    """A missing criterion falls to the centre, its spoke dashed and its label marked."""
    root = parse(
        radar_chart(["sales", "csat", "growth"], [0.8, None, 0.6], [0.5, 0.5, 0.5], title="t")
    )
    spokes = shapes(root, "line", "spoke")
    centre = (number(spokes[0], "x1"), number(spokes[0], "y1"))
    assert [spoke.get("class") for spoke in spokes] == ["spoke", "spoke missing", "spoke"]
    assert spokes[1].get("stroke-dasharray")
    (area,) = shapes(root, "polygon", "series-0")
    assert points(area)[1] == pytest.approx(centre)
    assert texts(root, "axis-label", "missing") == ["csat"]
    assert len(shapes(root, "circle", "point")) == 2
    (reference,) = shapes(root, "polygon", "series-1")
    assert reference.get("fill") == "none" and reference.get("stroke-dasharray")


def test_radar_spokes_end_on_the_rim() -> None:
    """Every spoke, dashed or not, runs from the centre to the rim's radius and no further."""
    root = parse(radar_chart(list("abcdefg"), [0.2, None, 1, 0.5, 0.9, 0.1, 0.7], title="t"))
    (rim,) = shapes(root, "circle", "rim")
    radius = number(rim, "r")
    spokes = shapes(root, "line", "spoke")
    assert len(spokes) == 7 and len(shapes(root, "line", "missing")) == 1
    for spoke in spokes:
        assert (number(spoke, "x1"), number(spoke, "y1")) == (number(rim, "cx"), number(rim, "cy"))
        length = math.hypot(
            number(spoke, "x2") - number(spoke, "x1"), number(spoke, "y2") - number(spoke, "y1")
        )
        assert length == pytest.approx(radius, abs=0.15)


def test_interval_of_one_point_is_a_tick_and_a_callable_writes_the_ticks() -> None:
    """low == high gives one upright tick at the value; a function formats values and ticks."""
    root = parse(
        interval_chart(
            ["CSAT (3 answers)"],
            [5],
            [5],
            [5],
            title="t",
            scale=(1, 5),
            value_format=lambda value: f"{value:.1f}★",
        )
    )
    (tick,) = shapes(root, "line", "single")
    (dot,) = shapes(root, "circle", "point")
    assert number(tick, "x1") == number(tick, "x2") == number(dot, "cx")
    assert number(tick, "y2") - number(tick, "y1") > 2 * number(dot, "r")
    assert texts(root, "value-label") == ["5.0★"]
    assert texts(root, "tick-label") == ["1.0★", "2.0★", "3.0★", "4.0★", "5.0★"]
    assert texts(root, "category-label") == ["CSAT (3 answers)"]


def test_radar_maximum_must_be_positive() -> None:
    """A rim at zero or below cannot scale anything."""
    with pytest.raises(ConfigError, match="maximum must be a positive number"):
        radar_chart(["a", "b", "c"], [1, 1, 1], title="t", maximum=0)


# --- intervals ------------------------------------------------------------------------


def test_interval_rows_place_dots_whiskers_and_reference_on_one_scale() -> None:
    """On a 1-5 scale, 1, 3, 5 sit at the left, middle and right; whiskers span their bounds."""
    root = parse(
        interval_chart(
            ["a", "b", "c"], [1, 3, 5], [1, 2, 4], [2, 4, 5], title="t", reference=3, scale=(1, 5)
        )
    )
    dots = [number(dot, "cx") for dot in shapes(root, "circle", "point")]
    left, middle, right = dots
    assert middle == pytest.approx((left + right) / 2, abs=0.1)
    assert [number(dot, "cy") for dot in shapes(root, "circle", "point")] == sorted(
        number(dot, "cy") for dot in shapes(root, "circle", "point")
    )
    whiskers = [
        line for line in shapes(root, "line", "interval") if "cap" not in line.get("class", "")
    ]
    to_x = lambda value: left + (value - 1) / 4 * (right - left)  # noqa: E731
    for whisker, (low, high) in zip(whiskers, [(1, 2), (2, 4), (4, 5)], strict=True):
        assert (number(whisker, "x1"), number(whisker, "x2")) == pytest.approx(
            (to_x(low), to_x(high)), abs=0.15
        )
    (reference,) = shapes(root, "line", "reference")
    assert number(reference, "x1") == pytest.approx(middle)
    assert texts(root, "value-label") == ["1.00", "3.00", "5.00"]
    assert texts(root, "tick-label") == ["1", "2", "3", "4", "5"]


def test_interval_scale_must_be_an_increasing_pair() -> None:
    """A scale whose ends are equal, reversed or not numbers is refused."""
    for scale in [(5, 1), (2, 2), (0, math.inf), ("a", "b")]:
        with pytest.raises(ConfigError, match="scale must be two"):
            interval_chart(["a"], [1], [1], [1], title="t", scale=scale)  # type: ignore[arg-type]


# --- rules every figure keeps ---------------------------------------------------------


def test_every_figure_has_the_root_contract() -> None:
    """An svg root with namespace, class, role, size = viewBox, the caption as first child."""
    for name, markup in every_figure(["a", "b", "c"], [1, 2, 3], "caption").items():
        root = parse(markup)
        assert root.tag == NS + "svg", name
        assert "figure" in root.attrib["class"].split() and root.attrib["role"] == "img", name
        assert root.attrib["viewBox"] == f"0 0 {root.attrib['width']} {root.attrib['height']}"
        assert root[0].tag == NS + "title" and root[0].text == "caption", name
        for element in root.iter(NS + "text"):
            assert element.get("font-family") == "inherit", name
            assert re.fullmatch(r"\d+px", element.get("font-size", "")), name


@pytest.mark.parametrize("words", [SCRIPT, QUOTES])
def test_given_words_are_escaped_and_read_back_unchanged(words: str) -> None:
    """Labels, names and captions come back as the same text and never as markup."""
    labels = [words, "b", "c"]
    for name, markup in every_figure(labels, [1, 2, 3], words).items():
        assert "<script" not in str(markup), name
        root = parse(markup)
        # A label cut to its room keeps its full text in its tooltip (<title>).
        shown = {element.text for element in root.iter() if element.tag in WORD_TAGS}
        assert root[0].text == words, name
        assert words in shown, name
        for element in root.iter():
            assert not any(key.startswith("on") or "href" in key for key in element.attrib), name


def test_missing_values_leave_no_nan_in_valid_markup() -> None:
    """None, NaN and infinity become gaps: well-formed XML without any 'nan' or 'inf'."""
    values = [None, math.nan, 2.0, math.inf, 1.0]
    for name, markup in every_figure(list("abcde"), values, "w").items():
        parse(markup)
        assert not re.search(r"nan|inf", str(markup), flags=re.IGNORECASE), name


def test_empty_input_gives_the_empty_message() -> None:
    """No values at all (or only missing ones) give a small figure saying so."""
    for labels, values in [([], []), (["a", "b"], [None, math.nan])]:
        figures = every_figure(labels, values, "nothing yet", projection=None)
        for name, markup in figures.items():
            root = parse(markup)
            assert texts(root, "empty") == ["nothing yet"], name
            assert int(root.attrib["height"]) == svg.EMPTY_HEIGHT, name


def test_bad_input_is_refused_with_a_config_error() -> None:
    """Wrong lengths, non-numbers, huge values, bad formats and tiny sizes say what to do."""
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: bar_chart(["a", "b"], [1], title="t"), "one number per label"),
        (lambda: bar_chart(["a"], ["x"], title="t"), "must hold numbers"),  # type: ignore[list-item]
        (lambda: bar_chart(["a"], [1e16], title="t"), "beyond"),
        (lambda: bar_chart("ab", [1, 2], title="t"), "not the string"),
        (lambda: bar_chart(["a"], [1], title="t", value_format="{:d}"), "cannot format"),
        (lambda: bar_chart(["a"], [1], title="t", width=50), "too small"),
        (lambda: trend_chart(["a"], [1], low=[0], title="t"), "both low and high"),
    ]
    for call, message in cases:
        with pytest.raises(AmAnalyticsError, match=message):
            call()


def test_long_labels_are_cut_with_the_full_text_kept_as_a_tooltip() -> None:
    """A label wider than its room ends in an ellipsis; its <title> holds the whole label."""
    long_label = "华东区域重点大客户维护与拓展组" * 3
    root = parse(bar_chart([long_label, "b"], [1, 2], title="t", horizontal=True, width=300))
    first, second = shapes(root, "text", "category-label")
    assert second.text == "b" and second.find(NS + "title") is None
    tooltip = first.find(NS + "title")
    assert tooltip is not None and tooltip.text == long_label
    assert tooltip.tail is not None and tooltip.tail.endswith("…")
    assert svg.text_width(tooltip.tail) <= 0.35 * 300


# --- properties -----------------------------------------------------------------------


def assert_inside_the_view_box(markup: Markup) -> None:
    """Every coordinate is a finite number inside the viewBox."""
    root = parse(markup)
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    slack = 0.06
    for element in root.iter():
        for attribute, value in element.attrib.items():
            if attribute in X_ATTRIBUTES + Y_ATTRIBUTES + SIZE_ATTRIBUTES:
                coordinate = float(value)
                assert math.isfinite(coordinate)
                limit = width if attribute in X_ATTRIBUTES else height
                if attribute in SIZE_ATTRIBUTES:
                    limit = max(width, height)
                assert -slack <= coordinate <= limit + slack, (attribute, value)
        if element.tag == NS + "rect":
            assert number(element, "x") + number(element, "width") <= width + slack
            assert number(element, "y") + number(element, "height") <= height + slack
        if "points" in element.attrib:
            for x, y in points(element):
                assert -slack <= x <= width + slack and -slack <= y <= height + slack


@st.composite
def figure_inputs(draw: st.DrawFn) -> tuple[list[str], list[float | None], int, int]:
    """Labels and values of one length (0-30), with a figure size."""
    length = draw(st.integers(0, 30))
    labels = draw(st.lists(st.text(max_size=24), min_size=length, max_size=length))
    values = draw(
        st.lists(
            st.none() | st.floats(-svg.MAX_MAGNITUDE, svg.MAX_MAGNITUDE),
            min_size=length,
            max_size=length,
        )
    )
    return labels, values, draw(st.integers(160, 900)), draw(st.integers(100, 700))


@settings(max_examples=60, deadline=None)
@given(figure_inputs())
def test_any_finite_input_gives_valid_svg_inside_its_view_box(
    inputs: tuple[list[str], list[float | None], int, int],
) -> None:
    """For any labels and finite (or missing) values, every figure is valid and in bounds."""
    labels, values, width, height = inputs
    figures = every_figure(labels, values, labels[0] if labels else "")
    figures["sized bar"] = bar_chart(labels, values, title="t", width=width, height=height)
    figures["sized radar"] = radar_chart(labels, values, title="t", width=width, height=height)
    figures["sized trend"] = trend_chart(labels, values, title="t", width=width, height=height)
    figures["sized interval"] = interval_chart(
        labels, values, values, values, title="t", width=width, height=height
    )
    figures["scalar target"] = burn_up_chart(
        labels, values, 1e6, title="t", width=width, height=height
    )
    for markup in figures.values():
        assert_inside_the_view_box(markup)
