"""The manager cards of the HTML report: one page per manager for a 1:1 review.

Each card is read from the evaluation's per-manager frames (grouped once, not
filtered per manager) and the figures are drawn from those rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from . import _figures as figures
from ._messages import Messages
from ._tables import (
    Figure,
    Kind,
    Table,
    figure,
    finite_or_none,
    format_value,
    is_missing,
    table,
)

if TYPE_CHECKING:
    from ..evaluation import Evaluation

#: Periods of score history on a card.
TREND_PERIODS: Final = 4
#: Goals drawn as burn-up charts on a card (the furthest behind first).
BURN_UPS: Final = 3
#: Next actions listed on a card (the most urgent first).
NEXT_ACTIONS: Final = 5


@dataclass(frozen=True, slots=True)
class Card:
    """One manager's card."""

    manager_id: str
    name: str
    team: str
    level: str
    score: float | None
    grade: str
    computed_grade: str
    override_reason: str
    rank: float | None
    rank_low: float | None
    rank_high: float | None
    previous_rank: float | None
    score_change: float | None
    movement: str
    readiness: str
    lifted_by: str
    held_back_by: str
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]


def manager_cards(
    evaluation: Evaluation,
    words: Messages,
    *,
    managers: list[str] | None,
    with_figures: bool = True,
) -> tuple[Card, ...]:
    """A card per scored manager, best rank first (only ``managers`` when given).

    ``with_figures=False`` leaves the figures out: the workbook shows the
    tables only, and drawing takes about a third of the cards' time.
    """
    frames = evaluation.frames()
    scores = frames["scores"]
    scored = scores[scores["active"]].sort_values("rank")
    if managers is not None:
        scored = scored[scored.index.isin(managers)]
    views = _ManagerViews(frames, evaluation.period, language=words.language)
    criteria = _criterion_words(evaluation, words)
    return tuple(
        _card(str(manager_id), row, views, words, criteria, with_figures=with_figures)
        for manager_id, row in scored.iterrows()
    )


def _criterion_words(evaluation: Evaluation, words: Messages) -> dict[str, str]:
    """Each criterion's display name (as the scores' explanations give it) in the report's words.

    The scorecard names its criteria in one language (the default's are
    Chinese); the report shows the metric's words of its own language.
    """
    from ..scoring import default_scorecard

    card = evaluation.config.scorecard or default_scorecard()
    return {c.name: words.get(f"value.{c.metric}", c.name) for c in card.criteria}


def _effect(text: object, criteria: Mapping[str, str]) -> str:
    """An explanation such as ``销售额 (+10.9)`` with the criterion in the report's words."""
    shown = _text(text)
    name, _, points = shown.rpartition(" (")
    if not name or name not in criteria:
        return shown
    return f"{criteria[name]} ({points.replace('-', '−')}"


class _ManagerViews:
    """Each per-manager frame split by manager once, so a card is a dictionary lookup."""

    def __init__(
        self, frames: Mapping[str, pd.DataFrame], period: pd.Period, *, language: str
    ) -> None:
        self.frames = {**frames, **_card_frames(frames, period, language=language)}
        self.period = period
        self._split: dict[str, dict[str, pd.DataFrame]] = {}

    def rows(self, name: str, manager_id: str) -> pd.DataFrame | None:
        """``manager_id``'s rows of frame ``name``; None when the evaluation lacks the frame."""
        frame = self.frames.get(name)
        if frame is None:
            return None
        if name not in self._split:
            key = _manager_key(frame)
            values = frame.index.to_series() if frame.index.name == key else frame[key]
            grouped = frame.groupby(values.astype("string").to_numpy(), sort=False)
            self._split[name] = {str(k): part for k, part in grouped}
        return self._split[name].get(manager_id, frame.iloc[:0])

    def row(self, name: str, manager_id: str) -> pd.Series | None:
        """``manager_id``'s one row of a frame indexed by manager, or None."""
        frame = self.frames.get(name)
        if frame is None or manager_id not in frame.index:
            return None
        row = frame.loc[manager_id]
        return row if isinstance(row, pd.Series) else row.iloc[0]  # ids are unique


def _card_frames(
    frames: Mapping[str, pd.DataFrame], period: pd.Period, *, language: str
) -> dict[str, pd.DataFrame]:
    """The rows the cards list, chosen and ordered once for every manager.

    ``period_goals``: the managers' own goals overlapping ``period``, lowest
    attainment first; ``next_actions``: clients with a service due, most urgent
    first, the action in ``language``.
    """
    chosen = {}
    status = frames.get("goal_status")
    if status is not None:
        own = status["owner_kind"].astype("string").eq("manager").fillna(False)
        overlaps = (status["period_start"] <= period.end_time) & (
            status["period_end"] >= period.start_time
        )
        chosen["period_goals"] = status[own & overlaps].sort_values("attainment")
    clients = frames.get("clients")
    if clients is not None and "next_action" in clients.columns:
        action = "next_action_zh" if language == "zh" else "next_action"
        due = clients.dropna(subset=["due_date"]).sort_values(["priority", "due_date"])
        chosen["next_actions"] = due.assign(action=due[action]).rename_axis("client_id")
    return chosen


def _manager_key(frame: pd.DataFrame) -> str:
    """The column (or index) naming the manager of a per-manager frame."""
    for key in ("manager_id", "owner_id"):
        if frame.index.name == key or key in frame.columns:
            return key
    raise KeyError(f"no manager column among {list(frame.columns)}")


def _card(
    manager_id: str,
    row: pd.Series,
    views: _ManagerViews,
    words: Messages,
    criteria: Mapping[str, str],
    *,
    with_figures: bool,
) -> Card:
    interval = views.row("rank_intervals", manager_id)
    change = views.row("score_change", manager_id)
    readiness = views.rows("readiness", manager_id)
    ready = readiness.iloc[0] if readiness is not None and len(readiness) else None
    return Card(
        manager_id=manager_id,
        name=str(row["name"]),
        team=_text(row.get("team")),
        level=_text(ready["level"]) if ready is not None else "",
        score=finite_or_none(row["score"]),
        grade=_text(row["grade"]),
        computed_grade=_text(row.get("computed_grade")),
        override_reason=_text(row.get("override_reason")),
        rank=finite_or_none(row["rank"]),
        rank_low=finite_or_none(interval["rank_p05"]) if interval is not None else None,
        rank_high=finite_or_none(interval["rank_p95"]) if interval is not None else None,
        previous_rank=finite_or_none(change["previous_rank"]) if change is not None else None,
        score_change=finite_or_none(change["score_change"]) if change is not None else None,
        movement=_text(change["movement"]) if change is not None else "",
        readiness=_readiness(ready, words),
        lifted_by=_effect(row.get("lifted_by"), criteria),
        held_back_by=_effect(row.get("held_back_by"), criteria),
        figures=_card_figures(manager_id, row, views, words) if with_figures else (),
        tables=_card_tables(manager_id, row, views, words),
    )


def _text(value: object) -> str:
    """A value as text, missing as empty."""
    return "" if is_missing(value) else str(value)


def _readiness(ready: pd.Series | None, words: Messages) -> str:
    """The promotion readiness in words: status, next level, the 9-box position."""
    if ready is None:
        return ""
    return words(
        "text.readiness",
        status=words.get(f"value.{ready['status']}", _text(ready["status"])),
        next_level=_text(ready["next_level"]) or "–",
        performance=words.get(f"value.{ready['performance']}", _text(ready["performance"])),
        potential=words.get(f"value.{ready['potential']}", _text(ready["potential"])),
    )


# --- figures ------------------------------------------------------------------------------


def _card_figures(
    manager_id: str, row: pd.Series, views: _ManagerViews, words: Messages
) -> tuple[Figure, ...]:
    drawn = [_radar(row, views, words), _trend(manager_id, views, words)]
    drawn += _burn_ups(manager_id, views, words)
    drawn += [_portfolio(manager_id, views, words), _satisfaction(manager_id, views, words)]
    return tuple(figure for figure in drawn if figure is not None)


def _radar(row: pd.Series, views: _ManagerViews, words: Messages) -> Figure | None:
    """The manager's normalised criteria against the team's median."""
    criteria = [c.removesuffix("_norm") for c in row.index if str(c).endswith("_norm")]
    if not criteria:
        return None
    team = views.frames.get("team_criteria")
    reference = (
        team.loc[row["team"], criteria].astype("float64").tolist()
        if team is not None and row["team"] in team.index
        else [np.nan] * len(criteria)
    )
    return figure(
        figures.radar_chart,
        [words.get(f"value.{c}", c) for c in criteria],
        [float(row[f"{c}_norm"]) for c in criteria],
        reference,
        title=words("figure.radar"),
        series_names=(words("text.this_manager"), words("text.team_median")),
        width=480,
        height=300,
    )


def _trend(manager_id: str, views: _ManagerViews, words: Messages) -> Figure | None:
    """The rank over the last periods, with this period's rank interval."""
    history = views.rows("score_history", manager_id)
    if history is None or history.empty:
        return None
    recent = history.sort_values("period").tail(TREND_PERIODS)
    ranks = recent["rank"].astype("float64").tolist()
    low = [np.nan] * len(ranks)
    high = [np.nan] * len(ranks)
    interval = views.row("rank_intervals", manager_id)
    if interval is not None and str(recent["period"].iloc[-1]) == str(views.period):
        low[-1], high[-1] = float(interval["rank_p05"]), float(interval["rank_p95"])
    return figure(
        figures.trend_chart,
        recent["period"].astype(str).tolist(),
        ranks,
        low=low,
        high=high,
        title=words("figure.rank_trend"),
        y_label=words("column.rank"),
        invert=True,
        value_format="{:.0f}",
    )


def _burn_ups(manager_id: str, views: _ManagerViews, words: Messages) -> list[Figure]:
    """The period's goals of the manager, as burn-up charts, the furthest behind first."""
    goals = _period_goals(manager_id, views)
    if goals is None:
        return []

    date = words("format.short_date")
    drawn = []
    for _, goal in goals.head(BURN_UPS).iterrows():
        metric = words.get(f"value.{goal['metric']}", str(goal["metric"]))
        kind = GOAL_KINDS.get(str(goal["metric"]), "number")

        def written(value: float, kind: Kind = kind) -> str:
            """A value of the goal's metric as the report's tables write it."""
            return format_value(value, kind, words)

        drawn.append(
            figure(
                figures.burn_up_chart,
                *_burn_up_path(goal, date),
                projection_low=finite_or_none(goal["projection_low"]),
                projection_high=finite_or_none(goal["projection_high"]),
                title=words("figure.burn_up", metric=metric),
                series_names=(
                    words("text.actual"),
                    words("text.expected"),
                    words("text.projection"),
                ),
                target_label=words("text.target", value=written(float(goal["target"]))),
                value_format=written,
                width=320,
                height=180,
            )
        )
    return drawn


#: How a goal's metric is written on its burn-up (others as plain numbers).
GOAL_KINDS: Final[dict[str, Kind]] = {
    "sales_amount": "money",
    "new_clients": "int",
    "csat_mean": "score",
}


def _burn_up_path(goal: pd.Series, date: str) -> tuple[list[str], list[float], list[float]]:
    """Dates, actual and expected path of a goal: start, ``as_of`` (while open), end."""
    actual, expected, target = (
        float(goal[c]) for c in ("actual_to_date", "expected_to_date", "target")
    )
    if goal["date"] >= goal["period_end"]:  # the period is over: start and end only
        days = [goal["period_start"], goal["period_end"]]
        return [date.format(d=d) for d in days], [0.0, actual], [0.0, target]
    days = [goal["period_start"], goal["date"], goal["period_end"]]
    return [date.format(d=d) for d in days], [0.0, actual, np.nan], [0.0, expected, target]


def _period_goals(manager_id: str, views: _ManagerViews) -> pd.DataFrame | None:
    """The manager's own goals overlapping the evaluated period, lowest attainment first."""
    return views.rows("period_goals", manager_id)


def _portfolio(manager_id: str, views: _ManagerViews, words: Messages) -> Figure | None:
    """Clients per segment in the manager's book."""
    book = views.row("portfolios", manager_id)
    summary = views.frames.get("segment_summary")
    if book is None or summary is None:
        return None
    segments = [s for s in summary.index.astype(str) if f"clients_{s}" in book.index]
    return figure(
        figures.bar_chart,
        [words.get(f"value.{s}", s) for s in segments],
        [float(book[f"clients_{s}"]) for s in segments],
        title=words("figure.portfolio"),
        horizontal=True,
    )


def _satisfaction(manager_id: str, views: _ManagerViews, words: Messages) -> Figure | None:
    """The manager's CSAT with its interval, on the 1–5 scale."""
    rated = views.row("satisfaction", manager_id)
    if rated is None or pd.isna(rated["csat_mean"]):
        return None
    # The number of answers says why an interval may be a single point (3 answers, all 5).
    answers = words("text.answers", count=f"{int(rated['csat_responses']):,}")
    return figure(
        figures.interval_chart,
        [words("format.aside", text=words("value.csat_mean"), aside=answers)],
        [float(rated["csat_mean"])],
        [float(rated["csat_low"])],
        [float(rated["csat_high"])],
        title=words("figure.csat"),
        scale=(1.0, 5.0),
    )


# --- tables -------------------------------------------------------------------------------


def _card_tables(
    manager_id: str, row: pd.Series, views: _ManagerViews, words: Messages
) -> tuple[Table, ...]:
    parts: list[tuple[str, pd.DataFrame | None, list[tuple[str, Kind]], int | None]] = [
        ("criteria", _criteria(row, words), CRITERIA_COLUMNS, None),
        ("card_goals", _period_goals(manager_id, views), GOAL_COLUMNS, None),
        ("card_skill_gaps", _skill_gaps(manager_id, views), GAP_COLUMNS, None),
        ("card_training", views.rows("training_recommendations", manager_id), COURSE_COLUMNS, None),
        ("next_actions", _next_actions(manager_id, views), ACTION_COLUMNS, NEXT_ACTIONS),
    ]
    return tuple(
        table(key, frame, columns, words, title=words(f"title.{key}"), limit=limit)
        for key, frame, columns, limit in parts
        if frame is not None
    )


def _skill_gaps(manager_id: str, views: _ManagerViews) -> pd.DataFrame | None:
    """The competencies where the manager falls short of the next level."""
    gaps = views.rows("skill_gaps", manager_id)
    return None if gaps is None else gaps[gaps["gap"] > 0]


def _criteria(row: pd.Series, words: Messages) -> pd.DataFrame:
    """The manager's criteria as rows: value, normalised value, contribution to the score."""
    criteria = [str(c).removesuffix("_value") for c in row.index if str(c).endswith("_value")]
    return pd.DataFrame(
        {
            "criterion": [words.get(f"value.{c}", c) for c in criteria],
            "value": [row[f"{c}_value"] for c in criteria],
            "normalised": [row.get(f"{c}_norm") for c in criteria],
            "contribution": [row.get(f"{c}_contribution") for c in criteria],
        }
    )


def _next_actions(manager_id: str, views: _ManagerViews) -> pd.DataFrame | None:
    """The manager's clients due for service, most urgent first."""
    return views.rows("next_actions", manager_id)


CRITERIA_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("criterion", "text"),
    ("value", "number"),
    ("normalised", "share"),
    ("contribution", "score"),
]
GOAL_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("metric", "value"),
    ("target", "number"),
    ("actual_to_date", "number"),
    ("attainment", "share"),
    ("projection_low", "number"),
    ("projection_high", "number"),
    ("status", "value"),
]
GAP_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("competency", "value"),
    ("current", "number"),
    ("required_next", "number"),
    ("gap", "number"),
]
COURSE_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("rank", "int"),
    ("course_id", "text"),
    ("category", "value"),
    ("competency", "value"),
]
ACTION_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("client_id", "text"),
    ("name", "text"),
    ("segment", "value"),
    ("action", "text"),
    ("due_date", "date"),
]
