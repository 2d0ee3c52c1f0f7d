"""The rating metrics: calibrated 360-degree ratings, one ``rating_<competency>`` per competency."""

from __future__ import annotations

from typing import Final

import pandas as pd

from .._metric_names import RATING_PREFIX, RATING_TEMPLATE
from ..periods import to_period
from ..ratings import competency_scores
from ._context import MetricContext
from ._registry import Metric


def _competency_ratings(ctx: MetricContext) -> pd.DataFrame:
    ratings = ctx.dataset.table("ratings")
    periods = _rating_periods(ratings["period"])
    starts, ends = periods["start"], periods["end"]
    # leniency is a lasting trait: estimate it on every rating up to the period's end
    known = ratings[(starts < ctx.window.end).to_numpy()]
    scores = competency_scores(known)
    rating_start = scores["period"].map(starts.groupby(ratings["period"]).first())
    rating_end = scores["period"].map(ends.groupby(ratings["period"]).first())
    overlaps = (rating_start < ctx.window.end) & (rating_end > ctx.window.start)
    scores = scores[overlaps.to_numpy()]
    wide = scores.pivot_table(
        index=scores["manager_id"].cat.codes,
        columns="competency",
        values="score",
        aggfunc="mean",
        observed=True,
    )
    wide = wide.reindex(range(ctx.n_managers))
    competencies = sorted(pd.unique(ratings["competency"]))
    wide = wide.reindex(columns=competencies)
    wide.columns = [f"{RATING_PREFIX}{c}" for c in competencies]
    return wide.reset_index(drop=True)


def _rating_periods(periods: pd.Series) -> pd.DataFrame:
    """Start and end (exclusive) of each rating's period."""
    labels = pd.unique(periods)
    parsed = [to_period(label) for label in labels]
    starts = pd.Series([p.start_time.normalize() for p in parsed], index=labels)
    ends = pd.Series([(p + 1).start_time.normalize() for p in parsed], index=labels)
    return pd.DataFrame({"start": periods.map(starts), "end": periods.map(ends)})


RATING_METRIC: Final = Metric(
    RATING_TEMPLATE, "higher", "score",
    "Calibrated 360-degree rating of one competency (rater leniency removed, roles "
    "weighted as in ratings.competency_scores), one column per rated competency.",
    ("ratings",), _competency_ratings,
)  # fmt: skip
