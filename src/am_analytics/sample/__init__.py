"""Synthetic sales-organisation data with documented, planted truths.

:func:`generate` simulates a sales organisation and returns the nine canonical
tables (see :mod:`am_analytics.schemas`) as raw frames; :func:`truth` returns the
latent per-manager quantities the simulation used, so later analyses can be
checked against what was planted; :func:`write_sample` writes the frames to CSV
or Parquet files.

The world as simulated
----------------------
``end`` is the as-of date: the quarter containing it is in progress (its goals
are already set) and the quarter before it is the last complete one. Nothing is
dated after ``end`` except goals' ``period_end`` (the end of the current
quarter) and open opportunities' ``expected_close`` (up to
:data:`OPEN_CLOSE_HORIZON_DAYS` ahead).

Planted truths, each with the constants that set it:

1. **Managers.** About :data:`TEAM_SIZE` per team; team names and regions follow
   :data:`TEAM_REGION_CYCLE` (华东一组, 华东二组, 华北组, 华南组, 西南组 for the
   default five teams). The first manager of every team is never hired during the
   span and never leaves. A share :data:`NEW_HIRE_SHARE` of managers is hired
   during the span (before the current quarter starts), :data:`LEAVER_SHARE`
   leaves (status ``left``) and :data:`ON_LEAVE_SHARE` goes on leave during the
   current quarter (status ``on_leave``). Each manager has a persistent latent
   ``skill`` and ``service_quality`` (standard normal, correlation
   :data:`SKILL_SERVICE_CORRELATION`). ``level`` (:data:`LEVELS`) rises with
   tenure (:data:`LEVEL_TENURE_YEARS`) and a little with skill.
2. **Crediting.** Every manager has a *successor* (``truth().successor_id``): a
   team-mate who is employed over the whole span. An order of a client whose
   owner is not employed on the order date (not yet hired, left, on leave) is
   credited to the owner's successor, and :data:`CO_CREDIT_SHARE` of the other
   orders are credited to the successor too (joint selling), so
   ``sales.manager_id`` can differ from ``clients.manager_id``. A leaver's
   clients are owned by the successor in ``clients``. No manager has any
   activity (orders, refunds, surveys, feedback, ratings, training, goals, the
   close of an opportunity) before the hire date or on/after the day they left
   (``truth().active_until``).
3. **Client value.** Order rates and mean order amounts are correlated
   lognormals (:data:`ORDER_RATE_SIGMA`, :data:`ORDER_AMOUNT_SIGMA`,
   :data:`RATE_AMOUNT_CORRELATION`), so roughly the top 20% of clients make 80%
   of net revenue. :data:`NEW_CLIENT_SHARE` of clients are created during the
   span (first order after creation) and :data:`CHURN_SHARE` churn (no order
   after their churn date). ``crm_tier`` A/B/C follows a noisy value score
   (:data:`CRM_TIER_SHARES`).
4. **Seasonality.** Orders are a Poisson process per client with daily
   intensity: growth of :data:`ANNUAL_GROWTH` per year, ×:data:`QUARTER_END_LIFT`
   in the last :data:`QUARTER_END_DAYS` days of every quarter, ×:data:`CNY_DIP`
   from 3 days before to 14 days after Chinese New Year (:data:`CNY_DIP_DAYS`,
   dates in :data:`CNY_DATES`), ×:data:`WEEKEND_FACTOR` on weekends. On average a
   client orders :data:`ORDERS_PER_CLIENT_YEAR` times a year while alive.
5. **Skill and training lift sales.** The client's order rate is multiplied by
   ``exp(SKILL_RATE_LIFT * owner skill)``; each order amount by
   ``exp(SKILL_AMOUNT_LIFT * skill)`` of the credited manager and by
   ``1 + TRAINING_EFFECTS[category]`` for every course of that category the
   credited manager *completed* before the order date (compounding). Training
   is assigned at random (:data:`TRAINING_UPTAKE`, independent of skill) at
   staggered dates, so a difference-in-differences of manager-quarter sales
   recovers ``log(1 + effect)``; ``compliance`` has no effect. Assessment scores
   of completed courses rise a little with skill.
6. **Refunds.** :data:`REFUND_SHARE` of orders are followed (1 day or more
   later, before ``end``) by a refund row: a new order id, negative amount no
   larger than the original, same client, manager, product and channel.
7. **Surveys and feedback.** :data:`SURVEY_SHARE` of orders get a survey 1-14
   days later with CSAT/NPS rising with the credited manager's service quality
   (:data:`CSAT_MODEL`, :data:`NPS_MODEL`); some responses have only one score.
   Feedback follows an order by 1-30 days and is opened before ``end``;
   complaints per order fall and praise rises with service quality
   (:data:`FEEDBACK_MODEL`); resolution hours are lognormal around
   :data:`RESOLUTION_MEDIAN_HOURS`, faster for better service
   (:data:`RESOLUTION_SERVICE_EFFECT`), so some breach :data:`SLA_HOURS`.
   Feedback not resolved by ``end`` stays open (``resolved_at`` NaT), and so
   does :data:`BACKLOG_SHARE` of the feedback of the last :data:`BACKLOG_DAYS`
   days.
8. **Ratings.** Each complete quarter, every manager employed for at least a
   month of it and still employed at its end is rated on :data:`COMPETENCIES`
   by the team supervisor (``S-<team>``), 2-4 team-mates, themself and sometimes
   (:data:`CLIENT_RATING_SHARE`) one of their clients. Score = true competency
   (:data:`COMPETENCY_MODEL`) + rater leniency (:data:`RATER_LENIENCY`; self
   raters are lenient) + noise (:data:`RATING_NOISE`), rounded and clipped to
   1..5. The true competencies and every supervisor's, peer's and self rater's
   leniency are in :func:`truth`; client raters have no persistent leniency.
9. **Goals.** Every manager hired before a quarter starts and not gone by then
   has a ``sales_amount`` goal (revision 1) set 3-10 days before the quarter.
   Its target is the manager's credited sales in the same quarter last year when
   they worked all of it, else last quarter's run rate (of their own sales, or of
   their client book when they joined during it), times :data:`GOAL_GROWTH` and
   lognormal noise (:data:`GOAL_NOISE_SIGMA`), rounded to hundreds and at least
   :data:`MIN_SALES_TARGET`; the first quarter of the span, with no history, is
   back-filled from its own result. Attainment thus varies around 100%. Team
   goals (``owner_id`` the team name) are the sum of the members' revision-1
   targets, except **the first team (that of M0001) in the last complete
   quarter**, whose target is :data:`TEAM_TARGET_STRETCH` times that sum
   (rounded to hundreds, reason :data:`TEAM_STRETCH_REASON`). Some managers also
   have ``new_clients`` (:data:`NEW_CLIENTS_GOAL_SHARE`) and ``csat_mean``
   (:data:`CSAT_GOAL_SHARE`) goals. :data:`REVISION_SHARE` of the managers'
   sales goals get a revision 2 set 38-52 days into the quarter (while the
   manager still works) with a new target and a reason of
   :data:`REVISION_REASONS`; the revision-1 row stays.
10. **Opportunities.** About :data:`OPPORTUNITIES_PER_CLIENT_YEAR` per client and
    year, with lognormal sales cycles around :data:`SALES_CYCLE_MEDIAN_DAYS`.
    Deals whose cycle ends by ``end`` are won (chance :data:`WIN_RATE`, higher for
    skilled managers) or lost, with ``expected_close`` the close date; the others
    are open, at a stage of :data:`OPEN_STAGES` by their progress, closing after
    ``end``. ``probability`` is :data:`STAGE_PROBABILITIES` of the stage (1 for
    赢单, 0 for 输单). A deal is credited to the manager in charge when it closed
    (for open deals: at ``end``).

Everything is vectorised: ``generate(n_managers=5000, n_clients=1_000_000)``
makes about ten million sales rows.

Layout
------
The package is split by concept; its private modules are

- ``_world``: the simulated span, the state the stages pass on, argument checks;
- ``_common``: random draws, ids, columns and frame building;
- ``_organisation``: managers, teams, employment, successors (truths 1, 2) and
  the frame of :func:`truth`;
- ``_training``: courses and their effect on sales (truth 5);
- ``_clients``: clients, their value and CRM tiers (truth 3);
- ``_orders``: seasonality, crediting, orders and refunds (truths 2, 4-6);
- ``_feedback``: surveys and feedback (truth 7);
- ``_ratings``: true competencies, rater leniency and ratings (truth 8);
- ``_goals``: sales targets, team goals, revisions (truth 9);
- ``_opportunities``: the pipeline (truth 10);
- ``_files``: :func:`write_sample`, :func:`sample_dir` and :func:`load_sample`.

Every constant named above lives in the module of its concept and is
importable from :mod:`am_analytics.sample`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from ..schemas import COMPETENCIES
from ._clients import (
    CHURN_SHARE,
    CRM_TIER_SHARES,
    INDUSTRIES,
    INDUSTRY_SHARES,
    MEAN_CLIENT_AGE_YEARS,
    MEDIAN_ORDER_AMOUNT,
    NEW_CLIENT_SHARE,
    ORDER_AMOUNT_SIGMA,
    ORDER_RATE_SIGMA,
    ORDERS_PER_CLIENT_YEAR,
    OUT_OF_REGION_SHARE,
    RATE_AMOUNT_CORRELATION,
    SKILL_AMOUNT_LIFT,
    SKILL_RATE_LIFT,
    _clients_frame,
    _simulate_clients,
)
from ._feedback import (
    BACKLOG_DAYS,
    BACKLOG_SHARE,
    COMMENT_SHARE,
    COMPLAINT_SEVERITY_SHARES,
    CSAT_MODEL,
    CSAT_ONLY_SHARE,
    FEEDBACK_MODEL,
    NPS_MODEL,
    NPS_ONLY_SHARE,
    RESOLUTION_MEDIAN_HOURS,
    RESOLUTION_SERVICE_EFFECT,
    RESOLUTION_SIGMA,
    SLA_HOURS,
    SURVEY_SHARE,
    _feedback_frame,
    _surveys_frame,
)
from ._files import SAMPLE_AS_OF, load_sample, sample_dir, write_sample
from ._goals import (
    CSAT_GOAL_SHARE,
    CSAT_TARGETS,
    GOAL_GROWTH,
    GOAL_NOISE_SIGMA,
    MIN_SALES_TARGET,
    NEW_CLIENTS_GOAL_SHARE,
    REVISION_REASONS,
    REVISION_SHARE,
    TEAM_STRETCH_REASON,
    TEAM_TARGET_STRETCH,
    _goals_frame,
)
from ._opportunities import (
    DEAL_SIZE_ORDERS,
    DEAL_SIZE_SIGMA,
    OPEN_CLOSE_HORIZON_DAYS,
    OPEN_STAGES,
    OPPORTUNITIES_PER_CLIENT_YEAR,
    SALES_CYCLE_MEDIAN_DAYS,
    STAGE_PROBABILITIES,
    WIN_RATE,
    WIN_RATE_SKILL_SLOPE,
    _opportunities_frame,
)
from ._orders import (
    ANNUAL_GROWTH,
    CHANNEL_SHARES,
    CHANNELS,
    CNY_DATES,
    CNY_DIP,
    CNY_DIP_DAYS,
    CO_CREDIT_SHARE,
    FULL_REFUND_SHARE,
    ORDER_NOISE_SIGMA,
    PRODUCT_PRICES,
    PRODUCT_SHARES,
    PRODUCTS,
    QUARTER_END_DAYS,
    QUARTER_END_LIFT,
    REFUND_DELAY_DAYS,
    REFUND_SHARE,
    WEEKEND_FACTOR,
    _sales_frame,
    _simulate_orders,
)
from ._organisation import (
    LEAVER_SHARE,
    LEVEL_TENURE_YEARS,
    LEVELS,
    MEAN_TENURE_YEARS,
    NEW_HIRE_SHARE,
    ON_LEAVE_SHARE,
    SKILL_SERVICE_CORRELATION,
    TEAM_REGION_CYCLE,
    TEAM_SIZE,
    _managers_frame,
    _simulate_managers,
    _truth_frame,
)
from ._ratings import (
    CLIENT_RATING_SHARE,
    COMPETENCY_MODEL,
    COMPETENCY_NOISE,
    COMPETENCY_RANGE,
    PEER_RATERS,
    RATER_LENIENCY,
    RATING_NOISE,
    _ratings_frame,
)
from ._training import (
    COMPLETION_SHARE,
    COURSES,
    TRAINING_EFFECTS,
    TRAINING_UPTAKE,
    _simulate_training,
    _training_frame,
)
from ._world import MIN_SPAN_DAYS, _check_arguments

__all__ = [
    "ANNUAL_GROWTH",
    "BACKLOG_DAYS",
    "BACKLOG_SHARE",
    "CHANNELS",
    "CHANNEL_SHARES",
    "CHURN_SHARE",
    "CLIENT_RATING_SHARE",
    "CNY_DATES",
    "CNY_DIP",
    "CNY_DIP_DAYS",
    "COMMENT_SHARE",
    "COMPETENCIES",
    "COMPETENCY_MODEL",
    "COMPETENCY_NOISE",
    "COMPETENCY_RANGE",
    "COMPLAINT_SEVERITY_SHARES",
    "COMPLETION_SHARE",
    "COURSES",
    "CO_CREDIT_SHARE",
    "CRM_TIER_SHARES",
    "CSAT_GOAL_SHARE",
    "CSAT_MODEL",
    "CSAT_ONLY_SHARE",
    "CSAT_TARGETS",
    "DEAL_SIZE_ORDERS",
    "DEAL_SIZE_SIGMA",
    "FEEDBACK_MODEL",
    "FULL_REFUND_SHARE",
    "GOAL_GROWTH",
    "GOAL_NOISE_SIGMA",
    "INDUSTRIES",
    "INDUSTRY_SHARES",
    "LEAVER_SHARE",
    "LEVELS",
    "LEVEL_TENURE_YEARS",
    "MEAN_CLIENT_AGE_YEARS",
    "MEAN_TENURE_YEARS",
    "MEDIAN_ORDER_AMOUNT",
    "MIN_SALES_TARGET",
    "MIN_SPAN_DAYS",
    "NEW_CLIENTS_GOAL_SHARE",
    "NEW_CLIENT_SHARE",
    "NEW_HIRE_SHARE",
    "NPS_MODEL",
    "NPS_ONLY_SHARE",
    "ON_LEAVE_SHARE",
    "OPEN_CLOSE_HORIZON_DAYS",
    "OPEN_STAGES",
    "OPPORTUNITIES_PER_CLIENT_YEAR",
    "ORDERS_PER_CLIENT_YEAR",
    "ORDER_AMOUNT_SIGMA",
    "ORDER_NOISE_SIGMA",
    "ORDER_RATE_SIGMA",
    "OUT_OF_REGION_SHARE",
    "PEER_RATERS",
    "PRODUCTS",
    "PRODUCT_PRICES",
    "PRODUCT_SHARES",
    "QUARTER_END_DAYS",
    "QUARTER_END_LIFT",
    "RATER_LENIENCY",
    "RATE_AMOUNT_CORRELATION",
    "RATING_NOISE",
    "REFUND_DELAY_DAYS",
    "REFUND_SHARE",
    "RESOLUTION_MEDIAN_HOURS",
    "RESOLUTION_SERVICE_EFFECT",
    "RESOLUTION_SIGMA",
    "REVISION_REASONS",
    "REVISION_SHARE",
    "SALES_CYCLE_MEDIAN_DAYS",
    "SAMPLE_AS_OF",
    "SKILL_AMOUNT_LIFT",
    "SKILL_RATE_LIFT",
    "SKILL_SERVICE_CORRELATION",
    "SLA_HOURS",
    "STAGE_PROBABILITIES",
    "SURVEY_SHARE",
    "TEAM_REGION_CYCLE",
    "TEAM_SIZE",
    "TEAM_STRETCH_REASON",
    "TEAM_TARGET_STRETCH",
    "TRAINING_EFFECTS",
    "TRAINING_UPTAKE",
    "WEEKEND_FACTOR",
    "WIN_RATE",
    "WIN_RATE_SKILL_SLOPE",
    "generate",
    "load_sample",
    "sample_dir",
    "truth",
    "write_sample",
]

_STAGES: Final = (
    "managers", "training", "clients", "orders", "surveys", "feedback", "ratings", "goals",
    "opportunities",
)  # fmt: skip


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def generate(
    *,
    n_managers: int = 40,
    n_clients: int = 2000,
    start: str | pd.Timestamp = "2024-01-01",
    end: str | pd.Timestamp = "2026-11-15",
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Simulate a sales organisation and return its nine canonical tables.

    Parameters
    ----------
    n_managers
        Number of account managers (at least 5).
    n_clients
        Number of clients (at least ``n_managers``).
    start, end
        The simulated span; ``end`` is the as-of date (the quarter containing it
        is in progress). The span must cover at least :data:`MIN_SPAN_DAYS` days.
    seed
        Seed of :func:`numpy.random.default_rng`; same arguments, same frames.

    Returns
    -------
    dict of str to pandas.DataFrame
        One raw frame per table of :data:`am_analytics.schemas.TABLES`, with
        exactly the canonical columns in canonical order, sorted by key. Ids and
        texts are ``str`` (NaN where absent), dates ``datetime64[ns]``, money
        ``float64`` rounded to cents.

    Raises
    ------
    ConfigError
        If an argument is out of range or a date cannot be read.

    Notes
    -----
    The planted truths (Pareto client value, quarter-end peaks, the Chinese New
    Year dip, refunds, service-driven surveys and complaints, rater leniency,
    goal targets and the deliberate team-target mismatch, training effects) are
    described in the module docstring; :func:`truth` returns the latent
    per-manager values. The default arguments give about 20,000 sales rows;
    ``n_managers=5000, n_clients=1_000_000`` about ten million.

    Examples
    --------
    >>> from am_analytics.schemas import TABLES
    >>> frames = generate(n_managers=5, n_clients=50)
    >>> sorted(frames) == sorted(TABLES)
    True
    >>> list(frames["managers"].columns)
    ['manager_id', 'name', 'team', 'region', 'level', 'hire_date', 'status']
    >>> frames["sales"]["order_date"].max() <= pd.Timestamp("2026-11-15")
    True
    """
    span = _check_arguments(n_managers, n_clients, start, end, seed)
    rngs = dict(zip(_STAGES, np.random.default_rng(seed).spawn(len(_STAGES)), strict=True))
    managers = _simulate_managers(span, n_managers, rngs["managers"])
    training = _simulate_training(span, managers, rngs["training"])
    clients = _simulate_clients(span, managers, n_clients, rngs["clients"])
    orders = _simulate_orders(span, managers, clients, training, rngs["orders"])
    return {
        "managers": _managers_frame(span, managers),
        "clients": _clients_frame(span, managers, clients),
        "sales": _sales_frame(span, managers, clients, orders),
        "surveys": _surveys_frame(span, managers, clients, orders, rngs["surveys"]),
        "feedback": _feedback_frame(span, managers, clients, orders, rngs["feedback"]),
        "ratings": _ratings_frame(span, managers, clients, rngs["ratings"]),
        "goals": _goals_frame(span, managers, clients, orders, rngs["goals"]),
        "training": _training_frame(span, managers, training),
        "opportunities": _opportunities_frame(span, managers, clients, rngs["opportunities"]),
    }


def truth(
    *,
    n_managers: int = 40,
    n_clients: int = 2000,
    start: str | pd.Timestamp = "2024-01-01",
    end: str | pd.Timestamp = "2026-11-15",
    seed: int = 0,
) -> pd.DataFrame:
    """The latent per-manager values behind ``generate`` with the same arguments.

    Parameters
    ----------
    n_managers, n_clients, start, end, seed
        As for :func:`generate` (the truth does not depend on ``n_clients``).

    Returns
    -------
    pandas.DataFrame
        One row per manager, in ``manager_id`` order.

    Raises
    ------
    ConfigError
        If an argument is out of range or a date cannot be read.

    Notes
    -----
    Columns: ``manager_id``, ``team``, ``supervisor_id`` (the ``rater_id`` of the
    team's supervisor), ``status``, ``hire_date``, ``active_until`` (first day
    without activity, NaT if none), ``successor_id`` (the team-mate credited
    when the manager is absent), ``skill`` and ``service_quality`` (standard
    normal), one column per competency of :data:`COMPETENCIES` (true score on
    1..5), ``supervisor_leniency`` (of this manager's supervisor),
    ``peer_leniency`` (when this manager rates a team-mate), ``self_leniency``,
    and ``training_multiplier`` (the planted sales multiplier from the courses
    completed by ``end``).

    Examples
    --------
    >>> t = truth(n_managers=5, n_clients=50)
    >>> t.loc[0, "manager_id"], bool(t["training_multiplier"].ge(1).all())
    ('M0001', True)
    """
    span = _check_arguments(n_managers, n_clients, start, end, seed)
    rngs = dict(zip(_STAGES, np.random.default_rng(seed).spawn(len(_STAGES)), strict=True))
    managers = _simulate_managers(span, n_managers, rngs["managers"])
    training = _simulate_training(span, managers, rngs["training"])
    return _truth_frame(span, managers, training)
