"""Complaint handling against a resolution SLA: summaries per manager and the overdue list."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, ParamSpec, TypeVar, cast

import numpy as np
import pandas as pd

from .._checks import require_columns
from .._deprecation import warn_old_call
from ..errors import ConfigError
from ..metrics import manager_metrics
from ..metrics._feedback import _NS_PER_HOUR, SlaPolicy, _divide, _sla_state
from ..periods import DateLike, PeriodLike, period_window, to_period

if TYPE_CHECKING:
    from ..dataset import Dataset
from ._common import FloatArray, _end_of_day, _group_codes, _in_window, _per_group

P = ParamSpec("P")
R = TypeVar("R")


def _dataset_keyword_until_removed(function: Callable[P, R]) -> Callable[P, R]:
    """Let ``dataset=`` still stand in for ``active_clients=`` for one release, with a warning."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        dataset = cast("Dataset | None", kwargs.pop("dataset", None))
        if dataset is not None:
            warn_old_call(
                "give active_clients instead of dataset: feedback_summary(feedback, ..., "
                "active_clients=manager_metrics(dataset, period=..., "
                'metrics=["active_clients"])["active_clients"])'
            )
            if kwargs.get("active_clients") is None and "period" in kwargs:
                kwargs["active_clients"] = manager_metrics(
                    dataset,
                    period=cast(PeriodLike, kwargs["period"]),
                    metrics=["active_clients"],
                    as_of=cast("DateLike | None", kwargs.get("as_of")),
                )["active_clients"]
        return function(*args, **kwargs)

    return wrapper


@_dataset_keyword_until_removed
def feedback_summary(
    feedback: pd.DataFrame,
    *,
    period: PeriodLike,
    as_of: DateLike,
    sla: SlaPolicy | Mapping[str, float] | None = None,
    active_clients: pd.Series | None = None,
) -> pd.DataFrame:
    """Complaints, suggestions and praise per manager, and how well they were handled.

    Parameters
    ----------
    feedback
        A feedback table (``feedback_id, client_id, manager_id, kind,
        opened_at``; ``resolved_at`` and ``severity`` when known).
    period
        The period whose items are counted (by ``opened_at``).
    as_of
        The day whose end the state is taken at (see the module notes); items
        opened after it are ignored.
    sla
        A :class:`SlaPolicy` or ``{severity: hours}``; default
        :class:`SlaPolicy()`.
    active_clients
        Active clients per manager (indexed by ``manager_id``), e.g. the
        ``active_clients`` column of :func:`~am_analytics.manager_metrics`
        for the same period; without it ``complaints_per_100_clients`` is NaN.
        Kept as an argument so this function needs only the feedback table.

    Returns
    -------
    pandas.DataFrame
        One row per manager (every category of a categorical ``manager_id``),
        indexed by ``manager_id``.

    Raises
    ------
    DataValidationError
        If a required column is missing.
    ConfigError
        If the period, ``as_of`` or ``sla`` cannot be read.

    Notes
    -----
    Output columns (items "of the period" are those opened in its window, cut
    at ``as_of``):

    ``complaints``, ``suggestions``, ``praise``
        Items of each kind of the period (int).
    ``complaints_per_100_clients``
        ``100 * complaints / active_clients``; NaN when not given or not positive.
    ``open_backlog``
        Complaints and suggestions, opened at any time, unresolved at ``as_of`` (int).
    ``median_resolution_hours``, ``p90_resolution_hours``
        Median and 90th percentile (linear interpolation) of the hours from
        opening to resolution of the period's complaints and suggestions
        resolved by ``as_of``; NaN when none was.
    ``sla_breaches``, ``sla_judged``
        The period's complaints and suggestions that breached their SLA, and
        those whose outcome is known (int; see the module notes).
    ``sla_breach_rate``
        ``sla_breaches / sla_judged``; NaN when nothing is judged yet.

    Examples
    --------
    >>> feedback = pd.DataFrame({
    ...     "feedback_id": ["F1", "F2", "F3"], "client_id": ["C1", "C2", "C1"],
    ...     "manager_id": ["M1", "M1", "M2"], "kind": ["complaint", "complaint", "praise"],
    ...     "opened_at": pd.to_datetime(
    ...         ["2026-07-01 09:00", "2026-07-02 09:00", "2026-07-03 00:00"]),
    ...     "resolved_at": pd.to_datetime(["2026-07-02 09:00", None, None]),
    ...     "severity": ["high", "high", None]})
    >>> s = feedback_summary(feedback, period="2026Q3", as_of="2026-07-10")
    >>> s[["complaints", "open_backlog", "median_resolution_hours", "sla_breach_rate"]]
                complaints  open_backlog  median_resolution_hours  sla_breach_rate
    manager_id
    M1                   2             1                     24.0              0.5
    M2                   0             0                      NaN              NaN
    """
    require_columns(feedback, _FEEDBACK_COLUMNS, "feedback")
    policy = _policy(sla)
    now = _end_of_day(as_of)
    window = period_window(to_period(period), as_of=as_of)
    state = _sla_state(feedback, now, policy)
    codes, managers = _group_codes(feedback["manager_id"])
    k = len(managers)
    clients = active_clients
    in_period = _in_window(feedback["opened_at"], window) & (codes >= 0)
    kind = feedback["kind"].to_numpy(dtype=object)
    counts = {
        name: np.bincount(codes[in_period & (kind == value)], minlength=k).astype(np.int64)
        for name, value in _KIND_COLUMNS.items()
    }
    handled = in_period & state["actionable"]
    resolved = handled & state["resolved"]
    hours = (state["resolved_at"][resolved] - state["opened_at"][resolved]) / _NS_PER_HOUR
    by_manager = pd.Series(hours).groupby(codes[resolved])
    breaches = np.bincount(codes[handled & state["breached"]], minlength=k)
    judged = np.bincount(codes[handled & state["judged"]], minlength=k)
    backlog = state["actionable"] & state["open"] & (codes >= 0)
    frame = pd.DataFrame(
        {
            **counts,
            "complaints_per_100_clients": 100
            * _divide(counts["complaints"].astype(np.float64), _clients(clients, managers)),
            "open_backlog": np.bincount(codes[backlog], minlength=k).astype(np.int64),
            "median_resolution_hours": _per_group(by_manager.median(), k),
            "p90_resolution_hours": _per_group(by_manager.quantile(0.9), k),
            "sla_breaches": breaches.astype(np.int64),
            "sla_judged": judged.astype(np.int64),
            "sla_breach_rate": _divide(breaches.astype(np.float64), judged.astype(np.float64)),
        },
        index=managers.rename("manager_id"),
    )
    return frame


def overdue(
    feedback: pd.DataFrame,
    *,
    as_of: DateLike,
    sla: SlaPolicy | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The complaints and suggestions still open past their SLA, oldest first.

    Parameters
    ----------
    feedback
        A feedback table (see :func:`feedback_summary`).
    as_of
        The day whose end the list is drawn up at (see the module notes).
    sla
        A :class:`SlaPolicy` or ``{severity: hours}``; default :class:`SlaPolicy()`.

    Returns
    -------
    pandas.DataFrame
        One row per overdue item, sorted by ``opened_at`` (then ``feedback_id``),
        with a fresh index.

    Raises
    ------
    DataValidationError
        If a required column is missing.
    ConfigError
        If ``as_of`` or ``sla`` cannot be read.

    Notes
    -----
    Output columns: ``feedback_id, client_id, manager_id, kind, severity,
    opened_at`` as in the table; ``due_at`` (opening plus the SLA hours);
    ``hours_overdue`` (float, hours from ``due_at`` to the end of ``as_of``,
    always > 0: an item exactly at its due time is not yet overdue).

    Examples
    --------
    >>> feedback = pd.DataFrame({
    ...     "feedback_id": ["F1", "F2"], "client_id": ["C1", "C2"], "manager_id": ["M1", "M2"],
    ...     "kind": ["complaint", "suggestion"],
    ...     "opened_at": pd.to_datetime(["2026-07-08 12:00", "2026-07-01 00:00"]),
    ...     "resolved_at": pd.NaT, "severity": ["high", "low"]})
    >>> overdue(feedback, as_of="2026-07-09")[["feedback_id", "due_at", "hours_overdue"]]
      feedback_id              due_at  hours_overdue
    0          F2 2026-07-08 00:00:00           48.0
    1          F1 2026-07-09 12:00:00           12.0
    """
    require_columns(feedback, _FEEDBACK_COLUMNS, "feedback")
    now = _end_of_day(as_of)
    state = _sla_state(feedback, now, _policy(sla))
    late = state["actionable"] & state["open"] & (now.value > state["due_at"])
    rows = np.flatnonzero(late)
    out = feedback.iloc[rows][["feedback_id", "client_id", "manager_id", "kind"]].copy()
    out["severity"] = (
        feedback["severity"].iloc[rows] if "severity" in feedback.columns else pd.Series(np.nan)
    )
    out["opened_at"] = feedback["opened_at"].iloc[rows]
    out["due_at"] = pd.to_datetime(state["due_at"][rows], unit="ns")
    out["hours_overdue"] = (now.value - state["due_at"][rows]) / _NS_PER_HOUR
    return out.sort_values(["opened_at", "feedback_id"], kind="stable").reset_index(drop=True)


_FEEDBACK_COLUMNS: Final = ["feedback_id", "client_id", "manager_id", "kind", "opened_at"]


_KIND_COLUMNS: Final = {"complaints": "complaint", "suggestions": "suggestion", "praise": "praise"}


def _policy(sla: SlaPolicy | Mapping[str, float] | None) -> SlaPolicy:
    """The SLA policy given, as a :class:`SlaPolicy`."""
    if sla is None:
        return SlaPolicy()
    if isinstance(sla, SlaPolicy):
        return sla
    if isinstance(sla, Mapping):
        return SlaPolicy.from_mapping(sla)
    raise ConfigError(
        f"sla must be an SlaPolicy or a mapping of severity to hours, not {type(sla).__name__}"
    )


def _clients(active_clients: pd.Series | None, managers: pd.Index) -> FloatArray:
    """Active clients per manager in ``managers`` order; NaN where unknown."""
    if active_clients is None:
        return np.full(len(managers), np.nan)
    if not isinstance(active_clients, pd.Series):
        raise ConfigError(
            "active_clients must be a Series of active clients indexed by manager_id, "
            f"not {type(active_clients).__name__}"
        )
    aligned = active_clients.copy()
    aligned.index = aligned.index.astype("object")
    values = aligned.reindex(managers.astype("object"))
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
