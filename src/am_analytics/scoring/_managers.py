"""From a dataset to a ranked, graded and explained table of managers in one call."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._deprecation import keyword_only_since
from .._engines import sales_date_range
from ..dataset import Dataset
from ..errors import EmptyPeriodError, MissingTableWarning
from ..metrics import credited_sales, get_metric, manager_metrics
from ..periods import DateLike, PeriodLike, period_window, to_period
from ._explain import strongest_effects
from ._fitted import FittedScorecard
from ._scorecard import Scorecard, default_scorecard

#: The reasons ``attrs["left_out"]`` gives for managers who are not rows of the table.
LEFT = "has left"
NOT_YET_HIRED = "hired after the period"


@keyword_only_since("period", "scorecard")
def score_managers(
    dataset: Dataset,
    *,
    period: PeriodLike,
    scorecard: Scorecard | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Score every manager of one period: metrics, fit on the period's active managers, score.

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
        columns of :meth:`FittedScorecard.score`, ``lifted_by`` /
        ``held_back_by`` (the criterion that added most points against the
        median manager and the one that cost most), ``active`` (the manager
        has a sale in the period) and ``note`` (why a row is not scored, or
        which criteria were left out of its score; ``""`` when nothing is
        to say).

        The rows are the managers evaluated in the period (see
        :func:`~am_analytics.metrics.manager_metrics`). Managers without a sale
        in it are rows with ``active=False``, no score and no grade: the
        scorecard is fitted on the active managers only, so an idle quarter is
        neither graded as average nor moves the others' grades. The managers
        of the table who are not rows (they have left and sold nothing in the
        period, or were hired after it) are named in
        ``table.attrs["left_out"]``: ``{manager_id: "has left" | "hired after
        the period"}``.

    Raises
    ------
    EmptyPeriodError
        If nobody has a sale in the period (up to ``as_of``); the message gives
        the first and last sale dates of the data.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> table = score_managers(load_sample(), period="2026Q3")
    >>> table[["score", "rank", "grade"]].iloc[0]["rank"]
    np.int64(1)
    >>> table.attrs["left_out"]
    {'M0018': 'has left', 'M0035': 'has left'}
    """
    card = scorecard if scorecard is not None else _available(default_scorecard(), dataset)
    fitted, metrics, active = _fit_on_active(dataset, card, period=period, as_of=as_of)
    # scored among the population it was fitted on: percentile is the population's already
    scored = fitted.score(metrics[active]).drop(columns="population_percentile")
    scored = scored.reindex(metrics.index)
    for metric in card.metrics:  # idle managers still show what they did
        scored.loc[~active, f"{metric}_value"] = metrics.loc[~active, metric].astype(np.float64)
    scored["missing"] = scored["missing"].fillna("")
    scored["not_finite"] = scored["not_finite"].fillna("")
    managers = dataset.managers.set_index("manager_id").loc[scored.index, ["name", "team"]]
    effects = strongest_effects(fitted, scored).fillna("")
    table = pd.concat([managers, scored, effects], axis=1)
    table["active"] = active
    table["note"] = _notes(table, period)
    order = table["score"].rank(ascending=False, method="first", na_option="bottom")
    table = table.iloc[order.to_numpy().argsort(kind="stable")]
    table.attrs["left_out"] = _left_out(dataset, metrics.index)
    return table


def fit_scorecard(
    dataset: Dataset,
    *,
    period: PeriodLike,
    scorecard: Scorecard | None = None,
    as_of: DateLike | None = None,
) -> FittedScorecard:
    """The scorecard :func:`score_managers` fits on the period's active managers.

    Save it (``to_json``, or :func:`am_analytics.write_model`) to score single
    managers later with :meth:`FittedScorecard.score_one` on exactly the scale
    of the period's table.

    Parameters
    ----------
    dataset, period, scorecard, as_of
        As in :func:`score_managers`.

    Returns
    -------
    FittedScorecard
        Fitted on the managers with a sale in the period, as
        :func:`score_managers` fits it.

    Raises
    ------
    EmptyPeriodError
        If nobody has a sale in the period (up to ``as_of``).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> fitted = fit_scorecard(data, period="2026Q3")
    >>> table = score_managers(data, period="2026Q3")
    >>> manager = table.iloc[0]
    >>> record = {m: manager[f"{m}_value"] for m in fitted.scorecard.metrics}
    >>> bool(abs(fitted.score_one(record)["score"] - manager["score"]) < 1e-9)
    True
    """
    card = (
        scorecard
        if scorecard is not None
        else _available(default_scorecard(), dataset, stacklevel=3)
    )
    return _fit_on_active(dataset, card, period=period, as_of=as_of)[0]


def _fit_on_active(
    dataset: Dataset, card: Scorecard, *, period: PeriodLike, as_of: DateLike | None
) -> tuple[FittedScorecard, pd.DataFrame, np.ndarray]:
    """The scorecard fitted on the period's active managers, the metrics, and who is active."""
    sold = _sales_per_manager(dataset, period, as_of=as_of)
    metrics = manager_metrics(dataset, period=period, metrics=list(card.metrics), as_of=as_of)
    active = sold.reindex(metrics.index).to_numpy() > 0
    return card.fit(metrics[active]), metrics, active


def _sales_per_manager(
    dataset: Dataset, period: PeriodLike, *, as_of: DateLike | None
) -> pd.Series:
    """Sales (orders and refunds) per manager in the period; raises when there are none."""
    quarter = to_period(period)
    window = period_window(quarter, as_of=as_of if as_of is not None else dataset.as_of)
    counts = credited_sales(dataset, period=quarter, as_of=as_of)
    if not counts.any():
        dates = sales_date_range(dataset.sales)
        first, last = dates if dates is not None else (None, None)
        covered = (
            f"the sales run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
            if dates is not None
            else "the sales table is empty"
        )
        raise EmptyPeriodError(
            f"no sales in {quarter} ({window.start:%Y-%m-%d} to "
            f"{window.end - pd.Timedelta(days=1):%Y-%m-%d}), so there is nothing to score; "
            f"{covered}: choose a period with sales",
            period=str(quarter),
            first_date=first,
            last_date=last,
        )
    return counts


def _notes(table: pd.DataFrame, period: PeriodLike) -> np.ndarray:
    """Why a row is not scored, or which criteria were left out of its score."""
    infinite = table["not_finite"].to_numpy(dtype=object)
    notes = np.where(
        infinite != "", infinite + " not finite (an overflowing sum?): left out of the score", ""
    )
    return np.where(
        table["active"].to_numpy(), notes, f"no sales in {to_period(period)}: not scored"
    )


def _left_out(dataset: Dataset, evaluated: pd.Index) -> dict[str, str]:
    """The managers of the dataset who are not rows, with the reason."""
    managers = dataset.managers
    # the ids are unique: a lookup in their index is far faster than Series.isin on strings
    out = managers[evaluated.get_indexer(pd.Index(managers["manager_id"])) < 0]
    left = (out["status"] == "left").to_numpy()
    reasons = np.where(left, LEFT, NOT_YET_HIRED)
    return dict(zip(out["manager_id"].astype(str), reasons.tolist(), strict=True))


def _available(card: Scorecard, dataset: Dataset, *, stacklevel: int = 4) -> Scorecard:
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
        stacklevel=stacklevel,  # 4: past score_managers' keyword-only wrapper
    )
    return card.with_options(criteria=tuple(c for c in criteria if c.metric not in lacking))
