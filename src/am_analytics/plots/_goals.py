"""Figures of goals: the burn-up chart of one goal, the attainment distribution, team heat table.

They read the attainment frame of :func:`~am_analytics.goals.attainment` (one
row per goal and step) and draw it; nothing is computed here but the position
of the points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from ._common import _axes, _cjk_font, _display, _percent, _require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["attainment_histogram", "burn_up", "team_heat_table"]

_BURN_UP_COLUMNS: Final = [
    "goal_id",
    "date",
    "actual_to_date",
    "expected_to_date",
    "target",
    "projection",
    "projection_low",
    "projection_high",
    "revision",
    "period_end",
]


def burn_up(
    results: pd.DataFrame,
    goal_id: str,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    **kwargs: Any,
) -> Axes:
    """One goal over its period: actual, expected, the target line, the projection cone.

    Parameters
    ----------
    results
        The attainment frame (``goal_id, date, actual_to_date,
        expected_to_date, target, projection, projection_low, projection_high,
        revision, period_end``).
    goal_id
        The goal to draw.
    ax
        The axes to draw on; default: a new figure.
    title
        Default: the goal id and its owner.
    **kwargs
        Passed to the line of the actual values.

    Notes
    -----
    Artists: ``ax.lines[0]`` the actual to date, ``ax.lines[1]`` the expected
    to date, ``ax.lines[2]`` the target in force (a step line, so a revision
    shows as a step), then the projection from the last step to the period end
    with its 80 % cone (``ax.collections[0]``), and a vertical dotted line at
    each revision.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> steps = pd.DataFrame({
    ...     "goal_id": "G1", "date": pd.to_datetime(["2026-07-07", "2026-07-14"]),
    ...     "actual_to_date": [10.0, 25.0], "expected_to_date": [12.0, 24.0],
    ...     "target": 100.0, "projection": [90.0, 105.0], "projection_low": [70.0, 90.0],
    ...     "projection_high": [110.0, 120.0], "revision": 1,
    ...     "period_end": pd.Timestamp("2026-09-30"), "owner_id": "M1"})
    >>> len(burn_up(steps, "G1").lines)
    4
    """
    _require(results, _BURN_UP_COLUMNS, "results")
    steps = results[results["goal_id"] == goal_id].sort_values("date")
    if steps.empty:
        raise DataValidationError(f"the results have no steps of goal {goal_id!r}")
    ax = _axes(ax)
    owner = f" ({steps['owner_id'].iloc[0]})" if "owner_id" in steps.columns else ""
    heading = title if title is not None else f"{goal_id}{owner}"
    with _cjk_font(ax, heading):
        ax.plot(steps["date"], steps["actual_to_date"], label="actual", **kwargs)
        ax.plot(steps["date"], steps["expected_to_date"], linestyle="--", label="expected")
        ax.step(steps["date"], steps["target"], where="post", color="black", label="target")
        last = steps.iloc[-1]
        end = last["period_end"]
        ax.plot(
            [last["date"], end],
            [last["actual_to_date"], last["projection"]],
            linestyle=":",
            color="C2",
            label="projection",
        )
        ax.fill_between(
            [last["date"], end],
            [last["actual_to_date"], last["projection_low"]],
            [last["actual_to_date"], last["projection_high"]],
            alpha=0.2,
            color="C2",
            label="80% interval",
        )
        revised = steps["revision"].ne(steps["revision"].shift()) & (steps.index != steps.index[0])
        for day in steps.loc[revised, "date"]:
            ax.axvline(day, color="grey", linestyle=":", linewidth=1)
        ax.set(title=heading, xlabel="date", ylabel="to date")
        ax.legend(loc="upper left")
    return ax


def attainment_histogram(
    latest: pd.DataFrame,
    *,
    ax: Axes | None = None,
    bins: int = 20,
    title: str = "Attainment",
    **kwargs: Any,
) -> Axes:
    """How attainment is spread over the goals, with the 100 % line.

    Parameters
    ----------
    latest
        One row per goal with ``attainment`` (e.g. :func:`~am_analytics.goals.latest_status`).
    ax
        The axes to draw on; default: a new figure.
    bins
        Histogram bins.
    title
        The title.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.hist`.

    Notes
    -----
    Artists: the bars (``ax.patches``) of the goals with an attainment, and
    ``ax.lines[0]`` at 100 %. The x axis reads in per cent.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = attainment_histogram(pd.DataFrame({"attainment": [0.8, 1.0, 1.2]}), bins=3)
    >>> ax.lines[0].get_xdata()[0]
    1.0
    """
    _require(latest, ["attainment"], "latest")
    values = latest["attainment"].to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    ax = _axes(ax)
    with _cjk_font(ax, title):
        ax.hist(values, bins=bins, **kwargs)
        ax.axvline(1.0, color="black", linestyle="--", label="100%")
        share = float((values >= 1.0).mean()) if len(values) else float("nan")
        ax.set(title=f"{title}: {share:.0%} at 100% or more", xlabel="attainment", ylabel="goals")
        ax.xaxis.set_major_formatter(_percent())
    return ax


def team_heat_table(
    latest: pd.DataFrame,
    *,
    ax: Axes | None = None,
    names: Mapping[str, str] | None = None,
    title: str = "Attainment by team and metric",
    **kwargs: Any,
) -> Axes:
    """Median attainment per team (rows) and metric (columns), coloured, with the values.

    Parameters
    ----------
    latest
        One row per goal with ``team``, ``metric`` and ``attainment``.
    ax
        The axes to draw on; default: a new figure.
    names
        Display names of the teams.
    title
        The title.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.imshow`.

    Notes
    -----
    ``ax.images[0]`` holds the table of medians (teams sorted, metrics
    sorted); the colour scale is centred on 100 % (red below, green above).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> latest = pd.DataFrame({"team": ["A", "A", "B"], "metric": ["sales_amount"] * 3,
    ...                        "attainment": [0.9, 1.1, 0.7]})
    >>> team_heat_table(latest).images[0].get_array().tolist()
    [[1.0], [0.7]]
    """
    _require(latest, ["team", "metric", "attainment"], "latest")
    table = latest.pivot_table(
        index="team", columns="metric", values="attainment", aggfunc="median", observed=True
    ).sort_index()
    ax = _axes(ax)
    teams = _display([str(t) for t in table.index], names)
    with _cjk_font(ax, title, *teams):
        values = table.to_numpy(dtype=np.float64)
        spread = max(float(np.nanmax(np.abs(values - 1.0))) if values.size else 0.0, 0.05)
        options = {"cmap": "RdYlGn", "vmin": 1.0 - spread, "vmax": 1.0 + spread, **kwargs}
        ax.imshow(np.ma.masked_invalid(values), aspect="auto", **options)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
        ax.set_yticks(range(len(teams)), teams)
        ax.set(title=title)
    return ax
