"""The feedback metrics of the registry: csat_adjusted, sla_breach_rate, overdue_count."""

from __future__ import annotations

from .._metric_names import REGISTRY
from ..metrics import register_metric
from ..metrics._feedback import FEEDBACK_MODEL_METRICS


def register_feedback_metrics() -> None:
    """Add ``csat_adjusted``, ``sla_breach_rate`` and ``overdue_count`` to the metric registry.

    Safe to call more than once: metrics already registered under these names
    are left as they are. :mod:`am_analytics.metrics` registers them when
    imported, so this is needed only after they were removed from the registry.

    Notes
    -----
    For a period, judged at the end of its window (the period's end, or the
    end of ``as_of`` when that falls inside it), with the default
    :class:`SlaPolicy`:

    ``csat_adjusted``
        :func:`satisfaction`'s adjusted CSAT, the prior fitted on the managers
        of the managers table.
    ``sla_breach_rate``
        Share of the complaints and suggestions opened in the period, whose
        outcome is known at the window's end, that breached their SLA.
    ``overdue_count``
        Complaints and suggestions (opened at any time) open and past their
        SLA at the window's end: the length of :func:`overdue` per manager.

    Examples
    --------
    >>> register_feedback_metrics()
    >>> from am_analytics.metrics import get_metric
    >>> get_metric("sla_breach_rate").direction
    'lower'
    """
    for metric in FEEDBACK_MODEL_METRICS:
        if metric.name not in REGISTRY:
            register_metric(metric)
