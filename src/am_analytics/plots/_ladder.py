"""Figures of career development: the skill-gap heatmap and the 9-box grid.

They follow :mod:`am_analytics.plots`: each draws on ``ax=`` (a new figure when
none), returns the axes, only reads results (:func:`skill_gaps`,
:func:`promotion_readiness` of :mod:`am_analytics.development`), imports
matplotlib lazily and draws Chinese names with a CJK font when one is installed
(else a :class:`~am_analytics.plots.MissingFontWarning`, once per session).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..development._readiness import NINE_BOX_NAMES
from ._common import _axes, _cjk_font, _require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["nine_box", "skill_gap_heatmap"]

_BAND_ORDER: Final = ("low", "moderate", "high")
#: Cell colours: green where performance and potential are high, red where both are low.
_BOX_COLOURS: Final = {0: "#f4a582", 1: "#fddbc7", 2: "#f7f7f7", 3: "#d9f0d3", 4: "#a6dba0"}


def skill_gap_heatmap(
    gaps: pd.DataFrame,
    *,
    ax: Axes | None = None,
    value: str = "gap",
    label: str = "name",
    title: str = "Skill gaps to the next level",
    annotate: bool = True,
    colorbar: bool = True,
    **kwargs: Any,
) -> Axes:
    """Managers (rows) by competencies (columns), shaded by the rating gap.

    Parameters
    ----------
    gaps
        ``manager_id``, ``competency`` and ``value`` (:func:`skill_gaps`); a
        ``label`` column (e.g. ``name``) names the rows when present.
    ax
        The axes to draw on; default: a new figure.
    value
        The gap to show: ``"gap"`` (to the next level) or ``"gap_current"``.
    label
        The column naming the managers; ``manager_id`` when it is absent.
    title
        The title.
    annotate
        Write each non-zero gap in its cell.
    colorbar
        Add a colour bar.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.imshow` (e.g. ``cmap=``).

    Notes
    -----
    Managers and competencies keep their order of appearance. Missing gaps
    (unrated, top of ladder) are left blank.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> gaps = pd.DataFrame({"manager_id": ["M1", "M1", "M2", "M2"],
    ...                      "competency": ["teamwork", "client_focus"] * 2,
    ...                      "gap": [0.5, 0.0, 0.25, 1.0]})
    >>> ax = skill_gap_heatmap(gaps, colorbar=False)
    >>> ax.images[0].get_array().tolist(), [t.get_text() for t in ax.texts]
    ([[0.5, 0.0], [0.25, 1.0]], ['0.50', '0.25', '1.00'])
    """
    _require(gaps, ["manager_id", "competency", value], "gaps")
    table = gaps.assign(
        manager_id=gaps["manager_id"].astype("str"), competency=gaps["competency"].astype("str")
    )
    rows = list(pd.unique(table["manager_id"]))
    columns = list(pd.unique(table["competency"]))
    grid = table.pivot_table(
        index="manager_id", columns="competency", values=value, aggfunc="mean", dropna=False
    ).reindex(index=rows, columns=columns)
    values = grid.to_numpy(dtype="float64")
    if label in table.columns:
        names = table.drop_duplicates("manager_id").set_index("manager_id")[label]
        row_labels = [str(names[m]) for m in rows]
    else:
        row_labels = rows
    ax = _axes(ax)
    with _cjk_font(ax, title, *row_labels, *columns):
        top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
        style = {"cmap": "Reds", "vmin": 0.0, "vmax": max(top, 1e-9), "aspect": "auto", **kwargs}
        image = ax.imshow(np.ma.masked_invalid(values), **style)
        ax.set(title=title, xlabel="competency", ylabel="manager")
        ax.set_xticks(np.arange(len(columns)), labels=columns, rotation=45, ha="right")
        ax.set_yticks(np.arange(len(rows)), labels=row_labels)
        if annotate:
            shade = np.asarray(image.norm(np.nan_to_num(values)), dtype="float64")
            for (i, j), gap in np.ndenumerate(values):
                if np.isfinite(gap) and gap > 0:  # cells, not managers: a small grid
                    colour = "white" if shade[i, j] > 0.6 else "black"
                    ax.text(
                        j, i, f"{gap:.2f}", ha="center", va="center", color=colour, fontsize="small"
                    )
        if colorbar:
            ax.figure.colorbar(image, ax=ax, label="rating points below the minimum")
    return ax


def nine_box(
    readiness: pd.DataFrame,
    *,
    ax: Axes | None = None,
    label: str = "name",
    title: str = "9-box: performance × potential",
    fontsize: str | float = "x-small",
) -> Axes:
    """The 3×3 grid of performance (x) by potential (y) with each manager in their box.

    Parameters
    ----------
    readiness
        ``manager_id``, ``performance`` and ``potential`` (low / moderate /
        high, from :func:`promotion_readiness`); a ``label`` column names the
        managers when present.
    ax
        The axes to draw on; default: a new figure.
    label
        The column naming the managers; ``manager_id`` when it is absent.
    title
        The title.
    fontsize
        Size of the managers' names.

    Notes
    -----
    Each box is a rectangle patch (9 in all) with its name at the top; the
    managers of a box are listed below it, one text per box (managers with a
    missing axis are left out). Box (performance p, potential q) spans
    ``[p, p+1] × [q, q+1]`` with low = 0, moderate = 1, high = 2.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> readiness = pd.DataFrame({"manager_id": ["M1", "M2", "M3"],
    ...                           "performance": ["high", "high", "low"],
    ...                           "potential": ["high", "high", "moderate"]})
    >>> ax = nine_box(readiness)
    >>> len(ax.patches), [t.get_text() for t in ax.texts if "M" in t.get_text()]
    (9, ['M3', 'M1\\nM2'])
    """
    _require(readiness, ["manager_id", "performance", "potential"], "readiness")
    names = (readiness[label] if label in readiness.columns else readiness["manager_id"]).astype(
        "str"
    )
    bands = {band: i for i, band in enumerate(_BAND_ORDER)}
    x = readiness["performance"].astype("object").map(bands)
    y = readiness["potential"].astype("object").map(bands)
    placed = pd.DataFrame({"name": names, "x": x, "y": y}).dropna()
    members = placed.groupby(["x", "y"], sort=True)["name"].agg("\n".join)
    ax = _axes(ax)
    from matplotlib.patches import Rectangle

    with _cjk_font(ax, title, *placed["name"]):
        for (performance, potential), box in NINE_BOX_NAMES.items():
            px, py = bands[performance], bands[potential]
            colour = _BOX_COLOURS[px + py]
            ax.add_patch(Rectangle((px, py), 1, 1, facecolor=colour, edgecolor="grey"))
            ax.text(
                px + 0.5, py + 0.95, box, ha="center", va="top", fontsize="small", fontweight="bold"
            )
        for (px, py), text in zip(members.index, members, strict=True):
            ax.text(px + 0.5, py + 0.8, str(text), ha="center", va="top", fontsize=fontsize)
        ticks = np.arange(3) + 0.5
        ax.set(xlim=(0, 3), ylim=(0, 3), title=title, xlabel="performance", ylabel="potential")
        ax.set_xticks(ticks, labels=list(_BAND_ORDER))
        ax.set_yticks(ticks, labels=list(_BAND_ORDER))
    return ax
