"""Clients: regions, owners, life spans, Pareto-tailed value and CRM tiers (truth 3)."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd

from ._common import (
    _choice,
    _dates,
    _frame,
    _group_starts,
    _joined,
    _pick_within,
    _sequential_ids,
    _strings,
    _uniform_days,
)
from ._organisation import _LEFT
from ._world import FloatArray, IntArray, _Clients, _Managers, _Span

# ---------------------------------------------------------------------------
# Clients
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
#: Shares of CRM tiers A, B, C by a noisy client value score.
CRM_TIER_SHARES: Final = MappingProxyType({"A": 0.15, "B": 0.35, "C": 0.50})
#: Log lift per standard deviation of skill on order rates and amounts.
SKILL_RATE_LIFT: Final = 0.20
SKILL_AMOUNT_LIFT: Final = 0.15
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


# ---------------------------------------------------------------------------
# Simulation
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
