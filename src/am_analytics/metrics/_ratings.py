"""The rating metrics: calibrated 360-degree ratings, one ``rating_<competency>`` per competency."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .._metric_names import RATING_PREFIX, RATING_TEMPLATE
from ..periods import to_period
from ..ratings import competency_scores
from ._context import MetricContext
from ._registry import IntArray, Metric


def _competency_ratings(ctx: MetricContext) -> pd.DataFrame:
    ratings = ctx.dataset.table("ratings")
    codes, labels = pd.factorize(ratings["period"])
    labels = pd.Index(labels)
    starts, ends = _period_bounds(labels)
    end, start = ctx.window.end.value, ctx.window.start.value
    # leniency is a lasting trait: estimate it on every rating up to the period's end
    known = ratings[np.where(codes >= 0, (starts < end)[codes], False)]
    scores = competency_scores(known)
    period = labels.get_indexer(scores["period"])
    overlaps = (starts[period] < end) & (ends[period] > start)
    competencies = sorted(pd.unique(ratings["competency"]))
    return _mean_per_manager(scores[overlaps], competencies, ctx.n_managers)


def _period_bounds(labels: pd.Index) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) of each rating period label, as nanoseconds."""
    parsed = [to_period(label) for label in labels]  # distinct labels: a few dozen
    starts = [p.start_time.normalize().value for p in parsed]
    ends = [(p + 1).start_time.normalize().value for p in parsed]
    return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


def _mean_per_manager(
    scores: pd.DataFrame, competencies: list[str], n_managers: int
) -> pd.DataFrame:
    """Mean score per managers-table row (rows) and competency (``rating_<c>`` columns)."""
    manager = scores["manager_id"].cat.codes.to_numpy().astype(np.int64)
    competency = pd.Index(competencies).get_indexer(pd.Index(scores["competency"]))
    inside = (manager >= 0) & (manager < n_managers)
    cell = manager[inside] * len(competencies) + competency[inside]
    # pandas' grouped mean (compensated sums), as a pivot table would compute it
    means = pd.Series(scores["score"].to_numpy(dtype=np.float64)[inside]).groupby(cell).mean()
    wide = np.full(n_managers * len(competencies), np.nan)
    wide[means.index.to_numpy()] = means.to_numpy()
    return pd.DataFrame(
        wide.reshape(n_managers, len(competencies)),
        columns=[f"{RATING_PREFIX}{c}" for c in competencies],
    )


RATING_METRIC: Final = Metric(
    RATING_TEMPLATE, "higher", "score",
    "Calibrated 360-degree rating of one competency (rater leniency removed, roles "
    "weighted as in ratings.competency_scores), one column per rated competency.",
    ("ratings",), _competency_ratings,
)  # fmt: skip
