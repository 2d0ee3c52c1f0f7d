"""Figures over time for the HTML report: a value's trend and a goal's burn-up.

They follow the rules of :mod:`._figures` (which re-exports them): escaped text,
finite coordinates, gaps for missing values, the caller's words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from markupsafe import Markup

from . import _svg as svg

# --- lines ----------------------------------------------------------------------------


def trend_chart(
    periods: Sequence[object],
    values: svg.Numbers,
    *,
    title: str,
    low: svg.Numbers | None = None,
    high: svg.Numbers | None = None,
    y_label: str = "",
    invert: bool = False,
    value_format: str = "{:.1f}",
    empty: str = "",
    width: int = 320,
    height: int = 180,
) -> Markup:
    """A value over periods: a line with labelled points and, optionally, an interval per point.

    Parameters
    ----------
    periods
        One label per point, oldest first.
    values
        One value per period; ``None`` or NaN breaks the line there.
    title
        The caption, kept as the figure's ``<title>``.
    low, high
        Optional bounds of an interval per point (both or neither), drawn as whiskers.
    y_label
        The axis title, written above the axis.
    invert
        Put the smallest value at the top: for ranks, where 1 is best.
    value_format
        A ``str.format`` field for the point labels.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element: ``<polyline class="line series-0">`` per unbroken run,
        ``<circle class="point series-0">`` per value, ``<line class="interval">``
        per interval.

    Examples
    --------
    >>> chart = trend_chart(["2026Q1", "2026Q2", "2026Q3"], [3, 1, 2], title="rank", invert=True)
    >>> str(chart).count('class="point series-0"')
    3
    """
    names = svg.check_labels(periods, "periods")
    numbers = svg.check_numbers(values, "values", len(names))
    lows, highs = svg.check_bounds(low, high, len(names), "low", "high")
    figure_width, figure_height = svg.check_size(width, height)
    if not np.isfinite(np.concatenate([numbers, lows, highs])).any():
        return svg.empty_figure("trend-chart", figure_width, title, empty)
    domain = svg.axis_domain(*svg.extent(numbers, lows, highs))
    top, bottom = svg.PAD_PX + 2 * svg.LINE_PX, figure_height - svg.PAD_PX - svg.LINE_PX
    start, stop = (top, bottom) if invert else (bottom, top)
    whole = svg.is_whole(numbers, lows, highs)
    xs, parts = _time_axes(names, domain, (start, stop), figure_width, figure_height, 4, whole)
    parts.insert(
        0, svg.text(svg.PAD_PX, svg.PAD_PX + svg.FONT_PX, y_label, cls="axis-title", anchor="start")
    )
    lows_y, highs_y, ys = (
        svg.scaled(array, domain, start, stop) for array in (lows, highs, numbers)
    )
    parts += svg.whiskers(xs, lows_y, highs_y, "interval")
    parts += svg.series_line(xs, numbers, ys, 0, "line")
    texts = svg.formatted(value_format, numbers)
    # Each value label sits above its point and its whisker, whichever reaches higher.
    label_ys = np.fmin(ys, np.fmin(lows_y, highs_y)) - 7
    parts += [
        svg.text(xs[i], label_ys[i], texts[i], cls="value-label series-0")
        for i in np.flatnonzero(np.isfinite(numbers))
    ]
    return svg.figure("trend-chart", figure_width, figure_height, title, parts)


def _time_axes(
    names: list[str],
    domain: tuple[float, float],
    pixels: tuple[float, float],
    width: int,
    height: int,
    tick_count: int,
    whole: bool,
) -> tuple[svg.FloatArray, list[str]]:
    """The x positions of the periods, with the value grid and the period labels drawn."""
    ticks, tick_texts = svg.ticks(*domain, tick_count, whole=whole)
    tick_room = min(max(svg.text_width(text) for text in tick_texts), 0.3 * width)
    left = svg.PAD_PX + tick_room + 4
    xs = left + (width - svg.PAD_PX - left) * (np.arange(len(names)) + 0.5) / len(names)
    tick_ys = svg.scaled(ticks, domain, *pixels)
    parts = svg.value_axis(tick_texts, tick_ys, left, width - svg.PAD_PX, tick_room)
    parts += svg.category_axis(xs, names, height - svg.PAD_PX - 3, width)
    return xs, parts


def burn_up_chart(
    x_labels: Sequence[object],
    actual: svg.Numbers,
    target: float | svg.Numbers,
    *,
    title: str,
    projection_low: float | None = None,
    projection_high: float | None = None,
    series_names: Sequence[str] | None = None,
    value_format: str = "{:,.0f}",
    empty: str = "",
    width: int = 260,
    height: int = 140,
) -> Markup:
    """A goal's cumulative actual against its target, with the projected range at the end.

    Small enough (260×140 by default) to show a manager's goals side by side, one
    call per goal.

    Parameters
    ----------
    x_labels
        One label per step of the goal's period (e.g. months), oldest first.
    actual
        The cumulative actual per step; ``None`` or NaN for steps not reached yet.
    target
        The target: one number (a level line) or one number per step (the planned path).
    title
        The caption, kept as the figure's ``<title>``.
    projection_low, projection_high
        The projected range at the period's end (both or neither), drawn as a
        fan from the last actual point and a whisker at the last step.
    series_names
        Legend entries for the actual and the target; no legend when ``None``.
    value_format
        A ``str.format`` field for the label of the latest actual value.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element: ``<polyline class="actual series-0">``,
        ``<polyline class="target series-1">``, ``<polygon class="projection">``.

    Examples
    --------
    >>> chart = burn_up_chart(["Jul", "Aug", "Sep"], [40, 90, None], 150,
    ...                     projection_low=120, projection_high=170, title="revenue")
    >>> 'class="projection"' in str(chart)
    True
    """
    names = svg.check_labels(x_labels, "x_labels")
    actuals = svg.check_numbers(actual, "actual", len(names))
    if isinstance(target, int | float | np.number):
        target = np.full(len(names), target)
    targets = svg.check_numbers(target, "target", len(names))
    lows, highs = svg.check_bounds(
        None if projection_low is None else [projection_low],
        None if projection_high is None else [projection_high],
        1,
        "projection_low",
        "projection_high",
    )
    figure_width, figure_height = svg.check_size(width, height)
    if not (names and np.isfinite(np.concatenate([actuals, targets, lows, highs])).any()):
        return svg.empty_figure("burn-up-chart", figure_width, title, empty)
    lo, hi = svg.extent(actuals, targets, lows, highs)
    # A burn-up climbs from nothing: zero stays on the axis.
    domain = svg.axis_domain(min(lo, 0.0), hi)
    legend = [] if series_names is None else svg.legend(series_names[:2], figure_width, boxes=False)
    top = svg.PAD_PX + (svg.LINE_PX if legend else 0) + svg.LINE_PX
    pixels = (figure_height - svg.PAD_PX - svg.LINE_PX, top)
    whole = svg.is_whole(actuals, targets, lows, highs)
    xs, parts = _time_axes(names, domain, pixels, figure_width, figure_height, 3, whole)
    ys, targets_y, lows_y, highs_y = (
        svg.scaled(array, domain, *pixels) for array in (actuals, targets, lows, highs)
    )
    parts = legend + parts + _projection(xs, ys, float(lows_y[0]), float(highs_y[0]))
    parts += svg.series_line(xs, targets, targets_y, 1, "target", points=False)
    parts += svg.series_line(xs, actuals, ys, 0, "actual")
    known = np.flatnonzero(np.isfinite(actuals))
    if len(known):
        last = int(known[-1])
        # The label sits on the side of the point with more room.
        anchor, x = (
            ("end", xs[last] - 5) if xs[last] > figure_width / 2 else ("start", xs[last] + 5)
        )
        text = svg.formatted(value_format, actuals[last : last + 1])[0]
        parts.append(svg.text(x, ys[last] - 6, text, cls="value-label series-0", anchor=anchor))
    return svg.figure("burn-up-chart", figure_width, figure_height, title, parts)


def _projection(xs: svg.FloatArray, ys: svg.FloatArray, y_low: float, y_high: float) -> list[str]:
    """The projected range: a fan from the last actual point and a whisker at the end."""
    if math.isnan(y_low) or math.isnan(y_high):
        return []
    end = xs[-1:]
    parts = svg.whiskers(end, np.array([y_low]), np.array([y_high]), "projection-range")
    known = np.flatnonzero(np.isfinite(ys))
    if len(known) and known[-1] < len(xs) - 1:
        fan_xs = np.array([xs[known[-1]], end[0], end[0]])
        fan_ys = np.array([ys[known[-1]], y_low, y_high])
        fan = svg.poly(
            "polygon", fan_xs, fan_ys, cls="projection", stroke="none", fill=svg.PALETTE.band
        )
        parts.insert(0, fan)
    return parts
