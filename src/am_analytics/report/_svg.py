"""SVG markup written by hand: the palette, escaped text, shapes, scales and axes of the figures.

The figures themselves are in :mod:`._figures`; this module knows no chart, only how
to write their parts so that every text is escaped, every coordinate finite and
rounded, and every colour from :data:`PALETTE`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from markupsafe import Markup, escape

from ..errors import ConfigError

FloatArray = npt.NDArray[np.floating[Any]]
#: Numbers as callers hold them; ``None`` marks a missing value.
Numbers = Sequence[float | None] | npt.NDArray[Any]
#: How values are written: a ``str.format`` field such as ``"{:.1f}"``, or a function
#: of the value (e.g. the report's money formatter, which writes 274.1万 or 2.7M).
ValueFormat = str | Callable[[float], str]


@dataclass(frozen=True, slots=True)
class SeriesStyle:
    """How one series is drawn: its line colour, its fill and its dash pattern."""

    line: str
    fill: str
    dash: str


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of every figure: Okabe-Ito hues, distinct in grey and for colour-blind eyes.

    Series alternate dark and light shades and solid and dashed lines, so they stay
    apart when printed in black and white.
    """

    ink: str = "#1a1a1a"
    muted: str = "#595959"
    axis: str = "#767676"
    grid: str = "#e0e0e0"
    band: str = "#d6e6f2"
    other_bar: str = "#a6cbe3"
    series: tuple[SeriesStyle, ...] = (
        SeriesStyle("#0072b2", "#0072b2", ""),
        SeriesStyle("#d55e00", "#f4b183", "6 3"),
        SeriesStyle("#009e73", "#9ed9c5", "2 3"),
        SeriesStyle("#cc79a7", "#ebc7db", "8 3 2 3"),
    )

    def style(self, index: int) -> SeriesStyle:
        """The style of series ``index`` (styles repeat past the last one)."""
        return self.series[index % len(self.series)]


PALETTE: Final = Palette()
#: Text size in CSS pixels: legible at 100 % zoom on a 1366×768 laptop screen.
FONT_PX: Final = 12
#: The height given to one line of text.
LINE_PX: Final = 16
#: The blank border inside every figure.
PAD_PX: Final = 6
#: The largest magnitude drawn; beyond it spans overflow and labels lose meaning.
MAX_MAGNITUDE: Final = 1e15
#: The smallest figure that still leaves room to draw.
MIN_WIDTH: Final = 160
MIN_HEIGHT: Final = 100
#: The height of the figure that stands in for one with nothing to draw.
EMPTY_HEIGHT: Final = 2 * LINE_PX
SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
#: Half the length of the tick that marks an interval of one point: past a point's radius.
SINGLE_PX: Final = 9

# Characters XML 1.0 cannot hold; a name carrying one must not break the page.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ELLIPSIS: Final = "…"
# Tick steps are one of these mantissas × 10^k, with the decimals they need beyond 10^k.
_MANTISSAS: Final = ((1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0))


# --- checks ---------------------------------------------------------------------------


def check_labels(labels: Sequence[object], name: str) -> list[str]:
    """The labels as strings; one string is refused, as its characters are no labels."""
    if isinstance(labels, str):
        raise ConfigError(f"{name} must be a sequence of labels, not the string {labels!r}.")
    return [str(label) for label in labels]


def check_numbers(values: Numbers | None, name: str, length: int) -> FloatArray:
    """Numbers as a float array, one per label, with every non-finite value as NaN."""
    if values is None:
        return np.full(length, np.nan)
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"{name} must hold numbers (None for a missing one), but: {error}. "
            "Convert the values to numbers before drawing."
        ) from None
    if array.shape != (length,):
        raise ConfigError(
            f"{name} must hold one number per label ({length}), got shape {array.shape}. "
            "Pass as many values as labels."
        )
    array = np.where(np.isfinite(array), array, np.nan)
    if (np.abs(array) > MAX_MAGNITUDE).any():
        raise ConfigError(
            f"{name} holds a value beyond ±{MAX_MAGNITUDE:g}, which a figure cannot draw. "
            "Scale the values (e.g. to thousands) first."
        )
    return array


def check_size(width: int, height: int) -> tuple[int, int]:
    """The figure's size, checked to leave room to draw."""
    if not (isinstance(width, int) and isinstance(height, int)):
        raise ConfigError(f"width and height must be whole pixels, got {width!r}×{height!r}.")
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ConfigError(
            f"a figure of {width}×{height} px is too small to draw; "
            f"use at least {MIN_WIDTH}×{MIN_HEIGHT}."
        )
    return width, height


def formatted(value_format: ValueFormat, values: FloatArray) -> list[str]:
    """Each value through ``value_format`` ('' for a missing one)."""
    write = value_format.format if isinstance(value_format, str) else value_format
    try:
        return ["" if math.isnan(v) else str(write(v)) for v in values.tolist()]
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ConfigError(
            f"value_format {value_format!r} cannot format a number ({error}); "
            "use a str.format field such as '{:.1f}' or a function of one float."
        ) from None


def tick_texts(values: FloatArray, labels: list[str], value_format: ValueFormat) -> list[str]:
    """The tick labels in ``value_format`` when it is a function, else the round ``labels``.

    A format string is written for the value labels (``"{:.0f}"`` would turn
    0.25 ticks into 0); a function says how values of a kind read (money in
    万 or M) and writes the ticks too, unless it writes two ticks alike.
    """
    if isinstance(value_format, str):
        return labels
    texts = formatted(value_format, values)
    # "1.0M, 1.0M, 1.0M" would tell the ticks apart by position only: keep the round labels.
    return texts if len(set(texts)) == len(texts) else labels


# --- text -----------------------------------------------------------------------------


def escaped(text: object) -> Markup:
    """Text as escaped markup, any character XML cannot hold replaced by U+FFFD."""
    return escape(_NOT_XML.sub("\ufffd", str(text)))


def _char_widths(text: str) -> list[float]:
    """The estimated width of each character: one em when wide (CJK), 0.6 em otherwise."""
    return [
        FONT_PX if unicodedata.east_asian_width(char) in ("W", "F") else 0.6 * FONT_PX
        for char in text
    ]


# Labels repeat across a report's figures (periods, criteria, segments, ticks): measure once.
@functools.lru_cache(maxsize=4096)
def text_width(text: str) -> float:
    """The estimated width of a line of text, in pixels."""
    return sum(_char_widths(text))


@functools.lru_cache(maxsize=4096)
def fitted(text: str, width: float) -> str:
    """Text cut to an estimated width, ending in an ellipsis when cut."""
    cumulative = list(itertools.accumulate(_char_widths(text)))
    if not cumulative or cumulative[-1] <= width:
        return text
    keep = bisect.bisect_right(cumulative, width - FONT_PX)
    return text[:keep] + _ELLIPSIS if keep else ""


def coordinate(value: float) -> str:
    """A coordinate, to one decimal."""
    # A Python float formats about three times faster than a numpy scalar.
    return f"{float(value):.1f}"


def text(
    x: float,
    y: float,
    content: str,
    *,
    cls: str,
    anchor: str = "middle",
    fill: str = PALETTE.ink,
    max_width: float | None = None,
    extra: str = "",
) -> str:
    """A ``<text>``; when cut to ``max_width``, the full text rides along as its ``<title>``."""
    shown = content if max_width is None else fitted(content, max_width)
    tooltip = f"<title>{escaped(content)}</title>" if shown != content else ""
    return (
        f'<text class="{cls}" x="{coordinate(x)}" y="{coordinate(y)}" text-anchor="{anchor}" '
        f'font-family="inherit" font-size="{FONT_PX}px" fill="{fill}"{extra}>'
        f"{tooltip}{escaped(shown)}</text>"
    )


# --- shapes ---------------------------------------------------------------------------


def line(
    x1: float, y1: float, x2: float, y2: float, *, cls: str, stroke: str, dash: str = ""
) -> str:
    """A ``<line>``."""
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line class="{cls}" x1="{coordinate(x1)}" y1="{coordinate(y1)}" '
        f'x2="{coordinate(x2)}" y2="{coordinate(y2)}" '
        f'stroke="{stroke}" stroke-width="1.5"{dashes}/>'
    )


def rect(x: float, y: float, w: float, h: float, *, cls: str, fill: str, stroke: str) -> str:
    """A ``<rect>``."""
    return (
        f'<rect class="{cls}" x="{coordinate(x)}" y="{coordinate(y)}" width="{coordinate(w)}" '
        f'height="{coordinate(h)}" fill="{fill}" stroke="{stroke}"/>'
    )


def circle(cx: float, cy: float, *, cls: str, fill: str, stroke: str, r: float = 3.5) -> str:
    """A ``<circle>``."""
    return (
        f'<circle class="{cls}" cx="{coordinate(cx)}" cy="{coordinate(cy)}" r="{coordinate(r)}" '
        f'fill="{fill}" stroke="{stroke}"/>'
    )


def poly(
    tag: str,
    xs: FloatArray,
    ys: FloatArray,
    *,
    cls: str,
    stroke: str,
    fill: str,
    dash: str = "",
    extra: str = "",
) -> str:
    """A ``<polyline>`` or ``<polygon>`` through the points given."""
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs.tolist(), ys.tolist(), strict=True))
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<{tag} class="{cls}" points="{points}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="2"{dashes}{extra}/>'
    )


def runs(values: FloatArray) -> list[slice]:
    """The runs of consecutive finite values, where a line is drawn without a gap."""
    finite = np.concatenate([[False], np.isfinite(values), [False]])
    edges = np.flatnonzero(np.diff(finite.astype(np.int8)))
    return [
        slice(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2], strict=True)
    ]


def figure(kind: str, width: int, height: int, title: str, body: Sequence[str]) -> Markup:
    """The ``<svg>`` root around the body, captioned by ``title``."""
    return Markup(
        f'<svg xmlns="{SVG_NAMESPACE}" class="figure {kind}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escaped(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def empty_figure(kind: str, width: int, title: str, message: str) -> Markup:
    """The small figure that says there is nothing to draw."""
    note = text(PAD_PX, LINE_PX + 4, message, cls="empty", anchor="start", fill=PALETTE.muted)
    return figure(f"{kind} empty", width, EMPTY_HEIGHT, title, [note])


def legend(names: Sequence[str], width: int, *, boxes: bool) -> list[str]:
    """One row of legend entries at the top: a swatch (box or line) and the series name."""
    room = (width - 2 * PAD_PX) / len(names)
    parts = []
    for index, name in enumerate(names):
        style, x, y = PALETTE.style(index), PAD_PX + index * room, PAD_PX + LINE_PX / 2
        cls = f"legend series-{index}"
        if boxes:
            parts.append(rect(x, y - 5, 10, 10, cls=cls, fill=style.fill, stroke=style.line))
        else:
            parts.append(line(x, y, x + 16, y, cls=cls, stroke=style.line, dash=style.dash))
        parts.append(text(x + 20, y + 4, name, cls=cls, anchor="start", max_width=room - 24))
    return parts


# --- scales and axes ------------------------------------------------------------------


def extent(*arrays: FloatArray) -> tuple[float, float]:
    """The smallest and largest finite value of the arrays."""
    finite = np.concatenate([array[np.isfinite(array)] for array in arrays])
    return float(finite.min()), float(finite.max())


def axis_domain(lo: float, hi: float) -> tuple[float, float]:
    """The span of a value axis: the data with 5 % to spare, never narrower than its precision.

    A span below a millionth of the values' magnitude is widened around its middle:
    round ticks need it, and a flat line then shows flat.
    """
    narrowest = 1e-6 * max(abs(lo), abs(hi))
    if hi - lo < max(narrowest, 1e-9):
        middle, half = lo / 2 + hi / 2, max(1.0, narrowest)
        return middle - half, middle + half
    spare = 0.05 * (hi - lo)
    return lo - spare, hi + spare


def scaled(
    values: FloatArray, domain: tuple[float, float], start: float, stop: float
) -> FloatArray:
    """Values mapped linearly from ``domain`` onto pixels ``start``..``stop``, kept inside."""
    lo, hi = domain
    share = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    return np.round(start + share * (stop - start), 1)


def ticks(lo: float, hi: float, count: int, *, whole: bool = False) -> tuple[FloatArray, list[str]]:
    """Round tick values inside ``lo``..``hi``, about ``count`` of them, with their labels.

    The step is 1, 2, 2.5 or 5 × 10^k, whichever is nearest (by ratio) to the span
    over ``count``; whole numbers only (no 2.5, no step below 1) when ``whole``. The
    span must be wider than a millionth of the magnitude, as :func:`axis_domain` gives.
    """
    raw = (hi - lo) / count
    exponent = math.floor(math.log10(raw))
    # (step, decimals its labels need) for each mantissa at 10^k and 10^(k+1).
    candidates = [
        (mantissa * 10.0**power, max(0, extra - power))
        for power in (exponent, exponent + 1)
        for mantissa, extra in _MANTISSAS
        if not (whole and mantissa == 2.5)
    ]
    step, decimals = min(candidates, key=lambda candidate: abs(math.log(candidate[0] / raw)))
    if whole and step < 1:
        step, decimals = 1.0, 0
    values = np.arange(math.ceil(lo / step), math.floor(hi / step) + 1, dtype=np.float64) * step
    values += 0.0  # turns -0.0 into 0.0, so no tick reads "-0"
    return values, [f"{value:,.{decimals}f}" for value in np.round(values, decimals).tolist()]


def is_whole(*arrays: FloatArray) -> bool:
    """Whether every finite value of the arrays is a whole number."""
    values = np.concatenate(arrays)
    finite = values[np.isfinite(values)]
    return bool(np.all(finite == np.floor(finite)))


def value_axis(
    labels: list[str], ys: FloatArray, left: float, right: float, room: float
) -> list[str]:
    """Horizontal grid lines at the ticks' heights ``ys``, labelled on the left."""
    parts = []
    for y, label in zip(ys.tolist(), labels, strict=True):
        parts.append(line(left, y, right, y, cls="grid", stroke=PALETTE.grid))
        parts.append(
            text(
                left - 4,
                y + 4,
                label,
                cls="tick-label",
                anchor="end",
                fill=PALETTE.muted,
                max_width=room,
            )
        )
    return parts


def category_axis(xs: FloatArray, names: list[str], y: float, width: int) -> list[str]:
    """Labels under evenly spaced positions; every k-th only when they would overlap."""
    spacing = float(xs[1] - xs[0]) if len(xs) > 1 else float(width)
    widest = max(text_width(name) for name in names)
    every = max(1, math.ceil((widest + 4) / spacing))
    parts = []
    for index in range(0, len(names), every):
        x = float(xs[index])
        room = min(every * spacing - 4, 2 * min(x, width - x) - 2)
        parts.append(text(x, y, names[index], cls="tick-label", fill=PALETTE.muted, max_width=room))
    return parts


def check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    """A caller's axis span, checked to be two finite numbers, the first below the second."""
    try:
        lo, hi = (float(bound) for bound in scale)
    except (TypeError, ValueError):
        raise ConfigError(f"scale must be two numbers (lo, hi), got {scale!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ConfigError(f"scale must be two finite numbers with lo < hi, got {scale!r}.")
    if hi - lo < 1e-6 * max(abs(lo), abs(hi)):
        raise ConfigError(f"scale {scale!r} is too narrow for its magnitude; widen it.")
    if max(abs(lo), abs(hi)) > MAX_MAGNITUDE:
        raise ConfigError(f"scale {scale!r} reaches beyond ±{MAX_MAGNITUDE:g}; scale the values.")
    return lo, hi


def check_bounds(
    low: Numbers | None, high: Numbers | None, length: int, low_name: str, high_name: str
) -> tuple[FloatArray, FloatArray]:
    """Interval bounds as arrays (all missing when not given); both or neither."""
    if (low is None) != (high is None):
        raise ConfigError(f"give both {low_name} and {high_name} for an interval, or neither.")
    return check_numbers(low, low_name, length), check_numbers(high, high_name, length)


def whiskers(
    positions: FloatArray,
    lows: FloatArray,
    highs: FloatArray,
    cls: str,
    *,
    horizontal: bool = False,
    reach: float = SINGLE_PX,
) -> list[str]:
    """A whisker with end caps at each position where both bounds are known.

    Whiskers stand upright at x ``positions`` between y ``lows`` and ``highs``; with
    ``horizontal`` they lie at y ``positions`` between x ``lows`` and ``highs``. An
    interval of one point (low == high) is a short tick across the position
    (``class="{cls} single"``), ``reach`` either side, wider than a point, so it
    shows as an interval rather than as a missing one.
    """
    parts = []
    for i in np.flatnonzero(np.isfinite(lows) & np.isfinite(highs)):
        at, low, high = float(positions[i]), float(lows[i]), float(highs[i])
        if low == high:
            segments, kinds = [(at - reach, low, at + reach, low)], [f"{cls} single"]
        else:
            segments = [
                (at, low, at, high),
                (at - 4, low, at + 4, low),
                (at - 4, high, at + 4, high),
            ]
            kinds = [cls, f"{cls} cap", f"{cls} cap"]
        for (x1, y1, x2, y2), kind in zip(segments, kinds, strict=True):
            if horizontal:
                x1, y1, x2, y2 = y1, x1, y2, x2
            parts.append(line(x1, y1, x2, y2, cls=kind, stroke=PALETTE.muted))
    return parts


def series_line(
    xs: FloatArray, numbers: FloatArray, ys: FloatArray, index: int, cls: str, points: bool = True
) -> list[str]:
    """A series as one polyline per unbroken run, with a point on each known value."""
    style = PALETTE.style(index)
    parts = [
        poly(
            "polyline",
            xs[run],
            ys[run],
            cls=f"{cls} series-{index}",
            stroke=style.line,
            fill="none",
            dash=style.dash,
        )
        for run in runs(numbers)
        if run.stop - run.start > 1
    ]
    if points:
        parts += [
            circle(xs[i], ys[i], cls=f"point series-{index}", fill=style.line, stroke=style.line)
            for i in np.flatnonzero(np.isfinite(numbers))
        ]
    return parts
