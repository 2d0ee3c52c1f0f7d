"""The report's figures as inline SVG, written directly, with text kept as text.

Each function takes plain numbers and labels (sequences or numpy arrays, never
frames) and returns :class:`markupsafe.Markup` holding one ``<svg>`` element, ready
for a Jinja2 template with autoescape. Text stays ``<text>`` (``font-family="inherit"``),
so the reader's browser draws Chinese names in its own fonts; matplotlib is not
involved, which keeps the ~200 figures of a report within a tenth of a second.
The markup itself is written by :mod:`._svg`; :func:`trend_chart` and
:func:`burn_up_chart` live in :mod:`._time_figures` and are re-exported here.

Shared rules:

- every text given (labels, names, the caption) is escaped; no script, event
  attribute or external reference is ever written;
- ``None``, NaN and infinite values are missing: they leave a gap (or, on a radar,
  fall to the centre); when nothing is left to draw, the figure shrinks to the
  caller's ``empty`` message;
- values beyond :data:`._svg.MAX_MAGNITUDE` are refused with a :class:`ConfigError`;
- coordinates are finite, rounded to one decimal and inside the ``viewBox``;
- colours come from :data:`._svg.PALETTE`; series differ by shade and dash as well as hue,
  and carry classes (``series-0``, ``bar``, ``point``, ...) for the page's CSS;
- the module holds no words: captions, legends, axis titles and the empty message
  are arguments (the report takes them from its message catalogue).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from ..errors import ConfigError
from . import _svg as svg
from ._time_figures import burn_up_chart, trend_chart

__all__ = [
    "bar_chart",
    "burn_up_chart",
    "grouped_bar_chart",
    "interval_chart",
    "radar_chart",
    "trend_chart",
]

# --- bars -----------------------------------------------------------------------------


def bar_chart(
    labels: Sequence[object],
    values: svg.Numbers,
    *,
    title: str,
    value_format: svg.ValueFormat = "{:.0f}",
    highlight: object | None = None,
    horizontal: bool = False,
    empty: str = "",
    width: int | None = None,
    height: int | None = None,
) -> Markup:
    """Bars with their values written on them: counts per grade, per score band, per segment.

    Parameters
    ----------
    labels
        One label per bar, in drawing order (left to right, or top to bottom).
    values
        One number per bar; ``None`` or NaN leaves the place empty. Negative
        values are drawn below (or left of) the zero line.
    title
        The caption, kept as the figure's ``<title>``.
    value_format
        A ``str.format`` field for the value labels, or a function of the value.
    highlight
        The label of one bar to stand out (e.g. the manager's own grade); the
        others are drawn lighter. Must be one of ``labels``.
    horizontal
        Bars grow to the right, labels on the left: for long labels.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels; by default it grows with the number of bars.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element; bars are ``<rect class="bar">`` (``bar highlight`` for
        the highlighted one), value labels ``<text class="value-label series-0">``.

    Examples
    --------
    >>> chart = bar_chart(["A", "B", "C"], [3, 5, 1], title="grades", highlight="B")
    >>> str(chart).startswith("<svg")
    True
    >>> str(chart).count('class="bar')
    3
    """
    names = svg.check_labels(labels, "labels")
    numbers = svg.check_numbers(values, "values", len(names))
    if horizontal:
        size = (width or 480, height or max(svg.MIN_HEIGHT, 2 * svg.PAD_PX + 24 * len(names)))
    else:
        size = (width or max(svg.MIN_WIDTH, min(560, 48 * len(names) + 48)), height or 200)
    figure_width, figure_height = svg.check_size(*size)
    if not np.isfinite(numbers).any():
        return svg.empty_figure("bar-chart", figure_width, title, empty)
    if highlight is not None and str(highlight) not in names:
        raise ConfigError(
            f"highlight {highlight!r} is not one of the labels {names}; "
            "pass one of them, or None to draw every bar alike."
        )
    fills = [
        svg.PALETTE.style(0).fill
        if highlight is None or name == str(highlight)
        else svg.PALETTE.other_bar
        for name in names
    ]
    classes = ["bar highlight" if name == str(highlight) else "bar" for name in names]
    texts = svg.formatted(value_format, numbers)
    if horizontal:
        body = _row_bars(names, numbers, texts, fills, classes, figure_width, figure_height)
    else:
        body = _column_bars(
            names,
            numbers[np.newaxis, :],
            [texts],
            [fills],
            [classes],
            figure_width,
            figure_height,
            0.0,
        )
    return svg.figure("bar-chart", figure_width, figure_height, title, body)


def grouped_bar_chart(
    labels: Sequence[object],
    series: Mapping[str, svg.Numbers],
    *,
    title: str,
    value_format: svg.ValueFormat = "{:.0f}",
    empty: str = "",
    width: int | None = None,
    height: int = 220,
) -> Markup:
    """Side-by-side bars of several series per label, with a legend: e.g. computed vs final grades.

    Parameters
    ----------
    labels
        One label per group of bars.
    series
        Series name (shown in the legend) -> one number per label; ``None`` or
        NaN leaves that bar out. Series take the palette's styles in order.
    title
        The caption, kept as the figure's ``<title>``.
    value_format
        A ``str.format`` field for the value labels, or a function of the value.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels; the width grows with the number of bars by default.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element; bars are ``<rect class="bar series-j">``.

    Examples
    --------
    >>> chart = grouped_bar_chart(["A", "B"], {"computed": [2, 5], "final": [3, 4]}, title="t")
    >>> str(chart).count('class="bar series-1"')
    2
    """
    names = svg.check_labels(labels, "labels")
    series_names = [str(name) for name in series]
    matrix = np.array(
        [
            svg.check_numbers(values, f"series {name!r}", len(names))
            for name, values in series.items()
        ]
    )
    groups = max(1, len(series_names))
    figure_width, figure_height = svg.check_size(
        width or max(svg.MIN_WIDTH, min(640, (32 * groups + 24) * len(names) + 48)), height
    )
    if matrix.size == 0 or not np.isfinite(matrix).any():
        return svg.empty_figure("grouped-bar-chart", figure_width, title, empty)
    texts = [svg.formatted(value_format, row) for row in matrix]
    fills = [[svg.PALETTE.style(j).fill] * len(names) for j in range(len(series_names))]
    classes = [[f"bar series-{j}"] * len(names) for j in range(len(series_names))]
    body = svg.legend(series_names, figure_width, boxes=True)
    body += _column_bars(
        names, matrix, texts, fills, classes, figure_width, figure_height, svg.LINE_PX
    )
    return svg.figure("grouped-bar-chart", figure_width, figure_height, title, body)


def _column_bars(
    names: list[str],
    matrix: svg.FloatArray,
    texts: list[list[str]],
    fills: list[list[str]],
    classes: list[list[str]],
    width: int,
    height: int,
    legend: float,
) -> list[str]:
    """Vertical bars, one row of ``matrix`` per series, grouped by label, from the zero line."""
    negative = bool((matrix < 0).any())
    top = svg.PAD_PX + legend + svg.LINE_PX
    bottom = height - svg.PAD_PX - svg.LINE_PX - (svg.LINE_PX if negative else 0)
    lo, hi = min(0.0, float(np.nanmin(matrix))), max(0.0, float(np.nanmax(matrix)))
    domain = (lo, hi if hi > lo else lo + 1.0)
    ends = svg.scaled(matrix, domain, bottom, top)
    zero = float(svg.scaled(np.zeros(1), domain, bottom, top)[0])
    band = (width - 2 * svg.PAD_PX) / len(names)
    bar = 0.8 * band / len(matrix)
    lefts = (
        svg.PAD_PX
        + 0.1 * band
        + band * np.arange(len(names))[np.newaxis, :]
        + bar * np.arange(len(matrix))[:, np.newaxis]
    )
    parts = [
        svg.line(svg.PAD_PX, zero, width - svg.PAD_PX, zero, cls="axis", stroke=svg.PALETTE.axis)
    ]
    for j, i in zip(*np.nonzero(np.isfinite(matrix)), strict=True):
        end, left = float(ends[j, i]), float(lefts[j, i])
        stroke = svg.PALETTE.style(j).line
        parts.append(
            svg.rect(
                left,
                min(end, zero),
                bar,
                abs(zero - end),
                cls=classes[j][i],
                fill=fills[j][i],
                stroke=stroke,
            )
        )
        label_y = end - 4 if end <= zero else end + svg.FONT_PX + 2
        parts.append(svg.text(left + bar / 2, label_y, texts[j][i], cls=f"value-label series-{j}"))
    centres = svg.PAD_PX + band * (np.arange(len(names)) + 0.5)
    return parts + svg.category_axis(centres, names, height - svg.PAD_PX - 3, width)


def _row_bars(
    names: list[str],
    numbers: svg.FloatArray,
    texts: list[str],
    fills: list[str],
    classes: list[str],
    width: int,
    height: int,
) -> list[str]:
    """Horizontal bars from the zero line, labels on the left, values at the bar ends."""
    label_room = min(max(svg.text_width(name) for name in names), 0.35 * width)
    value_room = min(max(svg.text_width(text) for text in texts) + 4, 0.25 * width)
    negative = bool((numbers < 0).any())
    left = svg.PAD_PX + label_room + 6
    right = width - svg.PAD_PX - value_room
    lo, hi = min(0.0, float(np.nanmin(numbers))), max(0.0, float(np.nanmax(numbers)))
    domain = (lo, hi if hi > lo else lo + 1.0)
    ends = svg.scaled(numbers, domain, left + (value_room if negative else 0.0), right)
    zero = float(
        svg.scaled(np.zeros(1), domain, left + (value_room if negative else 0.0), right)[0]
    )
    band = (height - 2 * svg.PAD_PX) / len(names)
    thickness = min(0.7 * band, 20.0)
    parts = [
        svg.line(zero, svg.PAD_PX, zero, height - svg.PAD_PX, cls="axis", stroke=svg.PALETTE.axis)
    ]
    for i, name in enumerate(names):
        middle = svg.PAD_PX + band * (i + 0.5)
        parts.append(
            svg.text(
                left - 6, middle + 4, name, cls="category-label", anchor="end", max_width=label_room
            )
        )
        if math.isnan(numbers[i]):
            continue
        end = float(ends[i])
        parts.append(
            svg.rect(
                min(end, zero),
                middle - thickness / 2,
                abs(end - zero),
                thickness,
                cls=classes[i],
                fill=fills[i],
                stroke=svg.PALETTE.style(0).line,
            )
        )
        anchor, x = ("start", end + 4) if end >= zero else ("end", end - 4)
        parts.append(
            svg.text(
                x,
                middle + 4,
                texts[i],
                cls="value-label series-0",
                anchor=anchor,
                max_width=value_room,
            )
        )
    return parts


# --- radar ----------------------------------------------------------------------------


def radar_chart(
    axes: Sequence[object],
    values: svg.Numbers,
    reference: svg.Numbers | None = None,
    *,
    title: str,
    series_names: Sequence[str] | None = None,
    maximum: float = 1.0,
    empty: str = "",
    width: int = 320,
    height: int = 260,
) -> Markup:
    """A manager's criteria on spokes, against a reference such as the team median.

    Spokes start at the top and run clockwise; a value ``v`` lies at ``v / maximum``
    of the radius (values outside ``0..maximum`` are drawn at the centre or the rim).
    A missing value is drawn at the centre, its spoke dashed and its label marked
    ``class="axis-label missing"`` (grey italic), so a gap is never mistaken for
    a full score nor silently dropped.

    Parameters
    ----------
    axes
        One label per spoke, placed outside the rim.
    values
        The manager's value per spoke (``None`` or NaN when missing).
    reference
        The reference value per spoke, drawn dashed without fill; ``None`` for none.
    title
        The caption, kept as the figure's ``<title>``.
    series_names
        Legend entries for ``values`` and ``reference``; no legend when ``None``.
    maximum
        The value at the rim.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element: ``<line class="spoke">`` from the centre to the rim
        (``<circle class="ring rim">``, no further), one ``<polygon class="area series-j">``
        per series.

    Examples
    --------
    >>> chart = radar_chart(["sales", "csat", "growth"], [0.8, None, 0.5], [0.5, 0.5, 0.5],
    ...                   title="criteria", series_names=("manager", "team median"))
    >>> str(chart).count('class="spoke missing"')
    1
    """
    names = svg.check_labels(axes, "axes")
    series = [svg.check_numbers(values, "values", len(names))]
    if reference is not None:
        series.append(svg.check_numbers(reference, "reference", len(names)))
    figure_width, figure_height = svg.check_size(width, height)
    if not (math.isfinite(maximum) and maximum > 0):
        raise ConfigError(f"maximum must be a positive number, got {maximum!r}.")
    if not np.isfinite(np.concatenate(series)).any():
        return svg.empty_figure("radar-chart", figure_width, title, empty)
    legend = (
        []
        if series_names is None
        else svg.legend(list(series_names)[: len(series)], figure_width, boxes=False)
    )
    top = svg.PAD_PX + (svg.LINE_PX if legend else 0)
    label_room = min(max(svg.text_width(name) for name in names), 0.25 * figure_width)
    centre_x, centre_y = figure_width / 2, top + (figure_height - top) / 2
    radius = min(figure_width / 2 - label_room - 12, (figure_height - top) / 2 - svg.LINE_PX - 8)
    angles = -np.pi / 2 + 2 * np.pi * np.arange(len(names)) / len(names)
    cos, sin = np.cos(angles), np.sin(angles)
    parts = legend + [
        svg.circle(
            centre_x, centre_y, r=radius * share, cls="ring", fill="none", stroke=svg.PALETTE.grid
        )
        for share in (0.25, 0.5, 0.75)
    ]
    # The rim is drawn as dark as the spokes, so they are seen to end on it.
    rim = svg.circle(
        centre_x, centre_y, r=radius, cls="ring rim", fill="none", stroke=svg.PALETTE.axis
    )
    missing = np.isnan(series[0])
    rim_x, rim_y = np.round(centre_x + radius * cos, 1), np.round(centre_y + radius * sin, 1)
    for i in range(len(names)):
        cls, dash = ("spoke missing", "3 3") if missing[i] else ("spoke", "")
        parts.append(
            svg.line(
                centre_x, centre_y, rim_x[i], rim_y[i], cls=cls, stroke=svg.PALETTE.axis, dash=dash
            )
        )
    parts.append(rim)
    for j, numbers in enumerate(series):
        share = np.clip(np.nan_to_num(numbers, nan=0.0) / maximum, 0.0, 1.0)
        xs = np.round(centre_x + radius * share * cos, 1)
        ys = np.round(centre_y + radius * share * sin, 1)
        style = svg.PALETTE.style(j)
        if j == 0:
            # The manager's area is filled (translucent, so the reference shows through).
            area = svg.poly(
                "polygon",
                xs,
                ys,
                cls="area series-0",
                stroke=style.line,
                fill=style.fill,
                extra=' fill-opacity="0.3"',
            )
            points = [
                svg.circle(xs[i], ys[i], cls="point series-0", fill=style.line, stroke=style.line)
                for i in np.flatnonzero(~missing)
            ]
            parts += [area, *points]
        else:
            parts.append(
                svg.poly(
                    "polygon",
                    xs,
                    ys,
                    cls=f"area series-{j}",
                    stroke=style.line,
                    fill="none",
                    dash=style.dash,
                )
            )
    parts += _spoke_labels(names, missing, centre_x, centre_y, radius + 8, cos, sin, figure_width)
    return svg.figure("radar-chart", figure_width, figure_height, title, parts)


def _spoke_labels(
    names: list[str],
    missing: npt.NDArray[np.bool_],
    centre_x: float,
    centre_y: float,
    distance: float,
    cos: svg.FloatArray,
    sin: svg.FloatArray,
    width: int,
) -> list[str]:
    """The spoke labels just outside the rim, anchored away from the chart.

    Each label may fill the room between its anchor and the figure's edge (both
    edges when centred), so only labels that cannot fit are cut.
    """
    parts = []
    for i, name in enumerate(names):
        anchor = "start" if cos[i] > 0.3 else "end" if cos[i] < -0.3 else "middle"
        x = centre_x + distance * cos[i]
        y = centre_y + distance * sin[i] + 4 + 6 * sin[i]
        left, right = x - svg.PAD_PX, width - svg.PAD_PX - x
        room = max(0.0, {"start": right, "end": left, "middle": 2 * min(left, right)}[anchor])
        if missing[i]:
            cls, fill, extra = "axis-label missing", svg.PALETTE.muted, ' font-style="italic"'
        else:
            cls, fill, extra = "axis-label", svg.PALETTE.ink, ""
        parts.append(
            svg.text(x, y, name, cls=cls, anchor=anchor, fill=fill, max_width=room, extra=extra)
        )
    return parts


# --- intervals ------------------------------------------------------------------------


def interval_chart(
    labels: Sequence[object],
    values: svg.Numbers,
    low: svg.Numbers,
    high: svg.Numbers,
    *,
    title: str,
    reference: float | None = None,
    reference_label: str = "",
    scale: tuple[float, float] | None = None,
    value_format: svg.ValueFormat = "{:.2f}",
    empty: str = "",
    width: int = 480,
    height: int | None = None,
) -> Markup:
    """Dot-and-whisker rows: a value and its interval per label, against an optional reference.

    Parameters
    ----------
    labels
        One label per row, top to bottom.
    values
        The value per row (the dot, written at the right); ``None`` or NaN for none.
    low, high
        The interval's bounds per row (the whisker); ``None`` or NaN for none. An
        interval of one point (low == high, e.g. three answers all 5) is a short
        upright tick; say why in the row's label (e.g. the number of answers).
    title
        The caption, kept as the figure's ``<title>``.
    reference
        A value drawn as a dashed vertical line across the rows (e.g. the organisation's).
    reference_label
        The text written above the reference line.
    scale
        The axis span ``(lo, hi)``, e.g. ``(1, 5)`` for CSAT; by default the data's.
        Points beyond it are drawn at its edge.
    value_format
        A ``str.format`` field for the value labels, or a function of the value
        (e.g. the report's number formatter), which then writes the ticks too.
    empty
        The message shown when no value is given.
    width, height
        Size in pixels; by default the height grows with the number of rows.

    Returns
    -------
    markupsafe.Markup
        One ``<svg>`` element: per row a ``<line class="interval">`` and a
        ``<circle class="point series-0">``; ``<line class="reference">``.

    Examples
    --------
    >>> chart = interval_chart(["王芳", "李雷"], [4.2, 3.9], [4.0, 3.5], [4.4, 4.3],
    ...                      title="CSAT", reference=4.1, scale=(1, 5))
    >>> str(chart).count('class="point series-0"')
    2
    """
    names = svg.check_labels(labels, "labels")
    numbers = svg.check_numbers(values, "values", len(names))
    lows, highs = svg.check_bounds(low, high, len(names), "low", "high")
    marks = svg.check_numbers(None if reference is None else [reference], "reference", 1)
    top = svg.PAD_PX + (svg.LINE_PX if reference_label and np.isfinite(marks).all() else 0)
    rows_bottom = top + 24 * max(1, len(names))
    figure_width, figure_height = svg.check_size(
        width, height or max(svg.MIN_HEIGHT, rows_bottom + svg.LINE_PX + svg.PAD_PX + 4)
    )
    if not np.isfinite(np.concatenate([numbers, lows, highs])).any():
        return svg.empty_figure("interval-chart", figure_width, title, empty)
    domain = (
        svg.check_scale(scale)
        if scale is not None
        else svg.axis_domain(*svg.extent(numbers, lows, highs, marks))
    )
    rows_bottom = figure_height - svg.PAD_PX - svg.LINE_PX - 4
    texts = svg.formatted(value_format, numbers)
    label_room = min(max(svg.text_width(name) for name in names), 0.35 * figure_width)
    value_room = min(max(svg.text_width(text) for text in texts) + 8, 0.2 * figure_width)
    left, right = svg.PAD_PX + label_room + 8, figure_width - svg.PAD_PX - value_room
    ticks, tick_texts = svg.ticks(*domain, 5, whole=svg.is_whole(numbers, lows, highs))
    tick_texts = svg.tick_texts(ticks, tick_texts, value_format)
    parts = []
    for x, text in zip(svg.scaled(ticks, domain, left, right).tolist(), tick_texts, strict=True):
        parts.append(svg.line(x, top, x, rows_bottom, cls="grid", stroke=svg.PALETTE.grid))
        room = 2 * min(x, figure_width - x) - 2
        tick_y = figure_height - svg.PAD_PX - 3
        parts.append(
            svg.text(x, tick_y, text, cls="tick-label", fill=svg.PALETTE.muted, max_width=room)
        )
    reference_x = float(svg.scaled(marks, domain, left, right)[0])
    parts += _reference(reference_x, reference_label, top, rows_bottom, figure_width)
    middles = top + (rows_bottom - top) * (np.arange(len(names)) + 0.5) / len(names)
    for i, name in enumerate(names):
        parts.append(
            svg.text(
                left - 8,
                middles[i] + 4,
                name,
                cls="category-label",
                anchor="end",
                max_width=label_room,
            )
        )
    x_lows, x_highs, xs = (svg.scaled(a, domain, left, right) for a in (lows, highs, numbers))
    row_height = (rows_bottom - top) / len(names)
    parts += svg.whiskers(
        middles,
        x_lows,
        x_highs,
        "interval",
        horizontal=True,
        reach=min(svg.SINGLE_PX, row_height / 2),
    )
    style = svg.PALETTE.style(0)
    for row in np.flatnonzero(np.isfinite(numbers)):
        parts.append(
            svg.circle(
                xs[row],
                middles[row],
                cls="point series-0",
                fill=style.line,
                stroke=style.line,
                r=4.5,
            )
        )
        parts.append(
            svg.text(
                figure_width - svg.PAD_PX,
                middles[row] + 4,
                texts[row],
                cls="value-label series-0",
                anchor="end",
                max_width=value_room,
            )
        )
    return svg.figure("interval-chart", figure_width, figure_height, title, parts)


def _reference(x: float, label: str, top: float, bottom: float, width: int) -> list[str]:
    """The reference value as a dashed vertical line, its label above it."""
    if math.isnan(x):
        return []
    parts = [svg.line(x, top, x, bottom, cls="reference", stroke=svg.PALETTE.ink, dash="4 3")]
    if label:
        room = 2 * min(x, width - x) - 2
        parts.append(
            svg.text(x, svg.PAD_PX + svg.FONT_PX, label, cls="reference-label", max_width=room)
        )
    return parts
