"""The event-study figure of :func:`~am_analytics.development.training_impact`.

Like :mod:`am_analytics.plots`, the function draws on the axes it is given,
imports matplotlib lazily, only reads the result and returns the axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import _axes, _cjk_font, _percent, _require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..development import TrainingImpact

__all__ = ["training_impact_plot"]


def training_impact_plot(
    impact: TrainingImpact,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    **kwargs: Any,
) -> Axes:
    """Event study of a training impact: the effect by period around completion.

    Parameters
    ----------
    impact
        The result of :func:`~am_analytics.development.training_impact`.
    ax
        The axes to draw on; default: a new figure.
    title, ylabel
        The texts of the axes; defaults name the category and the outcome.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.errorbar`.

    Notes
    -----
    One point per event time with its 95 % interval; the reference period
    (event time -1, fixed at 0) is drawn hollow. A horizontal line marks no
    effect and a dashed vertical line at -0.5 the start of treatment (event
    time 0 is the period the course was completed in, partly treated). A
    relative effect is shown in percent. Without an estimate (too few managers)
    the axes carry the result's note instead.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from am_analytics.development import TrainingImpact
    >>> study = pd.DataFrame({"event_time": [-2, -1, 0, 1], "coef": [0.01, 0.0, 0.05, 0.1],
    ...                       "ci_low": [-0.05, 0.0, -0.02, 0.03],
    ...                       "ci_high": [0.07, 0.0, 0.12, 0.17], "n_treated": [9, 10, 10, 9],
    ...                       "reference": [False, True, False, False]})
    >>> impact = TrainingImpact(0.1, 0.03, 0.17, 0.01, 0.03, 10, 20, 0.7, study, "sales_skills",
    ...                         "sales_amount", "relative", 3, 200, "")
    >>> ax = training_impact_plot(impact)
    >>> ax.lines[0].get_ydata().tolist()
    [0.01, 0.05, 0.1]
    """
    study = impact.event_study
    _require(study, ["event_time", "coef", "ci_low", "ci_high", "reference"], "event_study")
    what = impact.category if impact.category is not None else "any course"
    title = title if title is not None else f"Effect of training ({what}) on {impact.outcome}"
    relative = impact.scale == "relative"
    ylabel = ylabel if ylabel is not None else ("change" if relative else impact.outcome)
    ax = _axes(ax)
    with _cjk_font(ax, title, ylabel):
        reference = study["reference"].to_numpy(dtype=bool)
        estimated = study.loc[~reference]
        x = estimated["event_time"].to_numpy(dtype=np.float64)
        y = estimated["coef"].to_numpy(dtype=np.float64)
        errors = np.vstack([y - estimated["ci_low"].to_numpy(np.float64), estimated["ci_high"] - y])
        style = {"fmt": "o", "capsize": 4, "color": "#2166ac", "label": "estimate, 95% interval"}
        ax.errorbar(x, y, yerr=errors, **{**style, **kwargs})
        ax.plot(
            study.loc[reference, "event_time"].to_numpy(np.float64),
            np.zeros(int(reference.sum())),
            "o",
            markerfacecolor="white",
            color="#2166ac",
            label="reference period",
        )
        ax.axhline(0.0, color="#525252", linewidth=0.8)
        ax.axvline(-0.5, color="#b2182b", linestyle="--", linewidth=1.0, label="training completed")
        if study.empty:
            ax.text(0.5, 0.5, impact.note, transform=ax.transAxes, ha="center", wrap=True)
        else:
            ax.set_xticks(study["event_time"].to_numpy(np.float64))
        if relative:
            ax.yaxis.set_major_formatter(_percent())
        ax.set(title=title, xlabel="periods since training", ylabel=ylabel)
        ax.legend(loc="best", fontsize="small")
    return ax
