"""The survey and complaint metrics, and the satisfaction and SLA rules they rest on.

The metrics only read tables (surveys, feedback); the rules they share with
:mod:`am_analytics.feedback` live here, below it: the empirical-Bayes
shrinkage of CSAT means (documented in :func:`am_analytics.feedback.satisfaction`)
and the resolution SLA (:class:`SlaPolicy`; the definitions are in
:mod:`am_analytics.feedback`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataValidationError
from ._context import MetricContext
from ._registry import FloatArray, Metric
from ._sales import _active_clients

_NS_PER_HOUR: Final = 3_600 * 10**9


def _answers(frame: pd.DataFrame, column: str) -> FloatArray:
    """The answers in ``column`` as floats (all NaN when the column is absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    try:
        return frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            f"surveys column {column!r} must be numeric; it holds {frame[column].dtype}: "
            "validate the table first",
        ) from error


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """Datetimes as int64 nanoseconds since the epoch (NaT as int64 min)."""
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator``; NaN where the denominator is not positive."""
    out = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


# -- the CSAT shrinkage --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prior:
    """The normal prior of the group means that the CSAT shrinkage uses."""

    mean: float
    between_var: float  # tau^2
    within_var: float  # sigma^2

    @property
    def strength(self) -> float:
        """The prior's weight in responses, sigma^2 / tau^2 (inf when tau^2 is 0)."""
        if self.between_var > 0:
            return self.within_var / self.between_var
        return math.inf if self.within_var > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        """The prior as plain numbers (for ``DataFrame.attrs``)."""
        return {
            "mean": self.mean,
            "between_var": self.between_var,
            "within_var": self.within_var,
            "strength": self.strength,
        }


def _csat_stats(
    codes: np.ndarray, csat: FloatArray, n_groups: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Answer count, mean and sum of squares around the mean, per group."""
    answered = (codes >= 0) & ~np.isnan(csat)
    groups, values = codes[answered], csat[answered]
    n = np.bincount(groups, minlength=n_groups).astype(np.float64)
    sums = np.bincount(groups, weights=values, minlength=n_groups).astype(np.float64)
    mean = _divide(sums, n)
    # two passes (around each group's own mean) keep the variance exact
    squares = (values - mean[groups]) ** 2
    ss = np.bincount(groups, weights=squares, minlength=n_groups).astype(np.float64)
    return n, mean, ss


def _shrinkage_prior(n: FloatArray, mean: FloatArray, ss: FloatArray) -> _Prior:
    """The prior mean, tau^2 (DerSimonian-Laird) and pooled sigma^2 of group means."""
    answered = n > 0
    k = int(answered.sum())
    if k == 0:
        return _Prior(math.nan, 0.0, math.nan)
    n_k, mean_k = n[answered], mean[answered]
    grand = float((n_k * mean_k).sum() / n_k.sum())
    df = float((n_k - 1).sum())
    if df > 0:
        within = float(ss.sum() / df)
    elif n_k.sum() >= 2:
        # one answer per group: between and within cannot be told apart
        within = float(((mean_k - grand) ** 2).sum() / (n_k.sum() - 1))
    else:
        within = 0.0
    if within == 0 or k < 2:
        between = float(np.var(mean_k, ddof=1)) if (within == 0 and k >= 2) else 0.0
        return _Prior(grand, between, within)
    w = n_k / within
    q = float((w * (mean_k - grand) ** 2).sum())  # grand is the fixed-effect mean
    c = float(w.sum() - (w**2).sum() / w.sum())
    between = max(0.0, (q - (k - 1)) / c)
    re_w = 1.0 / (within / n_k + between)
    return _Prior(float((re_w * mean_k).sum() / re_w.sum()), between, within)


def _shrink_weight(n: FloatArray, prior: _Prior) -> FloatArray:
    """Each group's weight on its own mean, n / (n + sigma^2 / tau^2)."""
    if prior.within_var == 0:
        return np.where(n > 0, 1.0, 0.0)
    if prior.between_var == 0:
        return np.zeros(len(n))
    return n / (n + prior.within_var / prior.between_var)


def _adjusted(mean: FloatArray, weight: FloatArray, prior: _Prior) -> FloatArray:
    """The shrunk means; the prior mean where a group has no answers."""
    own = np.where(weight > 0, mean, 0.0)  # NaN means only occur with weight 0
    return prior.mean + weight * (own - prior.mean)


# -- the resolution SLA ---------------------------------------------------


#: The kinds of feedback that need handling (and so have an SLA).
ACTIONABLE_KINDS: Final = ("complaint", "suggestion")


_NEVER: Final = np.iinfo(np.int64).max  # resolved_at of items never resolved


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Resolution deadlines in hours after opening, by severity.

    Parameters
    ----------
    high, medium, low
        Hours allowed for items of that severity.
    unrated
        Hours allowed for complaints and suggestions without a severity.

    Raises
    ------
    ConfigError
        If an hour count is not a positive finite number.

    Examples
    --------
    >>> SlaPolicy(high=8).hours_for(pd.Series(["high", "low", None]))
    array([  8., 168.,  72.])
    >>> SlaPolicy.from_mapping({"medium": 48}).medium
    48.0
    """

    high: float = 24.0
    medium: float = 72.0
    low: float = 168.0
    unrated: float = 72.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(
                    f"SLA hours for {field.name!r} must be a number, not {value!r}; "
                    "give hours such as 24"
                )
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"SLA hours for {field.name!r} must be positive and finite, not {value}; "
                    "give hours such as 24"
                )
            object.__setattr__(self, field.name, float(value))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float]) -> SlaPolicy:
        """A policy from ``{severity: hours}``; severities not given keep their default."""
        known = [field.name for field in fields(cls)]
        unknown = [key for key in mapping if key not in known]
        if unknown:
            raise ConfigError(
                f"unknown SLA severities {unknown}; use some of {known}",
            )
        return cls(**dict(mapping))

    def hours_for(self, severity: pd.Series) -> FloatArray:
        """The SLA hours of each severity (``unrated`` for missing or unknown ones)."""
        table = {"high": self.high, "medium": self.medium, "low": self.low}
        hours = severity.astype("object").map(table)
        return hours.fillna(self.unrated).to_numpy(dtype=np.float64).astype(np.float64)


def _sla_state(feedback: pd.DataFrame, now: pd.Timestamp, policy: SlaPolicy) -> dict[str, Any]:
    """Per item, as int64 ns and masks: opened, resolved, due, open, breached, judged at ``now``.

    Items opened at or after ``now`` are not actionable yet (they did not exist).
    """
    opened = _nanoseconds(feedback["opened_at"])
    if "resolved_at" in feedback.columns:
        resolved_at = _nanoseconds(feedback["resolved_at"])
        resolved_at = np.where(feedback["resolved_at"].isna().to_numpy(), _NEVER, resolved_at)
    else:
        resolved_at = np.full(len(feedback), _NEVER, dtype=np.int64)
    no_severity = pd.Series([None] * len(feedback), dtype="object")
    severity = feedback["severity"] if "severity" in feedback.columns else no_severity
    due = opened + np.rint(policy.hours_for(severity) * _NS_PER_HOUR).astype(np.int64)
    kind = feedback["kind"].to_numpy(dtype=object)
    actionable = np.isin(kind, ACTIONABLE_KINDS) & (opened < now.value)
    resolved = resolved_at < now.value
    past_due = now.value > due
    return {
        "opened_at": opened,
        "resolved_at": resolved_at,
        "due_at": due,
        "actionable": actionable,
        "resolved": resolved,
        "open": ~resolved,
        "breached": np.where(resolved, resolved_at > due, past_due),
        "judged": resolved | past_due,
    }


# -- the metrics ----------------------------------------------------------


def _surveys(ctx: MetricContext, column: str) -> tuple[np.ndarray, FloatArray]:
    """Manager codes and answers of the period's surveys that answered ``column``."""
    surveys = ctx.rows_in("surveys", "survey_date")
    answers = surveys[column].to_numpy(dtype=np.float64)
    answered = ~np.isnan(answers)
    return ctx.manager_codes(surveys)[answered], answers[answered]


def _csat_mean(ctx: MetricContext) -> FloatArray:
    managers, csat = _surveys(ctx, "csat")
    return ctx.ratio(ctx.per_manager(managers, csat), ctx.per_manager(managers))


def _nps(ctx: MetricContext) -> FloatArray:
    managers, nps = _surveys(ctx, "nps")
    net = np.where(nps >= 9, 100.0, 0.0) - np.where(nps <= 6, 100.0, 0.0)
    return ctx.ratio(ctx.per_manager(managers, net), ctx.per_manager(managers))


def _survey_count(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.manager_codes(ctx.rows_in("surveys", "survey_date")))


def _complaints(ctx: MetricContext) -> pd.DataFrame:
    feedback = ctx.rows_in("feedback", "opened_at")
    return feedback[feedback["kind"].to_numpy() == "complaint"]


def _complaint_count(ctx: MetricContext) -> FloatArray:
    return ctx.per_manager(ctx.manager_codes(_complaints(ctx)))


def _complaints_per_100_clients(ctx: MetricContext) -> FloatArray:
    return 100 * ctx.ratio(_complaint_count(ctx), _active_clients(ctx))


def _median_resolution_hours(ctx: MetricContext) -> FloatArray:
    complaints = _complaints(ctx)
    resolved_at = complaints["resolved_at"]
    resolved = resolved_at.notna().to_numpy() & (
        resolved_at.to_numpy().view(np.int64) < ctx.window.end.value
    )
    hours = (resolved_at - complaints["opened_at"]).dt.total_seconds().to_numpy()[resolved] / 3600
    medians = pd.Series(hours).groupby(ctx.manager_codes(complaints)[resolved]).median()
    out = np.full(ctx.n_managers, np.nan)
    inside = medians.index.to_numpy() < ctx.n_managers
    out[medians.index.to_numpy()[inside]] = medians.to_numpy()[inside]
    return out


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


FEEDBACK_METRICS: Final = (
    Metric("csat_mean", "higher", "score 1-5",
           "Mean CSAT of the period's surveys about the manager; NaN without answers.",
           ("surveys",), _csat_mean),
    Metric("nps", "higher", "points -100..100",
           "Net promoter score: % promoters (9-10) minus % detractors (0-6) among the "
           "period's NPS answers; NaN without answers.",
           ("surveys",), _nps),
    Metric("survey_count", "higher", "responses",
           "Survey responses about the manager dated in the period.",
           ("surveys",), _survey_count),
    Metric("complaint_count", "lower", "complaints",
           "Complaints about the manager opened in the period.",
           ("feedback",), _complaint_count),
    Metric("complaints_per_100_clients", "lower", "complaints per 100 clients",
           "Complaints opened in the period per 100 active clients; NaN without active clients.",
           ("feedback", "sales"), _complaints_per_100_clients),
    Metric("median_resolution_hours", "lower", "hours",
           "Median hours from opening to resolution of the complaints opened in the period "
           "and resolved by its end; NaN when none was.",
           ("feedback",), _median_resolution_hours),
)  # fmt: skip

#: The metrics built on the CSAT shrinkage and the default SLA policy.
FEEDBACK_MODEL_METRICS: Final = (
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
