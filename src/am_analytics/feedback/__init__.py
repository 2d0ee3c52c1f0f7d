"""Client feedback: satisfaction with honest uncertainty, and complaint handling.

:func:`satisfaction` summarises survey answers per manager (or any group):
CSAT with a 95% interval and an empirical-Bayes adjusted value fit for
ranking, NPS with its interval. :func:`feedback_summary` and :func:`overdue`
follow complaints and suggestions against a resolution SLA
(:class:`SlaPolicy`). The metrics ``csat_adjusted``,
``sla_breach_rate`` and ``overdue_count`` are defined in
:mod:`am_analytics.metrics`, with the CSAT shrinkage and the SLA rules they
share with these functions; :func:`register_feedback_metrics` registers them
again if they were removed.

Definitions shared by the feedback functions
--------------------------------------------
* *Actionable* items are complaints and suggestions; praise needs no handling
  and is never in a backlog, an SLA rate or the overdue list.
* An item's *due time* is ``opened_at`` plus the SLA hours of its severity
  (:class:`SlaPolicy`; items without a severity get ``unrated`` hours).
* ``as_of`` is a day, and the state of the world is taken at the *end* of that
  day (midnight after it), as :func:`~am_analytics.periods.period_window`
  does. An item resolved after that moment is still open.
* An item *breaches* its SLA when it was resolved strictly after its due
  time, or is still open strictly after it. Resolved exactly at the due time
  is on time.
* An item is *judged* once its outcome is known: it was resolved, or its due
  time has passed. Open items not yet due are pending: they are in neither the
  numerator nor the denominator of the breach rate, so a rate measured early
  is not flattered by items that simply have not had the chance to breach.
"""

from ..metrics._feedback import SlaPolicy
from ._metrics import register_feedback_metrics
from ._satisfaction import satisfaction
from ._sla import feedback_summary, overdue

__all__ = ["SlaPolicy", "feedback_summary", "overdue", "register_feedback_metrics", "satisfaction"]
