"""SMART reasons: each failing letter of a goal check in words, with its numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..schemas import OWNER_KINDS

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..metrics import Metric


def _missing_tables(metric: Metric, dataset: Dataset) -> list[str]:
    """The tables ``metric`` needs that ``dataset`` lacks."""
    return [t for t in metric.tables if getattr(dataset, t, None) is None]


def _reasons(
    out: pd.DataFrame,
    dataset: Dataset,
    metrics: dict[str, Metric],
    owner_known: np.ndarray,
    length: pd.Series,
    peers: np.ndarray,
    bounds: tuple[float, float],
    strategy: Sequence[str] | None,
) -> pd.Series:
    """Every failing letter in words with its numbers, then the notes."""
    parts = [
        _specific_reason(out, metrics, owner_known),
        _measurable_reason(out, dataset, metrics),
        _achievable_reason(out, length, peers, bounds),
        _relevant_reason(out, strategy),
        _time_bound_reason(out),
        _notes(out, length),
    ]
    reason = np.full(len(out), "", dtype=object)
    for part in parts:
        text = part.to_numpy(dtype=object)
        has = text != ""
        reason = np.where(has & (reason != ""), reason + "; " + text, np.where(has, text, reason))
    return pd.Series(reason, index=out.index, dtype=object).astype(str)


def _texts(mask: pd.Series | np.ndarray, make: Any, frame: pd.DataFrame) -> pd.Series:
    """``make(row)`` where ``mask``, else ``""`` (formatting words, not a hot path)."""
    mask = np.asarray(mask, dtype=bool)
    text = np.full(len(frame), "", dtype=object)
    if mask.any():
        text[mask] = [make(r) for r in frame[mask].itertuples(index=False)]
    return pd.Series(text, index=frame.index, dtype=object)


def _specific_reason(
    out: pd.DataFrame, metrics: dict[str, Metric], owner_known: np.ndarray
) -> pd.Series:
    def make(r: Any) -> str:
        problems = []
        if r.owner_kind not in OWNER_KINDS:
            problems.append(f"owner_kind {r.owner_kind!r} is neither 'manager' nor 'team'")
        elif not r.owner_known:
            problems.append(f"{r.owner_id!r} is not a known {r.owner_kind}")
        if r.metric not in metrics:
            problems.append(f"{r.metric!r} is not a registered metric (see list_metrics())")
        if pd.isna(r.target):
            problems.append("there is no target value")
        return "specific: " + ", ".join(problems)

    return _texts(~out["specific"], make, out.assign(owner_known=owner_known))


def _measurable_reason(
    out: pd.DataFrame, dataset: Dataset, metrics: dict[str, Metric]
) -> pd.Series:
    def make(r: Any) -> str:
        if r.metric not in metrics:
            return f"measurable: no metric {r.metric!r} can compute it"
        missing = _missing_tables(metrics[r.metric], dataset)
        return (
            f"measurable: {r.metric!r} needs the {' and '.join(missing)} table(s), "
            "which the dataset lacks"
        )

    return _texts(~out["measurable"], make, out)


def _achievable_reason(
    out: pd.DataFrame, length: pd.Series, peers: np.ndarray, bounds: tuple[float, float]
) -> pd.Series:
    def make(r: Any) -> str:
        stretch = r.achievable_flag == "stretch"
        bound = bounds[1] if stretch else bounds[0]
        side = "above" if stretch else "below"
        return (
            f"achievable: {r.achievable_flag} - the target {_number(r.target)} asks for "
            f"{r.required_growth:+.1%} on the owner's mean of {_number(r.baseline)} over "
            f"{_periods(r.n_history, r.length)}, at the {_ordinal(r.growth_percentile)} "
            f"percentile of {r.peers} peer goals ({side} the {_ordinal(bound)})"
        )

    frame = out.assign(length=length.to_numpy(), peers=peers)
    return _texts(~out["achievable"], make, frame)


def _relevant_reason(out: pd.DataFrame, strategy: Sequence[str] | None) -> pd.Series:
    where = "the strategy list" if strategy else "a strategy list (strategy=)"

    def make(r: Any) -> str:
        return f"relevant: {r.metric!r} is neither a scorecard metric nor in {where}"

    return _texts(~out["relevant"], make, out)


def _time_bound_reason(out: pd.DataFrame) -> pd.Series:
    def make(r: Any) -> str:
        if pd.isna(r.period_start) or pd.isna(r.period_end):
            missing = " and ".join(
                name
                for name, value in (("start", r.period_start), ("end", r.period_end))
                if pd.isna(value)
            )
            return f"time-bound: the period has no {missing}"
        if r.period_start > r.period_end:
            return (
                f"time-bound: the period ends ({r.period_end.date()}) before it starts "
                f"({r.period_start.date()})"
            )
        return (
            f"time-bound: set on {r.set_on.date()}, after the period ended on {r.period_end.date()}"
        )

    return _texts(~out["time_bound"], make, out)


def _notes(out: pd.DataFrame, length: pd.Series) -> pd.Series:
    """What passed only for lack of information."""
    judged = out["specific"] & out["measurable"] & (out["period_start"] <= out["period_end"])
    no_history = judged & (out["n_history"] == 0)
    not_positive = judged & (out["n_history"] > 0) & out["required_growth"].isna()
    no_set_on = out["set_on"].isna()

    def make(r: Any) -> str:
        notes = []
        if r.no_set_on:
            notes.append("no set_on date, so taken as set when the period starts")
        if r.no_history:
            notes.append("no history before the target was set to judge achievability")
        if r.not_positive:
            notes.append(
                f"the owner's mean over {_periods(r.n_history, r.length)} is "
                f"{_number(r.baseline)}, so the required growth is undefined"
            )
        return "note: " + ", ".join(notes)

    frame = out.assign(
        length=length.to_numpy(),
        no_set_on=no_set_on,
        no_history=no_history,
        not_positive=not_positive,
    )
    return _texts(no_set_on | no_history | not_positive, make, frame)


def _periods(count: int, length: float) -> str:
    """``"the last 4 quarters"`` and the like."""
    names = {1: "month", 3: "quarter", 6: "half-year", 12: "year"}
    if length > 0:
        unit = names.get(int(length), f"{int(length)}-month period")
    else:
        unit = f"{int(-length)}-day period"
    return f"the last {unit}" if count == 1 else f"the last {count} {unit}s"


def _number(value: float) -> str:
    """Whole numbers with thousands separators for amounts, 4 digits for small values."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def _ordinal(share: float) -> str:
    """``0.96 -> "96th"``."""
    n = round(100 * share)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
