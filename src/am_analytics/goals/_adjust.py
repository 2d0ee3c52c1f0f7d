"""Fair mid-period target adjustments: move targets with the market, never with the person.

:func:`recommend_adjustments` splits each manager's deviation from plan into a
*market* part — how the manager's peers (the rest of the team, or of the
region) are doing against their own expectations — and an *individual* part,
and proposes to move the target only by the market part, only for the rest of
the period, within a cap and only when the market deviation passes a trigger.
Expectations to date are seasonal (the share of the period's value realised by
the same day in previous years, from :func:`~am_analytics.goals.attainment`),
so that sales that cluster at the quarter's end do not read as a market
downturn in mid-quarter.
:func:`~am_analytics.goals.apply_adjustments` writes the approved proposals as
new revisions, so the history of every target stays whole.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from .._deprecation import dataset_first
from ..dataset import Dataset
from ..errors import ConfigError
from ..metrics import FloatArray, MetricContext, get_metric
from ..periods import DateLike, Window, parse_as_of
from ._attainment import AttainmentOptions
from ._rollup import _require, targets_in_force
from ._status import goal_status

__all__ = ["FLOW_METRICS", "AdjustmentPolicy", "recommend_adjustments"]

#: Metrics that accumulate over the period (sums and counts of events), so that
#: an expectation to date — target × the share of the period's value realised
#: by then — makes sense. Means, shares and distinct counts (csat_mean,
#: active_clients, ...) do not.
FLOW_METRICS: Final = frozenset(
    {"sales_amount", "order_count", "new_clients", "survey_count", "complaint_count"}
)

_LEVELS: Final = ("team", "region")
_EXPECTATIONS: Final = ("seasonal", "linear")
_DAY: Final = pd.Timedelta(days=1)
_PROPOSAL_COLUMNS: Final = (
    "goal_id",
    "revision",
    "old_target",
    "proposed_target",
    "triggered",
    "reason",
)


@dataclass(frozen=True, slots=True)
class AdjustmentPolicy:
    """When and how far a target may move with the market.

    Parameters
    ----------
    trigger
        Propose only when the market deviation (peers' actual to date against
        their expectation, minus 1) is beyond ``±trigger`` (default 0.10).
    cap
        The largest change of a target, as a share of the old target, either
        way (default 0.15).
    min_elapsed
        Share of the period that must have passed before adjusting (default
        0.25): early in a period the market reading is noise.
    level
        Whose results make the market: the rest of the manager's ``"team"``
        (default) or ``"region"`` (a column of the managers table).
    min_peers
        Fewest other managers with a goal of the same metric and period in the
        team or region for a market reading (default 2).
    metrics
        The goal metrics that may be adjusted; each must be in
        :data:`FLOW_METRICS` (default ``("sales_amount",)``).
    expectation
        ``"seasonal"`` (default): each goal's expectation to date is the one
        of :func:`~am_analytics.goals.attainment` — the target times the share
        of the period's value the owner (else the owner's team) realised by the
        same day in previous years, linear only for goals with no such history.
        ``"linear"``: target × elapsed share for every goal, which reads
        end-of-quarter seasonality as a market downturn; kept for comparison.

    Raises
    ------
    ConfigError
        If a number is out of range, ``level`` or ``expectation`` unknown or a
        metric not a flow.

    Examples
    --------
    >>> AdjustmentPolicy(trigger=0.05, cap=0.10).cap
    0.1
    >>> AdjustmentPolicy(cap=1.5)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: AdjustmentPolicy.cap must be a share in (0, 1), ...
    """

    trigger: float = 0.10
    cap: float = 0.15
    min_elapsed: float = 0.25
    level: Literal["team", "region"] = "team"
    min_peers: int = 2
    metrics: tuple[str, ...] = ("sales_amount",)
    expectation: Literal["seasonal", "linear"] = "seasonal"

    def __post_init__(self) -> None:
        _check_share("trigger", self.trigger, low_open=False, example="0.10 for 10%")
        _check_share("cap", self.cap, low_open=True, example="0.15 for ±15%")
        _check_share("min_elapsed", self.min_elapsed, low_open=False, example="0.25")
        if self.level not in _LEVELS:
            raise ConfigError(
                f"AdjustmentPolicy.level must be 'team' or 'region', not {self.level!r}"
            )
        if self.expectation not in _EXPECTATIONS:
            raise ConfigError(
                "AdjustmentPolicy.expectation must be 'seasonal' or 'linear', "
                f"not {self.expectation!r}"
            )
        if isinstance(self.min_peers, bool) or not isinstance(self.min_peers, int):
            raise ConfigError(
                f"AdjustmentPolicy.min_peers must be a whole number >= 1, not {self.min_peers!r}"
            )
        if self.min_peers < 1:
            raise ConfigError(
                f"AdjustmentPolicy.min_peers must be >= 1 (the market excludes the manager), "
                f"not {self.min_peers}"
            )
        metrics: object = self.metrics  # a str would pass for a tuple of letters
        if not isinstance(metrics, tuple) or not metrics:
            raise ConfigError(
                "AdjustmentPolicy.metrics must be a non-empty tuple of metric names such as "
                f"('sales_amount',), not {self.metrics!r}"
            )
        unfit = [m for m in self.metrics if m not in FLOW_METRICS]
        if unfit:
            raise ConfigError(
                f"AdjustmentPolicy.metrics: {', '.join(map(repr, unfit))} cannot be adjusted "
                "with an expectation to date (not flows); choose among "
                f"{', '.join(sorted(FLOW_METRICS))}"
            )


def _check_share(name: str, value: float, *, low_open: bool, example: str) -> None:
    """Raise :class:`ConfigError` unless ``value`` is a share in [0, 1) ((0, 1) if ``low_open``)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    low_ok = number and (value > 0 if low_open else value >= 0)
    if not (number and low_ok and value < 1):
        interval = "(0, 1)" if low_open else "[0, 1)"
        raise ConfigError(
            f"AdjustmentPolicy.{name} must be a share in {interval}, e.g. {example}; got {value!r}"
        )


@dataset_first()
def recommend_adjustments(
    dataset: Dataset,
    *,
    as_of: DateLike,
    goals: pd.DataFrame | None = None,
    policy: AdjustmentPolicy | None = None,
) -> pd.DataFrame:
    """Propose new targets that follow the market, for the goals running at ``as_of``.

    Parameters
    ----------
    dataset
        The dataset whose goals are adjusted and whose tables the actuals come
        from (managers with their team/region, and the tables the goal
        metrics need).
    as_of
        The day the proposal is made; actuals count up to and including it.
    goals
        A validated goals table (all revisions) to adjust instead of
        ``dataset.goals``; the target in force at ``as_of`` (highest revision
        set on or before it) is the one adjusted.
    policy
        Trigger, cap, minimum elapsed share, level; :class:`AdjustmentPolicy`
        defaults when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per manager goal of the policy's metrics running at ``as_of``
        (``period_start <= as_of < period_end``), triggered or not, in goal
        order; a proposal is a row with ``triggered`` true.

    Raises
    ------
    ConfigError
        If ``policy`` is not an :class:`AdjustmentPolicy` or ``as_of`` is not a date.
    DataValidationError
        If ``goals`` lacks a required column or the managers table lacks ``level``.
    MissingTableError
        If ``goals`` is not given and the dataset has no goals table.

    Notes
    -----
    For a goal with target ``T`` and elapsed share ``e`` (days from the start
    through ``as_of`` over the days of the period, both ends included):

    * ``actual_to_date`` is the metric over ``[period_start, as_of]`` and
      ``expected_to_date = T * s``, where ``s`` is the seasonal share of
      :func:`~am_analytics.goals.attainment` at ``as_of`` (one call for all
      running goals): the share of the same period's value realised by the
      same day in the owner's previous years (``expected_basis`` =
      ``owner_seasonal``), else in the team's (``team_seasonal``). A goal with
      neither history falls back to ``s = e`` (``expected_basis`` =
      ``linear``), and its ``reason`` says so. With ``policy.expectation ==
      "linear"`` every goal uses ``s = e`` and the actual comes from the
      metric registry. Without the seasonal share, quarter-end selling makes
      almost every team look behind in mid-quarter (on the sample on
      2026-08-20, 28 of 38 running sales goals trigger with ``"linear"``, 27
      of them cuts; 15 with ``"seasonal"``, 5 cuts and 10 raises).
    * ``own_deviation = actual / expected - 1``.
    * ``market_deviation`` is the same ratio over the *other* managers of the
      owner's team (or region) with a goal of the same metric and period:
      ``sum(peers' actual) / sum(peers' expected) - 1`` — leave-one-out, so a
      manager's own results never move their own target. NaN with fewer than
      ``policy.min_peers`` peers.
    * ``individual_deviation = (1 + own) / (1 + market) - 1``: what is left of
      the manager's deviation once the market is taken out. It is reported,
      never acted on.
    * The trigger fires when ``|market_deviation| > policy.trigger`` and
      ``e >= policy.min_elapsed``. Then only the remaining share ``1 - e`` of
      the target moves with the market: ``change_share = clip((1 - e) *
      market_deviation, -cap, cap)`` and ``proposed_target = T * (1 +
      change_share)``. Otherwise ``proposed_target = T``.

    This guards against ratcheting: a manager far ahead in a flat market gets
    no proposal, because their own results are not part of the market; one
    ahead in a rising market gets the market's raise, not more. The formula is
    the same for lower-is-better metrics (complaint_count): when complaints
    rise across the team, the ceiling rises with them.

    Output columns: ``goal_id``, ``revision``, ``owner_id``, ``metric``,
    ``period_start``, ``period_end``, ``as_of``, ``level`` (team/region),
    ``market`` (its name), ``n_peers``, ``elapsed_share``, ``actual_to_date``,
    ``expected_to_date``, ``expected_basis`` (owner_seasonal / team_seasonal
    / linear), ``n_peers_linear`` (peers whose expectation fell back to
    linear), ``own_deviation``, ``market_deviation``,
    ``individual_deviation``, ``triggered`` (bool), ``capped`` (bool: the
    market part was cut to the cap), ``old_target``, ``proposed_target``,
    ``change`` (proposed - old), ``change_share`` (change / old), ``reason``
    (in words, with the numbers).

    Until release 0.3 the former call ``recommend_adjustments(goals, dataset,
    as_of=...)`` still works, with a :class:`FutureWarning` that shows the new one.

    Examples
    --------
    Three managers of one team; M2 and M3 sell half of what their targets
    expect by mid-quarter, so M1's market (M2 + M3) is 50% behind (nobody sold
    a year earlier, so the expectations fall back to linear, as each ``reason``
    says):

    >>> import pandas as pd
    >>> from am_analytics import from_frames
    >>> data = from_frames(
    ...     managers=pd.DataFrame({"manager_id": ["M1", "M2", "M3"], "name": ["a", "b", "c"],
    ...                            "team": "East"}),
    ...     clients=pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]}),
    ...     sales=pd.DataFrame({"order_id": ["S1", "S2", "S3"], "client_id": "C1",
    ...                         "manager_id": ["M1", "M2", "M3"],
    ...                         "order_date": "2026-07-10", "amount": [500.0, 250.0, 250.0]}))
    >>> goals = pd.DataFrame({"goal_id": ["G1", "G2", "G3"], "owner_id": ["M1", "M2", "M3"],
    ...     "metric": "sales_amount", "target": 1000.0, "owner_kind": "manager",
    ...     "period_start": pd.Timestamp("2026-07-01"), "period_end": pd.Timestamp("2026-09-30"),
    ...     "set_on": pd.Timestamp("2026-06-25"), "revision": 1})
    >>> out = recommend_adjustments(data, as_of="2026-08-15", goals=goals)
    >>> out[["goal_id", "market_deviation", "triggered", "capped", "proposed_target"]]
      goal_id  market_deviation  triggered  capped  proposed_target
    0      G1             -0.50       True    True            850.0
    1      G2             -0.25       True   False            875.0
    2      G3             -0.25       True   False            875.0
    """
    policy = AdjustmentPolicy() if policy is None else policy
    if not isinstance(policy, AdjustmentPolicy):
        raise ConfigError(f"policy must be an AdjustmentPolicy, not {type(policy).__name__}")
    day = parse_as_of(as_of).normalize()
    goals = dataset.table("goals") if goals is None else goals
    _require(
        goals,
        ("goal_id", "owner_id", "metric", "target", "period_start", "period_end"),
        "goals table",
    )
    _require(dataset.managers, ("manager_id", policy.level), "managers table")
    running = _running_goals(goals, day, policy)
    elapsed = _elapsed_share(running, day)
    target = running["target"].to_numpy(dtype=np.float64)
    if policy.expectation == "seasonal":
        actual, share, basis = _seasonal_to_date(goals, running, dataset, day, elapsed)
    else:
        actual = _actual_to_date(running, dataset, day)
        share, basis = elapsed, np.full(len(running), "linear", dtype=object)
    expected = target * share
    market = (
        dataset.managers.drop_duplicates("manager_id")
        .set_index("manager_id")[policy.level]
        .reindex(running["owner_id"].astype(str))
        .to_numpy()
    )
    linear = basis == "linear"
    n_peers, n_linear, market_deviation = _leave_one_out(
        running, market, actual, expected, linear, policy
    )
    own = _deviation(actual, expected)
    out = pd.DataFrame(
        {
            "goal_id": running["goal_id"].to_numpy(),
            "revision": running["revision"].to_numpy(dtype=np.int64),
            "owner_id": running["owner_id"].to_numpy(),
            "metric": running["metric"].to_numpy(),
            "period_start": running["period_start"].to_numpy(),
            "period_end": running["period_end"].to_numpy(),
            "as_of": day,
            "level": policy.level,
            "market": market,
            "n_peers": n_peers,
            "elapsed_share": elapsed,
            "actual_to_date": actual,
            "expected_to_date": expected,
            "expected_basis": basis,
            "n_peers_linear": n_linear,
            "own_deviation": own,
            "market_deviation": market_deviation,
            "individual_deviation": _deviation(1 + own, 1 + market_deviation),
        }
    )
    return _propose(out, target, policy)


def _running_goals(
    goals: pd.DataFrame, day: pd.Timestamp, policy: AdjustmentPolicy
) -> pd.DataFrame:
    """Managers' goals of the policy's metrics in force and running on ``day``."""
    current = targets_in_force(goals, as_of=day)
    keep = (
        (current["owner_kind"] == "manager")
        & current["metric"].isin(policy.metrics)
        & (current["period_start"] <= day)
        & (current["period_end"] > day)
    )
    running = current[keep.to_numpy()]
    position = pd.Index(goals["goal_id"].drop_duplicates()).get_indexer(running["goal_id"])
    return running.iloc[np.argsort(position, kind="stable")]


def _elapsed_share(running: pd.DataFrame, day: pd.Timestamp) -> FloatArray:
    """Days from the start through ``day`` over the period's days, both ends included."""
    start = running["period_start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    end = running["period_end"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    today = day.to_datetime64().astype("datetime64[D]").astype(np.int64)
    return ((today - start + 1) / (end - start + 1)).astype(np.float64)


def _actual_to_date(running: pd.DataFrame, dataset: Dataset, day: pd.Timestamp) -> FloatArray:
    """Each goal's metric over ``[period_start, day]`` from the metric registry."""
    rows = pd.Index(dataset.managers["manager_id"]).get_indexer(running["owner_id"].astype(str))
    out = np.full(len(running), np.nan)
    # one computation per metric and start date (a handful), not per manager
    keys = running[["metric", "period_start"]].drop_duplicates()
    for metric, start in keys.itertuples(index=False):
        window = Window(pd.Timestamp(start), day + _DAY)
        context = MetricContext(dataset, pd.Period(start, freq="D"), window)
        values = np.asarray(get_metric(metric).compute(context), dtype=np.float64)
        mask = ((running["metric"] == metric) & (running["period_start"] == start)).to_numpy()
        known = mask & (rows >= 0)
        out[known] = values[rows[known]]
    return out


def _seasonal_to_date(
    goals: pd.DataFrame,
    running: pd.DataFrame,
    dataset: Dataset,
    day: pd.Timestamp,
    elapsed: FloatArray,
) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Actual to date, expected share of the target and its basis from :func:`attainment`.

    The share (expected / target of attainment's step at ``day``) is applied to
    the target in force here, so the two modules' readings of revisions cannot
    disagree on the amount. Goals attainment gives no step for keep the linear
    share and the registry's actual.
    """
    actual = np.full(len(running), np.nan)
    share = elapsed.copy()
    basis = np.full(len(running), "linear", dtype=object)
    if running.empty:
        return actual, share, basis
    ids = running["goal_id"].astype(str)
    # only the running goals (all their revisions): a few dozen, not the whole history;
    # the projection is not used, so no pipeline keeps it cheap
    mine = goals[goals["goal_id"].astype(str).isin(set(ids)).to_numpy()]
    # attainment() matches step dates against set_on (cast to ns) with merge_asof, which
    # refuses mixed resolutions: frames built from strings/Timestamps are often in us
    dates = [c for c in ("period_start", "period_end", "set_on") if c in mine.columns]
    mine = mine.astype({c: "datetime64[ns]" for c in dates})
    status = goal_status(dataset, as_of=day, goals=mine, options=AttainmentOptions(pipeline=False))
    status = status[status["date"] == day].set_index("goal_id").reindex(ids)
    found = status["actual_to_date"].notna().to_numpy()
    actual[found] = status["actual_to_date"].to_numpy(dtype=np.float64)[found]
    if not found.all():
        actual[~found] = _actual_to_date(running[~found], dataset, day)
    step_target = status["target"].to_numpy(dtype=np.float64)
    step_share = np.divide(
        status["expected_to_date"].to_numpy(dtype=np.float64),
        step_target,
        out=np.full(len(running), np.nan),
        where=np.isfinite(step_target) & (step_target != 0),
    )
    seasonal = found & np.isfinite(step_share) & (status["expected_basis"] != "linear").to_numpy()
    share[seasonal] = step_share[seasonal]
    basis[seasonal] = status["expected_basis"].to_numpy()[seasonal]
    return actual, share, basis


def _deviation(actual: FloatArray, expected: FloatArray) -> FloatArray:
    """``actual / expected - 1``; NaN where the expectation is not positive (or NaN)."""
    out = np.full(len(actual), np.nan)
    with np.errstate(invalid="ignore"):
        positive = expected > 0
    np.divide(actual, expected, out=out, where=positive)
    return out - 1


def _leave_one_out(
    running: pd.DataFrame,
    market: np.ndarray,
    actual: FloatArray,
    expected: FloatArray,
    linear: np.ndarray,
    policy: AdjustmentPolicy,
) -> tuple[np.ndarray, np.ndarray, FloatArray]:
    """Peers, peers on a linear expectation and market deviation, the owner left out."""
    measured = np.isfinite(actual) & np.isfinite(expected)
    frame = pd.DataFrame(
        {
            "market": market,
            "metric": running["metric"].to_numpy(),
            "period_start": running["period_start"].to_numpy(),
            "period_end": running["period_end"].to_numpy(),
            "actual": np.where(measured, actual, 0.0),
            "expected": np.where(measured, expected, 0.0),
            "n": measured.astype(np.int64),
            "linear": (measured & linear).astype(np.int64),
        }
    )
    grouped = frame.groupby(["market", "metric", "period_start", "period_end"], dropna=False)
    totals = grouped[["actual", "expected", "n", "linear"]].transform("sum")
    n_peers = (totals["n"] - frame["n"]).to_numpy(dtype=np.int64)
    n_linear = (totals["linear"] - frame["linear"]).to_numpy(dtype=np.int64)
    peers_actual = (totals["actual"] - frame["actual"]).to_numpy(dtype=np.float64)
    peers_expected = (totals["expected"] - frame["expected"]).to_numpy(dtype=np.float64)
    deviation = _deviation(peers_actual, peers_expected)
    known = pd.notna(market) & (n_peers >= policy.min_peers)
    alone = pd.isna(market)
    return (
        np.where(alone, 0, n_peers),
        np.where(alone, 0, n_linear),
        np.where(known, deviation, np.nan),
    )


def _propose(out: pd.DataFrame, target: FloatArray, policy: AdjustmentPolicy) -> pd.DataFrame:
    """Add the trigger, the capped proposal and the reason to ``out``."""
    market = out["market_deviation"].to_numpy()
    elapsed = out["elapsed_share"].to_numpy()
    early = elapsed < policy.min_elapsed
    with np.errstate(invalid="ignore"):
        fires = np.abs(market) > policy.trigger
    triggered = ~early & np.isfinite(market) & fires
    raw = np.where(triggered, (1 - elapsed) * np.nan_to_num(market), 0.0)
    change_share = np.clip(raw, -policy.cap, policy.cap)
    proposed = target * (1 + change_share)
    out["triggered"] = triggered
    out["capped"] = triggered & (np.abs(raw) > policy.cap)
    out["old_target"] = target
    out["proposed_target"] = proposed
    out["change"] = proposed - target
    out["change_share"] = change_share
    out["reason"] = _reasons(out, early, policy)
    return out


def _reasons(out: pd.DataFrame, early: np.ndarray, policy: AdjustmentPolicy) -> list[str]:
    """The reason of each row in words, with the numbers."""
    reasons = []
    # text formatting is presentation, one string per proposal: a loop is the clear way
    for row, too_early in zip(out.to_dict("records"), early, strict=True):
        reasons.append(_reason(row, bool(too_early), policy) + _basis_note(row, policy))
    return reasons


def _basis_note(row: dict[Hashable, Any], policy: AdjustmentPolicy) -> str:
    """What the expectations to date were based on, fallbacks named."""
    if policy.expectation == "linear":
        return " [expectations: linear in elapsed days, by policy]"
    own = _BASIS_WORDS.get(str(row["expected_basis"]), str(row["expected_basis"]))
    peers = ""
    if row["n_peers_linear"]:
        peers = (
            f"; {row['n_peers_linear']} of {row['n_peers']} peers fall back to linear "
            "(no previous-year history)"
        )
    return f" [expectation: {own}{peers}]"


_BASIS_WORDS: Final = {
    "owner_seasonal": "seasonal, from the owner's previous years",
    "team_seasonal": "seasonal, from the team's previous years",
    "linear": "linear fallback (no previous-year history of the owner or the team)",
}


def _reason(row: dict[Hashable, Any], too_early: bool, policy: AdjustmentPolicy) -> str:
    """The reason of one row, without the basis note."""
    market = row["market"]
    where = f"{row['level']} {market}" if pd.notna(market) else f"no {row['level']}"
    peers = f"{where} ({row['n_peers']} peers, {row['owner_id']} excluded)"
    individual = _percent(row["individual_deviation"])
    if too_early:
        return (
            f"no adjustment: only {row['elapsed_share']:.0%} of the period has passed "
            f"(the policy waits for {policy.min_elapsed:.0%})"
        )
    if not np.isfinite(row["market_deviation"]):
        return (
            f"no adjustment: no market reading for {where} ({row['n_peers']} peers with "
            f"a goal; the policy needs {policy.min_peers})"
        )
    if not row["triggered"]:
        return (
            f"no adjustment: {peers} is {_percent(row['market_deviation'])} against its "
            f"expectation to date, within the ±{policy.trigger:.0%} trigger; individual "
            f"deviation {individual} is not a market move"
        )
    cap = f", capped at ±{policy.cap:.0%}" if row["capped"] else ""
    return (
        f"market adjustment: {peers} is {_percent(row['market_deviation'])} against "
        f"its expectation to date, beyond the ±{policy.trigger:.0%} trigger; the "
        f"remaining {1 - row['elapsed_share']:.0%} of the period moves with it{cap}: "
        f"target {row['old_target']:,.0f} → {row['proposed_target']:,.0f} "
        f"({row['change_share']:+.1%}); individual deviation {individual} left unchanged"
    )


def _percent(value: float) -> str:
    """``+12.3%``, or ``n/a`` for NaN."""
    return f"{value:+.1%}" if np.isfinite(value) else "n/a"
