"""The table the metric registry fills, kept on the ground floor so validation can read it.

:mod:`am_analytics.metrics` owns the registry (``register_metric``,
``get_metric``); it registers into :data:`REGISTRY`, which lives here because
the check of a goals table (``_validation``, below the metrics) must know every
registered name, those added later with ``register_metric()`` included,
without importing a module of a higher floor. Importing any part of the
package imports :mod:`am_analytics.metrics` (from ``am_analytics/__init__``),
so the built-in metrics are registered before any table is validated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .metrics import Metric

#: The prefix of the per-competency rating metrics (``rating_communication``, ...).
RATING_PREFIX: Final = "rating_"
#: The registry's name for the family of rating metrics.
RATING_TEMPLATE: Final = "rating_<competency>"

#: The registered metrics by name, in registration order.
REGISTRY: dict[str, Metric] = {}
