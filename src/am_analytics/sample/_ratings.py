"""360-degree competency ratings with rater leniency and noise (truth 8)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schemas import COMPETENCIES, RATER_ROLES
from ._common import _fixed_width_ids, _frame, _group_starts, _pick_within, _strings
from ._world import BoolArray, FloatArray, IntArray, _Clients, _Managers, _Span

# ---------------------------------------------------------------------------
# Ratings
# ---------------------------------------------------------------------------

#: True competency = base + skill_loading * skill + service_loading * service
#: + idiosyncratic noise (sd COMPETENCY_NOISE), clipped to COMPETENCY_RANGE.
COMPETENCY_MODEL: Final = MappingProxyType(
    {
        "communication": (3.4, 0.15, 0.35),
        "problem_solving": (3.3, 0.30, 0.20),
        "teamwork": (3.5, 0.10, 0.10),
        "product_knowledge": (3.3, 0.35, 0.05),
        "client_focus": (3.4, 0.05, 0.40),
    }
)
COMPETENCY_NOISE: Final = 0.3
COMPETENCY_RANGE: Final = (1.5, 4.8)
#: Persistent leniency per rater: (mean, sd) by role; noise sd per rating.
RATER_LENIENCY: Final = MappingProxyType(
    {
        "supervisor": (0.0, 0.25),
        "peer": (0.1, 0.2),
        "self": (0.5, 0.25),
        "client": (0.0, 0.0),
    }
)
#: Sd of the per-rating noise by rater role.
RATING_NOISE: Final = MappingProxyType(
    {"supervisor": 0.45, "peer": 0.5, "self": 0.45, "client": 0.7}
)
#: Share of rated manager-quarters with a client rater; peers per ratee (min, max).
CLIENT_RATING_SHARE: Final = 0.15
PEER_RATERS: Final = (2, 4)


# ---------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------


def _supervisor_ids(n_teams: int) -> Any:
    """Rater ids ``S-1`` .. of the team supervisors, zero-padded to sort."""
    return _fixed_width_ids("S-", np.arange(1, n_teams + 1), len(str(n_teams)))


def _ratings_frame(
    span: _Span, managers: _Managers, clients: _Clients, rng: np.random.Generator
) -> pd.DataFrame:
    """The ``ratings`` table: 360-degree ratings per complete quarter."""
    n_teams = len(managers.team_names)
    client_groups = _group_starts(clients.owner, managers.n)
    parts = [
        _quarter_raters(span, managers, clients, client_groups, quarter, rng)
        for quarter in range(len(span.quarters) - 1)  # one iteration per complete quarter
    ]
    manager, quarter, rater, role, leniency = (np.concatenate(c) for c in zip(*parts, strict=True))
    n_competencies = len(COMPETENCIES)
    competency = np.tile(np.arange(n_competencies), manager.size)
    manager, quarter, rater, role, leniency = (
        np.repeat(column, n_competencies) for column in (manager, quarter, rater, role, leniency)
    )
    noise_sd = np.asarray([RATING_NOISE[r] for r in RATER_ROLES])[role]
    latent = managers.competence[manager, competency] + leniency
    score = np.clip(np.round(latent + rng.normal(0.0, 1.0, manager.size) * noise_sd), 1, 5)
    # Rater ids: clients (C...), then managers (M...), then supervisors (S-...),
    # which is also their string order.
    rater_ids = pa.concat_arrays([clients.ids, managers.ids, _supervisor_ids(n_teams)])
    competency_rank = np.argsort(np.argsort(COMPETENCIES))
    order = np.lexsort((competency_rank[competency], rater, quarter, manager))
    periods = [str(period) for period in span.quarters]
    return _frame(
        {
            "manager_id": _strings(managers.ids, manager[order]),
            "period": _strings(periods, quarter[order]),
            "rater_id": _strings(rater_ids, rater[order]),
            "rater_role": _strings(RATER_ROLES, role[order]),
            "competency": _strings(COMPETENCIES, competency[order]),
            "score": score[order],
        }
    )


def _quarter_raters(
    span: _Span,
    managers: _Managers,
    clients: _Clients,
    client_groups: tuple[IntArray, IntArray, IntArray],
    quarter: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
    """(ratee, quarter, rater, role, leniency) of every rater of one quarter."""
    n_clients = clients.rate.size
    last = int(span.quarter_last[quarter])
    rated = (managers.hire_day <= last - 30) & (managers.inactive_day > last)
    ratees = np.flatnonzero(rated)
    role = {name: RATER_ROLES.index(name) for name in RATER_ROLES}
    supervisor = n_clients + managers.n + managers.team[ratees]
    peer_ratee, peer = _peer_raters(managers, rated, ratees, rng)
    client_ratee, client = _client_raters(clients, client_groups, ratees, last, rng)
    ratee = np.concatenate([ratees, peer_ratee, ratees, client_ratee])
    rater = np.concatenate([supervisor, n_clients + peer, n_clients + ratees, client])
    roles = np.repeat(
        [role["supervisor"], role["peer"], role["self"], role["client"]],
        [ratees.size, peer.size, ratees.size, client.size],
    )
    leniency = np.concatenate(
        [
            managers.supervisor_leniency[managers.team[ratees]],
            managers.peer_leniency[peer],
            managers.self_leniency[ratees],
            np.full(client.size, RATER_LENIENCY["client"][0]),
        ]
    )
    return ratee, np.full(ratee.size, quarter), rater, roles, leniency


def _peer_raters(
    managers: _Managers, rated: BoolArray, ratees: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """2-4 random rated team-mates per ratee: (ratee, peer) pairs."""
    order, first, counts = _group_starts(managers.team, len(managers.team_names))
    width = int(counts.max())
    slot = np.arange(width)
    position = first[managers.team[ratees]][:, None] + slot[None, :]
    valid = slot[None, :] < counts[managers.team[ratees]][:, None]
    candidate = order[np.minimum(position, managers.n - 1)]
    valid &= (candidate != ratees[:, None]) & rated[candidate]
    keys = np.where(valid, rng.random(candidate.shape), np.inf)
    ranked = np.argsort(keys, axis=1)
    wanted = rng.integers(PEER_RATERS[0], PEER_RATERS[1] + 1, ratees.size)
    take = np.arange(width)[None, :] < np.minimum(wanted, valid.sum(axis=1))[:, None]
    chosen = np.take_along_axis(candidate, ranked, axis=1)
    rows = np.broadcast_to(ratees[:, None], chosen.shape)
    return rows[take], chosen[take]


def _client_raters(
    clients: _Clients,
    client_groups: tuple[IntArray, IntArray, IntArray],
    ratees: IntArray,
    last_day: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Sometimes one of the ratee's clients (existing by quarter end): (ratee, client)."""
    order, first, counts = client_groups
    asked = ratees[(rng.random(ratees.size) < CLIENT_RATING_SHARE) & (counts[ratees] > 0)]
    client = order[_pick_within(rng, first[asked], counts[asked])]
    kept = clients.created_day[client] <= last_day
    return asked[kept], client[kept]
