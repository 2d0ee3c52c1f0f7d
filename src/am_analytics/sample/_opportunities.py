"""The sales pipeline: open, won and lost opportunities (truth 10)."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from ..schemas import OPPORTUNITY_STATUSES
from ._clients import ORDERS_PER_CLIENT_YEAR
from ._common import _dates, _frame, _sequential_ids, _strings, _uniform_days
from ._orders import _credited
from ._world import BoolArray, IntArray, _Clients, _Managers, _Span

# ---------------------------------------------------------------------------
# Opportunities
# ---------------------------------------------------------------------------

#: Stages of open deals, in order; closed deals are 赢单 (won) or 输单 (lost).
OPEN_STAGES: Final = ("初步接洽", "需求确认", "方案报价", "谈判审核")
#: The win probability recorded for each stage.
STAGE_PROBABILITIES: Final = MappingProxyType(
    {
        "初步接洽": 0.1,
        "需求确认": 0.25,
        "方案报价": 0.5,
        "谈判审核": 0.75,
        "赢单": 1.0,
        "输单": 0.0,
    }
)
#: Deals per client and year (more for busier clients), cycle length, win rate.
OPPORTUNITIES_PER_CLIENT_YEAR: Final = 0.3
SALES_CYCLE_MEDIAN_DAYS: Final = 45.0
WIN_RATE: Final = 0.40
WIN_RATE_SKILL_SLOPE: Final = 0.08
#: A deal is worth DEAL_SIZE_ORDERS mean orders of its client, with lognormal noise.
DEAL_SIZE_ORDERS: Final = 3.0
DEAL_SIZE_SIGMA: Final = 0.7
OPEN_CLOSE_HORIZON_DAYS: Final = 180
_ALL_STAGES: Final = (*OPEN_STAGES, "赢单", "输单")


# ---------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------


def _opportunities_frame(
    span: _Span, managers: _Managers, clients: _Clients, rng: np.random.Generator
) -> pd.DataFrame:
    """The ``opportunities`` table: the pipeline, with open, won and lost deals."""
    life_years = np.maximum(clients.stop_day - clients.first_day, 0) / 365.25
    scale = np.sqrt(clients.rate / ORDERS_PER_CLIENT_YEAR)  # busier clients, more deals
    client = np.repeat(
        np.arange(clients.rate.size),
        rng.poisson(OPPORTUNITIES_PER_CLIENT_YEAR * life_years * scale),
    )
    created = _uniform_days(rng, clients.first_day[client], clients.stop_day[client])
    order = np.argsort(created, kind="stable")
    client, created = client[order], created[order]
    cycle = rng.lognormal(math.log(SALES_CYCLE_MEDIAN_DAYS), 0.6, client.size)
    close = created + np.clip(np.round(cycle), 7, 365).astype(np.int64)
    is_open = close > span.last_day
    # Credited to whoever is in charge when the deal closes (now, for open deals).
    manager = _credited(
        managers, clients.owner[client], np.where(is_open, span.last_day, close), rng
    )
    win_rate = np.clip(WIN_RATE + WIN_RATE_SKILL_SLOPE * managers.skill[manager], 0.1, 0.8)
    won = ~is_open & (close < clients.stop_day[client]) & (rng.random(client.size) < win_rate)
    stage = _deal_stages(span, created, close, is_open, won)
    won_or_lost = np.where(
        won, OPPORTUNITY_STATUSES.index("won"), OPPORTUNITY_STATUSES.index("lost")
    )
    status = np.where(is_open, OPPORTUNITY_STATUSES.index("open"), won_or_lost)
    size = rng.lognormal(-(DEAL_SIZE_SIGMA**2) / 2, DEAL_SIZE_SIGMA, client.size)
    probability = np.asarray([STAGE_PROBABILITIES[name] for name in _ALL_STAGES])
    return _frame(
        {
            "opportunity_id": pd.Series(_sequential_ids("OP", client.size, 6), dtype="str"),
            "client_id": _strings(clients.ids, client),
            "manager_id": _strings(managers.ids, manager),
            "amount": np.round(clients.mean_amount[client] * DEAL_SIZE_ORDERS * size, 2),
            "status": _strings(OPPORTUNITY_STATUSES, status),
            "stage": _strings(_ALL_STAGES, stage),
            "probability": probability[stage],
            "expected_close": _dates(
                span, np.minimum(close, span.last_day + OPEN_CLOSE_HORIZON_DAYS)
            ),
            "created_date": _dates(span, created),
        }
    )


def _deal_stages(
    span: _Span, created: IntArray, close: IntArray, is_open: BoolArray, won: BoolArray
) -> IntArray:
    """Index into _ALL_STAGES: open deals by the share of their cycle elapsed, else 赢单/输单."""
    progress = (span.last_day - created) / (close - created)
    open_stage = np.minimum(np.floor(progress * len(OPEN_STAGES)), len(OPEN_STAGES) - 1)
    closed_stage = np.where(won, _ALL_STAGES.index("赢单"), _ALL_STAGES.index("输单"))
    return np.where(is_open, open_stage, closed_stage).astype(np.int64)
