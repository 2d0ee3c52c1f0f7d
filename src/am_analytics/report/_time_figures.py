"""Figures over time for the HTML report: a value's trend and a goal's burn-up.

They follow the rules of :mod:`._figures` (which re-exports them): escaped text,
finite coordinates, gaps for missing values, the caller's words. Their value labels
are kept clear of the plot's edges, of the legend and of each other.
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
    value_format: svg.ValueFormat = "{:.1f}",
    empty: str = "",
    width: int = 320,
    height: int = 180,
) -> Markup:
    """A value over periods: a line with labelled points and, optionally, an interval per point.

    Each value label sits above its point (and its whisker), except the lowest
    point's, which sits below it, out of the lines that climb away from it; the
    values keep a line of room inside the plot on either side for them.

    Parameters
    ----------
    periods
        One label per point, oldest first.
    values
        One value per period; ``None`` or NaN breaks the line there.
    title
        The caption, kept as the figure's ``<title>``.
    low, high
        Optional bounds of an interval per point (both or neither), drawn as whiskers;
        an interval of one point (low == high) is a short tick across it.
    y_label
        The axis title, written above the axis.
    invert
        Put the smallest value at the top: for ranks, where 1 is best. When every
        value is 1 or more, the axis reaches 1 and 1 is among its ticks.
    value_format
        A ``str.format`` field for the point labels, or a function of the value,
        which then writes the tick labels too.
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
    >>> chart = trend_chart(["2026Q1", "2026Q2", "2026Q3"], [3, 5, 2], title="rank", invert=True)
    >>> str(chart).count('class="point series-0"')
    3
    >>> '>1</text>' in str(chart)  # the best rank is on the axis though no one held it
    True
    """
    names = svg.check_labels(periods, "periods")
    numbers = svg.check_numbers(values, "values", len(names))
    lows, highs = svg.check_bounds(low, high, len(names), "low", "high")
    figure_width, figure_height = svg.check_size(width, height)
    if not np.isfinite(np.concatenate([numbers, lows, highs])).any():
        return svg.empty_figure("trend-chart", figure_width, title, empty)
    lo, hi = svg.extent(numbers, lows, highs)
    ranks = invert and lo >= 1
    plot = (svg.PAD_PX + svg.LINE_PX + 4, figure_height - svg.PAD_PX - svg.LINE_PX)
    domain = _padded_domain(1.0 if ranks else lo, hi, plot)
    start, stop = (plot[0], plot[1]) if invert else (plot[1], plot[0])
    whole = svg.is_whole(numbers, lows, highs)
    tick_values, tick_labels = svg.ticks(*domain, 4, whole=whole)
    if ranks:
        tick_values, tick_labels = _with_first_rank(tick_values, tick_labels, domain, plot)
    tick_labels = svg.tick_texts(tick_values, tick_labels, value_format)
    xs, parts = _time_axes(
        names, (tick_values, tick_labels), domain, (start, stop), figure_width, figure_height
    )
    parts.insert(
        0, svg.text(svg.PAD_PX, svg.PAD_PX + svg.FONT_PX, y_label, cls="axis-title", anchor="start")
    )
    lows_y, highs_y, ys = (
        svg.scaled(array, domain, start, stop) for array in (lows, highs, numbers)
    )
    spacing = float(xs[1] - xs[0]) if len(xs) > 1 else float(figure_width)
    parts += svg.whiskers(
        xs, lows_y, highs_y, "interval", reach=min(svg.SINGLE_PX, spacing / 2 - 1)
    )
    parts += svg.series_line(xs, numbers, ys, 0, "line")
    texts = svg.formatted(value_format, numbers)
    # Each label clears its point and its whisker, whichever reaches further its way.
    above = np.fmin(ys, np.fmin(lows_y, highs_y)) - 7
    below = np.fmax(ys, np.fmax(lows_y, highs_y)) + 4 + svg.FONT_PX
    known = np.flatnonzero(np.isfinite(numbers))
    lowest = ys[known] == ys[known].max()
    # Points all level have no lowest one: their labels stay above.
    label_ys = np.where(np.isin(np.arange(len(names)), known[lowest & ~lowest.all()]), below, above)
    parts += [svg.text(xs[i], label_ys[i], texts[i], cls="value-label series-0") for i in known]
    return svg.figure("trend-chart", figure_width, figure_height, title, parts)


def _padded_domain(lo: float, hi: float, plot: tuple[float, float]) -> tuple[float, float]:
    """The axis span that puts ``lo``..``hi`` a line of text inside the plot's top and bottom."""
    inner_lo, inner_hi = svg.axis_domain(lo, hi)
    inner_pixels = abs(plot[1] - plot[0]) - 2 * svg.LINE_PX
    pad = svg.LINE_PX * (inner_hi - inner_lo) / max(inner_pixels, 1.0)
    return inner_lo - pad, inner_hi + pad


def _with_first_rank(
    values: svg.FloatArray,
    labels: list[str],
    domain: tuple[float, float],
    plot: tuple[float, float],
) -> tuple[svg.FloatArray, list[str]]:
    """The rank ticks with 1 (the best) first, and none below it or crowding it."""
    first = float(svg.scaled(np.ones(1), domain, *plot)[0])
    keep = (values > 1) & (np.abs(svg.scaled(values, domain, *plot) - first) >= svg.LINE_PX)
    kept = [label for label, kept in zip(labels, keep.tolist(), strict=True) if kept]
    return np.concatenate([[1.0], values[keep]]), ["1", *kept]


def _time_axes(
    names: list[str],
    axis_ticks: tuple[svg.FloatArray, list[str]],
    domain: tuple[float, float],
    pixels: tuple[float, float],
    width: int,
    height: int,
    right: float | None = None,
) -> tuple[svg.FloatArray, list[str]]:
    """The x positions of the periods, with the value grid and the period labels drawn.

    The plot ends at ``right`` (the figure's padding by default); the room after
    it is left to labels at the lines' ends.
    """
    tick_values, tick_labels = axis_ticks
    tick_room = min(max((svg.text_width(text) for text in tick_labels), default=0.0), 0.3 * width)
    left = svg.PAD_PX + tick_room + 4
    end = width - svg.PAD_PX if right is None else right
    xs = left + (end - left) * (np.arange(len(names)) + 0.5) / len(names)
    tick_ys = svg.scaled(tick_values, domain, *pixels)
    parts = svg.value_axis(tick_labels, tick_ys, left, end, tick_room)
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
    target_label: str = "",
    value_format: svg.ValueFormat = "{:,.0f}",
    empty: str = "",
    width: int = 260,
    height: int = 140,
) -> Markup:
    """A goal's cumulative actual against its target, with the projected range at the end.

    Small enough (260×140 by default) to show a manager's goals side by side, one
    call per goal. Labels at the last step (the target's, and the actual's once the
    period is over) are written right of the plot, level with their points; the
    latest actual of an open period is labelled beside its point.

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
    target_label
        The words at the end of the target path, e.g. ``"Target 1.6M"``; the end
        is marked with an open circle. Nothing is written when empty.
    value_format
        A ``str.format`` field for the label of the latest actual value, or a
        function of the value (e.g. the report's money formatter), which then
        writes the axis ticks too.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element: ``<polyline class="actual series-0">``,
        ``<polyline class="target series-1">``, ``<polygon class="projection">``,
        ``<text class="target-label series-1">``.

    Examples
    --------
    >>> chart = burn_up_chart(["Jul", "Aug", "Sep"], [40, 90, None], 150,
    ...                     projection_low=120, projection_high=170, title="revenue",
    ...                     target_label="Target 150", value_format=lambda v: f"{v:.0f}k")
    >>> 'class="projection"' in str(chart), '>Target 150</text>' in str(chart)
    (True, True)
    >>> '>90k</text>' in str(chart), '>100k</text>' in str(chart)  # a label and a tick
    (True, True)
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
    # Below the legend, a line of room for the label above the latest actual point.
    top = svg.PAD_PX + (svg.LINE_PX + 4 if legend else 0) + svg.LINE_PX
    pixels = (figure_height - svg.PAD_PX - svg.LINE_PX, top)
    whole = svg.is_whole(actuals, targets, lows, highs)
    tick_values, tick_labels = svg.ticks(*domain, 3, whole=whole)
    tick_labels = svg.tick_texts(tick_values, tick_labels, value_format)
    known = np.flatnonzero(np.isfinite(actuals))
    last = int(known[-1]) if len(known) else -1
    actual_text = svg.formatted(value_format, actuals[last:])[0] if len(known) else ""
    end_target = targets[-1] if np.isfinite(targets[-1]) else np.nan
    end_texts = [target_label if target_label and not math.isnan(end_target) else ""]
    end_texts.append(actual_text if last == len(names) - 1 else "")
    widest = max(svg.text_width(text) for text in end_texts)
    right = figure_width - svg.PAD_PX - (min(widest + 8, 0.4 * figure_width) if widest else 0)
    xs, parts = _time_axes(
        names, (tick_values, tick_labels), domain, pixels, figure_width, figure_height, right
    )
    ys, targets_y, lows_y, highs_y = (
        svg.scaled(array, domain, *pixels) for array in (actuals, targets, lows, highs)
    )
    parts = legend + parts + _projection(xs, ys, float(lows_y[0]), float(highs_y[0]))
    parts += svg.series_line(xs, targets, targets_y, 1, "target", points=False)
    parts += svg.series_line(xs, actuals, ys, 0, "actual")
    if end_texts[0]:
        style = svg.PALETTE.style(1)
        end = (float(xs[-1]), float(targets_y[-1]))
        parts.append(svg.circle(*end, cls="target-end series-1", fill="white", stroke=style.line))
    end_ys = _apart(np.array([targets_y[-1], ys[-1]]) + 4, top - 4, pixels[0] + 4)
    for index, (text, cls) in enumerate(
        zip(end_texts, ("target-label", "value-label"), strict=True)
    ):
        if text:
            room = figure_width - svg.PAD_PX - xs[-1] - 8
            parts.append(
                svg.text(
                    xs[-1] + 8,
                    end_ys[index],
                    text,
                    cls=f"{cls} series-{1 - index}",
                    anchor="start",
                    max_width=room,
                )
            )
    if 0 <= last < len(names) - 1:
        parts.append(_latest_label(xs[last], ys[last], targets_y[last], actual_text))
    return svg.figure("burn-up-chart", figure_width, figure_height, title, parts)


def _apart(baselines: svg.FloatArray, highest: float, lowest: float) -> svg.FloatArray:
    """Two label baselines moved apart to a line's height (a missing one stays), kept in bounds."""
    if np.isfinite(baselines).all() and abs(baselines[0] - baselines[1]) < svg.LINE_PX:
        middle, order = baselines.mean(), 1.0 if baselines[0] >= baselines[1] else -1.0
        baselines = middle + order * np.array([1.0, -1.0]) * svg.LINE_PX / 2
        # Pushed past an edge, the pair slides back inside together.
        baselines += max(0.0, highest - baselines.min()) - max(0.0, baselines.max() - lowest)
    return np.clip(baselines, highest, lowest)


def _latest_label(x: float, y: float, target_y: float, text: str) -> str:
    """The latest actual of an open period: above its point, or below right when behind target.

    Behind target the expected path runs just above the point, and the
    projection fans out to the right of it.
    """
    if np.isfinite(target_y) and target_y < y - 2:
        return svg.text(
            x + 6, y + 4 + svg.FONT_PX, text, cls="value-label series-0", anchor="start"
        )
    return svg.text(x, y - 8, text, cls="value-label series-0")


def _projection(xs: svg.FloatArray, ys: svg.FloatArray, y_low: float, y_high: float) -> list[str]:
    """The projected range: a fan from the last actual point and a whisker at the end."""
    if math.isnan(y_low) or math.isnan(y_high):
        return []
    end = xs[-1:]
    parts = svg.whiskers(end, np.array([y_low]), np.array([y_high]), "projection-range", reach=4)
    known = np.flatnonzero(np.isfinite(ys))
    if len(known) and known[-1] < len(xs) - 1:
        fan_xs = np.array([xs[known[-1]], end[0], end[0]])
        fan_ys = np.array([ys[known[-1]], y_low, y_high])
        fan = svg.poly(
            "polygon", fan_xs, fan_ys, cls="projection", stroke="none", fill=svg.PALETTE.band
        )
        parts.insert(0, fan)
    return parts
