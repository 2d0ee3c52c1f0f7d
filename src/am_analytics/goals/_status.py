"""Where each goal stands on a day: the last step of an attainment result or of the goals."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd

from .._deprecation import warn_old_call
from ..dataset import Dataset
from ..errors import ConfigError
from ..periods import DateLike, parse_as_of
from ._attainment import AttainmentOptions, attainment, options_from_old_keywords

__all__ = ["goal_status", "latest_status"]


def goal_status(
    dataset: Dataset,
    *,
    as_of: DateLike,
    goals: pd.DataFrame | None = None,
    options: AttainmentOptions | None = None,
) -> pd.DataFrame:
    """One row per goal of the dataset: where it stands on ``as_of``.

    :func:`attainment` followed by :func:`latest_status`.

    Parameters
    ----------
    dataset
        The :class:`~am_analytics.Dataset` whose goals are looked at.
    as_of
        The day looked at.
    goals
        A goals table to look at instead of ``dataset.goals``.
    options
        Passed to :func:`attainment` (default :class:`AttainmentOptions`).

    Returns
    -------
    pandas.DataFrame
        The :func:`attainment` columns, one row per goal that started by
        ``as_of``, sorted by ``goal_id``.

    Raises
    ------
    MissingTableError
        If ``goals`` is not given and the dataset has no goals table.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> now = goal_status(data, as_of="2026-11-15")
    >>> bool(now["goal_id"].is_unique), bool((now["date"] <= "2026-11-15").all())
    (True, True)
    """
    day = parse_as_of(as_of).normalize()
    results = attainment(dataset, as_of=day, goals=goals, options=options)
    return latest_status(results, as_of=day)


def _goals_form_still_accepted(
    function: Callable[..., pd.DataFrame],
) -> Callable[..., pd.DataFrame]:
    """Accept ``latest_status(goals, dataset, ...)`` of release 0.1, warning, as goal_status."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> pd.DataFrame:
        kwargs = options_from_old_keywords(kwargs, "latest_status")
        frame = args[0] if args else kwargs.pop("results_or_goals", kwargs.pop("results", None))
        dataset = args[1] if len(args) > 1 else kwargs.pop("dataset", None)
        options = kwargs.pop("options", None)
        if dataset is None and options is None:
            return function(frame, **kwargs)
        if isinstance(dataset, Dataset) and "actual_to_date" not in frame.columns:
            warn_old_call(
                "for a goals table call goal_status(dataset, as_of=..., goals=goals); "
                "latest_status(results, as_of=...) takes an attainment() result"
            )
            return goal_status(dataset, goals=frame, options=options, **kwargs)
        warn_old_call(
            "latest_status(results, as_of=...) takes an attainment() result only: "
            "drop the dataset and options, they had no effect"
        )
        return function(frame, **kwargs)

    return wrapper


@_goals_form_still_accepted
def latest_status(results: pd.DataFrame, *, as_of: DateLike) -> pd.DataFrame:
    """One row per goal: its last step on or before ``as_of``.

    Parameters
    ----------
    results
        An :func:`attainment` result (for a dataset's goals, :func:`goal_status`
        runs both steps).
    as_of
        The day looked at.

    Returns
    -------
    pandas.DataFrame
        The :func:`attainment` columns, one row per goal that started by
        ``as_of``, sorted by ``goal_id``.

    Raises
    ------
    ConfigError
        If ``results`` is not an attainment result (it has no ``actual_to_date``).

    Notes
    -----
    Until release 0.3 the former call ``latest_status(goals, dataset,
    as_of=..., options=...)`` still works, with a :class:`FutureWarning`: it
    runs :func:`goal_status`.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> steps = attainment(data, as_of="2026-11-15")
    >>> now = latest_status(steps, as_of="2026-10-31")
    >>> bool(now["goal_id"].is_unique), bool((now["date"] <= "2026-10-31").all())
    (True, True)
    """
    if "actual_to_date" not in results.columns:
        raise ConfigError(
            "latest_status takes an attainment() result and this frame has no "
            "actual_to_date column; for a goals table call goal_status(dataset, as_of=...)"
        )
    day = parse_as_of(as_of).normalize()
    known = results[results["date"] <= day].sort_values(["goal_id", "date"], kind="stable")
    return known.groupby("goal_id", sort=True).tail(1).reset_index(drop=True)
