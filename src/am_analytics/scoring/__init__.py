"""Composite scorecards: normalise, weight, aggregate, grade, explain, test robustness.

The steps follow the OECD/JRC *Handbook on Constructing Composite Indicators*
(2008): each criterion is normalised to 0..1 with higher meaning better, the
criteria are weighted (fixed, equal, AHP or learned from the data) and
aggregated into a 0..100 score, the score is graded, and :func:`sensitivity`
shows how much the ranking depends on those choices.

A :class:`Scorecard` is the specification (a frozen dataclass, or TOML via
:func:`load_scorecard`); :meth:`Scorecard.fit` learns what it needs from a
population and returns a :class:`FittedScorecard`, which scores frames or
single records and round-trips through JSON.

>>> from am_analytics import load_sample
>>> from am_analytics.scoring import score_managers
>>> table = score_managers(load_sample(), period="2026Q3")
>>> table["grade"].value_counts().sort_index().to_dict()
{'A': 8, 'B': 26, 'C': 4}
"""

from ._aggregate import topsis_rank
from ._explain import Explanation
from ._fitted import FittedScorecard
from ._managers import fit_scorecard, score_managers
from ._pca import pca_weights
from ._scorecard import Criterion, Grading, Scorecard, default_scorecard, load_scorecard
from ._sensitivity import Sensitivity, sensitivity
from ._weights import SAATY_RANDOM_INDEX, ahp_weights, critic_weights, entropy_weights

__all__ = [
    "SAATY_RANDOM_INDEX",
    "Criterion",
    "Explanation",
    "FittedScorecard",
    "Grading",
    "Scorecard",
    "Sensitivity",
    "ahp_weights",
    "critic_weights",
    "default_scorecard",
    "entropy_weights",
    "fit_scorecard",
    "load_scorecard",
    "pca_weights",
    "score_managers",
    "sensitivity",
    "topsis_rank",
]
