"""Qualitative 360-degree ratings: rater calibration, competency scores, reliability.

A manager's competencies are rated each period by a supervisor, peers, the
manager themself and sometimes a client. Raters differ in how lenient they
are, so raw scores mix the manager's competence with the luck of who rated
them. This module

* estimates every rater's leniency and removes it (:func:`calibrate`);
* turns calibrated ratings into one score per manager, period and competency,
  weighing the rater roles (:func:`competency_scores`, :data:`ROLE_WEIGHTS`);
* measures how far raters agree: the six intraclass correlations of Shrout &
  Fleiss (:func:`icc`) and Krippendorff's alpha (:func:`reliability`);
* lists each rater's leniency with a standard error and flags outliers
  (:func:`rater_bias`).

Every function takes a validated ``ratings`` table (see
:class:`am_analytics.schemas.RatingsSchema`): ``manager_id`` (categorical),
``period``, ``rater_id``, ``rater_role`` (supervisor / peer / self / client),
``competency`` and ``score``, one row per (manager_id, period, rater_id,
competency). An *item* below is one (manager, period, competency): the thing
several raters score.

A *rater* is a (``rater_id``, ``rater_role``) pair. A manager who rates
team-mates as a peer and themself as ``self`` is two raters, because
self-ratings carry their own, larger leniency (self-enhancement): pooling the
two would bias the peer calibration by the self leniency.
"""

from ._calibration import calibrate, competency_scores, rater_bias
from ._layout import CALIBRATION_METHODS, ROLE_WEIGHTS
from ._reliability import ICC_FORMS, icc, reliability

__all__ = [
    "CALIBRATION_METHODS",
    "ICC_FORMS",
    "ROLE_WEIGHTS",
    "calibrate",
    "competency_scores",
    "icc",
    "rater_bias",
    "reliability",
]
