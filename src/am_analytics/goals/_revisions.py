"""Approved target adjustments written into the goals table as new revisions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .._deprecation import frame_keyword_since
from ..errors import ConfigError
from ..periods import DateLike, parse_as_of
from ._adjust import _PROPOSAL_COLUMNS
from ._rollup import _require, targets_in_force

__all__ = ["apply_adjustments"]


@frame_keyword_since("proposals")
def apply_adjustments(
    goals: pd.DataFrame,
    *,
    proposals: pd.DataFrame,
    approved: Iterable[str],
    as_of: DateLike,
) -> pd.DataFrame:
    """Write approved proposals as new revisions of their goals.

    Parameters
    ----------
    goals
        The goals table (all revisions).
    proposals
        The output of :func:`~am_analytics.goals.recommend_adjustments`.
    approved
        The ``goal_id`` of each proposal to apply; each must be a triggered
        proposal whose revision is still the goal's latest.
    as_of
        The day of approval: the new revisions' ``set_on``.

    Returns
    -------
    pandas.DataFrame
        ``goals`` unchanged, with a ``previous_target`` column (NaN on rows
        that do not record one), followed by one new row per approved goal.

    Raises
    ------
    ConfigError
        If an approved id is not a triggered proposal, the goal has a newer
        revision than the one the proposal adjusted, or ``as_of`` precedes that
        revision's ``set_on``.
    DataValidationError
        If ``goals`` or ``proposals`` lack a required column.

    Notes
    -----
    A new row copies the revision it replaces with ``revision + 1``,
    ``target = proposed_target``, ``set_on = as_of``, the proposal's
    ``reason`` and ``previous_target`` = the replaced target. No row is changed
    or dropped, so the target in force on any past date stays what it was.

    Until release 0.3 the former call ``apply_adjustments(goals, proposals,
    ...)`` still works, with a :class:`FutureWarning` that shows the new one.

    Examples
    --------
    >>> import pandas as pd
    >>> goals = pd.DataFrame({"goal_id": ["G1"], "owner_id": ["M1"], "metric": ["sales_amount"],
    ...     "target": [1000.0], "period_start": [pd.Timestamp("2026-07-01")],
    ...     "period_end": [pd.Timestamp("2026-09-30")], "owner_kind": ["manager"],
    ...     "set_on": [pd.Timestamp("2026-06-25")], "revision": [1], "reason": [None]})
    >>> proposals = pd.DataFrame({"goal_id": ["G1"], "revision": [1], "old_target": [1000.0],
    ...     "proposed_target": [880.0], "triggered": [True], "reason": ["market adjustment"]})
    >>> out = apply_adjustments(goals, proposals=proposals, approved=["G1"], as_of="2026-08-15")
    >>> out[["goal_id", "revision", "target", "previous_target", "set_on"]]
      goal_id  revision  target  previous_target     set_on
    0      G1         1  1000.0              NaN 2026-06-25
    1      G1         2   880.0           1000.0 2026-08-15
    """
    day = parse_as_of(as_of).normalize()
    _require(
        goals,
        ("goal_id", "owner_id", "metric", "target", "period_start", "period_end"),
        "goals table",
    )
    _require(proposals, _PROPOSAL_COLUMNS, "proposals frame")
    chosen = _approved(proposals, approved)
    latest = targets_in_force(goals)
    latest = latest.set_index("goal_id").reindex(chosen["goal_id"])
    _check_current(chosen, latest, day)
    base = goals if "previous_target" in goals.columns else goals.assign(previous_target=np.nan)
    # the replaced row, found by (goal_id, revision) in the original frame
    revision = (
        goals["revision"].fillna(1).astype(np.int64)
        if "revision" in goals.columns
        else pd.Series(1, index=goals.index)
    )
    key = goals["goal_id"].astype(str) + "\x00" + revision.astype(str)
    wanted = chosen["goal_id"].astype(str) + "\x00" + chosen["revision"].astype(str)
    rows = base.iloc[pd.Index(key).get_indexer(pd.Index(wanted))].copy()
    new_revision = chosen["revision"].to_numpy(dtype=np.int64) + 1
    rows["revision"] = pd.array(new_revision, dtype=_revision_dtype(goals))
    rows["target"] = chosen["proposed_target"].to_numpy(dtype=np.float64)
    rows["set_on"] = day
    rows["reason"] = chosen["reason"].to_numpy()
    rows["previous_target"] = chosen["old_target"].to_numpy(dtype=np.float64)
    if "set_on" in goals.columns:
        rows["set_on"] = rows["set_on"].astype(goals["set_on"].dtype)
    if "reason" in goals.columns:
        rows["reason"] = rows["reason"].astype(goals["reason"].dtype)
    return pd.concat([base, rows], ignore_index=True)


def _revision_dtype(goals: pd.DataFrame) -> Any:
    """The dtype of ``goals["revision"]`` (int64 when the column is absent)."""
    return goals["revision"].dtype if "revision" in goals.columns else np.dtype(np.int64)


def _approved(proposals: pd.DataFrame, approved: Iterable[str]) -> pd.DataFrame:
    """The triggered proposals named in ``approved``, or :class:`ConfigError`."""
    ids = [approved] if isinstance(approved, str) else list(dict.fromkeys(approved))
    triggered = proposals[proposals["triggered"].astype(bool).to_numpy()]
    triggered = triggered[~triggered["goal_id"].duplicated(keep="last")]
    unknown = [i for i in ids if i not in set(triggered["goal_id"])]
    if unknown:
        raise ConfigError(
            f"approved goal(s) {', '.join(map(str, unknown))} have no triggered proposal; "
            "approve only rows of recommend_adjustments() with triggered == True"
        )
    return triggered.set_index("goal_id").loc[ids].reset_index()


def _check_current(chosen: pd.DataFrame, latest: pd.DataFrame, day: pd.Timestamp) -> None:
    """Raise :class:`ConfigError` for proposals that are stale or approved too early."""
    missing = latest["target"].isna().to_numpy() & latest["metric"].isna().to_numpy()
    stale = missing | (latest["revision"].to_numpy() != chosen["revision"].to_numpy())
    if stale.any():
        names = ", ".join(chosen["goal_id"][stale].astype(str))
        raise ConfigError(
            f"the proposals for {names} adjust a revision that is not the goal's latest "
            "(or the goal is not in goals); run recommend_adjustments() again on the "
            "current goals"
        )
    if "set_on" in latest.columns:
        early = (latest["set_on"] > day).to_numpy()
        if early.any():
            names = ", ".join(chosen["goal_id"][early].astype(str))
            raise ConfigError(
                f"as_of {day.date()} is before the revision being replaced was set for "
                f"{names}; a new revision cannot predate the one it replaces"
            )
