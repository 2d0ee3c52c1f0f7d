"""``am-analytics evaluate``: the quarterly evaluation, written as a report folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from ._app import exit_for_rejects
from ._engine import cluster_for
from ._options import AnalysisAsOf, CacheOption, DataFolder, EngineOption, SchedulerOption
from ._output import (
    analysis_date,
    console,
    count,
    stage_progress,
    status,
    today,
    warnings_shown,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..evaluation import Evaluation

#: How many managers the summary names at the top and at the bottom of the ranking.
PODIUM = 3


def evaluate(
    directory: DataFolder,
    period: Annotated[
        str | None,
        typer.Option(
            help="Quarter to evaluate, e.g. 2026Q3. Default: the last quarter complete on --as-of."
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            help="Folder of the reports; the report goes to OUT/PERIOD/ (replaced if it holds "
            "an earlier report)."
        ),
    ] = Path("reports"),
    format: Annotated[
        str,
        typer.Option("--format", help="Formats to write, comma-separated: html, xlsx, csv, json."),
    ] = "html,xlsx,csv,json",
    config: Annotated[
        Path | None,
        typer.Option(
            help="Evaluation configuration (TOML; write one with `am-analytics config init`). "
            "Default: the library's defaults."
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the HTML and Excel report: zh or en. Default: the "
            "configuration's (zh).",
        ),
    ] = None,
    as_of: AnalysisAsOf = None,
    engine: EngineOption = "pandas",
    scheduler: SchedulerOption = None,
    cache: CacheOption = None,
    manager: Annotated[
        str | None,
        typer.Option(
            help="Write only this manager's view (their rows of every per-manager frame) "
            "to OUT/PERIOD-MANAGER/, beside the report."
        ),
    ] = None,
    overrides: Annotated[
        Path | None,
        typer.Option(
            help="CSV of the review committee's grade changes (manager_id, period, grade, "
            "reason, decided_by, decided_on), applied after scoring.",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            help="Processes computing the sections and writing the formats side by side; "
            "-1: one per core. The report is the same for any number.",
        ),
    ] = -1,
) -> None:
    """Evaluate every manager of a quarter and write the report.

    Loads DIRECTORY, evaluates PERIOD as of --as-of (default: the last sale
    date; the period defaults to the last quarter complete on that day, so a
    re-run next year gives the same report), shows each stage on standard
    error, writes the report to OUT/PERIOD/ and prints a summary: managers
    scored, grades, the top and bottom three, rejects. Exits 0 on success, 1
    when the report was written but rows were rejected, 2 when the input, an
    option or the period cannot be used.
    """
    from ..dataset import load
    from ..evaluation import evaluate as evaluate_quarter
    from ..evaluation import load_evaluation_config, read_overrides
    from ..evaluation._config import SECTIONS
    from ..report import messages, write_manager

    formats = _formats(format)
    settings = load_evaluation_config(config) if config is not None else None
    language = messages(lang).language if lang is not None else None  # checked before the work
    decided = read_overrides(overrides) if overrides is not None else None
    screen = console()
    with cluster_for(engine, scheduler) as chosen:
        with status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or today(), engine=chosen, cache=cache)
        when = analysis_date(screen, data, as_of)
        quarter = _quarter(screen, period, when)
        # a manager view sits beside the report, not in it: the report folder is replaced whole
        folder = out / (str(quarter) if manager is None else f"{quarter}-{manager}")
        _check_folder(folder, directory)
        progress = stage_progress(f"Evaluating {quarter}", total=len(SECTIONS))
        with progress as advance, warnings_shown(screen):
            evaluation = evaluate_quarter(
                data,
                period=quarter,
                config=settings,
                as_of=when,
                overrides=decided,
                progress=advance,
                n_jobs=jobs,
            )
        with status(f"Writing {', '.join(formats)} to {folder} ..."):
            if manager is not None:
                written = write_manager(
                    evaluation, manager, folder, formats=formats, language=language
                )
            else:
                written = evaluation.write(folder, formats=formats, language=language, n_jobs=jobs)
        _print_summary(screen, evaluation)
        if data.is_clean:
            screen.print("no rows rejected")
        screen.print(f"report written to {folder} ({count(len(written), 'file')})")
        exit_for_rejects(screen, data)


def _formats(option: str) -> tuple[str, ...]:
    """The formats of ``--format``, once each; a ConfigError naming the known ones."""
    from ..report._files import check_formats

    names = [name.strip() for name in option.split(",") if name.strip()]
    return check_formats(names, option="--format", example="--format html,csv")


def _quarter(screen: Console, period: str | None, as_of: pd.Timestamp) -> pd.Period:
    """The period evaluated: --period, else the last quarter complete on ``as_of`` (printed)."""
    from ..evaluation import default_period
    from ..periods import to_period

    if period is not None:
        chosen = to_period(period)
        screen.print(f"period {chosen}")
        return chosen
    chosen = default_period(as_of)
    screen.print(
        f"period {chosen}, the last quarter complete on {as_of:%Y-%m-%d} (change it with --period)"
    )
    return chosen


def _check_folder(folder: Path, data: Path) -> None:
    """Refuse an output folder that is, or holds, the data folder, before the work starts."""
    from ..io._writing import check_output_folder

    # which files an earlier report may hold is known only once the evaluation is
    # done (its write checks them); here only the place itself is checked
    if folder.is_dir():
        check_output_folder(folder, inputs=[data], names=[p.name for p in folder.iterdir()])
    else:
        check_output_folder(folder, inputs=[data])


def _print_summary(screen: Console, evaluation: Evaluation) -> None:
    """Managers scored, grade counts, the top and bottom of the ranking, absent sections."""
    frames = evaluation.frames()
    if "scores" in frames:
        _print_ranking(screen, evaluation, frames)
    for section in evaluation.sections:
        if not section.present:
            screen.print(f"{section.name}: not evaluated, {section.absent_reason}")


def _print_ranking(screen: Console, evaluation: Evaluation, frames: dict[str, Any]) -> None:
    """Managers scored, grade counts, and the top and bottom of the ranking."""
    scores = frames["scores"]
    ranked = scores[scores["score"].notna()].sort_values("rank")
    grades = ranked["grade"].value_counts(sort=False)
    screen.print(
        f"{evaluation.period}: {count(len(ranked), 'manager')} scored; grades "
        + ", ".join(f"{grade} {n}" for grade, n in grades.items() if n)
    )
    distribution = frames.get("grade_distribution") if "overrides" in frames else None
    if distribution is not None:
        screen.print(
            "grades before -> after the overrides: "
            + ", ".join(f"{r.grade} {r.computed} -> {r.final}" for r in distribution.itertuples())
        )
    for title, rows in (("top", ranked.head(PODIUM)), ("bottom", ranked.tail(PODIUM))):
        named = ", ".join(
            f"{row.Index} {escape(str(row.name))} {row.score:.1f}" for row in rows.itertuples()
        )
        screen.print(f"{title} {len(rows)}: {named}")
