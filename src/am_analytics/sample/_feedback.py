"""Satisfaction surveys and feedback driven by service quality (truth 7)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from ..schemas import FEEDBACK_KINDS, SEVERITIES
from ._common import _choice, _dates, _frame, _minutes, _pick_within, _sequential_ids, _strings
from ._world import FloatArray, IntArray, _Clients, _Managers, _Orders, _Span

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


# ---------------------------------------------------------------------------
# Surveys
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


# ---------------------------------------------------------------------------
# Feedback
# ---------------------------------------------------------------------------


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
