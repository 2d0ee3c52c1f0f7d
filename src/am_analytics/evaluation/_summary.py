"""The executive summary of an evaluation: headline figures and the risks, from the sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from ..goals import ADDITIVE_METRICS

if TYPE_CHECKING:
    from ._stages import Frames, Run

#: The columns of the headline frame.
HEADLINE_COLUMNS: Final = ["measure", "aggregation", "value", "previous", "change"]

#: The risk frames counted in the headline, by the measure they count.
RISK_COUNTS: Final = {
    "goals_off_track": "goals_off_track",
    "overdue_complaints": "overdue_complaints",
    "clients_slipping": "slipping_clients",
}


def summary(run: Run) -> Frames:
    """The headline: managers scored, each criterion for the organisation, the risks counted.

    One row per measure: ``managers_scored`` and the grade counts
    (``grade_A``, ...), then each criterion of the scores (``sales_amount``:
    the managers' total, ``csat_adjusted``: their mean; the totalled ones are
    :data:`~am_analytics.goals.ADDITIVE_METRICS`), each against the previous
    period, then the risks of the period (goals off track, complaints overdue,
    clients slipping from the top segments) where their sections are present.
    """
    scores = run.frames["scores"]
    previous = run.previous_scores
    rows = [_row("managers_scored", "count", scores["active"].sum(), _active_count(previous))]
    rows += _grade_rows(scores, previous)
    rows += _criterion_rows(scores, previous)
    rows += [
        _row(measure, "count", len(run.frames[frame]), np.nan)
        for measure, frame in RISK_COUNTS.items()
        if frame in run.frames
    ]
    headline = pd.DataFrame(rows, columns=HEADLINE_COLUMNS[:-1])
    headline["change"] = headline["value"] - headline["previous"]
    return {"headline": headline}


def _row(measure: str, aggregation: str, value: float, previous: float) -> tuple[object, ...]:
    return (measure, aggregation, float(value), float(previous))


def _active_count(previous: pd.DataFrame | None) -> float:
    return np.nan if previous is None else float(previous["active"].sum())


def _grade_rows(scores: pd.DataFrame, previous: pd.DataFrame | None) -> list[tuple[object, ...]]:
    """Managers per grade (the final grade, after any overrides), now and before."""
    now = scores["grade"].value_counts(sort=False)
    before = previous["grade"].value_counts(sort=False) if previous is not None else None
    return [
        _row(f"grade_{grade}", "count", count, np.nan if before is None else before.get(grade, 0))
        for grade, count in now.items()
    ]


def _criterion_rows(
    scores: pd.DataFrame, previous: pd.DataFrame | None
) -> list[tuple[object, ...]]:
    """Each criterion over the scored managers: their total or their mean."""
    rows = []
    for column in scores.columns:
        if not column.endswith("_value"):
            continue
        metric = column.removesuffix("_value")
        aggregation = "total" if metric in ADDITIVE_METRICS else "mean"
        value = _aggregate(scores, column, aggregation)
        before = np.nan if previous is None else _aggregate(previous, column, aggregation)
        rows.append(_row(metric, aggregation, value, before))
    return rows


def _aggregate(scores: pd.DataFrame, column: str, aggregation: str) -> float:
    """The total or mean of ``column`` over the active managers (NaN when it is absent)."""
    if column not in scores.columns:
        return np.nan
    values = scores.loc[scores["active"], column].astype("float64")
    return float(values.sum() if aggregation == "total" else values.mean())
