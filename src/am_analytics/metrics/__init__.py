"""The metric registry and the manager × metric table of one period.

The package sits below the analytic domains, which build on it; of them it
imports only :mod:`am_analytics.ratings` (the rating metrics are its calibrated
competency scores, and ratings reads nothing above the schemas). It holds
the registry (``_registry``), the period context (``_context``), the table
(``_table``) and the metric definitions by concept:
sales and clients (``_sales``), surveys and complaints (``_feedback``),
ratings (``_ratings``) and goals (``_goals``).

Each :class:`Metric` knows its direction (is more better?), its unit, what it
means and which tables it needs. :func:`manager_metrics` computes any of them
for every manager in one period; scorecards, goals and reports name metrics
from this registry, and later modules add theirs with :func:`register_metric`.

Definitions shared by the sales metrics
---------------------------------------
* A sale is credited to ``sales.manager_id`` (who may differ from the client's
  owner).
* An *order* is a sale with ``amount >= 0`` (a zero amount is a free order); a
  negative amount is a refund or credit note. Refunds reduce ``sales_amount``
  but are not orders, and a client who only had a refund in the period is not
  active.
* A client is *active* for a manager in a period when the manager was credited
  with at least one of its orders in it.
* Windows are half-open ``[start, end)``: the whole last day counts. When
  ``as_of`` falls inside the period, the window ends after that day and the
  comparison windows (previous year) are cut the same way.
"""

from ._context import MetricContext
from ._feedback import FEEDBACK_METRICS, FEEDBACK_MODEL_METRICS
from ._goals import GOAL_ATTAINMENT
from ._ratings import RATING_METRIC
from ._registry import Metric, get_metric, list_metrics, register_metric
from ._sales import SALES_METRICS
from ._table import credited_sales, manager_metrics

# Not public API: what the domains (and tests) build metrics from.
from .._metric_names import RATING_PREFIX as RATING_PREFIX  # isort: skip
from .._metric_names import REGISTRY as _REGISTRY  # noqa: F401  # isort: skip
from ._registry import Direction as Direction  # isort: skip
from ._registry import FloatArray as FloatArray  # isort: skip
from ._registry import IntArray as IntArray  # isort: skip

__all__ = [
    "Metric",
    "MetricContext",
    "credited_sales",
    "get_metric",
    "list_metrics",
    "manager_metrics",
    "register_metric",
]

for _metric in (
    *SALES_METRICS,
    *FEEDBACK_METRICS,
    RATING_METRIC,
    *FEEDBACK_MODEL_METRICS,
    GOAL_ATTAINMENT,
):
    register_metric(_metric)
