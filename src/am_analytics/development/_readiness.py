"""Promotion readiness against the career ladder, and the 9-box placement."""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from .._checks import require_columns
from .._deprecation import frame_first_until_removed, keyword_only_since
from ..dataset import Dataset
from ..errors import ConfigError
from ..periods import DateLike, PeriodLike, parse_as_of
from ._gaps import gaps_of_frames
from ._ladder import (
    _DAYS_PER_YEAR,
    CareerLadder,
    _calibrated,
    _parse_periods,
)

if TYPE_CHECKING:
    from ..scoring import Scorecard

#: The statuses of :func:`promotion_readiness`, most ready first.
READINESS_STATUSES: Final = (
    "ready now",
    "ready within a period",
    "not ready",
    "top of ladder",
    "level not in ladder",
)


_BANDS: Final = ("low", "moderate", "high")


#: The name of each 9-box cell, by (performance, potential).
NINE_BOX_NAMES: Final = MappingProxyType(
    {
        ("high", "high"): "star",
        ("moderate", "high"): "high potential",
        ("low", "high"): "rough diamond",
        ("high", "moderate"): "high performer",
        ("moderate", "moderate"): "core player",
        ("low", "moderate"): "inconsistent player",
        ("high", "low"): "solid performer",
        ("moderate", "low"): "average performer",
        ("low", "low"): "underperformer",
    }
)


@keyword_only_since("periods")
def score_history(
    dataset: Dataset,
    *,
    periods: Iterable[PeriodLike],
    scorecard: Scorecard | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Score every manager in each of several periods and stack the results.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`.
    periods
        The periods to score (each as for
        :func:`~am_analytics.scoring.score_managers`).
    scorecard, as_of
        As for :func:`~am_analytics.scoring.score_managers` (default: the
        shipped scorecard, measured up to the dataset's ``as_of``), so that
        a history agrees with the scores of an evaluation made with the same.

    Returns
    -------
    pandas.DataFrame
        Columns ``manager_id`` (str), ``period`` (str, as given), ``score``,
        ``rank``, ``percentile`` (0..100, 100 = best) and ``grade``; one row per
        manager scored in each period, periods in the order given.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> history = score_history(load_sample(), periods=["2026Q2", "2026Q3"])
    >>> history.groupby("period").size().to_dict()
    {'2026Q2': 39, '2026Q3': 38}
    """
    from ..scoring import score_managers

    frames = []
    for period in periods:  # one scoring per period: a handful of calls, not a hot loop
        scored = score_managers(dataset, period=period, scorecard=scorecard, as_of=as_of)
        frames.append(
            pd.DataFrame(
                {
                    "manager_id": scored.index.astype("str"),
                    "period": str(period),
                    "score": scored["score"].to_numpy(),
                    "rank": scored["rank"].to_numpy(),
                    "percentile": scored["percentile"].to_numpy(),
                    "grade": scored["grade"].astype("str").to_numpy(),
                }
            )
        )
    if not frames:
        raise ConfigError("score_history needs at least one period; found none")
    return pd.concat(frames, ignore_index=True)


def readiness_of_frames(
    score_history: pd.DataFrame,
    ratings: pd.DataFrame,
    managers: pd.DataFrame,
    *,
    ladder: CareerLadder,
    as_of: DateLike,
    trend_periods: int = 4,
) -> pd.DataFrame:
    """:func:`promotion_readiness` of a score history, ratings and managers frame."""
    require_columns(score_history, ["manager_id", "period", "percentile"], "score_history")
    require_columns(managers, ["manager_id", "level", "hire_date"], "managers")
    if isinstance(trend_periods, bool) or not isinstance(trend_periods, int) or trend_periods < 2:
        raise ConfigError(f"trend_periods must be a whole number >= 2; found {trend_periods!r}")
    day = parse_as_of(as_of).normalize()
    history = _completed_history(score_history, day)
    scores = _calibrated(ratings)
    codes, distinct = pd.factorize(scores["period"], use_na_sentinel=False)
    ended = np.asarray([p.end_time < day for p in distinct], dtype=bool)  # distinct periods
    scores = scores[ended[codes]]
    if scores.empty:
        raise ConfigError(f"no rating period ended before as_of {day.date()}; give a later as_of")
    latest_rating = max(scores["period"].unique())
    gaps = gaps_of_frames(ratings, managers, ladder=ladder, period=latest_rating)
    competency_trend = _trend(scores, ["manager_id", "competency"], "score", trend_periods)
    people = _people(managers, ladder, day)
    criteria = pd.concat(
        [
            _tenure_criteria(people, ladder, _period_years(history)),
            _percentile_criteria(people, history, ladder, trend_periods),
            _competency_criteria(gaps, competency_trend, latest_rating),
        ],
        ignore_index=True,
    )
    readiness = _status(people, criteria)
    return _nine_box(readiness, history, competency_trend, trend_periods)


@frame_first_until_removed(
    "promotion_readiness(dataset, score_history=..., ladder=..., as_of=...)",
    readiness_of_frames,
)
def promotion_readiness(
    dataset: Dataset,
    *,
    score_history: pd.DataFrame,
    ladder: CareerLadder,
    as_of: DateLike,
    trend_periods: int = 4,
) -> pd.DataFrame:
    """Who is ready for the next level, what is missing, and where each sits on the 9-box.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset` with a ratings table (all
        periods: calibration uses them all); its managers table gives
        ``manager_id``, ``level`` and ``hire_date`` (``name`` is carried along).
    score_history
        ``manager_id``, ``period``, ``percentile`` (0..100, 100 = best) per
        scored period, e.g. from :func:`score_history`.
    ladder
        The :class:`CareerLadder`.
    as_of
        The day of the assessment: only periods that ended before it count,
        and tenure is measured to it.
    trend_periods
        How many of the latest completed periods the trends (and the 9-box
        performance) are measured over (int, >= 2).

    Returns
    -------
    pandas.DataFrame
        One row per manager of the managers table, in its order.

    Raises
    ------
    MissingTableError
        If the dataset has no ratings table.
    ConfigError
        For a bad ``as_of`` or ``trend_periods``, a ladder naming unrated
        competencies, or no period completed before ``as_of``.
    DataValidationError
        If a frame lacks a required column.

    Notes
    -----
    **Criteria** of the next level, each checked as of ``as_of``:

    * tenure: years since ``hire_date`` (days / 365.25) >= ``min_tenure_years``;
    * performance: the percentile in *each* of the last ``periods`` completed
      periods >= ``min_score_percentile`` (a period in which the manager was
      not scored counts as unmet);
    * competencies: the calibrated rating of the latest completed rating
      period >= the minimum, for every competency the next level names.

    **Status**: ``"ready now"`` when every criterion is met. ``"ready within a
    period"`` when every unmet criterion is expected to be met one period
    later: tenure grows by the length of a period; the percentile window
    slides by one period, the new period's percentile projected as the latest
    one plus the percentile trend; a competency is projected as its current
    rating plus its trend. ``"not ready"`` otherwise. A manager at the top
    level is ``"top of ladder"``, one whose level the ladder lacks is
    ``"level not in ladder"``. A *trend* is the least-squares slope per period
    over the last ``trend_periods`` completed periods (NaN, so never
    projected, with fewer than two points).

    **9-box**: *performance* is the mean percentile over the last
    ``trend_periods`` completed periods, cut in thirds (low < 33⅓ <= moderate
    < 66⅔ <= high). *Potential* is growth: the mid-rank percentile among the
    managers of the percentile trend and of the mean competency trend,
    averaged (either alone when the other is missing), cut in the same
    thirds. Potential is relative: the fastest-growing third is "high".

    Output columns: ``manager_id``, ``name`` (if given), ``level``,
    ``next_level``, ``status`` (categorical, :data:`READINESS_STATUSES`),
    ``n_unmet`` (int), ``unmet`` (each unmet criterion in words with its value
    and requirement, joined by ``"; "``; empty when none), ``tenure_years``,
    ``latest_percentile``, ``percentile_trend`` (points per period),
    ``competency_trend`` (mean rating points per period), ``performance``,
    ``potential`` (categoricals low/moderate/high), ``potential_index``
    (0..100), ``nine_box`` (e.g. ``"high performance / high potential: star"``;
    missing when either axis is).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> from am_analytics.development import default_career_ladder
    >>> data = load_sample()
    >>> history = score_history(data, periods=["2026Q2", "2026Q3"])
    >>> out = promotion_readiness(data, score_history=history,
    ...                           ladder=default_career_ladder(), as_of=data.as_of)
    >>> out["status"].value_counts().head(3).to_dict()
    {'not ready': 31, 'top of ladder': 5, 'ready now': 3}
    """
    return readiness_of_frames(
        score_history,
        dataset.table("ratings"),
        dataset.managers,
        ladder=ladder,
        as_of=as_of,
        trend_periods=trend_periods,
    )


def _completed_history(score_history: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The score history of periods that ended before ``day``, ``step`` 0 = latest."""
    periods = _parse_periods(score_history["period"])
    done = periods.map(lambda p: p.end_time) < day
    if not done.any():
        raise ConfigError(
            f"no period of score_history ended before as_of {day.date()}; score an earlier "
            "period or give a later as_of"
        )
    history = pd.DataFrame(
        {
            "manager_id": score_history["manager_id"].astype("str").to_numpy(),
            "period": periods.to_numpy(),
            "percentile": score_history["percentile"].to_numpy(dtype="float64"),
        }
    )[done.to_numpy()]
    ordered = sorted(history["period"].unique())
    step = {period: len(ordered) - 1 - i for i, period in enumerate(ordered)}
    return history.assign(step=history["period"].map(step).astype("int64"))


def _period_years(history: pd.DataFrame) -> float:
    """The length in years of the latest scored period (how far 'within a period' reaches)."""
    latest = history.loc[history["step"] == 0, "period"].iloc[0]
    return float((latest.end_time - latest.start_time).days + 1) / _DAYS_PER_YEAR


def _trend(frame: pd.DataFrame, keys: list[str], value: str, window: int) -> pd.DataFrame:
    """Least-squares slope of ``value`` per period over the latest ``window`` periods, by keys."""
    ordered = sorted(frame["period"].unique())[-window:]
    position = {period: float(i) for i, period in enumerate(ordered)}
    recent = frame[frame["period"].isin(ordered)]
    x = recent["period"].map(position).astype("float64")
    y = recent[value].astype("float64")
    sums = (
        pd.DataFrame({**{k: recent[k] for k in keys}, "n": 1.0, "x": x, "y": y, "xx": x * x})
        .assign(xy=x * y)
        .groupby(keys, sort=False)
        .sum()
    )
    # slope = (n Σxy − Σx Σy) / (n Σxx − (Σx)²); undefined with fewer than two periods
    denominator = sums["n"] * sums["xx"] - sums["x"] ** 2
    slope = (sums["n"] * sums["xy"] - sums["x"] * sums["y"]) / denominator.where(denominator > 0)
    return slope.rename("trend").reset_index()


def _people(managers: pd.DataFrame, ladder: CareerLadder, day: pd.Timestamp) -> pd.DataFrame:
    """Managers with their next level's requirements and their tenure."""
    keep = [c for c in ("manager_id", "name", "level") if c in managers.columns]
    people = managers[keep].assign(manager_id=managers["manager_id"].astype("str"))
    people = people.reset_index(drop=True)
    people["level"] = people["level"].astype("str").where(people["level"].notna())
    position = people["level"].map({name: i for i, name in enumerate(ladder.names)})
    people["in_ladder"] = position.notna()
    upper = dict(enumerate(ladder.levels[1:]))
    next_level = position.fillna(-1).astype("int64").map(upper).where(people["in_ladder"])
    people["next_level"] = next_level.map(lambda lv: lv.name, na_action="ignore")
    people["need_tenure"] = next_level.map(lambda lv: lv.min_tenure_years, na_action="ignore")
    people["need_percentile"] = next_level.map(
        lambda lv: lv.min_score_percentile, na_action="ignore"
    )
    people["need_periods"] = next_level.map(lambda lv: lv.periods, na_action="ignore")
    hired = pd.to_datetime(managers["hire_date"]).reset_index(drop=True)
    people["tenure_years"] = (day - hired).dt.days / _DAYS_PER_YEAR
    return people


def _criteria_frame(
    manager_id: pd.Series, order: int, met: pd.Series, reachable: pd.Series, text: pd.Series
) -> pd.DataFrame:
    """Criteria in the long layout: manager_id, order, met, reachable, text."""
    return pd.DataFrame(
        {
            "manager_id": manager_id.to_numpy(),
            "order": order,
            "met": met.to_numpy(dtype="bool"),
            "reachable": reachable.to_numpy(dtype="bool"),
            "text": text.to_numpy(dtype="object"),
        }
    )


def _tenure_criteria(people: pd.DataFrame, ladder: CareerLadder, years: float) -> pd.DataFrame:
    """The tenure criterion of each manager below the top."""
    rows = people[people["next_level"].notna()]
    tenure, need = rows["tenure_years"], rows["need_tenure"].astype("float64")
    text = (
        "tenure " + tenure.map("{:.1f}".format) + " years < " + need.map("{:g}".format)
    ) + " required"
    return _criteria_frame(rows["manager_id"], 0, tenure >= need, tenure + years >= need, text)


def _percentile_criteria(
    people: pd.DataFrame, history: pd.DataFrame, ladder: CareerLadder, trend_periods: int
) -> pd.DataFrame:
    """The percentile criterion: held in each of the last N periods, and one period on."""
    rows = people.loc[
        people["next_level"].notna(), ["manager_id", "need_percentile", "need_periods"]
    ]
    rows = rows.astype({"need_percentile": "float64", "need_periods": "int64"})
    joined = history.merge(rows, on="manager_id")
    window = joined[joined["step"] < joined["need_periods"]]
    held = window.groupby("manager_id")["percentile"].agg(["min", "count"])
    # One period later the window drops its oldest period and gains a projected one.
    kept = window[window["step"] < window["need_periods"] - 1]
    kept_min = kept.groupby("manager_id")["percentile"].agg(["min", "count"])
    latest = history.loc[history["step"] == 0].set_index("manager_id")["percentile"]
    trend = _trend(history, ["manager_id"], "percentile", trend_periods).set_index("manager_id")
    out = rows.set_index("manager_id")
    count = held["count"].reindex(out.index).fillna(0).astype("int64")
    lowest = held["min"].reindex(out.index)
    met = (count == out["need_periods"]) & (lowest >= out["need_percentile"])
    projected = latest.reindex(out.index) + trend["trend"].reindex(out.index)
    kept_ok = kept_min["count"].reindex(out.index).fillna(0) == out["need_periods"] - 1
    future_low = pd.concat([kept_min["min"].reindex(out.index), projected], axis=1).min(
        axis=1, skipna=False
    )
    # With N = 1 nothing of the window is kept: the projection alone decides.
    future_low = future_low.where(out["need_periods"] > 1, projected)
    reachable = met | (kept_ok & (future_low >= out["need_percentile"]))
    need = out["need_percentile"].map("{:g}".format)
    text = (
        "score percentile "
        + lowest.map("{:.1f}".format, na_action="ignore").fillna("n/a")
        + " (lowest of the last "
        + out["need_periods"].astype("str")
        + " periods) < "
        + need
        + " required"
    ).where(
        count == out["need_periods"],
        "scored in only "
        + count.astype("str")
        + " of the last "
        + out["need_periods"].astype("str")
        + " periods (percentile "
        + need
        + " required in each)",
    )
    index = out.index.to_series()
    return _criteria_frame(index, 1, met, reachable, text)


def _competency_criteria(
    gaps: pd.DataFrame, trend: pd.DataFrame, period: pd.Period
) -> pd.DataFrame:
    """The competency criteria of the next level."""
    rows = gaps[gaps["required_next"].notna()].merge(
        trend, on=["manager_id", "competency"], how="left"
    )
    current, need = rows["current"], rows["required_next"]
    met = current >= need
    reachable = met | (current + rows["trend"] >= need)
    text = (
        rows["competency"]
        + " "
        + current.map("{:.3f}".format, na_action="ignore")
        + " < "
        + need.map("{:g}".format)
        + " required"
    ).where(
        current.notna(),
        "no calibrated rating of " + rows["competency"] + f" in {period}",
    )
    return _criteria_frame(rows["manager_id"], 2, met, reachable, text)


def _status(people: pd.DataFrame, criteria: pd.DataFrame) -> pd.DataFrame:
    """Each manager's status and unmet criteria, from the long criteria frame."""
    unmet = criteria[~criteria["met"]].sort_values(["manager_id", "order"], kind="stable")
    summary = unmet.groupby("manager_id").agg(
        n_unmet=("text", "size"), unmet=("text", "; ".join), reachable=("reachable", "all")
    )
    out = people.join(summary, on="manager_id")
    out["n_unmet"] = out["n_unmet"].fillna(0).astype("int64")
    out["unmet"] = out["unmet"].fillna("").astype("str")
    status = np.select(
        [
            ~out["in_ladder"],
            out["next_level"].isna(),
            out["n_unmet"] == 0,
            out["reachable"].fillna(False).astype("bool"),
        ],
        ["level not in ladder", "top of ladder", "ready now", "ready within a period"],
        default="not ready",
    )
    out["status"] = pd.Categorical(status, categories=list(READINESS_STATUSES))
    return out


def _nine_box(
    readiness: pd.DataFrame,
    history: pd.DataFrame,
    competency_trend: pd.DataFrame,
    trend_periods: int,
) -> pd.DataFrame:
    """Add performance, potential and the 9-box label."""
    ids = readiness["manager_id"]
    recent = history[history["step"] < trend_periods]
    performance_value = ids.map(recent.groupby("manager_id")["percentile"].mean())
    latest = history[history["step"] == 0].set_index("manager_id")["percentile"]
    percentile_trend = ids.map(
        _trend(history, ["manager_id"], "percentile", trend_periods).set_index("manager_id")[
            "trend"
        ]
    )
    mean_competency_trend = ids.map(competency_trend.groupby("manager_id")["trend"].mean())
    # Mid-rank percentiles: with n managers the ranks sit at (r - 0.5) / n, symmetric about 50.
    growth = pd.concat(
        [_mid_rank(percentile_trend), _mid_rank(mean_competency_trend)], axis=1
    ).mean(axis=1, skipna=True)
    performance = _thirds(performance_value)
    potential = _thirds(growth)
    label = (
        performance.astype("str")
        + " performance / "
        + potential.astype("str")
        + " potential: "
        + pd.Series(
            list(zip(performance.astype("object"), potential.astype("object"), strict=True)),
            index=readiness.index,
        ).map(NINE_BOX_NAMES)
    )
    out = readiness.assign(
        latest_percentile=ids.map(latest),
        percentile_trend=percentile_trend,
        competency_trend=mean_competency_trend,
        performance=performance,
        potential=potential,
        potential_index=growth,
        nine_box=label.where(performance.notna() & potential.notna()),
    )
    keep = [c for c in ("manager_id", "name", "level") if c in out.columns]
    columns = [
        *keep,
        "next_level",
        "status",
        "n_unmet",
        "unmet",
        "tenure_years",
        "latest_percentile",
        "percentile_trend",
        "competency_trend",
        "performance",
        "potential",
        "potential_index",
        "nine_box",
    ]
    return out[columns]


def _mid_rank(values: pd.Series) -> pd.Series:
    """Mid-rank percentile (0..100) of each value among the non-missing ones."""
    n = values.notna().sum()
    return (values.rank(method="average") - 0.5) / n * 100.0


def _thirds(values: pd.Series) -> pd.Series:
    """low / moderate / high for values in 0..100 cut at 33⅓ and 66⅔ (NaN stays missing)."""
    edges = [-np.inf, 100 / 3, 200 / 3, np.inf]
    return pd.cut(values, edges, right=False, labels=list(_BANDS))
