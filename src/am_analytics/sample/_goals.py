"""Quarterly goals: sales targets, team goals and the planted mismatch, revisions (truth 9)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schemas import OWNER_KINDS
from ._common import _dates, _frame, _sequential_ids, _strings
from ._world import Codes, FloatArray, _Clients, _Managers, _Orders, _Span

# ---------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------

#: Sales target = reference sales x GOAL_GROWTH x lognormal(0, GOAL_NOISE_SIGMA).
GOAL_GROWTH: Final = 1.10
GOAL_NOISE_SIGMA: Final = 0.08
MIN_SALES_TARGET: Final = 10_000.0
#: The planted team-target mismatch: the first team's target in the last
#: complete quarter is this multiple of its members' summed targets.
TEAM_TARGET_STRETCH: Final = 1.10
TEAM_STRETCH_REASON: Final = "管理层加码目标"
#: Share of managers with a new_clients / csat_mean goal each quarter.
NEW_CLIENTS_GOAL_SHARE: Final = 0.25
CSAT_GOAL_SHARE: Final = 0.20
CSAT_TARGETS: Final = (4.0, 4.2, 4.3, 4.5)
#: Share of managers' sales goals revised mid-quarter.
REVISION_SHARE: Final = 0.04
#: Revision reasons with the target factor range they apply.
REVISION_REASONS: Final = MappingProxyType(
    {"市场下行调整": (0.80, 0.92), "业绩超预期上调": (1.05, 1.15)}
)
_GOAL_METRICS: Final = ("sales_amount", "new_clients", "csat_mean")
_GOAL_REASONS: Final = (TEAM_STRETCH_REASON, *REVISION_REASONS)


# ---------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------


def _quarter_sales(span: _Span, n_managers: int, manager: Codes, orders: _Orders) -> FloatArray:
    """Net sales per manager (rows, as given by ``manager`` per order) and quarter."""
    n_quarters = len(span.quarters)
    day_quarter = np.searchsorted(span.quarter_last, np.arange(span.n_days), side="left")
    cell = manager.astype(np.int64) * n_quarters + day_quarter[orders.day]
    totals = np.bincount(cell, weights=orders.amount, minlength=n_managers * n_quarters)
    return totals.reshape(n_managers, n_quarters).astype(np.float64)


def _sales_targets(
    span: _Span,
    managers: _Managers,
    history: tuple[FloatArray, FloatArray],
    quarter: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Sales target of every manager for ``quarter`` (NaN for those without a goal).

    ``history`` holds each manager's credited sales and the sales of the clients
    they own (their book) per quarter.
    """
    credited, book = history
    first, last = span.quarter_first, span.quarter_last
    in_span = np.minimum(last, span.last_day) - np.maximum(first, 0) + 1
    full_days = last[quarter] - first[quarter] + 1
    if quarter == 0:
        # No history in the data: the back-filled target is near the actual result.
        base = credited[:, 0] * (full_days / in_span[0]) / GOAL_GROWTH
    else:
        previous = quarter - 1
        # A manager who joined during the last quarter inherits the book's run rate.
        whole = managers.hire_day <= max(int(first[previous]), 0)
        run = np.where(whole, credited[:, previous], book[:, previous])
        base = run * (full_days / in_span[previous])
        year_ago = quarter - 4
        if year_ago >= 0 and first[year_ago] >= 0:
            whole_year_ago = (managers.hire_day <= first[year_ago]) & (
                managers.inactive_day > last[year_ago]
            )
            base = np.where(whole_year_ago, credited[:, year_ago], base)
    noise = rng.lognormal(0.0, GOAL_NOISE_SIGMA, managers.n)
    target = np.round(np.maximum(base * GOAL_GROWTH * noise, MIN_SALES_TARGET), -2)
    has_goal = (managers.hire_day <= first[quarter]) & (managers.inactive_day > first[quarter])
    return np.where(has_goal, target, np.nan)


def _quarter_goals(
    span: _Span,
    managers: _Managers,
    history: tuple[FloatArray, FloatArray],
    quarter: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Revision-1 goals of one quarter: managers' and teams' sales, other metrics."""
    target = _sales_targets(span, managers, history, quarter, rng)
    members = np.flatnonzero(~np.isnan(target))
    n_teams = len(managers.team_names)
    team_target = np.bincount(managers.team[members], weights=target[members], minlength=n_teams)
    teams = np.flatnonzero(np.bincount(managers.team[members], minlength=n_teams) > 0)
    team_reason = np.full(teams.size, -1)
    if quarter == len(span.quarters) - 2:  # the planted mismatch: team 0, last full quarter
        team_target[0] = np.round(team_target[0] * TEAM_TARGET_STRETCH, -2)
        team_reason[teams == 0] = _GOAL_REASONS.index(TEAM_STRETCH_REASON)
    new_clients = members[rng.random(members.size) < NEW_CLIENTS_GOAL_SHARE]
    csat = members[rng.random(members.size) < CSAT_GOAL_SHARE]
    sizes = [members.size, teams.size, new_clients.size, csat.size]
    n = sum(sizes)
    return pd.DataFrame(
        {
            "owner": np.concatenate([members, teams, new_clients, csat]),
            "is_team": np.repeat([False, True, False, False], sizes),
            "metric": np.repeat([0, 0, 1, 2], sizes),
            "target": np.concatenate(
                [
                    target[members],
                    team_target[teams],
                    rng.integers(1, 6, new_clients.size).astype(np.float64),
                    np.asarray(CSAT_TARGETS)[rng.integers(0, len(CSAT_TARGETS), csat.size)],
                ]
            ),
            "quarter": np.full(n, quarter),
            "set_day": np.maximum(
                int(span.quarter_first[quarter]) - rng.integers(3, 11, n), span.first_day
            ),
            "reason": np.concatenate(
                [np.full(members.size, -1), team_reason, np.full(n - sizes[0] - sizes[1], -1)]
            ),
        }
    )


def _revisions(
    span: _Span, managers: _Managers, goals: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Revision-2 rows for a few managers' sales goals, set mid-quarter."""
    owner = goals["owner"].to_numpy()
    revision_day = span.quarter_first[goals["quarter"].to_numpy()] + rng.integers(
        38, 53, len(goals)
    )
    eligible = np.flatnonzero(
        ~goals["is_team"].to_numpy()
        & (goals["metric"].to_numpy() == _GOAL_METRICS.index("sales_amount"))
        & (revision_day <= span.last_day)
        & (revision_day < managers.inactive_day[owner])
    )
    count = min(eligible.size, max(1, round(REVISION_SHARE * eligible.size)))
    picked = np.sort(rng.choice(eligible, size=count, replace=False))
    revised = goals.iloc[picked].copy()
    cut, raise_ = (_GOAL_REASONS.index(name) for name in REVISION_REASONS)
    reason = np.where(rng.random(count) < 0.7, cut, raise_)  # mostly cuts in a falling market
    bounds = np.asarray([REVISION_REASONS.get(name, (1.0, 1.0)) for name in _GOAL_REASONS])
    factor = rng.uniform(bounds[reason, 0], bounds[reason, 1])
    revised["target"] = np.round(revised["target"].to_numpy() * factor, -2)
    revised["set_day"] = revision_day[picked]
    revised["reason"] = reason
    revised["revision"] = 2
    return revised


def _goals_frame(
    span: _Span,
    managers: _Managers,
    clients: _Clients,
    orders: _Orders,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The ``goals`` table: revision-1 goals per quarter plus some revision 2s."""
    history = (
        _quarter_sales(span, managers.n, orders.manager, orders),
        _quarter_sales(span, managers.n, clients.owner[orders.client], orders),
    )
    parts = [_quarter_goals(span, managers, history, q, rng) for q in range(len(span.quarters))]
    goals = pd.concat(parts, ignore_index=True)
    goals["revision"] = 1
    goals["goal"] = np.arange(len(goals))
    rows = pd.concat([goals, _revisions(span, managers, goals, rng)], ignore_index=True)
    rows = rows.sort_values(["goal", "revision"], kind="stable", ignore_index=True)
    owner = rows["owner"].to_numpy() + np.where(rows["is_team"].to_numpy(), managers.n, 0)
    owner_ids = pa.concat_arrays(
        [managers.ids, pa.array(list(managers.team_names), type=pa.large_string())]
    )
    quarter = rows["quarter"].to_numpy()
    reason = rows["reason"].to_numpy()
    return _frame(
        {
            "goal_id": _strings(_sequential_ids("G", len(goals), 5), rows["goal"].to_numpy()),
            "owner_id": _strings(owner_ids, owner),
            "metric": _strings(_GOAL_METRICS, rows["metric"].to_numpy()),
            "target": rows["target"].to_numpy(dtype=np.float64),
            "period_start": _dates(span, span.quarter_first[quarter]),
            "period_end": _dates(span, span.quarter_last[quarter]),
            "owner_kind": _strings(OWNER_KINDS, rows["is_team"].to_numpy().astype(np.int64)),
            "set_on": _dates(span, rows["set_day"].to_numpy()),
            "revision": rows["revision"].to_numpy(dtype=np.int64),
            "reason": _strings(_GOAL_REASONS, np.maximum(reason, 0), missing=reason < 0),
        }
    )
