"""The feedback metrics of the registry: csat_adjusted, sla_breach_rate, overdue_count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..metrics import MetricContext
from ._common import FloatArray, _answers
from ._satisfaction import _adjusted, _csat_stats, _shrink_weight, _shrinkage_prior
from ._sla import SlaPolicy, _sla_state


def register_feedback_metrics() -> None:
    """Add ``csat_adjusted``, ``sla_breach_rate`` and ``overdue_count`` to the metric registry.

    Safe to call more than once: metrics already registered under these names
    are left as they are. :mod:`am_analytics.metrics` calls it when imported.

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
    from ..metrics import Metric, get_metric, register_metric

    candidates = (
        Metric("csat_adjusted", "higher", "score 1-5",
               "Mean CSAT of the period shrunk toward all managers' mean by empirical Bayes "
               "(few answers count for little); the population mean without answers.",
               ("surveys",), _csat_adjusted_metric),
        Metric("sla_breach_rate", "lower", "share",
               "Share of the complaints and suggestions opened in the period, resolved or past "
               "due at its end, that were resolved after (or are still open past) their SLA "
               "(high 24 h, medium 72 h, low 168 h); NaN when none is.",
               ("feedback",), _sla_breach_rate_metric),
        Metric("overdue_count", "lower", "items",
               "Complaints and suggestions still open past their SLA at the end of the period "
               "(or as_of), whenever they were opened.",
               ("feedback",), _overdue_count_metric),
    )  # fmt: skip
    for metric in candidates:
        try:
            get_metric(metric.name)
        except ConfigError:
            register_metric(metric)


def _csat_adjusted_metric(ctx: MetricContext) -> FloatArray:
    surveys = ctx.rows_in("surveys", "survey_date")
    codes = ctx.manager_codes(surveys)
    csat = _answers(surveys, "csat")
    inside = codes < ctx.n_managers  # orphans kept in the categories are not managers
    n, mean, ss = _csat_stats(np.where(inside, codes, -1), csat, ctx.n_managers)
    prior = _shrinkage_prior(n, mean, ss)
    return _adjusted(mean, _shrink_weight(n, prior), prior)


def _feedback_state(ctx: MetricContext) -> tuple[np.ndarray, dict[str, Any]]:
    """Manager codes and SLA state of every feedback item at the window's end."""
    feedback = ctx.dataset.table("feedback")
    return ctx.manager_codes(feedback), _sla_state(feedback, ctx.window.end, SlaPolicy())


def _sla_breach_rate_metric(ctx: MetricContext) -> FloatArray:
    codes, state = _feedback_state(ctx)
    opened = state["opened_at"]
    handled = state["actionable"] & (opened >= ctx.window.start.value)
    breaches = ctx.per_manager(codes[handled & state["breached"]])
    return ctx.ratio(breaches, ctx.per_manager(codes[handled & state["judged"]]))


def _overdue_count_metric(ctx: MetricContext) -> FloatArray:
    codes, state = _feedback_state(ctx)
    late = state["actionable"] & state["open"] & (ctx.window.end.value > state["due_at"])
    return ctx.per_manager(codes[late])
