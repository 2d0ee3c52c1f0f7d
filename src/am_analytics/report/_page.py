"""The HTML report's one summary structure: what the templates show, read from an Evaluation.

Nothing here computes an analytic figure: it picks frames, rows and columns,
labels them from the message catalogue and draws the figures. The templates
receive a :class:`Page` and never touch a frame.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Final

import pandas as pd

from . import _figures as figures
from ._cards import Card, manager_cards
from ._messages import Messages
from ._tables import Figure, Kind, Table, figure, finite_or_none, table

if TYPE_CHECKING:
    from ..evaluation import Evaluation, Section

#: The headline measures shown first in the summary, and how each is written;
#: the others of the headline frame follow in its order.
HEADLINE_KINDS: Final[dict[str, Kind]] = {
    "managers_scored": "int",
    "sales_amount": "money",
    "active_clients": "int",
    "new_clients": "int",
    "client_retention": "share",
    "csat_adjusted": "number",
    "complaints_per_100_clients": "number",
    "goals_off_track": "int",
    "overdue_complaints": "int",
    "clients_slipping": "int",
}

#: Headline measures where a fall is good news, and those neither good nor bad.
LOWER_IS_BETTER: Final = frozenset({"complaints_per_100_clients", "goals_off_track"})
NEUTRAL: Final = frozenset({"managers_scored"})

#: Rows of a long table shown in the report (the CSV, JSON and Excel files hold them all).
ROW_LIMIT: Final = 25


@dataclass(frozen=True, slots=True)
class Headline:
    """One headline figure against the previous period."""

    measure: str
    label: str
    kind: Kind
    change_kind: Kind  # a share changes by percentage points
    value: float | None
    previous: float | None
    change: float | None
    tone: str  # "good", "bad" or "" (no change or no previous figure)


@dataclass(frozen=True, slots=True)
class Risk:
    """One kind of risk: how many, and the first rows."""

    key: str
    title: str
    count: int
    table: Table


@dataclass(frozen=True, slots=True)
class Area:
    """A section of the report: its tables and figures, or why it is absent."""

    name: str
    title: str
    absent: str | None
    notes: tuple[str, ...]
    figures: tuple[Figure, ...]
    tables: tuple[Table, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the page template shows (a manager's own pack: the cards alone)."""

    language: str
    title: str
    subtitle: str
    generated: str
    cards: tuple[Card, ...]
    headlines: tuple[Headline, ...] = ()
    summary_figures: tuple[Figure, ...] = ()
    summary_tables: tuple[Table, ...] = ()
    risks: tuple[Risk, ...] = ()
    areas: tuple[Area, ...] = ()


def build_page(evaluation: Evaluation, words: Messages, *, managers: list[str] | None) -> Page:
    """The :class:`Page` of ``evaluation`` in the language of ``words``.

    ``managers`` limits the cards (and leaves out the summary and areas) when
    given: a manager's own report.
    """
    frames = evaluation.frames()
    version = metadata.version("am-analytics")
    subtitle = words(
        "text.subtitle",
        period=evaluation.period,
        previous=evaluation.previous_period,
        as_of=words("format.date").format(d=evaluation.as_of),
    )
    page = Page(
        language=words.language,
        title=words("report.title"),
        subtitle=subtitle,
        generated=words("text.generated", version=version),
        cards=manager_cards(evaluation, words, managers=managers),
    )
    if managers is not None:
        return page
    return dataclasses.replace(
        page,
        headlines=_headlines(frames, words),
        summary_figures=_summary_figures(frames, words),
        summary_tables=_summary_tables(frames, words, size=evaluation.config.summary_size),
        risks=_risks(frames, words),
        areas=tuple(_area(s, words) for s in evaluation.sections),
    )


# --- the executive summary ---------------------------------------------------------------


def _headlines(frames: dict[str, pd.DataFrame], words: Messages) -> tuple[Headline, ...]:
    """The headline frame's measures, the usual ones first."""
    headline = frames.get("headline")
    if headline is None:
        return ()
    rows = {str(row["measure"]): row for _, row in headline.iterrows()}
    return tuple(_headline(m, rows[m], words) for m in HEADLINE_KINDS if m in rows)


def _headline(measure: str, row: pd.Series, words: Messages) -> Headline:
    value, previous, change = (finite_or_none(row[c]) for c in ("value", "previous", "change"))
    tone = ""
    if change and measure not in NEUTRAL:
        better = (change < 0) if measure in LOWER_IS_BETTER else (change > 0)
        tone = "good" if better else "bad"
    return Headline(
        measure=measure,
        label=words(f"value.{measure}"),
        kind=HEADLINE_KINDS[measure],
        change_kind="points" if HEADLINE_KINDS[measure] == "share" else HEADLINE_KINDS[measure],
        value=value,
        previous=previous,
        change=change,
        tone=tone,
    )


def _summary_figures(frames: dict[str, pd.DataFrame], words: Messages) -> tuple[Figure, ...]:
    """The grade distribution (computed against final when they differ) and the score bands."""
    shown = []
    grades = frames.get("grade_distribution")
    if grades is not None:
        labels = grades["grade"].astype(str).tolist()
        if grades["computed"].equals(grades["final"]):
            shown.append(
                figure(
                    figures.bar_chart,
                    labels,
                    grades["final"].tolist(),
                    title=words("figure.grade_distribution"),
                )
            )
        else:
            series = {
                words("column.computed"): grades["computed"].tolist(),
                words("column.final"): grades["final"].tolist(),
            }
            shown.append(
                figure(
                    figures.grouped_bar_chart,
                    labels,
                    series,
                    title=words("figure.grade_distribution_overridden"),
                )
            )
    bands = frames.get("score_distribution")
    if bands is not None:
        labels = [
            f"{s:.0f}–{e:.0f}" for s, e in zip(bands["band_start"], bands["band_end"], strict=True)
        ]
        shown.append(
            figure(
                figures.bar_chart,
                labels,
                bands["managers"].tolist(),
                title=words("figure.score_distribution"),
            )
        )
    return tuple(shown)


def _summary_tables(
    frames: dict[str, pd.DataFrame], words: Messages, *, size: int
) -> tuple[Table, ...]:
    """The ranking's top ``size``, who rose and who fell, and the committee's overrides."""
    shown = []
    scores = frames["scores"]
    top = scores[scores["active"]].sort_values("rank").head(size)
    shown.append(table("top_managers", top, TOP_COLUMNS, words, title=words("title.top_managers")))
    change = frames.get("movers")
    if change is not None:
        for movement in ("rose", "fell"):
            moved = change[change["movement"] == movement]
            shown.append(
                table(
                    f"movers_{movement}",
                    moved,
                    MOVER_COLUMNS,
                    words,
                    title=words(f"title.movers_{movement}"),
                )
            )
    overrides = frames.get("overrides")
    if overrides is not None and not overrides.empty:
        shown.append(table("overrides", overrides.join(scores[["name"]]), OVERRIDE_COLUMNS, words))
    return tuple(shown)


def _risks(frames: dict[str, pd.DataFrame], words: Messages) -> tuple[Risk, ...]:
    """Goals off track, complaints overdue, clients slipping: counted, the first rows listed."""
    names = frames["scores"]["name"]
    shown = []
    for key, columns in RISK_COLUMNS.items():
        frame = frames.get(key)
        if frame is None:
            continue
        if "owner_id" in frame.columns:
            frame = frame.assign(owner_name=frame["owner_id"].map(names))
        elif "manager_id" in frame.columns:
            frame = frame.assign(manager_name=frame["manager_id"].map(names))
        shown.append(
            Risk(key, words(f"frame.{key}"), len(frame), table(key, frame, columns, words, limit=5))
        )
    return tuple(shown)


# --- the sections -------------------------------------------------------------------------


def _area(section: Section, words: Messages) -> Area:
    """A section's tables and figures, or why it is absent."""
    title = words(f"section.{section.name}")
    if not section.present:
        return Area(section.name, title, _absent_reason(section, words), section.notes, (), ())
    frames = section.frames
    tables = tuple(
        table(key, frames[key], columns, words, limit=limit)
        for key, (columns, limit) in AREA_TABLES.get(section.name, {}).items()
        if key in frames
    )
    return Area(section.name, title, None, section.notes, _area_figures(section, words), tables)


def _absent_reason(section: Section, words: Messages) -> str:
    """Why a section is absent, in the report's language where the catalogue knows the reason."""
    if section.left_out:
        return words("text.absent_left_out")
    if section.lacking:
        named = words("text.and").join(words(f"value.{t}") for t in section.lacking)
        return words("text.absent_needs", tables=named)
    return section.absent_reason or ""


def _area_figures(section: Section, words: Messages) -> tuple[Figure, ...]:
    """The figures of a section that has one."""
    frames = section.frames
    if section.name == "segments" and "segment_summary" in frames:
        summary = frames["segment_summary"]
        labels = [words.get(f"value.{s}", str(s)) for s in summary.index]
        return (
            figure(
                figures.bar_chart,
                labels,
                summary["clients"].tolist(),
                title=words("figure.segment_clients"),
                horizontal=True,
            ),
        )
    if section.name == "satisfaction" and "satisfaction" in frames:
        rated = frames["satisfaction"].dropna(subset=["csat_mean"]).sort_values("csat_mean")
        return (
            figure(
                figures.interval_chart,
                rated.index.astype(str).tolist(),
                rated["csat_mean"].tolist(),
                rated["csat_low"].tolist(),
                rated["csat_high"].tolist(),
                title=words("figure.csat_by_manager"),
                scale=(1.0, 5.0),
            ),
        )
    return ()


RANKING_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("rank", "int"),
    ("manager_id", "text"),
    ("name", "text"),
    ("team", "text"),
    ("score", "score"),
    ("grade", "text"),
]
#: The summary's ranking: narrow enough for three tables side by side on a laptop.
TOP_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("rank", "int"),
    ("name", "text"),
    ("team", "text"),
    ("score", "score"),
    ("grade", "text"),
]

MOVER_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("name", "text"),
    ("previous_rank", "int"),
    ("rank", "int"),
    ("rank_change", "change"),
    ("score_change", "signed"),
]

OVERRIDE_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("manager_id", "text"),
    ("name", "text"),
    ("from", "text"),
    ("to", "text"),
    ("reason", "text"),
    ("decided_by", "text"),
    ("decided_on", "date"),
]

RISK_COLUMNS: Final[dict[str, list[tuple[str, Kind]]]] = {
    "goals_off_track": [
        ("owner_name", "text"),
        ("metric", "value"),
        ("target", "number"),
        ("actual_to_date", "number"),
        ("attainment", "share"),
    ],
    "overdue_complaints": [
        ("manager_name", "text"),
        ("severity", "value"),
        ("opened_at", "date"),
        ("hours_overdue", "number"),
    ],
    "slipping_clients": [
        ("name", "text"),
        ("manager_name", "text"),
        ("segment", "value"),
        ("monetary", "money"),
    ],
}

#: The overdue complaints in full, in their section.
OVERDUE_COLUMNS: Final[list[tuple[str, Kind]]] = [
    ("feedback_id", "text"),
    ("client_id", "text"),
    ("manager_id", "text"),
    ("severity", "value"),
    ("opened_at", "date"),
    ("due_at", "date"),
    ("hours_overdue", "number"),
]

#: Per section: the frames shown, their columns and how many rows (None: all).
AREA_TABLES: Final[dict[str, dict[str, tuple[list[tuple[str, Kind]], int | None]]]] = {
    "data_quality": {
        "data_quality": (
            [
                ("table", "value"),
                ("source", "text"),
                ("encoding", "text"),
                ("rows_read", "int"),
                ("rows_kept", "int"),
                ("rows_rejected", "int"),
            ],
            None,
        ),
        "rejects": (
            [
                ("table", "value"),
                ("row", "int"),
                ("column", "text"),
                ("value", "text"),
                ("reason", "text"),
            ],
            ROW_LIMIT,
        ),
    },
    "scores": {
        "scores": (
            [
                *RANKING_COLUMNS,
                ("computed_grade", "text"),
                ("override_reason", "text"),
                ("percentile", "percent"),
            ],
            None,
        ),
        "rank_intervals": (
            [
                ("manager_id", "text"),
                ("median_rank", "number"),
                ("rank_p05", "int"),
                ("rank_p95", "int"),
                ("p_same_grade", "share"),
            ],
            None,
        ),
    },
    "teams": {
        "teams": (
            [
                ("team", "text"),
                ("managers", "int"),
                ("scored", "int"),
                ("mean_score", "score"),
                ("median_score", "score"),
                ("best_rank", "int"),
                ("grade_A", "int"),
                ("grade_B", "int"),
                ("grade_C", "int"),
            ],
            None,
        ),
    },
    "ratings": {
        "rating_reliability": (
            [
                ("competency", "value"),
                ("statistic", "text"),
                ("value", "number"),
                ("ci_low", "number"),
                ("ci_high", "number"),
                ("n_targets", "int"),
                ("n_raters", "int"),
            ],
            ROW_LIMIT,
        ),
        "rater_bias": (
            [
                ("rater_id", "text"),
                ("rater_role", "value"),
                ("n_ratings", "int"),
                ("leniency", "signed"),
                ("z", "signed"),
                ("outlier", "value"),
            ],
            ROW_LIMIT,
        ),
    },
    "goals": {
        "goal_distribution": (
            [
                ("level", "value"),
                ("team", "text"),
                ("n_goals", "int"),
                ("share_at_target", "share"),
                ("p25", "share"),
                ("median", "share"),
                ("p75", "share"),
            ],
            None,
        ),
        "goal_adjustments": (
            [
                ("owner_id", "text"),
                ("metric", "value"),
                ("old_target", "number"),
                ("proposed_target", "number"),
                ("change_share", "share"),
                ("reason", "text"),
            ],
            ROW_LIMIT,
        ),
    },
    "segments": {
        "segment_summary": (
            [("segment", "value"), ("clients", "int"), ("revenue", "money"), ("share", "share")],
            None,
        ),
        "portfolios": (
            [
                ("manager_id", "text"),
                ("clients", "int"),
                ("clients_without_sales", "int"),
                ("revenue", "money"),
                ("top_tier_revenue_share", "share"),
                ("at_risk_high_value", "int"),
            ],
            None,
        ),
    },
    "satisfaction": {
        "satisfaction": (
            [
                ("manager_id", "text"),
                ("csat_responses", "int"),
                ("csat_mean", "number"),
                ("csat_low", "number"),
                ("csat_high", "number"),
                ("nps", "score"),
            ],
            None,
        ),
    },
    "feedback": {
        "feedback_summary": (
            [
                ("manager_id", "text"),
                ("complaints", "int"),
                ("complaints_per_100_clients", "number"),
                ("open_backlog", "int"),
                ("median_resolution_hours", "number"),
                ("sla_breach_rate", "share"),
            ],
            None,
        ),
        "overdue_complaints": (OVERDUE_COLUMNS, ROW_LIMIT),
    },
    "training": {
        "training_summary": (
            [
                ("manager_id", "text"),
                ("category", "value"),
                ("courses", "int"),
                ("completed", "int"),
                ("hours", "number"),
                ("completion_rate", "share"),
                ("mean_assessment_score", "score"),
            ],
            ROW_LIMIT,
        ),
        "training_impact_by_category": (
            [
                ("category", "value"),
                ("effect", "signed"),
                ("ci_low", "signed"),
                ("ci_high", "signed"),
                ("p_value", "number"),
                ("n_treated", "int"),
            ],
            None,
        ),
    },
    "development": {
        "readiness": (
            [
                ("manager_id", "text"),
                ("name", "text"),
                ("level", "text"),
                ("next_level", "text"),
                ("status", "value"),
                ("performance", "value"),
                ("potential", "value"),
            ],
            None,
        ),
    },
}
