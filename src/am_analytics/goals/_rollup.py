"""Team roll-ups of goals and attainment, and the attainment distribution of a period.

A team goal (``owner_kind == "team"``, ``owner_id`` the team's name) stands
above the goals of its members: the managers whose ``team`` is that name. The
functions here compare a team's target with its members' targets and sum the
members' attainment, and describe how attainment is spread over the managers
of a period — the view sales leaders review each period.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Final

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since, warn_old_call
from ..dataset import Dataset
from ..errors import ConfigError, DataValidationError
from ..periods import DateLike, PeriodLike, parse_as_of, to_period

__all__ = [
    "ADDITIVE_METRICS",
    "attainment_distribution",
    "rollup_attainment",
    "team_rollup",
]

#: Metrics whose team value is the sum of the members' values, so a team target
#: should equal the sum of the members' targets. Means, ratios and shares
#: (csat_mean, avg_order_value, client_retention, ...) are not among them.
ADDITIVE_METRICS: Final = frozenset(
    {
        "sales_amount",
        "order_count",
        "active_clients",
        "new_clients",
        "survey_count",
        "complaint_count",
        "overdue_count",
    }
)

#: The quantiles of :func:`attainment_distribution`, as (column, probability).
DISTRIBUTION_QUANTILES: Final = (
    ("p10", 0.10),
    ("p25", 0.25),
    ("median", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
)

_GOAL_COLUMNS: Final = ("goal_id", "owner_id", "metric", "target", "period_start", "period_end")
_ROLLUP_COLUMNS: Final = (
    "goal_id",
    "owner_kind",
    "team",
    "metric",
    "period_start",
    "period_end",
    "date",
    "target",
    "actual_to_date",
    "expected_to_date",
)
_DISTRIBUTION_COLUMNS: Final = (
    "goal_id",
    "owner_kind",
    "metric",
    "period_start",
    "period_end",
    "date",
    "attainment",
)


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`DataValidationError` naming every column ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{what} lacks the column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, frame.columns))}. Pass a validated {what}",
            missing={what: missing},
        )


def _owner_kind(goals: pd.DataFrame) -> pd.Series:
    """``owner_kind`` with the schema's default (``manager``) where it is absent."""
    if "owner_kind" not in goals.columns:
        return pd.Series("manager", index=goals.index)
    return goals["owner_kind"].fillna("manager")


def targets_in_force(goals: pd.DataFrame, *, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per goal: its highest revision set on or before ``as_of`` (all when ``None``).

    Rows without ``set_on`` count as in force from the start; a goal none of
    whose revisions was set by ``as_of`` is left out.
    """
    rows = goals
    if as_of is not None and "set_on" in goals.columns:
        rows = goals[goals["set_on"].isna() | (goals["set_on"] <= as_of)]
    revision = (
        rows["revision"].fillna(1).astype(np.int64)
        if "revision" in rows.columns
        else pd.Series(1, index=rows.index)
    )
    order = np.lexsort((revision.to_numpy(), rows["goal_id"].astype(str).to_numpy()))
    ordered = rows.iloc[order]
    latest = ordered[~ordered["goal_id"].duplicated(keep="last")]
    return latest.assign(
        revision=revision.loc[latest.index].to_numpy(), owner_kind=_owner_kind(latest).to_numpy()
    )


def _managers_form_still_accepted(
    function: Callable[..., pd.DataFrame],
) -> Callable[..., pd.DataFrame]:
    """Accept ``team_rollup(goals, managers, ...)`` of release 0.1, with a FutureWarning."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> pd.DataFrame:
        if args and isinstance(args[0], pd.DataFrame):
            managers = args[1] if len(args) > 1 else kwargs.pop("managers")
            warn_old_call(
                "put the dataset first and pass the goals by keyword: "
                "team_rollup(dataset, goals=goals, ...)"
            )
            return _compare_with_members(args[0], managers, **kwargs)
        return function(*args, **kwargs)

    return wrapper


@_managers_form_still_accepted
def team_rollup(
    dataset: Dataset,
    *,
    goals: pd.DataFrame | None = None,
    tolerance: float = 0.01,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Compare every team goal with the goals of the team's members.

    Parameters
    ----------
    dataset
        The :class:`~am_analytics.Dataset`: its goals, and its managers
        table, whose ``team`` column says who belongs to which team.
    goals
        A validated goals table (all revisions) to compare instead of
        ``dataset.goals``, e.g. targets being drafted.
    tolerance
        Relative difference between the team target and its members' target
        above which the pair is flagged (default 1%).
    as_of
        Compare the targets in force on this day (the highest revision set on
        or before it). ``None`` (default) compares the latest revisions.

    Returns
    -------
    pandas.DataFrame
        One row per team goal, in the order of ``goals``.

    Raises
    ------
    ConfigError
        If ``tolerance`` is negative or not a number.
    DataValidationError
        If a required column is missing.
    MissingTableError
        If ``goals`` is not given and the dataset has no goals table.

    Notes
    -----
    Output columns:

    ``goal_id``, ``revision``, ``team``, ``metric``, ``period_start``, ``period_end``
        The team goal (``team`` is its ``owner_id``) and the revision compared.
    ``target``
        The team's target.
    ``aggregation``
        ``"sum"`` for the metrics of :data:`ADDITIVE_METRICS`, ``"mean"`` for
        the others (csat_mean, ratios): the unweighted mean of the members'
        targets. A team's mean is really weighted by volume (surveys, orders),
        which targets do not carry, so for means the comparison is only a
        rough reference.
    ``n_members``
        Managers of the team in ``managers``.
    ``n_member_goals``
        Members with a goal of the same metric and the same period.
    ``members_target``
        The members' targets aggregated; NaN when no member has such a goal.
    ``difference``
        ``target - members_target``.
    ``mismatch_ratio``
        ``target / members_target`` (NaN when ``members_target`` is 0 or NaN).
    ``mismatch``
        True when ``|mismatch_ratio - 1| > tolerance``, or when the team has a
        target and its members none (nothing to add up).

    Members' revisions count: when a member's target is cut mid-period and the
    team's is not, the team is flagged from that day on, since the two no
    longer agree. Pass ``as_of`` to compare the targets as they were set.

    Goals and managers are two of the dataset's tables, so the function takes
    the dataset (the one calling rule). Until release 0.3 the former call
    ``team_rollup(goals, managers, ...)`` still works, with a
    :class:`FutureWarning` that shows the new one.

    Examples
    --------
    >>> import pandas as pd
    >>> from am_analytics import from_frames
    >>> data = from_frames(
    ...     managers=pd.DataFrame({"manager_id": ["M1", "M2"], "name": ["a", "b"],
    ...                            "team": "East"}),
    ...     clients=pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]}),
    ...     sales=pd.DataFrame({"order_id": ["S1"], "client_id": ["C1"], "manager_id": ["M1"],
    ...                         "order_date": ["2026-07-10"], "amount": [500.0]}),
    ...     goals=pd.DataFrame({
    ...         "goal_id": ["G1", "G2", "G3"], "owner_id": ["M1", "M2", "East"],
    ...         "owner_kind": ["manager", "manager", "team"], "metric": "sales_amount",
    ...         "target": [100.0, 200.0, 330.0],
    ...         "period_start": "2026-07-01", "period_end": "2026-09-30"}))
    >>> team_rollup(data)[["team", "members_target", "mismatch_ratio", "mismatch"]]
       team  members_target  mismatch_ratio  mismatch
    0  East           300.0             1.1      True
    """
    goals = dataset.table("goals") if goals is None else goals
    return _compare_with_members(goals, dataset.managers, tolerance=tolerance, as_of=as_of)


def _compare_with_members(
    goals: pd.DataFrame,
    managers: pd.DataFrame,
    *,
    tolerance: float = 0.01,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """:func:`team_rollup` over a goals and a managers table."""
    _check_tolerance(tolerance)
    _require(goals, _GOAL_COLUMNS, "goals table")
    _require(managers, ("manager_id", "team"), "managers table")
    current = targets_in_force(goals, as_of=None if as_of is None else parse_as_of(as_of))
    kind = current["owner_kind"]
    teams = current[kind == "team"]
    members = _member_goals(current[kind == "manager"], managers)
    keys = ["team", "metric", "period_start", "period_end"]
    additive = members["metric"].isin(ADDITIVE_METRICS)
    summed = members[additive].groupby(keys, dropna=True)["target"].agg(["sum", "size"])
    averaged = members[~additive].groupby(keys, dropna=True)["target"].agg(["mean", "size"])
    aggregated = pd.concat(
        [
            summed.set_axis(["members_target", "n"], axis=1),
            averaged.set_axis(["members_target", "n"], axis=1),
        ]
    )
    team_keys = pd.MultiIndex.from_frame(
        teams[["owner_id", "metric", "period_start", "period_end"]].set_axis(keys, axis=1)
    )
    found = aggregated.reindex(team_keys)
    n_members = managers["team"].value_counts()
    out = pd.DataFrame(
        {
            "goal_id": teams["goal_id"].to_numpy(),
            "revision": teams["revision"].to_numpy(),
            "team": teams["owner_id"].to_numpy(),
            "metric": teams["metric"].to_numpy(),
            "period_start": teams["period_start"].to_numpy(),
            "period_end": teams["period_end"].to_numpy(),
            "target": teams["target"].to_numpy(dtype=np.float64),
            "aggregation": np.where(teams["metric"].isin(ADDITIVE_METRICS), "sum", "mean"),
            "n_members": n_members.reindex(teams["owner_id"]).fillna(0).to_numpy(dtype=np.int64),
            "n_member_goals": found["n"].fillna(0).to_numpy(dtype=np.int64),
            "members_target": found["members_target"].to_numpy(dtype=np.float64),
        }
    )
    out["difference"] = out["target"] - out["members_target"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["target"].to_numpy() / out["members_target"].to_numpy()
    out["mismatch_ratio"] = np.where(np.isfinite(ratio), ratio, np.nan)
    out["mismatch"] = (np.abs(out["mismatch_ratio"] - 1) > tolerance) | (out["n_member_goals"] == 0)
    # the original order of the team goals in ``goals``
    position = pd.Index(goals["goal_id"].drop_duplicates()).get_indexer(out["goal_id"])
    return out.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)


def _check_tolerance(tolerance: float) -> None:
    """Raise :class:`ConfigError` unless ``tolerance`` is a non-negative number."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
        raise ConfigError(
            f"tolerance must be a non-negative share such as 0.01 (1%), not {tolerance!r}"
        )


def _member_goals(goals: pd.DataFrame, managers: pd.DataFrame) -> pd.DataFrame:
    """Managers' goals with the owner's team (NaN for owners not in ``managers``)."""
    team = managers.drop_duplicates("manager_id").set_index("manager_id")["team"]
    return goals.assign(team=team.reindex(goals["owner_id"].astype(str)).to_numpy())


def rollup_attainment(results: pd.DataFrame) -> pd.DataFrame:
    """Team actual against the sum of the members' targets, step by step.

    Parameters
    ----------
    results
        An attainment frame (see :func:`attainment`): one row per goal and step.

    Returns
    -------
    pandas.DataFrame
        One row per team, metric, period and step date, sorted by them.

    Raises
    ------
    DataValidationError
        If a required column is missing.

    Notes
    -----
    Only managers' goals of the metrics in :data:`ADDITIVE_METRICS` are
    rolled up: a mean such as ``csat_mean`` cannot be summed, and its team value
    needs the underlying counts, which the attainment frame does not carry.
    The team's own goal, when it has one for the same metric and period, is
    joined for comparison.

    Output columns:

    ``team``, ``metric``, ``period_start``, ``period_end``, ``date``
        The group and the step's last day.
    ``n_goals``
        Members' goals summed on that date.
    ``target``, ``actual_to_date``, ``expected_to_date``
        Sums over the members' goals (targets in force on that date).
    ``attainment``
        ``actual_to_date / target`` (``target / actual_to_date`` for
        lower-is-better metrics, when ``direction`` is present); NaN when the
        divisor is not positive.
    ``pace``
        ``actual_to_date / expected_to_date``, inverted likewise.
    ``team_goal_id``, ``team_target``
        The team's own goal and its target in force on that date (NaN without one).
    ``team_attainment``
        ``actual_to_date`` against ``team_target``, inverted likewise.

    Examples
    --------
    >>> import pandas as pd
    >>> day = pd.Timestamp("2026-08-15")
    >>> results = pd.DataFrame({
    ...     "goal_id": ["G1", "G2", "G3"], "owner_kind": ["manager", "manager", "team"],
    ...     "team": "East", "metric": "sales_amount",
    ...     "period_start": pd.Timestamp("2026-07-01"), "period_end": pd.Timestamp("2026-09-30"),
    ...     "date": day, "target": [100.0, 200.0, 330.0],
    ...     "actual_to_date": [60.0, 90.0, 150.0], "expected_to_date": [50.0, 100.0, 165.0]})
    >>> rollup_attainment(results)[["team", "target", "actual_to_date", "attainment",
    ...                             "team_target", "team_attainment"]]
       team  target  actual_to_date  attainment  team_target  team_attainment
    0  East   300.0           150.0         0.5        330.0         0.454545
    """
    _require(results, _ROLLUP_COLUMNS, "attainment frame")
    keys = ["team", "metric", "period_start", "period_end", "date"]
    kind = results["owner_kind"].fillna("manager")
    members = results[(kind == "manager").to_numpy() & results["metric"].isin(ADDITIVE_METRICS)]
    sums = members.groupby(keys, sort=True, dropna=True).agg(
        n_goals=("goal_id", "size"),
        target=("target", "sum"),
        actual_to_date=("actual_to_date", "sum"),
        expected_to_date=("expected_to_date", "sum"),
    )
    team_goals = results[(kind == "team").to_numpy()]
    team_goals = team_goals[~team_goals.duplicated(keys, keep="first")].set_index(keys)
    out = sums.assign(
        team_goal_id=team_goals["goal_id"].reindex(sums.index),
        team_target=team_goals["target"].reindex(sums.index).astype(np.float64),
    ).reset_index()
    lower = _is_lower(out, results)
    out["attainment"] = _ratio(out["actual_to_date"], out["target"], lower)
    out["pace"] = _ratio(out["actual_to_date"], out["expected_to_date"], lower)
    out["team_attainment"] = _ratio(out["actual_to_date"], out["team_target"], lower)
    columns = [
        *keys,
        "n_goals",
        "target",
        "actual_to_date",
        "expected_to_date",
        "attainment",
        "pace",
        "team_goal_id",
        "team_target",
        "team_attainment",
    ]
    return out[columns]


def _is_lower(out: pd.DataFrame, results: pd.DataFrame) -> np.ndarray:
    """Whether each row's metric is lower-is-better, from ``results["direction"]``."""
    if "direction" not in results.columns:
        return np.zeros(len(out), dtype=bool)
    lower = set(results.loc[results["direction"] == "lower", "metric"])
    return out["metric"].isin(lower).to_numpy()


def _ratio(actual: pd.Series, target: pd.Series, lower: np.ndarray) -> np.ndarray:
    """``actual / target``, ``target / actual`` where ``lower``; NaN for a non-positive divisor."""
    a = actual.to_numpy(dtype=np.float64)
    t = target.to_numpy(dtype=np.float64)
    numerator, denominator = np.where(lower, t, a), np.where(lower, a, t)
    out = np.full(len(a), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


@keyword_only_since("period")
def attainment_distribution(
    results: pd.DataFrame,
    *,
    period: PeriodLike,
    by: str | None = "team",
    metric: str = "sales_amount",
) -> pd.DataFrame:
    """How attainment is spread over the managers of one period, overall and by team.

    Parameters
    ----------
    results
        An attainment frame (see :func:`attainment`).
    period
        The goals' period, ``"2026Q3"`` or a :class:`pandas.Period`: a goal
        counts when its ``period_start`` and ``period_end`` are that period's
        first and last days.
    by
        A column of ``results`` to break the distribution down by
        (default ``"team"``); ``None`` for the overall row only.
    metric
        The goals' metric (default ``"sales_amount"``).

    Returns
    -------
    pandas.DataFrame
        The overall row first, then one row per group in sorted order.

    Raises
    ------
    ConfigError
        If ``period`` cannot be read or ``by`` is not a column of ``results``.
    DataValidationError
        If a required column is missing.

    Notes
    -----
    Each manager goal counts once, with the attainment of its latest step in
    ``results`` (the period end, or the last as_of of a period still running:
    then ``n_in_progress`` says how many are measured to date). Team goals are
    left out. Goals with a NaN attainment count in ``n_goals`` but in no
    share or quantile. Until release 0.3 ``period`` may still be passed by
    position, with a :class:`FutureWarning`.

    Output columns:

    ``level``
        ``"all"`` for the overall row, else the name of ``by``.
    ``<by>``
        The group (NaN on the overall row); absent when ``by`` is ``None``.
    ``n_goals``, ``n_in_progress``
        Manager goals counted, of which still running at their latest step.
    ``n_at_target``, ``share_at_target``
        Goals at 100% attainment or more, and their share of the goals with
        an attainment.
    ``mean``, ``p10``, ``p25``, ``median``, ``p75``, ``p90``
        Of the attainment (1.0 = 100%); quantiles by linear interpolation.

    Examples
    --------
    >>> import pandas as pd
    >>> results = pd.DataFrame({
    ...     "goal_id": ["G1", "G2", "G3", "G4"], "owner_kind": "manager",
    ...     "team": ["A", "A", "B", "B"], "metric": "sales_amount",
    ...     "period_start": pd.Timestamp("2026-07-01"), "period_end": pd.Timestamp("2026-09-30"),
    ...     "date": pd.Timestamp("2026-09-30"), "attainment": [0.8, 1.2, 1.0, 1.1]})
    >>> attainment_distribution(results, period="2026Q3")[
    ...     ["level", "team", "n_goals", "share_at_target", "median"]]
      level team  n_goals  share_at_target  median
    0   all  NaN        4             0.75    1.05
    1  team    A        2             0.50    1.00
    2  team    B        2             1.00    1.05
    """
    quarter = to_period(period)
    _require(results, _DISTRIBUTION_COLUMNS, "attainment frame")
    if by is not None and by not in results.columns:
        raise ConfigError(
            f"by={by!r} is not a column of the attainment frame; use one of "
            f"{', '.join(map(str, results.columns))} or None"
        )
    latest = _latest_steps(results, quarter, metric)
    overall = _summary(latest.assign(_all=0), "_all").drop(columns="_all")
    overall.insert(0, "level", "all")
    if by is None:
        return overall.reset_index(drop=True)
    overall.insert(1, by, np.nan)
    groups = _summary(latest, by)
    groups.insert(0, "level", by)
    return pd.concat([overall, groups], ignore_index=True)


def _latest_steps(results: pd.DataFrame, period: pd.Period, metric: str) -> pd.DataFrame:
    """The latest step of every manager goal of ``metric`` whose period is ``period``."""
    start = period.start_time.normalize()
    end = (period + 1).start_time.normalize() - pd.Timedelta(days=1)
    kind = results["owner_kind"].fillna("manager")
    rows = results[
        (kind == "manager").to_numpy()
        & (results["metric"] == metric).to_numpy()
        & (results["period_start"] == start).to_numpy()
        & (results["period_end"] == end).to_numpy()
    ]
    order = np.lexsort((rows["date"].to_numpy(), rows["goal_id"].astype(str).to_numpy()))
    ordered = rows.iloc[order]
    return ordered[~ordered["goal_id"].duplicated(keep="last")]


def _summary(latest: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts, share at target, mean and quantiles of attainment per ``by`` group."""
    attainment = latest["attainment"].astype(np.float64)
    frame = pd.DataFrame(
        {
            by: latest[by].to_numpy(),
            "attainment": attainment.to_numpy(),
            "at_target": (attainment >= 1.0).to_numpy(),
            "measured": attainment.notna().to_numpy(),
            "in_progress": (latest["date"] < latest["period_end"]).to_numpy(),
        }
    )
    grouped = frame.groupby(by, sort=True, dropna=False)
    out = grouped.agg(
        n_goals=("attainment", "size"),
        n_in_progress=("in_progress", "sum"),
        n_at_target=("at_target", "sum"),
        n_measured=("measured", "sum"),
        mean=("attainment", "mean"),
    )
    for name, q in DISTRIBUTION_QUANTILES:
        out[name] = grouped["attainment"].quantile(q)
    share = np.full(len(out), np.nan)
    measured = out["n_measured"].to_numpy(dtype=np.float64)
    np.divide(
        out["n_at_target"].to_numpy(dtype=np.float64), measured, out=share, where=measured > 0
    )
    out.insert(3, "share_at_target", share)
    out = out.drop(columns="n_measured").astype(
        {"n_goals": np.int64, "n_in_progress": np.int64, "n_at_target": np.int64}
    )
    if out.empty:
        # an empty period still gets its overall row, with zero counts
        return pd.DataFrame({by: [0] if by == "_all" else [], **_empty_summary(by == "_all")})
    return out.reset_index()


def _empty_summary(one_row: bool) -> dict[str, list[int] | list[float]]:
    """The summary columns of a group without goals."""
    n = 1 if one_row else 0
    out: dict[str, list[int] | list[float]] = {
        "n_goals": [0] * n,
        "n_in_progress": [0] * n,
        "n_at_target": [0] * n,
    }
    for column in ("share_at_target", "mean", *dict(DISTRIBUTION_QUANTILES)):
        out[column] = [np.nan] * n
    return out
