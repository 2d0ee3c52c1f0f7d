"""Figures of client segments, segment migration and manager portfolios."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..segments._portfolio import Migration
from ._common import _axes, _cjk_font, _display, _percent, _require

#: Colours of the RFM segments: greens for the best, blues for the new, warm
#: colours for the slipping, greys for the gone.
SEGMENT_COLOURS: Final = {
    "Champions": "#1b7837",
    "Loyal": "#5aae61",
    "Potential Loyalist": "#a6dba0",
    "New": "#2166ac",
    "Promising": "#92c5de",
    "Need Attention": "#fee090",
    "About to Sleep": "#fdae61",
    "At Risk": "#f46d43",
    "Can't Lose": "#b2182b",
    "Hibernating": "#969696",
    "Lost": "#525252",
    # ABC tiers
    "A": "#1b7837",
    "B": "#fdae61",
    "C": "#bdbdbd",
}


#: Chinese display names of the RFM segments, for ``names=``.
SEGMENT_NAMES_ZH: Final = {
    "Champions": "冠军客户",
    "Loyal": "忠诚客户",
    "Potential Loyalist": "潜在忠诚客户",
    "New": "新客户",
    "Promising": "潜力客户",
    "Need Attention": "需关注客户",
    "About to Sleep": "即将沉睡客户",
    "At Risk": "流失风险客户",
    "Can't Lose": "不可流失客户",
    "Hibernating": "沉睡客户",
    "Lost": "已流失客户",
    "new": "新增",
    "gone": "流失",
}


def segment_map(
    features: pd.DataFrame,
    *,
    ax: Axes | None = None,
    names: Mapping[str, str] | None = None,
    title: str = "Client segments",
    xlabel: str = "days since last order",
    ylabel: str = "net revenue",
    **kwargs: Any,
) -> Axes:
    """Each client as a point: recency against net revenue, on log scales, coloured by segment.

    Parameters
    ----------
    features
        Per-client ``recency_days``, ``monetary`` and ``segment``.
    ax
        The axes to draw on; default: a new figure.
    names
        Display names of the segments (e.g. :data:`SEGMENT_NAMES_ZH`).
    title, xlabel, ylabel
        The texts of the axes.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.scatter` (e.g. ``s=``, ``alpha=``).

    Notes
    -----
    A log scale cannot show zero or less: clients who ordered on ``as_of``
    (recency 0) or whose net revenue is <= 0 are left out, and their number is
    written in the lower left corner. One scatter per segment, in the
    segments' order, labelled with its (display) name.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> features = pd.DataFrame({"recency_days": [3.0, 400.0], "monetary": [9e4, 2e3],
    ...                          "segment": ["Champions", "Lost"]})
    >>> ax = segment_map(features)
    >>> ax.get_xscale(), [c.get_label() for c in ax.collections]
    ('log', ['Champions', 'Lost'])
    """
    _require(features, ["recency_days", "monetary", "segment"], "features")
    recency = features["recency_days"].to_numpy(dtype="float64")
    monetary = features["monetary"].to_numpy(dtype="float64")
    segments = features["segment"].astype("str").where(features["segment"].notna())
    shown = (recency > 0) & (monetary > 0) & segments.notna().to_numpy()
    hidden = int((~shown & segments.notna().to_numpy()).sum())
    order = _order(features["segment"])
    display = _display(order, names)
    note = f"{hidden} clients with recency 0 or net revenue <= 0 not shown" if hidden else ""
    ax = _axes(ax)
    with _cjk_font(ax, title, xlabel, ylabel, *display):
        for label, shown_as, colour in zip(order, display, _colours(order), strict=True):
            points = shown & (segments == label).to_numpy()
            style = {"s": 10, "alpha": 0.7, "linewidths": 0, "color": colour, **kwargs}
            ax.scatter(recency[points], monetary[points], label=shown_as, **style)
        ax.set(xscale="log", yscale="log", title=title, xlabel=xlabel, ylabel=ylabel)
        if order:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", markerscale=2)
        if note:
            ax.annotate(note, xy=(0.01, 0.01), xycoords="axes fraction", fontsize="x-small")
    return ax


def segment_bars(
    features: pd.DataFrame,
    *,
    ax: Axes | None = None,
    names: Mapping[str, str] | None = None,
    title: str = "Share of clients and of revenue by segment",
    labels: tuple[str, str] = ("clients", "revenue"),
    **kwargs: Any,
) -> Axes:
    """Each segment's share of clients beside its share of net revenue (horizontal bars).

    Parameters
    ----------
    features
        Per-client ``segment`` and ``monetary``.
    ax
        The axes to draw on; default: a new figure.
    names
        Display names of the segments.
    title
        The title of the axes.
    labels
        The legend labels of the two bars (e.g. ``("客户数", "收入")``).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.barh`.

    Notes
    -----
    Shares are of the clients with a segment: their count, and their summed
    ``monetary``. Segments run top to bottom in their order; the first
    container holds the client shares, the second the revenue shares.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> features = pd.DataFrame({"monetary": [300.0, 100.0], "segment": ["Loyal", "Lost"]})
    >>> ax = segment_bars(features)
    >>> [float(bar.get_width()) for bar in ax.containers[1]]
    [0.25, 0.75]
    """
    _require(features, ["segment", "monetary"], "features")
    segmented = features[features["segment"].notna()]
    order = _order(segmented["segment"])
    grouped = segmented["monetary"].groupby(segmented["segment"].astype("str"))
    clients = grouped.size().reindex(order, fill_value=0) / max(len(segmented), 1)
    revenue = grouped.sum().reindex(order, fill_value=0.0)
    total = float(revenue.sum())
    revenue = revenue / total if total else revenue * np.nan
    display = _display(order, names)
    positions = np.arange(len(order))
    ax = _axes(ax)
    with _cjk_font(ax, title, *labels, *display):
        for offset, values, label, colour in zip(
            (-0.2, 0.2), (clients, revenue), labels, ("#4393c3", "#d6604d"), strict=True
        ):
            style = {"height": 0.4, "color": colour, **kwargs}
            ax.barh(positions + offset, values.to_numpy(), label=label, **style)
        ax.set(title=title, xlabel="share", yticks=positions, yticklabels=display)
        ax.set_ylim(len(order) - 0.5, -0.5)  # first segment on top
        ax.xaxis.set_major_formatter(_percent())
        ax.legend(loc="lower right", fontsize="small")
    return ax


def migration_heatmap(
    migration: Migration | pd.DataFrame,
    *,
    ax: Axes | None = None,
    names: Mapping[str, str] | None = None,
    title: str = "Segment migration",
    xlabel: str = "to",
    ylabel: str = "from",
    annotate: bool = True,
    colorbar: bool = True,
    **kwargs: Any,
) -> Axes:
    """The migration rates as a heatmap, each cell written as a percentage.

    Parameters
    ----------
    migration
        A :class:`~am_analytics.segments._portfolio.Migration` (its ``rates``
        are drawn) or a rates frame of the same shape.
    ax
        The axes to draw on; default: a new figure.
    names
        Display names of the segments (and of ``new`` / ``gone``).
    title, xlabel, ylabel
        The texts of the axes.
    annotate
        Write each rate in its cell; zeros and empty rows stay blank.
    colorbar
        Add a colour bar beside the axes (in the same figure).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.imshow` (e.g. ``cmap=``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from am_analytics.segments import migration
    >>> moves = migration(pd.Series(["Loyal", "Lost"], index=["a", "b"]),
    ...                   pd.Series(["Loyal", "Loyal"], index=["a", "b"]))
    >>> ax = migration_heatmap(moves, colorbar=False)
    >>> [t.get_text() for t in ax.texts]
    ['100%', '100%']
    """
    rates = migration if isinstance(migration, pd.DataFrame) else migration.rates
    values = rates.to_numpy(dtype="float64")
    rows = _display([str(r) for r in rates.index], names)
    columns = _display([str(c) for c in rates.columns], names)
    ax = _axes(ax)
    with _cjk_font(ax, title, xlabel, ylabel, *rows, *columns):
        style = {"cmap": "Blues", "vmin": 0.0, "vmax": 1.0, "aspect": "auto", **kwargs}
        image = ax.imshow(np.ma.masked_invalid(values), **style)
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        ax.set_xticks(np.arange(len(columns)), labels=columns, rotation=45, ha="right")
        ax.set_yticks(np.arange(len(rows)), labels=rows)
        if annotate:
            shade = np.asarray(image.norm(np.nan_to_num(values)), dtype="float64")
            _annotate_cells(ax, values, dark=shade > 0.6)
        if colorbar:
            ax.figure.colorbar(image, ax=ax, format=_percent(), label="share of the row")
    return ax


def portfolio_bars(
    portfolio: pd.DataFrame,
    *,
    ax: Axes | None = None,
    by: str = "segment",
    names: Mapping[str, str] | None = None,
    title: str | None = None,
    ylabel: str = "net revenue",
    **kwargs: Any,
) -> Axes:
    """Each manager's revenue as a bar, stacked by segment, ABC tier or value tier.

    Parameters
    ----------
    portfolio
        The frame of :func:`~am_analytics.segments._portfolio.portfolio`, one
        row per manager, with ``revenue_<segment>``, ``revenue_tier_<tier>`` or
        ``revenue_value_<tier>`` columns.
    ax
        The axes to draw on; default: a new figure.
    by
        ``"segment"``, ``"tier"`` or ``"value_tier"``: which columns to stack.
    names
        Display names of the segments or tiers (and the managers, if wanted).
    title, ylabel
        The texts of the axes; the title defaults to "Revenue by <by> per manager".
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar`.

    Notes
    -----
    One bar container per segment or tier, in the portfolio's column order.
    Positive revenue stacks up from zero and negative revenue (net refunds)
    down from zero, so a bar's top is the manager's positive revenue.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> book = pd.DataFrame({"revenue_tier_A": [500.0, 0.0], "revenue_tier_B": [100.0, 50.0]},
    ...                     index=pd.Index(["m1", "m2"], name="manager_id"))
    >>> ax = portfolio_bars(book, by="tier")
    >>> [[float(bar.get_height()) for bar in c] for c in ax.containers]
    [[500.0, 0.0], [100.0, 50.0]]
    """
    columns, labels = _stack_columns(portfolio, by)
    values = portfolio[columns].to_numpy(dtype="float64")
    display = _display(labels, names)
    managers = _display([str(m) for m in portfolio.index], names)
    title = title if title is not None else f"Revenue by {by.replace('_', ' ')} per manager"
    positions = np.arange(len(portfolio))
    # stack positives upward from zero and negatives downward, so parts never overlap
    up = np.vstack([np.zeros(len(portfolio)), np.cumsum(np.clip(values, 0, None), axis=1).T])
    down = np.vstack([np.zeros(len(portfolio)), np.cumsum(np.clip(values, None, 0), axis=1).T])
    bottoms = np.where(values.T >= 0, up[:-1], down[:-1])
    ax = _axes(ax)
    with _cjk_font(ax, title, ylabel, *display, *managers):
        for i, (label, colour) in enumerate(zip(display, _colours(labels), strict=True)):
            style = {"width": 0.8, "color": colour, **kwargs}
            ax.bar(positions, values[:, i], bottom=bottoms[i], label=label, **style)
        many = len(portfolio) > 8
        ax.set(title=title, ylabel=ylabel, xlabel=str(portfolio.index.name or ""))
        ax.set_xticks(positions, labels=managers, rotation=90 if many else 0)
        if labels:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def _order(labels: pd.Series) -> list[str]:
    """The labels present, in their categories' order (or sorted)."""
    if isinstance(labels.dtype, pd.CategoricalDtype):
        used = labels.cat.remove_unused_categories().cat.categories
        return [str(c) for c in used]
    return sorted(str(v) for v in labels.dropna().unique())


def _colours(labels: Sequence[str]) -> list[Any]:
    """A colour per label: the segment's or tier's own, else from the tab20 palette."""
    from matplotlib import colormaps

    palette = colormaps["tab20"]
    return [SEGMENT_COLOURS.get(label, palette(i % 20)) for i, label in enumerate(labels)]


def _annotate_cells(ax: Axes, values: np.ndarray, *, dark: np.ndarray) -> None:
    """Write each non-zero cell's value as a percentage, white on dark cells.

    Zeros stay blank so the moves that happen stand out; a rate that rounds
    to 0 % but is not zero reads "<1%".
    """
    rows, columns = np.nonzero(np.isfinite(values) & (values != 0))
    for row, column in zip(rows, columns, strict=True):  # cells, not clients: at most ~150
        value = values[row, column]
        ax.text(
            float(column),
            float(row),
            f"{value:.0%}" if abs(value) >= 0.005 else "<1%",
            ha="center",
            va="center",
            fontsize="x-small",
            color="white" if dark[row, column] else "black",
        )


_PREFIXES: Final[dict[str, tuple[str, Callable[[str], bool]]]] = {
    "tier": ("revenue_tier_", lambda name: True),
    "value_tier": ("revenue_value_", lambda name: True),
    "segment": (
        "revenue_",
        lambda name: not name.startswith(("revenue_tier_", "revenue_value_")),
    ),
}


def _stack_columns(portfolio: pd.DataFrame, by: str) -> tuple[list[str], list[str]]:
    """The portfolio's revenue columns of one kind, and their labels."""
    if by not in _PREFIXES:
        raise ConfigError(f"by must be one of {list(_PREFIXES)}, not {by!r}")
    prefix, keep = _PREFIXES[by]
    columns = [str(c) for c in portfolio.columns if str(c).startswith(prefix) and keep(str(c))]
    if not columns:
        raise DataValidationError(
            f"the portfolio has no {prefix}<name> columns to stack by {by}; compute it from "
            f"features with a {by!r} column"
        )
    return columns, [c.removeprefix(prefix) for c in columns]
