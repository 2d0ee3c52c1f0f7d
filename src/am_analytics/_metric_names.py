"""The table the metric registry fills, kept on the ground floor so validation can read it.

:mod:`am_analytics.metrics` owns the registry (``register_metric``,
``get_metric``); it registers into :data:`REGISTRY`, which lives here because
the check of a goals table (``_validation``, below the metrics) must know every
registered name, those added later with ``register_metric()`` included,
without importing a module of a higher floor. The built-in metrics register
when :mod:`am_analytics.metrics` is imported, which a load need not have done
yet: their names are listed here too (:data:`BUILTIN_METRICS`; a test checks
that the two agree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .metrics import Metric

#: The prefix of the per-competency rating metrics (``rating_communication``, ...).
RATING_PREFIX: Final = "rating_"
#: The registry's name for the family of rating metrics.
RATING_TEMPLATE: Final = "rating_<competency>"

#: The metrics am_analytics.metrics registers (the rating family aside), in its order.
BUILTIN_METRICS: Final = (
    "sales_amount",
    "order_count",
    "active_clients",
    "new_clients",
    "client_retention",
    "avg_order_value",
    "sales_growth_yoy",
    "csat_mean",
    "nps",
    "survey_count",
    "complaint_count",
    "complaints_per_100_clients",
    "median_resolution_hours",
    "csat_adjusted",
    "sla_breach_rate",
    "overdue_count",
    "goal_attainment",
)

#: The registered metrics by name, in registration order.
REGISTRY: dict[str, Metric] = {}
