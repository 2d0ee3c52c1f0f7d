"""Orders: seasonal intensity, crediting, amounts and refunds (truths 2 and 4-6)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from ._clients import SKILL_AMOUNT_LIFT
from ._common import _choice, _dates, _fixed_width_ids, _frame, _id_width, _sequential_ids, _strings
from ._training import _training_log_lift
from ._world import (
    Codes,
    FloatArray,
    Int32Array,
    IntArray,
    _Clients,
    _Managers,
    _Orders,
    _Span,
    _Training,
)

# ---------------------------------------------------------------------------
# Orders and refunds
# ---------------------------------------------------------------------------

#: Spread of a single order's amount around its client's mean.
ORDER_NOISE_SIGMA: Final = 0.5
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
# Simulation
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
