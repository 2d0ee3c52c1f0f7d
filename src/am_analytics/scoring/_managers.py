"""From a dataset to a ranked, graded and explained table of managers in one call."""

from __future__ import annotations

import warnings

import pandas as pd

from ..dataset import Dataset, DateLike
from ..errors import MissingTableWarning
from ..metrics import get_metric, manager_metrics
from ..periods import PeriodLike
from ._explain import strongest_effects
from ._scorecard import Scorecard, default_scorecard


def score_managers(
    dataset: Dataset,
    period: PeriodLike,
    scorecard: Scorecard | None = None,
    *,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Score every manager of one period: metrics, fit on the period's managers, score.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`.
    period
        ``"2026Q3"``, ``"2026-07"``, ... (see :func:`~am_analytics.metrics.manager_metrics`).
    scorecard
        The :class:`Scorecard`; default :func:`default_scorecard`. With the
        default, criteria whose tables the dataset lacks are left out (with a
        :class:`~am_analytics.errors.MissingTableWarning`) and the remaining
        weights rescaled; a scorecard of your own must find all its tables.
    as_of
        Measure only up to this day (default: the dataset's ``as_of``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``manager_id``, best first: ``name``, ``team``, then the
        columns of :meth:`FittedScorecard.score`, and ``lifted_by`` /
        ``held_back_by``: the criterion that added most points against the
        median manager and the one that cost most.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> table = score_managers(load_sample(), "2026Q3")
    >>> table[["score", "rank", "grade"]].iloc[0]["rank"]
    np.int64(1)
    """
    card = scorecard if scorecard is not None else _available(default_scorecard(), dataset)
    metrics = manager_metrics(dataset, period, metrics=list(card.metrics), as_of=as_of)
    fitted = card.fit(metrics)
    scored = fitted.score(metrics)
    managers = dataset.managers.set_index("manager_id").loc[scored.index, ["name", "team"]]
    table = pd.concat([managers, scored, strongest_effects(fitted, scored)], axis=1)
    order = table["score"].rank(ascending=False, method="first", na_option="bottom")
    return table.iloc[order.to_numpy().argsort(kind="stable")]


def _available(card: Scorecard, dataset: Dataset) -> Scorecard:
    """The scorecard without the criteria whose tables the dataset lacks."""
    criteria = card.criteria
    lacking = [
        c.metric
        for c in criteria
        if any(getattr(dataset, table) is None for table in get_metric(c.metric).tables)
    ]
    if not lacking:
        return card
    warnings.warn(
        f"the default scorecard leaves out {', '.join(lacking)} because the dataset lacks "
        "their tables; the other weights were rescaled",
        MissingTableWarning,
        stacklevel=3,
    )
    return card.with_options(criteria=tuple(c for c in criteria if c.metric not in lacking))
