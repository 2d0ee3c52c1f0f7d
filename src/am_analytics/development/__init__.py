"""How managers grow: training and its impact, skill gaps, promotion readiness.

* :func:`training_summary` and :func:`training_impact` (difference in
  differences against untrained managers) say what training was done and
  whether it moved the outcome;
* a :class:`CareerLadder` (TOML) sets each level's minimum tenure, score
  percentile and calibrated competency ratings; :func:`skill_gaps` compares
  every manager with their level and the next, :func:`promotion_readiness`
  says who is ready (and what is missing) and places each manager on the
  9-box grid, and :func:`recommend_training` picks the courses that close
  the largest gaps first.
"""

from ._gaps import skill_gaps
from ._impact import (
    TrainingImpact,
    TrainingImpactWarning,
    training_impact,
    training_impact_by_category,
)
from ._ladder import CareerLadder, CareerLevel, default_career_ladder, load_career_ladder
from ._readiness import promotion_readiness, score_history
from ._recommend import catalog_from_training, load_training_catalog, recommend_training
from ._training import training_summary

__all__ = [
    "CareerLadder",
    "CareerLevel",
    "TrainingImpact",
    "TrainingImpactWarning",
    "catalog_from_training",
    "default_career_ladder",
    "load_career_ladder",
    "load_training_catalog",
    "promotion_readiness",
    "recommend_training",
    "score_history",
    "skill_gaps",
    "training_impact",
    "training_impact_by_category",
    "training_summary",
]
