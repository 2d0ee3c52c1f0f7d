"""The sales and client metrics (see the definitions in :mod:`am_analytics.metrics`)."""

from __future__ import annotations

from typing import Final

import numpy as np

from ._context import MetricContext, common, distinct
from ._registry import FloatArray, Metric


def _sales_amount(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.sales["manager"], ctx.sales["amount"])


def _order_count(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.sales["manager"][ctx.sales["amount"] >= 0])


def _active_clients(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.pair_managers(ctx.active_pairs))


def _new_clients(ctx: MetricContext) -> FloatArray:
    everything = ctx._sales
    before = (everything["time"] < ctx.window.start.value) & (everything["amount"] >= 0)
    seen = np.zeros(ctx._n_clients, dtype=bool)
    seen[everything["client"][before]] = True
    sales = ctx.sales
    first = (sales["amount"] >= 0) & ~seen[sales["client"]]
    clients, times, managers = sales["client"][first], sales["time"][first], sales["manager"][first]
    first_time = np.full(ctx._n_clients, np.iinfo(np.int64).max)
    np.minimum.at(first_time, clients, times)
    on_first_day = _day(times) == _day(first_time[clients])
    pairs = distinct(
        managers[on_first_day].astype(np.int64) * ctx._n_clients + clients[on_first_day]
    )
    return ctx.per_manager(ctx.pair_managers(pairs))


def _day(times: np.ndarray) -> np.ndarray:
    """Whole days since the epoch of int64 nanosecond times."""
    return times // (86_400 * 10**9)


def _client_retention(ctx: MetricContext) -> FloatArray:
    previous = ctx.client_pairs(ctx.sales_in(ctx.previous_window))
    kept = ctx.pair_managers(common(previous, ctx.active_pairs))
    return ctx.ratio(ctx.per_manager(kept), ctx.per_manager(ctx.pair_managers(previous)))


def _avg_order_value(ctx: MetricContext) -> FloatArray:
    orders = ctx.sales["amount"] >= 0
    total = ctx.per_manager(ctx.sales["manager"][orders], ctx.sales["amount"][orders])
    return ctx.ratio(total, _order_count(ctx))


def _sales_growth_yoy(ctx: MetricContext) -> FloatArray:
    last_year = ctx.sales_total(ctx.window.shift_years(-1))
    return ctx.ratio(_sales_amount(ctx) - last_year, last_year)


SALES_METRICS: Final = (
    Metric("sales_amount", "higher", "currency",
           "Net sales credited to the manager in the period: orders minus refunds.",
           ("sales",), _sales_amount),
    Metric("order_count", "higher", "orders",
           "Orders (sales with an amount of 0 or more) credited to the manager.",
           ("sales",), _order_count),
    Metric("active_clients", "higher", "clients",
           "Distinct clients with at least one order credited to the manager.",
           ("sales",), _active_clients),
    Metric("new_clients", "higher", "clients",
           "Clients whose first-ever order falls in the period, counted for each manager "
           "credited with an order on that first day.",
           ("sales",), _new_clients),
    Metric("client_retention", "higher", "share",
           "Share of the manager's active clients of the previous period who ordered from "
           "the manager again in this one; NaN without previous clients.",
           ("sales",), _client_retention),
    Metric("avg_order_value", "higher", "currency",
           "Mean amount of the manager's orders (refunds excluded); NaN without orders.",
           ("sales",), _avg_order_value),
    Metric("sales_growth_yoy", "higher", "share",
           "Net sales against the same window a year earlier, minus 1; NaN when last "
           "year's net sales were not positive.",
           ("sales",), _sales_growth_yoy),
)  # fmt: skip
