"""Goals: SMART checks, attainment tracked over time, forecasts, fair mid-period adjustments.

* :func:`check_smart` checks each target set: specific, measurable,
  achievable (the growth it asks against the owner's history and the peers'),
  relevant (in the scorecard or the strategy), time-bound;
* :func:`attainment` follows every goal step by step: actual and expected to
  date, attainment, pace, run rate, a projection with its 80 % interval and
  the probability of hitting, status, and last year's velocity
  (:class:`AttainmentOptions` holds its options);
  :func:`latest_status` gives one row per goal of a result as of a date,
  :func:`goal_status` the same for the dataset's goals;
* :func:`team_rollup` compares team targets with their members',
  :func:`attainment_distribution` gives the share of managers at target;
* :func:`recommend_adjustments` proposes new targets for the market's part of
  a deviation only, capped and triggered, and :func:`apply_adjustments` adds
  them as new revisions, never overwriting the history.
"""

from ._adjust import AdjustmentPolicy, recommend_adjustments
from ._attainment import (
    AttainmentOptions,
    StatusThresholds,
    attainment,
    register_goal_metrics,
)
from ._revisions import apply_adjustments
from ._rollup import ADDITIVE_METRICS, attainment_distribution, rollup_attainment, team_rollup
from ._smart import check_smart
from ._status import goal_status, latest_status

__all__ = [
    "ADDITIVE_METRICS",
    "AdjustmentPolicy",
    "AttainmentOptions",
    "StatusThresholds",
    "apply_adjustments",
    "attainment",
    "attainment_distribution",
    "check_smart",
    "goal_status",
    "latest_status",
    "recommend_adjustments",
    "register_goal_metrics",
    "rollup_attainment",
    "team_rollup",
]
