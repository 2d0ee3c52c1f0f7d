"""Attainment over time: actual against the target in force, pace, forecast, status.

Model choices (documented in :func:`attainment` too):

* **Target in force** on a date: the goal's revision with the latest ``set_on``
  on or before that date; before any ``set_on`` (or when ``set_on`` is
  missing), revision 1. Past dates keep the target that was in force then.
* **Expected to date** for metrics that accumulate (amounts and counts): the
  target times the share of the period's value realised by the same point of
  the period in the owner's previous years (up to two, averaged); when the
  owner has no complete, positive previous-year period in the data, the
  team's; otherwise linear in elapsed days. ``expected_basis`` says which.
  For means (``csat_mean``) the expectation is the target itself.
* **Projection** for accumulating metrics: a *completion-ratio* model. Each
  of the last :data:`PREVIOUS_PERIODS` comparable periods of the owner and of
  its peers (team mates; the other teams) that ended before the step gives
  one draw: the actual to date × that period's final / to-date value at the
  same elapsed share (the quarter-end push and growth are in the ratio), plus
  open pipeline × probability for sales goals (see :func:`attainment`). For
  means: the actual to date with a normal interval from the standard error
  of the answers to come.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..dataset import Dataset, DateLike
from ..errors import ConfigError, DataValidationError
from ._actuals import (
    TEAM_WEIGHTS,
    FloatArray,
    is_additive,
    manager_window_values,
    owner_actuals,
)

__all__ = ["StatusThresholds", "attainment", "latest_status", "register_goal_metrics"]

IntArray: TypeAlias = np.ndarray[Any, np.dtype[np.int64]]

#: Previous comparable periods whose completion ratios the projection draws on.
PREVIOUS_PERIODS: Final = 8
#: Previous years the seasonal expectation averages.
SEASONAL_YEARS: Final = (1, 2)
_REQUIRED: Final = ("goal_id", "owner_id", "metric", "target", "period_start", "period_end")
_DAY: Final = pd.Timedelta(days=1)
_STATUSES: Final = ("ahead", "on_track", "at_risk", "off_track")
_COLUMNS: Final = (
    "goal_id", "revision", "owner_id", "owner_kind", "team", "metric", "direction",
    "period_start", "period_end", "date", "target", "actual_to_date", "expected_to_date",
    "expected_basis", "attainment", "pace", "run_rate_projection", "projection",
    "projection_low", "projection_high", "probability_of_hitting", "status", "yoy_velocity",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatusThresholds:
    """Pace cut-offs of the status labels.

    A goal is ``ahead`` when ``pace >= ahead``, ``on_track`` when
    ``pace >= on_track``, ``at_risk`` when ``pace >= at_risk`` and
    ``off_track`` below. Pace is actual / expected to date (inverted for
    lower-is-better metrics), so 1.0 means exactly on the expected path.

    Examples
    --------
    >>> StatusThresholds(ahead=1.10).on_track
    0.95
    >>> StatusThresholds(ahead=0.9)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: status thresholds must be positive and ordered ...
    """

    ahead: float = 1.05
    on_track: float = 0.95
    at_risk: float = 0.85

    def __post_init__(self) -> None:
        values = (self.ahead, self.on_track, self.at_risk)
        ordered = all(math.isfinite(v) and v > 0 for v in values) and (
            self.ahead >= self.on_track >= self.at_risk
        )
        if not ordered:
            raise ConfigError(
                "status thresholds must be positive and ordered ahead >= on_track >= at_risk; "
                f"got ahead={self.ahead}, on_track={self.on_track}, at_risk={self.at_risk}; "
                "raise ahead or lower the others"
            )

    def classify(self, pace: np.ndarray) -> np.ndarray:
        """The status of each pace (an object array; None where the pace is NaN)."""
        labels = np.select(
            [pace >= self.ahead, pace >= self.on_track, pace >= self.at_risk, pace < self.at_risk],
            list(_STATUSES),
            default="",
        ).astype(object)
        labels[labels == ""] = None
        return labels


def attainment(
    goals: pd.DataFrame,
    dataset: Dataset,
    *,
    as_of: DateLike,
    freq: str = "W",
    thresholds: StatusThresholds | None = None,
    seasonal: bool = True,
    pipeline: bool = True,
    interval: float = 0.8,
    n_draws: int = 1000,
    random_state: int = 0,
) -> pd.DataFrame:
    """Each goal tracked step by step through its period: actual, expected, forecast.

    Parameters
    ----------
    goals
        The goals table (:class:`~am_analytics.schemas.GoalsSchema`), one row
        per goal and revision; usually ``dataset.goals``.
    dataset
        The :class:`~am_analytics.Dataset` the actuals are computed from.
    as_of
        The last day looked at; goals that start after it have no rows.
    freq
        Step frequency (a pandas offset alias: ``"W"`` weeks ending on Sunday,
        ``"MS"``/``"ME"``, ``"D"``); the as_of day (or the period end) is always a
        step too.
    thresholds
        The pace cut-offs of ``status`` (default :class:`StatusThresholds`).
    seasonal
        Use the seasonal expectation when history allows (else linear only).
    pipeline
        Add open pipeline × probability to sales goals' projections.
    interval
        Coverage of ``projection_low .. projection_high`` (default 80%).
    n_draws, random_state
        Unused since the completion-ratio model (its draws are the previous
        periods, so the result is deterministic); kept for compatibility,
        ``n_draws`` is still checked (at least 10).

    Returns
    -------
    pandas.DataFrame
        One row per goal and step, sorted by ``goal_id`` and ``date``.

    Raises
    ------
    DataValidationError
        If ``goals`` lacks a required column.
    ConfigError
        For an unreadable ``as_of`` or ``freq``, or options out of range.

    Notes
    -----
    Columns: ``goal_id``, ``revision`` (in force on ``date``), ``owner_id``,
    ``owner_kind``, ``team`` (the manager's team; the team itself for team
    goals), ``metric``, ``direction``, ``period_start``, ``period_end``,
    ``date`` (the step's last day, inclusive), ``target`` (in force on that
    date), ``actual_to_date`` (over ``[period_start, date]``),
    ``expected_to_date``, ``expected_basis`` (``owner_seasonal``,
    ``team_seasonal``, ``linear`` or ``level`` for means),
    ``attainment`` (actual / target; target / actual for lower-is-better, inf
    when nothing of a lower-is-better budget is used), ``pace`` (actual /
    expected, inverted likewise), ``run_rate_projection`` (actual / elapsed
    days × period days; the actual for means), ``projection`` (median of the
    simulated final values), ``projection_low`` / ``projection_high`` (the
    ``interval`` quantile range), ``probability_of_hitting`` (share of draws at
    or above the target; at or below for lower-is-better), ``status``
    (:class:`StatusThresholds` on pace; missing when pace is undefined),
    ``yoy_velocity`` (attainment at the same day of the same period a year
    earlier against that year's goal of the same owner and metric; NaN
    without one).

    The projection of an accumulating metric pools completion ratios: for the
    owner and its peers (the other managers of its team; for a team goal the
    other teams; a team's values sum its managers'), each of the previous
    eight periods of the same kind (previous quarters for a quarter; another
    period is shifted back by its length) that lies inside the data and ended
    before the step gives r = final value / value at the same elapsed share
    (ceil of share × days), skipped when that value is <= 0; each draw is
    actual to date × r, or, when the actual to date is not positive, the
    actual plus that period's remaining-part value. ``projection`` is the
    median of the draws and the interval their predictive quantiles (type 6,
    see ``_row_quantiles``); all are NaN without a usable previous period
    (the data's first period). On the sample's 469 past sales goals at
    mid-quarter the 80% interval held the final value 82% of the time among
    the goals with an interval (8% above, 8% below; 75% counting the first
    quarter's missing intervals as misses), and 82% at a third and at two
    thirds of the quarter. For sales
    goals, when the dataset has an opportunities table and the step is on or
    after the dataset's ``as_of`` (the pipeline's status is only known then),
    the open opportunities created by the step and expected to close after it
    and by the period end add amount × probability. The completion ratios already contain deals that
    were once in a pipeline, so this term leans optimistic. Means
    (``csat_mean``) project the mean to date with a normal interval whose
    spread is the answers' standard deviation × sqrt(n_remaining) /
    (n_to_date + n_remaining), n_remaining extrapolated from the pace of
    answers. At the period end every interval collapses onto the actual.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> res = attainment(data.goals, data, as_of="2026-11-15", n_draws=200)
    >>> res.columns[:6].tolist()
    ['goal_id', 'revision', 'owner_id', 'owner_kind', 'team', 'metric']
    >>> ended = res[res["date"] == res["period_end"]]
    >>> gap = (ended["projection"] - ended["actual_to_date"]).abs().dropna()
    >>> bool((gap < 1e-6).all())
    True
    """
    if not 0 < interval < 1:
        raise ConfigError(f"interval must be between 0 and 1 (exclusive), not {interval!r}")
    if n_draws < 10:
        raise ConfigError(f"n_draws must be at least 10, not {n_draws!r}")
    thresholds = thresholds or StatusThresholds()
    day = _as_day(as_of)
    revisions = _normalise_goals(goals)
    heads = _goal_heads(revisions, dataset)
    steps = _steps(heads, day, freq)
    if steps.empty:
        return _empty()
    steps = _targets_in_force(steps, revisions)
    steps["actual_to_date"] = owner_actuals(
        steps.assign(start=steps["period_start"], end=steps["date"]), dataset
    )
    steps = _expected(steps, dataset, seasonal=seasonal)
    steps = _scores(steps, thresholds)
    steps = _projection(
        steps, dataset, pipeline=pipeline, interval=interval, n_draws=n_draws, seed=random_state
    )
    steps["yoy_velocity"] = _yoy_velocity(steps, heads, revisions, dataset)
    return steps.loc[:, list(_COLUMNS)].reset_index(drop=True)


def latest_status(
    results_or_goals: pd.DataFrame,
    dataset: Dataset | None = None,
    *,
    as_of: DateLike,
    **options: Any,
) -> pd.DataFrame:
    """One row per goal: its last step on or before ``as_of``.

    Parameters
    ----------
    results_or_goals
        An :func:`attainment` result, or a goals table (then ``dataset`` is
        needed and :func:`attainment` runs with ``as_of`` and ``options``).
    dataset
        The dataset, when a goals table is given.
    as_of
        The day looked at.
    **options
        Passed to :func:`attainment` (``freq``, ``thresholds``, ...).

    Returns
    -------
    pandas.DataFrame
        The :func:`attainment` columns, one row per goal that started by
        ``as_of``, sorted by ``goal_id``.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> now = latest_status(data.goals, data, as_of="2026-11-15", n_draws=200)
    >>> bool(now["goal_id"].is_unique), bool((now["date"] <= "2026-11-15").all())
    (True, True)
    """
    day = _as_day(as_of)
    if "actual_to_date" in results_or_goals.columns:
        results = results_or_goals
    else:
        if dataset is None:
            raise ConfigError(
                "latest_status got a goals table but no dataset; pass the dataset or an "
                "attainment() result"
            )
        results = attainment(results_or_goals, dataset, as_of=day, **options)
    known = results[results["date"] <= day].sort_values(["goal_id", "date"], kind="stable")
    return known.groupby("goal_id", sort=True).tail(1).reset_index(drop=True)


# ---------------------------------------------------------------------------
# Goals, steps and targets in force
# ---------------------------------------------------------------------------


def _as_day(value: DateLike) -> pd.Timestamp:
    """``as_of`` as a normalised Timestamp, or a ConfigError."""
    try:
        day: Any = pd.Timestamp(value)
    except (ValueError, TypeError):
        day = pd.NaT
    if pd.isna(day):
        raise ConfigError(f"as_of {value!r} is not a date; write it like 2026-11-15")
    return day.normalize()


def _normalise_goals(goals: pd.DataFrame) -> pd.DataFrame:
    """The goal rows with defaults filled in (a copy; the input is untouched)."""
    missing = [c for c in _REQUIRED if c not in goals.columns]
    if missing:
        raise DataValidationError(
            f"the goals table lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(_REQUIRED)} (see docs/tables.md)",
            missing={"goals": missing},
        )
    out = pd.DataFrame(
        {
            "goal_id": goals["goal_id"].astype(str).to_numpy(),
            "owner_id": goals["owner_id"].astype(str).to_numpy(),
            "metric": goals["metric"].astype(str).to_numpy(),
            "target": goals["target"].to_numpy(dtype=np.float64),
            # nanoseconds, like the dataset's dates, so that they merge whatever the input unit
            "period_start": _days(goals["period_start"]),
            "period_end": _days(goals["period_end"]),
        }
    )
    kind = goals["owner_kind"] if "owner_kind" in goals.columns else None
    out["owner_kind"] = "manager" if kind is None else kind.fillna("manager").astype(str).to_numpy()
    revision = goals["revision"] if "revision" in goals.columns else None
    out["revision"] = 1 if revision is None else revision.fillna(1).to_numpy(dtype=np.int64)
    set_on = goals["set_on"] if "set_on" in goals.columns else None
    out["set_on"] = pd.NaT if set_on is None else _days(set_on)
    out["set_on"] = out["set_on"].astype("datetime64[ns]")
    return out.sort_values(["goal_id", "revision"], kind="stable", ignore_index=True)


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as midnight ``datetime64[ns]`` values."""
    return pd.to_datetime(dates).dt.normalize().to_numpy().astype("datetime64[ns]")


def _goal_heads(revisions: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """One row per goal (owner, metric, period of revision 1), with team and direction."""
    from ..metrics import get_metric

    heads = revisions.drop_duplicates("goal_id", keep="first").drop(
        columns=["target", "revision", "set_on"]
    )
    unknown = sorted(set(heads["metric"]) - _known_metrics(heads["metric"]))
    if unknown:
        get_metric(unknown[0])  # raises the registry's ConfigError naming the known metrics
    heads["direction"] = heads["metric"].map(lambda name: get_metric(name).direction)
    managers = dataset.managers
    if "team" in managers.columns:
        team_of = pd.Series(
            managers["team"].astype(str).where(managers["team"].notna()).to_numpy(),
            index=managers["manager_id"].astype(str).to_numpy(),
        )
    else:
        team_of = pd.Series(dtype=object)
    is_team = heads["owner_kind"].to_numpy() == "team"
    heads["team"] = np.where(is_team, heads["owner_id"], heads["owner_id"].map(team_of))
    return heads.reset_index(drop=True)


def _known_metrics(names: pd.Series) -> set[str]:
    """The names among ``names`` the registry knows."""
    from ..metrics import get_metric

    known = set()
    for name in pd.unique(names):  # distinct metric names, a handful
        try:
            get_metric(str(name))
        except ConfigError:
            continue
        known.add(str(name))
    return known


def _steps(heads: pd.DataFrame, as_of: pd.Timestamp, freq: str) -> pd.DataFrame:
    """One row per goal and step date (freq boundaries, plus the as_of day or period end)."""
    periods = heads[["period_start", "period_end"]].drop_duplicates()
    periods = periods[periods["period_start"] <= as_of]
    parts = []
    for start, end in periods.itertuples(index=False):  # distinct periods, not goals
        last = min(pd.Timestamp(end), as_of)
        try:
            bounds = pd.date_range(start, last, freq=freq)
        except (ValueError, TypeError):
            raise ConfigError(
                f"freq {freq!r} is not a pandas frequency; use 'W', 'MS', 'ME' or 'D'"
            ) from None
        dates = bounds.normalize().union(pd.DatetimeIndex([last]))
        parts.append(pd.DataFrame({"period_start": start, "period_end": end, "date": dates}))
    if not parts:
        return pd.DataFrame()
    grid = pd.concat(parts, ignore_index=True)
    steps = heads.merge(grid, on=["period_start", "period_end"], how="inner")
    steps = steps.sort_values(["goal_id", "date"], kind="stable", ignore_index=True)
    total = (steps["period_end"] - steps["period_start"]).dt.days + 1
    steps["elapsed_days"] = (steps["date"] - steps["period_start"]).dt.days + 1
    steps["total_days"] = total
    return steps


def _targets_in_force(steps: pd.DataFrame, revisions: pd.DataFrame) -> pd.DataFrame:
    """Add ``revision`` and ``target``: the revision with the latest set_on <= date."""
    first = revisions.drop_duplicates("goal_id", keep="first")[["goal_id", "revision", "target"]]
    dated = revisions[revisions["set_on"].notna()].sort_values(
        ["set_on", "revision"], kind="stable"
    )
    # several revisions set the same day: the highest is the one in force
    dated = dated.drop_duplicates(["goal_id", "set_on"], keep="last")
    left = steps.reset_index(names="_row").sort_values("date", kind="stable")
    matched = pd.merge_asof(
        left,
        dated[["goal_id", "set_on", "revision", "target"]],
        left_on="date",
        right_on="set_on",
        by="goal_id",
        direction="backward",
    ).sort_values("_row")
    fallback = steps[["goal_id"]].merge(first, on="goal_id", how="left")
    has = matched["revision"].notna().to_numpy()
    out = steps.copy()
    revision = np.where(
        has, matched["revision"].to_numpy(dtype=float), fallback["revision"].to_numpy(dtype=float)
    )
    out["revision"] = revision.astype(np.int64)
    out["target"] = np.where(
        has, matched["target"].to_numpy(dtype=float), fallback["target"].to_numpy(dtype=float)
    )
    return out


# ---------------------------------------------------------------------------
# Expected to date, attainment, pace, status
# ---------------------------------------------------------------------------


def _expected(steps: pd.DataFrame, dataset: Dataset, *, seasonal: bool) -> pd.DataFrame:
    """Add ``expected_to_date`` and ``expected_basis``."""
    out = steps.copy()
    additive = out["metric"].map(is_additive).to_numpy(dtype=bool)
    share = (out["elapsed_days"] / out["total_days"]).to_numpy(dtype=float, copy=True)
    basis = np.where(additive, "linear", "level").astype(object)
    if seasonal and additive.any():
        owner_share = _seasonal_share(out[additive], dataset, by="owner")
        team_share = _seasonal_share(out[additive], dataset, by="team")
        seasonal_share = np.where(np.isnan(owner_share), team_share, owner_share)
        sub_basis = np.where(
            ~np.isnan(owner_share),
            "owner_seasonal",
            np.where(~np.isnan(team_share), "team_seasonal", "linear"),
        )
        share[additive] = np.where(np.isnan(seasonal_share), share[additive], seasonal_share)
        basis[additive] = sub_basis
    share = np.where(additive, share, 1.0)
    # a curve never falls (refunds in last year's path must not make expectations drop)
    share = pd.Series(share).groupby(out["goal_id"].to_numpy()).cummax().to_numpy()
    out["expected_to_date"] = out["target"].to_numpy() * share
    out["expected_basis"] = basis
    return out


def _seasonal_share(steps: pd.DataFrame, dataset: Dataset, *, by: str) -> FloatArray:
    """Share of the same period's value realised by the same point, previous years.

    NaN for a goal with no usable previous year: the year must lie inside the
    sales history and the owner's (or team's) value there must be positive.
    """
    data_start = dataset.sales["order_date"].min().normalize()
    owner = steps["owner_id"] if by == "owner" else steps["team"]
    kind = steps["owner_kind"] if by == "owner" else pd.Series("team", index=steps.index)
    shares, counts = np.zeros(len(steps)), np.zeros(len(steps))
    for years in SEASONAL_YEARS:
        offset = pd.DateOffset(years=years)
        start = steps["period_start"] - offset
        end = steps["period_end"] - offset
        total_days = (end - start).dt.days + 1
        mapped = np.ceil(steps["elapsed_days"] * total_days / steps["total_days"]).astype(int)
        cut = start + pd.to_timedelta(mapped - 1, unit="D")
        base = pd.DataFrame(
            {"owner_id": owner.to_numpy(), "owner_kind": kind.to_numpy(),
             "metric": steps["metric"].to_numpy(), "start": start.to_numpy(),
             "period_start": start.to_numpy(), "period_end": end.to_numpy()}
        )  # fmt: skip
        done = owner_actuals(base.assign(end=cut.to_numpy()), dataset)
        whole = owner_actuals(base.assign(end=end.to_numpy()), dataset)
        usable = (start >= data_start).to_numpy() & (whole > 0) & owner.notna().to_numpy()
        ratio = np.clip(np.divide(done, whole, out=np.zeros(len(steps)), where=usable), 0, 1)
        shares += np.where(usable, ratio, 0.0)
        counts += usable
    # a goal is seasonal at every step or at none: its previous-year totals decide
    usable_goal = pd.Series(counts > 0).groupby(steps["goal_id"].to_numpy()).transform("all")
    out = np.divide(shares, counts, out=np.full(len(steps), np.nan), where=counts > 0)
    return np.where(usable_goal.to_numpy(), out, np.nan)


def _scores(steps: pd.DataFrame, thresholds: StatusThresholds) -> pd.DataFrame:
    """Add ``attainment``, ``pace``, ``run_rate_projection`` and ``status``."""
    out = steps.copy()
    actual = out["actual_to_date"].to_numpy(dtype=float)
    target = out["target"].to_numpy(dtype=float)
    expected = out["expected_to_date"].to_numpy(dtype=float)
    lower = out["direction"].to_numpy() == "lower"
    out["attainment"] = np.where(lower, _divide(target, actual), _divide(actual, target))
    out["pace"] = np.where(lower, _divide(expected, actual), _divide(actual, expected))
    additive = out["metric"].map(is_additive).to_numpy(dtype=bool)
    run_rate = actual / out["elapsed_days"].to_numpy() * out["total_days"].to_numpy()
    out["run_rate_projection"] = np.where(additive, run_rate, actual)
    out["status"] = thresholds.classify(out["pace"].to_numpy(dtype=float))
    return out


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> FloatArray:
    """``numerator / denominator``: inf for a positive numerator over 0, NaN for 0/0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(numerator, dtype=float) / np.asarray(denominator, dtype=float)
    return np.where(np.isfinite(ratio) | (numerator > 0), ratio, np.nan)


# ---------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------


def _projection(
    steps: pd.DataFrame,
    dataset: Dataset,
    *,
    pipeline: bool,
    interval: float,
    n_draws: int,
    seed: int,
) -> pd.DataFrame:
    """Add ``projection``, its interval and ``probability_of_hitting``.

    ``n_draws`` and ``seed`` are accepted for compatibility: both forecasts
    (completion ratios, normal for means) are deterministic.
    """
    del n_draws, seed
    out = steps.copy()
    n = len(out)
    projection = out["actual_to_date"].to_numpy(dtype=float).copy()
    low, high, probability = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    additive = out["metric"].map(is_additive).to_numpy(dtype=bool)
    quantiles = np.array([(1 - interval) / 2, 0.5, (1 + interval) / 2])
    extra = _pipeline_value(out, dataset) if pipeline else np.zeros(n)
    for metric in pd.unique(out["metric"][additive]):  # a few metrics, all their goals at once
        rows = np.flatnonzero(out["metric"].to_numpy() == metric)
        finals = _completion_draws(out.iloc[rows], dataset, str(metric)) + extra[rows, None]
        q = _row_quantiles(finals, quantiles)
        low[rows], projection[rows], high[rows] = q[:, 0], q[:, 1], q[:, 2]
        probability[rows] = _hit_share(finals, out.iloc[rows])
    ended = (out["elapsed_days"] >= out["total_days"]).to_numpy() & additive
    actual = out["actual_to_date"].to_numpy(dtype=float)
    # the period is over: nothing is left to forecast, whatever the history says
    low[ended], projection[ended], high[ended] = actual[ended], actual[ended], actual[ended]
    lower_end = out["direction"].to_numpy()[ended] == "lower"
    target_end = out["target"].to_numpy(dtype=float)[ended]
    probability[ended] = np.where(
        lower_end, actual[ended] <= target_end, actual[ended] >= target_end
    ).astype(float)
    probability[ended & np.isnan(actual)] = np.nan
    means = np.flatnonzero(~additive)
    if means.size:
        mid, spread = _mean_forecast(out.iloc[means], dataset)
        z = float(-_norm_ppf((1 - interval) / 2))
        projection[means], low[means], high[means] = mid, mid - z * spread, mid + z * spread
        target = out["target"].to_numpy()[means]
        lower = out["direction"].to_numpy()[means] == "lower"
        with np.errstate(divide="ignore", invalid="ignore"):
            above = 1 - ndtr((target - mid) / spread)
        above = np.where(spread == 0, (mid >= target).astype(float), above)
        probability[means] = np.where(lower, 1 - above + (mid == target) * (spread == 0), above)
    out["projection"], out["projection_low"], out["projection_high"] = projection, low, high
    out["probability_of_hitting"] = probability
    return out


def _norm_ppf(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


def _hit_share(finals: FloatArray, steps: pd.DataFrame) -> FloatArray:
    """Share of the (non-NaN) draws reaching the target (at or below it for lower-is-better)."""
    target = steps["target"].to_numpy()[:, None]
    lower = steps["direction"].to_numpy() == "lower"
    valid = ~np.isnan(finals)
    count = valid.sum(axis=1)
    hits = np.where(lower[:, None], finals <= target, finals >= target) & valid
    return np.divide(hits.sum(axis=1), count, out=np.full(len(finals), np.nan), where=count > 0)


def _row_quantiles(draws: FloatArray, quantiles: FloatArray) -> FloatArray:
    """Predictive quantiles of each row's non-NaN draws, ``(rows, quantiles)``.

    The quantile ``p`` of ``n`` draws is read at the 1-based position
    ``(n + 1) p`` (Hyndman & Fan's type 6, interpolated linearly, clamped to
    the smallest and largest draw): for a new value exchangeable with the draws
    this gives the nominal coverage, the reasoning of split-conformal
    intervals, where the usual ``(n - 1) p + 1`` is too narrow for the few
    dozen periods a goal has behind it. NaN for a row without draws. Sorting
    once beats ``np.nanquantile`` row by row.
    """
    ordered = np.sort(draws, axis=1)  # NaN sort last
    count = (~np.isnan(draws)).sum(axis=1)
    last = np.maximum(count - 1, 0)[:, None]
    position = np.clip((count + 1)[:, None] * quantiles[None, :] - 1, 0, last)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0)[:, None])
    rows = np.arange(len(draws))[:, None]
    lo, hi = ordered[rows, below], ordered[rows, above]
    values = lo + (position - below) * (hi - lo)
    return np.where(count[:, None] > 0, values, np.nan)


def _completion_draws(steps: pd.DataFrame, dataset: Dataset, metric: str) -> FloatArray:
    """Simulated final values of an additive metric, ``(steps, draws)``; NaN pads.

    One draw per previous comparable period (:data:`PREVIOUS_PERIODS` of the
    same calendar kind that ended before the step and lie inside the data) of
    the owner and of each of its peers (the other managers of its team; the
    other teams): the actual to date times that period's final / to-date value
    at the same elapsed share (periods with a to-date value <= 0 give none),
    or, when the actual to date is not positive, the actual plus that period's
    remaining-part value.
    """
    owners, matrix, group = _owner_rows(dataset)
    first = pd.Timestamp(dataset.sales["order_date"].min()).normalize()
    days = pd.date_range(first, max(pd.Timestamp(steps["date"].max()), first), freq="D")
    daily = _daily_values(dataset, metric, days, matrix)
    cumulative = np.concatenate([np.zeros((len(daily), 1)), np.cumsum(daily, axis=1)], axis=1)
    starts, cuts, ends, usable = _previous_windows(steps, first)
    origin, one = first.to_datetime64(), np.timedelta64(1, "D")
    # column j of ``cumulative`` sums the days before days[j]
    start_i = np.clip((starts - origin) // one, 0, len(days))
    cut_i = np.clip((cuts - origin) // one + 1, 0, len(days))
    end_i = np.clip((ends - origin) // one + 1, 0, len(days))
    # (owners, steps, periods): every owner's to-date and final value in each window
    done = cumulative[:, cut_i] - cumulative[:, start_i]
    whole = cumulative[:, end_i] - cumulative[:, start_i]
    keys = pd.MultiIndex.from_arrays(
        [steps["owner_kind"].astype(str).to_numpy(), steps["owner_id"].astype(str).to_numpy()]
    )
    owner = owners.get_indexer(keys)
    known = owner >= 0
    # the owner and its peers: pooling them (measured on the sample) calibrates
    # the interval better than the owner's few periods alone
    pool = (group[:, None] == group[np.where(known, owner, 0)][None, :]) & known[None, :]
    actual = steps["actual_to_date"].to_numpy(dtype=float)[None, :, None]
    positive = actual > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_draw = actual * whole / done
    # nothing to date: a ratio cannot scale it, so add the remaining part instead
    draws = np.where(positive, ratio_draw, actual + (whole - done))
    keep = pool[:, :, None] & usable[None, :, :] & (~positive | (done > 0))
    draws = np.where(keep, draws, np.nan)
    return draws.transpose(1, 0, 2).reshape(len(steps), -1)


def _owner_rows(dataset: Dataset) -> tuple[pd.MultiIndex, FloatArray, np.ndarray]:
    """Every manager and team as a forecast owner.

    Returns the ``(owner_kind, owner_id)`` index, the ``(owners, manager rows)``
    matrix summing managers into owners (additive metrics), and each owner's
    peer group: the team for a manager (a team-less manager is alone), one
    shared group for all teams.
    """
    managers = dataset.managers
    ids = managers["manager_id"].astype(str).to_numpy()
    teams = (
        managers["team"] if "team" in managers.columns else pd.Series(pd.NA, index=managers.index)
    )
    team = teams.astype(str).where(teams.notna()).to_numpy()
    names = pd.unique(team[pd.notna(team)])
    membership = (team[None, :] == names[:, None]).astype(float)
    index = pd.MultiIndex.from_arrays(
        [
            np.r_[np.full(len(ids), "manager", dtype=object), np.full(len(names), "team")],
            np.r_[ids.astype(object), names.astype(object)],
        ]
    )
    matrix = np.vstack([np.eye(len(ids)), membership])
    alone = np.array([f"\x00alone {i}" for i in ids], dtype=object)
    group = np.r_[
        np.where(pd.notna(team), team, alone), np.full(len(names), "\x00team", dtype=object)
    ]
    return index, matrix, group


def _daily_values(
    dataset: Dataset, metric: str, days: pd.DatetimeIndex, matrix: FloatArray
) -> FloatArray:
    """An additive metric per owner (rows of ``matrix``) and day, ``(owners, days)``."""
    per_manager = np.zeros((matrix.shape[1], len(days)))
    for j, day in enumerate(days):  # one metric pass per day of history, all managers at once
        per_manager[:, j] = manager_window_values(dataset, metric, day, day)[metric]
    return matrix @ np.nan_to_num(per_manager)


def _previous_windows(
    steps: pd.DataFrame, data_start: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each step's previous comparable periods: start, cut, end days and usability.

    A calendar quarter's comparable periods are the previous quarters (months
    and years likewise); any other period is shifted back by its own length.
    The cut is the day at the step's elapsed share of that period. A period is
    usable when it lies inside the data and ended before the step's day (no
    peeking at what was not known then). Arrays are ``(steps, PREVIOUS_PERIODS)``.
    """
    k = np.arange(1, PREVIOUS_PERIODS + 1)
    periods = steps[["period_start", "period_end"]].drop_duplicates(ignore_index=True)
    starts = np.empty((len(periods), k.size), dtype="datetime64[ns]")
    ends = np.empty_like(starts)
    for i, (start, end) in enumerate(periods.itertuples(index=False)):  # distinct periods
        period = _calendar_period(pd.Timestamp(start), pd.Timestamp(end))
        if period is None:
            length = ((pd.Timestamp(end) - pd.Timestamp(start)) + _DAY).to_timedelta64()
            starts[i] = pd.Timestamp(start).to_datetime64() - k * length
            ends[i] = pd.Timestamp(end).to_datetime64() - k * length
        else:
            previous = [period - int(j) for j in k]
            starts[i] = [p.start_time.normalize().to_datetime64() for p in previous]
            ends[i] = [p.end_time.normalize().to_datetime64() for p in previous]
    which = (
        steps[["period_start", "period_end"]]
        .merge(periods.reset_index(names="_period"), on=["period_start", "period_end"], how="left")[
            "_period"
        ]
        .to_numpy()
    )
    start, end = starts[which], ends[which]
    length = (end - start) // np.timedelta64(1, "D") + 1
    share = (steps["elapsed_days"] / steps["total_days"]).to_numpy(dtype=float)[:, None]
    mapped = np.clip(np.ceil(share * length - 1e-9).astype(np.int64), 1, length)
    cut = start + (mapped - 1) * np.timedelta64(1, "D")
    date = steps["date"].to_numpy()[:, None]
    usable = (start >= data_start.to_datetime64()) & (end < date)
    return start, cut, end, usable


def _calendar_period(start: pd.Timestamp, end: pd.Timestamp) -> pd.Period | None:
    """The calendar quarter, month or year ``[start, end]`` is, else None."""
    for freq in ("Q", "M", "Y"):
        period = pd.Period(start, freq=freq)
        if period.start_time.normalize() == start and period.end_time.normalize() == end:
            return period
    return None


def _pipeline_value(steps: pd.DataFrame, dataset: Dataset) -> FloatArray:
    """Open pipeline × probability per step of a sales goal expected to close in the rest."""
    out = np.zeros(len(steps))
    opportunities = dataset.opportunities
    if opportunities is None or dataset.as_of is None:
        return out
    live = (steps["metric"].to_numpy() == "sales_amount") & (
        steps["date"].to_numpy() >= dataset.as_of.to_datetime64()
    )
    if not live.any():
        return out
    opps = opportunities[opportunities["status"].astype(str).to_numpy() == "open"]
    probability = opps["probability"] if "probability" in opps.columns else None
    if probability is None or "expected_close" not in opps.columns:
        return out
    managers = dataset.managers
    team_of = pd.Series(managers["team"].to_numpy(), index=managers["manager_id"].astype(str))
    manager = opps["manager_id"].astype(str)
    book = pd.DataFrame(
        {
            "manager": manager.to_numpy(),
            "team": manager.map(team_of).to_numpy(),
            "value": (opps["amount"] * probability.fillna(0)).to_numpy(dtype=float),
            "close": opps["expected_close"].to_numpy(),
            "created": opps.get("created_date", pd.Series(pd.NaT, index=opps.index)).to_numpy(),
        }
    )
    rows = steps.loc[live, ["owner_id", "owner_kind", "date", "period_end"]].reset_index(
        names="_row"
    )
    rows["_key"] = rows["owner_id"]
    book_by = {
        "manager": book.rename(columns={"manager": "_key"}),
        "team": book.rename(columns={"team": "_key"}),
    }
    for kind, frame in book_by.items():  # managers' and teams' rows: two merges
        pairs = rows[rows["owner_kind"] == kind].merge(frame, on="_key")
        created = pairs["created"].isna() | (pairs["created"] <= pairs["date"])
        closes = (pairs["close"] > pairs["date"]) & (pairs["close"] <= pairs["period_end"])
        summed = pairs[created & closes].groupby("_row")["value"].sum()
        out[summed.index.to_numpy()] += summed.to_numpy()
    return out


def _mean_forecast(steps: pd.DataFrame, dataset: Dataset) -> tuple[FloatArray, FloatArray]:
    """Projection and spread of a mean metric's final value (NaN spread when unknown)."""
    mid = steps["actual_to_date"].to_numpy(dtype=float)
    spread = np.full(len(steps), np.nan)
    remaining = (steps["total_days"] - steps["elapsed_days"]).to_numpy(dtype=float)
    csat = (steps["metric"] == "csat_mean").to_numpy()
    if csat.any() and dataset.surveys is not None:
        sd, count = _answer_spread(steps[csat], dataset)
        elapsed = steps["elapsed_days"].to_numpy(dtype=float)[csat]
        to_come = count * remaining[csat] / elapsed
        with np.errstate(divide="ignore", invalid="ignore"):
            spread[csat] = sd * np.sqrt(to_come) / (count + to_come)
    spread = np.where(remaining == 0, 0.0, spread)
    return mid, spread


def _answer_spread(steps: pd.DataFrame, dataset: Dataset) -> tuple[FloatArray, FloatArray]:
    """Standard deviation and number of the CSAT answers about each owner to date."""
    queries = steps.assign(start=steps["period_start"], end=steps["date"])
    count = owner_actuals(queries.assign(metric=TEAM_WEIGHTS["csat_mean"]), dataset)
    mean = steps["actual_to_date"].to_numpy(dtype=float)
    mean_square = _mean_square_csat(queries, dataset)
    with np.errstate(invalid="ignore"):
        variance = np.maximum(mean_square - mean**2, 0) * count / (count - 1)
    return np.where(count >= 2, np.sqrt(variance), np.nan), count


def _mean_square_csat(queries: pd.DataFrame, dataset: Dataset) -> FloatArray:
    """Mean of the squared CSAT answers per query (the csat_mean rules on squared answers)."""
    surveys = dataset.table("surveys")
    squared = replace(dataset, surveys=surveys.assign(csat=surveys["csat"] ** 2))
    return owner_actuals(queries.assign(metric="csat_mean"), squared)


# ---------------------------------------------------------------------------
# Year-on-year velocity
# ---------------------------------------------------------------------------


def _yoy_velocity(
    steps: pd.DataFrame, heads: pd.DataFrame, revisions: pd.DataFrame, dataset: Dataset
) -> FloatArray:
    """Attainment at the same point of last year's same goal (NaN without one)."""
    offset = pd.DateOffset(years=1)
    keys = ["owner_id", "owner_kind", "metric", "period_start", "period_end"]
    previous = heads[[*keys, "goal_id"]].rename(columns={"goal_id": "ly_goal"})
    previous = previous.assign(
        period_start=previous["period_start"] + offset, period_end=previous["period_end"] + offset
    ).drop_duplicates(keys)
    matched = steps[[*keys, "elapsed_days", "total_days", "direction"]].merge(
        previous, on=keys, how="left"
    )
    out = np.full(len(steps), np.nan)
    has = matched["ly_goal"].notna().to_numpy()
    if not has.any():
        return out
    rows = matched[has].copy()
    rows["period_start"] = rows["period_start"] - offset
    rows["period_end"] = rows["period_end"] - offset
    ly_total = (rows["period_end"] - rows["period_start"]).dt.days + 1
    mapped = np.ceil(rows["elapsed_days"] * ly_total / rows["total_days"]).astype(int)
    rows["date"] = rows["period_start"] + pd.to_timedelta(mapped - 1, unit="D")
    rows["goal_id"] = rows["ly_goal"].astype(str)
    rows = _targets_in_force(rows.reset_index(drop=True), revisions)
    actual = owner_actuals(rows.assign(start=rows["period_start"], end=rows["date"]), dataset)
    target = rows["target"].to_numpy()
    lower = rows["direction"].to_numpy() == "lower"
    out[has] = np.where(lower, _divide(target, actual), _divide(actual, target))
    return out


def _empty() -> pd.DataFrame:
    """The attainment frame with no rows."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in _COLUMNS})


# ---------------------------------------------------------------------------
# The goal_attainment metric
# ---------------------------------------------------------------------------


def register_goal_metrics() -> None:
    """Add ``goal_attainment`` to the metric registry (safe to call more than once).

    ``goal_attainment`` (higher is better, unit ``share``) is each manager's
    attainment of their own ``sales_amount`` goal: the manager goal whose period
    overlaps the metric's window most (ties: the earlier period), its net
    sales from the goal's start to the window's last day (or the goal's end)
    over the target in force on that day; NaN for a manager without such a goal.

    Examples
    --------
    >>> register_goal_metrics()
    >>> from am_analytics.metrics import get_metric
    >>> get_metric("goal_attainment").direction
    'higher'
    """
    from ..metrics import Metric, register_metric

    metric = Metric(
        "goal_attainment", "higher", "share",
        "Net sales from the start of the manager's sales goal to the window's end, over the "
        "target in force then (the goal overlapping the window most); NaN without a goal.",
        ("goals", "sales"), _goal_attainment_metric,
    )  # fmt: skip
    register_metric(metric, replace=True)


def _goal_attainment_metric(ctx: Any) -> FloatArray:
    """``goal_attainment`` per managers-table row for a MetricContext."""
    dataset: Dataset = ctx.dataset
    out = np.full(ctx.n_managers, np.nan)
    if dataset.goals is None:
        return out
    revisions = _normalise_goals(dataset.goals)
    goals = revisions[
        (revisions["metric"] == "sales_amount") & (revisions["owner_kind"] == "manager")
    ].drop_duplicates("goal_id", keep="first")
    window_start, window_end = ctx.window.start, ctx.window.end
    overlap = (
        (goals["period_end"] + _DAY).clip(upper=window_end)
        - goals["period_start"].clip(lower=window_start)
    ).dt.days
    goals = goals[(overlap > 0).to_numpy()].assign(overlap=overlap[overlap > 0])
    if goals.empty:
        return out
    best = goals.sort_values(["owner_id", "overlap", "period_start"], ascending=[True, False, True],
                             kind="stable").drop_duplicates("owner_id")  # fmt: skip
    best = best.assign(date=best["period_end"].clip(upper=window_end - _DAY)).reset_index(drop=True)
    best = _targets_in_force(best.drop(columns=["revision", "target", "set_on"]), revisions)
    actual = owner_actuals(best.assign(start=best["period_start"], end=best["date"]), dataset)
    rows = pd.Index(dataset.managers["manager_id"].astype(str)).get_indexer(
        pd.Index(best["owner_id"])
    )
    found = rows >= 0
    out[rows[found]] = _divide(actual, best["target"].to_numpy())[found]
    return out
