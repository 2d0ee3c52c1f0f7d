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
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd

from .._deprecation import dataset_first, warn_old_call
from ..dataset import Dataset
from ..errors import ConfigError
from ..metrics import get_metric, register_metric
from ..metrics._goals import GOAL_ATTAINMENT
from ..metrics._goals import attainment_ratio as _divide
from ..metrics._goals import goal_revisions as _normalise_goals
from ..metrics._goals import targets_in_force_on as _targets_in_force
from ..periods import DateLike, parse_as_of
from ._actuals import FloatArray, OwnerCumulative, is_additive, owner_actuals
from ._projection import _projection

__all__ = [
    "AttainmentOptions",
    "StatusThresholds",
    "attainment",
    "register_goal_metrics",
]

IntArray: TypeAlias = np.ndarray[Any, np.dtype[np.int64]]

#: Previous years the seasonal expectation averages.
SEASONAL_YEARS: Final = (1, 2)
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


@dataclass(frozen=True, slots=True)
class AttainmentOptions:
    """How :func:`attainment` steps through a period, expects, forecasts and labels.

    Parameters
    ----------
    freq
        Step frequency, a pandas offset alias: ``"W"`` weeks ending on Sunday
        (default), ``"MS"``/``"ME"`` months, ``"D"`` days; the as_of day (or
        the period end) is always a step too.
    thresholds
        The pace cut-offs of ``status`` (default :class:`StatusThresholds`).
    seasonal
        Use the seasonal expectation when history allows (else linear only).
    pipeline
        Add open pipeline × probability to sales goals' projections.
    interval
        Coverage of ``projection_low .. projection_high``, strictly between 0
        and 1 (default 0.8).

    Examples
    --------
    >>> AttainmentOptions(freq="MS", seasonal=False).interval
    0.8
    >>> AttainmentOptions(interval=80)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: interval must be between 0 and 1 (exclusive), not 80; ...
    """

    freq: str = "W"
    thresholds: StatusThresholds = field(default_factory=StatusThresholds)
    seasonal: bool = True
    pipeline: bool = True
    interval: float = 0.8

    def __post_init__(self) -> None:
        if not (isinstance(self.interval, int | float) and 0 < self.interval < 1):
            raise ConfigError(
                f"interval must be between 0 and 1 (exclusive), not {self.interval!r}; "
                "write 0.8 for an 80% interval"
            )
        if not isinstance(self.thresholds, StatusThresholds):
            raise ConfigError(
                "thresholds must be a StatusThresholds, not "
                f"{type(self.thresholds).__name__}; write StatusThresholds(ahead=1.1, ...)"
            )
        try:
            pd.tseries.frequencies.to_offset(self.freq)
        except (ValueError, TypeError):
            raise ConfigError(
                f"freq {self.freq!r} is not a pandas frequency; use 'W', 'MS', 'ME' or 'D'"
            ) from None


#: The keywords :func:`attainment` took before :class:`AttainmentOptions`.
_OLD_OPTIONS: Final = ("freq", "thresholds", "seasonal", "pipeline", "interval")
#: Former keywords without effect since the completion-ratio projection.
_UNUSED_OPTIONS: Final = ("n_draws", "random_state")


def options_from_old_keywords(kwargs: dict[str, Any], caller: str) -> dict[str, Any]:
    """``kwargs`` with the former keywords folded into ``options=``, with a FutureWarning."""
    old_options = {k: kwargs[k] for k in (*_OLD_OPTIONS, *_UNUSED_OPTIONS) if k in kwargs}
    if not old_options:
        return kwargs
    rest = {k: v for k, v in kwargs.items() if k not in old_options}
    if rest.get("options") is not None:
        raise ConfigError(
            f"{caller}() got options= and the old keywords {sorted(old_options)}; "
            "put them all in options=AttainmentOptions(...)"
        )
    kept = {k: v for k, v in old_options.items() if k in _OLD_OPTIONS and v is not None}
    shown = ", ".join(f"{k}={v!r}" for k, v in kept.items())
    dropped = sorted(set(old_options) & set(_UNUSED_OPTIONS))
    it = "it" if len(dropped) == 1 else "them"
    note = f" ({' and '.join(dropped)} had no effect: drop {it})" if dropped else ""
    # the stack: warn_old_call, this helper, the public function's wrapper, the caller
    warn_old_call(
        f"give {caller}() options=AttainmentOptions({shown}) instead of keywords{note}",
        stacklevel=4,
    )
    return {**rest, "options": AttainmentOptions(**kept)}


def _checked(options: AttainmentOptions) -> AttainmentOptions:
    """``options`` if it is an :class:`AttainmentOptions`, else :class:`ConfigError`."""
    if not isinstance(options, AttainmentOptions):
        raise ConfigError(
            f"options must be an AttainmentOptions, not {type(options).__name__}; "
            "write options=AttainmentOptions(freq='MS', ...)"
        )
    return options


@dataset_first(old_keywords=options_from_old_keywords)
def attainment(
    dataset: Dataset,
    *,
    as_of: DateLike,
    goals: pd.DataFrame | None = None,
    options: AttainmentOptions | None = None,
) -> pd.DataFrame:
    """Each goal tracked step by step through its period: actual, expected, forecast.

    Parameters
    ----------
    dataset
        The :class:`~am_analytics.Dataset` whose goals are tracked and whose
        tables the actuals are computed from.
    as_of
        The last day looked at; goals that start after it have no rows.
    goals
        A goals table (:class:`~am_analytics.schemas.GoalsSchema`, one row per
        goal and revision) to track instead of ``dataset.goals``, e.g. an
        edited or filtered one.
    options
        Step frequency, status thresholds, seasonal expectation, pipeline and
        interval coverage (default :class:`AttainmentOptions`).

    Returns
    -------
    pandas.DataFrame
        One row per goal and step, sorted by ``goal_id`` and ``date``.

    Raises
    ------
    DataValidationError
        If ``goals`` lacks a required column.
    MissingTableError
        If ``goals`` is not given and the dataset has no goals table.
    ConfigError
        For an unreadable ``as_of``, or both ``options`` and old keywords.

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
    see ``_CompletionDraws.quantiles``); all are NaN without a usable previous period
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

    Until release 0.3 the former calls still work, with a
    :class:`FutureWarning` that shows the new one: ``attainment(goals,
    dataset, ...)`` and the keywords ``freq``, ``thresholds``, ``seasonal``,
    ``pipeline``, ``interval`` (now in ``options=AttainmentOptions(...)``),
    ``n_draws`` and ``random_state`` (no effect, no successor).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> res = attainment(data, as_of="2026-11-15")
    >>> res.columns[:6].tolist()
    ['goal_id', 'revision', 'owner_id', 'owner_kind', 'team', 'metric']
    >>> ended = res[res["date"] == res["period_end"]]
    >>> gap = (ended["projection"] - ended["actual_to_date"]).abs().dropna()
    >>> bool((gap < 1e-6).all())
    True
    """
    options = AttainmentOptions() if options is None else _checked(options)
    day = parse_as_of(as_of).normalize()
    revisions = _normalise_goals(dataset.table("goals") if goals is None else goals)
    heads = _goal_heads(revisions, dataset)
    steps = _steps(heads, day, options.freq)
    if steps.empty:
        return _empty()
    steps = _targets_in_force(steps, revisions)
    cumulative = OwnerCumulative(dataset)  # each additive metric's running totals, built once
    steps["actual_to_date"] = owner_actuals(
        steps.assign(start=steps["period_start"], end=steps["date"]), dataset, cumulative=cumulative
    )
    steps = _expected(steps, cumulative, seasonal=options.seasonal)
    steps = _scores(steps, options.thresholds)
    steps = _projection(
        steps, dataset, pipeline=options.pipeline, interval=options.interval, cumulative=cumulative
    )
    steps["yoy_velocity"] = _yoy_velocity(steps, heads, revisions, cumulative)
    return steps.loc[:, list(_COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------
# Goals, steps and targets in force
# ---------------------------------------------------------------------------


def _goal_heads(revisions: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """One row per goal (owner, metric, period of revision 1), with team and direction."""
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


# ---------------------------------------------------------------------------
# Expected to date, attainment, pace, status
# ---------------------------------------------------------------------------


def _expected(steps: pd.DataFrame, cumulative: OwnerCumulative, *, seasonal: bool) -> pd.DataFrame:
    """Add ``expected_to_date`` and ``expected_basis``."""
    out = steps.copy()
    additive = is_additive(out["metric"])
    share = (out["elapsed_days"] / out["total_days"]).to_numpy(dtype=float, copy=True)
    basis = np.where(additive, "linear", "level").astype(object)
    if seasonal and additive.any():
        owner_share = _seasonal_share(out[additive], cumulative, by="owner")
        team_share = _seasonal_share(out[additive], cumulative, by="team")
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


def _seasonal_share(steps: pd.DataFrame, cumulative: OwnerCumulative, *, by: str) -> FloatArray:
    """Share of the same period's value realised by the same point, previous years.

    NaN for a goal with no usable previous year: the year must lie inside the
    sales history and the owner's (or team's) value there must be positive.
    """
    dataset = cumulative.dataset
    data_start = cumulative.first_sale_day
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
        # Series, not arrays: the text columns stay Arrow strings, not Python objects
        base = pd.DataFrame(
            {"owner_id": owner, "owner_kind": kind, "metric": steps["metric"], "start": start,
             "period_start": start, "period_end": end}
        )  # fmt: skip
        done = owner_actuals(base.assign(end=cut.to_numpy()), dataset, cumulative=cumulative)
        whole = owner_actuals(base.assign(end=end.to_numpy()), dataset, cumulative=cumulative)
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
    additive = is_additive(out["metric"])
    run_rate = actual / out["elapsed_days"].to_numpy() * out["total_days"].to_numpy()
    out["run_rate_projection"] = np.where(additive, run_rate, actual)
    out["status"] = thresholds.classify(out["pace"].to_numpy(dtype=float))
    return out


# ---------------------------------------------------------------------------
# Year-on-year velocity
# ---------------------------------------------------------------------------


def _yoy_velocity(
    steps: pd.DataFrame, heads: pd.DataFrame, revisions: pd.DataFrame, cumulative: OwnerCumulative
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
    queries = rows.assign(start=rows["period_start"], end=rows["date"])
    actual = owner_actuals(queries, cumulative.dataset, cumulative=cumulative)
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
    register_metric(GOAL_ATTAINMENT, replace=True)
