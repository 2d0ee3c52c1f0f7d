"""Skill gaps: each manager's calibrated competencies against their level and the next."""

from __future__ import annotations

import itertools

import pandas as pd

from .._checks import require_columns
from .._deprecation import frame_first_until_removed
from ..dataset import Dataset
from ..periods import PeriodLike, to_period
from ._ladder import CareerLadder, _calibrated, _periods_within


def gaps_of_frames(
    ratings: pd.DataFrame,
    managers: pd.DataFrame,
    *,
    ladder: CareerLadder,
    period: PeriodLike,
) -> pd.DataFrame:
    """:func:`skill_gaps` of a ratings and a managers frame (the earlier calling form)."""
    require_columns(managers, ["manager_id", "level"], "managers")
    window = to_period(period)
    scores = _calibrated(ratings)
    ladder.check_competencies(scores["competency"].unique())
    inside = _periods_within(scores["period"], window.start_time, window.end_time)
    current = (
        scores[inside]
        .groupby(["manager_id", "competency"], sort=False)["score"]
        .agg(current="mean", n_periods="count")
        .reset_index()
    )
    return _gap_table(managers, current, ladder)


@frame_first_until_removed("skill_gaps(dataset, ladder=..., period=...)", gaps_of_frames)
def skill_gaps(dataset: Dataset, *, ladder: CareerLadder, period: PeriodLike) -> pd.DataFrame:
    """Each manager's calibrated rating per competency against their level and the next.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset` with a ratings table. The
        ratings are calibrated on the whole table
        (:func:`~am_analytics.ratings.competency_scores`): more ratings
        estimate rater leniency better. Every manager of ``dataset.managers``
        (``manager_id``, ``level``; ``name`` is carried along) gets rows out;
        to leave out departed managers, pass
        ``dataclasses.replace(dataset, managers=...)``.
    ladder
        The :class:`CareerLadder`; it must not name a competency absent from
        the ratings (:class:`ConfigError`).
    period
        ``"2026Q3"``, ``"2026"``, ...: the calibrated ratings of the rating
        periods lying within it are averaged.

    Returns
    -------
    pandas.DataFrame
        One row per manager and ladder competency, in the order of
        ``managers`` and of :attr:`CareerLadder.required_competencies`.

    Raises
    ------
    MissingTableError
        If the dataset has no ratings table.
    ConfigError
        If ``period`` cannot be read or the ladder names a competency that is
        never rated.
    DataValidationError
        If the managers table lacks ``manager_id`` or ``level``.

    Notes
    -----
    Output columns:

    ``manager_id``, ``name`` (if given), ``level``
        From the managers table.
    ``in_ladder``
        Whether ``level`` is a level of the ladder (bool). A level outside it
        is flagged, not an error (a ladder may cover part of an organisation):
        its rows have ``next_level`` and the requirements and gaps missing.
    ``next_level``
        The level above; missing at the top of the ladder.
    ``competency``
    ``current``
        Mean calibrated rating over the period's rating periods; NaN when the
        manager was not rated on it then.
    ``n_periods``
        Rating periods averaged (int; 0 when unrated).
    ``required_current``, ``required_next``
        The minimums of the current and next level; NaN where the level asks
        nothing of that competency (or there is no next level).
    ``gap_current``, ``gap``
        ``required - current`` clipped at 0, for the current and the next
        level; 0 where nothing is required, NaN when ``current`` is NaN (an
        unrated competency is not known to be met) or outside the ladder, and
        for ``gap`` at the top of the ladder.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> from am_analytics.development import default_career_ladder
    >>> gaps = skill_gaps(load_sample(), ladder=default_career_ladder(), period="2026Q3")
    >>> gaps[["manager_id", "competency", "current", "required_next", "gap"]].head(2).round(2)
      manager_id       competency  current  required_next   gap
    0      M0001    communication     3.72            3.0  0.00
    1      M0001  problem_solving     2.72            3.0  0.28
    """
    return gaps_of_frames(dataset.table("ratings"), dataset.managers, ladder=ladder, period=period)


def _gap_table(managers: pd.DataFrame, current: pd.DataFrame, ladder: CareerLadder) -> pd.DataFrame:
    """Managers × ladder competencies with current ratings, requirements and gaps."""
    keep = [c for c in ("manager_id", "name", "level") if c in managers.columns]
    people = managers[keep].assign(manager_id=managers["manager_id"].astype("str"))
    people["level"] = people["level"].astype("str").where(people["level"].notna())
    people["in_ladder"] = people["level"].isin(ladder.names)
    people["next_level"] = people["level"].map(dict(itertools.pairwise(ladder.names)))
    competencies = pd.DataFrame(
        {"competency": pd.Series(list(ladder.required_competencies), dtype="object")}
    )
    table = people.merge(competencies, how="cross")
    table = table.merge(current, on=["manager_id", "competency"], how="left")
    table["n_periods"] = table["n_periods"].fillna(0).astype("int64")
    minimums = _minimums(ladder)
    table = table.merge(
        minimums.rename(columns={"level": "level", "required": "required_current"}),
        on=["level", "competency"],
        how="left",
    ).merge(
        minimums.rename(columns={"level": "next_level", "required": "required_next"}),
        on=["next_level", "competency"],
        how="left",
    )
    table["gap_current"] = _gap(table["required_current"], table["current"]).where(
        table["in_ladder"]
    )
    gap_next = _gap(table["required_next"], table["current"])
    table["gap"] = gap_next.where(table["next_level"].notna())
    columns = [
        *keep,
        "in_ladder",
        "next_level",
        "competency",
        "current",
        "n_periods",
        "required_current",
        "required_next",
        "gap_current",
        "gap",
    ]
    return table[columns].reset_index(drop=True)


def _gap(required: pd.Series, current: pd.Series) -> pd.Series:
    """``required - current`` clipped at 0; 0 where nothing is required; NaN if unrated."""
    shortfall = (required - current).clip(lower=0.0)
    return shortfall.where(required.notna(), 0.0).where(current.notna())


def _minimums(ladder: CareerLadder) -> pd.DataFrame:
    """The ladder's competency minimums as a long frame: level, competency, required."""
    rows = [
        (level.name, competency, minimum)
        for level in ladder.levels
        for competency, minimum in level.competencies.items()
    ]
    return pd.DataFrame(rows, columns=["level", "competency", "required"]).astype(
        {"level": "object", "competency": "object", "required": "float64"}
    )
