"""Figures over time: a trend's points, gaps, intervals and ranks; a goal's burn-up."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from am_analytics.errors import ConfigError
from am_analytics.report._time_figures import burn_up_chart, trend_chart

NS = "{http://www.w3.org/2000/svg}"
PERIODS = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def parse(markup: Markup) -> ET.Element:
    """The figure's markup as an XML tree."""
    return ET.fromstring(str(markup))


def shapes(root: ET.Element, tag: str, *classes: str) -> list[ET.Element]:
    """The elements of one tag carrying every class given, in document order."""
    return [
        element
        for element in root.iter(NS + tag)
        if set(classes) <= set(element.get("class", "").split())
    ]


def centres(root: ET.Element) -> list[tuple[float, float]]:
    """The centres of the data points, in document order."""
    return [(float(c.attrib["cx"]), float(c.attrib["cy"])) for c in shapes(root, "circle", "point")]


def points(element: ET.Element) -> list[tuple[float, float]]:
    """The vertices of a polyline or polygon."""
    pairs = (pair.split(",") for pair in element.attrib["points"].split())
    return [(float(x), float(y)) for x, y in pairs]


def test_trend_points_run_left_to_right_with_higher_values_higher_up() -> None:
    """Periods in order from left to right; a larger value has a smaller y, in proportion."""
    root = parse(trend_chart(PERIODS, [60, 70, 80, 90], title="t"))
    xy = centres(root)
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert ys == sorted(ys, reverse=True)
    steps = [ys[i] - ys[i + 1] for i in range(3)]
    assert steps == pytest.approx([steps[0]] * 3, abs=0.15)
    texts = [t.text for t in shapes(root, "text", "value-label")]
    assert texts == ["60.0", "70.0", "80.0", "90.0"]
    assert [t.text for t in shapes(root, "text", "tick-label")][-4:] == PERIODS


def test_inverted_trend_puts_rank_one_at_the_top_with_whole_ticks() -> None:
    """For ranks, 1 is drawn highest, 10 lowest, and the axis shows whole ranks only."""
    root = parse(trend_chart(PERIODS, [10, 4, 2, 1], title="t", invert=True, value_format="{:.0f}"))
    ys = [y for _, y in centres(root)]
    assert ys == sorted(ys, reverse=True)
    upright = [y for _, y in centres(parse(trend_chart(PERIODS, [10, 4, 2, 1], title="t")))]
    assert upright == sorted(upright)
    ticks = [t.text or "" for t in shapes(root, "text", "tick-label")][:-4]
    assert ticks and all(tick.isdigit() for tick in ticks)


def test_missing_value_breaks_the_trend_line() -> None:
    """A None in the middle splits the line into two runs and leaves that point out."""
    root = parse(trend_chart(list("abcde"), [1, 2, None, 4, 5], title="t"))
    runs = shapes(root, "polyline", "line")
    assert [len(points(run)) for run in runs] == [2, 2]
    assert len(centres(root)) == 4
    assert points(runs[0])[1][0] < points(runs[1])[0][0]


def test_trend_interval_whiskers_span_low_to_high() -> None:
    """Each whisker runs from its low to its high, around its point; none where unknown."""
    root = parse(
        trend_chart(
            PERIODS, [70, 75, 80, 85], low=[65, None, 76, 80], high=[75, 80, 84, 90], title="t"
        )
    )
    whiskers = [w for w in shapes(root, "line", "interval") if "cap" not in w.attrib["class"]]
    assert len(whiskers) == 3
    xy = centres(root)
    for whisker, (x, y) in zip(whiskers, [xy[0], xy[2], xy[3]], strict=True):
        assert float(whisker.attrib["x1"]) == pytest.approx(x)
        assert float(whisker.attrib["y1"]) > y > float(whisker.attrib["y2"])
    # One scale for all: equal intervals (10 points) draw equally long whiskers.
    first = float(whiskers[0].attrib["y1"]) - float(whiskers[0].attrib["y2"])
    last = float(whiskers[2].attrib["y1"]) - float(whiskers[2].attrib["y2"])
    assert last == pytest.approx(first, abs=0.15)


def test_burn_up_draws_actual_to_date_against_a_level_target() -> None:
    """The actual stops at its last known step; a single target is a level line."""
    root = parse(burn_up_chart(["Jul", "Aug", "Sep"], [40, 90, None], 150, title="t"))
    (actual,) = shapes(root, "polyline", "actual")
    (target,) = shapes(root, "polyline", "target")
    assert len(points(actual)) == 2
    assert len({y for _, y in points(target)}) == 1
    # The target (150) is above the actual (90): a smaller y.
    assert points(target)[0][1] < points(actual)[1][1]
    assert [t.text for t in shapes(root, "text", "value-label")] == ["90"]


def test_burn_up_projection_fans_from_the_last_actual_to_the_range_at_the_end() -> None:
    """The projection starts at the last actual point and spans low..high at the last step."""
    root = parse(
        burn_up_chart(
            ["Jul", "Aug", "Sep"],
            [40, 90, None],
            [50, 100, 150],
            projection_low=120,
            projection_high=170,
            title="t",
        )
    )
    (actual,) = shapes(root, "polyline", "actual")
    (target,) = shapes(root, "polyline", "target")
    (fan,) = shapes(root, "polygon", "projection")
    start, low_end, high_end = points(fan)
    assert start == points(actual)[-1]
    assert low_end[0] == high_end[0] == points(target)[-1][0]
    # 150 lies between 120 and 170, so the target's end is inside the fan's end.
    assert high_end[1] < points(target)[-1][1] < low_end[1]
    (range_line,) = [
        w for w in shapes(root, "line", "projection-range") if "cap" not in w.attrib["class"]
    ]
    assert float(range_line.attrib["y1"]) == pytest.approx(low_end[1])


def test_burn_up_projection_needs_both_ends() -> None:
    """A projected low without a high (or the reverse) is refused."""
    with pytest.raises(ConfigError, match="both projection_low and projection_high"):
        burn_up_chart(["a"], [1], 2, projection_low=1, title="t")


def test_burn_up_is_compact_by_default() -> None:
    """Small multiples: 260×140 unless asked otherwise."""
    root = parse(burn_up_chart(["a", "b"], [1, 2], 3, title="t"))
    assert (root.attrib["width"], root.attrib["height"]) == ("260", "140")


def test_inverted_trend_has_rank_one_among_its_ticks_and_labels_inside() -> None:
    """Ranks 6, 13, 2, 2: tick 1 is drawn, nothing below 1; labels clear the plot's edges."""
    root = parse(trend_chart(PERIODS, [6, 13, 2, 2], title="t", invert=True, value_format="{:.0f}"))
    ticks = [t.text or "" for t in shapes(root, "text", "tick-label")][:-4]
    assert ticks[0] == "1" and all(int(tick) > 1 for tick in ticks[1:])
    grid = [float(line.attrib["y1"]) for line in shapes(root, "line", "grid")]
    assert grid[0] == min(grid)  # 1 is the highest grid line
    xy = centres(root)
    labels = shapes(root, "text", "value-label")
    label_ys = [float(label.attrib["y"]) for label in labels]
    # The lowest point (13) is labelled below it, the others above theirs.
    assert label_ys[1] > xy[1][1]
    assert all(y < point for y, (_, point) in zip(label_ys[::2], xy[::2], strict=True))
    bottom = float(parse(trend_chart(PERIODS, [1, 2, 3, 4], title="t")).attrib["height"])
    assert label_ys[1] <= bottom - 16 and min(label_ys) - 12 >= 16


def test_trend_ticks_and_labels_use_a_callable_format() -> None:
    """A function formats the point labels and the tick labels alike."""
    root = parse(
        trend_chart(
            PERIODS, [1e6, 2e6, 3e6, 4e6], title="t", value_format=lambda v: f"{v / 1e6:g}M"
        )
    )
    assert [t.text for t in shapes(root, "text", "value-label")] == ["1M", "2M", "3M", "4M"]
    ticks = [t.text or "" for t in shapes(root, "text", "tick-label")][:-4]
    assert ticks and all(tick.endswith("M") for tick in ticks)


def test_burn_up_labels_the_target_at_the_end_of_its_path_in_the_callable_format() -> None:
    """The target's end carries its words and a marker; ticks and the actual use the formatter."""
    money = lambda value: f"{value / 1e4:,.1f}万"  # noqa: E731
    root = parse(
        burn_up_chart(
            ["7月1日", "9月30日"],
            [0, 2_740_667],
            [0, 1_557_500],
            title="t",
            series_names=("实际", "预期"),
            target_label="目标 155.8万",
            value_format=money,
        )
    )
    (target,) = shapes(root, "polyline", "target")
    end_x, end_y = points(target)[-1]
    (label,) = shapes(root, "text", "target-label")
    assert label.text == "目标 155.8万"
    assert float(label.attrib["x"]) > end_x and abs(float(label.attrib["y"]) - 4 - end_y) < 8
    (marker,) = shapes(root, "circle", "target-end")
    assert (float(marker.attrib["cx"]), float(marker.attrib["cy"])) == (end_x, end_y)
    assert [t.text for t in shapes(root, "text", "value-label")] == ["274.1万"]
    ticks = [t.text for t in shapes(root, "text", "tick-label")][:-2]
    assert ticks[0] == "0.0万" and all((tick or "").endswith("万") for tick in ticks)
    # The end labels sit below the legend's line and apart from each other.
    legend_y = max(float(t.attrib["y"]) for t in shapes(root, "text", "legend"))
    ends = [float(t.attrib["y"]) for t in shapes(root, "text", "series-0", "value-label")]
    assert min([*ends, float(label.attrib["y"])]) - 12 > legend_y
    assert abs(ends[0] - float(label.attrib["y"])) >= 14


def test_burn_up_end_labels_part_when_actual_meets_target() -> None:
    """An actual ending on its target: the two end labels are a line apart, not on each other."""
    root = parse(burn_up_chart(["a", "b"], [0, 100], [0, 100], title="t", target_label="T 100"))
    (label,) = shapes(root, "text", "target-label")
    (value,) = shapes(root, "text", "value-label")
    assert abs(float(label.attrib["y"]) - float(value.attrib["y"])) >= 16 - 0.1
