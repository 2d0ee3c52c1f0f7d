"""The stages of an evaluation: one function per section, each over the shared Run."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import development, feedback, goals, ratings
from .._engines import sales_date_range
from ..dataset import Dataset
from ..errors import EmptyPeriodError, MissingTableWarning
from ..periods import period_window
from ..scoring import default_scorecard, score_managers, sensitivity
from ._config import EvaluationConfig
from ._overrides import applied_overrides, apply_overrides, grade_distribution
from ._summary import summary

Frames = dict[str, pd.DataFrame]

#: The columns of the sensitivity analysis kept beside the scores.
INTERVAL_COLUMNS = ["median_rank", "rank_p05", "rank_p95", "p_same_grade"]

#: How many of the segment rules' first segments count as the top ones (Champions, Loyal).
TOP_SEGMENTS = 2

#: How a manager's rank moved since the previous period ("new": not scored then).
MOVEMENTS = ["rose", "fell", "unchanged", "new", "not scored"]


@dataclass(slots=True)
class Run:
    """What the stages of one evaluation share: inputs, and the frames made so far."""

    dataset: Dataset
    period: pd.Period
    previous_period: pd.Period
    as_of: pd.Timestamp
    config: EvaluationConfig
    overrides: pd.DataFrame | None = None
    frames: Frames = field(default_factory=dict)
    previous_scores: pd.DataFrame | None = None

    def period_end(self, period: pd.Period) -> pd.Timestamp:
        """The last day of ``period`` counted: its end, or ``as_of`` inside it."""
        return period_window(period, as_of=self.as_of).end - pd.Timedelta(days=1)


def data_quality(run: Run) -> Frames:
    """Rows read, kept and rejected per table, and the rejected rows."""
    return {"data_quality": run.dataset.summary(), "rejects": run.dataset.rejects}


def scores(run: Run) -> Frames:
    """The period's scores, rank intervals and the change against the previous period."""
    card = run.config.scorecard
    table = score_managers(run.dataset, period=run.period, scorecard=card, as_of=run.as_of)
    run.previous_scores = previous = _previous_scores(run)
    change = score_change(table, previous)
    frames = {"scores": table}
    if run.overrides is not None:
        grades = (card or default_scorecard()).grading.grades
        table = apply_overrides(table, overrides=run.overrides, period=run.period, grades=grades)
        frames = {"scores": table, "overrides": applied_overrides(table)}
    return {
        **frames,
        "grade_distribution": grade_distribution(table),
        "score_distribution": score_distribution(table["score"]),
        "rank_intervals": _rank_intervals(run, table),
        "score_change": change,
        "movers": movers(change, size=run.config.summary_size),
    }


def score_distribution(score: pd.Series, *, width: float = 10.0) -> pd.DataFrame:
    """Managers per score band of ``width`` points from 0 to 100 (the last band holds 100).

    Examples
    --------
    >>> score_distribution(pd.Series([5.0, 10.0, 99.0, 100.0, np.nan]), width=50)
       band_start  band_end  managers
    0         0.0      50.0         2
    1        50.0     100.0         2
    """
    edges = np.arange(0.0, 100.0 + width, width)
    counts, _ = np.histogram(score.dropna().to_numpy(dtype=np.float64), bins=edges)
    return pd.DataFrame({"band_start": edges[:-1], "band_end": edges[1:], "managers": counts})


def _previous_scores(run: Run) -> pd.DataFrame | None:
    """The previous period's scores, or None (with a note) when nobody sold in it."""
    card = run.config.scorecard
    try:
        with warnings.catch_warnings():  # the same criteria were noted for the period
            warnings.simplefilter("ignore", MissingTableWarning)
            return score_managers(
                run.dataset, period=run.previous_period, scorecard=card, as_of=run.as_of
            )
    except EmptyPeriodError:
        warnings.warn(
            f"no sales in {run.previous_period}: every manager counts as new",
            MissingTableWarning,
            stacklevel=2,
        )
        return None


def _rank_intervals(run: Run, table: pd.DataFrame) -> pd.DataFrame:
    """Each scored manager's rank interval and grade stability under perturbed weights."""
    card = run.config.scorecard or default_scorecard()
    kept = [c for c in card.criteria if f"{c.metric}_value" in table.columns]
    card = card.with_options(criteria=tuple(kept))
    values = table.loc[table["active"], [f"{c.metric}_value" for c in kept]]
    metrics = values.rename(columns=lambda column: column.removesuffix("_value"))
    result = sensitivity(card.fit(metrics), metrics, n=run.config.sensitivity_draws)
    return result.managers[INTERVAL_COLUMNS]


def score_change(table: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Score and rank against the previous period; ``rank_change`` > 0 is a climb."""
    before = previous if previous is not None else table.iloc[:0]
    change = pd.DataFrame(
        {
            "name": table["name"],
            "team": table["team"],
            "score": table["score"],
            "previous_score": before["score"].reindex(table.index),
            "rank": table["rank"].astype("Float64"),
            "previous_rank": before["rank"].reindex(table.index).astype("Float64"),
        },
        index=table.index,
    )
    change["score_change"] = change["score"] - change["previous_score"]
    change["rank_change"] = change["previous_rank"] - change["rank"]
    steps = change["rank_change"].to_numpy(dtype=np.float64, na_value=np.nan)
    unscored = change["rank"].isna().to_numpy()
    movement = np.select(
        [unscored, steps > 0, steps < 0, steps == 0],
        ["not scored", "rose", "fell", "unchanged"],
        "new",
    )
    change["movement"] = pd.Categorical(movement, categories=MOVEMENTS)
    return change


def movers(change: pd.DataFrame, *, size: int) -> pd.DataFrame:
    """The ``size`` largest climbs, then the ``size`` largest falls."""
    rose = change[change["movement"] == "rose"].sort_values("rank_change", ascending=False)
    fell = change[change["movement"] == "fell"].sort_values("rank_change")
    return pd.concat([rose.head(size), fell.head(size)])


def teams(run: Run) -> Frames:
    """The period's scores per team (best mean first) and each team's median normalised criteria."""
    table = run.frames["scores"]
    grouped = table.groupby("team", observed=True, dropna=False)
    rollup = pd.DataFrame(
        {
            "managers": grouped.size(),
            "scored": grouped["score"].count(),
            "mean_score": grouped["score"].mean(),
            "median_score": grouped["score"].median(),
            "best_rank": grouped["rank"].min(),
        }
    )
    grades = pd.crosstab(table["team"], table["grade"]).add_prefix("grade_")
    rollup = rollup.join(grades).fillna({c: 0 for c in grades.columns})
    norms = [c for c in table.columns if c.endswith("_norm")]
    medians = table[table["active"]].groupby("team", observed=True)[norms].median()
    return {
        "teams": rollup.sort_values("mean_score", ascending=False),
        "team_criteria": medians.rename(columns=lambda c: c.removesuffix("_norm")),
    }


def rating_quality(run: Run) -> Frames | str:
    """Inter-rater reliability and rater leniency over the period's ratings."""
    table = run.dataset.ratings
    assert table is not None  # the stage needs ratings
    rated = table[table["period"].astype("string").eq(str(run.period)).fillna(False)]
    if rated.empty:
        return f"the ratings table has no ratings for {run.period}"
    return {
        "rating_reliability": ratings.reliability(rated),
        "rater_bias": ratings.rater_bias(rated),
    }


def goal_tracking(run: Run) -> Frames:
    """Goals' status on ``as_of``, the period's attainment spread, team roll-ups, adjustments."""
    data, config = run.dataset, run.config
    status = goals.goal_status(data, as_of=run.as_of, options=config.attainment)
    window = period_window(run.period, as_of=run.as_of)
    status = status[status["period_end"] >= window.start].reset_index(drop=True)
    return {
        "goal_status": status,
        "goals_off_track": goals_off_track(status, run=run),
        "goal_distribution": goals.attainment_distribution(status, period=run.period),
        "team_goals": goals.team_rollup(data, as_of=run.as_of),
        "goal_adjustments": goals.recommend_adjustments(
            data, as_of=run.as_of, policy=config.adjustment
        ),
    }


def goals_off_track(status: pd.DataFrame, *, run: Run) -> pd.DataFrame:
    """The goals of the evaluated period off track on ``as_of``, the furthest behind first."""
    window = period_window(run.period, as_of=run.as_of)
    overlaps = (status["period_start"] < window.end) & (status["period_end"] >= window.start)
    off = status[overlaps & status["status"].eq("off_track").fillna(False)]
    return off.sort_values("attainment").reset_index(drop=True)


def client_segments(run: Run) -> Frames:
    """Segments at the period's end, migration since the previous one, books; plan from as_of."""
    # segments loads scikit-learn (0.8 s): imported where it is used, by the process
    # computing this section, while the others compute theirs
    from .. import segments

    clients = _segment_clients(run, run.period)
    before = _previous_segments(run)
    moves = segments.migration(before["segment"], clients["segment"])
    # the call list is made on as_of: a plan due from the period's end would be stale
    plan = segments.service_plan(clients, as_of=run.as_of, policy=run.config.service_policy)
    clients[list(plan.columns)] = plan
    return {
        "clients": clients,
        "segment_summary": segments.segment_summary(clients),
        "segment_migration": moves.counts,
        "segment_migration_rates": moves.rates,
        "slipping_clients": slipping_clients(before, clients),
        # clients of sales kept as orphans (not in the clients table) have no owner's book
        "portfolios": segments.portfolio(
            clients[clients["manager_id"].notna()], clients=run.dataset.clients
        ),
    }


def slipping_clients(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Clients in a top segment at the previous period's end and out of them now, richest first.

    The top segments are the first two of the segment rules (Champions and
    Loyal by default); a client who left the snapshot is ``segment`` missing.
    """
    top = list(before["segment"].cat.categories[:TOP_SEGMENTS])
    was_top = before.index[before["segment"].isin(top).to_numpy()]
    now = after["segment"].reindex(was_top)
    slipped = was_top[~now.isin(top).to_numpy()]
    frame = pd.DataFrame(
        {
            "name": before.loc[slipped, "name"],
            "manager_id": before.loc[slipped, "manager_id"],
            "previous_segment": before.loc[slipped, "segment"],
            "segment": after["segment"].reindex(slipped),
            "monetary": before.loc[slipped, "monetary"],
        },
        index=slipped,
    )
    return frame.sort_values("monetary", ascending=False)


def _segment_clients(run: Run, period: pd.Period) -> pd.DataFrame:
    """The clients' segments on the last day of ``period``."""
    from .. import segments  # see client_segments

    config = run.config
    return segments.segment_clients(
        run.dataset,
        as_of=run.period_end(period),
        rules=config.segment_rules,
        policy=config.service_policy,
    )


def _previous_segments(run: Run) -> pd.DataFrame:
    """The clients' RFM segments at the previous period's end, with owner and net revenue.

    What the migration and the slipping clients compare with: the segments
    :func:`~am_analytics.segments.segment_clients` gives (an RFM scorer fitted
    on the clients of that day, the same rules), without the value tiers and
    forecasts it would fit too, which nothing here reads.
    """
    from .. import segments  # see client_segments

    ledger = segments.client_features(run.dataset.sales, as_of=run.period_end(run.previous_period))
    # a client whose sums overflow is set aside, as segment_clients does
    overflowed = np.isinf(ledger.select_dtypes("number").to_numpy(dtype=np.float64)).any(axis=1)
    features = ledger.loc[~overflowed]
    scores = segments.RFMScorer().fit(features).transform(features)
    labels = segments.rfm_segments(scores, rules=run.config.segment_rules)["segment"]
    owners = run.dataset.clients.set_index("client_id")[["name", "manager_id"]]
    return owners.reindex(features.index).assign(segment=labels, monetary=features["monetary"])


def satisfaction(run: Run) -> Frames:
    """Satisfaction per manager in the period."""
    surveys = run.dataset.surveys
    assert surveys is not None  # the stage needs surveys
    return {"satisfaction": feedback.satisfaction(surveys, period=run.period, as_of=run.as_of)}


def complaints(run: Run) -> Frames:
    """Feedback per manager in the period, and the items open past their SLA on ``as_of``."""
    table = run.dataset.feedback
    assert table is not None  # the stage needs feedback
    sla = run.config.sla
    return {
        "feedback_summary": feedback.feedback_summary(
            table, period=run.period, as_of=run.as_of, sla=sla
        ),
        "overdue_complaints": feedback.overdue(table, as_of=run.as_of, sla=sla),
    }


def training(run: Run) -> Frames:
    """Training in the period and its estimated effect on sales."""
    table = run.dataset.training
    assert table is not None  # the stage needs training
    impact = development.training_impact(run.dataset, as_of=run.as_of)
    overall = {f.name: getattr(impact, f.name) for f in fields(impact) if f.name != "event_study"}
    return {
        "training_summary": development.training_summary(table, period=run.period, as_of=run.as_of),
        "training_impact": pd.DataFrame([overall]),
        "training_event_study": impact.event_study,
        "training_impact_by_category": development.training_impact_by_category(
            run.dataset, as_of=run.as_of
        ),
    }


def careers(run: Run) -> Frames:
    """Skill gaps, score history, promotion readiness with the 9-box, and courses to take."""
    data, ladder = run.dataset, run.config.career_ladder
    gaps = development.skill_gaps(data, ladder=ladder, period=run.period)
    history = development.score_history(
        data, periods=_history_periods(run), scorecard=run.config.scorecard, as_of=run.as_of
    )
    frames = {
        "skill_gaps": gaps,
        "score_history": history,
        "readiness": development.promotion_readiness(
            data, score_history=history, ladder=ladder, as_of=run.as_of
        ),
    }
    if data.training is None:
        warnings.warn(
            "training recommendations need the training table, which the dataset lacks",
            MissingTableWarning,
            stacklevel=2,
        )
    else:
        catalog = development.catalog_from_training(data.training)
        frames["training_recommendations"] = development.recommend_training(
            gaps, catalog=catalog, completed=data.training
        )
    return frames


def _history_periods(run: Run) -> list[pd.Period]:
    """The quarters of score history: up to the evaluated one, none before the first sale."""
    dates = sales_date_range(run.dataset.sales)
    first = dates[0].to_period(run.period.freqstr) if dates is not None else run.period
    count = run.config.history_periods
    return [p for p in pd.period_range(end=run.period, periods=count) if p >= first]


class Stage(NamedTuple):
    """The computation of one section."""

    name: str
    #: The tables it needs besides managers, clients and sales.
    tables: tuple[str, ...]
    build: Callable[[Run], Frames | str]
    #: Whether it reads nothing the other stages make: it may run in a process of its own.
    apart: bool = False
    #: Whether it reads what every other stage made: it runs after all of them.
    last: bool = False
    #: Modules it loads that other stages apart load too, imported before it is forked.
    imports: tuple[str, ...] = ()


#: scipy.stats (0.5 s to import) is loaded by scikit-learn, statsmodels and the
#: rating reliability: once in the parent, not once in each child.
_SCIPY_STATS = ("scipy.stats",)


#: The stages, in the order of the sections.
STAGES: tuple[Stage, ...] = (
    Stage("data_quality", (), data_quality),
    Stage("scores", (), scores),
    Stage("teams", (), teams),
    Stage("ratings", ("ratings",), rating_quality, apart=True, imports=_SCIPY_STATS),
    Stage("goals", ("goals",), goal_tracking, apart=True),
    Stage("segments", (), client_segments, apart=True, imports=_SCIPY_STATS),
    Stage("satisfaction", ("surveys",), satisfaction),
    Stage("feedback", ("feedback",), complaints),
    Stage("training", ("training",), training, apart=True, imports=_SCIPY_STATS),
    Stage("development", ("ratings",), careers, apart=True),
    Stage("summary", (), summary, last=True),
)
