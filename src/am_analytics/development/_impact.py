"""The effect of training on an outcome: stacked difference in differences.

Estimator
---------
:func:`training_impact` compares managers who completed a course with managers
who had not (yet) completed one, before and after, on a manager × period panel
of the outcome (net credited sales per quarter by default, on the log scale).

* **Treatment.** A manager is treated from the day after the end of their first
  *completed* course (of ``category`` when given; an uncompleted course is no
  treatment). The period holding that day is event time 0; it is only partly
  treated, so it gets its own coefficient and is not pooled into the effect.
* **Stacked design** (Cengiz, Dube, Lindner & Zipperer 2019; Baker, Larcker &
  Wang 2022). Managers first treated in the same period form a cohort. Each
  cohort gets its own sub-panel over event times ``-pre .. post`` with *clean
  controls*: managers never treated, or not treated before the end of that
  window (not-yet-treated). The sub-panels are stacked and one regression is run
  with manager × stack and period × stack fixed effects. An already-treated
  manager is never a control, which avoids the bias of the plain two-way fixed
  effects estimator under staggered adoption (Goodman-Bacon 2021), where early
  cohorts act as controls for later ones.
* **Effect.** In the pooled regression the post periods (event time 1 ..
  ``post``) share one coefficient against all pre periods; with ``log=True`` it
  is a log ratio and is reported as a relative change, ``exp(b) - 1`` (0.15 =
  +15 %), which is what a multiplicative lift of sales is. The interval is the
  95 % t-interval, transformed the same way.
* **Inference.** Standard errors are clustered by manager (a manager appears in
  several stacks as a control), with statsmodels' small-sample correction and
  t(G - 1) reference distribution, G the number of managers. The fixed effects
  of manager × stack are absorbed by demeaning; they nest in the manager
  clusters, so they are not counted in the correction (as Stata's ``reghdfe``).
* **Pre-trend check.** A second regression replaces the pooled coefficients by
  one per event time (reference: event time -1). The leads ``-pre .. -2`` are
  tested jointly against 0 (F test, ``pre_trend_p``); a small p-value warns that
  treated and control managers were drifting apart before training.
* **Other categories.** With ``category`` given, completing a course of another
  category may also move the outcome. Its exposure (the share of the period's
  days after that completion, per other category) enters as a covariate, which
  removes that noise when training of different categories is unrelated.

Panel. Only complete periods up to ``as_of`` are used, and only periods in which
the manager was employed throughout: from the first period starting on or after
``hire_date``, and, for a manager no longer active, up to the period before the
one of their last credited sale. With ``log=True`` periods with no positive
outcome are dropped (counted in the note).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._deprecation import frame_first_until_removed
from ..dataset import Dataset
from ..errors import ConfigError
from ..metrics import get_metric
from ..periods import DateLike
from ..schemas import TRAINING_CATEGORIES
from ._panel import _Panel
from ._stacked_did import _EVENT_COLUMNS, _fit, _stack
from ._training import FloatArray, _check_training, _completed

#: Period frequencies :func:`training_impact` accepts: quarters and months.
IMPACT_FREQUENCIES: Final = ("Q", "M")


#: Default minimum number of treated and of control managers for an estimate.
MIN_GROUP: Final = 5


class TrainingImpactWarning(UserWarning):
    """Too few treated or control managers to estimate the effect of training."""


@dataclass(frozen=True, slots=True, eq=False)
class TrainingImpact:
    """The estimated effect of training on an outcome (see :func:`training_impact`).

    Attributes
    ----------
    effect, ci_low, ci_high
        The effect on the outcome over event times 1 .. ``post`` and its 95 %
        interval: a relative change (``0.15`` = +15 %) when ``scale`` is
        ``"relative"``, outcome units when ``"absolute"``. NaN when the groups
        are too small.
    p_value
        Two-sided p-value of "no effect".
    std_err
        Standard error of the regression coefficient (log scale when relative).
    n_treated, n_control
        Distinct treated and control managers in the estimation sample.
    pre_trend_p
        p-value of the joint F test that the event-study leads are 0
        (NaN with fewer than 2 pre periods).
    event_study
        One row per event time ``-pre .. post``: ``event_time``, ``coef``,
        ``ci_low``, ``ci_high`` (same scale as ``effect``), ``n_treated``
        (treated managers observed then) and ``reference`` (True for event time
        -1, fixed at 0).
    category, outcome, scale
        What was estimated: ``category`` None means the first completed course
        of any category.
    n_cohorts, n_observations
        Stacked cohorts and manager-period rows of the regression.
    note
        Why there is no estimate, or what was dropped on the way.
    """

    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    std_err: float
    n_treated: int
    n_control: int
    pre_trend_p: float
    event_study: pd.DataFrame = field(repr=False)
    category: str | None
    outcome: str
    scale: str
    n_cohorts: int
    n_observations: int
    note: str

    def to_frame(self) -> pd.DataFrame:
        """The scalar results as a one-row frame (without the event study).

        Examples
        --------
        >>> empty = pd.DataFrame(columns=list(_EVENT_COLUMNS))
        >>> TrainingImpact(0.1, 0.0, 0.2, 0.04, 0.05, 12, 20, 0.6, empty, "sales_skills",
        ...                "sales_amount", "relative", 4, 300, "").to_frame().columns[:4].tolist()
        ['category', 'outcome', 'effect', 'ci_low']
        """
        return pd.DataFrame(
            {
                "category": [self.category],
                "outcome": [self.outcome],
                "effect": [self.effect],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "p_value": [self.p_value],
                "std_err": [self.std_err],
                "n_treated": [self.n_treated],
                "n_control": [self.n_control],
                "pre_trend_p": [self.pre_trend_p],
                "scale": [self.scale],
                "n_cohorts": [self.n_cohorts],
                "n_observations": [self.n_observations],
                "note": [self.note],
            }
        ).astype({"category": "str", "n_treated": "int64", "n_control": "int64"})


def _training_first(training: pd.DataFrame, dataset: Dataset, **options: Any) -> TrainingImpact:
    """The earlier form ``training_impact(training, dataset, ...)``."""
    return training_impact(dataset, training=training, **options)


def _training_first_by_category(
    training: pd.DataFrame, dataset: Dataset, **options: Any
) -> pd.DataFrame:
    """The earlier form ``training_impact_by_category(training, dataset, ...)``."""
    return training_impact_by_category(dataset, training=training, **options)


@frame_first_until_removed("training_impact(dataset, training=training, ...)", _training_first)
def training_impact(
    dataset: Dataset,
    *,
    training: pd.DataFrame | None = None,
    outcome: str = "sales_amount",
    pre: int = 2,
    post: int = 2,
    category: str | None = None,
    freq: str = "Q",
    log: bool = True,
    min_group: int = MIN_GROUP,
    as_of: DateLike | None = None,
) -> TrainingImpact:
    """The effect of completing a course on an outcome, by difference-in-differences.

    Parameters
    ----------
    dataset
        The :class:`~am_analytics.Dataset` the outcome is measured on.
    training
        A validated training table (default: the dataset's); treatment is the
        first *completed* course.
    outcome
        ``"sales_amount"`` (net credited sales, computed directly) or the name
        of any registered metric (computed with
        :func:`~am_analytics.metrics.manager_metrics` per period).
    pre, post
        Event-time window: ``pre`` periods before the completion period and
        ``post`` after it (both at least 1).
    category
        Only courses of this category treat; None: a course of any category.
    freq
        ``"Q"`` (quarters) or ``"M"`` (months).
    log
        Estimate on the log of the outcome and report relative changes (right
        for a multiplicative effect on sales); False: outcome units.
    min_group
        Fewest treated and control managers for an estimate (at least 2).
    as_of
        Use only periods complete by this day (default: the dataset's ``as_of``,
        else the last order date).

    Returns
    -------
    TrainingImpact
        Effect, interval, p-value, group sizes, pre-trend check and event study.

    Warns
    -----
    TrainingImpactWarning
        With fewer than ``min_group`` treated or control managers: the effect is
        NaN and ``note`` says why.

    Raises
    ------
    MissingTableError
        If no ``training`` is given and the dataset has no training table.
    ConfigError
        For an unknown outcome, category or frequency, or a bad window.
    DataValidationError
        If ``training`` lacks required columns.

    Notes
    -----
    The estimator is described in the module docstring: a stacked
    difference-in-differences with clean (never or not-yet-treated) controls,
    manager × stack and period × stack fixed effects and standard errors
    clustered by manager.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> impact = training_impact(data, category="sales_skills")
    >>> bool(impact.ci_low < 0.15 < impact.ci_high), impact.scale
    (True, 'relative')
    """
    training = training if training is not None else dataset.table("training")
    _check_training(training)
    _check_options(outcome=outcome, pre=pre, post=post, freq=freq, log=log, min_group=min_group)
    _check_category(training, category)
    panel = _Panel.build(dataset, outcome=outcome, freq=freq, log=log, as_of=as_of)
    return _estimate(training, panel, category=category, pre=pre, post=post, min_group=min_group)


@frame_first_until_removed(
    "training_impact_by_category(dataset, training=training, ...)", _training_first_by_category
)
def training_impact_by_category(
    dataset: Dataset,
    *,
    training: pd.DataFrame | None = None,
    outcome: str = "sales_amount",
    pre: int = 2,
    post: int = 2,
    freq: str = "Q",
    log: bool = True,
    min_group: int = MIN_GROUP,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """:func:`training_impact` for every category in ``training``, one row each.

    Parameters are those of :func:`training_impact`; the outcome panel is built
    once. Categories with too few managers get a NaN row and a
    :class:`TrainingImpactWarning`.

    Returns
    -------
    pandas.DataFrame
        The rows of :meth:`TrainingImpact.to_frame`, categories in the order of
        :data:`~am_analytics.schemas.TRAINING_CATEGORIES` (unknown ones last).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> table = training_impact_by_category(data)
    >>> table["category"].tolist()
    ['sales_skills', 'product_knowledge', 'market_analysis', 'compliance']
    """
    training = training if training is not None else dataset.table("training")
    _check_training(training)
    _check_options(outcome=outcome, pre=pre, post=post, freq=freq, log=log, min_group=min_group)
    panel = _Panel.build(dataset, outcome=outcome, freq=freq, log=log, as_of=as_of)
    present = set(training["category"].dropna().astype("str"))
    known = [c for c in TRAINING_CATEGORIES if c in present]
    categories = known + sorted(present - set(known))
    # each category's first treated days, read once: every estimate adjusts for the others
    first_days = {c: _first_treated_day(training, c) for c in categories}
    rows = [
        _estimate(
            training, panel, category=c, pre=pre, post=post, min_group=min_group,
            first_days=first_days,
        ).to_frame()
        for c in categories  # a handful of categories, each one regression
    ]  # fmt: skip
    if not rows:
        return TrainingImpact.to_frame(_empty_impact(None, panel, "no training records")).iloc[:0]
    return pd.concat(rows, ignore_index=True)


def _check_options(
    *, outcome: str, pre: int, post: int, freq: str, log: bool, min_group: int
) -> None:
    """Raise ConfigError for a bad outcome, window, frequency or group minimum."""
    for name, value in (("pre", pre), ("post", post)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(
                f"{name} must be a whole number of periods of at least 1, got {value!r}; "
                f"pass e.g. {name}=2"
            )
    if freq not in IMPACT_FREQUENCIES:
        raise ConfigError(
            f"freq must be one of {IMPACT_FREQUENCIES} (quarters or months), got {freq!r}"
        )
    if not isinstance(log, bool):
        raise ConfigError(f"log must be True or False, got {log!r}")
    if isinstance(min_group, bool) or not isinstance(min_group, (int, np.integer)) or min_group < 2:
        raise ConfigError(
            f"min_group must be a whole number of at least 2, got {min_group!r}; the default is "
            f"{MIN_GROUP}"
        )
    if not isinstance(outcome, str):
        raise ConfigError(f"outcome must be a metric name such as 'sales_amount', got {outcome!r}")
    if outcome != "sales_amount":
        get_metric(outcome)  # raises ConfigError naming the registered metrics


def _check_category(training: pd.DataFrame, category: str | None) -> None:
    """Raise ConfigError for a category neither canonical nor present in ``training``."""
    if category is None:
        return
    present = set(training["category"].dropna().astype("str"))
    if category not in TRAINING_CATEGORIES and category not in present:
        raise ConfigError(
            f"unknown training category {category!r}; the categories are "
            f"{', '.join(TRAINING_CATEGORIES)} (this table has {', '.join(sorted(present))}). "
            "Pass one of them or category=None for any course"
        )


def _first_treated_day(training: pd.DataFrame, category: str | None) -> pd.Series:
    """Per manager, the first day after the end of their first completed course (ns).

    A course without an end date is taken to end on its start date.
    """
    rows = training.loc[_completed(training)]
    if category is not None:
        rows = rows.loc[rows["category"].astype("str") == category]
    end = rows["start_date"]
    if "end_date" in rows.columns:
        end = rows["end_date"].fillna(rows["start_date"])
    day = (end.dt.normalize() + pd.Timedelta(days=1)).to_numpy(dtype="datetime64[ns]")
    series = pd.Series(day.view(np.int64), index=rows["manager_id"].astype("str").to_numpy())
    return series.groupby(level=0).min()


def _cohorts(panel: _Panel, first_day: pd.Series) -> FloatArray:
    """Per panel row, the period index of the manager's first treated day (inf: never)."""
    period = np.searchsorted(panel.bounds, first_day.to_numpy(), side="right") - 1.0
    # treated after the last complete period: untreated within the panel
    period[period >= panel.n_periods] = np.inf
    lookup = pd.Series(period, index=first_day.index)
    return panel.frame["manager"].map(lookup).fillna(np.inf).to_numpy(dtype=np.float64)


def _exposure(panel: _Panel, first_day: pd.Series) -> FloatArray:
    """Per panel row, the share of the period's days on or after ``first_day``."""
    day = panel.frame["manager"].map(first_day).to_numpy(dtype=np.float64)
    t = panel.frame["t"].to_numpy()
    start = panel.bounds[t].astype(np.float64)
    end = panel.bounds[t + 1].astype(np.float64)
    share = (end - np.maximum(start, day)) / (end - start)
    return np.nan_to_num(np.clip(share, 0.0, 1.0), nan=0.0)


def _estimate(
    training: pd.DataFrame,
    panel: _Panel,
    *,
    category: str | None,
    pre: int,
    post: int,
    min_group: int,
    first_days: Mapping[str, pd.Series] | None = None,
) -> TrainingImpact:
    """Stack, check group sizes, fit the pooled and event-study regressions.

    ``first_days`` holds :func:`_first_treated_day` of categories already read.
    """
    known = first_days if first_days is not None else {}

    def first_treated(of: str | None) -> pd.Series:
        """The first treated days of a category, read again only when not known."""
        if of is not None and of in known:
            return known[of]
        return _first_treated_day(training, of)

    first_day = first_treated(category)
    others: list[str] = []
    if category is not None:
        others = sorted(set(training["category"].dropna().astype("str")) - {category})
    covariates = np.column_stack(
        [np.zeros(len(panel.frame))] + [_exposure(panel, first_treated(other)) for other in others]
    )[:, 1:]
    stacked = _stack(panel, _cohorts(panel, first_day), covariates, pre=pre, post=post)
    n_treated = int(stacked.loc[stacked["treated"], "manager"].nunique())
    n_control = int(stacked.loc[~stacked["treated"], "manager"].nunique())
    what = f"category {category!r}" if category is not None else "any category"
    if n_treated < min_group or n_control < min_group:
        note = (
            f"too few managers to estimate the effect of {what} on {panel.outcome}: "
            f"{n_treated} treated and {n_control} control managers with data around the "
            f"training (at least {min_group} of each needed). Use more history, a wider "
            "window (pre/post), freq='M', or pool categories (category=None)"
        )
        warnings.warn(note, TrainingImpactWarning, stacklevel=3)
        return _empty_impact(category, panel, note, n_treated=n_treated, n_control=n_control)
    # the regressions are a few hundred rows by a few dozen columns: BLAS threads only
    # add start-up and contention (tenths of a second each on a busy 2-core machine)
    with threadpool_limits(limits=1, user_api="blas"):
        pooled, event_study, pre_trend_p = _fit(stacked, pre=pre, post=post, log=panel.log)
    notes = [f"stacked DiD over {stacked['stack'].nunique()} cohorts"]
    if panel.dropped:
        notes.append(f"{panel.dropped} manager-periods without positive {panel.outcome} dropped")
    if others:
        notes.append(f"adjusted for {', '.join(others)}")
    return TrainingImpact(
        **pooled,
        n_treated=n_treated,
        n_control=n_control,
        pre_trend_p=pre_trend_p,
        event_study=event_study,
        category=category,
        outcome=panel.outcome,
        scale="relative" if panel.log else "absolute",
        n_cohorts=int(stacked["stack"].nunique()),
        n_observations=len(stacked),
        note="; ".join(notes),
    )


def _empty_impact(
    category: str | None, panel: _Panel, note: str, *, n_treated: int = 0, n_control: int = 0
) -> TrainingImpact:
    """A result without an estimate."""
    return TrainingImpact(
        effect=np.nan,
        ci_low=np.nan,
        ci_high=np.nan,
        p_value=np.nan,
        std_err=np.nan,
        n_treated=n_treated,
        n_control=n_control,
        pre_trend_p=np.nan,
        event_study=pd.DataFrame({c: pd.Series(dtype="float64") for c in _EVENT_COLUMNS}),
        category=category,
        outcome=panel.outcome,
        scale="relative" if panel.log else "absolute",
        n_cohorts=0,
        n_observations=0,
        note=note,
    )
