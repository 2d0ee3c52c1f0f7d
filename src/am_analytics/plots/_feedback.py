"""Figures of client feedback: the satisfaction funnel and SLA breaches by manager.

They follow :mod:`am_analytics.plots`: draw on ``ax=`` (a new figure when
none), forward ``**kwargs`` to the call that draws the data, return the axes,
import matplotlib lazily and leave no global state changed. They read the
frames of :func:`~am_analytics.feedback.satisfaction` and
:func:`~am_analytics.feedback.feedback_summary`; the control limits are the
funnel's geometry (prior mean +- z sigma / sqrt(n)), not a metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError, DataValidationError
from ._common import _axes, _cjk_font, _display, _percent, _require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["satisfaction_funnel", "sla_breaches"]

#: Two-sided coverage of the funnel's control limits, inner then outer.
FUNNEL_LIMITS: Final = (0.95, 0.998)
_LIMIT_STYLES: Final = (("#fdae61", "--"), ("#d7191c", "-"))


def satisfaction_funnel(
    satisfaction: pd.DataFrame,
    *,
    ax: Axes | None = None,
    value: str = "csat_adjusted",
    center: float | None = None,
    sd: float | None = None,
    names: Mapping[str, str] | None = None,
    title: str = "Satisfaction funnel",
    xlabel: str = "CSAT responses",
    ylabel: str | None = None,
    **kwargs: Any,
) -> Axes:
    """Each group's CSAT against its number of answers, inside 95% and 99.8% control limits.

    Parameters
    ----------
    satisfaction
        The frame of :func:`~am_analytics.feedback.satisfaction`
        (``csat_responses`` and ``value``).
    ax
        The axes to draw on; default: a new figure.
    value
        The column to plot: ``"csat_adjusted"`` (default) or ``"csat_mean"``.
    center, sd
        The population mean and the within-group standard deviation of one
        answer; default: ``attrs["csat_prior"]`` of the frame (its ``mean`` and
        the square root of its ``within_var``).
    names
        Display names of the groups (e.g. manager id to name); groups outside
        the 99.8% limits are labelled with them.
    title, xlabel, ylabel
        The texts of the axes (``ylabel`` defaults to ``value``).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.scatter`.

    Notes
    -----
    The limits are ``center +- z sd / sqrt(n)`` for the normal quantiles of
    :data:`FUNNEL_LIMITS`; a group whose raw mean leaves the outer funnel is
    unlikely to differ from the population by chance alone. Adjusted values
    are pulled toward the center, so they leave it less often. Groups without
    answers are not drawn. Artists: one scatter (``ax.collections[0]``), the
    center line, then the lower and upper limits of each coverage, labelled
    ``"95%"`` and ``"99.8%"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"csat_responses": [4, 100], "csat_adjusted": [4.5, 3.9]},
    ...                      index=pd.Index(["M1", "M2"], name="manager_id"))
    >>> ax = satisfaction_funnel(frame, center=4.0, sd=1.0)
    >>> [line.get_label() for line in ax.get_lines()]
    ['mean', '95%', '_nolegend_', '99.8%', '_nolegend_']
    """
    _require(satisfaction, ["csat_responses", value], "satisfaction")
    center, sd = _funnel_centre(satisfaction, center, sd)
    n = satisfaction["csat_responses"].to_numpy(dtype=np.float64)
    y = satisfaction[value].to_numpy(dtype=np.float64)
    shown = (n > 0) & np.isfinite(y)
    grid = np.linspace(1.0, max(float(n[shown].max(initial=1.0)), 2.0) * 1.05, 200)
    labels = [str(g) for g in satisfaction.index[shown]]
    display = _display(labels, names)
    ylabel = value if ylabel is None else ylabel
    ax = _axes(ax)
    with _cjk_font(ax, title, xlabel, ylabel, *display):
        style = {"s": 25, "color": "#2166ac", "zorder": 3, **kwargs}
        ax.scatter(n[shown], y[shown], **style)
        ax.axhline(center, color="0.3", linewidth=1, label="mean")
        for coverage, (colour, dash) in zip(FUNNEL_LIMITS, _LIMIT_STYLES, strict=True):
            half = float(stats.norm.ppf(0.5 + coverage / 2)) * sd / np.sqrt(grid)
            label = f"{coverage:.1%}".replace(".0%", "%")
            ax.plot(grid, center - half, color=colour, linestyle=dash, label=label)
            ax.plot(grid, center + half, color=colour, linestyle=dash, label="_nolegend_")
        outer = float(stats.norm.ppf(0.5 + FUNNEL_LIMITS[-1] / 2)) * sd / np.sqrt(n[shown])
        outside = np.abs(y[shown] - center) > outer
        for x, v, text in zip(
            n[shown][outside], y[shown][outside], np.array(display)[outside], strict=True
        ):
            ax.annotate(
                str(text), (x, v), xytext=(3, 3), textcoords="offset points", fontsize="x-small"
            )
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        ax.legend(loc="lower right", fontsize="small")
    return ax


def _funnel_centre(
    satisfaction: pd.DataFrame, center: float | None, sd: float | None
) -> tuple[float, float]:
    """The funnel's center and per-answer standard deviation, given or from the frame's prior."""
    prior = satisfaction.attrs.get("csat_prior", {})
    if center is None:
        center = prior.get("mean")
    if sd is None and "within_var" in prior:
        sd = float(np.sqrt(prior["within_var"]))
    if center is None or sd is None:
        raise DataValidationError(
            "the satisfaction frame has no attrs['csat_prior'] to draw the funnel around; "
            "pass center= and sd=, or plot the frame satisfaction() returned"
        )
    if not (np.isfinite(center) and np.isfinite(sd) and sd >= 0):
        raise ConfigError(
            f"the funnel needs a finite center and a non-negative sd, not {center!r}, {sd!r}"
        )
    return float(center), float(sd)


def sla_breaches(
    summary: pd.DataFrame,
    *,
    ax: Axes | None = None,
    value: str = "sla_breach_rate",
    names: Mapping[str, str] | None = None,
    title: str = "SLA breaches by manager",
    xlabel: str | None = None,
    **kwargs: Any,
) -> Axes:
    """Each manager's SLA breach rate (or breaches), as horizontal bars, worst on top.

    Parameters
    ----------
    summary
        The frame of :func:`~am_analytics.feedback.feedback_summary`.
    ax
        The axes to draw on; default: a new figure.
    value
        ``"sla_breach_rate"`` (default, drawn as a percentage) or ``"sla_breaches"``.
    names
        Display names of the managers (e.g. id to name).
    title, xlabel
        The texts of the axes (``xlabel`` defaults to ``value``).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.barh`.

    Notes
    -----
    Managers without a value (nothing judged yet) are left out; ties keep the
    frame's order. One bar container, its bars top to bottom from the highest
    value.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> summary = pd.DataFrame({"sla_breach_rate": [0.1, float("nan"), 0.5]},
    ...                        index=pd.Index(["M1", "M2", "M3"], name="manager_id"))
    >>> ax = sla_breaches(summary)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['M3', 'M1']
    >>> [float(b.get_width()) for b in ax.containers[0]]
    [0.5, 0.1]
    """
    if value not in ("sla_breach_rate", "sla_breaches"):
        raise ConfigError(f"value must be 'sla_breach_rate' or 'sla_breaches', not {value!r}")
    _require(summary, [value], "summary")
    values = summary[value].astype("float64").dropna().sort_values(ascending=False, kind="stable")
    labels = _display([str(m) for m in values.index], names)
    xlabel = value if xlabel is None else xlabel
    positions = np.arange(len(values))
    ax = _axes(ax)
    with _cjk_font(ax, title, xlabel, *labels):
        style = {"color": "#d6604d", **kwargs}
        ax.barh(positions, values.to_numpy(), **style)
        ax.set(title=title, xlabel=xlabel, yticks=positions, yticklabels=labels)
        ax.set_ylim(len(values) - 0.5, -0.5)  # worst on top
        if value == "sla_breach_rate":
            ax.xaxis.set_major_formatter(_percent())
    return ax
