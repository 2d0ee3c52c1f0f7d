"""evaluate(): the quarter's evaluation assembled from the domains' public functions."""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from importlib import import_module
from multiprocessing.connection import Connection, wait
from time import perf_counter
from typing import TYPE_CHECKING

import pandas as pd

from .._engines import is_dask_frame, sales_date_range
from .._processes import Forked, can_fork, resolve_jobs
from ..dataset import Dataset
from ..errors import MissingTableWarning, NonFiniteValueWarning
from ..periods import DateLike, PeriodLike, parse_as_of, period_window, to_period
from ._config import EvaluationConfig
from ._overrides import OverrideNote, read_overrides
from ._result import Evaluation, Section

if TYPE_CHECKING:
    from ._stages import Frames, Run, Stage

#: The warnings of the domains that an evaluation keeps as section notes instead of raising.
NOTED_WARNINGS: tuple[type[Warning], ...] = (
    MissingTableWarning,
    NonFiniteValueWarning,
    OverrideNote,
)

#: The absent reason of a section not in the configuration's ``sections``.
LEFT_OUT = "left out by the configuration (report.sections)"


def evaluate(
    dataset: Dataset,
    *,
    period: PeriodLike | None = None,
    config: EvaluationConfig | None = None,
    as_of: DateLike | None = None,
    progress: Callable[[str], None] | None = None,
    overrides: pd.DataFrame | None = None,
    n_jobs: int | None = None,
) -> Evaluation:
    """Evaluate every manager of a quarter: scores, teams, goals, clients, feedback, development.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`; only ``managers``,
        ``clients`` and ``sales`` are required.
    period
        The period evaluated, ``"2026Q3"``; default: the last quarter complete
        on ``as_of``.
    config
        An :class:`EvaluationConfig`; default: the library's defaults.
    as_of
        The day described (nothing after it counts); default: the last sale date.
    progress
        Called with each section's name as its computation starts (a
        progress display); default: nothing is reported.
    overrides
        A review committee's grade changes (:func:`read_overrides`), applied
        after scoring (:func:`apply_overrides`); default: the file of the
        configuration's ``overrides``, else none. Rows of other periods are
        set aside with a note.
    n_jobs
        Processes computing the sections side by side: ``None`` for this one
        alone, ``-1`` for one per core. On Linux the sections that need no
        other (ratings, goals, segments, training, development) are computed in
        forked processes, ``n_jobs`` at a time; elsewhere, with one job, and
        with Dask sales (whose cluster runs the work side by side, through a
        client a forked process could not share), one after another. The
        frames are the same either way.

    Returns
    -------
    Evaluation
        Its :attr:`~Evaluation.sections`, in this order, with these frames:

        - ``data_quality``: ``data_quality`` (:meth:`Dataset.summary`), ``rejects``;
        - ``scores``: ``scores`` (:func:`~am_analytics.score_managers`),
          ``rank_intervals`` (:func:`~am_analytics.scoring.sensitivity`),
          ``score_change`` (against the previous period: ``previous_score``,
          ``score_change``, ``previous_rank``, ``rank_change`` (positive =
          climbed), ``movement``: rose, fell, unchanged, new), ``movers``
          (the largest rises and falls), ``grade_distribution`` (grade,
          ``computed`` and ``final`` counts: equal without overrides) and
          ``score_distribution`` (managers per 10-point band); with
          overrides, ``scores`` gains ``computed_grade``, ``final_grade``,
          ``override_reason``, ``decided_by``, ``decided_on`` (``grade`` is
          the final one), and the section ``overrides`` (manager_id, from, to,
          reason, decided_by, decided_on: listed in ``write()``'s manifest);
        - ``teams``: ``teams``, the scores rolled up per team, and
          ``team_criteria``, each team's median normalised criterion (0–1);
        - ``ratings`` (needs ratings): ``rating_reliability``, ``rater_bias``;
        - ``goals`` (needs goals): ``goal_status`` (the goals of the period
          and those begun since, on ``as_of``), ``goals_off_track`` (the
          period's goals off track on ``as_of``), ``goal_distribution``,
          ``team_goals``, ``goal_adjustments``;
        - ``segments``: ``clients`` (:func:`~am_analytics.segments.segment_clients`
          at the period's end, with the service plan's ``service_level``,
          ``next_action``, ``next_action_zh``, ``due_date`` and ``priority``
          made on ``as_of``), ``segment_summary``, ``segment_migration`` and
          ``segment_migration_rates`` (from the previous period's end),
          ``slipping_clients`` (out of the top two segments since then),
          ``portfolios``;
        - ``satisfaction`` (needs surveys): ``satisfaction``;
        - ``feedback`` (needs feedback): ``feedback_summary``, ``overdue_complaints``;
        - ``training`` (needs training): ``training_summary``, ``training_impact``,
          ``training_event_study``, ``training_impact_by_category``;
        - ``development`` (needs ratings): ``skill_gaps``, ``score_history``,
          ``readiness`` (with the 9-box), ``training_recommendations`` (needs
          training too);
        - ``summary``: ``headline`` (measure, aggregation, value, previous,
          change: managers scored, grades, each criterion's total or mean,
          and the risks counted: goals off track, overdue complaints,
          clients slipping).

        A section whose tables the dataset lacks is there with no frames and
        an ``absent_reason`` naming them; so is a section left out of the
        configuration's ``sections`` (reason: "left out by the configuration").
        Warnings of the domains
        (:class:`~am_analytics.errors.MissingTableWarning`,
        :class:`~am_analytics.errors.NonFiniteValueWarning`) become the
        section's ``notes``.

    Raises
    ------
    EmptyPeriodError
        If nobody sold in the period.
    ConfigError
        If ``period`` or ``as_of`` cannot be read, or an override is of a
        manager not scored, to an unknown grade, or repeated.
    DataValidationError
        If the configuration's overrides file breaks its rules (see
        :func:`read_overrides`).

    Examples
    --------
    >>> from am_analytics import evaluate, load_sample
    >>> stages = []  # a progress display is told each section as it starts
    >>> evaluation = evaluate(
    ...     load_sample(), config=EvaluationConfig(sensitivity_draws=100), progress=stages.append
    ... )
    >>> stages == [section.name for section in evaluation.sections]
    True
    >>> stages[:3]
    ['data_quality', 'scores', 'teams']
    >>> evaluation.period, evaluation.as_of
    (Period('2026Q3', 'Q-DEC'), Timestamp('2026-11-15 00:00:00'))
    >>> evaluation.frames()["scores"].loc["M0020", "grade"]
    'A'
    >>> evaluation.manager("M0020")["score_change"]["movement"].tolist()
    ['rose']
    """
    config = config if config is not None else EvaluationConfig()
    day = parse_as_of(as_of) if as_of is not None else _last_sale_day(dataset)
    quarter = to_period(period) if period is not None else default_period(day)
    period_window(quarter, as_of=day)  # a ConfigError when as_of is before the period
    from ._stages import STAGES, Run  # the domains load sklearn: only when evaluating

    if overrides is None and config.overrides is not None:
        overrides = read_overrides(config.overrides)
    run = Run(dataset, quarter, quarter - 1, day, config, overrides)
    jobs = resolve_jobs(n_jobs)  # checked on every platform, as write() does
    if not can_fork() or is_dask_frame(dataset.sales):
        jobs = 1
    done = _run_stages(STAGES, run, jobs=jobs, progress=progress)
    sections = tuple(done[stage.name][0] for stage in STAGES)
    timings = {stage.name: done[stage.name][1] for stage in STAGES}
    return Evaluation(quarter, quarter - 1, day, sections, timings, config)


def default_period(as_of: DateLike) -> pd.Period:
    """The last quarter complete on ``as_of`` (a quarter's last day completes it).

    Examples
    --------
    >>> default_period("2026-11-15"), default_period("2026-09-30")
    (Period('2026Q3', 'Q-DEC'), Period('2026Q3', 'Q-DEC'))
    """
    day = parse_as_of(as_of).normalize()
    return pd.Period(day + pd.Timedelta(days=1), freq="Q") - 1


def _last_sale_day(dataset: Dataset) -> pd.Timestamp:
    """The default ``as_of``: the day of the last sale."""
    dates = sales_date_range(dataset.sales)
    return parse_as_of(dates[1] if dates is not None else None)


def _run_stages(
    stages: Sequence[Stage], run: Run, *, jobs: int, progress: Callable[[str], None] | None
) -> dict[str, tuple[Section, float]]:
    """Each stage's section and seconds, by name.

    With ``jobs`` > 1 the stages ``apart`` run in forked children, ``jobs``
    at a time, while this process runs the others in order; the ``last``
    stage waits for every child. Those that import nothing shared go first;
    the modules of the others are imported here while children run, once,
    so that the children forked after share them. A child's error is raised
    here, and the children still running are stopped.
    """
    done: dict[str, tuple[Section, float]] = {}
    apart = [stage for stage in stages if stage.apart and jobs > 1]
    waiting = deque(sorted(apart, key=lambda stage: bool(stage.imports)))  # stable
    running: dict[Connection, tuple[str, Forked[tuple[Section, float]]]] = {}

    def start_children() -> None:
        while waiting and len(running) < jobs:
            stage = waiting.popleft()
            for module in stage.imports:
                import_module(module)
            if progress is not None:
                progress(stage.name)
            child = Forked(partial(_timed_section, stage, run))
            running[child.connection] = (stage.name, child)

    def collect(*, block: bool) -> None:
        if block and waiting:
            for module in waiting[0].imports:  # the next child's, while these run
                import_module(module)
        for connection in wait(list(running), timeout=None if block else 0):
            name, child = running.pop(connection)  # type: ignore[call-overload]
            done[name] = child.result()
            run.frames.update(done[name][0].frames)
        start_children()

    try:
        start_children()
        for stage in stages:
            if stage.apart and jobs > 1:
                continue  # a child's
            while stage.last and (running or waiting):
                collect(block=True)
            if progress is not None:
                progress(stage.name)
            done[stage.name] = _timed_section(stage, run)
            collect(block=False)
        while running:
            collect(block=True)
    finally:
        for _, child in running.values():
            child.cancel()
    return done


def _timed_section(stage: Stage, run: Run) -> tuple[Section, float]:
    """:func:`_section` of ``stage``, and the seconds it took."""
    started = perf_counter()
    section = _section(stage.name, stage.tables, stage.build, run)
    return section, perf_counter() - started


def _section(
    name: str, tables: tuple[str, ...], build: Callable[[Run], Frames | str], run: Run
) -> Section:
    """Run one stage, or say why not (left out, tables lacking); domain warnings become notes."""
    if name not in run.config.sections:
        return Section(name, absent_reason=LEFT_OUT, left_out=True)
    lacking = [table for table in tables if getattr(run.dataset, table) is None]
    if lacking:
        named = " and ".join(f"the {table} table" for table in lacking)
        reason = f"needs {named}, which the dataset lacks"
        return Section(name, absent_reason=reason, lacking=tuple(lacking))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = build(run)
    notes = []
    for warning in caught:
        if issubclass(warning.category, NOTED_WARNINGS):
            notes.append(str(warning.message))
        else:  # not ours to keep: hand it on as it came
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if isinstance(built, str):
        return Section(name, absent_reason=built, notes=tuple(notes))
    run.frames.update(built)
    return Section(name, frames=built, notes=tuple(dict.fromkeys(notes)))
