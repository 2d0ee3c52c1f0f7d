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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError, InputFileError
from .schemas import (
    FEEDBACK_KINDS,
    MANAGER_STATUSES,
    OPPORTUNITY_STATUSES,
    OWNER_KINDS,
    RATER_ROLES,
    SEVERITIES,
    TABLES,
    TRAINING_CATEGORIES,
)

if TYPE_CHECKING:
    from .dataset import Dataset

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

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Int32Array = npt.NDArray[np.int32]
Int8Array = npt.NDArray[np.int8]
#: Any integer array (positions, codes) a helper only reads.
Codes = npt.NDArray[np.integer[Any]]

# ---------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------

#: Managers per team (the number of teams is ``round(n_managers / TEAM_SIZE)``).
TEAM_SIZE: Final = 8
#: The region of team 0, 1, 2, ... (repeating); names are region + 组, with a
#: Chinese ordinal when a region has several teams.
TEAM_REGION_CYCLE: Final = (
    "华东", "华东", "华北", "华南", "西南", "华中", "华北", "华南", "西北", "东北", "华东", "西南",
)  # fmt: skip
#: Manager levels, junior to senior.
LEVELS: Final = ("客户经理", "高级客户经理", "资深客户经理", "客户总监")
#: Tenure (years, plus skill and noise) at which each next level starts.
LEVEL_TENURE_YEARS: Final = (3.0, 6.0, 10.0)
#: Share of managers hired during the span / who leave / on leave at the end.
NEW_HIRE_SHARE: Final = 0.10
LEAVER_SHARE: Final = 0.05
ON_LEAVE_SHARE: Final = 0.025
#: Correlation of the latent skill and service quality.
SKILL_SERVICE_CORRELATION: Final = 0.3
#: Mean tenure in years, at ``start``, of the managers hired before it.
MEAN_TENURE_YEARS: Final = 4.0

# ---------------------------------------------------------------------------
# Clients and orders
# ---------------------------------------------------------------------------

#: Client industries and their shares.
INDUSTRIES: Final = ("制造业", "零售", "金融", "医药", "物流", "互联网", "能源", "教育")
INDUSTRY_SHARES: Final = (0.22, 0.16, 0.10, 0.10, 0.12, 0.14, 0.08, 0.08)
#: Share of clients owned by a manager of another region than the client's.
OUT_OF_REGION_SHARE: Final = 0.08
#: Share of clients created during the span, and of clients that churn.
NEW_CLIENT_SHARE: Final = 0.25
CHURN_SHARE: Final = 0.20
#: Mean client tenure in years, at ``start``, of the clients created before it.
MEAN_CLIENT_AGE_YEARS: Final = 3.0
#: Mean orders per client and year at average intensity, and the lognormal
#: spread of client order rates and mean order amounts (the Pareto tail).
ORDERS_PER_CLIENT_YEAR: Final = 4.2
ORDER_RATE_SIGMA: Final = 0.9
MEDIAN_ORDER_AMOUNT: Final = 8000.0
ORDER_AMOUNT_SIGMA: Final = 0.85
RATE_AMOUNT_CORRELATION: Final = 0.6
#: Spread of a single order's amount around its client's mean.
ORDER_NOISE_SIGMA: Final = 0.5
#: Shares of CRM tiers A, B, C by a noisy client value score.
CRM_TIER_SHARES: Final = MappingProxyType({"A": 0.15, "B": 0.35, "C": 0.50})
#: Growth of order intensity per year.
ANNUAL_GROWTH: Final = 0.12
#: Quarter-end push: the last QUARTER_END_DAYS days of a quarter have this lift.
QUARTER_END_DAYS: Final = 21
QUARTER_END_LIFT: Final = 1.8
#: Chinese New Year (春节) by year; other years fall back to 1 February.
CNY_DATES: Final = MappingProxyType({
    2010: "2010-02-14", 2011: "2011-02-03", 2012: "2012-01-23", 2013: "2013-02-10",
    2014: "2014-01-31", 2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28",
    2018: "2018-02-16", 2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12",
    2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
    2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03", 2031: "2031-01-23", 2032: "2032-02-11", 2033: "2033-01-31",
    2034: "2034-02-19", 2035: "2035-02-08",
})  # fmt: skip
#: The holiday dip: from CNY_DIP_DAYS[0] to CNY_DIP_DAYS[1] (exclusive) days
#: after Chinese New Year the intensity is multiplied by CNY_DIP.
CNY_DIP_DAYS: Final = (-3, 14)
CNY_DIP: Final = 0.35
#: B2B orders are rare on weekends.
WEEKEND_FACTOR: Final = 0.3
#: Log lift per standard deviation of skill on order rates and amounts.
SKILL_RATE_LIFT: Final = 0.20
SKILL_AMOUNT_LIFT: Final = 0.15
#: Share of orders credited to the owner's successor although the owner works.
CO_CREDIT_SHARE: Final = 0.03
#: Products with their shares and relative prices.
PRODUCTS: Final = (
    "企业云服务",
    "数据分析平台",
    "智能客服系统",
    "供应链管理软件",
    "安全合规套件",
    "实施与咨询服务",
)
PRODUCT_SHARES: Final = (0.25, 0.20, 0.15, 0.15, 0.10, 0.15)
PRODUCT_PRICES: Final = (1.0, 1.4, 0.8, 1.2, 0.7, 0.6)
#: Sales channels and their shares.
CHANNELS: Final = ("线下拜访", "电话", "线上商城", "渠道伙伴")
CHANNEL_SHARES: Final = (0.40, 0.20, 0.25, 0.15)
#: Share of orders refunded, mean refund delay (days), share of full refunds.
REFUND_SHARE: Final = 0.025
REFUND_DELAY_DAYS: Final = 20.0
FULL_REFUND_SHARE: Final = 0.4

# ---------------------------------------------------------------------------
# Surveys and feedback
# ---------------------------------------------------------------------------

#: Share of orders followed by a satisfaction survey.
SURVEY_SHARE: Final = 0.12
#: Shares of responses with only a CSAT and only an NPS.
CSAT_ONLY_SHARE: Final = 0.12
NPS_ONLY_SHARE: Final = 0.10
#: Share of responses with a free-text comment.
COMMENT_SHARE: Final = 0.35
#: (base, per service-quality sd, shared noise sd, own noise sd) before rounding.
CSAT_MODEL: Final = (4.0, 0.45, 0.5, 0.4)
NPS_MODEL: Final = (7.6, 1.1, 1.0, 0.9)
#: Feedback per order: (base rate, log change per service-quality sd).
FEEDBACK_MODEL: Final = MappingProxyType(
    {
        "complaint": (0.04, -0.6),
        "suggestion": (0.015, 0.0),
        "praise": (0.012, 0.5),
    }
)
#: Severity shares of complaints.
COMPLAINT_SEVERITY_SHARES: Final = MappingProxyType({"low": 0.5, "medium": 0.35, "high": 0.15})
#: Resolution SLAs and the median resolution hours per severity (suggestions
#: are low severity, praise has none).
SLA_HOURS: Final = MappingProxyType({"high": 24.0, "medium": 72.0, "low": 168.0})
RESOLUTION_MEDIAN_HOURS: Final = MappingProxyType(
    {"high": 8.0, "medium": 30.0, "low": 80.0, "praise": 6.0}
)
#: Lognormal spread of resolution times.
RESOLUTION_SIGMA: Final = 0.9
#: Log change of resolution time per service-quality sd.
RESOLUTION_SERVICE_EFFECT: Final = -0.3
#: Feedback opened in the last BACKLOG_DAYS days stays open with this chance
#: (besides feedback whose resolution falls after ``end``).
BACKLOG_DAYS: Final = 30
BACKLOG_SHARE: Final = 0.3

# ---------------------------------------------------------------------------
# Ratings
# ---------------------------------------------------------------------------

#: The rated competencies (``ratings.competency``).
COMPETENCIES: Final = (
    "communication", "problem_solving", "teamwork", "product_knowledge", "client_focus",
)  # fmt: skip
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

# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

#: Multiplicative lift of the credited manager's order amounts from the day
#: after completing a course of the category (compounding over categories).
TRAINING_EFFECTS: Final = MappingProxyType(
    {
        "sales_skills": 0.15,
        "product_knowledge": 0.08,
        "market_analysis": 0.05,
        "compliance": 0.0,
    }
)
#: Share of managers taking one course of each category during the span.
TRAINING_UPTAKE: Final = MappingProxyType(
    {
        "sales_skills": 0.45,
        "product_knowledge": 0.50,
        "market_analysis": 0.35,
        "compliance": 0.60,
    }
)
#: Share of training records completed (an uncompleted course has no effect).
COMPLETION_SHARE: Final = 0.9
#: The course catalogue: (course_id, category, days from start to end date, hours).
COURSES: Final = (
    ("TR-SS-01", "sales_skills", 2, 16.0),
    ("TR-SS-02", "sales_skills", 3, 24.0),
    ("TR-PK-01", "product_knowledge", 1, 8.0),
    ("TR-PK-02", "product_knowledge", 2, 12.0),
    ("TR-MA-01", "market_analysis", 2, 14.0),
    ("TR-MA-02", "market_analysis", 5, 32.0),
    ("TR-CP-01", "compliance", 1, 4.0),
    ("TR-CP-02", "compliance", 1, 6.0),
)

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

# ---------------------------------------------------------------------------
# Texts and names
# ---------------------------------------------------------------------------

_SURNAMES: Final = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞"
)
_GIVEN_NAMES: Final = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "婷", "浩", "宇", "鑫", "凯", "琳", "斌", "晶", "颖", "鹏",
    "欣怡", "子涵", "梓萱", "一鸣", "俊杰", "思远", "嘉怡", "晓东", "海燕", "建国", "志强",
    "文博", "雨桐", "佳琪", "浩然", "天宇", "晨曦", "丽华", "国强", "秀英", "桂兰", "明辉",
    "雪梅", "建华", "婉婷", "子轩", "诗雨", "俊辉", "少华", "美玲",
)  # fmt: skip
_REGION_CITIES: Final = {
    "华东": ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门"),
    "华北": ("北京", "天津", "石家庄", "太原", "呼和浩特", "唐山"),
    "华南": ("广州", "深圳", "东莞", "佛山", "南宁", "海口"),
    "西南": ("成都", "重庆", "昆明", "贵阳", "绵阳"),
    "华中": ("武汉", "长沙", "郑州", "南昌", "宜昌"),
    "西北": ("西安", "兰州", "银川", "西宁", "乌鲁木齐"),
    "东北": ("沈阳", "大连", "长春", "哈尔滨"),
}
_COMPANY_WORDS: Final = (
    "华信", "恒通", "盛达", "鼎盛", "宏远", "瑞丰", "金桥", "天成", "博源", "新锐",
    "中联", "永泰", "嘉禾", "安泰", "兴业", "德润", "远航", "正源", "同创", "海纳",
    "明德", "卓越", "众诚", "联创", "广通", "东方", "银河", "鸿运", "泰和", "启明",
    "星辰", "九州", "凯旋", "锦程", "万通", "信达", "华瑞", "润泽", "恒升", "立新",
)  # fmt: skip
_INDUSTRY_WORDS: Final = {
    "制造业": ("机械", "精密制造", "装备"),
    "零售": ("商贸", "百货", "零售"),
    "金融": ("投资", "金融服务", "资产管理"),
    "医药": ("医药", "生物科技", "医疗器械"),
    "物流": ("物流", "供应链", "运输"),
    "互联网": ("网络科技", "信息技术", "科技"),
    "能源": ("能源", "新能源", "电力"),
    "教育": ("教育科技", "文化传播", "教育咨询"),
}
_COMPANY_SUFFIXES: Final = ("有限公司", "股份有限公司", "集团有限公司")
_COMPANY_SUFFIX_SHARES: Final = (0.7, 0.25, 0.05)
_SURVEY_COMMENTS: Final = (
    (
        "响应太慢，问题迟迟没有解决",
        "售后服务不到位",
        "报价反复变动，体验较差",
        "联系客户经理很困难",
    ),
    ("整体还可以，希望响应再快一些", "产品不错，价格偏高", "沟通基本顺畅"),
    (
        "服务很专业，响应及时",
        "客户经理很负责，沟通顺畅",
        "方案贴合需求，非常满意",
        "交付准时，体验很好",
    ),
)
#: Feedback summaries for complaint low/medium/high, suggestion and praise.
_FEEDBACK_SUMMARIES: Final = (
    ("报价单格式有误", "客户经理电话未接通", "培训资料不完整"),
    ("问题响应不及时", "产品功能与宣传不符", "售后处理进度缓慢"),
    ("系统故障导致业务中断", "发货严重延误，影响生产", "合同金额开票错误，影响结算"),
    (
        "希望增加线上培训课程",
        "建议优化报价审批流程",
        "希望定期提供业务回顾报告",
        "建议开放数据导出接口",
    ),
    ("客户经理响应迅速，服务专业", "问题解决及时，非常满意", "方案设计有针对性，感谢支持"),
)
_CHINESE_DIGITS: Final = "一二三四五六七八九"

#: Days the generated span must at least cover.
MIN_SPAN_DAYS: Final = 180
_MIN_DATE: Final = pd.Timestamp("1990-01-01")
_NEVER: Final = 10**7  # a day index meaning "not in this simulation"
_DAY_NS: Final = 86_400 * 10**9
_MINUTE_NS: Final = 60 * 10**9
_STAGES: Final = (
    "managers", "training", "clients", "orders", "surveys", "feedback", "ratings", "goals",
    "opportunities",
)  # fmt: skip
_LEFT: Final = MANAGER_STATUSES.index("left")
_ON_LEAVE: Final = MANAGER_STATUSES.index("on_leave")


# ---------------------------------------------------------------------------
# The simulated world
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    """The simulated period: days are counted from ``start`` (day 0) to ``end``."""

    start: pd.Timestamp
    end: pd.Timestamp
    n_days: int
    quarters: pd.PeriodIndex
    quarter_first: IntArray  # day of each quarter's first day (may be < 0)
    quarter_last: IntArray  # day of each quarter's last day (may be >= n_days)

    @property
    def last_day(self) -> int:
        """The day index of ``end``."""
        return self.n_days - 1

    @property
    def first_day(self) -> int:
        """The day index of the earliest plausible date (1990-01-01)."""
        return (_MIN_DATE - self.start).days


@dataclass(frozen=True, slots=True)
class _Managers:
    """Latent and observed per-manager arrays."""

    ids: Any  # pyarrow string array
    name: Any  # pyarrow string array
    team: IntArray
    team_names: tuple[str, ...]
    team_regions: tuple[str, ...]
    hire_day: IntArray
    inactive_day: IntArray  # first day without activity; _NEVER if none
    status: IntArray
    level: IntArray
    skill: FloatArray
    service: FloatArray
    successor: IntArray
    competence: FloatArray  # (manager, competency)
    peer_leniency: FloatArray
    self_leniency: FloatArray
    supervisor_leniency: FloatArray  # per team

    @property
    def n(self) -> int:
        """The number of managers."""
        return int(self.team.size)

    @property
    def region(self) -> npt.NDArray[np.object_]:
        """Each manager's region."""
        return np.asarray(self.team_regions, dtype=object)[self.team]


@dataclass(frozen=True, slots=True)
class _Training:
    """One row per training record, ordered by start day."""

    manager: IntArray
    course: IntArray
    start_day: IntArray
    end_day: IntArray
    completed: BoolArray
    score: FloatArray


@dataclass(frozen=True, slots=True)
class _Clients:
    """Per-client arrays."""

    ids: Any  # pyarrow string array
    region: IntArray
    industry: IntArray
    owner: IntArray  # the manager the client was assigned to
    current_owner: IntArray  # clients.manager_id: a leaver's clients go to the successor
    created_day: IntArray
    first_day: IntArray  # first day the client may order (inclusive)
    stop_day: IntArray  # day the client stops ordering (exclusive)
    rate: FloatArray  # orders per year at average intensity
    mean_amount: FloatArray
    tier: IntArray
    name: Any  # pyarrow string array


@dataclass(frozen=True, slots=True)
class _Orders:
    """Sales rows (orders and refunds), in order-id order; narrow ints to save memory."""

    client: Int32Array
    manager: Int32Array
    day: Int32Array
    amount: FloatArray
    product: Int8Array
    channel: Int8Array


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


#: The as-of date of the committed sample (``generate()``'s default ``end``).
SAMPLE_AS_OF: Final = "2026-11-15"


def sample_dir() -> Path:
    """The folder holding the committed sample dataset, ``generate(seed=0)`` as CSV.

    It is ``data/sample`` of the source tree, installed inside the package.

    Examples
    --------
    >>> sorted(p.name for p in sample_dir().glob("*.csv"))[:3]
    ['clients.csv', 'feedback.csv', 'goals.csv']
    """
    here = Path(__file__).resolve()
    for folder in (here.parent / "_sample_data", here.parents[2] / "data" / "sample"):
        if (folder / "sales.csv").is_file():
            return folder
    raise InputFileError(
        "the sample data is not installed with this copy of am_analytics; "
        "write one with `am-analytics sample --out DIR` and load that folder",
        source="data/sample",
    )


def load_sample(**options: Any) -> Dataset:
    """Load the committed sample organisation (40 managers, 2,000 clients, 2024-01 to 2026-11).

    Parameters
    ----------
    **options
        Passed to :func:`am_analytics.load` (``on_orphans``, ``rules``).

    Examples
    --------
    >>> data = load_sample()
    >>> len(data.managers), len(data.clients), data.as_of.date()
    (40, 2000, datetime.date(2026, 11, 15))
    """
    from .dataset import load

    return load(sample_dir(), as_of=SAMPLE_AS_OF, **options)


def write_sample(
    frames: dict[str, pd.DataFrame], out_dir: str | Path, *, format: str = "csv"
) -> list[Path]:
    """Write one file per table into ``out_dir``.

    Parameters
    ----------
    frames
        Tables by name, as returned by :func:`generate`.
    out_dir
        The folder; created when missing.
    format
        ``"csv"`` (UTF-8, no index; dates ``YYYY-MM-DD``, datetimes with a time
        of day ``YYYY-MM-DD HH:MM:SS``, floats written so they read back
        identical) or ``"parquet"``.

    Returns
    -------
    list of pathlib.Path
        The files written, in table order.

    Raises
    ------
    ConfigError
        If ``format`` is not ``"csv"`` or ``"parquet"``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_sample(generate(n_managers=5, n_clients=50), folder)
    ...     [path.name for path in paths][:3]
    ['managers.csv', 'clients.csv', 'sales.csv']
    """
    if format not in ("csv", "parquet"):
        raise ConfigError(f"unknown sample format {format!r}; use 'csv' or 'parquet'")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = [name for name in TABLES if name in frames]
    names += [name for name in frames if name not in TABLES]
    paths = []
    for name in names:
        path = folder / f"{name}.{format}"
        if format == "csv":
            _csv_ready(frames[name]).to_csv(path, index=False, date_format="%Y-%m-%d")
        else:
            frames[name].to_parquet(path, index=False)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------
# Arguments and shared helpers
# ---------------------------------------------------------------------------


def _check_arguments(
    n_managers: object, n_clients: object, start: object, end: object, seed: object
) -> _Span:
    """Validate the arguments of ``generate`` and describe the span."""
    for name, value, low in (("n_managers", n_managers, 5), ("seed", seed, 0)):
        if not _is_int(value) or value < low:  # type: ignore[operator]
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    if not _is_int(n_clients) or n_clients < n_managers:  # type: ignore[operator]
        raise ConfigError(
            f"n_clients must be an integer >= n_managers ({n_managers}), got {n_clients!r}"
        )
    first, last = _parse_date("start", start), _parse_date("end", end)
    if first < _MIN_DATE:
        raise ConfigError(f"start must be on or after {_MIN_DATE.date()}, got {first.date()}")
    if not first < last:
        raise ConfigError(f"start ({first.date()}) must be before end ({last.date()})")
    if (last - first).days < MIN_SPAN_DAYS:
        raise ConfigError(
            f"the span from {first.date()} to {last.date()} is shorter than {MIN_SPAN_DAYS} "
            "days; choose an earlier start or a later end"
        )
    quarters = pd.period_range(first, last, freq="Q")
    return _Span(
        start=first,
        end=last,
        n_days=(last - first).days + 1,
        quarters=quarters,
        quarter_first=np.asarray((quarters.start_time - first).days, dtype=np.int64),
        quarter_last=np.asarray((quarters.end_time.normalize() - first).days, dtype=np.int64),
    )


def _is_int(value: object) -> bool:
    """Whether ``value`` is an integer (and not a bool)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _parse_date(name: str, value: object) -> pd.Timestamp:
    """Read a date argument as a midnight Timestamp or raise ConfigError."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{name} must be a date like '2024-01-01', got {value!r}: {exc}"
        ) from None
    if pd.isna(stamp):
        raise ConfigError(f"{name} must be a date like '2024-01-01', got {value!r}")
    return pd.Timestamp(stamp.date())


def _uniform_days(rng: np.random.Generator, low: IntArray, high: IntArray) -> IntArray:
    """A uniform day in ``[low, high)`` per element (``low`` where the range is empty)."""
    width = np.maximum(high - low, 1)
    return low + np.floor(rng.random(low.size) * width).astype(np.int64)


def _pick_within(rng: np.random.Generator, first: IntArray, count: IntArray) -> IntArray:
    """A uniform position in ``[first, first + count)`` per element (count >= 1)."""
    return first + np.minimum(np.floor(rng.random(first.size) * count), count - 1).astype(np.int64)


def _choice(rng: np.random.Generator, shares: Sequence[float], size: int) -> IntArray:
    """Indices drawn with the given (normalised) shares."""
    weights = np.asarray(shares, dtype=np.float64)
    cumulative = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cumulative, rng.random(size), side="right"), len(shares) - 1)


def _group_starts(keys: IntArray, n_groups: int) -> tuple[IntArray, IntArray, IntArray]:
    """Order of ``keys`` grouped by value, with each group's first position and size."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n_groups).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return order, first, counts


def _id_width(count: int, minimum: int) -> int:
    """Digits of zero-padded ids so that ``count`` ids sort as strings."""
    return max(minimum, len(str(max(count, 1))))


def _fixed_width_ids(prefix: str, numbers: Codes, width: int) -> Any:
    """Arrow strings ``prefix`` + zero-padded ``numbers``, built digit by digit in numpy."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = head.size + width
    chars = np.empty((numbers.size, size), dtype=np.uint8)
    chars[:, : head.size] = head
    rest: npt.NDArray[np.unsignedinteger[Any]] = numbers.astype(
        np.uint32 if width <= 9 else np.uint64
    )
    for place in range(size - 1, head.size - 1, -1):  # a loop over digit places, not rows
        quotient = rest // 10
        chars[:, place] = rest - quotient * 10 + ord("0")
        rest = quotient
    offsets = np.arange(0, (numbers.size + 1) * size, size, dtype=np.int64)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))]
    return pa.Array.from_buffers(pa.large_string(), int(numbers.size), buffers)


def _sequential_ids(prefix: str, count: int, minimum_width: int) -> Any:
    """Ids ``prefix`` + 1..count, zero-padded so they sort as strings."""
    numbers = np.arange(1, count + 1, dtype=np.int64)
    return _fixed_width_ids(prefix, numbers, _id_width(count, minimum_width))


def _vocabulary(values: Any) -> Any:
    """``values`` (an Arrow array or a sequence of str) as an Arrow string array."""
    if isinstance(values, pa.Array):
        return values
    return pa.array(list(values), type=pa.large_string())


def _strings(values: Any, index: Codes, *, missing: BoolArray | None = None) -> pd.Series:
    """A ``str`` column of ``values[index]`` (NaN where ``missing``)."""
    taken = _vocabulary(values).take(pa.array(index, mask=missing))
    return pd.Series(taken, dtype="str")


def _joined(*parts: tuple[Any, Codes]) -> Any:
    """Arrow strings made by concatenating ``vocabulary[codes]`` of each part."""
    taken = [_vocabulary(values).take(pa.array(codes)) for values, codes in parts]
    return pc.binary_join_element_wise(*taken, pa.scalar("", type=pa.large_string()))


def _dates(span: _Span, days: Codes, *, missing: BoolArray | None = None) -> pd.Series:
    """Midnight ``datetime64[ns]`` values of day indices (NaT where ``missing``)."""
    values = days.astype(np.int64) * _DAY_NS + span.start.value
    stamps = values.astype("datetime64[ns]")
    if missing is not None:
        stamps[missing] = np.datetime64("NaT")
    return pd.Series(stamps)


def _minutes(span: _Span, minutes: Codes, *, missing: BoolArray | None = None) -> pd.Series:
    """``datetime64[ns]`` values of minutes counted from ``start`` (NaT where ``missing``)."""
    stamps = (minutes.astype(np.int64) * _MINUTE_NS + span.start.value).astype("datetime64[ns]")
    if missing is not None:
        stamps[missing] = np.datetime64("NaT")
    return pd.Series(stamps)


def _frame(columns: dict[str, pd.Series | npt.NDArray[Any]]) -> pd.DataFrame:
    """A frame from equally long columns, with a fresh RangeIndex."""
    return pd.DataFrame(
        {
            name: value.reset_index(drop=True) if isinstance(value, pd.Series) else value
            for name, value in columns.items()
        }
    )


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with datetime columns that carry a time of day formatted as text."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_datetime64_any_dtype(values):
            continue
        if (values.notna() & (values.dt.normalize() != values)).any():
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S")
    return out


# ---------------------------------------------------------------------------
# Managers
# ---------------------------------------------------------------------------


def _simulate_managers(span: _Span, n: int, rng: np.random.Generator) -> _Managers:
    """Teams, tenure, status, latent skill and service quality of ``n`` managers."""
    n_teams = max(1, round(n / TEAM_SIZE))
    team = (np.arange(n, dtype=np.int64) * n_teams) // n
    regions = tuple(TEAM_REGION_CYCLE[index % len(TEAM_REGION_CYCLE)] for index in range(n_teams))
    hire_day, inactive_day, status = _employment(span, team, rng)
    skill = rng.standard_normal(n)
    rho = SKILL_SERVICE_CORRELATION
    service = rho * skill + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    tenure = (span.last_day - hire_day) / 365.25 + skill + rng.normal(0.0, 1.5, n)
    names = _joined(
        (_SURNAMES, rng.integers(0, len(_SURNAMES), n)),
        (_GIVEN_NAMES, rng.integers(0, len(_GIVEN_NAMES), n)),
    )
    stable = (hire_day <= 0) & (inactive_day == _NEVER)
    return _Managers(
        ids=_sequential_ids("M", n, 4),
        name=names,
        team=team,
        team_names=_team_names(regions),
        team_regions=regions,
        hire_day=hire_day,
        inactive_day=inactive_day,
        status=status,
        level=np.searchsorted(np.asarray(LEVEL_TENURE_YEARS), tenure, side="right"),
        skill=skill,
        service=service,
        successor=_successors(team, stable, n_teams, rng),
        competence=_true_competence(skill, service, rng),
        peer_leniency=rng.normal(*RATER_LENIENCY["peer"], n),
        self_leniency=rng.normal(*RATER_LENIENCY["self"], n),
        supervisor_leniency=rng.normal(*RATER_LENIENCY["supervisor"], n_teams),
    )


def _team_names(regions: tuple[str, ...]) -> tuple[str, ...]:
    """华北组 for a region's only team, 华东一组, 华东二组, ... when it has several."""
    totals = {region: regions.count(region) for region in set(regions)}
    seen: dict[str, int] = {}
    names = []
    for region in regions:  # one iteration per team
        seen[region] = seen.get(region, 0) + 1
        ordinal = _chinese_ordinal(seen[region]) if totals[region] > 1 else ""
        names.append(f"{region}{ordinal}组")
    return tuple(names)


def _chinese_ordinal(number: int) -> str:
    """一 .. 九十九 for 1 .. 99, Arabic digits beyond."""
    if number >= 100:
        return str(number)
    tens, units = divmod(number, 10)
    unit = _CHINESE_DIGITS[units - 1] if units else ""
    if tens == 0:
        return unit
    return ("" if tens == 1 else _CHINESE_DIGITS[tens - 1]) + "十" + unit


def _employment(
    span: _Span, team: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Hire day, first inactive day and status; team founders (first members) stay."""
    n = team.size
    founder = np.r_[True, team[1:] != team[:-1]]
    others = rng.permutation(np.flatnonzero(~founder))
    n_new = min(max(1, round(NEW_HIRE_SHARE * n)), others.size)
    n_left = min(max(1, round(LEAVER_SHARE * n)), others.size - n_new)
    n_leave = min(round(ON_LEAVE_SHARE * n), others.size - n_new - n_left)
    new, left = others[:n_new], others[n_new : n_new + n_left]
    on_leave = others[n_new + n_left : n_new + n_left + n_leave]
    # Tenure before the span is exponential; nobody is hired before 1990.
    years = rng.exponential(MEAN_TENURE_YEARS, n) + 0.2
    earliest = span.first_day
    hire_day = np.maximum(-np.ceil(years * 365.25).astype(np.int64), earliest)
    current_first = int(span.quarter_first[-1])
    # New hires join early enough to hold a goal for the current quarter.
    low, high = min(60, span.n_days // 4), min(current_first, span.n_days - 90)
    hire_day[new] = _uniform_days(
        rng, np.full(new.size, low), np.full(new.size, max(high, low + 1))
    )
    inactive = np.full(n, _NEVER, dtype=np.int64)
    low_left = np.maximum(hire_day[left] + 60, int(0.3 * span.n_days))
    inactive[left] = _uniform_days(rng, low_left, np.full(left.size, span.n_days - 30))
    leave_low = min(current_first + 1, span.last_day)
    inactive[on_leave] = _uniform_days(
        rng, np.full(on_leave.size, leave_low), np.full(on_leave.size, span.n_days)
    )
    status = np.full(n, MANAGER_STATUSES.index("active"), dtype=np.int64)
    status[left] = _LEFT
    status[on_leave] = _ON_LEAVE
    return hire_day, inactive, status


def _successors(
    team: IntArray, stable: BoolArray, n_teams: int, rng: np.random.Generator
) -> IntArray:
    """A random team-mate employed over the whole span (self if there is no other)."""
    n = team.size
    stable_index = np.flatnonzero(stable)
    counts = np.bincount(team[stable_index], minlength=n_teams).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    own = np.full(n, -1, dtype=np.int64)
    own[stable_index] = np.arange(stable_index.size) - first[team[stable_index]]
    others = counts[team] - stable
    pick = np.floor(rng.random(n) * np.maximum(others, 1)).astype(np.int64)
    pick = np.where(stable & (pick >= own), pick + 1, pick)  # skip oneself
    pick = np.minimum(pick, counts[team] - 1)
    return np.where(others > 0, stable_index[first[team] + pick], np.arange(n))


def _true_competence(
    skill: FloatArray, service: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """True competency scores (manager x COMPETENCIES) from skill and service quality."""
    model = np.asarray([COMPETENCY_MODEL[name] for name in COMPETENCIES])
    latent = model[:, 0] + np.outer(skill, model[:, 1]) + np.outer(service, model[:, 2])
    latent += rng.normal(0.0, COMPETENCY_NOISE, latent.shape)
    return np.clip(latent, *COMPETENCY_RANGE)


def _managers_frame(span: _Span, managers: _Managers) -> pd.DataFrame:
    """The ``managers`` table."""
    n = managers.n
    index = np.arange(n)
    return _frame(
        {
            "manager_id": _strings(managers.ids, index),
            "name": pd.Series(managers.name, dtype="str"),
            "team": _strings(managers.team_names, managers.team),
            "region": _strings(managers.team_regions, managers.team),
            "level": _strings(LEVELS, managers.level),
            "hire_date": _dates(span, managers.hire_day),
            "status": _strings(MANAGER_STATUSES, managers.status),
        }
    )


def _supervisor_ids(n_teams: int) -> Any:
    """Rater ids ``S-1`` .. of the team supervisors, zero-padded to sort."""
    return _fixed_width_ids("S-", np.arange(1, n_teams + 1), len(str(n_teams)))


def _truth_frame(span: _Span, managers: _Managers, training: _Training) -> pd.DataFrame:
    """The per-manager truth frame (see :func:`truth`)."""
    index = np.arange(managers.n)
    effects = np.asarray([TRAINING_EFFECTS[COURSES[c][1]] for c in range(len(COURSES))])
    done = training.completed & (training.end_day < span.last_day)
    log_lift = np.bincount(
        training.manager[done], np.log1p(effects[training.course[done]]), minlength=managers.n
    )
    columns: dict[str, pd.Series | npt.NDArray[Any]] = {
        "manager_id": _strings(managers.ids, index),
        "team": _strings(managers.team_names, managers.team),
        "supervisor_id": _strings(_supervisor_ids(len(managers.team_names)), managers.team),
        "status": _strings(MANAGER_STATUSES, managers.status),
        "hire_date": _dates(span, managers.hire_day),
        "active_until": _dates(
            span,
            np.minimum(managers.inactive_day, span.n_days),
            missing=managers.inactive_day == _NEVER,
        ),
        "successor_id": _strings(managers.ids, managers.successor),
        "skill": managers.skill,
        "service_quality": managers.service,
    }
    for position, competency in enumerate(COMPETENCIES):
        columns[competency] = managers.competence[:, position]
    columns["supervisor_leniency"] = managers.supervisor_leniency[managers.team]
    columns["peer_leniency"] = managers.peer_leniency
    columns["self_leniency"] = managers.self_leniency
    columns["training_multiplier"] = np.exp(log_lift)
    return _frame(columns)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def _simulate_training(span: _Span, managers: _Managers, rng: np.random.Generator) -> _Training:
    """At most one course per manager and category, at a random date of employment."""
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    course_category = np.asarray([course[1] for course in COURSES])
    course_days = np.asarray([course[2] for course in COURSES], dtype=np.int64)
    low = np.maximum(managers.hire_day, 0) + 14
    high = np.minimum(managers.inactive_day, span.n_days) - 1 - int(course_days.max())
    for category in TRAINING_CATEGORIES:  # one iteration per category
        uptake = TRAINING_UPTAKE.get(category, 0.0)
        if uptake == 0.0:
            continue
        courses = np.flatnonzero(course_category == category)
        takes = np.flatnonzero((rng.random(managers.n) < uptake) & (high > low))
        course = courses[rng.integers(0, courses.size, takes.size)]
        start_day = _uniform_days(rng, low[takes], high[takes])
        parts.append((takes, course, start_day, start_day + course_days[course]))
    manager, course, start_day, end_day = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    order = np.lexsort((manager, start_day))
    completed = rng.random(order.size) < COMPLETION_SHARE
    score = np.round(
        np.clip(rng.normal(78.0, 8.0, order.size) + 4.0 * managers.skill[manager[order]], 0, 100), 1
    )
    return _Training(
        manager=manager[order],
        course=course[order],
        start_day=start_day[order],
        end_day=end_day[order],
        completed=completed,
        score=np.where(completed, score, np.nan),
    )


def _training_log_lift(
    span: _Span, managers: _Managers, training: _Training
) -> npt.NDArray[np.float32]:
    """Log sales multiplier of each manager on each day from completed courses."""
    effects = np.asarray([TRAINING_EFFECTS[course[1]] for course in COURSES])
    lift = np.zeros((managers.n, span.n_days), dtype=np.float32)
    # The effect starts the day after the course ends.
    day = training.end_day + 1
    done = training.completed & (day < span.n_days)
    np.add.at(lift, (training.manager[done], day[done]), np.log1p(effects[training.course[done]]))
    return np.cumsum(lift, axis=1, out=lift)


def _training_frame(span: _Span, managers: _Managers, training: _Training) -> pd.DataFrame:
    """The ``training`` table."""
    n = training.manager.size
    return _frame(
        {
            "record_id": pd.Series(_sequential_ids("TRN", n, 5), dtype="str"),
            "manager_id": _strings(managers.ids, training.manager),
            "course_id": _strings([course[0] for course in COURSES], training.course),
            "category": _strings([course[1] for course in COURSES], training.course),
            "start_date": _dates(span, training.start_day),
            "end_date": _dates(span, training.end_day),
            "hours": np.asarray([course[3] for course in COURSES])[training.course],
            "completed": training.completed.astype(bool),
            "assessment_score": training.score,
        }
    )


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------


def _simulate_clients(
    span: _Span, managers: _Managers, n: int, rng: np.random.Generator
) -> _Clients:
    """Regions, owners, life spans and the Pareto-tailed value of ``n`` clients."""
    region_names = tuple(dict.fromkeys(managers.team_regions))
    manager_region = np.asarray([region_names.index(r) for r in managers.team_regions])[
        managers.team
    ]
    region_weights = np.bincount(manager_region, minlength=len(region_names))
    region = _choice(rng, region_weights.tolist(), n)
    owner = _assign_owners(region, manager_region, len(region_names), rng)
    created_day, first_day, stop_day = _client_life(span, n, rng)
    # A client created after its manager left starts with the successor.
    owner = np.where(created_day >= managers.inactive_day[owner], managers.successor[owner], owner)
    current_owner = np.where(managers.status[owner] == _LEFT, managers.successor[owner], owner)
    rate_z = rng.standard_normal(n)
    rho = RATE_AMOUNT_CORRELATION
    amount_z = rho * rate_z + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    rate = ORDERS_PER_CLIENT_YEAR * np.exp(
        ORDER_RATE_SIGMA * rate_z
        - ORDER_RATE_SIGMA**2 / 2
        + SKILL_RATE_LIFT * managers.skill[owner]
    )
    mean_amount = MEDIAN_ORDER_AMOUNT * np.exp(ORDER_AMOUNT_SIGMA * amount_z)
    industry = _choice(rng, INDUSTRY_SHARES, n)
    return _Clients(
        ids=_sequential_ids("C", n, 6),
        region=region,
        industry=industry,
        owner=owner,
        current_owner=current_owner,
        created_day=created_day,
        first_day=first_day,
        stop_day=stop_day,
        rate=rate,
        mean_amount=mean_amount,
        tier=_crm_tiers(np.log(rate * mean_amount), rng),
        name=_company_names(region, industry, region_names, rng),
    )


def _assign_owners(
    region: IntArray, manager_region: IntArray, n_regions: int, rng: np.random.Generator
) -> IntArray:
    """An owner per client: a manager of the client's region, sometimes any manager."""
    order, first, counts = _group_starts(manager_region, n_regions)
    local = order[_pick_within(rng, first[region], counts[region])]
    anyone = rng.integers(0, manager_region.size, region.size)
    return np.where(rng.random(region.size) < OUT_OF_REGION_SHARE, anyone, local)


def _client_life(
    span: _Span, n: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Created day, first possible order day and churn (stop) day of each client."""
    years = rng.exponential(MEAN_CLIENT_AGE_YEARS, n) + 0.05
    earliest = span.first_day
    created = np.maximum(-np.ceil(years * 365.25).astype(np.int64), earliest)
    new = rng.random(n) < NEW_CLIENT_SHARE
    created[new] = rng.integers(0, span.n_days - 30, int(new.sum()))
    first_day = np.maximum(created, 0)
    churn_low = first_day + 90
    churns = (rng.random(n) < CHURN_SHARE) & (churn_low < span.n_days)
    stop_day = np.full(n, span.n_days, dtype=np.int64)
    stop_day[churns] = _uniform_days(
        rng, churn_low[churns], np.full(int(churns.sum()), span.n_days)
    )
    return created, first_day, stop_day


def _crm_tiers(log_value: FloatArray, rng: np.random.Generator) -> IntArray:
    """CRM tier index (A, B, C) from a noisy rank of client value."""
    noisy = log_value + rng.normal(0.0, 0.7, log_value.size)
    rank = np.argsort(np.argsort(-noisy)) / max(log_value.size, 1)
    cutoffs = np.cumsum(list(CRM_TIER_SHARES.values()))[:-1]
    return np.searchsorted(cutoffs, rank, side="right")


def _company_names(
    region: IntArray, industry: IntArray, region_names: tuple[str, ...], rng: np.random.Generator
) -> Any:
    """Names like 上海华信科技有限公司: city + word + industry word + suffix."""
    n = region.size
    cities = [_REGION_CITIES[name] for name in region_names]
    sizes = np.asarray([len(group) for group in cities], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    trade_words = [word for name in INDUSTRIES for word in _INDUSTRY_WORDS[name]]
    return _joined(
        (
            [city for group in cities for city in group],
            _pick_within(rng, offsets[region], sizes[region]),
        ),
        (_COMPANY_WORDS, rng.integers(0, len(_COMPANY_WORDS), n)),
        (trade_words, industry * 3 + rng.integers(0, 3, n)),
        (_COMPANY_SUFFIXES, _choice(rng, _COMPANY_SUFFIX_SHARES, n)),
    )


def _clients_frame(span: _Span, managers: _Managers, clients: _Clients) -> pd.DataFrame:
    """The ``clients`` table."""
    region_names = tuple(dict.fromkeys(managers.team_regions))
    return _frame(
        {
            "client_id": pd.Series(clients.ids, dtype="str"),
            "manager_id": _strings(managers.ids, clients.current_owner),
            "name": pd.Series(clients.name, dtype="str"),
            "industry": _strings(INDUSTRIES, clients.industry),
            "region": _strings(region_names, clients.region),
            "created_date": _dates(span, clients.created_day),
            "crm_tier": _strings(tuple(CRM_TIER_SHARES), clients.tier),
        }
    )


# ---------------------------------------------------------------------------
# Orders and refunds
# ---------------------------------------------------------------------------


def _order_intensity(span: _Span) -> FloatArray:
    """Relative daily order intensity (mean 1): growth, quarter ends, CNY, weekends."""
    dates = pd.date_range(span.start, span.end, freq="D")
    years = np.arange(span.n_days) / 365.25
    intensity = (1 + ANNUAL_GROWTH) ** (years - years.mean())
    quarter_end = dates.to_period("Q").end_time.normalize()
    days_left = np.asarray((quarter_end - dates).days)
    intensity *= np.where(days_left < QUARTER_END_DAYS, QUARTER_END_LIFT, 1.0)
    intensity *= np.where(np.asarray(dates.day_of_week) >= 5, WEEKEND_FACTOR, 1.0)
    for year in range(span.start.year, span.end.year + 1):  # one iteration per year
        new_year = pd.Timestamp(CNY_DATES.get(year, f"{year}-02-01"))
        low = new_year + pd.Timedelta(days=CNY_DIP_DAYS[0])
        high = new_year + pd.Timedelta(days=CNY_DIP_DAYS[1])
        intensity *= np.where((dates >= low) & (dates < high), CNY_DIP, 1.0)
    return intensity / intensity.mean()


def _credited(managers: _Managers, owner: Codes, day: Codes, rng: np.random.Generator) -> IntArray:
    """The manager credited on ``day``: the owner when employed, else the successor."""
    employed = (day >= managers.hire_day[owner]) & (day < managers.inactive_day[owner])
    joint = rng.random(owner.size) < CO_CREDIT_SHARE
    return np.where(employed & ~joint, owner, managers.successor[owner])


def _simulate_orders(
    span: _Span,
    managers: _Managers,
    clients: _Clients,
    training: _Training,
    rng: np.random.Generator,
) -> _Orders:
    """Poisson orders per client over its life in date order, with refunds merged in."""
    client, day = _order_days(span, clients, rng)
    manager = _credited(managers, clients.owner[client], day, rng).astype(np.int32)
    product = _choice(rng, PRODUCT_SHARES, client.size).astype(np.int8)
    prices = np.asarray(PRODUCT_PRICES) / np.dot(PRODUCT_SHARES, PRODUCT_PRICES)
    amount = rng.lognormal(-(ORDER_NOISE_SIGMA**2) / 2, ORDER_NOISE_SIGMA, client.size)
    amount *= clients.mean_amount[client]
    amount *= prices[product]
    log_lift = _training_log_lift(span, managers, training)[manager, day]
    log_lift += (SKILL_AMOUNT_LIFT * managers.skill).astype(np.float32)[manager]
    amount *= np.exp(log_lift, dtype=np.float64)
    orders = _Orders(
        client=client,
        manager=manager,
        day=day,
        amount=np.maximum(np.round(amount, 2), 1.0),
        product=product,
        channel=_choice(rng, CHANNEL_SHARES, client.size).astype(np.int8),
    )
    return _with_refunds(span, managers, clients, orders, rng)


def _order_days(
    span: _Span, clients: _Clients, rng: np.random.Generator
) -> tuple[Int32Array, Int32Array]:
    """(client, day) of every order, sorted by day and by client within a day."""
    cumulative = np.concatenate([[0.0], np.cumsum(_order_intensity(span))])
    window = cumulative[clients.stop_day] - cumulative[clients.first_day]
    counts = rng.poisson(clients.rate * np.maximum(window, 0.0) / 365.25)
    client = np.repeat(np.arange(clients.rate.size, dtype=np.int32), counts)
    # Inverse-CDF sampling of the order day within each client's window.
    target = rng.random(client.size)
    target *= window[client]
    target += cumulative[clients.first_day[client]]
    found = np.searchsorted(cumulative, target, side="right") - 1
    del target
    day = np.clip(found, clients.first_day[client], clients.stop_day[client] - 1)
    day = day.astype(np.int32)
    # A stable sort keeps clients in order within a day; 16-bit keys are radix-sorted.
    key = day.astype(np.uint16) if span.n_days < 2**16 else day
    order = np.argsort(key, kind="stable")
    return client[order], day[order].astype(np.int32)


def _with_refunds(
    span: _Span, managers: _Managers, clients: _Clients, orders: _Orders, rng: np.random.Generator
) -> _Orders:
    """Merge in refund rows: later, negative, at most the original amount."""
    refunded = np.flatnonzero(rng.random(orders.day.size) < REFUND_SHARE)
    delay = 1 + np.floor(rng.exponential(REFUND_DELAY_DAYS, refunded.size)).astype(np.int64)
    day = orders.day[refunded] + delay
    manager, client = orders.manager[refunded], orders.client[refunded]
    kept = (
        (day < span.n_days)
        & (day < managers.inactive_day[manager])
        & (day < clients.stop_day[client])
    )
    refunded, day = refunded[kept], day[kept]
    order = np.argsort(day, kind="stable")
    refunded, day = refunded[order], day[order]
    full = rng.random(refunded.size) < FULL_REFUND_SHARE
    share = np.where(full, 1.0, rng.uniform(0.1, 0.9, refunded.size))
    amount = -np.maximum(np.round(orders.amount[refunded] * share, 2), 0.01)
    # A refund goes after the orders of its day, so order ids follow dates.
    at = np.searchsorted(orders.day, day, side="right")
    return _Orders(
        client=np.insert(orders.client, at, orders.client[refunded]),
        manager=np.insert(orders.manager, at, orders.manager[refunded]),
        day=np.insert(orders.day, at, day.astype(np.int32)),
        amount=np.insert(orders.amount, at, amount),
        product=np.insert(orders.product, at, orders.product[refunded]),
        channel=np.insert(orders.channel, at, orders.channel[refunded]),
    )


def _sales_frame(
    span: _Span, managers: _Managers, clients: _Clients, orders: _Orders
) -> pd.DataFrame:
    """The ``sales`` table."""
    n = orders.day.size
    width = _id_width(clients.rate.size, 6)
    return _frame(
        {
            "order_id": pd.Series(_sequential_ids("SO", n, 8), dtype="str"),
            "client_id": pd.Series(_fixed_width_ids("C", orders.client + 1, width), dtype="str"),
            "manager_id": _strings(managers.ids, orders.manager),
            "order_date": _dates(span, orders.day),
            "amount": orders.amount,
            "product": _strings(PRODUCTS, orders.product),
            "channel": _strings(CHANNELS, orders.channel),
        }
    )


# ---------------------------------------------------------------------------
# Surveys and feedback
# ---------------------------------------------------------------------------


def _surveys_frame(
    span: _Span,
    managers: _Managers,
    clients: _Clients,
    orders: _Orders,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The ``surveys`` table: some orders get a CSAT/NPS survey a few days later."""
    picked = np.flatnonzero((orders.amount > 0) & (rng.random(orders.day.size) < SURVEY_SHARE))
    day = orders.day[picked] + rng.integers(1, 15, picked.size)
    manager = orders.manager[picked]
    kept = (day < span.n_days) & (day < managers.inactive_day[manager])
    picked, day, manager = picked[kept], day[kept], manager[kept]
    order = np.argsort(day, kind="stable")
    picked, day, manager = picked[order], day[order], manager[order]
    csat, nps = _survey_scores(managers.service[manager], rng)
    mood = np.where(np.isnan(csat), np.floor(nps / 4), np.clip(csat - 2, 0, 2)).astype(np.int64)
    sizes = np.asarray([len(group) for group in _SURVEY_COMMENTS], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    comment = _pick_within(rng, offsets[mood], sizes[mood])
    flat_comments = [text for group in _SURVEY_COMMENTS for text in group]
    return _frame(
        {
            "response_id": pd.Series(_sequential_ids("R", picked.size, 7), dtype="str"),
            "client_id": _strings(clients.ids, orders.client[picked]),
            "manager_id": _strings(managers.ids, manager),
            "survey_date": _dates(span, day),
            "csat": csat,
            "nps": nps,
            "comment": _strings(
                flat_comments, comment, missing=rng.random(picked.size) >= COMMENT_SHARE
            ),
        }
    )


def _survey_scores(service: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """CSAT (1..5) and NPS (0..10) driven by service quality; some left blank."""
    n = service.size
    shared = rng.standard_normal(n)
    base, slope, shared_sd, own_sd = CSAT_MODEL
    csat = base + slope * service + shared_sd * shared + rng.normal(0.0, own_sd, n)
    base, slope, shared_sd, own_sd = NPS_MODEL
    nps = base + slope * service + shared_sd * shared + rng.normal(0.0, own_sd, n)
    csat, nps = np.clip(np.round(csat), 1, 5), np.clip(np.round(nps), 0, 10)
    blank = rng.random(n)
    nps[blank < CSAT_ONLY_SHARE] = np.nan
    csat[(blank >= CSAT_ONLY_SHARE) & (blank < CSAT_ONLY_SHARE + NPS_ONLY_SHARE)] = np.nan
    return csat, nps


def _feedback_triggers(
    managers: _Managers, orders: _Orders, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Orders that trigger feedback and its kind (index into FEEDBACK_KINDS)."""
    rates = np.stack(
        [base * np.exp(slope * managers.service) for base, slope in FEEDBACK_MODEL.values()],
        axis=1,
    )
    bounds = np.cumsum(rates, axis=1)  # per manager; cheaper than per order
    draw = rng.random(orders.day.size)
    picked = np.flatnonzero((draw < bounds[orders.manager, -1]) & (orders.amount > 0))
    kind = (draw[picked, None] >= bounds[orders.manager[picked]]).sum(axis=1)
    order_of_kinds = np.asarray([FEEDBACK_KINDS.index(name) for name in FEEDBACK_MODEL])
    return picked, order_of_kinds[kind]


def _feedback_frame(
    span: _Span,
    managers: _Managers,
    clients: _Clients,
    orders: _Orders,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The ``feedback`` table: complaints, suggestions and praise after orders."""
    picked, kind = _feedback_triggers(managers, orders, rng)
    manager = orders.manager[picked]
    day = orders.day[picked] + rng.integers(1, 31, picked.size)
    # Opened strictly before the as-of midnight, while the manager still works.
    kept = (day < span.last_day) & (day < managers.inactive_day[manager])
    picked, kind, manager, day = picked[kept], kind[kept], manager[kept], day[kept]
    opened = day * 1440 + rng.integers(8 * 60, 20 * 60, picked.size)
    order = np.argsort(opened, kind="stable")
    picked, kind, manager, opened = picked[order], kind[order], manager[order], opened[order]
    severity = _feedback_severity(kind, rng)
    resolved = opened + _resolution_minutes(kind, severity, managers.service[manager], rng)
    # Resolved after the as-of moment, or part of the recent backlog: still open.
    recent = opened >= (span.last_day - BACKLOG_DAYS) * 1440
    still_open = (resolved > span.last_day * 1440) | (
        recent & (rng.random(picked.size) < BACKLOG_SHARE)
    )
    summaries = [text for group in _FEEDBACK_SUMMARIES for text in group]
    return _frame(
        {
            "feedback_id": pd.Series(_sequential_ids("FB", picked.size, 6), dtype="str"),
            "client_id": _strings(clients.ids, orders.client[picked]),
            "manager_id": _strings(managers.ids, manager),
            "kind": _strings(FEEDBACK_KINDS, kind),
            "opened_at": _minutes(span, opened),
            "resolved_at": _minutes(span, resolved, missing=still_open),
            "severity": _strings(SEVERITIES, np.maximum(severity, 0), missing=severity < 0),
            "summary": _strings(summaries, _feedback_summary(kind, severity, rng)),
        }
    )


def _feedback_severity(kind: IntArray, rng: np.random.Generator) -> IntArray:
    """Index into SEVERITIES: drawn for complaints, low for suggestions, -1 for praise."""
    shares = [COMPLAINT_SEVERITY_SHARES[name] for name in SEVERITIES]
    drawn = _choice(rng, shares, kind.size)
    suggestion = np.where(kind == FEEDBACK_KINDS.index("suggestion"), SEVERITIES.index("low"), -1)
    return np.where(kind == FEEDBACK_KINDS.index("complaint"), drawn, suggestion)


def _resolution_minutes(
    kind: IntArray, severity: IntArray, service: FloatArray, rng: np.random.Generator
) -> IntArray:
    """Minutes to resolve: lognormal around the severity's median, faster for good service."""
    medians = np.asarray([RESOLUTION_MEDIAN_HOURS[s] for s in SEVERITIES])
    median = np.where(
        severity >= 0, medians[np.maximum(severity, 0)], RESOLUTION_MEDIAN_HOURS["praise"]
    )
    hours = median * np.exp(
        RESOLUTION_SERVICE_EFFECT * service + rng.normal(0.0, RESOLUTION_SIGMA, kind.size)
    )
    return np.maximum(np.ceil(hours * 60), 1).astype(np.int64)


def _feedback_summary(kind: IntArray, severity: IntArray, rng: np.random.Generator) -> IntArray:
    """Index into the flattened _FEEDBACK_SUMMARIES by kind and severity."""
    group = np.where(kind == FEEDBACK_KINDS.index("complaint"), severity, kind + 2)
    sizes = np.asarray([len(texts) for texts in _FEEDBACK_SUMMARIES], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return _pick_within(rng, offsets[group], sizes[group])


# ---------------------------------------------------------------------------
# Ratings
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------
_GOAL_METRICS: Final = ("sales_amount", "new_clients", "csat_mean")
_GOAL_REASONS: Final = (TEAM_STRETCH_REASON, *REVISION_REASONS)


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


# ---------------------------------------------------------------------------
# Opportunities
# ---------------------------------------------------------------------------

_ALL_STAGES: Final = (*OPEN_STAGES, "赢单", "输单")


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
